import Foundation
import HTTP
import Store
import TestSupport
import Testing

@testable import Applications

/// The submission's hot path reads its body with `JSONReadable` and writes its answer with `JSONWritable`
/// (issue #10): the same answers and errors as JSONDecoder and JSONEncoder gave.
@Suite("Submission JSON on the hot path")
struct SubmissionJSONTests {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    func post(_ app: TestApplication, _ body: String) throws -> (status: Int, text: String) {
        let response = try app.request(
            "POST", "/api/v1/applications", headers: [("Content-Type", "application/json")], body: Data(body.utf8))
        return (response.status, response.text)
    }

    @Test func theAnswer_isTheBytesJSONEncoderGave() throws {
        let app = try TestApplication()
        let token = "json-writable-0123456789"
        let created = try post(
            app,
            """
            {"procedure_code":"road-light-report","submission_token":"\(token)",
             "answers":{"issue_type":"pothole","location":"本町1丁目","details":"穴があります"}}
            """)
        #expect(created.status == 201)
        let stored = try #require(
            try app.database.read { try ApplicationStore.fetchApplication(submissionToken: token, on: $0) })
        for secret in ["ABCD-EFGH-JKLM", nil] {
            let json = SubmittedJSON(stored, secret: secret)
            #expect(json.jsonData() == (try Self.encoder.encode(json)))
        }
        #expect(created.text.contains("\"reference\":\"\(stored.reference ?? "?")\""))
        #expect(created.text.hasPrefix("{\"guest_secret\":\""))
    }

    /// The one-write path inserts the application as 受付 directly and does not read it back: what it answers
    /// must be the row as stored, and the answers (written with JSONWriter now) must read back unchanged.
    @Test func theOneInsert_answersTheRowAsStored_andKeepsTheAnswers() async throws {
        let app = try TestApplication()
        let workflow = try #require(app.application.modules.lazy.compactMap { $0 as? ApplicationsModule }.first)
            .workflow
        let procedure = try #require(workflow.catalog.procedure(code: "road-light-report"))
        let answers: Answers = [
            "issue_type": .text("pothole"), "location": .text("本町1丁目 \"北\" / 2番地 \\ 😀"),
            "details": .text("一行目\n二行目\u{7}"),
        ]
        for applicant in [Applicant.guest, .resident(id: try Fixtures.makeResident(app.database))] {
            let token = "one-insert-\(applicant.residentID ?? 0)-0123456789"
            let outcome = try await withCheckedThrowingContinuation { continuation in
                workflow.submitInOneWrite(
                    procedure: procedure, applicant: applicant, answers: answers, attachments: [], formToken: token,
                    origin: RequestOrigin(clientAddress: nil, requestID: nil), at: app.clock.now()
                ) { continuation.resume(with: $0) }
            }
            guard case .submitted(let answered, let secret) = outcome else {
                Issue.record("expected a new submission, got \(outcome)")
                continue
            }
            let stored = try #require(
                try app.database.read { try ApplicationStore.fetchApplication(submissionToken: token, on: $0) })
            #expect(answered == stored)
            #expect(stored.answers == answers)
            #expect(stored.status == .received)
            #expect((secret != nil) == (applicant.residentID == nil))
            let written = try app.database.read { connection in
                (
                    try connection.scalar(
                        "SELECT count(*) FROM application_events WHERE application_id = ?", stored.id, as: Int64.self),
                    try connection.scalar(
                        "SELECT count(*) FROM audit_log WHERE action = 'application.submit' AND subject_id = ?",
                        String(stored.id), as: Int64.self),
                    try connection.scalar(
                        "SELECT count(*) FROM resident_messages WHERE source = 'applications' AND record_id = ?",
                        stored.id, as: Int64.self)
                )
            }
            #expect(written == (1, 1, 1))
            // The same token again finds the first application and writes nothing.
            let again = try await withCheckedThrowingContinuation { continuation in
                workflow.submitInOneWrite(
                    procedure: procedure, applicant: applicant, answers: answers, attachments: [], formToken: token,
                    origin: RequestOrigin(clientAddress: nil, requestID: nil), at: app.clock.now()
                ) { continuation.resume(with: $0) }
            }
            #expect(again == .alreadySubmitted(stored))
        }
    }

    @Test func theBody_isReadWithJSONDecodersErrors() throws {
        let app = try TestApplication()
        let missing = try post(
            app, "{\"procedure_code\":\"road-light-report\",\"submission_token\":\"missing-0123456789\"}")
        #expect(missing.status == 400)
        #expect(missing.text.contains("必須の項目 answers がありません。"))
        let number = try post(
            app,
            "{\"procedure_code\":\"road-light-report\",\"submission_token\":\"number-0123456789\",\"answers\":{\"location\":3}}"
        )
        #expect(number.status == 400)
        #expect(number.text.contains("項目 answers.location の型が正しくありません。"))
        let mixedList = try post(
            app,
            "{\"procedure_code\":\"road-light-report\",\"submission_token\":\"list-0123456789\",\"answers\":{\"location\":[\"a\",1]}}"
        )
        #expect(mixedList.status == 400)
        #expect(mixedList.text.contains("invalid_field"))
        let malformed = try post(app, "{\"procedure_code\":")
        #expect(malformed.status == 400)
        #expect(malformed.text.contains("malformed_json"))
        let notAnObject = try post(app, "[1]")
        #expect(notAnObject.status == 400)
        #expect(notAnObject.text.contains("malformed_json"))
        let count = try app.database.read { try $0.scalar("SELECT count(*) FROM applications", as: Int.self) }
        #expect(count == 0, "nothing refused was stored")
    }

    @Test func aSubmission_isOneCommit_withItsEventMessageUsageAndAudit() throws {
        let app = try TestApplication()
        let before = app.database.writerStatistics
        let created = try post(
            app,
            """
            {"procedure_code":"road-light-report","submission_token":"one-commit-0123456789",
             "answers":{"issue_type":"pothole","location":"本町1丁目","details":"穴があります"}}
            """)
        #expect(created.status == 201)
        let after = app.database.writerStatistics
        #expect(after.writes - before.writes == 1, "one write, not a draft and then its submission")
        let rows = try app.database.read { connection in
            [
                try connection.scalar("SELECT count(*) FROM applications WHERE status = 'received'", as: Int.self),
                try connection.scalar("SELECT count(*) FROM applications WHERE status = 'draft'", as: Int.self),
                try connection.scalar("SELECT count(*) FROM application_events", as: Int.self),
                try connection.scalar(
                    "SELECT count(*) FROM resident_messages WHERE source = 'applications'", as: Int.self),
                try connection.scalar("SELECT count(*) FROM usage_events WHERE kind = 'submitted'", as: Int.self),
                try connection.scalar(
                    "SELECT count(*) FROM audit_log WHERE action = 'application.submit'", as: Int.self),
            ]
        }
        #expect(rows == [1, 0, 1, 1, 1, 1])
    }

    @Test func storedAnswers_readBackAsWritten_andAnythingElseIsRefused() throws {
        let answers: Answers = [
            "location": .text("本町1丁目 \"角\" /\\ \u{1F600}"), "days": .list(["mon", "tue"]), "empty": .list([]),
            "blank": .text(""),
        ]
        #expect(try ApplicationStore.decodeAnswers(try ApplicationStore.encode(answers)) == answers)
        for bad in ["", "[]", "{\"a\":1}", "{\"a\":[\"x\",null]}", "{\"a\":{}}", "{\"a\":\"x\"", "null"] {
            #expect(throws: RowDecodingError.self, "\(bad)") { try ApplicationStore.decodeAnswers(bad) }
        }
    }
}
