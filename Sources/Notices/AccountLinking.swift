import Cryptography
import Foundation
import HTTP
import Security
import Store

/// Why a link code could not be issued. Answered as the same 404 as any missing page, so a counter URL
/// with a made-up resident number learns nothing.
public enum AccountLinkingError: HTTPResponseError, Equatable, Sendable, CustomStringConvertible {
    case unknownResident

    public var status: Int { HTTPError.notFound.status }
    public var code: String { HTTPError.notFound.code }
    public var message: String { HTTPError.notFound.message }
    public var description: String { "no such resident" }
}

/// Linking a resident to their LINE user id with a short one-time code.
///
/// 1. A logged-in resident (or a clerk at the counter) asks for a code: 8 characters from an alphabet without
///    look-alikes (no I, O, Q, Z, 0, 1), shown as `ABCD-EFGH`, valid for 30 minutes, stored only as SHA-256.
/// 2. The resident sends the code to the official account in LINE. The webhook's message event carries it
///    together with their LINE user id, and `WebhookEventProcessor` redeems it.
/// With 30^8 ≈ 6.6 × 10^11 codes, few valid at a time, and at most 10 wrong tries per LINE user per hour,
/// guessing is hopeless.
///
/// Every change is written to the audit log in the same transaction, with record ids only.
public struct AccountLinking: Sendable {
    public static let codeAlphabet = Array("ABCDEFGHJKLMNPRSTUVWXY23456789")
    public static let codeLength = 8
    public static let codeLifetime: TimeInterval = 30 * 60
    public static let maximumRejectedCodesPerHour = 10
    /// Messages that end the sender's link from the LINE side.
    public static let unlinkKeywords: Set<String> = ["連携解除", "解除", "UNLINK"]
    /// The audit actor for changes the LINE platform tells us about (block, unblock).
    public static let webhookActor = AuditActor.job(name: "line-webhook")

    public struct IssuedCode: Sendable, Equatable {
        /// As shown to the resident: `ABCD-EFGH`.
        public let displayCode: String
        public let expiresAt: Date
    }

    public let store: NoticeStore

    public init(store: NoticeStore) {
        self.store = store
    }

    /// A fresh code for the resident; earlier unused codes stop working. `actor` is the resident themself
    /// (マイページ) or the clerk at the counter.
    public func issueCode(
        residentID: Int64, issuedBy: NoticeStore.LinkIssuer, actor: AuditActor, now: Date
    ) throws -> IssuedCode {
        let code = SecureRandom.string(length: Self.codeLength, alphabet: Self.codeAlphabet)
        let expiresAt = now.addingTimeInterval(Self.codeLifetime)
        let hash = Self.hash(code)
        try store.database.write { connection in
            try NoticeStore.insertLinkCode(
                residentID: residentID, codeSHA256: hash, issuedBy: issuedBy, now: now, expiresAt: expiresAt,
                on: connection)
            try AuditLog.append(
                AuditEvent(
                    actor: actor, action: "line_link_code.issue", subjectType: "resident",
                    subjectID: String(residentID)), at: now, on: connection)
        }
        let middle = code.index(code.startIndex, offsetBy: Self.codeLength / 2)
        return IssuedCode(displayCode: code[..<middle] + "-" + code[middle...], expiresAt: expiresAt)
    }

    /// Ends the resident's link, from マイページ (`.resident`) or the counter (`.counter`). Returns false when
    /// there was none.
    @discardableResult
    public func unlink(residentID: Int64, reason: NoticeStore.UnlinkReason, actor: AuditActor, now: Date) throws
        -> Bool
    {
        try store.database.write { connection in
            guard
                let ended = try NoticeStore.deactivateLink(
                    residentID: residentID, reason: reason, now: now, on: connection)
            else { return false }
            try Self.audit(ended, action: "line_link.end", actor: actor, now: now, on: connection)
            return true
        }
    }

    /// Ends the link of a LINE user id (e.g. staff acting on a report from LINE's side).
    @discardableResult
    public func unlink(lineUserID: String, reason: NoticeStore.UnlinkReason, actor: AuditActor, now: Date) throws
        -> Bool
    {
        try store.database.write { connection in
            guard
                let ended = try NoticeStore.deactivateLink(
                    lineUserID: lineUserID, reason: reason, now: now, on: connection)
            else { return false }
            try Self.audit(ended, action: "line_link.end", actor: actor, now: now, on: connection)
            return true
        }
    }

    static func audit(
        _ link: NoticeStore.ChangedLink, action: String, actor: AuditActor, now: Date, on connection: Connection
    ) throws {
        try AuditLog.append(
            AuditEvent(actor: actor, action: action, subjectType: "line_link", subjectID: String(link.linkID)), at: now,
            on: connection)
    }

    /// The code inside a message, if the whole message is one: residents type on phones, so full-width
    /// letters, lower case, spaces and any kind of hyphen are accepted.
    public static func code(inMessage text: String) -> String? {
        let folded = text.precomposedStringWithCompatibilityMapping.uppercased()
        let hyphens: Set<Character> = ["-", "‐", "‑", "–", "—", "−", "ー", "_"]
        let compact = folded.filter { !$0.isWhitespace && !hyphens.contains($0) }
        guard compact.count == codeLength, compact.allSatisfy(codeAlphabet.contains) else { return nil }
        return compact
    }

    public static func isUnlinkRequest(_ text: String) -> Bool {
        unlinkKeywords.contains(
            text.precomposedStringWithCompatibilityMapping.uppercased().trimmingCharacters(in: .whitespacesAndNewlines))
    }

    static func hash(_ code: String) -> String { Digest.sha256Hex(code) }
}
