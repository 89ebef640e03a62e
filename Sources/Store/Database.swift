import CSQLite
import Foundation

/// The SQLite core: one writer connection behind a serial writer, and a pool of reader connections.
///
/// All concurrency rules live here:
/// - `write` queues a closure for the writer thread and returns once its transaction is durable;
/// - `read` lends a read-only connection to the calling thread, inside one read transaction so every query
///   in the closure sees the same snapshot.
/// Connections never cross threads otherwise.
public final class Database: Sendable {
    public let path: String
    public let configuration: DatabaseConfiguration
    private let writer: SerialWriter
    private let readers: ReaderPool
    private let dataVersionProbe: DataVersionProbe

    public init(path: String, configuration: DatabaseConfiguration = DatabaseConfiguration()) throws {
        guard sqlite3_threadsafe() != 0 else {
            throw SQLiteError(code: SQLITE_MISUSE, message: "SQLite was built without thread support")
        }
        self.path = path
        self.configuration = configuration
        let writerConnection = try Connection(path: path, readOnly: false, configuration: configuration)
        self.writer = SerialWriter(connection: writerConnection, path: path, configuration: configuration)
        self.readers = ReaderPool(path: path, configuration: configuration)
        self.dataVersionProbe = DataVersionProbe(path: path, configuration: configuration)
    }

    /// Changes whenever any connection — the writer, another process — has committed since the last call
    /// that returned the same value. For caches of what is rendered from the database: read the version
    /// *before* the read that fills the cache, so a commit in between makes the entry stale at once.
    public func dataVersion() throws -> DataVersion {
        try dataVersionProbe.current()
    }

    /// Runs `body` on a reader connection in one read transaction.
    public func read<T>(_ body: (Connection) throws -> T) throws -> T {
        try readers.withConnection { connection in
            try connection.run("BEGIN")
            defer { _ = try? connection.run("COMMIT") }
            return try body(connection)
        }
    }

    /// Runs `body` on the writer and returns once its changes are committed (and, at synchronous=FULL,
    /// fsynced). A throw from `body` rolls back exactly what `body` did and is rethrown here.
    ///
    /// `body` may run more than once: the writer runs a batch of writes without savepoints and, when one of
    /// them throws, rolls the batch back and runs it again with one savepoint per write. So `body` changes
    /// the database and returns a value; anything else (a counter, a cache, a message sent) belongs after
    /// the write returns, or in the completion of the deferred form.
    ///
    /// Blocks the calling thread. Never call it from inside another write closure: that would wait for itself.
    @discardableResult
    public func write<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T) throws -> T {
        precondition(!writer.isCurrentThread, "Database.write called from inside a write closure")
        #if DEBUG
            if let threadMustNotBlock = configuration.threadMustNotBlock, threadMustNotBlock() {
                preconditionFailure(
                    "Database.write would block an HTTP polling thread: register the route offloaded "
                        + "(Routes.auditedGet for audited reads) or answer with a deferred write")
            }
        #endif
        let done = DispatchSemaphore(value: 0)
        let box = ResultBox<T>()
        writer.enqueue(
            QueuedWrite(body: body) { result in
                box.result = result
                done.signal()
            })
        done.wait()
        return try box.result!.get()
    }

    /// The same as `write`, for async callers: the task suspends instead of blocking a thread.
    @discardableResult
    public func write<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            writer.enqueue(QueuedWrite(body: body) { continuation.resume(with: $0) })
        }
    }

    /// Queues `body` for the writer and returns at once; `completion` gets the result once the batch holding
    /// it is committed (or has failed). For callers that must not hold a thread while they wait, such as an
    /// HTTP polling thread answering with a deferred response. `completion` runs on the writer thread, so it
    /// must only hand the result on — anything slower delays every write behind it.
    public func write<T: Sendable>(
        _ body: @escaping @Sendable (Connection) throws -> T,
        completion: @escaping @Sendable (Result<T, Error>) -> Void
    ) {
        writer.enqueue(QueuedWrite(body: body, completion: completion))
    }

    public var writerStatistics: WriterStatistics { writer.snapshot() }

    /// False while writes fail for lack of space or with an I/O error, from the failing write until a batch
    /// commits again or the writer's once-a-second check finds room (see `StorageReserve`). `/readyz` answers
    /// 503 meanwhile; reads keep working.
    public var isAcceptingWrites: Bool { writer.isAcceptingWrites }

    deinit {
        close()
    }

    /// Finishes queued writes, then closes every connection, the writer's last, so SQLite checkpoints the
    /// WAL into the main file and removes it: after a clean stop the `.sqlite` file alone holds every row.
    /// A read in progress is waited for. Safe to call more than once.
    public func close() {
        writer.stop()
        readers.close()
        dataVersionProbe.close()
        writer.closeConnection()
    }
}

/// Hands a result from the writer thread to the waiting caller; the semaphore orders the two accesses.
private final class ResultBox<T>: @unchecked Sendable {
    var result: Result<T, Error>?
}
