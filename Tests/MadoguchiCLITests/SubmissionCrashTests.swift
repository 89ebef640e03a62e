import Foundation
import HTTPClient
import Store
import TestSupport
import Testing

/// A JSON submission is one durable commit. It used to be two (a draft, then its submission), so `kill -9`
/// under a load of submissions left every draft between the two behind: hundreds in the run.
@Suite("A submission interrupted by kill -9 leaves no draft behind")
struct SubmissionCrashTests {
    let directory = TemporaryDirectory()

    @Test func killDuringSubmissions_leavesNoDraft() throws {
        let path = directory.path("crash.sqlite")
        let server = try RunningServer(arguments: ["--db", path])
        let url = "http://127.0.0.1:\(server.port)/api/v1/applications"
        let accepted = Counter()
        let stop = Counter()
        let clients = 24
        let group = DispatchGroup()
        for client in 0..<clients {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                var number = 0
                while stop.value == 0 {
                    number += 1
                    let body = """
                        {"procedure_code":"road-light-report","submission_token":"crash-\(client)-\(number)-0123456789",
                         "answers":{"issue_type":"pothole","location":"本町1丁目の交差点","details":"道路に穴があります"}}
                        """
                    let response = try? EasyHandle().perform(
                        method: "POST", url: url, headers: [("Content-Type", "application/json")],
                        body: Data(body.utf8))
                    guard let response else { return }  // the server is gone
                    if response.status == 201 { accepted.add() }
                }
            }
        }
        // Killed in the middle of the load: every client has requests in flight.
        let deadline = Date().addingTimeInterval(60)
        while accepted.value < 300 && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        server.child.killHard()
        stop.add()
        group.wait()
        #expect(accepted.value >= 300, "the load never got going")

        let database = try Database(path: path)
        defer { database.close() }
        let (drafts, submitted) = try database.read { connection in
            (
                try connection.scalar("SELECT count(*) FROM applications WHERE status = 'draft'", as: Int.self) ?? -1,
                try connection.scalar("SELECT count(*) FROM applications WHERE status = 'received'", as: Int.self) ?? 0
            )
        }
        #expect(drafts == 0, "kill -9 left \(drafts) drafts behind")
        #expect(submitted >= accepted.value, "every 201 was durable")
        // Each submission is whole: its event, usage row and message committed with it.
        let incomplete = try database.read { connection in
            try connection.scalar(
                """
                SELECT count(*) FROM applications a
                WHERE NOT EXISTS (SELECT 1 FROM application_events e WHERE e.application_id = a.id)
                   OR NOT EXISTS (SELECT 1 FROM resident_messages m WHERE m.record_id = a.id AND m.source = 'applications')
                """, as: Int.self)
        }
        #expect(incomplete == 0)
        let usage = try database.read {
            try $0.scalar("SELECT count(*) FROM usage_events WHERE kind = 'submitted'", as: Int.self)
        }
        #expect(usage == submitted)
    }
}

private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
