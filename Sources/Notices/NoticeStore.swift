import Foundation
import Identity
import Store

/// All SQL of the notices module: templates, the freeze, the outbox (`NoticeStore+Outbox.swift`), the
/// fallback list, LINE links, link codes and webhook events (`NoticeStore+Links.swift`).
///
/// Functions that must share a transaction with other work take a `Connection` and are internal; the
/// public ones open their own read or write.
public struct NoticeStore: Sendable {
    public let database: Database

    public init(database: Database) {
        self.database = database
    }

    // MARK: Templates

    public struct SavedTemplate: Sendable, Equatable {
        public let id: Int64
        public let name: String
        public let messages: [String]
        public let updatedAt: Date
    }

    /// Saves a template under `name`, replacing the texts of an existing one. Each text must parse.
    @discardableResult
    public func saveTemplate(name: String, messages: [String], by actor: String, now: Date) throws -> Int64 {
        guard !messages.isEmpty else { throw NoticeValidationError.noMessages }
        guard messages.count <= LINELimits.maximumMessagesPerRequest else {
            throw NoticeValidationError.tooManyMessages(count: messages.count)
        }
        for text in messages { _ = try MessageTemplate(text) }
        let json = Self.jsonText(messages)
        return try database.write { connection in
            try connection.run(
                """
                INSERT INTO notice_templates (name, messages, created_by, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (name) DO UPDATE SET messages = excluded.messages, updated_at = excluded.updated_at
                """, name, json, actor, now, now)
            return try connection.scalar("SELECT id FROM notice_templates WHERE name = ?", name, as: Int64.self)!
        }
    }

    public func fetchTemplates() throws -> [SavedTemplate] {
        try database.read { connection in
            try connection.query("SELECT id, name, messages, updated_at FROM notice_templates ORDER BY name")
                .map(Self.template)
        }
    }

    public func fetchTemplate(id: Int64) throws -> SavedTemplate? {
        try database.read { connection in
            try connection.queryFirst("SELECT id, name, messages, updated_at FROM notice_templates WHERE id = ?", id)
                .map(Self.template)
        }
    }

    private static func template(_ row: Row) throws -> SavedTemplate {
        SavedTemplate(
            id: try row.get("id"), name: try row.get("name"),
            messages: stringArray(try row.get("messages", as: String.self)), updatedAt: try row.get("updated_at"))
    }

    // MARK: Creating a notice: the freeze

    /// Resolves the audience, renders and checks every text, and freezes the notice's LINE requests — each
    /// with its endpoint, recipients, exact body and a new UUID retry key — together with one row per
    /// targeted resident, all in one transaction. Nothing is sent here; if any rule fails nothing is stored.
    public func createNotice(_ draft: NoticeDraft, now: Date) throws -> CreatedNotice {
        try database.write { connection in
            try Self.insertNotice(draft, now: now, on: connection)
        }
    }

    /// Creates the notice once per `composeToken`: the same token again (a double click, a resent form)
    /// returns the id of the notice it already created, and freezes nothing new.
    public func createNotice(_ draft: NoticeDraft, now: Date, composeToken: String) throws -> Int64 {
        try database.write { connection in
            if let existing = try connection.scalar(
                "SELECT id FROM notices WHERE compose_token = ?", composeToken, as: Int64.self)
            {
                return existing
            }
            let created = try Self.insertNotice(draft, now: now, on: connection)
            try connection.run("UPDATE notices SET compose_token = ? WHERE id = ?", composeToken, created.id)
            return created.id
        }
    }

    /// The freeze inside the caller's transaction, so other work (marking a resident message delivered)
    /// commits or rolls back with it. Validation happens before the first insert.
    static func insertNotice(_ draft: NoticeDraft, now: Date, on connection: Connection) throws -> CreatedNotice {
        let members = try Self.fetchAudienceMembers(draft.audience, on: connection)
        let plan = try NoticePlanner.plan(draft, members: members)
        let sendAt = draft.sendAt ?? now
        try connection.run(
            """
            INSERT INTO notices (title, template_id, messages, placeholder_values, audience_kind, audience,
                personalised, send_at, created_by, created_at, status, recipient_count, fallback_count)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            draft.title, draft.templateID, Self.jsonText(draft.messages), Self.jsonText(draft.placeholderValues),
            draft.audience.kind, draft.audience.storedJSON, plan.personalised, sendAt, draft.createdBy, now,
            (plan.requests.isEmpty ? NoticeStatus.done : .queued).rawValue,
            plan.lineUserIDs.count + plan.fallbacks.count, plan.fallbacks.count)
        let noticeID = connection.lastInsertRowID
        for request in plan.requests {
            try connection.run(
                """
                INSERT INTO notice_requests (notice_id, endpoint, recipients, recipient_count, payload,
                    retry_key, state, next_attempt_at, created_at)
                VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?)
                """,
                noticeID, request.endpoint.rawValue, Self.jsonText(request.recipients), request.recipients.count,
                String(decoding: request.payload, as: UTF8.self), UUID().uuidString.lowercased(), sendAt, now)
            let requestID = connection.lastInsertRowID
            for residentID in request.residentIDs {
                try connection.run(
                    """
                    INSERT INTO notice_recipients (notice_id, resident_id, line_user_id, request_id, delivery)
                    VALUES (?, ?, ?, ?, 'line')
                    """, noticeID, residentID, plan.lineUserIDs[residentID], requestID)
            }
        }
        for fallback in plan.fallbacks {
            try connection.run(
                """
                INSERT INTO notice_recipients (notice_id, resident_id, delivery, fallback_reason, fallback_text)
                VALUES (?, ?, 'fallback', ?, ?)
                """, noticeID, fallback.residentID, FallbackReason.noLink.rawValue, fallback.text)
        }
        return CreatedNotice(
            id: noticeID, personalised: plan.personalised, requestCount: plan.requests.count,
            lineRecipientCount: plan.lineUserIDs.count, fallbackCount: plan.fallbacks.count)
    }

    /// What `createNotice` would freeze, without storing anything: for the console's preview page.
    public struct NoticePreview: Sendable, Equatable {
        public let personalised: Bool
        public let requestCount: Int
        public let lineRecipientCount: Int
        public let fallbackCount: Int
        /// The texts as the first targeted resident gets them (for a personalised notice, rendered with that
        /// resident's values), one message per paragraph.
        public let firstRecipientTexts: [String]
    }

    /// Resolves the audience and runs every check of the freeze; throws the same `NoticeValidationError`s.
    /// The counts can change before the confirm (a resident links meanwhile): the freeze recounts.
    public func previewNotice(_ draft: NoticeDraft) throws -> NoticePreview {
        try database.read { connection in
            let members = try Self.fetchAudienceMembers(draft.audience, on: connection)
            let plan = try NoticePlanner.plan(draft, members: members)
            var texts: [String] = []
            if let first = members.first {
                if let request = plan.requests.first(where: { $0.residentIDs.contains(first.residentID) }),
                    let object = try? JSONSerialization.jsonObject(with: request.payload) as? [String: Any],
                    let messages = object["messages"] as? [[String: Any]]
                {
                    texts = messages.compactMap { $0["text"] as? String }
                } else if let fallback = plan.fallbacks.first(where: { $0.residentID == first.residentID }) {
                    texts = [fallback.text]
                }
            }
            return NoticePreview(
                personalised: plan.personalised, requestCount: plan.requests.count,
                lineRecipientCount: plan.lineUserIDs.count, fallbackCount: plan.fallbacks.count,
                firstRecipientTexts: texts)
        }
    }

    /// The targeted residents with their active LINE link, read inside the freeze's transaction, in id order.
    /// Residents come from Identity; only the links are this module's own.
    static func fetchAudienceMembers(_ audience: Audience, on connection: Connection) throws -> [AudienceMember] {
        let contacts: [Int64: ResidentContact]
        switch audience {
        case .resident(let id):
            contacts = try ResidentStore.fetchContacts(ids: [id], on: connection)
            guard !contacts.isEmpty else { throw NoticeValidationError.unknownResidents(count: 1) }
        case .residents(let ids):
            let unique = Set(ids)
            contacts = try ResidentStore.fetchContacts(ids: unique, on: connection)
            guard contacts.count == unique.count else {
                throw NoticeValidationError.unknownResidents(count: unique.count - contacts.count)
            }
        case .district(let code):
            guard try ResidentStore.fetchDistricts(on: connection).contains(where: { $0.code == code }) else {
                throw NoticeValidationError.unknownDistrict
            }
            contacts = try ResidentStore.fetchContacts(
                ids: try ResidentStore.fetchResidentIDs(districtCode: code, on: connection), on: connection)
        case .allLinked:
            let linked = try connection.query("SELECT resident_id FROM line_links WHERE active = 1").map {
                try $0.get("resident_id", as: Int64.self)
            }
            contacts = try ResidentStore.fetchContacts(ids: linked, on: connection)
        }
        let lineUserIDs = try fetchActiveLineUserIDs(residentIDs: contacts.keys, on: connection)
        return contacts.values.sorted { $0.id < $1.id }.map { contact in
            AudienceMember(
                residentID: contact.id, name: contact.fullName, districtName: contact.districtName,
                lineUserID: lineUserIDs[contact.id])
        }
    }

    /// Each resident's active link's LINE user id; there is at most one per resident.
    static func fetchActiveLineUserIDs(residentIDs: some Collection<Int64>, on connection: Connection) throws
        -> [Int64: String]
    {
        guard !residentIDs.isEmpty else { return [:] }
        var lineUserIDs: [Int64: String] = [:]
        for row in try connection.query(
            """
            SELECT resident_id, line_user_id FROM line_links
            WHERE active = 1 AND resident_id IN (SELECT value FROM json_each(?))
            """, jsonText(Array(residentIDs)))
        {
            lineUserIDs[try row.get("resident_id")] = try row.get("line_user_id")
        }
        return lineUserIDs
    }

    // MARK: Reading notices

    public struct NoticeSummary: Sendable, Equatable {
        public let id: Int64
        public let title: String
        public let audience: Audience?
        public let personalised: Bool
        public let sendAt: Date
        public let createdBy: String
        public let createdAt: Date
        public let status: NoticeStatus
        public let recipientCount: Int
        public let fallbackCount: Int
        /// Requests by state, e.g. `[.sent: 19, .pending: 1]`.
        public let requestStates: [NoticeRequestState: Int]
    }

    public func fetchNotice(id: Int64) throws -> NoticeSummary? {
        try fetchNotices(where: "n.id = ?", [id], limit: 1).first
    }

    /// Newest first.
    public func fetchRecentNotices(limit: Int = 50) throws -> [NoticeSummary] {
        try fetchNotices(where: "1", [], limit: limit)
    }

    private func fetchNotices(where condition: String, _ arguments: [any SQLBindable], limit: Int) throws
        -> [NoticeSummary]
    {
        try database.read { connection in
            let rows = try connection.query(
                """
                SELECT n.id, n.title, n.audience, n.personalised, n.send_at, n.created_by, n.created_at, n.status,
                       n.recipient_count, n.fallback_count,
                       (SELECT json_group_object(state, count) FROM
                           (SELECT state, count(*) AS count FROM notice_requests WHERE notice_id = n.id GROUP BY state))
                           AS request_states
                FROM notices n WHERE \(condition) ORDER BY n.id DESC LIMIT ?
                """, arguments: arguments + [limit])
            return try rows.map { row in
                var states: [NoticeRequestState: Int] = [:]
                if let json = try row.get("request_states", as: String?.self),
                    let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Int]
                {
                    for (name, count) in object {
                        if let state = NoticeRequestState(rawValue: name) { states[state] = count }
                    }
                }
                return NoticeSummary(
                    id: try row.get("id"), title: try row.get("title"),
                    audience: Audience.fromStored(try row.get("audience")), personalised: try row.get("personalised"),
                    sendAt: try row.get("send_at"), createdBy: try row.get("created_by"),
                    createdAt: try row.get("created_at"),
                    status: NoticeStatus(rawValue: try row.get("status")) ?? .queued,
                    recipientCount: try row.get("recipient_count"), fallbackCount: try row.get("fallback_count"),
                    requestStates: states)
            }
        }
    }

    /// One frozen request as stored, for the console, the dry run and tests.
    public struct OutboxRequest: Sendable, Equatable {
        public let id: Int64
        public let noticeID: Int64
        public let endpoint: LINEEndpoint
        public let recipients: [String]
        public let payload: Data
        public let retryKey: String
        public let state: NoticeRequestState
        public let attempts: Int
        public let nextAttemptAt: Date
        public let leaseOwner: String?
        public let leaseExpiresAt: Date?
        public let firstAttemptAt: Date?
        public let lastStatus: Int?
        public let failureReason: String?
        public let acceptedRequestID: String?
        public let sentAt: Date?
    }

    public func fetchRequests(noticeID: Int64) throws -> [OutboxRequest] {
        try database.read { connection in
            try connection.query("SELECT * FROM notice_requests WHERE notice_id = ? ORDER BY id", noticeID)
                .map(Self.outboxRequest)
        }
    }

    static func outboxRequest(_ row: Row) throws -> OutboxRequest {
        OutboxRequest(
            id: try row.get("id"), noticeID: try row.get("notice_id"),
            endpoint: LINEEndpoint(rawValue: try row.get("endpoint")) ?? .push,
            recipients: stringArray(try row.get("recipients", as: String.self)),
            payload: Data(try row.get("payload", as: String.self).utf8), retryKey: try row.get("retry_key"),
            state: NoticeRequestState(rawValue: try row.get("state")) ?? .unknown, attempts: try row.get("attempts"),
            nextAttemptAt: try row.get("next_attempt_at"), leaseOwner: try row.get("lease_owner"),
            leaseExpiresAt: try row.get("lease_expires_at"), firstAttemptAt: try row.get("first_attempt_at"),
            lastStatus: try row.get("last_status"), failureReason: try row.get("failure_reason"),
            acceptedRequestID: try row.get("accepted_request_id"), sentAt: try row.get("sent_at"))
    }

    // MARK: The fallback list

    /// One line of the printable fallback list: who, how to reach them, and what to tell them.
    public struct FallbackEntry: Sendable, Equatable {
        public let noticeID: Int64
        public let noticeTitle: String
        public let sendAt: Date
        public let residentID: Int64
        public let name: String
        public let nameKana: String
        public let postalCode: String
        public let address: String
        public let phone: String?
        /// `residents.contact_channel`: email, phone, post or line.
        public let contactChannel: String
        public let districtCode: String
        public let reason: FallbackReason
        public let text: String
        public let handledAt: Date?
    }

    /// Residents a notice must reach by post or phone, by notice, then district and kana order.
    public func fetchFallbackList(noticeID: Int64? = nil, includeHandled: Bool = false) throws -> [FallbackEntry] {
        try database.read { connection in
            try Self.fetchFallbackList(noticeID: noticeID, includeHandled: includeHandled, on: connection)
        }
    }

    static func fetchFallbackList(noticeID: Int64?, includeHandled: Bool, on connection: Connection) throws
        -> [FallbackEntry]
    {
        let rows = try connection.query(
            """
            SELECT nr.notice_id, n.title, n.send_at, nr.resident_id, nr.fallback_reason, nr.fallback_text,
                   nr.fallback_handled_at
            FROM notice_recipients nr
            JOIN notices n ON n.id = nr.notice_id
            WHERE nr.delivery = 'fallback' AND (? OR nr.fallback_handled_at IS NULL)
              AND (? IS NULL OR nr.notice_id = ?)
            """, includeHandled, noticeID, noticeID)
        let contacts = try ResidentStore.fetchContacts(
            ids: Set(try rows.map { try $0.get("resident_id", as: Int64.self) }), on: connection)
        let entries = try rows.compactMap { row -> FallbackEntry? in
            guard let contact = contacts[try row.get("resident_id")] else { return nil }
            return FallbackEntry(
                noticeID: try row.get("notice_id"), noticeTitle: try row.get("title"),
                sendAt: try row.get("send_at"), residentID: contact.id, name: contact.fullName,
                nameKana: contact.fullNameKana, postalCode: contact.postalCode, address: contact.address,
                phone: contact.phone, contactChannel: contact.contactChannel.rawValue,
                districtCode: contact.districtCode,
                reason: FallbackReason(rawValue: try row.get("fallback_reason")) ?? .unknown,
                text: try row.get("fallback_text"), handledAt: try row.get("fallback_handled_at"))
        }
        // By notice, then district and kana, compared as SQLite's BINARY collation compares: byte by byte.
        return entries.sorted { a, b in
            if a.noticeID != b.noticeID { return a.noticeID < b.noticeID }
            if a.districtCode != b.districtCode {
                return a.districtCode.utf8.lexicographicallyPrecedes(b.districtCode.utf8)
            }
            if a.nameKana != b.nameKana { return a.nameKana.utf8.lexicographicallyPrecedes(b.nameKana.utf8) }
            return a.residentID < b.residentID
        }
    }

    /// Staff record that the letter went out or the call was made. Returns false when there was no such
    /// open entry.
    @discardableResult
    public func markFallbackHandled(noticeID: Int64, residentID: Int64, by actor: String, now: Date) throws -> Bool {
        try database.write { connection in
            try connection.run(
                """
                UPDATE notice_recipients SET fallback_handled_at = ?, fallback_handled_by = ?
                WHERE notice_id = ? AND resident_id = ? AND delivery = 'fallback' AND fallback_handled_at IS NULL
                """, now, actor, noticeID, residentID) == 1
        }
    }

    // MARK: JSON columns

    static func jsonText<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try! encoder.encode(value), as: UTF8.self)
    }

    static func stringArray(_ json: String) -> [String] {
        (try? JSONDecoder().decode([String].self, from: Data(json.utf8))) ?? []
    }
}
