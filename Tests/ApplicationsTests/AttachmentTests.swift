import Foundation
import TestSupport
import Testing

@testable import Applications
@testable import HTTP

@Suite("Attachments")
struct AttachmentTests {
    @Test func sniffing_byMagicBytes() {
        #expect(AttachmentRules.sniff(SampleFiles.png) == "image/png")
        #expect(AttachmentRules.sniff(SampleFiles.jpeg) == "image/jpeg")
        #expect(AttachmentRules.sniff(SampleFiles.pdf) == "application/pdf")
        #expect(AttachmentRules.sniff(Data("<html><script>".utf8)) == nil)
        #expect(AttachmentRules.sniff(Data([0x89, 0x50])) == nil)
    }

    @Test func check_rejectsDisguisedAndOversizedFiles() throws {
        let procedure = try #require(try ApplicationFixtures.catalog().procedure(code: "housing-renovation-subsidy"))
        let disguised = MultipartPart(
            name: "estimate_document", filename: "a.pdf", contentType: "application/pdf", data: Data("MZ\u{90}".utf8),
            exceededFileLimit: false)
        #expect(AttachmentRules.check(parts: [disguised], procedure: procedure).errors["estimate_document"] != nil)
        let mismatched = MultipartPart(
            name: "estimate_document", filename: "a.pdf", contentType: "application/pdf", data: SampleFiles.png,
            exceededFileLimit: false)
        #expect(
            AttachmentRules.check(parts: [mismatched], procedure: procedure).errors["estimate_document"]?.contains(
                "一致しません") == true)
        let oversized = MultipartPart(
            name: "estimate_document", filename: "a.pdf", contentType: "application/pdf", data: Data(),
            exceededFileLimit: true)
        #expect(
            AttachmentRules.check(parts: [oversized], procedure: procedure).errors["estimate_document"]?.contains(
                "5 MB") == true)
        let good = MultipartPart(
            name: "estimate_document", filename: "C:\\Users\\hanako\\見積書.pdf", contentType: "application/octet-stream",
            data: SampleFiles.pdf, exceededFileLimit: false)
        let check = AttachmentRules.check(parts: [good], procedure: procedure)
        #expect(check.errors.isEmpty)
        #expect(check.accepted.first?.filename == "見積書.pdf")
        #expect(check.accepted.first?.contentType == "application/pdf")
    }
}
