import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// One part of a `multipart/form-data` body.
public struct MultipartPart: Sendable, Equatable {
    public let name: String
    /// Present for file inputs; empty when the browser sent the input with no file chosen.
    public let filename: String?
    public let contentType: String?
    /// The bytes; empty when `exceededFileLimit` (they were not kept).
    public let data: Data
    /// The file was larger than the per-file limit. Reported beside the field rather than failing the request.
    public let exceededFileLimit: Bool

    public var isFile: Bool { filename != nil }

    /// A text part's value; nil for files.
    public var text: String? { isFile ? nil : String(decoding: data, as: UTF8.self) }
}

/// Caps that bound the parser's memory and time whatever the client sends.
public struct MultipartLimits: Sendable {
    public var maximumParts = 100
    /// One part's header block.
    public var maximumHeaderBytes = 4 * 1024
    /// One text (non-file) field.
    public var maximumFieldBytes = 64 * 1024
    /// One file: larger files are flagged, not kept.
    public var maximumFileBytes = 5 * 1_048_576
    /// All files together: more is a 413 for the whole request.
    public var maximumTotalFileBytes = 10 * 1_048_576

    public init() {}
}

/// Why a body was refused. Messages are Japanese and never repeat the content.
public enum MultipartError: Error, Equatable, Sendable {
    case missingBoundary
    case malformed(String)
    case tooManyParts
    case headerTooLarge
    case fieldTooLarge
    case totalTooLarge

    public var message: String {
        switch self {
        case .missingBoundary, .malformed: "送信内容を読み取れませんでした。もう一度お試しください。"
        case .tooManyParts: "送信された項目が多すぎます。"
        case .headerTooLarge: "送信内容の形式が正しくありません。"
        case .fieldTooLarge: "入力内容が長すぎます。"
        case .totalTooLarge: "添付ファイルの合計が大きすぎます（上限 10 MB）。"
        }
    }
}

/// An RFC 7578 `multipart/form-data` parser over a complete body (the server has already read it within the
/// route's limit). It never trusts the input: every search is bounded by the body, every count by `limits`,
/// and anything that does not follow the grammar is an error rather than a guess.
public enum MultipartParser {
    /// The `boundary` parameter of a `multipart/form-data` Content-Type, checked against RFC 2046's grammar.
    public static func boundary(fromContentType header: String?) -> String? {
        guard let header else { return nil }
        let pieces = header.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard let type = pieces.first, type.lowercased() == "multipart/form-data" else { return nil }
        for piece in pieces.dropFirst() {
            let pair = piece.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces).lowercased() == "boundary" else {
                continue
            }
            var value = pair[1].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
                value = String(value.dropFirst().dropLast())
            }
            return isValidBoundary(value) ? value : nil
        }
        return nil
    }

    /// RFC 2046 §5.1.1: 1 to 70 characters from `bchars`, not ending in a space.
    static func isValidBoundary(_ boundary: String) -> Bool {
        let allowed = Set("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-./:=? ".utf8)
        let bytes = Array(boundary.utf8)
        return (1...70).contains(bytes.count) && bytes.allSatisfy(allowed.contains) && bytes.last != 32
    }

    public static func parse(_ body: Data, contentType: String?, limits: MultipartLimits = MultipartLimits()) throws
        -> [MultipartPart]
    {
        guard let boundary = boundary(fromContentType: contentType) else { throw MultipartError.missingBoundary }
        return try parse(body, boundary: boundary, limits: limits)
    }

    public static func parse(_ body: Data, boundary: String, limits: MultipartLimits = MultipartLimits()) throws
        -> [MultipartPart]
    {
        guard isValidBoundary(boundary) else { throw MultipartError.missingBoundary }
        let bytes = [UInt8](body)
        let dashBoundary = Array("--\(boundary)".utf8)
        let delimiter = [13, 10] + dashBoundary

        // The first boundary: at the very start, or after a preamble and a CRLF.
        var position: Int
        if bytes.starts(with: dashBoundary), let after = afterDelimiter(bytes, at: dashBoundary.count) {
            position = after.next
            if after.isClose { return [] }
        } else {
            guard let found = findDelimiter(bytes, delimiter, from: 0) else {
                throw MultipartError.malformed("no opening boundary")
            }
            if found.isClose { return [] }
            position = found.next
        }

        var parts: [MultipartPart] = []
        var totalFileBytes = 0
        while true {
            guard parts.count < limits.maximumParts else { throw MultipartError.tooManyParts }
            // Headers end at the first empty line; a part may have none (it then starts with CRLF).
            let headerEnd: Int
            let bodyStart: Int
            if bytes.count - position >= 2, bytes[position] == 13, bytes[position + 1] == 10 {
                headerEnd = position
                bodyStart = position + 2
            } else {
                let searchEnd = min(bytes.count, position + limits.maximumHeaderBytes + 4)
                guard let end = find(bytes, [13, 10, 13, 10], from: position, to: searchEnd) else {
                    if bytes.count - position > limits.maximumHeaderBytes { throw MultipartError.headerTooLarge }
                    throw MultipartError.malformed("truncated part headers")
                }
                headerEnd = end
                bodyStart = end + 4
            }
            let headers = try parseHeaders(Array(bytes[position..<headerEnd]))
            guard let next = findDelimiter(bytes, delimiter, from: bodyStart) else {
                throw MultipartError.malformed("part without a closing boundary")
            }
            let length = next.start - bodyStart
            if headers.filename != nil {
                let exceeded = length > limits.maximumFileBytes
                if !exceeded {
                    totalFileBytes += length
                    guard totalFileBytes <= limits.maximumTotalFileBytes else { throw MultipartError.totalTooLarge }
                }
                parts.append(
                    MultipartPart(
                        name: headers.name, filename: headers.filename, contentType: headers.contentType,
                        data: exceeded ? Data() : Data(bytes[bodyStart..<next.start]), exceededFileLimit: exceeded))
            } else {
                guard length <= limits.maximumFieldBytes else { throw MultipartError.fieldTooLarge }
                let data = Data(bytes[bodyStart..<next.start])
                guard String(data: data, encoding: .utf8) != nil else {
                    throw MultipartError.malformed("field is not UTF-8")
                }
                parts.append(
                    MultipartPart(
                        name: headers.name, filename: nil, contentType: headers.contentType, data: data,
                        exceededFileLimit: false))
            }
            if next.isClose { return parts }
            position = next.next
        }
    }

    /// A delimiter found in the body: where it starts, where the next part begins, and whether it was the
    /// closing one (`--boundary--`).
    struct Delimiter {
        let start: Int
        let next: Int
        let isClose: Bool
    }

    /// The next real delimiter at or after `from`. A `CRLF--boundary` followed by anything other than `--` or
    /// optional whitespace and CRLF is data that happens to contain the boundary text, and the search goes on.
    static func findDelimiter(_ bytes: [UInt8], _ delimiter: [UInt8], from: Int) -> Delimiter? {
        var searchFrom = from
        while let start = find(bytes, delimiter, from: searchFrom, to: bytes.count) {
            if let after = afterDelimiter(bytes, at: start + delimiter.count) {
                return Delimiter(start: start, next: after.next, isClose: after.isClose)
            }
            searchFrom = start + 1
        }
        return nil
    }

    /// What follows a boundary: `--` closes (the epilogue is ignored), whitespace then CRLF opens a part.
    static func afterDelimiter(_ bytes: [UInt8], at index: Int) -> (next: Int, isClose: Bool)? {
        if index + 1 < bytes.count, bytes[index] == 45, bytes[index + 1] == 45 { return (bytes.count, true) }
        var cursor = index
        // Transport padding: bounded by the body, and by a sane amount so a run of spaces cannot be slow.
        while cursor < bytes.count, cursor - index < 256, bytes[cursor] == 32 || bytes[cursor] == 9 { cursor += 1 }
        guard cursor + 1 < bytes.count, bytes[cursor] == 13, bytes[cursor + 1] == 10 else { return nil }
        return (cursor + 2, false)
    }

    /// The first index of `needle` in `bytes[from..<to]`. memchr finds candidates for the first byte and memcmp
    /// checks the rest, so the cost is linear in the body times at most the needle's length (≤ 74 bytes).
    /// (Glibc's memmem is a GNU extension Swift does not import.)
    static func find(_ bytes: [UInt8], _ needle: [UInt8], from: Int, to: Int) -> Int? {
        guard from >= 0, to <= bytes.count, to - from >= needle.count, !needle.isEmpty else { return nil }
        return bytes.withUnsafeBufferPointer { haystack -> Int? in
            needle.withUnsafeBufferPointer { pattern -> Int? in
                guard let base = haystack.baseAddress, let patternBase = pattern.baseAddress else { return nil }
                var cursor = from
                let lastStart = to - needle.count
                while cursor <= lastStart {
                    guard let hit = memchr(base + cursor, Int32(needle[0]), lastStart - cursor + 1) else { return nil }
                    let index = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                    if memcmp(base + index, patternBase, needle.count) == 0 { return index }
                    cursor = index + 1
                }
                return nil
            }
        }
    }

    struct PartHeaders {
        let name: String
        let filename: String?
        let contentType: String?
    }

    /// Content-Disposition (required: `form-data` with a name) and Content-Type. Folded lines, lines without
    /// a colon and unknown dispositions are refused.
    static func parseHeaders(_ block: [UInt8]) throws -> PartHeaders {
        let text = String(decoding: block, as: UTF8.self)
        var disposition: String?
        var contentType: String?
        for line in text.components(separatedBy: "\r\n") where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":"), !line.hasPrefix(" "), !line.hasPrefix("\t") else {
                throw MultipartError.malformed("bad header line")
            }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            switch name {
            case "content-disposition":
                guard disposition == nil else { throw MultipartError.malformed("two content-disposition headers") }
                disposition = value
            case "content-type":
                contentType = value.split(separator: ";").first.map {
                    $0.trimmingCharacters(in: .whitespaces).lowercased()
                }
            default:
                continue  // RFC 7578 §4.8: other headers are ignored
            }
        }
        guard let disposition else { throw MultipartError.malformed("no content-disposition") }
        let parameters = try dispositionParameters(disposition)
        guard parameters.type == "form-data", let name = parameters.values["name"], !name.isEmpty, name.count <= 100
        else { throw MultipartError.malformed("content-disposition is not form-data with a name") }
        return PartHeaders(name: name, filename: parameters.values["filename"], contentType: contentType)
    }

    /// `form-data; name="a"; filename="b.pdf"` → ("form-data", [name: a, filename: b.pdf]). Quoted strings may
    /// contain `;` and backslash escapes.
    static func dispositionParameters(_ value: String) throws -> (type: String, values: [String: String]) {
        let scalars = Array(value.unicodeScalars)
        var index = 0
        func skipSpaces() {
            while index < scalars.count, scalars[index] == " " || scalars[index] == "\t" { index += 1 }
        }
        func token() -> String {
            var text = String.UnicodeScalarView()
            while index < scalars.count, !";= \t\"".unicodeScalars.contains(scalars[index]) {
                text.append(scalars[index])
                index += 1
            }
            return String(text)
        }
        skipSpaces()
        let type = token().lowercased()
        var values: [String: String] = [:]
        while true {
            skipSpaces()
            guard index < scalars.count else { break }
            guard scalars[index] == ";" else { throw MultipartError.malformed("bad disposition") }
            index += 1
            skipSpaces()
            if index >= scalars.count { break }
            let key = token().lowercased()
            skipSpaces()
            guard index < scalars.count, scalars[index] == "=", !key.isEmpty else {
                throw MultipartError.malformed("bad disposition parameter")
            }
            index += 1
            skipSpaces()
            var parameter = String.UnicodeScalarView()
            if index < scalars.count, scalars[index] == "\"" {
                index += 1
                var closed = false
                while index < scalars.count {
                    let scalar = scalars[index]
                    index += 1
                    if scalar == "\\", index < scalars.count {
                        parameter.append(scalars[index])
                        index += 1
                    } else if scalar == "\"" {
                        closed = true
                        break
                    } else {
                        parameter.append(scalar)
                    }
                }
                guard closed else { throw MultipartError.malformed("unterminated quoted string") }
            } else {
                parameter = token().unicodeScalars
            }
            guard values[key] == nil else { throw MultipartError.malformed("repeated disposition parameter") }
            values[key] = String(parameter)
        }
        return (type, values)
    }
}

extension Array where Element == MultipartPart {
    /// Text fields as `SubmittedValues` (a name may repeat), leaving files out.
    public var submittedValues: SubmittedValues {
        var values: SubmittedValues = [:]
        for part in self where !part.isFile {
            values[part.name, default: []].append(part.text ?? "")
        }
        return values
    }

    public func firstText(_ name: String) -> String? {
        first { $0.name == name && !$0.isFile }?.text
    }
}
