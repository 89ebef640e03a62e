import Cryptography
import Foundation
import HTTP
import Security

/// `X-Line-Signature`: base64 of HMAC-SHA256 over the raw request body, keyed with the channel secret.
/// https://developers.line.biz/en/reference/messaging-api/#signature-validation
public enum LINESignature {
    public static func sign(body: Data, channelSecret: ChannelSecret) -> String {
        Data(Digest.hmacSHA256(key: channelSecret.bytes, message: body)).base64EncodedString()
    }

    /// True only for a present signature that matches exactly. The base64 texts are compared, not decoded
    /// bytes: a lenient decoder accepts other spellings of the same bytes, and there is only one right answer.
    /// The comparison takes constant time, so response timing tells a forger nothing about how close a guess
    /// was.
    public static func isValid(_ signature: String?, body: Data, channelSecret: ChannelSecret) -> Bool {
        guard let signature else { return false }
        let expected = sign(body: body, channelSecret: channelSecret)
        return Digest.constantTimeEquals(Array(expected.utf8), Array(signature.utf8))
    }
}

/// One webhook event object (webhook.yml: Event), reduced to what notices need. `json` keeps the event as
/// received so it can be processed after the 200 has gone back.
public struct WebhookEvent: Sendable, Equatable {
    public let webhookEventID: String
    public let type: String
    /// `source.userId` when the source is a user.
    public let userID: String?
    public let isRedelivery: Bool
    /// When the event happened, in milliseconds since 1970 (LINE's `timestamp`). A redelivered event can
    /// arrive after newer ones; this, not the arrival order, says which came first.
    public let timestamp: Int64?
    /// `active` or `standby` (another module has the channel; we must not act).
    public let mode: String?
    public let messageType: String?
    public let messageText: String?
    public let json: Data

    public init?(json: Data) {
        guard let object = try? JSONSerialization.jsonObject(with: json) as? [String: Any] else { return nil }
        self.init(object: object, json: json)
    }

    init?(object: [String: Any], json: Data? = nil) {
        guard let id = object["webhookEventId"] as? String, !id.isEmpty, id.utf8.count <= 64,
            let type = object["type"] as? String
        else { return nil }
        webhookEventID = id
        self.type = type
        let source = object["source"] as? [String: Any]
        userID = source?["type"] as? String == "user" ? source?["userId"] as? String : nil
        timestamp = (object["timestamp"] as? NSNumber)?.int64Value
        isRedelivery = ((object["deliveryContext"] as? [String: Any])?["isRedelivery"] as? Bool) ?? false
        mode = object["mode"] as? String
        let message = object["message"] as? [String: Any]
        messageType = message?["type"] as? String
        messageText = message?["text"] as? String
        self.json = json ?? ((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data())
    }

    /// The event without the message text, kept after processing: enough to audit what happened, nothing a
    /// resident typed.
    var redactedJSON: Data {
        guard var object = try? JSONSerialization.jsonObject(with: json) as? [String: Any] else {
            return Data("{}".utf8)
        }
        if var message = object["message"] as? [String: Any], message["text"] != nil {
            message["text"] = "[redacted]"
            object["message"] = message
        }
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
    }
}

/// A webhook body that is not JSON with an `events` array: answered 400, and LINE does not redeliver it.
public struct MalformedWebhookBody: HTTPResponseError, Sendable {
    public var status: Int { 400 }
    public var code: String { "malformed_json" }
    public var message: String { "JSON の形式が正しくありません。" }
}

/// The webhook request body (webhook.yml: CallbackRequest).
public enum WebhookBody {
    /// The events of a body. An empty `events` array is LINE's connectivity check. Events without a
    /// webhookEventId cannot be deduplicated and are dropped.
    public static func parseEvents(_ body: Data) throws(MalformedWebhookBody) -> [WebhookEvent] {
        guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any],
            let events = object["events"] as? [[String: Any]]
        else { throw MalformedWebhookBody() }
        return events.compactMap { WebhookEvent(object: $0) }
    }
}
