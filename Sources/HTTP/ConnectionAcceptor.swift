import CMicroHTTPD
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Accepts connections on the server's listening socket on a thread of its own and hands each one to
/// libmicrohttpd (`MHD_add_connection`), which is started without a listening socket (`MHD_USE_NO_LISTEN_SOCKET`).
///
/// Why not let libmicrohttpd listen: stopping it from accepting means `MHD_quiesce_daemon`, and in 0.9.75 that
/// races the daemon's own epoll polling threads. Both take the listening socket out of the same epoll set,
/// neither under a lock, and the one that finds it already gone aborts the process ("daemon.c:5531: Failed to
/// remove listen FD from epoll set"). It happened about once in a thousand stops while clients were connecting,
/// in a plain C program as well as in the test suite, whatever was done with the socket afterwards. With the
/// socket never in libmicrohttpd's epoll sets, stopping is this class's alone: shutdown(2) refuses new
/// connections at once and wakes the thread, which exits; the descriptor is closed after it has.
final class ConnectionAcceptor: @unchecked Sendable {
    private let listener: Int32
    private let daemon: OpaquePointer
    private let connectionLimit: Int
    private let logger: Logger
    private let stopping = Atomic<Bool>(false)
    private let exited = DispatchSemaphore(value: 0)
    /// Held for the whole of `stop`, so every caller returns only once the thread is gone.
    private let stopLock = NSLock()
    private var stopped = false

    init(listener: Int32, daemon: OpaquePointer, connectionLimit: Int, logger: Logger) {
        self.listener = listener
        self.daemon = daemon
        self.connectionLimit = connectionLimit
        self.logger = logger
    }

    func start() {
        let thread = Thread { [self] in
            acceptUntilStopped()
            exited.signal()
        }
        thread.name = "http-accept"
        thread.start()
    }

    /// Refuses new connections from now on. Returns once the accepting thread has exited, so no connection
    /// reaches the daemon after it, and the daemon may be stopped. Safe to call more than once.
    func stop() {
        stopLock.lock()
        defer { stopLock.unlock() }
        guard !stopped else { return }
        stopping.store(true, ordering: .sequentiallyConsistent)
        // Linux: a listening socket that is shut down refuses connections (those still in the backlog are
        // reset), and a thread waiting in poll or accept on it wakes up.
        _ = Glibc.shutdown(listener, Int32(SHUT_RDWR))
        exited.wait()
        close(listener)
        stopped = true
    }

    private func acceptUntilStopped() {
        var readable = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
        while !stopping.load(ordering: .sequentiallyConsistent) {
            if madoguchi_mhd_current_connections(daemon) >= connectionLimit {
                // At the limit, new connections wait in the backlog, as they did when libmicrohttpd listened
                // itself; accepting them would only have libmicrohttpd close them.
                usleep(10_000)
                continue
            }
            var address = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            // Glibc's module does not declare accept4 (it needs _GNU_SOURCE), so the flags are set afterwards.
            let client = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { accept(listener, $0, &length) }
            }
            if client >= 0 {
                _ = fcntl(client, F_SETFD, FD_CLOEXEC)
                _ = fcntl(client, F_SETFL, fcntl(client, F_GETFL) | O_NONBLOCK)
                // libmicrohttpd owns the socket from here; it closes it itself when it cannot take it.
                _ = withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        MHD_add_connection(daemon, client, $0, length)
                    }
                }
                continue
            }
            switch errno {
            case EAGAIN, EWOULDBLOCK:
                _ = poll(&readable, 1, -1)
            case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                // Out of descriptors or memory: the connection stays in the backlog; try again shortly rather
                // than spin on an error that repeats until something is freed.
                logger.warning("accept failed", ["errno": .int(Int(errno))])
                usleep(10_000)
            case EINVAL, EBADF, ENOTSOCK:
                // EINVAL: the socket was shut down by `stop`.
                return
            default:
                // ECONNABORTED, EINTR and the network errors of a connection that died in the backlog.
                continue
            }
        }
    }
}
