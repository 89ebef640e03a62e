import CSQLite
import Foundation

/// The only connection that writes. It runs on its own thread; callers queue closures and wait.
///
/// With group commit on, the thread drains every queued write, wraps the batch in one `BEGIN IMMEDIATE`,
/// runs each write in its own SAVEPOINT, commits once, and only then answers the callers. A write that
/// throws rolls back only its savepoint. Nobody hears "done" before the COMMIT (and its fsync) returned,
/// so durability is the same as one transaction per write; only the fsync is shared.
final class SerialWriter: @unchecked Sendable {
    // Everything below is guarded by `condition`, except `connection`, which only the writer thread touches.
    private let condition = NSCondition()
    private var queue: [any PendingWrite] = []
    private var stopping = false
    private var stopped = false
    private var statistics = WriterStatistics()
    private let connection: Connection
    private let configuration: DatabaseConfiguration
    private var thread: Thread?
    /// Only the writer thread touches it (see `ReadLockAnchor`); nil if it could not be opened.
    private var anchor: ReadLockAnchor?
    /// Only the writer thread touches the reserve and `lastStorageProbe`.
    private let reserve: StorageReserve
    private var lastStorageProbe = Date.distantPast
    /// True from a write that failed for lack of space (or an I/O error) until a batch commits again or the
    /// idle probe finds room. Guarded by `condition`; `/readyz` reads it.
    private var writesFailing = false

    init(connection: Connection, path: String, configuration: DatabaseConfiguration) {
        self.connection = connection
        self.configuration = configuration
        self.anchor = try? ReadLockAnchor(path: path, configuration: configuration)
        self.reserve = StorageReserve(databasePath: path, size: configuration.storageReserveBytes)
        // A disk too full for the reserve at start-up is a full disk: writes wait until there is room.
        if !reserve.ensure() && !(reserve.freeBytes.map { $0 >= reserve.resumeFreeBytes } ?? true) {
            writesFailing = true
        }
        // The thread keeps the writer alive until `stop()` lets the loop end.
        let thread = Thread { self.runLoop() }
        thread.qualityOfService = .userInitiated
        self.thread = thread
        thread.start()
    }

    func enqueue(_ write: any PendingWrite) {
        condition.lock()
        if stopping {
            condition.unlock()
            write.finish(with: DatabaseClosedError())
            return
        }
        queue.append(write)
        statistics.queueDepth = queue.count
        condition.signal()
        condition.unlock()
    }

    var isCurrentThread: Bool { Thread.current === thread }

    var isAcceptingWrites: Bool {
        condition.lock()
        defer { condition.unlock() }
        return !writesFailing
    }

    func snapshot() -> WriterStatistics {
        condition.lock()
        defer { condition.unlock() }
        return statistics
    }

    /// Finishes what is queued, closes the read-lock anchor, then stops the thread. Later writes fail with
    /// `DatabaseClosedError`.
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while !stopped { condition.wait() }
        condition.unlock()
    }

    /// Closes the writer's connection once `stop` has ended the thread. Call it after every other
    /// connection on the file is closed: SQLite checkpoints the WAL into the main file and deletes it only
    /// when the last connection closes, and only a connection that may write can do that.
    /// https://sqlite.org/wal.html#walfile
    func closeConnection() {
        condition.lock()
        defer { condition.unlock() }
        precondition(stopped, "SerialWriter.closeConnection called before stop")
        // The writer thread has ended, so this thread may touch the connection now.
        connection.close()
    }

    private func runLoop() {
        Self.nameKernelThread("sqlite-writer")
        Self.preferBatchScheduling()
        anchor?.hold()
        while true {
            condition.lock()
            while queue.isEmpty && !stopping {
                // Idle: wake up now and then to move the anchor to the latest snapshot (another process may
                // have written meanwhile) and, while writes fail, to look whether space is back, so readiness
                // recovers without traffic.
                let probeDeadline =
                    writesFailing ? lastStorageProbe.addingTimeInterval(ReadLockAnchor.refreshInterval) : nil
                let anchorDeadline = anchor.map { $0.lastAttempt.addingTimeInterval(ReadLockAnchor.refreshInterval) }
                if let deadline = [probeDeadline, anchorDeadline].compactMap({ $0 }).min() {
                    if !condition.wait(until: deadline) && queue.isEmpty && !stopping {
                        condition.unlock()
                        let now = Date()
                        if let probeDeadline, now >= probeDeadline { probeStorage() }
                        if let anchor, let anchorDeadline, now >= anchorDeadline {
                            anchor.release()
                            anchor.hold()
                        }
                        condition.lock()
                    }
                } else {
                    condition.wait()
                }
            }
            if queue.isEmpty && stopping {
                // Closed here, not at deinit (the thread and the writer keep each other alive, so deinit may
                // never come): the read-only anchor must be closed before the writer's own connection, the
                // one that can checkpoint the WAL away (see `closeConnection`).
                anchor?.close()
                anchor = nil
                stopped = true
                condition.broadcast()
                condition.unlock()
                return
            }
            let batchSize = configuration.groupCommit ? min(queue.count, configuration.maximumBatchSize) : 1
            let batch = Array(queue.prefix(batchSize))
            queue.removeFirst(batchSize)
            statistics.queueDepth = queue.count
            condition.unlock()

            anchor?.release()
            commit(batch)
            anchor?.hold()
        }
    }

    /// The writer is a batch thread: woken by a polling thread's enqueue, it should not preempt that thread
    /// but run once the polling threads have nothing ready, so each commit takes everything that arrived
    /// meanwhile. SCHED_BATCH (sched(7)) asks the kernel for exactly that. Measured on one shared core:
    /// commits of 40-50 writes instead of 30, and 3-5% more durable POSTs a second at the same latency.
    /// Where several cores are free it changes nothing. Only a hint: if it is refused, nothing else changes.
    private static func preferBatchScheduling() {
        #if os(Linux)
            var parameters = sched_param(sched_priority: 0)
            _ = sched_setscheduler(0, schedBatch, &parameters)
        #endif
    }

    /// Foundation's `Thread.name` does not reach the kernel on Linux, and `pthread_setname_np` is not in
    /// Glibc's module map; writing the thread's own comm file is the documented equivalent (proc(5)). The
    /// name shows in `top -H` and lets a test find this thread.
    private static func nameKernelThread(_ name: String) {
        #if os(Linux)
            let file = open("/proc/thread-self/comm", O_WRONLY)
            guard file >= 0 else { return }
            _ = name.withCString { write(file, $0, strlen($0)) }
            close(file)
        #endif
    }

    /// SCHED_BATCH from <sched.h>; Glibc's module map leaves out the Linux-only policies.
    private static let schedBatch: Int32 = 3

    private func commit(_ batch: [any PendingWrite]) {
        if isFailing(), !filesystemHasRoom() {
            // The disk is still short: trying would only spend the space the checkpoint needs.
            answer(batch, with: [Error?](repeating: StorageUnavailableError(underlying: nil), count: batch.count))
            return
        }
        guard beginImmediate(batch) else { return }
        if batch.count > 1 {
            if runWithoutSavepoints(batch) {
                endTransaction(batch, with: [Error?](repeating: nil, count: batch.count))
                return
            }
            // A write threw: its batch-mates' work went with the rollback, so the batch runs again the careful
            // way, each write in its own savepoint. A write may therefore run twice; only its database effects
            // and its result count (Database.write says so).
            guard beginImmediate(batch) else { return }
        }
        guard let outcomes = runEachWrite(batch) else { return }
        endTransaction(batch, with: outcomes)
    }

    /// Opens the batch's transaction; false, with the batch answered, when it could not be opened.
    private func beginImmediate(_ batch: [any PendingWrite]) -> Bool {
        do {
            try connection.run("BEGIN IMMEDIATE")
            return true
        } catch {
            fail(batch, with: error)
            return false
        }
    }

    /// Runs every write in the open transaction, each in its own savepoint when it has batch-mates, and returns
    /// each one's outcome; nil, with the batch answered, when SQLite ended the transaction under them.
    private func runEachWrite(_ batch: [any PendingWrite]) -> [Error?]? {
        var outcomes: [Error?] = []
        outcomes.reserveCapacity(batch.count)
        for write in batch {
            // A lone write needs no savepoint: a throw rolls back the whole transaction below.
            let outcome = batch.count == 1 ? write.execute(on: connection) : runInSavepoint(write)
            outcomes.append(outcome)
            if !connection.isInTransaction {
                // SQLite rolled the whole transaction back (it may on SQLITE_FULL or SQLITE_IOERR,
                // https://sqlite.org/lang_transaction.html): the writes before this one are gone too, and
                // the ones after would run outside any transaction. Nobody in the batch may hear "done".
                fail(
                    batch,
                    with: outcome ?? SQLiteError(code: SQLITE_ABORT | (2 << 8), message: "transaction rolled back"))
                return nil
            }
        }
        return outcomes
    }

    /// Commits the open transaction (rolls back a lone write that threw) and answers the batch. Only after the
    /// COMMIT returned may anyone hear "done": a failed commit (disk full, I/O error) leaves nothing durable.
    private func endTransaction(_ batch: [any PendingWrite], with outcomes: [Error?]) {
        do {
            if batch.count == 1, outcomes[0] != nil {
                try connection.run("ROLLBACK")
            } else {
                try connection.run("COMMIT")
            }
        } catch {
            if connection.isInTransaction { _ = try? connection.run("ROLLBACK") }
            fail(batch, with: error)
            return
        }
        let storageFailure = outcomes.contains { ($0 as? SQLiteError)?.isStorageFailure == true }
        if storageFailure { storageFailed() } else { setFailing(false) }
        answer(batch, with: outcomes.map(Self.storageMapped))
    }

    /// Answers every write of the batch with `error`, after handling a storage failure.
    private func fail(_ batch: [any PendingWrite], with error: Error) {
        if (error as? SQLiteError)?.isStorageFailure == true { storageFailed() }
        answer(batch, with: [Error?](repeating: Self.storageMapped(error), count: batch.count))
    }

    private static func storageMapped(_ error: Error?) -> Error? {
        guard let sqliteError = error as? SQLiteError, sqliteError.isStorageFailure else { return error }
        return StorageUnavailableError(underlying: sqliteError)
    }

    // MARK: Full disk

    private func isFailing() -> Bool {
        condition.lock()
        defer { condition.unlock() }
        return writesFailing
    }

    private func setFailing(_ failing: Bool) {
        condition.lock()
        writesFailing = failing
        condition.unlock()
    }

    /// A write could not be stored. If the filesystem is short, hand the reserve to a checkpoint, so the WAL's
    /// pages move into the main file and the WAL shrinks to nothing (see `StorageReserve`). When the failure
    /// came from SQLite's own page limit and the disk has room, the reserve stays where it is.
    private func storageFailed() {
        setFailing(true)
        lastStorageProbe = Date()
        if reserve.isEnabled, let free = reserve.freeBytes, free < reserve.resumeFreeBytes - reserve.size {
            reserve.release()
        }
        checkpointTruncating()
    }

    /// Runs with the anchor released (between batches, or from the idle probe), so no snapshot of this process
    /// holds the checkpoint back.
    private func checkpointTruncating() {
        _ = try? connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    }

    /// Room to write again on the filesystem: with the reserve in place, as much again free; without it,
    /// room for the reserve and as much again, and then the reserve is re-created before anything else.
    private func filesystemHasRoom() -> Bool {
        guard let free = reserve.freeBytes else { return true }
        if reserve.isPresent { return free >= reserve.resumeFreeBytes - reserve.size }
        return free >= reserve.resumeFreeBytes && reserve.ensure()
    }

    /// The idle check while writes fail, once a second: checkpoint whatever the WAL still holds, then ready
    /// again when the filesystem has room (statvfs, and the reserve re-created: posix_fallocate proves the
    /// blocks can be had) and SQLite's page limit leaves room for a few pages. Both are looked up, not
    /// written: a probe write would grow the WAL on a disk that is short, once a second, to learn no more than
    /// the free-space count says. A write that still fails (an I/O error with space free) sets it back at once.
    private func probeStorage() {
        lastStorageProbe = Date()
        anchor?.release()
        checkpointTruncating()
        anchor?.hold()
        if filesystemHasRoom() && pageLimitHasRoom() { setFailing(false) }
    }

    private func pageLimitHasRoom() -> Bool {
        guard let limit = try? connection.scalar("PRAGMA max_page_count", as: Int.self),
            let count = try? connection.scalar("PRAGMA page_count", as: Int.self),
            let free = try? connection.scalar("PRAGMA freelist_count", as: Int.self)
        else { return false }
        return limit - count + free >= 16
    }

    /// Counts the batch, then tells its callers. Counting first: a caller that has its answer must find its
    /// commit in `writerStatistics`.
    private func answer(_ batch: [any PendingWrite], with outcomes: [Error?]) {
        condition.lock()
        statistics.record(batchSize: batch.count)
        condition.unlock()
        for (write, outcome) in zip(batch, outcomes) {
            write.finish(with: outcome)
        }
    }

    /// Runs the whole batch inside the open transaction with no savepoint per write. Returns true with the
    /// transaction still open when every write succeeded; false, rolled back, when a write threw or SQLite
    /// ended the transaction, and the caller then runs the batch again with savepoints.
    ///
    /// Why: a savepoint makes SQLite copy every page a write touches, that an earlier write of the batch
    /// already changed, into the statement journal, so that ROLLBACK TO can restore it. Under 64 concurrent
    /// payment creations (batches of about 30, 12 pages each) dropping that copying and the SAVEPOINT/RELEASE
    /// pairs took a creation from 430,000 to 359,000 instructions (callgrind, bench/route-cost --connections
    /// 64). Writes almost never throw, so the batch is run on the bet that none will.
    private func runWithoutSavepoints(_ batch: [any PendingWrite]) -> Bool {
        for write in batch {
            guard write.execute(on: connection) == nil, connection.isInTransaction else {
                if connection.isInTransaction { _ = try? connection.run("ROLLBACK") }
                return false
            }
        }
        return true
    }

    private func runInSavepoint(_ write: any PendingWrite) -> Error? {
        do {
            try connection.run("SAVEPOINT madoguchi_write")
        } catch {
            return error
        }
        if let error = write.execute(on: connection) {
            _ = try? connection.run("ROLLBACK TO madoguchi_write")
            _ = try? connection.run("RELEASE madoguchi_write")
            return error
        }
        do {
            try connection.run("RELEASE madoguchi_write")
            return nil
        } catch {
            return error
        }
    }
}

/// A write waiting for the writer thread. `execute` runs the caller's closure and keeps its value;
/// `finish` delivers the value, or the error, once the batch's fate is known.
protocol PendingWrite: AnyObject, Sendable {
    func execute(on connection: Connection) -> Error?
    func finish(with error: Error?)
}

final class QueuedWrite<T: Sendable>: PendingWrite, @unchecked Sendable {
    private let body: @Sendable (Connection) throws -> T
    private let completion: @Sendable (Result<T, Error>) -> Void
    // Only the writer thread touches `value`, between execute and finish.
    private var value: T?

    init(
        body: @escaping @Sendable (Connection) throws -> T,
        completion: @escaping @Sendable (Result<T, Error>) -> Void
    ) {
        self.body = body
        self.completion = completion
    }

    func execute(on connection: Connection) -> Error? {
        do {
            value = try body(connection)
            return nil
        } catch {
            return error
        }
    }

    func finish(with error: Error?) {
        if let error {
            completion(.failure(error))
        } else if let value {
            completion(.success(value))
        } else {
            completion(.failure(DatabaseClosedError()))
        }
    }
}

/// Counters for /metrics: how deep the queue is and how large the commits are.
public struct WriterStatistics: Sendable {
    /// Upper bounds of the batch-size histogram buckets.
    public static let batchSizeBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]
    public internal(set) var queueDepth = 0
    public internal(set) var commits = 0
    public internal(set) var writes = 0
    /// Cumulative counts: `batchSizeCounts[i]` commits had at most `batchSizeBuckets[i]` writes.
    public internal(set) var batchSizeCounts = [Int](repeating: 0, count: WriterStatistics.batchSizeBuckets.count)

    mutating func record(batchSize: Int) {
        commits += 1
        writes += batchSize
        for (index, bound) in Self.batchSizeBuckets.enumerated() where batchSize <= bound {
            batchSizeCounts[index] += 1
        }
    }
}

public struct DatabaseClosedError: Error, CustomStringConvertible, Sendable {
    public var description: String { "the database is closed" }
}
