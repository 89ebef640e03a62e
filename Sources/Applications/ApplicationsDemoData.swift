import Cryptography
import Formats
import Foundation
import Security
import Store

/// Demo applications for `madoguchi demo-data`: a few applications of the demo resident in different states,
/// so the queue, マイページ and the review flow have something to show. Idempotent: does nothing when the
/// resident already has applications.
public enum ApplicationsDemoData {
    /// Creates, for `residentID`: a received 水道使用開始届, an in-review 粗大ごみ収集申込 held by `staffID`, a
    /// returned (要訂正) 犬の登録 and a completed 道路・街灯の不具合連絡. Returns how many it created.
    @discardableResult
    public static func seed(
        database: Database, catalog: ProcedureCatalog, residentID: Int64, staffID: Int64, at now: Date
    )
        throws -> Int
    {
        let existing = try database.read { try ApplicationStore.fetchApplications(residentID: residentID, on: $0) }
        guard existing.isEmpty else { return 0 }
        let workflow = ApplicationWorkflow(database: database, catalog: catalog)
        let plans: [(code: String, answers: Answers, moves: [(ApplicationStatus, ApplicationStatus, String?)])] = [
            (
                "water-start",
                [
                    "start_date": .text(CalendarDate.adding(days: 7, to: CalendarDate.today(at: now))),
                    "service_address": .text("北海道沙流郡平取町本町28番地"),
                    "building_type": .text("house"), "user_name": .text("平取 花子"), "user_kana": .text("ビラトリ ハナコ"),
                    "phone": .text("0145720000"), "household_size": .text("2"), "billing_method": .text("payment_slip"),
                ], []
            ),
            (
                "bulky-waste",
                [
                    "applicant_name": .text("平取 花子"), "applicant_kana": .text("ビラトリ ハナコ"),
                    "postal_code": .text("055-0192"),
                    "address": .text("北海道沙流郡平取町本町28番地"), "phone": .text("0145720000"),
                    "items": .list(["sofa", "desk"]),
                    "item_count": .text("2"),
                    "preferred_date": .text(CalendarDate.adding(days: 14, to: CalendarDate.today(at: now))),
                    "pickup_location": .text("玄関前"),
                ],
                [(.received, .inReview, "申請を受け付け、担当者が内容を確認しています。")]
            ),
            (
                "dog-registration",
                [
                    "applicant_name": .text("平取 花子"), "applicant_kana": .text("ビラトリ ハナコ"),
                    "postal_code": .text("055-0192"),
                    "address": .text("北海道沙流郡平取町本町28番地"), "phone": .text("0145720000"), "dog_name": .text("ポチ"),
                    "breed": .text("柴犬"), "coat_color": .text("赤"), "sex": .text("male"),
                    "birth_date": .text("2025-12-01"),
                    "rabies_vaccination_date": .text(CalendarDate.adding(days: -10, to: CalendarDate.today(at: now))),
                    "rabies_tag_number": .text("R8-0123"),
                ],
                [(.received, .inReview, nil), (.inReview, .returned, "注射済票番号が確認できませんでした。注射済票の番号をもう一度ご確認ください。")]
            ),
            (
                "road-light-report",
                [
                    "issue_type": .text("streetlight"), "location": .text("振内の町道、商店の向かい側"),
                    "details": .text("街灯が夜になっても点きません。"),
                    "reporter_name": .text("平取 花子"),
                ],
                [
                    (.received, .inReview, nil), (.inReview, .approved, "現地を確認しました。今週中に修理します。"),
                    (.approved, .completed, "街灯を修理しました。ご連絡ありがとうございました。"),
                ]
            ),
        ]
        var created = 0
        for plan in plans {
            guard let procedure = catalog.procedure(code: plan.code) else { continue }
            let token = SecureRandom.token()
            _ = try workflow.saveDraft(
                procedure: procedure, applicant: .resident(id: residentID), answers: plan.answers, attachments: [],
                formToken: token, at: now)
            guard
                case .submitted(let application, _) = try workflow.submit(
                    formToken: token, applicant: .resident(id: residentID), origin: .none, at: now)
            else { continue }
            if !plan.moves.isEmpty {
                _ = try workflow.claim(applicationID: application.id, staff: staffID, origin: .none, at: now)
            }
            for (from, to, message) in plan.moves {
                try workflow.transition(
                    applicationID: application.id, staff: staffID, from: from, to: to, message: message,
                    internalNote: nil,
                    origin: .none, at: now)
            }
            created += 1
        }
        return created
    }
}
