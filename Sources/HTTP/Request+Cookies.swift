extension Request {
    /// Cookies from the `Cookie` header (RFC 6265 §5.4). The first of two same-named cookies wins,
    /// as browsers send the most specific path first.
    public var cookies: [String: String] {
        guard let header = header("cookie") else { return [:] }
        var cookies: [String: String] = [:]
        for pair in header.split(separator: ";") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let name = parts[0].trimmingCharacters(in: .whitespaces)
            var value = parts[1].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
                value = String(value.dropFirst().dropLast())
            }
            if cookies[name] == nil { cookies[name] = value }
        }
        return cookies
    }

    /// One cookie, as `cookies[name]` finds it. An ASCII header (every browser's) is scanned in place: building
    /// the dictionary with Foundation's trimming cost 170,000 instructions per signed-in page, asked several
    /// times a request (callgrind, マイページ). A header with other bytes takes the dictionary's path, so Unicode
    /// whitespace is trimmed exactly as there.
    public func cookie(_ name: String) -> String? {
        guard var header = header("cookie") else { return nil }
        var name = name
        let scanned = header.withUTF8 { bytes in name.withUTF8 { Self.scanASCIICookie(named: $0, in: bytes) } }
        switch scanned {
        case .found(let value): return value
        case .absent: return nil
        case .notASCII: return cookies[String(decoding: name.utf8, as: UTF8.self)]
        }
    }

    private enum ScannedCookie {
        case found(String)
        case absent
        case notASCII
    }

    private static func scanASCIICookie(named name: UnsafeBufferPointer<UInt8>, in header: UnsafeBufferPointer<UInt8>)
        -> ScannedCookie
    {
        if header.contains(where: { $0 >= 0x80 }) || name.contains(where: { $0 >= 0x80 }) { return .notASCII }
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }
        var pairStart = 0
        while pairStart <= header.count {
            var pairEnd = pairStart
            while pairEnd < header.count && header[pairEnd] != 0x3B { pairEnd += 1 }  // ;
            defer { pairStart = pairEnd + 1 }
            // `split(separator: "=", maxSplits: 1)` drops empty pieces without counting them: leading "="s are
            // skipped ("==a=x" is a=x), and "a=" is not a pair.
            var keyStart = pairStart
            while keyStart < pairEnd && header[keyStart] == 0x3D { keyStart += 1 }
            guard let equals = (keyStart..<pairEnd).first(where: { header[$0] == 0x3D }), equals + 1 < pairEnd
            else { continue }
            var nameStart = keyStart
            var nameEnd = equals
            while nameStart < nameEnd && isSpace(header[nameStart]) { nameStart += 1 }
            while nameEnd > nameStart && isSpace(header[nameEnd - 1]) { nameEnd -= 1 }
            guard nameEnd - nameStart == name.count,
                (0..<name.count).allSatisfy({ header[nameStart + $0] == name[$0] })
            else { continue }
            var valueStart = equals + 1
            var valueEnd = pairEnd
            while valueStart < valueEnd && isSpace(header[valueStart]) { valueStart += 1 }
            while valueEnd > valueStart && isSpace(header[valueEnd - 1]) { valueEnd -= 1 }
            if valueEnd - valueStart >= 2 && header[valueStart] == 0x22 && header[valueEnd - 1] == 0x22 {
                valueStart += 1
                valueEnd -= 1
            }
            return .found(String(decoding: UnsafeBufferPointer(rebasing: header[valueStart..<valueEnd]), as: UTF8.self))
        }
        return .absent
    }
}
