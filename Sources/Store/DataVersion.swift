import Foundation

/// What `PRAGMA data_version` answered on `Database`'s probe connection: equal values mean no connection, in
/// this process or any other (the CLI, batch jobs, a `sqlite3` shell), committed in between.
/// Only values from the same `Database` compare meaningfully. https://sqlite.org/pragma.html#pragma_data_version
public struct DataVersion: Sendable, Hashable, Comparable {
    let value: Int64

    public static func < (lhs: DataVersion, rhs: DataVersion) -> Bool { lhs.value < rhs.value }
}

/// One read-only connection that only ever runs `PRAGMA data_version`.
///
/// SQLite changes a connection's data_version when any *other* connection commits, never for its own
/// commits, so the probe must never write: the writer's commits then count like everyone else's. The pragma
/// reads the WAL index in its own short read transaction (no open transaction is kept, so the WAL is never
/// held back). One connection behind a lock rather than one per reader: values from two connections do not
/// compare, and the pragma takes a few microseconds, far less than what a cache keyed on it saves.
final class DataVersionProbe: @unchecked Sendable {
    private let lock = NSLock()
    private let path: String
    private let configuration: DatabaseConfiguration
    private var connection: Connection?
    private var closed = false

    init(path: String, configuration: DatabaseConfiguration) {
        self.path = path
        self.configuration = configuration
    }

    func current() throws -> DataVersion {
        try lock.withLock {
            if closed { throw DatabaseClosedError() }
            // Opened lazily and never reopened: a new connection would start counting from another value.
            if connection == nil {
                connection = try Connection(path: path, readOnly: true, configuration: configuration)
            }
            return DataVersion(value: try connection!.scalar("PRAGMA data_version", as: Int64.self) ?? 0)
        }
    }

    func close() {
        lock.withLock {
            closed = true
            connection?.close()
            connection = nil
        }
    }
}
