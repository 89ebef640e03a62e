import CMicroHTTPD
import Foundation
import Synchronization

/// Bytes of large request bodies held in memory at once, all connections together.
///
/// Bodies are read into memory whole (the multipart parser and the handlers want them so). Measured before:
/// 16 concurrent 10 MB uploads took the server from 36 MB to 230 MB RSS — the bodies, the parsed parts and
/// the copies — and glibc kept it. A body at least `threshold` bytes long reserves its declared length here
/// before a byte of it is read; when the budget is spent the request gets 503 with `Retry-After` at once, so
/// the client's `Expect: 100-continue` upload never starts and the memory stays bounded.
final class RequestBodyBudget: Sendable {
    let threshold: Int
    let capacity: Int
    private let reserved = Mutex(0)

    init(threshold: Int, capacity: Int) {
        self.threshold = max(1, threshold)
        self.capacity = max(0, capacity)
    }

    /// Reserves `bytes` if they fit; a single body larger than the whole budget fits only when nothing else
    /// is reserved, so it is slow rather than refused for ever.
    func reserve(_ bytes: Int) -> Bool {
        reserved.withLock { total in
            guard total == 0 || total + bytes <= capacity else { return false }
            total += bytes
            return true
        }
    }

    func release(_ bytes: Int) {
        guard bytes > 0 else { return }
        reserved.withLock { $0 = max(0, $0 - bytes) }
    }

    var reservedBytes: Int { reserved.withLock { $0 } }

    static let busy = HTTPError(
        status: 503, code: "busy", message: "ただいま大きな送信が集中しています。少し時間をおいてから、もう一度送信してください。",
        headers: [("Retry-After", "2")])
}

/// glibc's allocator, set for a server that sometimes holds large bodies.
public enum ProcessMemory {
    /// At start-up, before threads start. glibc raises its mmap threshold to the size of each large block
    /// freed (up to 32 MB), so after the first 10 MB upload later ones came from the heap, whose freed pages
    /// it keeps; a fixed threshold keeps large blocks in mmap, returned to the kernel when freed. Up to 8
    /// arenas per core each keep their own free memory; 64 blocking-pool threads on 2 cores need few.
    public static func configureAllocator() {
        _ = mallopt(M_MMAP_THRESHOLD, 256 * 1024)
        _ = mallopt(M_ARENA_MAX, Int32(max(2, 2 * ProcessInfo.processInfo.activeProcessorCount)))
    }

    /// After a large body is freed: return the heap's free pages to the kernel (what mmap did not cover).
    static func returnFreedMemory() {
        _ = malloc_trim(0)
    }
}
