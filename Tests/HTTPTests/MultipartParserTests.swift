import Foundation
import TestSupport
import Testing

@testable import HTTP

@Suite("Multipart parser")
struct MultipartParserTests {
    func sample() -> MultipartBody {
        var body = MultipartBody()
        body.add("csrf_token", "abc")
        body.add("items", "sofa")
        body.add("items", "bed")
        body.add("location", "平取町本町\r\n1番地")
        body.addFile("photo", filename: "道路.png", contentType: "image/png", data: SampleFiles.png)
        body.addFile("empty", filename: "", contentType: "application/octet-stream", data: Data())
        return body
    }

    @Test func parsesFieldsRepeatedNamesAndFiles() throws {
        let body = sample()
        let parts = try MultipartParser.parse(body.data, contentType: body.contentType)
        #expect(parts.count == 6)
        #expect(parts.submittedValues["items"] == ["sofa", "bed"])
        #expect(parts.firstText("location") == "平取町本町\r\n1番地")
        let photo = try #require(parts.first { $0.name == "photo" })
        #expect(photo.filename == "道路.png")
        #expect(photo.contentType == "image/png")
        #expect(photo.data == SampleFiles.png)
        #expect(parts.first { $0.name == "empty" }?.filename == "")
    }

    @Test func boundaryText_insideData_isNotADelimiter() throws {
        var body = MultipartBody()
        let tricky = "x\r\n--\(body.boundary)X not a delimiter\r\n--\(body.boundary)Y --\(body.boundary)--"
        body.add("a", tricky)
        body.addFile(
            "f", filename: "a.pdf", contentType: "application/pdf",
            data: Data("--\(body.boundary)--".utf8) + SampleFiles.pdf)
        let parts = try MultipartParser.parse(body.data, contentType: body.contentType)
        #expect(parts.firstText("a") == tricky)
        #expect(parts.count == 2)
    }

    @Test func quotedBoundaryAndPreamble() throws {
        var body = MultipartBody()
        body.add("a", "1")
        let data = Data("preamble\r\n".utf8) + body.data
        let parts = try MultipartParser.parse(data, contentType: "multipart/form-data; boundary=\"\(body.boundary)\"")
        #expect(parts.firstText("a") == "1")
    }

    @Test func hostileInputs_areRefused() {
        let body = sample()
        let data = body.data
        func expectFailure(
            _ data: Data, contentType: String? = nil, limits: MultipartLimits = MultipartLimits(),
            _ expected: MultipartError? = nil
        ) {
            do {
                _ = try MultipartParser.parse(data, contentType: contentType ?? body.contentType, limits: limits)
                Issue.record("expected failure")
            } catch let error as MultipartError {
                if let expected { #expect(error == expected) }
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
        // Missing or bad boundary parameter.
        expectFailure(data, contentType: "multipart/form-data", .missingBoundary)
        expectFailure(data, contentType: "application/x-www-form-urlencoded", .missingBoundary)
        expectFailure(
            data, contentType: "multipart/form-data; boundary=" + String(repeating: "a", count: 71), .missingBoundary)
        // Truncated anywhere before the closing boundary.
        for cut in [1, 10, 60, data.count / 2, data.count - 10] {
            expectFailure(data.prefix(cut))
        }
        // No opening boundary at all.
        expectFailure(Data("hello world".utf8))
        // Huge header block.
        var huge = Data("--\(body.boundary)\r\nX-Padding: ".utf8)
        huge.append(Data(repeating: 0x61, count: 100_000))
        huge.append(Data("\r\n\r\nvalue\r\n--\(body.boundary)--".utf8))
        expectFailure(huge, .headerTooLarge)
        // Part without Content-Disposition, or not form-data.
        expectFailure(Data("--\(body.boundary)\r\nContent-Type: text/plain\r\n\r\nx\r\n--\(body.boundary)--".utf8))
        expectFailure(
            Data(
                "--\(body.boundary)\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n--\(body.boundary)--"
                    .utf8))
        expectFailure(
            Data("--\(body.boundary)\r\nContent-Disposition: form-data; name=\"a\r\n\r\nx\r\n--\(body.boundary)--".utf8)
        )
        // Too many parts.
        var many = MultipartBody()
        for index in 0..<101 { many.add("f\(index)", "x") }
        expectFailure(many.data, contentType: many.contentType, .tooManyParts)
        // A text field over its cap.
        var long = MultipartBody()
        long.add("a", String(repeating: "x", count: 70_000))
        expectFailure(long.data, contentType: long.contentType, .fieldTooLarge)
        // Files over the total cap.
        var limits = MultipartLimits()
        limits.maximumFileBytes = 100
        limits.maximumTotalFileBytes = 150
        var files = MultipartBody()
        files.addFile("a", filename: "a.png", contentType: "image/png", data: Data(repeating: 1, count: 90))
        files.addFile("b", filename: "b.png", contentType: "image/png", data: Data(repeating: 1, count: 90))
        expectFailure(files.data, contentType: files.contentType, limits: limits, .totalTooLarge)
    }

    @Test func oversizedFile_isFlaggedNotKept() throws {
        var limits = MultipartLimits()
        limits.maximumFileBytes = 100
        var body = MultipartBody()
        body.addFile("photo", filename: "big.png", contentType: "image/png", data: Data(repeating: 1, count: 101))
        let parts = try MultipartParser.parse(body.data, contentType: body.contentType, limits: limits)
        #expect(parts[0].exceededFileLimit)
        #expect(parts[0].data.isEmpty)
    }

    /// Random mutations of real bodies: bit flips, truncations, duplicated spans, inserted boundaries and CRLFs.
    /// The parser must never crash, never return more parts or bytes than the limits allow, and stay fast.
    @Test func fuzz_randomMutationsOfRealBodies() throws {
        var generator = SeededGenerator(seed: 0x6D61_646F_6775_6368)
        var limits = MultipartLimits()
        limits.maximumParts = 20
        limits.maximumFileBytes = 2_000
        limits.maximumTotalFileBytes = 3_000
        limits.maximumFieldBytes = 1_000
        let seeds: [MultipartBody] = {
            var a = sample()
            a.addFile("doc", filename: "見積書.pdf", contentType: "application/pdf", data: SampleFiles.pdf)
            var b = MultipartBody()
            b.boundary = "x"
            b.add("a", "--x")
            b.addFile("j", filename: "a.jpg", contentType: "image/jpeg", data: SampleFiles.jpeg)
            return [a, b, sample()]
        }()
        let started = Self.threadCPUSeconds()
        var parsed = 0
        for iteration in 0..<4_000 {
            let seed = seeds[iteration % seeds.count]
            var bytes = [UInt8](seed.data)
            let delimiter = Array("\r\n--\(seed.boundary)".utf8)
            for _ in 0...Int.random(in: 0...4, using: &generator) {
                guard !bytes.isEmpty else { break }
                let at = Int.random(in: 0..<bytes.count, using: &generator)
                switch Int.random(in: 0..<7, using: &generator) {
                case 0: bytes[at] ^= UInt8(1 << Int.random(in: 0..<8, using: &generator))
                case 1: bytes.removeSubrange(at...)
                case 2:
                    let end = min(bytes.count, at + Int.random(in: 1...200, using: &generator))
                    bytes.insert(contentsOf: bytes[at..<end], at: at)
                case 3: bytes.insert(contentsOf: delimiter, at: at)
                case 4: bytes.insert(contentsOf: [13, 10, 13, 10], at: at)
                case 5:
                    bytes.insert(
                        contentsOf: Array(
                            repeating: UInt8.random(in: 0...255, using: &generator),
                            count: Int.random(in: 1...3_000, using: &generator)), at: at)
                default:
                    let end = min(bytes.count, at + Int.random(in: 1...50, using: &generator))
                    bytes.removeSubrange(at..<end)
                }
            }
            if let parts = try? MultipartParser.parse(Data(bytes), boundary: seed.boundary, limits: limits) {
                parsed += 1
                #expect(parts.count <= limits.maximumParts)
                #expect(parts.filter(\.isFile).map(\.data.count).reduce(0, +) <= limits.maximumTotalFileBytes)
                #expect(
                    parts.allSatisfy {
                        $0.isFile ? $0.data.count <= limits.maximumFileBytes : $0.data.count <= limits.maximumFieldBytes
                    })
            }
        }
        #expect(parsed > 0)
        // The bound catches a quadratic parser (4,000 bodies take about 4 s alone). It counts this thread's CPU
        // time, not the wall clock: with other builds on the two cores the wall clock reached 23 s and failed it.
        #expect(Self.threadCPUSeconds() - started < 10)
    }

    static func threadCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
