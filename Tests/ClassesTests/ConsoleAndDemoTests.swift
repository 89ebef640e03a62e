import App
import Formats
import Foundation
import Identity
import Store
import TestSupport
import Testing
import Web

@testable import Classes

@Suite("Staff console, API and demo data")
struct ConsoleAndDemoTests {
    @Test func staffCreateAndEditASession_throughTheForms() throws {
        let app = try TestApplication()
        try Fixtures.seedDistricts(app.database)
        try Fixtures.makeStaff(app.database, loginID: "machi", department: .townPlanning)
        let staff = app.browser()
        try staff.signInAsStaff("machi")
        _ = try staff.get("/staff/classes/new")
        let bad = try staff.submit(
            "/staff/classes",
            form: [
                ("title", ""), ("theme", "line"), ("venue", "nowhere"), ("date", "2026-13-01"), ("start", "10:00"),
                ("end", "12:00"), ("capacity", "0"), ("loan_phones", "2"),
            ])
        #expect(bad.status == 422)
        #expect(bad.text.contains("教室の名前を200文字以内で入力してください。"))
        #expect(bad.text.contains("会場を選んでください。"))
        #expect(bad.text.contains("定員を1から500の数字で入力してください。"))
        let created = try staff.submit(
            "/staff/classes",
            form: [
                ("title", "はじめてのスマホ"), ("theme", "smartphone-basics"), ("venue", "nukibetsu-seikatsukan"),
                ("date", "2026-04-20"), ("start", "13:30"), ("end", "15:00"), ("capacity", "8"), ("loan_phones", "3"),
                ("bring", "老眼鏡"), ("notes", ""),
            ])
        #expect(created.status == 303)
        let id = try #require(
            created.location?.split(separator: "/").last?.split(separator: "?").first.flatMap { Int64($0) })
        let session = try #require(try app.database.read { try ClassStore.fetchSession(id: id, on: $0) })
        // 13:30 JST is stored as 04:30 UTC.
        #expect(UTCTimestamp.format(session.startsAt).hasPrefix("2026-04-20T04:30:00"))
        #expect(session.districtCode == "nukibetsu")
        _ = try staff.get("/staff/classes/\(id)/edit")
        let edited = try staff.submit(
            "/staff/classes/\(id)",
            form: [
                ("title", "はじめてのスマホ（午後）"), ("theme", "smartphone-basics"), ("venue", "nukibetsu-seikatsukan"),
                ("date", "2026-04-20"), ("start", "13:30"), ("end", "15:30"), ("capacity", "8"), ("loan_phones", "3"),
            ])
        #expect(edited.status == 303)
        let listing = try app.browser().get("/classes?district=nukibetsu")
        #expect(listing.text.contains("はじめてのスマホ（午後）"))
        #expect(listing.text.contains("2026年4月20日 13:30〜15:30"))
        let api = try app.request("GET", "/api/v1/classes?district=nukibetsu")
        #expect(api.status == 200)
        #expect(api.text.contains("\"seats_left\":8"))
        #expect(try app.request("GET", "/api/v1/classes/999").status == 404)
        let console = try staff.get("/staff/classes")
        #expect(console.text.contains("はじめてのスマホ（午後）"))
        let flyer = try app.browser().get("/classes/\(id)/flyer")
        #expect(flyer.text.contains("参加無料"))
        // The flyer's QR code is the session page's address, and a reader reads it back.
        let url = app.baseURL + "/classes/\(id)"
        let code = try QRCode(text: url)
        #expect(flyer.text.contains(code.svg(title: "この教室の申し込みページを開く QR コード", size: .millimetres(40))))
        #expect(try QRCodeTools.zbarDecode(size: code.size, isDark: code.isDark) == url)
    }

    @Test func staffAPI_signsUpACaller_andListsSignups_audited() throws {
        let app = try TestApplication()
        try Fixtures.seedDistricts(app.database)
        try Fixtures.makeStaff(app.database, loginID: "machi", department: .townPlanning)
        let id = try ClassesFixtures.makeSession(app, capacity: 1)
        let staff = app.browser()
        try staff.signInAsStaff("machi")
        _ = try staff.get("/staff/classes")
        let token = try #require(staff.csrfToken)
        let first = try staff.json(
            "POST", "/api/v1/staff/classes/\(id)/signups", body: #"{"full_name":"電話 一","phone":"01457-2-0001"}"#,
            headers: [("X-CSRF-Token", token)])
        #expect(first.status == 201)
        let second = try staff.json(
            "POST", "/api/v1/staff/classes/\(id)/signups", body: #"{"full_name":"電話 二","phone":"0145720002"}"#,
            headers: [("X-CSRF-Token", token)])
        #expect(second.text.contains("\"waitlist_position\":1"))
        let bad = try staff.json(
            "POST", "/api/v1/staff/classes/\(id)/signups", body: #"{"full_name":"電話 三","phone":"12"}"#,
            headers: [("X-CSRF-Token", token)])
        #expect(bad.status == 422)
        let list = try staff.json("GET", "/api/v1/staff/classes/\(id)/signups")
        #expect(list.status == 200 && list.text.contains("電話 一"))
        #expect(
            try Fixtures.auditRecords(app.database).contains {
                $0.action == "class_session.read" && $0.subjectID == String(id)
            })
        #expect(try app.request("GET", "/api/v1/staff/classes").status == 401)
    }

    /// A broken venue file stops start-up, naming the file and the field, before anything listens.
    @Test func aBadVenueDefinition_stopsStartUp_namingFileAndField() throws {
        let directory = TemporaryDirectory()
        let schemas = directory.url.appendingPathComponent("Schemas")
        try FileManager.default.copyItem(at: RepositoryPaths.schemas, to: schemas)
        let venues = schemas.appendingPathComponent("classes/venues.json")
        let text = try String(contentsOf: venues, encoding: .utf8)
            .replacingOccurrences(of: "\"district\": \"furenai\"", with: "\"district\": \"振内\"")
        try text.write(to: venues, atomically: true, encoding: .utf8)
        let configuration = AppConfiguration(
            databasePath: directory.path("app.sqlite"), host: "127.0.0.1", port: 0, schemasDirectory: schemas,
            workerThreads: 1)
        #expect {
            _ = try Madoguchi(configuration: configuration, logger: .disabled)
        } throws: { error in
            "\(error)" == "venues.json: venues[2].district: not a district code"
        }
    }

    @Test func demoData_hasAllThreeDistricts_aFullOneWithAWaitlist_andAHeldOne() throws {
        let directory = TemporaryDirectory()
        var configuration = AppConfiguration(
            databasePath: directory.path("demo.sqlite"), host: "127.0.0.1", port: 0,
            schemasDirectory: RepositoryPaths.schemas, workerThreads: 1)
        configuration.developmentMode = true
        let lines = try Madoguchi.seedDemoData(configuration: configuration, at: ManualTimeSource.defaultStart)
        #expect(lines.contains("class sessions added: 4"))
        let again = try Madoguchi.seedDemoData(configuration: configuration, at: ManualTimeSource.defaultStart)
        #expect(again.contains("class sessions added: 0"))
        let database = try Database(path: directory.path("demo.sqlite"))
        defer { database.close() }
        let sessions = try database.read { try ClassStore.fetchAllSessions(on: $0) }
        #expect(Set(sessions.map(\.districtCode)) == ["biratori", "furenai", "nukibetsu"])
        let counts = try database.read { connection in
            try sessions.map { try ClassStore.counts(sessionID: $0.id, on: connection) }
        }
        #expect(zip(sessions, counts).contains { $0.0.capacity == $0.1.confirmed && $0.1.waitlisted > 0 })
        let held = try #require(sessions.first { $0.status == .held })
        #expect(try database.read { try ClassStore.fetchSurveyAnswers(sessionID: held.id, on: $0) }.count == 2)
    }
}
