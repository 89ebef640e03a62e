import Foundation
import Notices
import Store
import TestSupport
import Testing

/// The bodies the sender builds, validated against LINE's own OpenAPI spec (Fixtures/line-openapi), with
/// Fixtures/validate_line_request.py (python3-yaml + python3-jsonschema).
@Suite("Request bodies validate against LINE's OpenAPI spec")
struct LINESpecValidationTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    let directory = TemporaryDirectory()

    /// Runs the validator; returns its exit code and what it printed.
    private func validate(schema: String, bodies: [Data], retryKey: String? = nil) throws -> (Int32, String) {
        var arguments = [
            Self.fixtures.appendingPathComponent("validate_line_request.py").path,
            Self.fixtures.appendingPathComponent("line-openapi/messaging-api.yml").path, schema,
        ]
        for (index, body) in bodies.enumerated() {
            let path = directory.path("\(schema)-\(index).json")
            try body.write(to: URL(fileURLWithPath: path))
            arguments.append(path)
        }
        if let retryKey { arguments += ["--retry-key", retryKey] }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let output = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    @Test func theFrozenPushAndMulticastBodies_andTheRetryKeyHeader_matchTheSpec() throws {
        let store = NoticeStore(database: try Fixtures.makeDatabase(in: directory, withDistricts: true))
        try Fixtures.makeResidents(store.database, count: 501)
        let multicast = try store.createNotice(
            NoticesFixtures.draft(.allLinked, messages: ["お知らせ 📢 {日時}", "詳しくは https://example.jp/a?b=1 をご覧ください。"]),
            now: Date())
        let push = try store.createNotice(
            NoticesFixtures.draft(
                .residents([1, 2]),
                messages: ["{氏名} 様", "1", "2", "3", "\"引用\" と \\ と\n改行 {{括弧}}"], values: [:]),
            now: Date())
        let multicastRequests = try store.fetchRequests(noticeID: multicast.id)
        let pushRequests = try store.fetchRequests(noticeID: push.id)
        #expect(multicastRequests.map(\.endpoint) == [.multicast, .multicast])
        #expect(pushRequests.map(\.endpoint) == [.push, .push])

        let sender = LINESender(
            apiBase: "https://api.line.me", accessToken: ChannelAccessToken("t"), requestTimeout: 10)
        let request = sender.httpRequest(
            endpoint: pushRequests[0].endpoint, payload: pushRequests[0].payload, retryKey: pushRequests[0].retryKey)
        #expect(request.url == "https://api.line.me/v2/bot/message/push")
        #expect(request.body == pushRequests[0].payload, "exactly the frozen bytes")
        let headers = Dictionary(uniqueKeysWithValues: request.headers.map { ($0.0.lowercased(), $0.1) })
        #expect(headers["content-type"] == "application/json")
        #expect(headers["authorization"] == "Bearer t")
        let retryKey = try #require(headers["x-line-retry-key"])

        let (pushStatus, pushErrors) = try validate(
            schema: "PushMessageRequest", bodies: pushRequests.map(\.payload), retryKey: retryKey)
        #expect(pushStatus == 0, "\(pushErrors)")
        let (multicastStatus, multicastErrors) = try validate(
            schema: "MulticastRequest", bodies: multicastRequests.map(\.payload),
            retryKey: multicastRequests[0].retryKey)
        #expect(multicastStatus == 0, "\(multicastErrors)")
    }

    @Test func theValidatorRefusesWhatLINEWouldRefuse() throws {
        let tooMany = Data(
            #"{"to":["U1"],"messages":[{"type":"text","text":"a"},{"type":"text","text":"a"},{"type":"text","text":"a"},{"type":"text","text":"a"},{"type":"text","text":"a"},{"type":"text","text":"a"}]}"#
                .utf8)
        let (status, errors) = try validate(schema: "MulticastRequest", bodies: [tooMany])
        #expect(status == 1)
        #expect(errors.contains("messages"))
        let misspelt = Data(#"{"to":"U1","messages":[{"type":"text","txt":"a"}]}"#.utf8)
        let (misspeltStatus, misspeltErrors) = try validate(schema: "PushMessageRequest", bodies: [misspelt])
        #expect(misspeltStatus == 1)
        #expect(misspeltErrors.contains("'text' is a required property"), "the discriminator picked TextMessage")
        let tooManyRecipients = Data(
            (#"{"messages":[{"type":"text","text":"a"}],"to":["# + (1...501).map { "\"U\($0)\"" }.joined(separator: ",")
                + "]}")
                .utf8)
        #expect(try validate(schema: "MulticastRequest", bodies: [tooManyRecipients]).0 == 1)
        #expect(try validate(schema: "PushMessageRequest", bodies: [misspelt], retryKey: "not-a-uuid").0 == 1)
    }
}
