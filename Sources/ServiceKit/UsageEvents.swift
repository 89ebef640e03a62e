import Cryptography
import Formats
import Foundation
import Security
import Store
import Synchronization

/// One online (or counter) act by a person, for the KPI module: オンラインシステム利用人数 counts distinct
/// `person` keys per fiscal year, and indicators pick events by `source`, `kind` and `channel`.
public struct UsageEvent: Sendable, Equatable {
    /// The module that recorded it: its `ServiceModule.name`.
    public var source: String
    /// What happened, lowercase ASCII: `submitted`, `looked_up`, `requested`, `paid`…
    public var kind: String
    public var channel: UsageChannel
    public var person: UsagePerson
    /// What the act was about inside its module (a procedure code, a certificate type); never personal data.
    public var subjectCode: String?
    /// Sheets of paper the act saved by not being a paper form: the procedure's or certificate type's
    /// `paper_pages`. The KPI's paperless estimate sums it over online acts; nil when the act saves none.
    public var paperPages: Int?
    /// The district (`districts.code`) the act belongs to, when the module knows it: a class session's
    /// district, the resident's district. The KPI's by-district figures group by it.
    public var districtCode: String?

    public init(
        source: String, kind: String, channel: UsageChannel, person: UsagePerson, subjectCode: String? = nil,
        paperPages: Int? = nil, districtCode: String? = nil
    ) {
        self.source = source
        self.kind = kind
        self.channel = channel
        self.person = person
        self.subjectCode = subjectCode
        self.paperPages = paperPages
        self.districtCode = districtCode
    }
}

/// How the act reached the town. Counter acts (a clerk typing for a resident, 書かない窓口) are recorded so the
/// KPI can show them, but they are not online use.
public enum UsageChannel: String, Sendable, CaseIterable, Codable {
    case web
    case counter
    case line
}

/// Who acted, as far as counting distinct people goes. A guest has no resident record, so the record they
/// acted through stands in for them (`.guest(record: "application", id: 42)`).
public enum UsagePerson: Sendable, Equatable {
    case resident(id: Int64)
    case guest(record: String, id: Int64)

    /// The text under the HMAC. Changing it would split one person into two across the change, so it stays
    /// as the applications module first wrote it (`resident:7`, `guest-application:42`).
    var keyMaterial: String {
        switch self {
        case .resident(let id): "resident:\(id)"
        case .guest(let record, let id): "guest-\(record):\(id)"
        }
    }
}

/// The one writer of `usage_events`. Rows hold no personal data and survive `madoguchi purge`: the person is a
/// hex HMAC-SHA256 under a server secret, stable enough to count distinct people and useless for finding out
/// who they are.
public enum UsageEvents {
    static let secretName = "usage_resident_key"

    /// Records `event` inside the caller's write transaction, so the act and its count commit together.
    public static func record(_ event: UsageEvent, at time: Date, on connection: Connection) throws {
        let key = try personKey(event.person, at: time, on: connection)
        let fiscalYear = FiscalYear(containing: time).startYear
        try connection.run(
            """
            INSERT INTO usage_events
                (occurred_at, source, kind, channel, resident_key, subject_code, fiscal_year, paper_pages, district_code)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, time, event.source, event.kind, event.channel.rawValue, key, event.subjectCode, fiscalYear,
            event.paperPages, event.districtCode)
        // Nothing else: the KPI counters catch up from usage_events afterwards (KPICounters.catchUp), off the
        // resident's write. Session 19's counting triggers here cost 614,000 instructions per first act.
    }

    /// The pseudonymous key of `person`, as stored in `usage_events.resident_key`.
    public static func personKey(_ person: UsagePerson, at time: Date, on connection: Connection) throws -> String {
        let secret = try secret(at: time, on: connection)
        return Hex.encode(Digest.hmacSHA256(key: secret, message: Array(person.keyMaterial.utf8)))
    }

    /// Committed secrets by database file. A secret never changes once stored, and fetching it (an insert
    /// that does nothing, then a select) inside every submission's write was work on the single writer thread
    /// (issue #10).
    private static let committedSecrets = Mutex<[String: [UInt8]]>([:])

    /// Only a secret that was already there when the write began is cached: one created by this write is
    /// not committed yet and would be wrong to remember if the write rolled back.
    static func secret(at time: Date, on connection: Connection) throws -> [UInt8] {
        let path = connection.path
        let cacheable = !path.isEmpty && path != ":memory:" && !path.hasPrefix("file:")
        if cacheable, let cached = committedSecrets.withLock({ $0[path] }) { return cached }
        if let existing = try ServerSecretStore.fetchSecret(name: secretName, on: connection) {
            if cacheable { committedSecrets.withLock { $0[path] = existing } }
            return existing
        }
        return try ServerSecretStore.fetchOrCreateSecret(name: secretName, at: time, on: connection)
    }
}
