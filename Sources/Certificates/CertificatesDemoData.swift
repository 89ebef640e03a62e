import Cryptography
import Formats
import Foundation
import Store

/// Demo data for `make run`: the demo resident's requests in every state, and a board with people waiting.
/// Idempotent: does nothing when the resident already has requests.
enum CertificatesDemoData {
    static func seed(
        workflow: CertificateWorkflow, tickets: TicketWorkflow, residentID: Int64, clerkID: Int64, at now: Date
    ) throws -> [String] {
        let existing = try workflow.database.read {
            try CertificateStore.fetchRequests(residentID: residentID, limit: 1, on: $0)
        }
        guard existing.isEmpty else { return [] }
        let calendar = try workflow.calendar()
        let pickup = calendar.firstOpenDay(onOrAfter: CalendarDate.adding(days: 1, to: CalendarDate.today(at: now)))
        func request(
            _ type: String, copies: Int, delivery: Delivery, payment: PaymentChoice, options: [String: String] = [:]
        )
            -> NewCertificateRequest
        {
            let fee = (workflow.catalog.type(code: type)?.feeYen ?? 300) * copies
            return NewCertificateRequest(
                typeCode: type, copies: copies, requester: .person, options: options,
                purpose: type.hasPrefix("koseki") || type == "shotoku-kazei" ? "勤務先への提出" : nil, delivery: delivery,
                pickupDate: delivery == .counter ? pickup : nil,
                mailingAddress: delivery == .mail ? "北海道沙流郡平取町本町28番地" : nil, payment: payment, feeYen: fee,
                letterOfAttorney: nil)
        }
        let year = String(FiscalYear(containing: now).startYear)
        // (request, the staff moves after it, a reason for a rejection)
        let plans: [(NewCertificateRequest, [CertificateRules.StaffAction], CertificateWorkflow.ActionDetails)] = [
            (request("juminhyo", copies: 1, delivery: .counter, payment: .online), [], .init()),
            (request("koseki-fuhyo", copies: 1, delivery: .mail, payment: .online), [], .init()),
            (request("juminhyo-kisai", copies: 1, delivery: .counter, payment: .counter), [], .init()),
            (
                request(
                    "shotoku-kazei", copies: 2, delivery: .counter, payment: .counter, options: ["fiscal_year": year]),
                [.start], .init()
            ),
            (request("inkan", copies: 1, delivery: .counter, payment: .counter), [.start, .ready], .init()),
            (
                request("koseki-zenbu", copies: 1, delivery: .mail, payment: .online), [.start, .mail],
                .init(mailedOn: CalendarDate.today(at: now))
            ),
            (
                request("nozei", copies: 1, delivery: .counter, payment: .counter, options: ["fiscal_year": year]),
                [.start, .ready, .handOver], .init(identityDocument: .myNumberCard)
            ),
            (
                request("koseki-kojin", copies: 1, delivery: .counter, payment: .counter), [.reject],
                .init(reason: "本籍地が平取町ではないため、本籍地の市町村へ請求してください。")
            ),
        ]
        var made = 0
        for (new, moves, details) in plans {
            // Paid online: demo data has no captured payment, so the paid ones are marked so here.
            let submitted = try workflow.submit(
                new, residentID: residentID, channel: .web, token: SecureRandom.token(), at: now)
            if new.payment == .online && (new.delivery == .mail) {
                try workflow.database.write {
                    _ = try CertificateStore.updateStatus(
                        requestID: submitted.request.id, from: .submitted, to: .paid, at: now, on: $0)
                }
            }
            for move in moves {
                _ = try workflow.claim(requestID: submitted.request.id, staffID: clerkID, origin: .none, at: now)
                try workflow.act(
                    move, requestID: submitted.request.id, staffID: clerkID, details: details, origin: .none, at: now)
            }
            made += 1
        }
        // A board with people waiting: tickets in every category, one called at counter 1.
        var issued = 0
        for (category, count) in [("juminhyo-koseki", 5), ("zei", 3), ("sonota", 2)] {
            for _ in 0..<count {
                _ = try tickets.issue(category: category, via: "kiosk", at: now)
                issued += 1
            }
        }
        _ = try tickets.callNext(counter: 1, staffID: clerkID, at: now)
        return ["certificate requests added for the demo resident: \(made)", "counter tickets issued today: \(issued)"]
    }
}
