import Foundation
import HTTP
import Identity
import Security
import ServiceKit
import Store

/// Who is filling in or acting on an application from the resident side.
public enum Applicant: Sendable, Equatable {
    case resident(id: Int64)
    /// Not signed in: owns the application through its reference and secret.
    case guest
    /// 書かない窓口: a clerk enters it for a resident (`residentID`) or for someone without an account (nil).
    case counter(staffID: Int64, residentID: Int64?)

    var residentID: Int64? {
        switch self {
        case .resident(let id): id
        case .guest: nil
        case .counter(_, let residentID): residentID
        }
    }

    var channel: ApplicationChannel {
        if case .counter = self { return .counter }
        return .web
    }

    var eventActor: ApplicationActor {
        switch self {
        case .resident(let id): .resident(id: id)
        case .guest: .guest
        case .counter(let staffID, _): .staff(id: staffID)
        }
    }

    var auditActor: AuditActor {
        switch self {
        case .resident(let id): .resident(id: id)
        case .guest: .guest
        case .counter(let staffID, _): .staff(id: staffID)
        }
    }
}

/// Where a request came from, for the audit log.
public struct RequestOrigin: Sendable {
    public let clientAddress: String?
    public let requestID: String?

    public init(clientAddress: String?, requestID: String?) {
        self.clientAddress = clientAddress
        self.requestID = requestID
    }

    public static let none = RequestOrigin(clientAddress: nil, requestID: nil)
}

/// Why a workflow step on an application was refused. It answers for itself, the same way from the pages and
/// the JSON API, so the handlers just call the workflow.
public enum ApplicationStepRefused: HTTPResponseError, Equatable, Sendable {
    /// No such application, or not one the caller may act on: the same 404 as any missing page.
    case notFound
    /// The application is not in a state that allows this (e.g. withdrawing after review started).
    case conflict(String)
    /// The request itself breaks a rule (a 要訂正 without a message, a note too long); the text says which.
    case invalid(String)
    /// A well-formed value the rules refuse (422); the message names the field.
    case refusedValue(field: String, message: String)

    public var status: Int {
        switch self {
        case .notFound: HTTPError.notFound.status
        case .conflict: 409
        case .invalid: 400
        case .refusedValue: 422
        }
    }

    public var code: String {
        switch self {
        case .notFound: HTTPError.notFound.code
        case .conflict: "conflict"
        case .invalid: "bad_request"
        case .refusedValue: "invalid_field"
        }
    }

    public var message: String {
        switch self {
        case .notFound: HTTPError.notFound.message
        case .conflict(let message), .invalid(let message), .refusedValue(_, let message): message
        }
    }
}

/// The flows the HTML pages and the JSON API share. Each is one durable write: the change, its event row,
/// the resident's message, the usage event and the audit row commit together or not at all.
public struct ApplicationWorkflow: Sendable {
    public let database: Database
    public let catalog: ProcedureCatalog
    let guestThrottle: GuestLookupThrottle

    /// `throttle` is login's policy (`IdentitySettings.throttle`): the guest lookup grows its delays the same way.
    public init(database: Database, catalog: ProcedureCatalog, throttle: ThrottlePolicy = ThrottlePolicy()) {
        self.database = database
        self.catalog = catalog
        self.guestThrottle = GuestLookupThrottle(policy: throttle)
    }

    // MARK: Resident side

    /// Stores a validated form as the draft of `formToken` with its accepted files, replacing files of the
    /// same fields. Returns the draft id, or the application the token already became.
    public func saveDraft(
        procedure: Procedure, applicant: Applicant, answers: Answers, attachments: [NewAttachment], formToken: String,
        at now: Date
    ) throws -> ApplicationStore.DraftResult {
        let staffID: Int64? = if case .counter(let id, _) = applicant { id } else { nil }
        let new = NewApplication(
            procedure: procedure, residentID: applicant.residentID, channel: applicant.channel,
            enteredByStaffID: staffID, answers: answers, submissionToken: formToken)
        return try database.write { connection in
            let result = try ApplicationStore.saveDraft(new, at: now, on: connection)
            if case .saved(let id) = result {
                for attachment in attachments {
                    try ApplicationStore.replaceAttachment(applicationID: id, attachment, at: now, on: connection)
                }
            }
            return result
        }
    }

    /// Files already stored for a draft or application: field → byte count.
    public func storedFileSizes(applicationID: Int64) throws -> [String: Int] {
        try database.read { connection in
            var sizes: [String: Int] = [:]
            for info in try ApplicationStore.fetchAttachments(applicationID: applicationID, on: connection) {
                sizes[info.field, default: 0] += info.size
            }
            return sizes
        }
    }

    public enum SubmitOutcome: Sendable, Equatable {
        /// Newly submitted; `guestSecret` is shown once (nil for residents).
        case submitted(StoredApplication, guestSecret: String?)
        /// The same form was submitted before: nothing new was created.
        case alreadySubmitted(StoredApplication)
    }

    /// Submits the draft of `formToken`. A second submit of the same token returns the first application.
    public func submit(formToken: String, applicant: Applicant, origin: RequestOrigin, at now: Date) throws
        -> SubmitOutcome
    {
        try database.write(submitDraftWrite(formToken: formToken, applicant: applicant, origin: origin, at: now))
    }

    /// The same as `submit(formToken:…)`, queued: `completion` gets the outcome once the write is durable, on the
    /// writer thread, so a polling thread can answer with a deferred response instead of waiting.
    public func submit(
        formToken: String, applicant: Applicant, origin: RequestOrigin, at now: Date,
        completion: @escaping @Sendable (Result<SubmitOutcome, Error>) -> Void
    ) {
        database.write(
            submitDraftWrite(formToken: formToken, applicant: applicant, origin: origin, at: now),
            completion: completion)
    }

    private func submitDraftWrite(formToken: String, applicant: Applicant, origin: RequestOrigin, at now: Date)
        -> @Sendable (Connection) throws -> SubmitOutcome
    {
        // Made before the write: the writer thread runs every commit, so it does only what must be inside one.
        let secret = GuestSecret.generate()
        let secretHash = GuestSecret.hash(secret)
        return { [self] connection in
            guard let draft = try ApplicationStore.fetchApplication(submissionToken: formToken, on: connection),
                draft.residentID == applicant.residentID
            else { throw ApplicationStepRefused.notFound }
            guard draft.status == .draft else { return .alreadySubmitted(draft) }
            return try completeSubmission(
                of: SubmittedDraft(draft), guestSecret: (secret, secretHash), applicant: applicant, origin: origin,
                at: now, on: connection)
        }
    }

    /// The JSON API's submission as one durable commit: the application with its files, its event, the
    /// resident's message, the usage event and the audit row. It used to save a draft and then submit it in a
    /// second write, so a crash between the two left a draft behind (hundreds under load, issue #10). Queued:
    /// `completion` runs on the writer thread. The same token again finds the first application; a token that
    /// is someone else's is `notFound`.
    public func submitInOneWrite(
        procedure: Procedure, applicant: Applicant, answers: Answers, attachments: [NewAttachment], formToken: String,
        origin: RequestOrigin, at now: Date, completion: @escaping @Sendable (Result<SubmitOutcome, Error>) -> Void
    ) {
        let staffID: Int64? = if case .counter(let id, _) = applicant { id } else { nil }
        let new = NewApplication(
            procedure: procedure, residentID: applicant.residentID, channel: applicant.channel,
            enteredByStaffID: staffID, answers: answers, submissionToken: formToken)
        let secret = GuestSecret.generate()
        let secretHash = GuestSecret.hash(secret)
        database.write(
            { [self] connection in
                let isGuest = new.residentID == nil
                if attachments.isEmpty,
                    let (id, reference) = try ApplicationStore.insertSubmitted(
                        new, guestSecretHash: isGuest ? secretHash : nil, at: now, on: connection)
                {
                    try recordSubmission(
                        id: id, reference: reference, residentID: new.residentID, procedureCode: new.procedureCode,
                        applicant: applicant, origin: origin, at: now, on: connection)
                    // Not read back: every column was just written from `new`.
                    return .submitted(
                        new.stored(id: id, reference: reference, guestSecretHash: isGuest ? secretHash : nil, at: now),
                        guestSecret: isGuest ? secret : nil)
                }
                // Files, or a token that is taken (a retry, a double submit, an older draft): the draft way,
                // which finds the first application or the draft and goes on from it.
                switch try ApplicationStore.saveDraft(new, at: now, on: connection) {
                case .notOwner: throw ApplicationStepRefused.notFound
                case .alreadySubmitted(let application): return .alreadySubmitted(application)
                case .saved(let id):
                    for attachment in attachments {
                        try ApplicationStore.replaceAttachment(applicationID: id, attachment, at: now, on: connection)
                    }
                    // Not read back: the row was just written from `new`, and reading it inside the write
                    // (decoding its answers) was a third of the writer's time per submission (callgrind).
                    return try completeSubmission(
                        of: SubmittedDraft(id: id, residentID: new.residentID, procedureCode: new.procedureCode),
                        guestSecret: (secret, secretHash), applicant: applicant, origin: origin, at: now,
                        on: connection)
                }
            }, completion: completion)
    }

    /// Moves a draft to 受付 with its event, message, usage event and audit row, inside the caller's write.
    /// `guestSecret` is used only when the draft has no resident.
    private struct SubmittedDraft {
        let id: Int64
        let residentID: Int64?
        let procedureCode: String

        init(id: Int64, residentID: Int64?, procedureCode: String) {
            self.id = id
            self.residentID = residentID
            self.procedureCode = procedureCode
        }

        init(_ draft: StoredApplication) {
            self.init(id: draft.id, residentID: draft.residentID, procedureCode: draft.procedureCode)
        }
    }

    private func completeSubmission(
        of draft: SubmittedDraft, guestSecret: (secret: String, hash: String), applicant: Applicant,
        origin: RequestOrigin, at now: Date, on connection: Connection
    ) throws -> SubmitOutcome {
        let isGuest = draft.residentID == nil
        guard
            let reference = try ApplicationStore.submitDraft(
                id: draft.id, guestSecretHash: isGuest ? guestSecret.hash : nil, at: now, on: connection)
        else { throw ApplicationStepRefused.conflict("この申請は同時に二度送信されました。マイページで受付状況をご確認ください。") }
        try recordSubmission(
            id: draft.id, reference: reference, residentID: draft.residentID, procedureCode: draft.procedureCode,
            applicant: applicant, origin: origin, at: now, on: connection)
        let stored = try ApplicationStore.fetchApplication(id: draft.id, on: connection)!
        return .submitted(stored, guestSecret: isGuest ? guestSecret.secret : nil)
    }

    /// What every submission writes beside the application row: its 受付 event, the resident's message, the
    /// usage event and the audit row.
    private func recordSubmission(
        id: Int64, reference: String, residentID: Int64?, procedureCode: String, applicant: Applicant,
        origin: RequestOrigin, at now: Date, on connection: Connection
    ) throws {
        try ApplicationStore.insertEvent(
            applicationID: id, kind: .status, actor: applicant.eventActor, at: now, from: .draft, to: .received,
            on: connection)
        let procedure = catalog.procedure(code: procedureCode)
        try ResidentMessages.send(
            subject: ApplicationRules.messageSubject(procedureName: procedure?.name ?? procedureCode, to: .received),
            body: "受付番号 \(ReferenceNumber.display(reference)) で申請を受け付けました。審査の状況はこのページでお知らせします。",
            to: residentID, source: ApplicationsModule.name, recordID: id, at: now, on: connection)
        try recordUsage(
            "submitted", channel: applicant.channel, residentID: residentID, applicationID: id,
            procedureCode: procedureCode, paperPages: procedure?.paperPages, at: now, on: connection)
        try AuditLog.append(audit(applicant.auditActor, "application.submit", id, origin), at: now, on: connection)
    }

    /// 取下げ: allowed until review starts.
    public func withdraw(applicationID: Int64, applicant: Applicant, origin: RequestOrigin, at now: Date) throws {
        try database.write { connection in
            guard let application = try ApplicationStore.fetchApplication(id: applicationID, on: connection) else {
                throw ApplicationStepRefused.notFound
            }
            if application.status == .withdrawn {
                throw ApplicationStepRefused.conflict("この申請はすでに取り下げ済みです。")
            }
            guard ApplicationRules.residentMayWithdraw(application.status),
                try ApplicationStore.updateStatus(
                    id: applicationID, from: application.status, to: .withdrawn, at: now, on: connection)
            else { throw ApplicationStepRefused.conflict("この申請は審査が始まっているため、取り下げできません。担当課へご連絡ください。") }
            try ApplicationStore.insertEvent(
                applicationID: applicationID, kind: .status, actor: applicant.eventActor, at: now,
                from: application.status, to: .withdrawn, on: connection)
            try recordUsage("withdrew", channel: applicant.channel, of: application, at: now, on: connection)
            try AuditLog.append(
                audit(applicant.auditActor, "application.withdraw", applicationID, origin), at: now, on: connection)
        }
    }

    /// Edits a returned (要訂正) application and puts it back in the queue.
    public func resubmit(
        applicationID: Int64, answers: Answers, attachments: [NewAttachment], applicant: Applicant,
        origin: RequestOrigin,
        at now: Date
    ) throws {
        try database.write { connection in
            guard let application = try ApplicationStore.fetchApplication(id: applicationID, on: connection) else {
                throw ApplicationStepRefused.notFound
            }
            guard ApplicationRules.residentMayResubmit(application.status),
                try ApplicationStore.resubmitApplication(id: applicationID, answers: answers, at: now, on: connection)
            else { throw ApplicationStepRefused.conflict("この申請は訂正を受け付けていません。") }
            for attachment in attachments {
                try ApplicationStore.replaceAttachment(
                    applicationID: applicationID, attachment, at: now, on: connection)
            }
            try ApplicationStore.insertEvent(
                applicationID: applicationID, kind: .status, actor: applicant.eventActor, at: now, from: .returned,
                to: .received, message: nil, on: connection)
            try recordUsage("resubmitted", channel: applicant.channel, of: application, at: now, on: connection)
            try AuditLog.append(
                audit(applicant.auditActor, "application.resubmit", applicationID, origin), at: now, on: connection)
        }
    }

    /// A guest's lookup by reference and secret. Nil for any mismatch, without saying which part was wrong.
    /// A successful lookup is a usage event and an audited read. Throws `GuestLookupThrottled` (429) while
    /// the reference or the caller's address is locked after repeated mismatches.
    public func lookUp(reference: String, secret: String, origin: RequestOrigin, at now: Date) throws
        -> StoredApplication?
    {
        guard
            let (application, keys) = try checkGuestSecret(
                reference: reference, secret: secret, allowPurged: false, origin: origin, at: now)
        else { return nil }
        try database.write { connection in
            try guestThrottle.recordSuccess(keys, on: connection)
            try recordUsage("looked_up", channel: .web, of: application, at: now, on: connection)
            try AuditLog.append(audit(.guest, "application.read", application.id, origin), at: now, on: connection)
        }
        return application
    }

    /// The guest-owned application for a reference and secret, without recording a lookup (for the actions
    /// on the lookup page, which record their own event). Throttled like `lookUp`: each action re-checks the
    /// secret, so it would otherwise be a way round the lookup's throttle.
    public func guestApplication(reference: String, secret: String, origin: RequestOrigin, at now: Date) throws
        -> StoredApplication?
    {
        try checkGuestSecret(reference: reference, secret: secret, allowPurged: true, origin: origin, at: now)?.0
    }

    /// The application whose guest secret `secret` is, after the throttle check; a mismatch counts against
    /// the reference and the address.
    func checkGuestSecret(
        reference: String, secret: String, allowPurged: Bool, origin: RequestOrigin, at now: Date
    ) throws -> (StoredApplication, GuestLookupThrottle.Keys)? {
        let normalized = ReferenceNumber.normalize(reference)
        let keys = GuestLookupThrottle.keys(normalizedReference: normalized, origin: origin)
        let (lockedUntil, candidate) = try database.read { connection in
            (
                try guestThrottle.lockedUntil(keys, now: now, on: connection),
                try normalized.flatMap { try ApplicationStore.fetchApplication(reference: $0, on: connection) }
            )
        }
        if let lockedUntil { throw GuestLookupThrottled(lockedUntil: lockedUntil, now: now) }
        guard let application = candidate, let hash = application.guestSecretHash,
            allowPurged || application.purgedAt == nil, GuestSecret.matches(secret, hash: hash)
        else {
            try database.write { try guestThrottle.recordFailure(keys, at: now, on: $0) }
            return nil
        }
        return (application, keys)
    }

    // MARK: Staff side

    public enum ClaimOutcome: Sendable, Equatable {
        case claimed
        /// Someone else (or the same person) already holds it.
        case alreadyAssigned(staffID: Int64?)
    }

    /// Assign to me. Atomic: of two clerks claiming at once, exactly one gets `.claimed`.
    public func claim(applicationID: Int64, staff: Int64, origin: RequestOrigin, at now: Date) throws -> ClaimOutcome {
        try database.write(claimWrite(applicationID: applicationID, staff: staff, origin: origin, at: now))
    }

    /// The same as `claim(…)`, queued: `completion` gets the outcome once it is durable, on the writer thread.
    public func claim(
        applicationID: Int64, staff: Int64, origin: RequestOrigin, at now: Date,
        completion: @escaping @Sendable (Result<ClaimOutcome, Error>) -> Void
    ) {
        database.write(
            claimWrite(applicationID: applicationID, staff: staff, origin: origin, at: now), completion: completion)
    }

    private func claimWrite(applicationID: Int64, staff: Int64, origin: RequestOrigin, at now: Date)
        -> @Sendable (Connection) throws -> ClaimOutcome
    {
        { [self] connection in
            guard let application = try ApplicationStore.fetchApplication(id: applicationID, on: connection),
                application.status != .draft
            else { throw ApplicationStepRefused.notFound }
            guard try ApplicationStore.claimApplication(id: applicationID, staffID: staff, at: now, on: connection)
            else {
                return .alreadyAssigned(staffID: application.assignedStaffID)
            }
            try ApplicationStore.insertEvent(
                applicationID: applicationID, kind: .assigned, actor: .staff(id: staff), at: now, on: connection)
            try AuditLog.append(
                audit(.staff(id: staff), "application.claim", applicationID, origin), at: now, on: connection)
            return .claimed
        }
    }

    /// Gives the application back to the queue. Clerks release their own; supervisors anyone's.
    public func release(applicationID: Int64, staff: Int64, anyone: Bool, origin: RequestOrigin, at now: Date) throws {
        try database.write { connection in
            guard
                try ApplicationStore.releaseApplication(
                    id: applicationID, staffID: anyone ? nil : staff, at: now, on: connection)
            else { throw ApplicationStepRefused.conflict("この申請の担当者ではありません。") }
            try ApplicationStore.insertEvent(
                applicationID: applicationID, kind: .released, actor: .staff(id: staff), at: now, on: connection)
            try AuditLog.append(
                audit(.staff(id: staff), "application.release", applicationID, origin), at: now, on: connection)
        }
    }

    /// A staff move with its message to the resident (into the outbox) and an internal note. Only the
    /// assignee may move an application; the move must be allowed from the status the clerk saw (`from`).
    public func transition(
        applicationID: Int64, staff: Int64, from: ApplicationStatus, to: ApplicationStatus, message: String?,
        internalNote: String?, origin: RequestOrigin, at now: Date
    ) throws {
        try database.write(
            transitionWrite(
                applicationID: applicationID, staff: staff, from: from, to: to, message: message,
                internalNote: internalNote, origin: origin, at: now))
    }

    /// The same as `transition(…)`, queued: `completion` runs once it is durable, on the writer thread.
    public func transition(
        applicationID: Int64, staff: Int64, from: ApplicationStatus, to: ApplicationStatus, message: String?,
        internalNote: String?, origin: RequestOrigin, at now: Date,
        completion: @escaping @Sendable (Result<Void, Error>) -> Void
    ) {
        database.write(
            transitionWrite(
                applicationID: applicationID, staff: staff, from: from, to: to, message: message,
                internalNote: internalNote, origin: origin, at: now), completion: completion)
    }

    private func transitionWrite(
        applicationID: Int64, staff: Int64, from: ApplicationStatus, to: ApplicationStatus, message: String?,
        internalNote: String?, origin: RequestOrigin, at now: Date
    ) -> @Sendable (Connection) throws -> Void {
        { [self] connection in
            guard let application = try ApplicationStore.fetchApplication(id: applicationID, on: connection),
                application.status != .draft
            else { throw ApplicationStepRefused.notFound }
            guard application.assignedStaffID == staff else {
                throw ApplicationStepRefused.conflict("この申請を操作するには、先に「担当する」を押してください。")
            }
            guard application.status == from else {
                throw ApplicationStepRefused.conflict("この申請の状態は他の職員によって変更されています。画面を読み込み直してください。")
            }
            guard ApplicationRules.staffMayMove(from: from, to: to) else {
                throw ApplicationStepRefused.conflict("この状態には変更できません。")
            }
            guard try ApplicationStore.updateStatus(id: applicationID, from: from, to: to, at: now, on: connection)
            else {
                throw ApplicationStepRefused.conflict("この申請の状態は他の職員によって変更されています。画面を読み込み直してください。")
            }
            try ApplicationStore.insertEvent(
                applicationID: applicationID, kind: .status, actor: .staff(id: staff), at: now, from: from, to: to,
                message: message, internalNote: internalNote, on: connection)
            if let message, !message.isEmpty {
                let name = catalog.procedure(code: application.procedureCode)?.name ?? application.procedureCode
                try ResidentMessages.send(
                    to: application,
                    subject: ApplicationRules.messageSubject(procedureName: name, to: to), body: message, at: now,
                    on: connection)
            }
            try AuditLog.append(
                audit(.staff(id: staff), "application.status.\(to.rawValue)", applicationID, origin), at: now,
                on: connection)
        }
    }

    /// An internal note without a status change.
    public func addNote(applicationID: Int64, staff: Int64, note: String, origin: RequestOrigin, at now: Date) throws {
        try database.write { connection in
            guard try ApplicationStore.fetchApplication(id: applicationID, on: connection) != nil else {
                throw ApplicationStepRefused.notFound
            }
            try ApplicationStore.insertEvent(
                applicationID: applicationID, kind: .note, actor: .staff(id: staff), at: now, internalNote: note,
                on: connection)
            try AuditLog.append(
                audit(.staff(id: staff), "application.note", applicationID, origin), at: now, on: connection)
        }
    }

    // MARK: Helpers

    /// One usage event for the KPI; a guest is counted through their application.
    func recordUsage(
        _ kind: String, channel: ApplicationChannel, of application: StoredApplication, at now: Date,
        on connection: Connection
    ) throws {
        try recordUsage(
            kind, channel: channel, residentID: application.residentID, applicationID: application.id,
            procedureCode: application.procedureCode, at: now, on: connection)
    }

    func recordUsage(
        _ kind: String, channel: ApplicationChannel, residentID: Int64?, applicationID: Int64, procedureCode: String,
        paperPages: Int? = nil, at now: Date, on connection: Connection
    ) throws {
        let person = residentID.map { UsagePerson.resident(id: $0) } ?? .guest(record: "application", id: applicationID)
        try UsageEvents.record(
            UsageEvent(
                source: ApplicationsModule.name, kind: kind, channel: channel.usageChannel, person: person,
                subjectCode: procedureCode, paperPages: paperPages), at: now, on: connection)
    }

    func audit(_ actor: AuditActor, _ action: String, _ applicationID: Int64, _ origin: RequestOrigin) -> AuditEvent {
        audit(actor, action, subjectType: "application", subjectID: String(applicationID), origin)
    }

    func audit(_ actor: AuditActor, _ action: String, subjectType: String, subjectID: String, _ origin: RequestOrigin)
        -> AuditEvent
    {
        AuditEvent(
            actor: actor, action: action, subjectType: subjectType, subjectID: subjectID,
            clientAddress: origin.clientAddress, requestID: origin.requestID)
    }
}

extension ResidentMessages {
    /// A message about `application` to its resident, or — for a guest — to whoever looks it up.
    static func send(
        to application: StoredApplication, subject: String, body: String, at time: Date, on connection: Connection
    )
        throws
    {
        try send(
            subject: subject, body: body, to: application.residentID, source: ApplicationsModule.name,
            recordID: application.id, at: time, on: connection)
    }
}
