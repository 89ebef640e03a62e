import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A bound, listening TCP socket. We bind it ourselves so that port 0 works (tests ask the kernel for a free
/// port, then read it back with getsockname) and so that errors name the address that failed;
/// `ConnectionAcceptor` accepts on it and hands the connections to libmicrohttpd.
struct ListeningSocket {
    let descriptor: Int32
    let host: String
    let port: Int

    struct BindError: Error, CustomStringConvertible {
        let address: String
        let reason: String
        var description: String { "cannot listen on \(address): \(reason)" }
    }

    init(host: String, port: Int, backlog: Int32 = 1024) throws {
        let address = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        var ipv4 = sockaddr_in()
        var ipv6 = sockaddr_in6()
        let family: Int32
        if inet_pton(AF_INET, host, &ipv4.sin_addr) == 1 {
            family = AF_INET
            ipv4.sin_family = sa_family_t(AF_INET)
            ipv4.sin_port = in_port_t(UInt16(port).bigEndian)
        } else if inet_pton(AF_INET6, host, &ipv6.sin6_addr) == 1 {
            family = AF_INET6
            ipv6.sin6_family = sa_family_t(AF_INET6)
            ipv6.sin6_port = in_port_t(UInt16(port).bigEndian)
        } else {
            throw BindError(address: address, reason: "not a numeric IPv4 or IPv6 address")
        }
        let descriptor = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw BindError(address: address, reason: String(cString: strerror(errno))) }
        var reuse: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        let bound: Int32 =
            family == AF_INET
            ? withUnsafePointer(to: &ipv4) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            : withUnsafePointer(to: &ipv6) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        guard bound == 0, listen(descriptor, backlog) == 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw BindError(address: address, reason: reason)
        }
        // The acceptor accepts until EAGAIN after each poll, so one wake-up takes a whole burst of connections.
        let flags = fcntl(descriptor, F_GETFL)
        _ = fcntl(descriptor, F_SETFL, flags | O_NONBLOCK)
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        let actualPort: UInt16 =
            family == AF_INET
            ? withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
            }
            : withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                    UInt16(bigEndian: $0.pointee.sin6_port)
                }
            }
        self.descriptor = descriptor
        self.host = host
        self.port = Int(actualPort)
    }
}

/// Text form of a peer address from libmicrohttpd.
enum SocketAddressText {
    static func describe(_ address: UnsafePointer<sockaddr>?) -> String {
        guard let address else { return "unknown" }
        switch Int32(address.pointee.sa_family) {
        case AF_INET:
            // Written by hand into the string's own storage: inet_ntop goes through sprintf, and this runs
            // for every request.
            return address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { ipv4 in
                let value = UInt32(bigEndian: ipv4.pointee.sin_addr.s_addr)
                return String(unsafeUninitializedCapacity: 15) { bytes in
                    var count = 0
                    var shift: UInt32 = 24
                    while true {
                        let octet = Int((value >> shift) & 0xFF)
                        if octet >= 100 { bytes[count] = UInt8(48 + octet / 100); count += 1 }
                        if octet >= 10 { bytes[count] = UInt8(48 + (octet / 10) % 10); count += 1 }
                        bytes[count] = UInt8(48 + octet % 10)
                        count += 1
                        if shift == 0 { return count }
                        bytes[count] = 46
                        count += 1
                        shift -= 8
                    }
                }
            }
        case AF_INET6:
            var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
            return address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { ipv6 in
                var ip = ipv6.pointee.sin6_addr
                return inet_ntop(AF_INET6, &ip, &buffer, socklen_t(buffer.count)) != nil
                    ? text(buffer) : "unknown"
            }
        default:
            return "unknown"
        }
    }

    private static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func isLoopback(_ address: String) -> Bool {
        address.hasPrefix("127.") || address == "::1" || address.hasPrefix("::ffff:127.")
    }
}
