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

    public func cookie(_ name: String) -> String? { cookies[name] }
}
