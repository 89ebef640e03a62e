import Foundation

/// LINE Messaging API limits the sender and its validation rely on (DESIGN.md, "Domain facts: LINE").
public enum LINELimits {
    public static let maximumTextUTF16Units = 5_000
    public static let maximumMessagesPerRequest = 5
    public static let maximumMulticastRecipients = 500
    public static let maximumRequestBodyBytes = 2 * 1024 * 1024
    /// Per channel. Exceeding them gives 429 with no Retry-After.
    public static let pushRequestsPerSecond = 2_000.0
    public static let multicastRequestsPerSecond = 200.0
    /// How long LINE remembers an `X-Line-Retry-Key`. After that a repeat could execute again.
    public static let retryKeyWindow: TimeInterval = 24 * 60 * 60
}

/// The two LINE endpoints notices use: the same text to many (multicast) or one text to one (push).
public enum LINEEndpoint: String, Sendable, CaseIterable, Codable {
    case push
    case multicast

    public var path: String {
        switch self {
        case .push: "/v2/bot/message/push"
        case .multicast: "/v2/bot/message/multicast"
        }
    }

    /// LINE's published rate limit for this endpoint.
    public var requestsPerSecond: Double {
        switch self {
        case .push: LINELimits.pushRequestsPerSecond
        case .multicast: LINELimits.multicastRequestsPerSecond
        }
    }
}

/// What staff compose: texts (1...5 messages, each a template), values for the placeholders, who gets it and
/// when. Creating a notice from a draft freezes its LINE requests (see `NoticeStore.createNotice`).
public struct NoticeDraft: Sendable, Equatable {
    public var title: String
    /// The message texts, each a `MessageTemplate`.
    public var messages: [String]
    /// Values shared by every recipient, e.g. `日時`.
    public var placeholderValues: [String: String]
    /// Values that differ per resident, e.g. `受付番号`; `氏名` and `地区` are filled from the resident record.
    public var residentValues: [Int64: [String: String]]
    public var audience: Audience
    /// nil sends at the next batch run.
    public var sendAt: Date?
    public var templateID: Int64?
    /// Who created it, e.g. `staff:12` or `cli`. Never a name.
    public var createdBy: String

    public init(
        title: String, messages: [String], placeholderValues: [String: String] = [:],
        residentValues: [Int64: [String: String]] = [:], audience: Audience, sendAt: Date? = nil,
        templateID: Int64? = nil, createdBy: String
    ) {
        self.title = title
        self.messages = messages
        self.placeholderValues = placeholderValues
        self.residentValues = residentValues
        self.audience = audience
        self.sendAt = sendAt
        self.templateID = templateID
        self.createdBy = createdBy
    }
}

/// Placeholders filled from the resident record itself.
public enum ResidentPlaceholder {
    public static let name = "氏名"
    public static let district = "地区"
}

/// Why a draft cannot become a notice. `message` is shown to staff (Japanese); `description` is for logs
/// and the CLI and never quotes the texts or values, which may hold personal data.
public enum NoticeValidationError: Error, Equatable, Sendable, CustomStringConvertible {
    case emptyTitle
    case noMessages
    case tooManyMessages(count: Int)
    case emptyMessage(messageNumber: Int)
    case malformedTemplate(reason: String)
    case unfilledPlaceholders([String])
    case textTooLong(messageNumber: Int, utf16Units: Int)
    case bodyTooLarge(bytes: Int)
    case noRecipients
    case unknownResidents(count: Int)
    case unknownDistrict
    case tooManyRecipientsForPush(count: Int)

    public var message: String {
        switch self {
        case .emptyTitle: "件名を入力してください。"
        case .noMessages: "本文を入力してください。"
        case .tooManyMessages(let count):
            "1回に送れるメッセージは\(LINELimits.maximumMessagesPerRequest)件までです（\(count)件あります）。"
        case .emptyMessage(let number): "\(number)件目のメッセージが空です。"
        case .malformedTemplate(let reason): "本文の差し込み項目の書き方が正しくありません（\(reason)）。"
        case .unfilledPlaceholders(let names):
            "差し込み項目 " + names.map { "{\($0)}" }.joined(separator: "、") + " の値がありません。"
        case .textTooLong(let number, let units):
            "\(number)件目のメッセージが長すぎます（\(units)文字、上限\(LINELimits.maximumTextUTF16Units)文字）。"
        case .bodyTooLarge: "メッセージ全体が大きすぎます。"
        case .noRecipients: "送信先がありません。"
        case .unknownResidents(let count): "登録されていない住民が\(count)件含まれています。"
        case .unknownDistrict: "その地区は登録されていません。"
        case .tooManyRecipientsForPush(let count): "送信先が多すぎます（\(count)件）。"
        }
    }

    public var description: String {
        switch self {
        case .emptyTitle: "the title is empty"
        case .noMessages: "a notice needs at least one message"
        case .tooManyMessages(let count):
            "\(count) messages; LINE takes at most \(LINELimits.maximumMessagesPerRequest) per request"
        case .emptyMessage(let number): "message \(number) is empty"
        case .malformedTemplate: "a message template is malformed"
        case .unfilledPlaceholders(let names): "unfilled placeholders: \(names.joined(separator: ", "))"
        case .textTooLong(let number, let units):
            "message \(number) has \(units) UTF-16 units; LINE takes at most \(LINELimits.maximumTextUTF16Units)"
        case .bodyTooLarge(let bytes): "a request body would be \(bytes) bytes; LINE takes at most 2 MB"
        case .noRecipients: "the audience has no residents"
        case .unknownResidents(let count): "\(count) resident ids do not exist"
        case .unknownDistrict: "no such district"
        case .tooManyRecipientsForPush(let count): "\(count) recipients"
        }
    }
}

/// The life of one frozen LINE request (see the migration for the state diagram).
public enum NoticeRequestState: String, Sendable, CaseIterable, Codable {
    case pending, sending, sent, failed, unknown
    /// Never sent: every recipient unfollowed before it went out, and they are on the fallback list.
    case dropped

    public var isFinal: Bool { self != .pending && self != .sending }
}

/// A notice's overall state, kept up to date as its requests finish.
public enum NoticeStatus: String, Sendable, Codable {
    /// Some request is still pending or sending.
    case queued
    /// Every request was accepted by LINE.
    case done
    /// A request ended failed or unknown; its recipients are on the fallback list.
    case needsAttention = "needs_attention"
}

/// Why a resident is on the printable fallback list (post or phone) instead of, or as well as, LINE.
public enum FallbackReason: String, Sendable, Codable {
    /// No active LINE link when the notice was created.
    case noLink = "no_link"
    /// LINE refused the request for good (a 4xx other than 409).
    case failed
    /// No 200 or 409 within the retry key's 24 h window: it may or may not have arrived.
    case unknown
    /// The resident blocked the official account before the request went out.
    case unfollowed
}

/// How a notice was frozen, returned to the composer.
public struct CreatedNotice: Sendable, Equatable {
    public let id: Int64
    public let personalised: Bool
    public let requestCount: Int
    public let lineRecipientCount: Int
    public let fallbackCount: Int
}
