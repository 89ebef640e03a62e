extension Request {
    /// Cookies from the `Cookie` header (RFC 6265 §5.4). The first of two same-named cookies wins,
    /// as browsers send the most specific path first.
    public var cookies: [String: String] {
        var cookies: [String: String] = [:]
        forEachCookie { name, value in
            let name = String(decoding: name, as: UTF8.self)
            if cookies[name] == nil { cookies[name] = String(decoding: value, as: UTF8.self) }
            return true
        }
        return cookies
    }

    /// The first cookie called `name`, found without building the dictionary: every signed-in request asks
    /// for its session cookie two or three times, and parsing the header with Foundation's trimming each time
    /// was 350,000 instructions a resident's submission, more than the rest of the request (bench/route-cost).
    public func cookie(_ name: String) -> String? {
        var found: String?
        let wanted = Array(name.utf8)
        forEachCookie { candidate, value in
            guard candidate.elementsEqual(wanted) else { return true }
            found = String(decoding: value, as: UTF8.self)
            return false
        }
        return found
    }

    /// Calls `body` with each `name=value` pair's bytes, spaces and tabs around both trimmed and a quoted
    /// value unquoted, until it returns false. Pairs without `=` are skipped.
    private func forEachCookie(_ body: (ArraySlice<UInt8>, ArraySlice<UInt8>) -> Bool) {
        guard let header = header("cookie") else { return }
        let bytes = Array(header.utf8)
        var start = 0
        while start < bytes.count {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: ";")) ?? bytes.count
            let pair = bytes[start..<end]
            start = end + 1
            guard let equals = pair.firstIndex(of: UInt8(ascii: "=")) else { continue }
            let name = Self.trimmed(pair[..<equals])
            var value = Self.trimmed(pair[(equals + 1)...])
            if value.count >= 2, value.first == UInt8(ascii: "\""), value.last == UInt8(ascii: "\"") {
                value = value.dropFirst().dropLast()
            }
            if !body(name, value) { return }
        }
    }

    private static func trimmed(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        func isSpace(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        guard let first = bytes.firstIndex(where: { !isSpace($0) }) else { return bytes[bytes.endIndex...] }
        let last = bytes.lastIndex(where: { !isSpace($0) })!
        return bytes[first...last]
    }
}
