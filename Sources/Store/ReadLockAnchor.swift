import CSQLite
import Foundation

/// Keeps one read transaction open between writes, so reader connections skip two fcntl(2) calls each.
///
/// In WAL mode every read transaction takes a shared lock on a read-mark slot of the `-shm` file and drops
/// it at the end: two `fcntl(F_SETLK)` system calls, about a sixth of a one-row GET here. SQLite's unix VFS
/// only makes that call when no other connection in the process holds the same lock (os_unix.c,
/// `unixShmLock`). While this connection holds a snapshot of the latest commit, every new reader picks the
/// same slot and takes its lock in memory.
///
/// An open read transaction must not hold back the WAL, so the writer thread, which owns the anchor:
/// - lets go before each batch (`BEGIN IMMEDIATE` may then restart the WAL from its start, and the
///   checkpoint that runs inside `COMMIT` may backfill everything) and takes the new snapshot after it;
/// - refreshes it at least every `refreshInterval` while idle, so writes by other processes (the CLI, batch
///   jobs) are never held back for longer than that, and readers share the anchor's slot again.
/// Readers' snapshots are their own: the anchor never changes what a read sees, only what it costs.
final class ReadLockAnchor {
    static let refreshInterval: TimeInterval = 1

    private let connection: Connection
    private var holding = false
    /// When `hold` was last tried, whether or not it worked: the idle refresh waits from here, so a database
    /// that refuses the read (busy, corrupt) is retried once a second rather than in a loop.
    private(set) var lastAttempt = Date.distantPast

    init(path: String, configuration: DatabaseConfiguration) throws {
        connection = try Connection(path: path, readOnly: true, configuration: configuration)
    }

    /// Opens a read transaction on the latest commit. A failure only costs the optimisation, never a write.
    func hold() {
        guard !holding else { return }
        lastAttempt = Date()
        do {
            try connection.run("BEGIN")
            // The lock is taken by the first read, not by BEGIN.
            _ = try connection.queryFirst("SELECT 1 FROM sqlite_schema LIMIT 1")
            holding = true
        } catch {
            _ = try? connection.run("ROLLBACK")
        }
    }

    func release() {
        guard holding else { return }
        holding = false
        if (try? connection.run("COMMIT")) == nil { _ = try? connection.run("ROLLBACK") }
    }

    /// Lets go of the snapshot and closes the connection, before the writer closes its own.
    func close() {
        release()
        connection.close()
    }
}
