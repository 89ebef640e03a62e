/// How the database is opened. The defaults are the production settings.
public struct DatabaseConfiguration: Sendable {
    /// https://sqlite.org/pragma.html#pragma_synchronous — FULL is the default because a 201 to a resident
    /// promises the row survives a power cut. NORMAL exists only for benchmarks that compare the two.
    public enum Synchronous: String, Sendable {
        case full = "FULL"
        case normal = "NORMAL"
    }

    public var synchronous: Synchronous = .full
    public var busyTimeoutMilliseconds = 5_000
    /// Upper bound on reader connections; they are opened lazily, one per concurrently reading thread.
    public var maximumReaders = 16
    /// When true, queued writes share one transaction (each in its own savepoint) and one fsync.
    /// Turned off only to measure what it buys.
    public var groupCommit = true
    /// Upper bound on writes folded into one commit, so one huge batch cannot delay its first caller forever.
    public var maximumBatchSize = 512
    /// Bytes held in `<database>-reserve` so the WAL can be checkpointed once the disk is full (see
    /// `StorageReserve`, where the size is measured). 0 turns the reserve off.
    public var storageReserveBytes = StorageReserve.defaultSize
    /// Debug builds ask this before a blocking `write` waits: true means the calling thread must never wait for a
    /// commit (App answers "an HTTP polling thread": a wait there stalls every connection on it). Release builds
    /// never ask. The staff detail page once ran its audited read inline while its JSON twin was offloaded;
    /// this makes such drift a test failure.
    public var threadMustNotBlock: (@Sendable () -> Bool)?

    public init() {}
}
