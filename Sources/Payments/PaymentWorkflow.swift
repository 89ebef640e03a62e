import Cryptography
import Foundation
import HTTP
import Security
import ServiceKit
import Store

/// The steps that change a payment. Each state change is one write holding the payment's new state, its
/// `payment_events` row, the usage event, and the charging module's own change (its `FeeSubjectHandler`),
/// so a certificate request turns 支払済み in the same commit as its fee.
public struct PaymentWorkflow: Sendable {
    public let database: Database
    public let purposes: PurposeCatalog
    /// The provider new online payments use.
    public let provider: any PaymentProvider
    let feeSubjects: [String: any FeeSubjectHandler]
    let logger: Logger

    public init(
        database: Database, purposes: PurposeCatalog, provider: any PaymentProvider,
        feeSubjects: [any FeeSubjectHandler], logger: Logger
    ) {
        self.database = database
        self.purposes = purposes
        self.provider = provider
        self.feeSubjects = Dictionary(feeSubjects.map { ($0.module, $0) }, uniquingKeysWith: { first, _ in first })
        self.logger = logger
    }

    // MARK: Creating

    /// Records a fee awaiting online payment, inside the caller's write. The same key with the same request
    /// returns the first payment; with a different one it throws `idempotencyConflict`.
    public func requestFee(_ request: FeeRequest, at time: Date, on connection: Connection) throws -> StoredPayment {
        try Self.validate(request, purposes: purposes)
        let digest = Self.requestDigest(request)
        if let existing = try PaymentStore.fetchPayment(
            subjectModule: request.subject.module, idempotencyKey: request.idempotencyKey, on: connection)
        {
            guard existing.requestDigest == digest else { throw PaymentRefused.idempotencyConflict }
            return existing
        }
        return try recordFee(request, requestDigest: digest, at: time, on: connection)
    }

    /// Stores a validated fee request as a new `created` payment with its first event. The caller has made
    /// sure no payment holds its key yet (the UNIQUE key stands behind it either way).
    func recordFee(_ request: FeeRequest, requestDigest digest: String, at time: Date, on connection: Connection)
        throws -> StoredPayment
    {
        let payment = try PaymentStore.insertPayment(
            NewPayment(
                purpose: request.purpose, subject: request.subject, payer: request.payer,
                amountYen: request.amountYen, description: request.description, channel: "web",
                provider: provider.name, returnPath: request.returnPath, idempotencyKey: request.idempotencyKey,
                requestDigest: digest, checkoutToken: SecureRandom.token()),
            at: time, on: connection)
        try PaymentStore.appendEvent(
            paymentID: payment.id, from: nil, to: .created, actor: .system,
            note: "requested by \(request.subject.module)",
            at: time, on: connection)
        return payment
    }

    static func validate(_ request: FeeRequest, purposes: PurposeCatalog) throws {
        try PaymentRules.checkAmount(request.amountYen)
        guard purposes.contains(request.purpose) else {
            throw PaymentRefused.invalidField(field: "purpose", message: "purpose が登録されていない用途です。")
        }
        guard PaymentRules.descriptionLength.contains(request.description.count) else {
            throw PaymentRefused.invalidField(field: "description", message: "description は 1〜200 文字で指定してください。")
        }
        guard request.returnPath.hasPrefix("/"), !request.returnPath.hasPrefix("//") else {
            throw PaymentRefused.invalidField(
                field: "return_path", message: "return_path はこのサーバーのパス（/ で始まる）で指定してください。")
        }
        guard (1...255).contains(request.idempotencyKey.utf8.count) else {
            throw PaymentRefused.invalidField(
                field: "idempotency_key", message: "idempotency_key は 1〜255 文字で指定してください。")
        }
        if case .guest(let reference) = request.payer, !(1...64).contains(reference.utf8.count) {
            throw PaymentRefused.invalidField(field: "payer", message: "payer の参照番号が正しくありません。")
        }
    }

    /// What a repeated request must match to count as the same request: what is paid for, by whom, how much.
    static func requestDigest(_ request: FeeRequest) -> String {
        let payer =
            switch request.payer {
            case .resident(let id): "resident:\(id)"
            case .guest(let reference): "guest:\(reference)"
            }
        return Digest.sha256Hex(
            [
                request.purpose.rawValue, request.subject.module, String(request.subject.id), payer,
                String(request.amountYen),
            ].joined(separator: "\u{1F}"))
    }

    // MARK: Moving

    /// Moves `payment` to `state` with its event, usage event and the subject handler's change. Refused with
    /// the current state when the move is not allowed.
    @discardableResult
    func transition(
        _ payment: StoredPayment, to state: PaymentState, method: PaymentMethod? = nil, actor: PaymentActor,
        note: String? = nil, at time: Date, on connection: Connection
    ) throws -> StoredPayment {
        guard payment.state.canMove(to: state) else {
            throw PaymentRefused.illegalTransition(from: payment.state, to: state)
        }
        guard
            try PaymentStore.updateState(
                id: payment.id, from: payment.state, to: state, method: method, at: time, on: connection),
            let updated = try PaymentStore.fetchPayment(id: payment.id, on: connection)
        else {
            let current = try PaymentStore.fetchPayment(id: payment.id, on: connection)?.state ?? payment.state
            throw PaymentRefused.illegalTransition(from: current, to: state)
        }
        try PaymentStore.appendEvent(
            paymentID: payment.id, from: payment.state, to: state, actor: actor, note: note, at: time, on: connection)
        if state == .captured {
            try recordPaid(updated, at: time, on: connection)
            try sendReceiptMessage(updated, at: time, on: connection)
        }
        try notifySubject(of: updated, at: time, on: connection)
        return updated
    }

    /// A move named by a person (staff cancelling, a checkout expiring): refused with 409 when not allowed.
    public func move(
        paymentID: Int64, to state: PaymentState, actor: PaymentActor, note: String? = nil, at time: Date
    ) throws -> StoredPayment {
        try database.write { connection in
            guard let payment = try PaymentStore.fetchPayment(id: paymentID, on: connection) else {
                throw PaymentRefused.notFound
            }
            return try transition(payment, to: state, actor: actor, note: note, at: time, on: connection)
        }
    }

    /// The moves that take `from` to what the provider reports: a provider may report `captured` for a payment
    /// we last saw `created` (its authorization happened in between), so the steps in between are recorded too.
    /// Empty when there is nothing to do or the report is behind us (an out-of-order webhook).
    static func path(from: PaymentState, to: PaymentState) -> [PaymentState] {
        if from == to { return [] }
        if from.canMove(to: to) {
            if from == .created && to == .captured { return [.authorized, .captured] }
            return [to]
        }
        if to == .settled && (from == .created || from == .authorized) {
            return path(from: from, to: .captured) + [.settled]
        }
        return []
    }

    /// A report of a state the payment has already passed (created → authorized → captured → settled).
    static func isBehind(_ reported: PaymentState, _ current: PaymentState) -> Bool {
        let order: [PaymentState] = [.created, .authorized, .captured, .settled]
        guard let reportedRank = order.firstIndex(of: reported), let currentRank = order.firstIndex(of: current)
        else { return false }
        return reportedRank < currentRank
    }

    /// Applies what the provider reports, inside a write. A report that is behind the payment (an `authorized`
    /// after `captured`) changes nothing; one that contradicts it (captured after we expired it) is logged.
    @discardableResult
    func apply(
        _ status: ProviderStatus, to payment: StoredPayment, actor: PaymentActor, at time: Date,
        on connection: Connection
    ) throws -> StoredPayment {
        let steps = Self.path(from: payment.state, to: status.state)
        if steps.isEmpty {
            if payment.state != status.state, !Self.isBehind(status.state, payment.state) {
                logger.warning(
                    "provider status contradicts a finished payment",
                    [
                        "payment": .int(Int(payment.id)), "state": .string(payment.state.rawValue),
                        "provider_state": .string(status.state.rawValue),
                    ])
            }
            return payment
        }
        var current = payment
        for step in steps {
            current = try transition(current, to: step, method: status.method, actor: actor, at: time, on: connection)
        }
        return current
    }

    /// Expires unpaid checkouts past their lifetime. Returns how many expired.
    @discardableResult
    public func expireOverdue(at time: Date, limit: Int = 500) throws -> Int {
        // Looked for first: the job passes every minute, and an empty transaction is still a commit on the one
        // writer (it showed as extra writes beside an application's one-commit submission).
        guard try !database.read({ try PaymentStore.fetchOverdueIDs(at: time, limit: 1, on: $0) }).isEmpty else {
            return 0
        }
        return try database.write { connection in
            var expired = 0
            for id in try PaymentStore.fetchOverdueIDs(at: time, limit: limit, on: connection) {
                guard let payment = try PaymentStore.fetchPayment(id: id, on: connection) else { continue }
                try transition(payment, to: .expired, actor: .system, at: time, on: connection)
                expired += 1
            }
            return expired
        }
    }

    /// Payments still open at the provider after this long are asked about: their webhook never came.
    static let reconcileAfter: TimeInterval = 10 * 60

    /// The status fetch for payments whose webhook never came: each unfinished payment with a provider
    /// reference, untouched for `reconcileAfter`, is asked about once per pass. A provider that cannot be
    /// reached leaves them as they are for the next pass. Returns how many changed.
    @discardableResult
    public func reconcileStale(at time: Date, limit: Int = 50) throws -> Int {
        let stale = try database.read { connection in
            try PaymentStore.fetchStaleIDs(
                before: time.addingTimeInterval(-Self.reconcileAfter), limit: limit, on: connection)
        }
        var changed = 0
        for id in stale {
            guard let payment = try database.read({ try PaymentStore.fetchPayment(id: id, on: $0) }) else { continue }
            do {
                if try reconcile(payment, at: time).state != payment.state { changed += 1 }
            } catch is ProviderUnavailable {
                continue
            }
        }
        return changed
    }

    // MARK: Online checkout

    public enum CheckoutStart: Sendable, Equatable {
        /// Send the payer here (the provider's hosted page).
        case redirect(String)
        /// Nothing to pay (any more): show the payment's page.
        case finished(StoredPayment)
    }

    /// The payer pressed 支払う: a checkout at the provider, made once; pressing again goes to the same one.
    /// A payment past its lifetime expires here and is refused with 409. A provider that cannot be reached
    /// leaves the payment `created`.
    public func startCheckout(checkoutToken: String, actor: PaymentActor, at time: Date) throws -> CheckoutStart {
        let payment = try currentPayment(checkoutToken: checkoutToken, actor: actor, at: time)
        guard payment.state == .created else {
            throw PaymentRefused.illegalTransition(from: payment.state, to: .authorized)
        }
        if let reference = payment.providerReference {
            let status = try provider.fetchStatus(reference: reference)
            if status.state == .created, let next = status.nextURL { return .redirect(next) }
            return .finished(try applyFetched(status, paymentID: payment.id, at: time))
        }
        let checkout = try provider.createCheckout(
            CheckoutRequest(
                paymentID: payment.id, amountYen: payment.amountYen, description: payment.description,
                reference: "madoguchi-\(payment.id)", returnPath: payment.payPath + "/return"))
        let stored: String = try database.write { connection in
            guard let fresh = try PaymentStore.fetchPayment(id: payment.id, on: connection) else {
                throw PaymentRefused.notFound
            }
            // Two presses at once made two checkouts: the first stored wins and the payer goes there.
            if let existing = fresh.providerReference { return existing }
            try PaymentStore.setProviderReference(
                id: payment.id, reference: checkout.reference, at: time, on: connection)
            // The provider may have called before this commit: its webhooks wait for the reference.
            try processWaitingWebhooks(reference: checkout.reference, at: time, on: connection)
            return checkout.reference
        }
        if stored == checkout.reference { return .redirect(checkout.nextURL) }
        let status = try provider.fetchStatus(reference: stored)
        return status.nextURL.map(CheckoutStart.redirect) ?? .finished(payment)
    }

    /// The payer came back from the provider: fetch the status and record it. Returns the payment as it is now.
    public func returnFromCheckout(checkoutToken: String, at time: Date) throws -> StoredPayment {
        guard let payment = try database.read({ try PaymentStore.fetchPayment(checkoutToken: checkoutToken, on: $0) })
        else { throw PaymentRefused.notFound }
        return try reconcile(payment, at: time)
    }

    /// Asks the provider about a payment that is not finished and records the answer (the status fetch that
    /// settles a payment whose webhook never came).
    @discardableResult
    public func reconcile(_ payment: StoredPayment, at time: Date) throws -> StoredPayment {
        guard !payment.state.finished, let reference = payment.providerReference else { return payment }
        let status = try provider.fetchStatus(reference: reference)
        return try applyFetched(status, paymentID: payment.id, at: time)
    }

    func applyFetched(_ status: ProviderStatus, paymentID: Int64, at time: Date) throws -> StoredPayment {
        let providerName = provider.name
        return try database.write { connection in
            guard let fresh = try PaymentStore.fetchPayment(id: paymentID, on: connection) else {
                throw PaymentRefused.notFound
            }
            return try apply(status, to: fresh, actor: .provider(name: providerName), at: time, on: connection)
        }
    }

    /// The payment behind a pay link, expired first when its checkout lifetime has passed.
    func currentPayment(checkoutToken: String, actor: PaymentActor, at time: Date) throws -> StoredPayment {
        guard let payment = try database.read({ try PaymentStore.fetchPayment(checkoutToken: checkoutToken, on: $0) })
        else { throw PaymentRefused.notFound }
        guard payment.isOverdue(at: time) else { return payment }
        return try database.write { connection in
            guard let fresh = try PaymentStore.fetchPayment(id: payment.id, on: connection) else {
                throw PaymentRefused.notFound
            }
            guard fresh.isOverdue(at: time) else { return fresh }
            return try transition(fresh, to: .expired, actor: .system, at: time, on: connection)
        }
    }

    // MARK: What other modules see

    public func charge(for payment: StoredPayment, on connection: Connection) throws -> FeeCharge {
        // Only a paid payment can have refunds: the query is skipped for the rest (every fresh payment).
        let refunded =
            payment.state.isPaid
            ? try PaymentStore.refundedYen(paymentID: payment.id, includingSubmitted: false, on: connection) : 0
        let state: FeeCharge.State =
            switch payment.state {
            case .created, .authorized: .awaitingPayment
            case .captured, .settled: refunded >= payment.amountYen ? .refunded : .paid
            case .failed: .failed
            case .cancelled: .cancelled
            case .expired: .expired
            }
        return FeeCharge(
            paymentID: payment.id, subject: payment.subject, amountYen: payment.amountYen,
            netPaidYen: payment.state.isPaid ? payment.amountYen - refunded : 0, state: state,
            payPath: state == .awaitingPayment ? payment.payPath : nil)
    }

    func notifySubject(of payment: StoredPayment, at time: Date, on connection: Connection) throws {
        guard let handler = feeSubjects[payment.subject.module] else { return }
        try handler.feeChanged(try charge(for: payment, on: connection), at: time, on: connection)
    }

    func recordPaid(_ payment: StoredPayment, at time: Date, on connection: Connection) throws {
        let person: UsagePerson =
            switch payment.payer {
            case .resident(let id): .resident(id: id)
            case .guest: .guest(record: "payment", id: payment.id)
            }
        try UsageEvents.record(
            UsageEvent(
                source: PaymentsModule.name, kind: "paid", channel: payment.channel == "counter" ? .counter : .web,
                person: person, subjectCode: payment.method?.rawValue),
            at: time, on: connection)
    }

    // MARK: Cancelling for the charging module

    /// Cancels what is still awaiting payment and records full refunds of what was paid, with an audit row.
    public func cancelOrRefundFees(
        for subject: FeeSubject, reason: String, staffID: Int64, at time: Date, on connection: Connection
    ) throws {
        for payment in try PaymentStore.fetchPayments(subject: subject, on: connection) {
            if !payment.state.finished {
                try transition(
                    payment, to: .cancelled, actor: .staff(id: staffID), note: reason, at: time, on: connection)
            } else if payment.state.isPaid {
                let outstanding =
                    payment.amountYen - (try PaymentStore.refundedYen(paymentID: payment.id, on: connection))
                guard outstanding > 0 else { continue }
                let refundID = try PaymentStore.insertRefund(
                    paymentID: payment.id, amountYen: outstanding, reason: reason, staffID: staffID,
                    cashHandedBackYen: nil, at: time, on: connection)
                try AuditLog.append(
                    AuditEvent(
                        actor: .staff(id: staffID), action: "payment.refund", subjectType: "payment_refund",
                        subjectID: String(refundID)),
                    at: time, on: connection)
            }
        }
    }
}
