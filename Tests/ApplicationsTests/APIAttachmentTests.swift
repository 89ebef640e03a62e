import Cryptography
import Foundation
import HTTPClient
import Identity
import Security
import Store
import TestSupport
import Testing

@testable import Applications

@Suite("Resident JSON API: submitting with files")
struct APIAttachmentTests {
    static let subsidyAnswers = """
        {"applicant_name":"平取 花子","applicant_kana":"ビラトリ ハナコ","postal_code":"0550107","address":"平取町本町1",
         "phone":"0145720000","property_address":"平取町本町1","ownership":"own","contractor":"平取工務店",
         "work_type":["roof","insulation"],"work_description":"屋根の葺き替え","estimated_cost":"1200000",
         "planned_start":"2026-05-01","tax_paid":"true"}
        """

    /// The submit body as multipart: the JSON object as the `application` part, then the files.
    func multipart(token: String, answers: String = subsidyAnswers, files: [(String, String, String, Data)])
        -> MultipartBody
    {
        var body = MultipartBody()
        body.parts.append(
            (
                "application", nil, "application/json",
                Data(
                    "{\"procedure_code\":\"housing-renovation-subsidy\",\"submission_token\":\"\(token)\",\"answers\":\(answers)}"
                        .utf8)
            ))
        for (field, name, type, data) in files { body.addFile(field, filename: name, contentType: type, data: data) }
        return body
    }

    func post(_ app: TestApplication, _ body: MultipartBody, headers: [(String, String)] = []) throws
        -> EasyHandle.Response
    {
        try app.request(
            "POST", "/api/v1/applications", headers: headers + [("Content-Type", body.contentType)], body: body.data)
    }

    func fieldErrors(_ response: EasyHandle.Response) -> [String: String] {
        let object = (try? JSONSerialization.jsonObject(with: response.body)) as? [String: Any]
        let fields = object?["fields"] as? [[String: String]] ?? []
        return Dictionary(
            fields.map { ($0["field"] ?? "", $0["message"] ?? "") }, uniquingKeysWith: { first, _ in first })
    }

    @Test func guestSubmitsARequiredFile_withTheFormsChecksAndCaps_idempotently() throws {
        let app = try TestApplication()
        let token = SecureRandom.token()

        // JSON alone cannot satisfy a required file field.
        let json = try app.request(
            "POST", "/api/v1/applications", headers: [("Content-Type", "application/json")],
            body: Data(
                "{\"procedure_code\":\"housing-renovation-subsidy\",\"submission_token\":\"\(token)\",\"answers\":\(Self.subsidyAnswers)}"
                    .utf8))
        #expect(json.status == 422)
        #expect(fieldErrors(json)["estimate_document"]?.hasSuffix("を添付してください。") == true)

        // The same checks as the form: the type comes from the bytes, and each file is capped at 5 MB.
        let disguised = try post(
            app,
            multipart(token: token, files: [("estimate_document", "見積書.pdf", "application/pdf", Data("<html>".utf8))]))
        #expect(disguised.status == 422)
        #expect(fieldErrors(disguised)["estimate_document"]?.contains("JPEG・PNG の画像か PDF") == true)
        let mislabelled = try post(
            app, multipart(token: token, files: [("estimate_document", "見積書.png", "image/png", SampleFiles.pdf)]))
        #expect(fieldErrors(mislabelled)["estimate_document"]?.contains("一致しません") == true)
        let huge = Data("%PDF-1.4\n".utf8) + Data(repeating: 0x20, count: AttachmentRules.maximumFileBytes)
        let tooLarge = try post(
            app, multipart(token: token, files: [("estimate_document", "見積書.pdf", "application/pdf", huge)]))
        #expect(tooLarge.status == 422)
        #expect(fieldErrors(tooLarge)["estimate_document"]?.contains("5 MB") == true)
        #expect(
            try app.database.read { try $0.scalar("SELECT count(*) FROM application_attachments", as: Int.self) } == 0)

        let created = try post(
            app,
            multipart(
                token: token, files: [("estimate_document", "../見積書.pdf", "application/octet-stream", SampleFiles.pdf)])
        )
        #expect(created.status == 201, "\(created.text)")
        let object = try #require(try JSONSerialization.jsonObject(with: created.body) as? [String: Any])
        #expect(object["guest_secret"] is String)
        let reference = try #require(object["reference"] as? String)
        let application = try #require(
            try app.database.read { try ApplicationStore.fetchApplication(reference: reference, on: $0) })
        #expect(application.status == .received)
        #expect(application.answers["work_type"] == .list(["roof", "insulation"]))
        let files = try app.database.read {
            try ApplicationStore.fetchAttachments(applicationID: application.id, on: $0)
        }
        #expect(files.map(\.field) == ["estimate_document"])
        #expect(files.first?.filename == "見積書.pdf", "the path is dropped")
        #expect(files.first?.contentType == "application/pdf", "sniffed, not the octet-stream the client claimed")
        #expect(files.first?.sha256 == Hex.encode(Digest.sha256(SampleFiles.pdf)))

        // A retry (same token), with or without the file, creates nothing new.
        #expect(
            try post(
                app,
                multipart(token: token, files: [("estimate_document", "見積書.pdf", "application/pdf", SampleFiles.pdf)])
            ).status == 200)
        #expect(try post(app, multipart(token: token, files: [])).status == 200)
        let counts = try app.database.read { connection in
            (
                try connection.scalar("SELECT count(*) FROM applications", as: Int.self),
                try connection.scalar("SELECT count(*) FROM application_attachments", as: Int.self)
            )
        }
        #expect(counts.0 == 1)
        #expect(counts.1 == 1)

        // Staff find the file on the detail and download it through the console's audited route.
        try Fixtures.makeStaff(app.database, loginID: "clerk-t", department: .tourismAndCommerce)
        let clerk = try StaffAPIClient.logIn(app, "clerk-t")
        let detail = try clerk.get("/api/v1/staff/applications/\(application.id)")
        let attachment = try #require((detail.jsonObject?["attachments"] as? [[String: Any]])?.first)
        #expect(attachment["content_type"] as? String == "application/pdf")
        let download = try clerk.get(try #require(attachment["download_path"] as? String))
        #expect(download.status == 200)
        #expect(download.headers["content-disposition"]?.hasPrefix("attachment;") == true)
        // Residents and guests never download files, not even their own.
        #expect(try app.request("GET", try #require(attachment["download_path"] as? String)).status == 303)
    }

    @Test func malformedMultipart_andOversizedJSON_areRefused() throws {
        let app = try TestApplication()
        var noApplication = MultipartBody()
        noApplication.addFile(
            "estimate_document", filename: "a.pdf", contentType: "application/pdf", data: SampleFiles.pdf)
        let missing = try post(app, noApplication)
        #expect(missing.status == 400)
        #expect(missing.text.contains("\"code\":\"missing_field\""))

        var notJSON = MultipartBody()
        notJSON.add("application", "{not json")
        #expect(try post(app, notJSON).text.contains("\"code\":\"malformed_json\""))

        let broken = try app.request(
            "POST", "/api/v1/applications", headers: [("Content-Type", "multipart/form-data; boundary=abc")],
            body: Data("garbage".utf8))
        #expect(broken.status == 400)
        #expect(
            try app.request(
                "POST", "/api/v1/applications", headers: [("Content-Type", "text/plain")], body: Data("x".utf8)
            ).status == 415)

        // The route admits uploads, but a JSON body keeps the 64 KB cap of every other JSON call.
        let padding = String(repeating: "あ", count: 30_000)
        let big = try app.request(
            "POST", "/api/v1/applications", headers: [("Content-Type", "application/json")],
            body: Data(
                "{\"procedure_code\":\"water-stop\",\"submission_token\":\"\(SecureRandom.token())\",\"answers\":{\"notes\":\"\(padding)\"}}"
                    .utf8))
        #expect(big.status == 413)
        #expect(try app.database.read { try $0.scalar("SELECT count(*) FROM applications", as: Int.self) } == 0)
    }

    @Test func signedInResident_submitsMultipart_onlyWithTheCSRFHeader() throws {
        let app = try TestApplication()
        let residentID = try Fixtures.makeResident(
            app.database, loginID: "hanako@example.jp", profile: ApplicationFixtures.profile)
        let browser = app.browser()
        let login = try browser.json(
            "POST", "/api/v1/sessions",
            body: "{\"login_id\":\"hanako@example.jp\",\"password\":\"\(Fixtures.residentPassword)\"}")
        let csrfToken = try #require(login.jsonObject?["csrf_token"] as? String)
        let body = multipart(
            token: SecureRandom.token(), files: [("estimate_document", "見積書.jpg", "image/jpeg", SampleFiles.jpeg)])

        // A cross-site form can send multipart with the cookie, but not the header: refused before anything is stored.
        let forged = try browser.send(
            "POST", "/api/v1/applications", headers: [("Content-Type", body.contentType)], body: body.data)
        #expect(forged.status == 403)
        #expect(forged.errorCode == "csrf_failed")
        #expect(try app.database.read { try $0.scalar("SELECT count(*) FROM applications", as: Int.self) } == 0)

        let created = try browser.send(
            "POST", "/api/v1/applications", headers: [("Content-Type", body.contentType), ("X-CSRF-Token", csrfToken)],
            body: body.data)
        #expect(created.status == 201, "\(created.text)")
        #expect(created.jsonObject?["guest_secret"] == nil, "residents follow their applications on マイページ")
        let reference = try #require(created.jsonObject?["reference"] as? String)
        let application = try #require(
            try app.database.read { try ApplicationStore.fetchApplication(reference: reference, on: $0) })
        #expect(application.residentID == residentID)
        let files = try app.database.read {
            try ApplicationStore.fetchAttachments(applicationID: application.id, on: $0)
        }
        #expect(files.first?.contentType == "image/jpeg")
        #expect(try browser.json("GET", "/api/v1/applications/\(reference)").status == 200)
    }
}
