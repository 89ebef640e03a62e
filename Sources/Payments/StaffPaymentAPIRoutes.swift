import Foundation
import HTTP
import Identity
import Security
import Store

/// `/api/v1/staff/payments` for the counter and 会計: a payment with its history and refunds (an audited
/// read), refunds (supervisors only), payments taken at the counter, and cancelling an unpaid fee.
struct StaffPaymentAPIRoutes: RouteCollection {
    let workflow: PaymentWorkflow
    let authentication: Authentication

    var database: Database { workflow.database }

    func register(in routes: inout Routes) {
        let auth = authentication
        routes.auditedGet("/api/v1/staff/payments/:id", auth.staff(showPayment))
        routes.post(
            "/api/v1/staff/payments/:id/refunds", maximumBodyBytes: 4096, auth.staff(minimum: .supervisor, refund))
        routes.post("/api/v1/staff/payments/:id/counter", maximumBodyBytes: 4096, auth.staff(payAtCounter))
        routes.post("/api/v1/staff/payments/:id/cancel", maximumBodyBytes: 4096, auth.staff(cancel))
    }

    // MARK: Bodies

    struct RefundBody: JSONReadable, Sendable {
        let amountYen: Int
        let statedAvailableYen: Int
        let reason: String

        init(json: JSONObjectReader) throws {
            amountYen = try Self.yen(json, "amount_yen")
            statedAvailableYen = try Self.yen(json, "refund_amount_available", minimum: 0)
            reason = try json.string("reason")
        }

        /// Whole yen: a fraction or a string is a 422 naming the field, as an amount out of range is.
        static func yen(_ json: JSONObjectReader, _ field: String, minimum: Int = 1) throws -> Int {
            guard case .integer(let value)? = json.value(field), value >= minimum, value <= 10_000_000 else {
                if json.value(field) == nil {
                    throw HTTPError(status: 400, code: "missing_field", message: "必須の項目 \(field) がありません。")
                }
                throw PaymentRefused.invalidField(field: field, message: "\(field) は円単位の整数で指定してください。")
            }
            return Int(value)
        }
    }

    struct CounterBody: JSONReadable, Sendable {
        let method: PaymentMethod
        let cashReceivedYen: Int?

        init(json: JSONObjectReader) throws {
            guard let method = PaymentMethod(rawValue: try json.string("method")) else {
                throw PaymentRefused.invalidField(field: "method", message: "method は cash か card_terminal を指定してください。")
            }
            self.method = method
            switch json.value("cash_received_yen") {
            case nil, .null?: cashReceivedYen = nil
            case .integer(let value)?: cashReceivedYen = Int(value)
            default:
                throw PaymentRefused.invalidField(
                    field: "cash_received_yen", message: "cash_received_yen は円単位の整数で指定してください。")
            }
        }
    }

    // MARK: Handlers

    func showPayment(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let id = try request.paymentID()
        let event = request.paymentReadEvent(id: id, by: staff)
        guard
            let detail = try database.auditedRead(
                event, at: authentication.now(),
                { [workflow] connection in
                    try StaffPaymentJSON.load(id: id, workflow: workflow, on: connection)
                })
        else { throw PaymentRefused.notFound }
        return try .json(detail)
    }

    func refund(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let body = try request.readJSON(RefundBody.self)
        let refund = try workflow.refund(
            paymentID: try request.paymentID(),
            PaymentWorkflow.RefundRequest(
                amountYen: body.amountYen, statedAvailableYen: body.statedAvailableYen, reason: body.reason),
            staffID: staff.id, origin: request.paymentOrigin, at: authentication.now())
        let available = try database.read { connection in
            try PaymentStore.fetchPayment(id: refund.paymentID, on: connection).map {
                try workflow.refundableYen($0, on: connection)
            } ?? 0
        }
        return try .json(RefundJSON(refund, availableAfter: available), status: 201)
    }

    func payAtCounter(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let body = try request.readJSON(CounterBody.self)
        let payment = try workflow.payAtCounter(
            paymentID: try request.paymentID(),
            PaymentWorkflow.CounterPayment(method: body.method, cashReceivedYen: body.cashReceivedYen),
            staffID: staff.id, origin: request.paymentOrigin, at: authentication.now())
        return try .json(
            try database.read { try StaffPaymentJSON.load(id: payment.id, workflow: workflow, on: $0) }, status: 201)
    }

    func cancel(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let payment = try workflow.cancel(
            paymentID: try request.paymentID(), staffID: staff.id, origin: request.paymentOrigin,
            at: authentication.now())
        return try .json(try database.read { try StaffPaymentJSON.load(id: payment.id, workflow: workflow, on: $0) })
    }
}

/// A refund as the staff API shows it, with what is left to refund afterwards.
struct RefundJSON: Codable, Equatable {
    let refundID: Int64
    let paymentID: Int64
    let amountYen: Int
    let state: String
    let cashHandedBackYen: Int?
    let refundAmountAvailable: Int

    enum CodingKeys: String, CodingKey {
        case refundID = "refund_id"
        case paymentID = "payment_id"
        case amountYen = "amount_yen"
        case state
        case cashHandedBackYen = "cash_handed_back_yen"
        case refundAmountAvailable = "refund_amount_available"
    }

    init(_ refund: StoredRefund, availableAfter: Int) {
        refundID = refund.id
        paymentID = refund.paymentID
        amountYen = refund.amountYen
        state = refund.state.rawValue
        cashHandedBackYen = refund.cashHandedBackYen
        refundAmountAvailable = availableAfter
    }
}

/// A payment for staff: the resident-facing JSON plus its history, refunds and counter details.
struct StaffPaymentJSON: Codable, Equatable {
    struct Event: Codable, Equatable {
        let at: String
        let from: String?
        let to: String
        let actorType: String
        let actorID: Int64?
        let actorReference: String?

        enum CodingKeys: String, CodingKey {
            case at, from, to
            case actorType = "actor_type"
            case actorID = "actor_id"
            case actorReference = "actor_reference"
        }
    }

    let payment: PaymentJSON
    let refundAmountAvailable: Int
    let cashReceivedYen: Int?
    let changeYen: Int?
    let receivedByStaffID: Int64?
    let events: [Event]
    let refunds: [RefundJSON]

    enum CodingKeys: String, CodingKey {
        case payment
        case refundAmountAvailable = "refund_amount_available"
        case cashReceivedYen = "cash_received_yen"
        case changeYen = "change_yen"
        case receivedByStaffID = "received_by_staff_id"
        case events, refunds
    }

    static func load(id: Int64, workflow: PaymentWorkflow, on connection: Connection) throws -> StaffPaymentJSON? {
        guard let payment = try PaymentStore.fetchPayment(id: id, on: connection) else { return nil }
        let available = try workflow.refundableYen(payment, on: connection)
        var left = payment.amountYen
        let refunds = try PaymentStore.fetchRefunds(paymentID: id, on: connection).map { refund -> RefundJSON in
            if refund.state != .failed { left -= refund.amountYen }
            return RefundJSON(refund, availableAfter: left)
        }
        return StaffPaymentJSON(
            payment: PaymentJSON(payment, charge: try workflow.charge(for: payment, on: connection)),
            refundAmountAvailable: available, cashReceivedYen: payment.cashReceivedYen, changeYen: payment.changeYen,
            receivedByStaffID: payment.receivedByStaffID,
            events: try PaymentStore.fetchEvents(paymentID: id, on: connection).map {
                Event(
                    at: UTCTimestamp.format($0.at), from: $0.from?.rawValue, to: $0.to.rawValue,
                    actorType: $0.actorType,
                    actorID: $0.actorID, actorReference: $0.actorReference)
            },
            refunds: refunds)
    }
}

extension Request {
    /// The `:id` of a staff payment route; 404 when it cannot be a payment's.
    func paymentID() throws -> Int64 {
        guard let id = Int64(parameter("id")), id > 0 else { throw PaymentRefused.notFound }
        return id
    }

    var paymentOrigin: PaymentRequestOrigin { PaymentRequestOrigin(clientAddress: clientAddress, requestID: requestID) }

    /// The audit row of a staff member's read of payment `id` (its payer and history), page or JSON alike.
    func paymentReadEvent(id: Int64, by staff: AuthenticatedStaff) -> AuditEvent {
        AuditEvent(
            actor: staff.auditActor, action: "payment.read", subjectType: "payment", subjectID: String(id),
            clientAddress: clientAddress, requestID: requestID)
    }
}
