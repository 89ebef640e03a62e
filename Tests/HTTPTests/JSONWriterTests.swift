import Foundation
import HTTP
import Testing

/// `JSONWritable` types promise the exact bytes JSONEncoder would give; these tests hold them to it.
@Suite("JSONWriter matches JSONEncoder byte for byte")
struct JSONWriterTests {
    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    struct Sample: Codable, JSONWritable {
        struct Child: Codable, JSONWritable {
            let label: String
            let rank: Int

            func writeJSON(to writer: inout JSONWriter) {
                writer.object { writer in
                    writer.member("label", label)
                    writer.member("rank", rank)
                }
            }
        }

        let active: Bool
        let children: [Child]
        let count: Int64
        let empty: [Child]
        let note: String?
        let parent: Child?
        let text: String

        func writeJSON(to writer: inout JSONWriter) {
            writer.object { writer in
                writer.member("active", active)
                writer.key("children")
                writer.array(children) { writer, child in writer.value(child) }
                writer.member("count", count)
                writer.key("empty")
                writer.array(empty) { writer, child in writer.value(child) }
                writer.member("note", note)
                writer.member("parent", parent)
                writer.member("text", text)
            }
        }
    }

    private func expectSameBytes<T: JSONWritable>(_ value: T, sourceLocation: SourceLocation = #_sourceLocation)
        throws
    {
        let expected = try Self.encoder.encode(value)
        let written = value.jsonData()
        #expect(
            written == expected,
            "\(String(decoding: written, as: UTF8.self)) != \(String(decoding: expected, as: UTF8.self))",
            sourceLocation: sourceLocation)
    }

    @Test func everyControlCharacter_quote_backslash_slash_andNonASCII() throws {
        var text = ""
        for scalar in 0..<32 { text.unicodeScalars.append(Unicode.Scalar(UInt8(scalar))) }
        text += "\"\\/ \u{7F}\u{2028}\u{2029} 平取町 住民票の写し 😀 é"
        try expectSameBytes(Sample.Child(label: text, rank: -1))
        try expectSameBytes(Sample.Child(label: "", rank: 0))
    }

    @Test func integersAtTheirLimits() throws {
        for number in [Int.min, Int.min + 1, -10, -1, 0, 9, 10, 99, 100, 1_000_000, Int.max] {
            try expectSameBytes(Sample.Child(label: "n", rank: number))
        }
    }

    @Test func nestedObjectsArrays_andOmittedOptionals() throws {
        let child = Sample.Child(label: "a", rank: 1)
        try expectSameBytes(
            Sample(
                active: true, children: [child, Sample.Child(label: "b", rank: 2)], count: Int64.max, empty: [],
                note: nil, parent: child, text: "x"))
        try expectSameBytes(
            Sample(active: false, children: [], count: Int64.min, empty: [], note: "メモ", parent: nil, text: ""))
    }

    @Test func apiErrorBody_isWrittenLikeJSONEncoderWouldEncodeIt() throws {
        try expectSameBytes(APIErrorBody(code: "not_found", message: "見つかりません。\n\"x\"", requestID: "abc123"))
    }
}

@Suite("HTTPHeaders")
struct HTTPHeadersTests {
    @Test func namesMatchWithoutRegardToCase_andSettingNilRemoves() {
        var headers: HTTPHeaders = ["Content-Type": "text/plain", "x-csrf-token": "t1"]
        #expect(headers["content-type"] == "text/plain")
        #expect(headers["CONTENT-TYPE"] == "text/plain")
        #expect(headers["X-CSRF-Token"] == "t1")
        headers["X-Csrf-Token"] = "t2"
        #expect(headers["x-csrf-token"] == "t2")
        #expect(headers.count == 2)
        headers["content-type"] = nil
        #expect(headers["Content-Type"] == nil)
        #expect(headers.count == 1)
        #expect(headers.map(\.name) == ["x-csrf-token"])
    }
}
