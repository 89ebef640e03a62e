import Foundation

/// Threads for handlers that block: a durable write waits for its group commit, and a thread waiting there is
/// exactly what lets the next commit carry more writes. Kept apart from libmicrohttpd's polling threads so
/// waiting handlers never stall other connections.
final class BlockingWorkPool: @unchecked Sendable {
    // Guarded by `condition`.
    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []
    private var head = 0
    private var running = 0
    private var stopping = false
    private let threadCount: Int

    init(threads: Int) {
        threadCount = max(1, threads)
    }

    func start() {
        condition.lock()
        defer { condition.unlock() }
        guard running == 0 else { return }
        stopping = false
        for index in 0..<threadCount {
            let thread = Thread { [self] in work() }
            thread.name = "madoguchi.blocking-\(index)"
            running += 1
            thread.start()
        }
    }

    func submit(_ job: @escaping @Sendable () -> Void) {
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Lets queued jobs finish, then ends the threads; gives up waiting after `seconds`, leaving a stuck
    /// handler's thread to end with the process.
    func stop(waitingAtMost seconds: Double) {
        let deadline = Date().addingTimeInterval(seconds)
        condition.lock()
        stopping = true
        condition.broadcast()
        while running > 0 && condition.wait(until: deadline) {}
        condition.unlock()
    }

    private func work() {
        condition.lock()
        while true {
            if head < jobs.count {
                let job = jobs[head]
                head += 1
                if head == jobs.count {
                    jobs.removeAll(keepingCapacity: true)
                    head = 0
                }
                condition.unlock()
                job()
                condition.lock()
            } else if stopping {
                running -= 1
                condition.broadcast()
                condition.unlock()
                return
            } else {
                condition.wait()
            }
        }
    }
}
