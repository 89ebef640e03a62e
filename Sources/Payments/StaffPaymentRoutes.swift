import Foundation
import HTTP
import Identity
import Security
import Store
import Web

/// `/staff/payments` in the staff console, beside the 日計表 and the reconciliation: find a payment, see it with
/// its history (an audited read), take it at the counter (窓口現金 with the cash received and the change, or the
/// card terminal), and refund it (supervisors, stating the refundable amount they saw). The HTML twins of
/// `/api/v1/staff/payments/:id/counter` and `…/refunds`, through the same workflow steps and their audit rows.
struct StaffPaymentRoutes: RouteCollection {
    let workflow: PaymentWorkflow
    let authentication: Authentication

    var database: Database { workflow.database }

    func register(in routes: inout Routes) {
        let auth = authentication
        routes.get("/staff/payments", auth.staff(showIndex))
        routes.auditedGet("/staff/payments/:id", auth.staff(showPayment))
        routes.post("/staff/payments/:id/counter", maximumBodyBytes: 4096, auth.staff(payAtCounter))
        routes.post(
            "/staff/payments/:id/refunds", maximumBodyBytes: 4096, auth.staff(minimum: .supervisor, refund))
    }

    // MARK: Handlers

    /// The latest payments and a lookup by payment or receipt number (「R2026-000123」 or 「123」).
    func showIndex(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let number = (request.query("number") ?? "").trimmingCharacters(in: .whitespaces)
        if !number.isEmpty {
            if let id = StaffPaymentPages.paymentID(fromNumber: number) {
                return .redirect(to: "/staff/payments/\(id)")
            }
            let recent = try database.read { try PaymentStore.fetchRecentPayments(limit: 30, on: $0) }
            return StaffPaymentPages.index(
                recent, purposes: workflow.purposes, number: number,
                error: "お支払い番号か領収書番号（例：R2026-000123）を入力してください。"
            ).response(status: 422)
        }
        let recent = try database.read { try PaymentStore.fetchRecentPayments(limit: 30, on: $0) }
        return StaffPaymentPages.index(recent, purposes: workflow.purposes, number: "", error: nil).response()
    }

    func showPayment(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        try detailPage(
            id: try request.paymentID(), request: request, staff: staff,
            notice: StaffPaymentPages.doneNotice(request.query("done")))
    }

    func payAtCounter(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let id = try request.paymentID()
        let fields = try request.form()
        let entered = StaffPaymentPages.CounterEntry(fields)
        var errors = FormErrors()
        let method = PaymentMethod(rawValue: entered.method).flatMap {
            $0 == .cash || $0 == .cardTerminal ? $0 : nil
        }
        if method == nil { errors.add("counter_method", "受け取った方法（現金かカード端末）を選んでください。") }
        let cash = StaffPaymentPages.yen(entered.cashReceived)
        if method == .cash && cash == nil {
            errors.add("cash_received_yen", "お預かり金額を円単位の数字で入力してください。")
        }
        if let method, errors.isEmpty {
            do {
                let taken = try workflow.payAtCounter(
                    paymentID: id,
                    PaymentWorkflow.CounterPayment(method: method, cashReceivedYen: method == .cash ? cash : nil),
                    staffID: staff.id, origin: request.paymentOrigin, at: authentication.now())
                return .redirect(to: "/staff/payments/\(taken.id)?done=counter")
            } catch PaymentRefused.invalidField(field: "cash_received_yen", _) {
                let amount = try database.read { try PaymentStore.fetchPayment(id: id, on: $0)?.amountYen } ?? 0
                errors.add("cash_received_yen", "お預かり金額が不足しています。\(YenText.format(amount))以上を入力してください。")
            } catch PaymentRefused.illegalTransition(let from, _) {
                errors.add("counter_method", "この支払いは「\(from.label)」のため、窓口で受け取れません。画面を更新してください。")
                return try detailPage(
                    id: id, request: request, staff: staff, counter: entered, counterErrors: errors, status: 409)
            }
        }
        return try detailPage(
            id: id, request: request, staff: staff, counter: entered, counterErrors: errors, status: 422)
    }

    func refund(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let id = try request.paymentID()
        let fields = try request.form()
        let entered = StaffPaymentPages.RefundEntry(fields)
        var errors = FormErrors()
        let amount = StaffPaymentPages.yen(entered.amount)
        if amount == nil || amount! < 1 { errors.add("refund_amount_yen", "返金額を1円以上の円単位の数字で入力してください。") }
        let reason = entered.reason.trimmingCharacters(in: .whitespacesAndNewlines)
        if reason.isEmpty || reason.count > 500 { errors.add("refund_reason", "返金理由を500文字以内で入力してください。") }
        guard let stated = StaffPaymentPages.yen(entered.statedAvailable) else {
            throw HTTPError.badRequest("refund_amount_available がありません。画面を更新してください。")
        }
        var status = 422
        if let amount, errors.isEmpty {
            do {
                _ = try workflow.refund(
                    paymentID: id,
                    PaymentWorkflow.RefundRequest(amountYen: amount, statedAvailableYen: stated, reason: reason),
                    staffID: staff.id, origin: request.paymentOrigin, at: authentication.now())
                return .redirect(to: "/staff/payments/\(id)?done=refunded")
            } catch PaymentRefused.refundAmountAvailableMismatch(let available) {
                // Someone refunded meanwhile: the page comes back with today's amount, and the supervisor decides
                // again instead of refunding what they meant for the old one.
                errors.add(
                    "refund_amount_yen",
                    "返金可能額が変わりました。画面を更新してください（現在の返金可能額：\(YenText.format(available))）。")
                status = 412
            } catch PaymentRefused.invalidField(field: "amount_yen", _) {
                errors.add("refund_amount_yen", "返金額が返金可能額を超えています。")
            } catch PaymentRefused.notRefundable(let state) {
                errors.add("refund_amount_yen", "この支払いは「\(state.label)」のため返金できません。")
                status = 409
            }
        }
        return try detailPage(
            id: id, request: request, staff: staff, refund: entered, refundErrors: errors, status: status)
    }

    /// The payment page, read and audited as one staff read of the payer's payment.
    func detailPage(
        id: Int64, request: Request, staff: AuthenticatedStaff, notice: String? = nil,
        counter: StaffPaymentPages.CounterEntry = .init(), counterErrors: FormErrors = FormErrors(),
        refund: StaffPaymentPages.RefundEntry = .init(), refundErrors: FormErrors = FormErrors(), status: Int = 200
    ) throws -> Response {
        let event = request.paymentReadEvent(id: id, by: staff)
        guard
            let detail = try database.auditedRead(
                event, at: authentication.now(),
                { [workflow] connection in try StaffPaymentPages.Detail.load(id: id, workflow: workflow, on: connection)
                })
        else { throw PaymentRefused.notFound }
        return StaffPaymentPages.detail(
            detail, purposes: workflow.purposes, csrfToken: staff.csrfToken, mayRefund: staff.role >= .supervisor,
            notice: notice, counter: counter, counterErrors: counterErrors, refund: refund, refundErrors: refundErrors
        ).response(status: status)
    }
}
