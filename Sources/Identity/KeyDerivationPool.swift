import Foundation
import HTTP
import Security

/// Bounds password key derivation (PBKDF2, 600,000 rounds: about a third of a CPU-second each) to a few
/// slots. Without it a flood of logins from many addresses — each under its address's throttle — puts one
/// derivation per request on the CPUs, and on the town hall's two cores every other page waits behind them.
///
/// A caller takes a slot or waits in a short FIFO queue; beyond the queue it is refused at once with 503 and
/// `Retry-After` (`KeyDerivationBusy`), which costs microseconds. Logins from a browser that has signed in to
/// the same account before (`KnownDevice`) have a lane with slots of its own, so a resident can still sign
/// in while strangers fill the ordinary lane: they do not even wait for the stranger's derivation under way.
/// (Served first from a shared slot, a resident waited for that derivation and then did her own, each slowed
/// by the flood on the other core: 3.0 s, bench/login-flood, against the 2 s goal.) Callers block on their
/// own (blocking-pool) thread while they wait: no thread of the pool's own.
public final class KeyDerivationPool: @unchecked Sendable {
    public struct Limits: Sendable, Equatable {
        /// Derivations at once in each lane. Half the cores (1 on 2): the ordinary lane, the one a flood
        /// fills, can take at most one core, and the other stays for the polling threads, the SQLite writer and
        /// every other page. The known-device lane is busy only while residents sign in.
        public var workers: Int
        /// Callers waiting per lane before the next is refused. 4 at ~0.33 s each behind one worker: a caller
        /// admitted to the queue is done in under 2 s.
        public var queueLimit: Int

        public init(
            workers: Int = max(1, ProcessInfo.processInfo.activeProcessorCount / 2), queueLimit: Int = 4
        ) {
            self.workers = max(1, workers)
            self.queueLimit = max(0, queueLimit)
        }
    }

    public enum Lane: Int, Sendable, CaseIterable {
        /// A login carrying this account's known-device cookie.
        case knownDevice
        case ordinary
    }

    public struct Statistics: Sendable, Equatable {
        public var running = 0
        public var waiting = 0
        public var completed = 0
        /// Callers refused with 503 because the queue was full.
        public var refused = 0
    }

    public let limits: Limits
    // Guarded by `condition`.
    private let condition = NSCondition()
    private var running = [0, 0]
    private var nextTicket = [0, 0]
    private var serving = [0, 0]
    private var completed = 0
    private var refused = 0
    private var meanSeconds = 0.33

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    public var statistics: Statistics {
        condition.withLock {
            Statistics(
                running: running.reduce(0, +), waiting: zip(nextTicket, serving).reduce(0) { $0 + $1.0 - $1.1 },
                completed: completed, refused: refused)
        }
    }

    /// Runs `work` in a slot, after the callers queued before it; throws `KeyDerivationBusy` when the lane's
    /// queue is full.
    public func run<T>(lane: Lane = .ordinary, _ work: () throws -> T) throws -> T {
        condition.lock()
        let index = lane.rawValue
        if running[index] >= limits.workers || nextTicket[index] > serving[index] {
            guard nextTicket[index] - serving[index] < limits.queueLimit else {
                refused += 1
                let retryAfter = retryAfterSeconds()
                condition.unlock()
                throw KeyDerivationBusy(retryAfterSeconds: retryAfter)
            }
            let ticket = nextTicket[index]
            nextTicket[index] += 1
            while !(running[index] < limits.workers && serving[index] == ticket) { condition.wait() }
            serving[index] += 1
        }
        running[index] += 1
        condition.broadcast()
        condition.unlock()
        let started = DispatchTime.now().uptimeNanoseconds
        defer {
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            condition.withLock {
                running[index] -= 1
                completed += 1
                meanSeconds += (seconds - meanSeconds) * 0.1
                condition.broadcast()
            }
        }
        return try work()
    }

    /// About when a full queue has room again: the queue's worth of derivations at the recent pace.
    private func retryAfterSeconds() -> Int {
        let seconds = meanSeconds * Double(limits.queueLimit + limits.workers) / Double(limits.workers)
        return max(1, min(60, Int(seconds.rounded(.up))))
    }
}

/// 503: the key-derivation queue is full. Says nothing about the account, so it reveals nothing.
public struct KeyDerivationBusy: HTTPResponseError, Equatable, Sendable {
    public let retryAfterSeconds: Int
    public var status: Int { 503 }
    public var code: String { "busy" }
    public var message: String {
        "ただいまログインが大変混み合っています。しばらく時間をおいてから、もう一度お試しください。"
    }
    public var headers: [(String, String)] { [("Retry-After", String(retryAfterSeconds))] }
}

/// PasswordHasher with every derivation through the pool.
struct BoundedPasswordHasher: Sendable {
    let hasher: PasswordHasher
    let pool: KeyDerivationPool

    func hash(_ password: String) throws -> String {
        try pool.run { hasher.hash(password) }
    }

    func verify(_ password: String, against encoded: String, lane: KeyDerivationPool.Lane = .ordinary) throws -> Bool {
        try pool.run(lane: lane) { hasher.verify(password, against: encoded) }
    }

    func simulateVerification(_ password: String, lane: KeyDerivationPool.Lane = .ordinary) throws {
        try pool.run(lane: lane) { hasher.simulateVerification(password) }
    }

    func needsRehash(_ encoded: String) -> Bool { hasher.needsRehash(encoded) }
}
