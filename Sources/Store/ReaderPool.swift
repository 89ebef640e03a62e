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

    func close() {
        condition.lock()
        closed = true
        idle.removeAll()
        condition.broadcast()
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
            opened -= 1
        } else {
            idle.append(connection)
        }
        condition.signal()
        condition.unlock()
    }
}
