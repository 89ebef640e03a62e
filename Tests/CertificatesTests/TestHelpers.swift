import Cryptography
import Foundation
import Identity
import ServiceKit
import Store
import Synchronization
import TestSupport
import Testing

@testable import Certificates

/// A fee collector that records what it was asked, with the protocol's rules (one fee per idempotency key), so
/// the fee behaviour is tested before the payments module lands. Its fees live in memory, not in the caller's
/// transaction.
final class RecordingFeeCollector: FeeCollector, Sendable {
    struct State {
        var fees: [String: FeeCharge] = [:]
        var requests: [FeeRequest] = []
        var refunds: [(FeeSubject, String)] = []
    }
    let state = Mutex(State())

    func requestFee(_ request: FeeRequest, at time: Date, on connection: Connection) throws -> FeeCharge {
        try state.withLock { state in
            if let existing = state.fees[request.idempotencyKey] {
                guard existing.amountYen == request.amountYen, existing.subject == request.subject else {
                    throw HTTPErrorStub()
                }
                return existing
            }
            state.requests.append(request)
            let charge = FeeCharge(
                paymentID: Int64(state.requests.count), subject: request.subject, amountYen: request.amountYen,
                netPaidYen: 0, state: .awaitingPayment, payPath: "/payments/\(state.requests.count)/pay")
            state.fees[request.idempotencyKey] = charge
            return charge
        }
    }

    func fees(for subject: FeeSubject, on connection: Connection) throws -> [FeeCharge] {
        state.withLock { $0.fees.values.filter { $0.subject == subject }.sorted { $0.paymentID < $1.paymentID } }
    }

    func cancelOrRefundFees(
        for subject: FeeSubject, reason: String, staffID: Int64, at time: Date, on connection: Connection
    ) throws {
        state.withLock { state in
            state.refunds.append((subject, reason))
            for (key, fee) in state.fees where fee.subject == subject {
                state.fees[key] = FeeCharge(
                    paymentID: fee.paymentID, subject: fee.subject, amountYen: fee.amountYen, netPaidYen: 0,
                    state: fee.state == .paid ? .refunded : .cancelled, payPath: nil)
            }
        }
    }

    /// What the payments module does on capture: mark it paid and call the subject's handler in the same write.
    func capture(_ subject: FeeSubject, database: Database, at time: Date) throws {
        let charge: FeeCharge? = state.withLock { state in
            guard let (key, fee) = state.fees.first(where: { $0.value.subject == subject }) else { return nil }
            let paid = FeeCharge(
                paymentID: fee.paymentID, subject: subject, amountYen: fee.amountYen, netPaidYen: fee.amountYen,
                state: .paid, payPath: nil)
            state.fees[key] = paid
            return paid
        }
        guard let charge else { return }
        try database.write { try CertificateFeeHandler().feeChanged(charge, at: time, on: $0) }
    }

    var requestCount: Int { state.withLock { $0.requests.count } }
    var refundCount: Int { state.withLock { $0.refunds.count } }
}

struct HTTPErrorStub: Error {}

enum CertificateFixtures {
    /// 2026-04-01 10:00 JST, a Wednesday.
    static let now = ManualTimeSource.defaultStart.addingTimeInterval(3600)

    static func workflow(_ database: Database, fees: (any FeeCollector)?) throws -> CertificateWorkflow {
        let catalog = try CertificateCatalog.load(
            directory: RepositoryPaths.schemas.appendingPathComponent("certificates"))
        let service = try CertificateService.load(
            file: RepositoryPaths.schemas.appendingPathComponent("certificate_service.json"), types: catalog)
        return CertificateWorkflow(database: database, catalog: catalog, service: service, fees: fees)
    }

    static func juminhyo(
        copies: Int = 2, requester: Requester = .person, delivery: Delivery = .counter, payment: PaymentChoice = .online
    ) -> NewCertificateRequest {
        NewCertificateRequest(
            typeCode: "juminhyo", copies: copies, requester: requester,
            options: ["domicile": "no", "relationship": "yes", "my_number": "no"], purpose: nil, delivery: delivery,
            pickupDate: delivery == .counter ? "2026-04-02" : nil,
            mailingAddress: delivery == .mail ? "北海道沙流郡平取町本町28番地" : nil, payment: payment, feeYen: 300 * copies,
            letterOfAttorney: nil)
    }

    /// The web form's fields for a 住民票 picked up on 2026-04-02 and paid at the counter.
    static func formFields(_ overrides: [String: String] = [:], token: String) -> [(String, String)] {
        var fields: [String: String] = [
            "form_token": token, "copies": "2", "requester": "self", "option_domicile": "no",
            "option_relationship": "yes", "option_my_number": "no", "purpose": "", "delivery": "counter",
            "pickup_date": "2026-04-02", "mailing_address": "", "payment": "counter",
        ]
        for (key, value) in overrides { fields[key] = value }
        return fields.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// The "Bad input" list as form overrides on `formFields`: the type, what is changed, the field the
    /// message stands beside and a piece of it. Online and counter entry both refuse each one.
    static let badInputs: [(code: String, overrides: [String: String], field: String, message: String)] = [
        ("juminhyo", ["copies": "11"], "copies", "1通から10通まで"),
        ("inkan", ["requester": "agent"], "requester", "代理人からの請求を受け付けていません"),
        ("juminhyo", ["requester": "agent", "option_my_number": "yes"], "option_my_number", "代理人は"),
        ("juminhyo", ["pickup_date": "2026-04-04"], "pickup_date", "閉庁日"),
        ("juminhyo", ["pickup_date": "2026-12-30"], "pickup_date", "受け取る日は30日先まで"),
        (
            "juminhyo", ["delivery": "mail", "payment": "counter", "mailing_address": "札幌市中央区北1条西2丁目"],
            "mailing_address", "住民登録の住所"
        ),
        ("juminhyo", ["requester": "agent"], "letter_of_attorney", "委任状を添付してください"),
    ]

    /// Posts each of `badInputs` through `post` (the resident's form or the clerk's) and expects the 422 with the
    /// message beside its field.
    static func expectEveryBadInputRefused(
        _ post: (_ code: String, _ fields: [(String, String)]) throws -> BrowserResponse
    ) throws {
        for (code, overrides, field, message) in badInputs {
            let response = try post(code, formFields(overrides, token: SecureRandom.token()))
            #expect(response.status == 422, "\(overrides)")
            #expect(response.text.contains("id=\"\(field)-error\""), "\(field) beside the field")
            #expect(response.text.contains(message), "\(message)")
        }
    }

    static func multipart(_ fields: [(String, String)], csrf: String, letter: (String, String, Data)? = nil)
        -> MultipartBody
    {
        var body = MultipartBody()
        body.add("csrf_token", csrf)
        for (name, value) in fields { body.add(name, value) }
        if let (filename, type, data) = letter {
            body.addFile("letter_of_attorney", filename: filename, contentType: type, data: data)
        }
        return body
    }

    static func count(_ database: Database, _ sql: String) throws -> Int {
        try database.read { try $0.scalar(sql, as: Int.self) } ?? 0
    }
}
