import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A loopback listener that answers one connection with fixed bytes, for responses `LiveServer` cannot
/// produce: an interim `100 Continue` block before the final one, or a header repeated with different values.
final class CannedResponseServer: @unchecked Sendable {
    let port: Int
    private let descriptor: Int32
    private let finished = DispatchSemaphore(value: 0)

    init(response: String) throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        descriptor = listener
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, length) == 0 && listen(listener, 1) == 0
                    && getsockname(listener, $0, &length) == 0
            }
        }
        guard bound else {
            let code = POSIXErrorCode(rawValue: errno) ?? .EADDRNOTAVAIL
            // Not every property is set yet, so deinit will not run: close here.
            close(listener)
            throw POSIXError(code)
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        let done = finished
        Thread.detachNewThread {
            defer { done.signal() }
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { return }
            defer { close(connection) }
            Self.readRequestHead(connection)
            let bytes = Array(response.utf8)
            _ = bytes.withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }
    }

    deinit {
        // Unblocks an accept that never got a connection, so the thread ends before the descriptor is closed.
        shutdown(descriptor, Int32(SHUT_RDWR))
        finished.wait()
        close(descriptor)
    }

    var baseURL: String { "http://127.0.0.1:\(port)" }

    private static func readRequestHead(_ connection: Int32) {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !received.suffix(4).elementsEqual(Array("\r\n\r\n".utf8)) {
            let count = recv(connection, &buffer, buffer.count, 0)
            if count <= 0 { return }
            received.append(contentsOf: buffer[0..<count])
        }
    }
}
