import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Space held back beside the database so that, once the disk is full, SQLite can still checkpoint the WAL.
///
/// The incident: on a 4 MB filesystem the server answered 500 to every write and never recovered, even after
/// space was freed elsewhere, because the un-checkpointed WAL itself filled the disk. A checkpoint copies the
/// WAL's pages into the main file, which grows by as many pages as the WAL holds that are new to it, and only
/// then can the WAL be truncated: with no free byte left, neither step can run. So a preallocated file
/// (`<database>-reserve`) holds `size` bytes; when a write fails for lack of space the writer deletes it,
/// checkpoints (TRUNCATE) into the space it freed, and refuses writes until the filesystem has room for the
/// reserve again plus as much for new writes (`resumeFreeBytes`), then re-creates it.
///
/// Size: the WAL is checkpointed automatically at 1,000 pages (https://sqlite.org/wal.html#ckpt), 4 MB at the
/// 4 KB page size, so a checkpoint needs at most about 4 MB more in the main file. Measured with
/// Tests/Proof/full_disk.py (80 MB ext4 image, all but 3 MB taken by a filler, 16 and 64 concurrent writers):
/// the WAL peaked at 3.4-3.5 MB while the disk filled; after the first failed write the TRUNCATE checkpoint into
/// the released reserve left it at 0 bytes, and /readyz was back 0.7-1.0 s after the filler was deleted, with
/// no traffic. 8 MB is twice the worst case. On a filesystem under 64 MB the reserve is an eighth of it, so a
/// small one still has room for data.
final class StorageReserve {
    static let defaultSize = 8 * 1_048_576

    let path: String
    private let directory: String
    private let configuredSize: Int

    init(databasePath: String, size: Int) {
        path = databasePath + "-reserve"
        directory =
            (databasePath as NSString).deletingLastPathComponent.isEmpty
            ? "." : (databasePath as NSString).deletingLastPathComponent
        configuredSize = size
    }

    /// The reserve's size on this filesystem: the configured size, at most an eighth of the filesystem.
    var size: Int {
        guard let total = filesystemBytes(\.total) else { return configuredSize }
        return min(configuredSize, total / 8)
    }

    /// Free space at which writes may resume: room to re-create the reserve and as much again for writes.
    var resumeFreeBytes: Int { 2 * size }

    /// Bytes an unprivileged process may still allocate on the database's filesystem (f_bavail).
    var freeBytes: Int? { filesystemBytes(\.available) }

    var isEnabled: Bool { configuredSize > 0 }

    /// Creates the reserve (or completes a short one). posix_fallocate allocates real blocks at once, so the
    /// space is held even on ext4's delayed allocation; a full filesystem fails here with ENOSPC. Returns
    /// whether the reserve is in place.
    @discardableResult
    func ensure() -> Bool {
        guard isEnabled else { return true }
        let wanted = size
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var status = stat()
        if fstat(descriptor, &status) == 0, Int(status.st_blocks) * 512 >= wanted { return true }
        if posix_fallocate(descriptor, 0, off_t(wanted)) != 0 {
            // Leave nothing half-made: a partial reserve would be counted as space it does not hold.
            _ = ftruncate(descriptor, 0)
            unlink(path)
            return false
        }
        return fsync(descriptor) == 0
    }

    /// Deletes the reserve, handing its space to the checkpoint that follows.
    func release() {
        unlink(path)
    }

    var isPresent: Bool {
        var status = stat()
        return stat(path, &status) == 0 && Int(status.st_blocks) * 512 >= size
    }

    private struct FilesystemBytes {
        var total: Int
        var available: Int
    }

    private func filesystemBytes(_ field: KeyPath<FilesystemBytes, Int>) -> Int? {
        var info = statvfs()
        guard statvfs(directory, &info) == 0 else { return nil }
        let unit = Int(info.f_frsize)
        let bytes = FilesystemBytes(total: Int(info.f_blocks) * unit, available: Int(info.f_bavail) * unit)
        return bytes[keyPath: field]
    }
}

/// A write that failed because the database cannot store anything right now: the disk (or the database's
/// page limit) is full, or the storage reports an I/O error on write. Nothing of the write was kept. Reads
/// still work; writes resume by themselves once space is back (`Database.isAcceptingWrites`).
public struct StorageUnavailableError: Error, CustomStringConvertible, Sendable {
    /// What SQLite reported, or nil when the write was refused without being tried (the disk is still short).
    public let underlying: SQLiteError?

    public init(underlying: SQLiteError?) {
        self.underlying = underlying
    }

    public var description: String {
        "storage unavailable: "
            + (underlying.map { "SQLite error \($0.extendedCode): \($0.message)" } ?? "disk still full")
    }
}
