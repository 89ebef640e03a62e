import Foundation
import HTTP
import TestSupport
import Testing

/// Bodies come from the internet: the reader must take exactly RFC 8259, agree with JSONSerialization on what
/// both accept, and never crash.
@Suite("JSONReader parses strict JSON")
struct JSONReaderTests {
    private func parse(_ text: String, maximumDepth: Int = 64) throws -> JSONValue {
        try parse(Array(text.utf8), maximumDepth: maximumDepth)
    }

    private func parse(_ bytes: [UInt8], maximumDepth: Int = 64) throws -> JSONValue {
        try bytes.withUnsafeBytes { try JSONValue.parse($0, maximumDepth: maximumDepth) }
    }

    @Test func validTexts_parseToExactValues() throws {
        let cases: [(String, JSONValue)] = [
            ("null", .null), (" true ", .bool(true)), ("\t\r\nfalse\n", .bool(false)),
            ("0", .integer(0)), ("-0", .integer(0)), ("42", .integer(42)), ("-17", .integer(-17)),
            ("9223372036854775807", .integer(.max)), ("-9223372036854775808", .integer(.min)),
            ("9223372036854775808", .number(9.223372036854775808e18)),
            ("-9223372036854775809", .number(-9.223372036854775809e18)),
            ("1e2", .number(100)), ("1E+2", .number(100)), ("25e-2", .number(0.25)), ("1.0", .number(1)),
            ("-0.5", .number(-0.5)), ("0.1", .number(0.1)),
            ("1.7976931348623157e308", .number(.greatestFiniteMagnitude)),
            ("\"\"", .string("")), ("\"平取町 住民票\"", .string("平取町 住民票")), ("\"\u{7F}\"", .string("\u{7F}")),
            (#""\" \\ \/ \b \f \n \r \t""#, .string("\" \\ / \u{8} \u{C} \n \r \t")),
            (#""\u00e9\u00E9\u0000""#, .string("éé\u{0}")), (#""a\uD83D\uDE00b""#, .string("a😀b")),
            (#""😀\n""#, .string("😀\n")), (#""\uDBFF\uDFFF""#, .string("\u{10FFFF}")),
            ("[]", .array([])), ("[ ]", .array([])), ("{}", .object([])), ("{ }", .object([])),
            (
                "[1, \"a\", null, [true, {}]]",
                .array([.integer(1), .string("a"), .null, .array([.bool(true), .object([])])])
            ),
            (
                #"{"b": 1, "a": {"c": []}, "": -2.5}"#,
                .object([("b", .integer(1)), ("a", .object([("c", .array([]))])), ("", .number(-2.5))])
            ),
            (#"{"\u0061":1,"b":2}"#, .object([("a", .integer(1)), ("b", .integer(2))])),
            ("{\"\u{212A}\":1,\"K\":2}", .object([("\u{212A}", .integer(1)), ("K", .integer(2))])),
        ]
        for (text, expected) in cases {
            #expect(try parse(text) == expected, "\(text.debugDescription)")
        }
        #expect(try JSONValue.parse(Data("[1]".utf8)) == .array([.integer(1)]))
        // Equality is by exact bytes and member order, so these must differ.
        #expect(JSONValue.string("\u{212A}") != .string("K"))
        #expect(JSONValue.object([("a", .null), ("b", .null)]) != .object([("b", .null), ("a", .null)]))
        #expect(JSONValue.integer(1) != .number(1))
    }

    @Test func invalidTexts_areMalformed() {
        let texts: [String] = [
            "", " ", "nul", "nulll", "True", "tru", "falsey", "NaN", "Infinity", "-Infinity", "undefined",
            "01", "-01", "00", "+1", ".5", "1.", "-", "-.5", "1e", "1e+", "1.e5", "0x10", "1 2", "1e400", "-1e400",
            "'a'", "\"abc", "\"\\\"", "\"a\tb\"", "\"a\nb\"", "\"\u{1F}\"", "\"\u{0}\"",
            #""\x41""#, #""\a""#, #""\U0041""#, #""\u12""#, #""\u12G4""#, #""\"#, #""\u"#,
            #""\uD800""#, #""\uDC00""#, #""\uDE00\uD83D""#, #""\uD83D\u0041""#, #""\uD83Dx""#, #""\uD83D\uD83D""#,
            "[1,]", "[,1]", "[1 2]", "[", "[1", "]", "[1]]", "[1}", "{\"a\":1,}", "{,}", "{\"a\"}", "{\"a\":}",
            "{\"a\" 1}", "{a:1}", "{1:1}", "{\"a\":1", "{", "}", "{\"a\":1}}", "{\"a\":1 \"b\":2}",
            "{\"a\":1,\"a\":2}", "{\"a\":1,\"\\u0061\":2}", "[{\"x\":{\"k\":1,\"j\":2,\"k\":3}}]",
            "null x", "{} {}", "[]]", "\u{FEFF}1", "1\u{0C}", "\u{A0}1", "/* */ 1", "[1]//",
        ]
        for text in texts {
            #expect(throws: JSONParseError.malformed, "\(text.debugDescription)") { try parse(text) }
        }
        let byteTexts: [[UInt8]] = [
            [0x22, 0xC3, 0x28, 0x22],  // a lead byte without its continuation
            [0x22, 0xC0, 0xAF, 0x22],  // overlong "/"
            [0x22, 0xE0, 0x80, 0xAF, 0x22],  // overlong "/" in three bytes
            [0x22, 0xED, 0xA0, 0x80, 0x22],  // a surrogate encoded in UTF-8
            [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22],  // past U+10FFFF
            [0x22, 0xF0, 0x9F, 0x98, 0x22],  // truncated four-byte sequence
            [0x22, 0x80, 0x22], [0x22, 0xFF, 0x22],
            [0x22, 0x5C, 0x6E, 0xC3, 0x22],  // invalid after an escape: the slow path validates too
            [0x22, 0xC3, 0x5C, 0x75, 0x30, 0x30, 0x41, 0x39, 0x22],  // a lead byte completed only by an escape
            [0x7B, 0x22, 0xC3, 0x22, 0x3A, 0x31, 0x7D],  // in a key
            [0x31, 0x00], [0x00], [0xEF, 0xBB, 0xBF, 0x31],
        ]
        for bytes in byteTexts {
            #expect(throws: JSONParseError.malformed, "\(bytes)") { try parse(bytes) }
        }
    }

    @Test func duplicateKeys_areRefusedInLargeObjects_byExactBytes() throws {
        let keys = (0..<100).map { "\"k\($0)\":\($0)" }
        let unique = try parse("{" + keys.joined(separator: ",") + "}")
        guard case .object(let members) = unique else { Issue.record("not an object"); return }
        #expect(members.count == 100 && members.last?.key == "k99")
        #expect(throws: JSONParseError.malformed) {
            try parse("{" + (keys + ["\"k42\":0"]).joined(separator: ",") + "}")
        }
        #expect(throws: JSONParseError.malformed) {
            try parse("{" + (keys + [#""k\u0034\u0032":0"#]).joined(separator: ",") + "}")
        }
        // Canonically equivalent to "K" for Swift's ==, but a different key on the wire.
        #expect(throws: Never.self) {
            try parse("{" + (keys + ["\"\u{212A}\":0", "\"K\":0"]).joined(separator: ",") + "}")
        }
    }

    @Test func nesting_upToMaximumDepth_thenTooDeep() throws {
        func nested(_ depth: Int) -> String {
            String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        }
        _ = try parse(nested(64))
        #expect(throws: JSONParseError.tooDeep) { try parse(nested(65)) }
        #expect(throws: JSONParseError.tooDeep) {
            try parse(String(repeating: "{\"a\":", count: 65) + "1" + String(repeating: "}", count: 65))
        }
        _ = try parse(String(repeating: "{\"a\":[", count: 32) + "1" + String(repeating: "]}", count: 32))
        #expect(throws: JSONParseError.tooDeep) { try parse(nested(3), maximumDepth: 2) }
        #expect(throws: JSONParseError.tooDeep) { try parse("[]", maximumDepth: 0) }
        #expect(try parse("7", maximumDepth: 0) == .integer(7))
    }

    @Test func hundredThousandOpenBrackets_failCleanly() {
        #expect(throws: JSONParseError.tooDeep) { try parse(String(repeating: "[", count: 100_000)) }
        #expect(throws: JSONParseError.malformed) {
            try parse(String(repeating: "[", count: 100_000), maximumDepth: .max)
        }
        #expect(throws: JSONParseError.tooDeep) { try parse(String(repeating: "{\"a\":", count: 100_000)) }
    }

    // MARK: - Differential test against JSONSerialization

    private static let stringPieces = [
        "a", "Z", " ", "#", "平取町", "é", "😀", "\u{7F}", #"\n"#, #"\""#, #"\\"#, #"\/"#, #"\t"#, #"\b"#, #"\f"#,
        #"\r"#, #"\u00e9"#, #"\u0000"#, #"\u001F"#, #"\uD83D\uDE00"#, #"\u2028"#, #"\uFFFF"#, #"\uabcd"#,
    ]
    private static let whitespace = ["", "", "", " ", "\n", "\t", "\r\n  "]

    private func randomString(_ rng: inout SeededGenerator) -> String {
        (0..<rng.below(6)).map { _ in rng.pick(Self.stringPieces) }.joined()
    }

    private func randomNumber(_ rng: inout SeededGenerator) -> String {
        if rng.below(8) == 0 {
            return rng.pick([
                "0", "-0", "9223372036854775807", "-9223372036854775808", "9223372036854775808",
                "123456789012345678901234567890", "1e308", "5e-324", "0.1", "-0.0",
            ])
        }
        var text = rng.below(3) == 0 ? "-" : ""
        let digits = rng.below(20)
        text += digits == 0 ? "0" : String(1 + rng.below(9)) + (1..<digits).map { _ in String(rng.below(10)) }.joined()
        if rng.below(3) == 0 { text += "." + (0...rng.below(5)).map { _ in String(rng.below(10)) }.joined() }
        if rng.below(4) == 0 { text += rng.pick(["e", "E", "e+", "e-", "E-"]) + String(rng.below(100)) }
        return text
    }

    private func randomDocument(_ rng: inout SeededGenerator, depth: Int) -> String {
        let space = { (rng: inout SeededGenerator) in rng.pick(Self.whitespace) }
        switch rng.below(depth >= 4 ? 5 : 7) {
        case 0: return rng.pick(["null", "true", "false"])
        case 1, 2: return randomNumber(&rng)
        case 3, 4: return "\"" + randomString(&rng) + "\""
        case 5:
            let elements = (0..<rng.below(5)).map { _ in
                space(&rng) + randomDocument(&rng, depth: depth + 1) + space(&rng)
            }
            return "[" + space(&rng) + elements.joined(separator: ",") + "]"
        default:
            // The "#index" suffix keeps keys unique: the pieces hold no other "#" once decoded.
            let members = (0..<rng.below(5)).map { index in
                space(&rng) + "\"" + randomString(&rng).replacingOccurrences(of: "#", with: "") + "#\(index)\""
                    + space(&rng) + ":" + space(&rng) + randomDocument(&rng, depth: depth + 1) + space(&rng)
            }
            // Now and then a repeated member, which JSONSerialization accepts and we refuse.
            let repeated = !members.isEmpty && rng.below(10) == 0 ? [members[0]] : []
            return "{" + space(&rng) + (members + repeated).joined(separator: ",") + "}"
        }
    }

    /// Bytes that can turn valid text into almost-valid text; no NUL or BOM, which make Foundation guess UTF-16.
    private static let mutationBytes: [UInt8] =
        Array("{}[]:,\"\\/ \t\n0123456789-+.eEtrufalsnxuUDdb".utf8) + [
            0x01, 0x1F, 0x7F, 0xC3, 0xA9, 0xC0, 0xAF, 0xED, 0xA0, 0x80, 0xF4, 0x90, 0x9F,
        ]

    private func mutate(_ text: [UInt8], _ rng: inout SeededGenerator) -> [UInt8] {
        var bytes = text
        for _ in 0...rng.below(3) {
            let position = rng.below(bytes.count + 1)
            let closers = bytes.indices.filter { bytes[$0] == UInt8(ascii: "]") || bytes[$0] == UInt8(ascii: "}") }
            switch rng.below(7) {
            case 0...1 where position < bytes.count: bytes.remove(at: position)
            case 2...3 where position < bytes.count: bytes[position] = rng.pick(Self.mutationBytes)
            case 4 where !closers.isEmpty: bytes.insert(UInt8(ascii: ","), at: rng.pick(closers))  // a trailing comma
            default: bytes.insert(rng.pick(Self.mutationBytes), at: position)
            }
        }
        return bytes
    }

    private func agrees(_ ours: JSONValue, _ theirs: Any) -> Bool {
        switch ours {
        case .null: return theirs is NSNull
        case .bool(let flag): return (theirs as? Bool) == flag
        case .integer(let integer):
            guard let number = theirs as? NSNumber else { return false }
            return number.int64Value == integer  // exact, unlike an NSDecimalNumber's doubleValue
        case .number(let double):
            guard let number = (theirs as? NSNumber)?.doubleValue else { return false }
            return abs(number - double) <= abs(double) * 1e-12
        case .string(let text):
            guard let other = theirs as? String else { return false }
            return text.utf8.elementsEqual(other.utf8)
        case .array(let elements):
            guard let others = theirs as? [Any], others.count == elements.count else { return false }
            return zip(elements, others).allSatisfy { agrees($0, $1) }
        case .object(let members):
            guard let others = theirs as? [String: Any], others.count == members.count else { return false }
            return members.allSatisfy { member in others[member.key].map { agrees(member.value, $0) } ?? false }
        }
    }

    /// For text JSONSerialization accepted: whether it holds something we refuse on purpose (a trailing comma,
    /// which Foundation tolerates, a duplicate key, or nesting past 64).
    private func hasDeliberateDifference(_ text: [UInt8]) -> Bool {
        var keySets: [Set<[UInt8]>?] = []  // nil for an array
        func next(after position: Int) -> UInt8? {
            text[position...].first { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }
        }
        var index = 0
        while index < text.count {
            switch text[index] {
            case UInt8(ascii: "\""):
                var end = index + 1
                while end < text.count, text[end] != UInt8(ascii: "\"") { end += text[end] == 0x5C ? 2 : 1 }
                guard end < text.count else { return false }
                if next(after: end + 1) == UInt8(ascii: ":"), !keySets.isEmpty,
                    case .string(let key)? = try? parse(Array(text[index...end])),
                    keySets[keySets.count - 1]?.insert(Array(key.utf8)).inserted == false
                {
                    return true
                }
                index = end
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                keySets.append(text[index] == UInt8(ascii: "{") ? [] : nil)
                if keySets.count > 64 { return true }
            case UInt8(ascii: "}"), UInt8(ascii: "]"): _ = keySets.popLast()
            case UInt8(ascii: ","):
                if let following = next(after: index + 1), following == 0x5D || following == 0x7D { return true }
            default: break
            }
            index += 1
        }
        return false
    }

    @Test func randomDocumentsAndMutations_agreeWithJSONSerialization() throws {
        var rng = SeededGenerator(seed: 0x6D61_646F_6775_6368)
        var acceptedByBoth = 0
        var refusedByBoth = 0
        var deliberate = 0
        for round in 0..<3_000 {
            let valid = Array(randomDocument(&rng, depth: 0).utf8)
            for bytes in [valid, mutate(valid, &rng), mutate(valid, &rng), mutate(valid, &rng)] {
                let label = "round \(round): \(String(decoding: bytes, as: UTF8.self).debugDescription) \(bytes)"
                let theirs = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
                switch (try? parse(bytes), theirs) {
                case (let ours?, let theirs?):
                    #expect(agrees(ours, theirs), "\(label)")
                    #expect(!hasDeliberateDifference(bytes), "\(label)")
                    acceptedByBoth += 1
                case (let ours?, nil):
                    Issue.record("we accept what JSONSerialization refuses: \(label) -> \(ours)")
                case (nil, _?):
                    #expect(hasDeliberateDifference(bytes), "we refuse what JSONSerialization accepts: \(label)")
                    deliberate += 1
                case (nil, nil):
                    refusedByBoth += 1
                }
                if bytes == valid { #expect(theirs != nil, "the generator made invalid JSON: \(label)") }
            }
        }
        // Both sides of the comparison must actually be exercised.
        #expect(
            acceptedByBoth > 3_000 && refusedByBoth > 3_000 && deliberate > 100,
            "\(acceptedByBoth) \(refusedByBoth) \(deliberate)")
    }
}

@Suite("Request.readJSON")
struct JSONReaderRequestTests {
    struct Application: JSONReadable, Decodable, Equatable {
        struct Applicant: Decodable, Equatable { let name: String }
        let purpose: String
        let copies: Int64?
        let applicant: Applicant

        init(purpose: String, copies: Int64?, applicant: Applicant) {
            self.purpose = purpose
            self.copies = copies
            self.applicant = applicant
        }

        init(json: JSONObjectReader) throws {
            purpose = try json.string("purpose")
            copies = try json.optionalInteger("copies")
            applicant = Applicant(name: try json.object("applicant").string("name"))
        }
    }

    private func post(_ body: String, contentType: String = "application/json") -> Request {
        Request(method: "POST", path: "/x", headers: ["content-type": contentType], body: Data(body.utf8))
    }

    private func readError(_ body: String, contentType: String = "application/json") throws -> HTTPError {
        try #require(throws: HTTPError.self) { try post(body, contentType: contentType).readJSON(Application.self) }
    }

    @Test func validBody_readsRequiredOptionalAndNestedFields() throws {
        let full = try post(#"{"purpose":"住民票","copies":2,"applicant":{"name":"山田","age":40},"extra":[1]}"#)
            .readJSON(Application.self)
        #expect(full == Application(purpose: "住民票", copies: 2, applicant: .init(name: "山田")))
        let charset = try post(
            #"{"purpose":"p","copies":null,"applicant":{"name":"n"}}"#, contentType: "Application/JSON; charset=utf-8"
        )
        .readJSON(Application.self)
        #expect(charset.copies == nil)
    }

    @Test func missingField_namesTheKey() throws {
        let error = try readError(#"{"purpose":"p"}"#)
        #expect((error.status, error.code, error.message) == (400, "missing_field", "必須の項目 applicant がありません。"))
        let nested = try readError(#"{"purpose":"p","applicant":{"nam":"x"}}"#)
        #expect((nested.status, nested.code, nested.message) == (400, "missing_field", "必須の項目 name がありません。"))
    }

    @Test func wrongType_namesTheDottedPath_neverTheValue() throws {
        let cases: [(String, String)] = [
            (#"{"purpose":"p","applicant":{"name":9876543}}"#, "applicant.name"),
            (#"{"purpose":"p","applicant":{"name":null}}"#, "applicant.name"),
            (#"{"purpose":["秘密の値"],"applicant":{"name":"n"}}"#, "purpose"),
            (#"{"purpose":"p","copies":"秘密の値","applicant":{"name":"n"}}"#, "copies"),
            (#"{"purpose":"p","copies":1.5,"applicant":{"name":"n"}}"#, "copies"),
            (#"{"purpose":"p","copies":9223372036854775808,"applicant":{"name":"n"}}"#, "copies"),
            (#"{"purpose":"p","applicant":"秘密の値"}"#, "applicant"),
        ]
        for (body, path) in cases {
            let error = try readError(body)
            #expect((error.status, error.code) == (400, "invalid_field"), "\(body)")
            #expect(error.message == "項目 \(path) の型が正しくありません。", "\(body)")
            #expect(!error.message.contains("秘密") && !error.message.contains("9876543"))
        }
    }

    @Test func malformedOrNonObjectBodies_areMalformedJSON() throws {
        for body in [
            "", "{", #"{"purpose":"p",}"#, "[1]", "\"p\"", "null", #"{"purpose":"p","purpose":"q"}"#,
            String(repeating: "[", count: 100_000),
            String(repeating: "{\"a\":", count: 65) + "1" + String(repeating: "}", count: 65),
        ] {
            let error = try readError(body)
            #expect((error.status, error.code, error.message) == (400, "malformed_json", "JSON の形式が正しくありません。"))
        }
    }

    @Test func anotherContentType_is415() throws {
        let error = try readError(#"{"purpose":"p","applicant":{"name":"n"}}"#, contentType: "text/plain")
        #expect((error.status, error.code) == (415, "unsupported_media_type"))
        #expect(error.message == HTTPError.unsupportedMediaType(expected: "application/json").message)
    }

    /// The two readers must be interchangeable for clients: same codes, same messages.
    @Test func errors_matchDecodeJSON() throws {
        let bodies = [
            #"{"purpose":"p"}"#, #"{"applicant":{"name":"n"}}"#, #"{"purpose":"p","applicant":{}}"#,
            #"{"purpose":1,"applicant":{"name":"n"}}"#, #"{"purpose":null,"applicant":{"name":"n"}}"#,
            #"{"purpose":"p","copies":"2","applicant":{"name":"n"}}"#, #"{"purpose":"p","applicant":{"name":true}}"#,
            #"{"purpose":"p","applicant":[]}"#, #"{"purpose":"p""#, "",
        ]
        for body in bodies {
            let ours = try readError(body)
            let theirs = try #require(throws: HTTPError.self) { try post(body).decodeJSON(Application.self) }
            #expect((ours.status, ours.code, ours.message) == (theirs.status, theirs.code, theirs.message), "\(body)")
        }
    }

    @Test func accessors_takeOnlyTheirOwnType() throws {
        let body = #"{"s":"x","i":-3,"f":1.0,"b":true,"n":null,"a":[1],"o":{"k":"v"}}"#
        guard case .object(let members) = try JSONValue.parse(Data(body.utf8)) else {
            Issue.record("not an object")
            return
        }
        let reader = JSONObjectReader(members: members, path: ["form"])
        #expect(try reader.string("s") == "x" && reader.integer("i") == -3 && reader.bool("b"))
        #expect(try reader.array("a") == [.integer(1)] && reader.object("o").string("k") == "v")
        #expect(try reader.optionalString("n") == nil && reader.optionalInteger("n") == nil)
        #expect(try reader.optionalBool("z") == nil && reader.optionalString("s") == "x")
        let mismatches: [(String, (String) throws -> Void)] = [
            ("f", { _ = try reader.integer($0) }), ("s", { _ = try reader.optionalInteger($0) }),
            ("b", { _ = try reader.string($0) }), ("i", { _ = try reader.optionalString($0) }),
            ("i", { _ = try reader.bool($0) }), ("s", { _ = try reader.optionalBool($0) }),
            ("a", { _ = try reader.object($0) }), ("o", { _ = try reader.array($0) }),
            ("n", { _ = try reader.bool($0) }), ("n", { _ = try reader.object($0) }),
            ("n", { _ = try reader.array($0) }),
        ]
        for (key, read) in mismatches {
            let error = try #require(throws: HTTPError.self) { try read(key) }
            #expect((error.code, error.message) == ("invalid_field", "項目 form.\(key) の型が正しくありません。"))
        }
        let required: [(String) throws -> Void] = [
            { _ = try reader.string($0) }, { _ = try reader.integer($0) }, { _ = try reader.bool($0) },
            { _ = try reader.object($0) }, { _ = try reader.array($0) },
        ]
        for read in required {
            let error = try #require(throws: HTTPError.self) { try read("z") }
            #expect((error.code, error.message) == ("missing_field", "必須の項目 z がありません。"))
        }
    }

    /// "\u{212A}" (KELVIN SIGN) == "K" in Swift, but a client that sent it did not send the field "K".
    @Test func fieldsMatchByExactKey_notCanonicalEquivalence() throws {
        let reader = JSONObjectReader(members: [("\u{212A}", .string("x"))])
        let error = try #require(throws: HTTPError.self) { try reader.string("K") }
        #expect(error.code == "missing_field")
        #expect(try reader.string("\u{212A}") == "x")
    }
}
