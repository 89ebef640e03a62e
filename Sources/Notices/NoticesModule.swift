import Foundation
import HTTP
import Identity
import ServiceKit
import Store

/// LINE notices (公式LINE) as a service module: the staff console, the LINE link pages, "LINE 通知の設定" on
/// マイページ, the dashboard tile, the `notices` commands, and — when a channel secret is configured — the
/// signed webhook with its event processor.
public struct NoticesModule: ServiceModule {
    public static let name = "notices"
    public static var commands: [any Command.Type] { [NoticesSendCommand.self, NoticesCreateCommand.self] }

    public let store: NoticeStore
    let authentication: Authentication
    /// Handles stored webhook events after their 200 went out; nil when no channel secret is configured.
    let webhook: (channelSecret: ChannelSecret, processor: WebhookEventProcessor)?

    /// Without `lineChannelSecret` no signature can be checked, so the webhook is not mounted at all.
    public init(
        database: Database, authentication: Authentication, lineChannelSecret: ChannelSecret? = nil,
        logger: Logger = .disabled
    ) {
        let store = NoticeStore(database: database)
        self.store = store
        self.authentication = authentication
        if let lineChannelSecret {
            let processor = WebhookEventProcessor(store: store, logger: logger, clock: { authentication.now() })
            webhook = (lineChannelSecret, processor)
        } else {
            logger.warning(
                "LINE webhook not mounted", ["reason": .string("\(LINECredentialFile.secretVariable) not set")])
            webhook = nil
        }
    }

    public var myPageSections: [any MyPageSection] { [LINELinkMyPageSection()] }
    public var dashboardTiles: [any StaffDashboardTile] { [NoticesDashboardTile()] }
    public var workers: [any BackgroundWorker] { webhook.map { [$0.processor] } ?? [] }

    public func register(in routes: inout Routes) {
        routes.register(NoticeConsoleRoutes(store: store, authentication: authentication))
        routes.register(LINELinkRoutes(linking: AccountLinking(store: store), authentication: authentication))
        if let webhook {
            routes.register(
                NoticeWebhookRoutes(channelSecret: webhook.channelSecret, store: store, processor: webhook.processor))
        }
    }
}

extension WebhookEventProcessor: BackgroundWorker {}
