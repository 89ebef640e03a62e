/// Query arguments decoded as libmicrohttpd did before the server took this over (its
/// `MHD_parse_arguments_` and `MHD_http_unescape`), so handlers see the same items.
///
/// libmicrohttpd stores every argument as a record in the connection's 16 KB memory pool; a few hundred
/// arguments exhausted it, and the request was then dropped or left hanging. The server hides the query
/// from it (see `Exchange.init(requestTarget:)`) and decodes it here, in ordinary memory, when the request
/// is complete. The request line's length stays bounded by the pool, which answers 414 past it.
enum QueryString {
    /// `a=1&b&=c&d=%E6%8C%AF+x`: split at `&`, then at the first `=` (no `=` gives an empty value); `+` is a
    /// space and `%HH` a byte, a malformed escape is kept as written. Empty pieces between `&&` are items with
    /// an empty name, as libmicrohttpd reported them; a name or value ends at a decoded NUL, as its C strings
    /// did.
    static func items(_ query: String) -> [(name: String, value: String)] {
        var items: [(name: String, value: String)] = []
        var query = query
        query.withUTF8 { bytes in
            var start = 0
            while start < bytes.count {
                var end = start
                while end < bytes.count && bytes[end] != UInt8(ascii: "&") { end += 1 }
                var equals = start
                while equals < end && bytes[equals] != UInt8(ascii: "=") { equals += 1 }
                let name = decode(UnsafeBufferPointer(rebasing: bytes[start..<equals]))
                let value = equals < end ? decode(UnsafeBufferPointer(rebasing: bytes[(equals + 1)..<end])) : ""
                items.append((name, value))
                start = end + 1
            }
        }
        return items
    }

    private static func decode(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        String(unsafeUninitializedCapacity: bytes.count) { output in
            var written = 0
            var index = 0
            while index < bytes.count {
                var byte = bytes[index]
                if byte == UInt8(ascii: "+") {
                    byte = UInt8(ascii: " ")
                } else if byte == UInt8(ascii: "%"), index + 2 < bytes.count, let high = hexValue(bytes[index + 1]),
                    let low = hexValue(bytes[index + 2])
                {
                    byte = high << 4 | low
                    index += 2
                }
                if byte == 0 { break }
                output[written] = byte
                written += 1
                index += 1
            }
            return written
        }
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
