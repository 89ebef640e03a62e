import Foundation

/// Read-only connections lent to one thread at a time. Opened lazily up to a maximum; a thread that finds
/// none free waits. In WAL mode readers see the last committed state and never block the writer.
final class ReaderPool: @unchecked Sendable {
    private let condition = NSCondition()
    private var idle: [Connection] = []
    private var opened = 0
    private var closed = false
    private let path: String
    private let configuration: DatabaseConfiguration

    init(path: String, configuration: DatabaseConfiguration) {
        self.path = path
        self.configuration = configuration
    }

    func withConnection<T>(_ body: (Connection) throws -> T) throws -> T {
        let connection = try checkOut()
        defer { checkIn(connection) }
        return try body(connection)
    }

    /// How long `close` waits for connections still lent out. A read is one short transaction, so this is
    /// only reached by a read that hangs; the close then goes on rather than blocking shutdown forever.
    static let lentConnectionsGrace: TimeInterval = 5

    /// Closes every connection: idle ones at once, lent ones as they come back. Returns once all are closed
    /// (or after `lentConnectionsGrace`), so the writer can be the last connection on the file and remove
    /// the WAL. Later reads fail with `DatabaseClosedError`.
    func close() {
        condition.lock()
        closed = true
        for connection in idle { connection.close() }
        opened -= idle.count
        idle.removeAll()
        condition.broadcast()
        let deadline = Date().addingTimeInterval(Self.lentConnectionsGrace)
        while opened > 0 && condition.wait(until: deadline) {}
        condition.unlock()
    }

    private func checkOut() throws -> Connection {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if closed { throw DatabaseClosedError() }
            if let connection = idle.popLast() { return connection }
            if opened < configuration.maximumReaders {
                opened += 1
                do {
                    return try Connection(path: path, readOnly: true, configuration: configuration)
                } catch {
                    opened -= 1
                    throw error
                }
            }
            condition.wait()
        }
    }

    private func checkIn(_ connection: Connection) {
        condition.lock()
        if closed {
            connection.close()
            opened -= 1
        } else {
            idle.append(connection)
        }
        // Broadcast: both a reader waiting for a connection and `close` waiting for the last one may listen.
        condition.broadcast()
        condition.unlock()
    }
}
