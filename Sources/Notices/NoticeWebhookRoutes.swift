import Foundation
import HTTP
import Store

/// `POST /line/webhook`: LINE's webhook. It verifies `X-Line-Signature` against the raw body (401 when it
/// is missing or wrong), stores the events — a redelivered webhookEventId is skipped — and answers 200 at
/// once; `WebhookEventProcessor` acts on them afterwards. LINE expects a quick answer and redelivers
/// otherwise.
public struct NoticeWebhookRoutes: RouteCollection {
    public static let path = "/line/webhook"
    /// LINE batches events; a body this large is far beyond any real delivery.
    public static let maximumBodyBytes = 1024 * 1024

    let channelSecret: ChannelSecret
    let store: NoticeStore
    let processor: WebhookEventProcessor?

    /// `processor`, when given, is notified after each delivery that stored a new event.
    public init(channelSecret: ChannelSecret, store: NoticeStore, processor: WebhookEventProcessor?) {
        self.channelSecret = channelSecret
        self.store = store
        self.processor = processor
    }

    public func register(in routes: inout Routes) {
        routes.post(Self.path, maximumBodyBytes: Self.maximumBodyBytes, receiveEvents)
    }

    // MARK: Handlers

    func receiveEvents(_ request: Request) throws -> Response {
        guard
            LINESignature.isValid(request.header("x-line-signature"), body: request.body, channelSecret: channelSecret)
        else {
            throw HTTPError(status: 401, code: "invalid_signature", message: "署名が正しくありません。")
        }
        let events = try WebhookBody.parseEvents(request.body)
        if try store.insertWebhookEvents(events, now: request.receivedAt) > 0 {
            processor?.notifyNewEvents()
        }
        return Response(status: 200, headers: [("Content-Type", "application/json")], body: Data("{}".utf8))
    }
}
