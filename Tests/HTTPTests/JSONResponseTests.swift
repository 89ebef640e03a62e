import Foundation
import HTTP
import Testing

/// `Response.json` writes most bodies without JSONEncoder; these must be byte for byte what the configured
/// JSONEncoder writes, including key order, escaping and omitted nils.
@Suite("JSON responses match JSONEncoder byte for byte")
struct JSONResponseTests {
    enum Status: String, Codable { case received, in_review }

    struct Inner: Codable, Equatable {
        let label: String
        let count: Int
    }

    struct Shape: Codable {
        let text: String
        let int: Int
        let big: Int64
        let negative: Int32
        let unsigned: UInt8
        let flag: Bool
        let missing: String?
        let present: String?
        let inner: Inner
        let list: [Inner]
        let nested: [[Int]]
        let empty: [String]
        let byName: [String: Int]
        let byNumber: [Int: String]
        let status: Status
        let statuses: [Status]
    }

    struct ExplicitNull: Encodable {
        enum CodingKeys: String, CodingKey { case value, list }
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encodeNil(forKey: .value)
            var list = container.nestedUnkeyedContainer(forKey: .list)
            try list.encodeNil()
            try list.encode("x")
        }
    }

    struct WithDouble: Encodable {
        let ratio: Double
        let at: Date
        let blob: Data
    }

    struct Nothing: Encodable {
        func encode(to encoder: any Encoder) throws {}
    }

    private static func reference<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }

    private static func check<T: Encodable>(_ value: T, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let body = try Response.json(value).body
        let expected = try reference(value)
        #expect(
            body == expected,
            "\(String(decoding: body, as: UTF8.self)) ≠ \(String(decoding: expected, as: UTF8.self))",
            sourceLocation: sourceLocation)
    }

    static var sample: Shape {
        let controls = String((0..<32).map { Character(Unicode.Scalar(UInt8($0))) })
        return Shape(
                text: "平取 \"quoted\" back\\slash a/b \(controls) 🙂 \u{2028}", int: -42, big: .max, negative: .min,
                unsigned: 255, flag: true, missing: nil, present: "ある", inner: Inner(label: "振内", count: 3),
                list: [Inner(label: "a", count: 1), Inner(label: "b", count: 2)], nested: [[1, 2], [], [3]],
                empty: [],
                byName: ["a10": 1, "a2": 2, "B": 3, "a": 4, "_x": 5, "Z9": 6, "z10": 7, "受付": 8, "a_b": 9, "ab": 10],
                byNumber: [10: "ten", 2: "two", -1: "minus"], status: .in_review, statuses: [.received, .in_review])
    }

    @Test func structuresArraysDictionariesAndEnums() throws {
        try Self.check(Self.sample)
    }

    @Test func topLevelValues_explicitNulls_andEmptyEncodings() throws {
        try Self.check(["id": Int64(7)])
        try Self.check([Inner(label: "x", count: 0)])
        try Self.check("just a string")
        try Self.check(12)
        try Self.check(true)
        try Self.check(String?.none)
        try Self.check(ExplicitNull())
        // A top-level value that encodes nothing is an error, as with JSONEncoder; nested, it is `{}`.
        #expect(throws: EncodingError.self) { try Response.json(Nothing()) }
        try Self.check(["outer": Nothing()])
        try Self.check(["outer": ["inner": [String: Int]()]])
    }

    @Test func valuesTheFastPathRefuses_stillComeOutAsJSONEncoderWritesThem() throws {
        try Self.check(WithDouble(ratio: 0.1, at: Date(timeIntervalSince1970: 1_775_001_600), blob: Data([1, 2, 3])))
        try Self.check(["nested": [1.5, 2.0]])
    }
}
