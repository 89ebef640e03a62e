import Foundation
import Testing

@testable import HTTP

/// The fast writer must actually take the common shapes (else the byte-for-byte tests would pass by falling
/// back to JSONEncoder every time) and must refuse what it cannot write identically.
@Suite("FastJSON takes the common shapes and refuses the rest")
struct FastJSONTests {
    @Test func takesStringsIntegersBooleansNullsArraysAndObjects() throws {
        struct Row: Encodable {
            let id: Int64
            let note: String
            let tags: [String]
            let extra: [String: Bool]
            let missing: Int?
        }
        let data = try FastJSON.encode(Row(id: 1, note: "a/b \"c\"", tags: ["x"], extra: ["b": true, "a": false], missing: nil))
        #expect(String(decoding: data, as: UTF8.self) == #"{"extra":{"a":false,"b":true},"id":1,"note":"a/b \"c\"","tags":["x"]}"#)
    }

    @Test func takesTheWholeByteForByteSample() throws {
        _ = try FastJSON.encode(JSONResponseTests.sample)
    }

    @Test func refusesFloatingPointDatesAndData() {
        #expect(throws: FastJSON.Unsupported.self) { try FastJSON.encode(["x": 0.5]) }
        #expect(throws: FastJSON.Unsupported.self) { try FastJSON.encode([Date()]) }
        #expect(throws: FastJSON.Unsupported.self) { try FastJSON.encode(["d": Data([1])]) }
    }
}
