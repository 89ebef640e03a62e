import Foundation

/// Log lines for standard error, buffered: a request's access-log line costs a memcpy, not a write(2).
///
/// A background thread writes the buffer every 100 ms or as soon as it holds 32 KB. Warnings and errors are
/// written at once, together with everything buffered before them, so nothing important waits in memory;
/// a crash can lose at most the last 100 ms of access-log lines. `flush()` runs before the process exits.
public final class StandardErrorWriter: @unchecked Sendable {
    public static let shared = StandardErrorWriter()

    private static let flushThreshold = 32 * 1024
    private static let flushInterval = 0.1

    // Guarded by `condition`.
    private let condition = NSCondition()
    private var buffer: [UInt8] = []
    private var started = false

    private init() {
        buffer.reserveCapacity(Self.flushThreshold * 2)
    }

    func write(_ line: [UInt8], urgent: Bool) {
        condition.lock()
        buffer.append(contentsOf: line)
        if urgent {
            let pending = buffer
            buffer.removeAll(keepingCapacity: true)
            condition.unlock()
            Self.writeAll(pending)
            return
        }
        if !started {
            started = true
            let thread = Thread { [self] in flushPeriodically() }
            thread.name = "madoguchi.log-writer"
            thread.start()
        }
        if buffer.count >= Self.flushThreshold { condition.signal() }
        condition.unlock()
    }

    /// Writes whatever is buffered now.
    public func flush() {
        condition.lock()
        let pending = buffer
        buffer.removeAll(keepingCapacity: true)
        condition.unlock()
        Self.writeAll(pending)
    }

    private func flushPeriodically() {
        while true {
            condition.lock()
            if buffer.count < Self.flushThreshold {
                _ = condition.wait(until: Date().addingTimeInterval(Self.flushInterval))
            }
            let pending = buffer
            buffer.removeAll(keepingCapacity: true)
            condition.unlock()
            Self.writeAll(pending)
        }
    }

    /// Lines are written whole and in order: one writer at a time holds the buffer it took.
    private static func writeAll(_ bytes: [UInt8]) {
        var offset = 0
        bytes.withUnsafeBytes { raw in
            while offset < raw.count {
                let written = Foundation.write(STDERR_FILENO, raw.baseAddress! + offset, raw.count - offset)
                if written <= 0 {
                    if written < 0 && errno == EINTR { continue }
                    return
                }
                offset += written
            }
        }
    }
}
