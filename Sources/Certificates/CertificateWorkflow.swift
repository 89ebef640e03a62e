import Formats
import Foundation
import HTTP
import Identity
import Security
import ServiceKit
import Store

/// Why a step on a certificate request was refused; it answers for itself on pages and in the API.
public enum CertificateStepRefused: HTTPResponseError, Equatable, Sendable {
    case notFound
    /// Someone else holds the item, the lease lapsed, or the request moved on.
    case conflict(String)
    case invalid(String)

    public var status: Int {
        switch self {
        case .notFound: 404
        case .conflict: 409
        case .invalid: 400
        }
    }

    public var code: String {
        switch self {
        case .notFound: HTTPError.notFound.code
        case .conflict: "conflict"
        case .invalid: "bad_request"
        }
    }

    public var message: String {
        switch self {
        case .notFound: HTTPError.notFound.message
        case .conflict(let message), .invalid(let message): message
        }
    }
}

/// The steps that change a request, each one `database.write` with its event row, usage event, message, fee
/// call and audit row.
public struct CertificateWorkflow: Sendable {
    public let database: Database
    public let catalog: CertificateCatalog
    public let service: CertificateService
    public let fees: (any FeeCollector)?
    public let leaseSeconds: TimeInterval

    public init(
        database: Database, catalog: CertificateCatalog, service: CertificateService, fees: (any FeeCollector)?,
        leaseSeconds: TimeInterval = CertificateRules.defaultLeaseSeconds
    ) {
        self.database = database
        self.catalog = catalog
        self.service = service
        self.fees = fees
        self.leaseSeconds = leaseSeconds
    }

    public func calendar(on connection: Connection) throws -> ServiceCalendar {
        ServiceCalendar(
            hours: service.serviceHours,
            closedDates: Set(try CertificateStore.fetchClosedDates(on: connection).map(\.date)))
    }

    public func calendar() throws -> ServiceCalendar { try database.read { try calendar(on: $0) } }

    /// When the 担当課 expects it ready: the type's processing time in service hours, and not before the
    /// chosen pickup day opens.
    public func expectedReady(
        _ request: NewCertificateRequest, type: CertificateType, calendar: ServiceCalendar, at now: Date
    )
        -> Date
    {
        let prepared = calendar.adding(serviceMinutes: type.processingMinutes, to: now)
        guard let pickup = request.pickupDate, let opening = calendar.opening(of: pickup) else { return prepared }
        return max(prepared, opening)
    }

    // MARK: Resident side

    public struct Submitted: Sendable {
        public let request: CertificateRequest
        public let charge: FeeCharge?
        /// The token had already made this request (a double submit or a reload).
        public let repeated: Bool
    }

    /// Stores the confirmed request and, for online payment, its fee, in one write. The same `token` again
    /// returns the first request and its fee; nothing new is made. A clerk entering it at the counter passes
    /// `enteredBy` (channel `.counter`): the history names the clerk and the audit log records the write.
    public func submit(
        _ new: NewCertificateRequest, residentID: Int64, channel: RequestChannel, token: String,
        enteredBy clerk: (staffID: Int64, origin: AuditOrigin)? = nil, at now: Date
    ) throws -> Submitted {
        guard let type = catalog.type(code: new.typeCode) else { throw CertificateStepRefused.notFound }
        return try database.write { [self] connection in
            let calendar = try calendar(on: connection)
            let outcome = try CertificateStore.insertRequest(
                new, residentID: residentID, department: type.department, channel: channel, submissionToken: token,
                expectedReadyAt: expectedReady(new, type: type, calendar: calendar, at: now),
                enteredByStaffID: clerk?.staffID, at: now, on: connection)
            switch outcome {
            case .existing(let id, let owner):
                guard owner == residentID, let request = try CertificateStore.fetchRequest(id: id, on: connection)
                else { throw CertificateStepRefused.notFound }
                let charge = try fees?.fees(for: Self.subject(id), on: connection).last
                return Submitted(request: request, charge: charge, repeated: true)
            case .inserted(let id):
                try UsageEvents.record(
                    UsageEvent(
                        source: CertificatesModule.name, kind: "requested",
                        channel: channel == .line ? .line : channel == .counter ? .counter : .web,
                        person: .resident(id: residentID), subjectCode: type.code,
                        paperPages: channel == .counter ? nil : type.paperPages),
                    at: now, on: connection)
                if let clerk {
                    try AuditLog.append(
                        audit(
                            "certificate_request.create", requestID: id, staffID: clerk.staffID, origin: clerk.origin),
                        at: now, on: connection)
                }
                var charge: FeeCharge?
                if new.payment == .online, let fees {
                    charge = try fees.requestFee(
                        FeeRequest(
                            purpose: .certificateFee, subject: Self.subject(id), payer: .resident(id: residentID),
                            amountYen: new.feeYen, description: "\(type.name) \(new.copies)通",
                            idempotencyKey: "certificate-request-\(id)", returnPath: "/certificates/\(id)"),
                        at: now, on: connection)
                }
                guard let request = try CertificateStore.fetchRequest(id: id, on: connection) else {
                    throw CertificateStepRefused.notFound
                }
                return Submitted(request: request, charge: charge, repeated: false)
            }
        }
    }

    public static func subject(_ id: Int64) -> FeeSubject { FeeSubject(module: CertificatesModule.name, id: id) }

    /// The resident's own request, else 404 (the same answer as one that does not exist).
    public func ownRequest(id: Int64, residentID: Int64) throws -> (CertificateRequest, [FeeCharge])? {
        try database.read { connection in
            guard let request = try CertificateStore.fetchRequest(id: id, on: connection),
                request.residentID == residentID
            else { return nil }
            return (request, try fees?.fees(for: Self.subject(id), on: connection) ?? [])
        }
    }

    // MARK: Staff side

    public struct ResidentMatch: Sendable, Equatable {
        public let id: Int64
        public let fullName: String
        public let fullNameKana: String
        public let birthDate: String
    }

    /// How many residents one counter lookup lists: a clerk looks for the one person in front of them.
    public static let residentLookupLimit = 20

    /// A clerk's lookup of the resident at the counter: by 住民番号, or by name or furigana narrowed by birth
    /// date. Audited as Identity's resident search is (`resident.search`): the query is personal data and stays
    /// out of the log, the ids listed go in, in the same write as the read.
    public func findResidents(_ lookup: ResidentLookup, staffID: Int64, origin: AuditOrigin, at now: Date) throws
        -> [ResidentMatch]
    {
        let (name, birthDate, residentNumber) = (lookup.name, lookup.birthDate, lookup.residentNumber)
        return try database.write { connection in
            var matches: [ResidentMatch]
            if let residentNumber {
                matches =
                    try ResidentStore.fetchResident(id: residentNumber, on: connection).map {
                        [
                            ResidentMatch(
                                id: $0.id, fullName: $0.profile.fullName, fullNameKana: $0.profile.fullNameKana,
                                birthDate: $0.profile.birthDate)
                        ]
                    } ?? []
            } else {
                matches = try ResidentStore.searchResidents(
                    nameContaining: name, loginID: nil, limit: birthDate == nil ? Self.residentLookupLimit : 500,
                    on: connection
                ).map {
                    ResidentMatch(
                        id: $0.id, fullName: $0.fullName, fullNameKana: $0.fullNameKana, birthDate: $0.birthDate)
                }
            }
            if let birthDate { matches = matches.filter { $0.birthDate == birthDate } }
            matches = Array(matches.prefix(Self.residentLookupLimit))
            try AuditLog.append(
                AuditEvent(
                    actor: .staff(id: staffID), action: "resident.search", subjectType: "resident",
                    subjectID: matches.isEmpty ? nil : matches.map { String($0.id) }.joined(separator: ","),
                    clientAddress: origin.clientAddress, requestID: origin.requestID),
                at: now, on: connection)
            return matches
        }
    }

    /// The resident a clerk is entering a request for, read with its audit row (`resident.read`): the name for
    /// the page and the recorded address the mailing rule checks. Nil when there is no such resident.
    public func counterResident(id: Int64, staffID: Int64, origin: AuditOrigin, at now: Date) throws
        -> CounterResident?
    {
        try database.auditedRead(
            AuditEvent(
                actor: .staff(id: staffID), action: "resident.read", subjectType: "resident", subjectID: String(id),
                clientAddress: origin.clientAddress, requestID: origin.requestID), at: now
        ) { connection in
            try ResidentStore.fetchResident(id: id, on: connection).map {
                CounterResident(id: id, name: $0.profile.fullName, address: $0.profile.address)
            }
        }
    }

    public struct CounterResident: Sendable {
        public let id: Int64
        public let name: String
        public let address: String
    }

    func audit(_ action: String, requestID: Int64, staffID: Int64, origin: AuditOrigin) -> AuditEvent {
        AuditEvent(
            actor: .staff(id: staffID), action: action, subjectType: "certificate_request",
            subjectID: String(requestID), clientAddress: origin.clientAddress, requestID: origin.requestID)
    }

    /// Claims one item: atomic, so of two clerks asking at once exactly one gets it.
    public func claim(requestID: Int64, staffID: Int64, origin: AuditOrigin, at now: Date) throws -> Bool {
        try database.write { [self] connection in
            guard
                try CertificateStore.claim(
                    requestID: requestID, staffID: staffID, until: now.addingTimeInterval(leaseSeconds), at: now,
                    on: connection)
            else { return false }
            try AuditLog.append(
                audit("certificate_request.claim", requestID: requestID, staffID: staffID, origin: origin), at: now,
                on: connection)
            return true
        }
    }

    public func claimNext(staffID: Int64, origin: AuditOrigin, at now: Date) throws -> Int64? {
        try database.write { [self] connection in
            guard
                let id = try CertificateStore.claimNext(
                    staffID: staffID, until: now.addingTimeInterval(leaseSeconds), at: now, on: connection)
            else { return nil }
            try AuditLog.append(
                audit("certificate_request.claim", requestID: id, staffID: staffID, origin: origin), at: now,
                on: connection)
            return id
        }
    }

    /// How often the detail page's heartbeat frame reloads: every 2 minutes, and at least twice per lease, so
    /// one slow or lost reload never lets the lease lapse under a clerk still at work.
    public var heartbeatSeconds: Int { Int(min(120, leaseSeconds / 2)) }

    /// The open detail page's heartbeat: pushes the caller's lease out by another lease period.
    public func heartbeat(requestID: Int64, staffID: Int64, at now: Date) throws -> Date? {
        let expiry = now.addingTimeInterval(leaseSeconds)
        return try database.write { connection in
            try CertificateStore.extendLease(
                requestID: requestID, staffID: staffID, until: expiry, at: now, on: connection)
                ? expiry : nil
        }
    }

    public func release(requestID: Int64, staffID: Int64, at now: Date) throws {
        _ = try database.write { try CertificateStore.release(requestID: requestID, staffID: staffID, on: $0) }
    }

    /// The audited staff read of one request.
    public func staffView(requestID: Int64, staffID: Int64, origin: AuditOrigin, at now: Date) throws -> StaffView? {
        try database.auditedRead(
            audit("certificate_request.read", requestID: requestID, staffID: staffID, origin: origin), at: now
        ) {
            [fees] connection in
            guard let request = try CertificateStore.fetchRequest(id: requestID, on: connection) else { return nil }
            let resident = try ResidentStore.fetchResident(id: request.residentID, on: connection)
            return StaffView(
                request: request, residentName: resident?.profile.fullName ?? "",
                residentAddress: resident?.profile.address ?? "",
                events: try CertificateStore.fetchEvents(requestID: requestID, on: connection),
                fees: try fees?.fees(for: Self.subject(requestID), on: connection) ?? [])
        }
    }

    public struct StaffView: Sendable {
        public let request: CertificateRequest
        public let residentName: String
        public let residentAddress: String
        public let events: [CertificateStore.Event]
        public let fees: [FeeCharge]
    }

    public struct ActionDetails: Sendable {
        public var mailedOn: String?
        public var identityDocument: IdentityDocument?
        public var reason: String?
        public init(mailedOn: String? = nil, identityDocument: IdentityDocument? = nil, reason: String? = nil) {
            self.mailedOn = mailedOn
            self.identityDocument = identityDocument
            self.reason = reason
        }
    }

    /// One staff move. The clerk must hold an unexpired lease: that is what keeps two clerks off one item.
    @discardableResult
    public func act(
        _ action: CertificateRules.StaffAction, requestID: Int64, staffID: Int64, details: ActionDetails,
        origin: AuditOrigin, at now: Date
    ) throws -> CertificateRequest {
        switch action {
        case .mail:
            guard details.mailedOn.flatMap(CalendarDate.parse) != nil else {
                throw CertificateStepRefused.invalid("郵送した日を入力してください。")
            }
        case .handOver:
            guard details.identityDocument != nil else {
                throw CertificateStepRefused.invalid("確認した本人確認書類の種類を選んでください。")
            }
        case .reject:
            let reason = details.reason?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            guard (1...500).contains(reason.count) else {
                throw CertificateStepRefused.invalid("交付できない理由を500文字以内で入力してください。")
            }
        case .start, .ready: break
        }
        return try database.write { [self] connection in
            guard let request = try CertificateStore.fetchRequest(id: requestID, on: connection) else {
                throw CertificateStepRefused.notFound
            }
            guard request.isHeld(by: staffID, at: now) else {
                throw CertificateStepRefused.conflict(
                    request.isHeldByAnother(than: staffID, at: now)
                        ? "ほかの職員がこの請求を処理中です。"
                        : "この請求の担当期限が切れました。もう一度「担当する」を押してください。")
            }
            guard let target = CertificateRules.target(of: action, from: request.status, delivery: request.delivery)
            else { throw CertificateStepRefused.conflict("この請求は今の状態（\(request.status.label)）ではその操作ができません。") }
            let reason = details.reason?.trimmingCharacters(in: .whitespacesAndNewlines)
            guard
                try CertificateStore.updateStatus(
                    requestID: requestID, from: request.status, to: target,
                    rejectionReason: action == .reject ? reason : nil, at: now, on: connection)
            else { throw CertificateStepRefused.conflict("この請求はすでに更新されています。") }
            try CertificateStore.recordDetails(
                requestID: requestID, mailedOn: action == .mail ? details.mailedOn.flatMap(CalendarDate.parse) : nil,
                identityDocument: action == .handOver ? details.identityDocument : nil,
                counterPaidYen: action == .handOver && request.payment == .counter ? request.feeYen : nil,
                on: connection)
            try CertificateStore.appendEvent(
                requestID: requestID, actor: ("staff", staffID), from: request.status, to: target,
                note: action == .reject ? reason : nil, at: now, on: connection)
            try AuditLog.append(
                audit("certificate_request.\(action.rawValue)", requestID: requestID, staffID: staffID, origin: origin),
                at: now, on: connection)
            try sideEffects(of: action, request: request, details: details, staffID: staffID, at: now, on: connection)
            guard let updated = try CertificateStore.fetchRequest(id: requestID, on: connection) else {
                throw CertificateStepRefused.notFound
            }
            return updated
        }
    }

    func sideEffects(
        of action: CertificateRules.StaffAction, request: CertificateRequest, details: ActionDetails, staffID: Int64,
        at now: Date, on connection: Connection
    ) throws {
        let name = catalog.type(code: request.typeCode)?.name ?? request.typeCode
        switch action {
        case .ready:
            let pickup = request.pickupDate.map { "\(CalendarDate.japanese($0))以降、" } ?? ""
            try ResidentMessages.send(
                subject: "【\(name)】交付の準備ができました",
                body:
                    "ご請求の\(name)（\(request.copies)通）の交付準備ができました。\(pickup)役場の窓口でお受け取りください。"
                    + (request.payment == .counter ? "手数料\(request.feeYen)円は窓口でお支払いください。" : "")
                    + "本人確認書類（マイナンバーカード・運転免許証など）をお持ちください。",
                to: request.residentID, source: CertificatesModule.name, recordID: request.id, at: now, on: connection)
        case .mail:
            let date = details.mailedOn.flatMap(CalendarDate.parse) ?? CalendarDate.today(at: now)
            try ResidentMessages.send(
                subject: "【\(name)】郵送しました",
                body: "ご請求の\(name)（\(request.copies)通）を\(CalendarDate.japanese(date))に、住民登録の住所へ郵送しました。",
                to: request.residentID, source: CertificatesModule.name, recordID: request.id, at: now, on: connection)
            try UsageEvents.record(
                UsageEvent(
                    source: CertificatesModule.name, kind: "mailed", channel: .counter,
                    person: .resident(id: request.residentID), subjectCode: request.typeCode),
                at: now, on: connection)
        case .handOver:
            try UsageEvents.record(
                UsageEvent(
                    source: CertificatesModule.name, kind: "picked_up", channel: .counter,
                    person: .resident(id: request.residentID), subjectCode: request.typeCode),
                at: now, on: connection)
        case .reject:
            if request.payment == .online, let fees {
                try fees.cancelOrRefundFees(
                    for: Self.subject(request.id), reason: details.reason ?? "", staffID: staffID, at: now,
                    on: connection)
            }
            try ResidentMessages.send(
                subject: "【\(name)】交付できませんでした",
                body: "ご請求の\(name)は交付できませんでした。理由：\(details.reason ?? "")"
                    + (request.payment == .online ? "　お支払いいただいた手数料は返金します。" : ""),
                to: request.residentID, source: CertificatesModule.name, recordID: request.id, at: now, on: connection)
        case .start:
            break
        }
    }

    // MARK: Calendar

    public func addClosedDate(_ date: String, reason: String, staffID: Int64, origin: AuditOrigin, at now: Date) throws
    {
        try database.write { connection in
            try CertificateStore.insertClosedDate(date, reason: reason, staffID: staffID, at: now, on: connection)
            try AuditLog.append(
                AuditEvent(
                    actor: .staff(id: staffID), action: "certificate_calendar.close", subjectType: "date",
                    subjectID: date, clientAddress: origin.clientAddress, requestID: origin.requestID),
                at: now, on: connection)
        }
    }
}

/// Where a staff action came from, for the audit row.
public struct AuditOrigin: Sendable {
    public let clientAddress: String?
    public let requestID: String?
    public init(clientAddress: String?, requestID: String?) {
        self.clientAddress = clientAddress
        self.requestID = requestID
    }
    public static let none = AuditOrigin(clientAddress: nil, requestID: nil)
}

/// Payments calls this inside the write that captures a certificate fee: the request moves to 支払済み in the
/// same transaction.
public struct CertificateFeeHandler: FeeSubjectHandler {
    public var module: String { CertificatesModule.name }
    public init() {}

    public func feeChanged(_ charge: FeeCharge, at time: Date, on connection: Connection) throws {
        guard charge.subject.module == module, charge.state == .paid else { return }
        if try CertificateStore.updateStatus(
            requestID: charge.subject.id, from: .submitted, to: .paid, at: time, on: connection)
        {
            try CertificateStore.appendEvent(
                requestID: charge.subject.id, actor: ("system", nil), from: .submitted, to: .paid, note: nil, at: time,
                on: connection)
        }
    }
}
