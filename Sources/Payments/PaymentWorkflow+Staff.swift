import Cryptography
import Foundation
import Security
import ServiceKit
import Store

/// Where a staff request came from, for the audit log.
public struct PaymentRequestOrigin: Sendable {
    public let clientAddress: String?
    public let requestID: String?

    public init(clientAddress: String?, requestID: String?) {
        self.clientAddress = clientAddress
        self.requestID = requestID
    }

    public static let none = PaymentRequestOrigin(clientAddress: nil, requestID: nil)
}

/// The staff steps: refunds, counter payments, cancelling an unpaid fee.
extension PaymentWorkflow {
    // MARK: Refunds

    public struct RefundRequest: Sendable, Equatable {
        public var amountYen: Int
        /// What the supervisor saw as still refundable (GOV.UK Pay's `refund_amount_available`).
        public var statedAvailableYen: Int
        public var reason: String

        public init(amountYen: Int, statedAvailableYen: Int, reason: String) {
            self.amountYen = amountYen
            self.statedAvailableYen = statedAvailableYen
            self.reason = reason
        }
    }

    /// Yen still refundable: captured minus what was refunded or is being refunded.
    func refundableYen(_ payment: StoredPayment, on connection: Connection) throws -> Int {
        payment.state.isPaid
            ? payment.amountYen - (try PaymentStore.refundedYen(paymentID: payment.id, on: connection)) : 0
    }

    /// A partial or full refund by a supervisor, audited. The stated available amount must be what is left
    /// (412 otherwise), and the refund never more than that. A counter payment's refund is money handed back
    /// over the desk and succeeds at once (cash: the cash handed back is recorded); an online one is recorded
    /// `submitted`, put to the provider after the commit, and marked with its answer.
    public func refund(
        paymentID: Int64, _ request: RefundRequest, staffID: Int64, origin: PaymentRequestOrigin, at time: Date
    ) throws -> StoredRefund {
        guard (1...500).contains(request.reason.count) else {
            throw PaymentRefused.invalidField(field: "reason", message: "reason（返金理由）を 1〜500 文字で入力してください。")
        }
        let (refund, payment) = try database.write { connection -> (StoredRefund, StoredPayment) in
            guard let payment = try PaymentStore.fetchPayment(id: paymentID, on: connection) else {
                throw PaymentRefused.notFound
            }
            guard payment.state.isPaid else { throw PaymentRefused.notRefundable(payment.state) }
            let available = try refundableYen(payment, on: connection)
            guard request.statedAvailableYen == available else {
                throw PaymentRefused.refundAmountAvailableMismatch(available: available)
            }
            try PaymentRules.checkAmount(request.amountYen)
            guard request.amountYen <= available else {
                throw PaymentRefused.invalidField(
                    field: "amount_yen", message: "amount_yen が返金可能額 \(available) 円を超えています。")
            }
            let atCounter = payment.method == .cash || payment.method == .cardTerminal
            let refundID = try PaymentStore.insertRefund(
                paymentID: payment.id, amountYen: request.amountYen, reason: request.reason, staffID: staffID,
                cashHandedBackYen: payment.method == .cash ? request.amountYen : nil,
                state: atCounter ? .succeeded : .submitted, at: time, on: connection)
            try AuditLog.append(
                AuditEvent(
                    actor: .staff(id: staffID), action: "payment.refund", subjectType: "payment_refund",
                    subjectID: String(refundID), clientAddress: origin.clientAddress, requestID: origin.requestID),
                at: time, on: connection)
            if atCounter { try notifySubject(of: payment, at: time, on: connection) }
            return (try PaymentStore.fetchRefund(id: refundID, on: connection)!, payment)
        }
        guard refund.state == .submitted else { return refund }
        return try sendRefund(refund, of: payment, at: time)
    }

    /// Puts a submitted refund to the provider and records the answer. A provider that cannot be reached
    /// leaves it submitted; the job tries again (the stated available amount keeps a retry from paying twice).
    func sendRefund(_ refund: StoredRefund, of payment: StoredPayment, at time: Date) throws -> StoredRefund {
        guard let reference = payment.providerReference else { return refund }
        let succeededBefore = try database.read {
            try PaymentStore.refundedYen(paymentID: payment.id, includingSubmitted: false, on: $0)
        }
        let outcome: ProviderRefundOutcome
        do {
            outcome = try provider.refund(
                reference: reference, amountYen: refund.amountYen, availableYen: payment.amountYen - succeededBefore)
        } catch is ProviderUnavailable {
            return refund
        }
        return try database.write { connection in
            switch outcome {
            case .succeeded(let providerReference):
                try PaymentStore.updateRefund(
                    id: refund.id, state: .succeeded, providerReference: providerReference ?? "-", at: time,
                    on: connection)
                if let fresh = try PaymentStore.fetchPayment(id: payment.id, on: connection) {
                    try notifySubject(of: fresh, at: time, on: connection)
                }
            case .submitted(let providerReference):
                try PaymentStore.updateRefund(
                    id: refund.id, state: .submitted, providerReference: providerReference ?? "-", at: time,
                    on: connection)
            case .refused, .availableMismatch:
                // A mismatch means the provider's books differ from ours: staff look at it; nothing is paid twice.
                try PaymentStore.updateRefund(
                    id: refund.id, state: .failed, providerReference: nil, at: time, on: connection)
                logger.warning(
                    "payment refund refused by the provider",
                    ["refund": .int(Int(refund.id)), "mismatch": .bool(outcome == .availableMismatch)])
            }
            return try PaymentStore.fetchRefund(id: refund.id, on: connection)!
        }
    }

    /// Sends refunds recorded but not yet put to the provider (a rejected request's full refund).
    @discardableResult
    func sendPendingRefunds(at time: Date) throws -> Int {
        let ids = try database.read { try PaymentStore.fetchUnsentRefundIDs(limit: 20, on: $0) }
        var sent = 0
        for id in ids {
            guard
                let (refund, payment) = try database.read({ connection -> (StoredRefund, StoredPayment)? in
                    guard let refund = try PaymentStore.fetchRefund(id: id, on: connection),
                        let payment = try PaymentStore.fetchPayment(id: refund.paymentID, on: connection)
                    else { return nil }
                    return (refund, payment)
                })
            else { continue }
            if payment.providerReference == nil || payment.method == .cash || payment.method == .cardTerminal {
                continue
            }
            if try sendRefund(refund, of: payment, at: time).state != .submitted { sent += 1 }
        }
        return sent
    }

    // MARK: At the counter

    public struct CounterPayment: Sendable, Equatable {
        public var method: PaymentMethod
        /// Cash only: what the payer handed over.
        public var cashReceivedYen: Int?

        public init(method: PaymentMethod, cashReceivedYen: Int? = nil) {
            self.method = method
            self.cashReceivedYen = cashReceivedYen
        }
    }

    /// A clerk takes the fee of `paymentID` at the counter (窓口現金 or the card terminal): a new payment for the
    /// same subject, payer and amount, captured at once and recorded with who took it and, for cash, the cash
    /// received and the change; the online one, if still open, is cancelled in the same write. Taking the same
    /// fee twice is refused (409).
    public func payAtCounter(
        paymentID: Int64, _ counter: CounterPayment, staffID: Int64, origin: PaymentRequestOrigin, at time: Date
    ) throws -> StoredPayment {
        guard counter.method == .cash || counter.method == .cardTerminal else {
            throw PaymentRefused.invalidField(field: "method", message: "method は cash か card_terminal を指定してください。")
        }
        return try database.write { connection in
            guard let online = try PaymentStore.fetchPayment(id: paymentID, on: connection) else {
                throw PaymentRefused.notFound
            }
            guard !online.state.isPaid else {
                throw PaymentRefused.illegalTransition(from: online.state, to: .captured)
            }
            var change: Int? = nil
            if counter.method == .cash {
                guard let received = counter.cashReceivedYen, received >= online.amountYen, received <= 100_000_000
                else {
                    throw PaymentRefused.invalidField(
                        field: "cash_received_yen",
                        message: "cash_received_yen（お預かり金額）は \(online.amountYen) 円以上で入力してください。")
                }
                change = received - online.amountYen
            }
            let key = "counter-\(online.id)"
            if let taken = try PaymentStore.fetchPayment(
                subjectModule: online.subject.module, idempotencyKey: key, on: connection)
            {
                throw PaymentRefused.illegalTransition(from: taken.state, to: .captured)
            }
            if !online.state.finished {
                try transition(
                    online, to: .cancelled, actor: .staff(id: staffID), note: "窓口で支払い", at: time, on: connection)
            }
            let created = try PaymentStore.insertPayment(
                NewPayment(
                    purpose: online.purpose, subject: online.subject, payer: online.payer, amountYen: online.amountYen,
                    description: online.description, channel: "counter", provider: "counter",
                    returnPath: online.returnPath, idempotencyKey: key, requestDigest: online.requestDigest,
                    checkoutToken: SecureRandom.token()),
                at: time, on: connection)
            try PaymentStore.appendEvent(
                paymentID: created.id, from: nil, to: .created, actor: .staff(id: staffID), at: time, on: connection)
            try PaymentStore.setCounterDetails(
                id: created.id, method: counter.method, staffID: staffID,
                cashReceivedYen: counter.method == .cash ? counter.cashReceivedYen : nil, changeYen: change, at: time,
                on: connection)
            let fresh = try PaymentStore.fetchPayment(id: created.id, on: connection)!
            let captured = try transition(fresh, to: .captured, actor: .staff(id: staffID), at: time, on: connection)
            try AuditLog.append(
                AuditEvent(
                    actor: .staff(id: staffID), action: "payment.counter", subjectType: "payment",
                    subjectID: String(captured.id), clientAddress: origin.clientAddress, requestID: origin.requestID),
                at: time, on: connection)
            return captured
        }
    }

    /// Staff cancel a fee that is still awaiting payment (409 with its state otherwise), audited.
    public func cancel(paymentID: Int64, staffID: Int64, origin: PaymentRequestOrigin, at time: Date) throws
        -> StoredPayment
    {
        try database.write { connection in
            guard let payment = try PaymentStore.fetchPayment(id: paymentID, on: connection) else {
                throw PaymentRefused.notFound
            }
            let cancelled = try transition(
                payment, to: .cancelled, actor: .staff(id: staffID), note: "職員による取消し", at: time, on: connection)
            try AuditLog.append(
                AuditEvent(
                    actor: .staff(id: staffID), action: "payment.cancel", subjectType: "payment",
                    subjectID: String(payment.id), clientAddress: origin.clientAddress, requestID: origin.requestID),
                at: time, on: connection)
            return cancelled
        }
    }
}
