import Foundation
import HTTP
import ServiceKit
import Store

/// A one-row read and a one-row durable write, for `bench/run` only (`serve --bench-routes`), and the same
/// write with a usage event beside it, for bench/kpi-write (the KPI counters' cost on a durable POST).
/// The table is created on demand rather than by a migration, so production schemas never carry it.
struct BenchRoutes: RouteCollection {
    let database: Database

    static func prepare(_ database: Database) throws {
        try database.write { connection in
            try connection.execute(
                "CREATE TABLE IF NOT EXISTS bench_rows (id INTEGER PRIMARY KEY, note TEXT NOT NULL, created_at TEXT NOT NULL) STRICT"
            )
        }
    }

    struct NewRow: JSONReadable {
        let note: String

        init(json: JSONObjectReader) throws {
            note = try json.string("note")
        }
    }

    struct StoredRow: Codable, JSONWritable {
        let id: Int64
        let note: String

        func writeJSON(to writer: inout JSONWriter) {
            writer.object { writer in
                writer.member("id", id)
                writer.member("note", note)
            }
        }
    }

    struct CreatedRow: Codable, JSONWritable {
        let id: Int64

        func writeJSON(to writer: inout JSONWriter) {
            writer.object { writer in writer.member("id", id) }
        }
    }

    func register(in routes: inout Routes) {
        // Inline with a deferred response: the polling thread queues the write and moves on; the 201 goes out
        // once the group commit holding the row is durable.
        routes.post("/bench/rows", maximumBodyBytes: 4096, execution: .inline, insertRow)
        routes.get("/bench/rows/:id", showRow)
        routes.post("/bench/usage-events", maximumBodyBytes: 4096, execution: .inline, insertRowWithUsageEvent)
    }

    // MARK: Handlers

    func insertRow(_ request: Request) throws -> Response {
        let row = try request.readJSON(NewRow.self)
        let now = request.receivedAt
        return .deferred { [database] complete in
            database.write(
                { connection in
                    try connection.run("INSERT INTO bench_rows (note, created_at) VALUES (?, ?)", row.note, now)
                    return connection.lastInsertRowID
                }, completion: complete)
        } render: { (id: Int64) in
            .json(CreatedRow(id: id), status: 201)
        }
    }

    /// `?persons=N`: the event's person is one of N residents (a town's population, so most acts repeat);
    /// without it each row is its own person, every event a first-seen one: the counters' dearest case.
    func insertRowWithUsageEvent(_ request: Request) throws -> Response {
        let row = try request.readJSON(NewRow.self)
        let now = request.receivedAt
        let persons = request.query("persons").flatMap { Int64($0) }.flatMap { $0 > 0 ? $0 : nil }
        return .deferred { [database] complete in
            database.write(
                { connection in
                    try connection.run("INSERT INTO bench_rows (note, created_at) VALUES (?, ?)", row.note, now)
                    let id = connection.lastInsertRowID
                    try UsageEvents.record(
                        UsageEvent(
                            source: "bench", kind: "posted", channel: .web,
                            person: .resident(id: persons.map { id % $0 + 1 } ?? id), paperPages: 1),
                        at: now, on: connection)
                    return id
                }, completion: complete)
        } render: { (id: Int64) in
            .json(CreatedRow(id: id), status: 201)
        }
    }

    func showRow(_ request: Request) throws -> Response {
        guard let id = Int64(request.parameter("id")) else { throw HTTPError.notFound }
        let row = try database.read { connection in
            try connection.queryFirst("SELECT id, note FROM bench_rows WHERE id = ?", id)
        }
        guard let row else { throw HTTPError.notFound }
        return .json(StoredRow(id: try row.get("id"), note: try row.get("note")))
    }
}
