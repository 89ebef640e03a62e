import Formats
import Foundation
import ServiceKit
import TestSupport
import Testing

@testable import Certificates

@Suite("Certificate types and the service calendar")
struct CatalogAndCalendarTests {
    static let directory = RepositoryPaths.schemas.appendingPathComponent("certificates")

    @Test func theNineTypesLoadWithDesignsFees() throws {
        let catalog = try CertificateCatalog.load(directory: Self.directory)
        let fees = Dictionary(uniqueKeysWithValues: catalog.types.map { ($0.name, $0.feeYen) })
        #expect(
            fees == [
                "住民票の写し": 300, "住民票記載事項証明書": 300, "印鑑登録証明書": 300, "戸籍全部事項証明書": 450,
                "戸籍個人事項証明書": 450, "除籍・改製原戸籍": 750, "戸籍の附票": 300, "所得・課税証明書": 300, "納税証明書": 300,
            ])
        let juminhyo = try #require(catalog.type(code: "juminhyo"))
        #expect(juminhyo.option("my_number")?.agentAllowed == false)
        #expect(catalog.type(code: "nozei")?.option("fiscal_year")?.kind == .fiscalYear)
        #expect(catalog.type(code: "inkan")?.requesters.contains(.agent) == false)
        for type in catalog.types { #expect(type.paperPages >= 1) }
        _ = try CertificateService.load(
            file: RepositoryPaths.schemas.appendingPathComponent("certificate_service.json"), types: catalog)
    }

    @Test func aBadDefinitionStopsStartUpNamingFileAndField() throws {
        let folder = TemporaryDirectory()
        let original = try String(contentsOf: Self.directory.appendingPathComponent("juminhyo.json"), encoding: .utf8)
        try original.replacingOccurrences(of: "\"fee_yen\": 300", with: "\"fee_yen\": 0")
            .write(toFile: folder.path("juminhyo.json"), atomically: true, encoding: .utf8)
        #expect(
            throws: CertificateDefinitionError(
                file: "juminhyo.json", path: "fee_yen", message: "must be 1 to 10,000 yen")
        ) {
            try CertificateCatalog.load(directory: folder.url)
        }
        try original.replacingOccurrences(of: "\"department\": \"町民課\",", with: "")
            .write(toFile: folder.path("juminhyo.json"), atomically: true, encoding: .utf8)
        #expect(throws: CertificateDefinitionError(file: "juminhyo.json", path: "department", message: "is missing")) {
            try CertificateCatalog.load(directory: folder.url)
        }
    }

    @Test func closedDays_weekendsYearEndAndAdminDates() {
        let calendar = ServiceCalendar(opensAt: 525, closesAt: 1050, closedDates: ["2026-04-15"])
        #expect(calendar.isOpenDay("2026-04-01"))  // Wednesday
        #expect(calendar.closedReason("2026-04-04") != nil)  // Saturday
        #expect(calendar.closedReason("2026-04-05") != nil)  // Sunday
        for day in ["2026-12-29", "2026-12-30", "2026-12-31", "2027-01-01", "2027-01-02", "2027-01-03"] {
            #expect(calendar.closedReason(day)?.contains("年末年始") == true, "\(day)")
        }
        #expect(calendar.isOpenDay("2026-12-28"))
        #expect(calendar.isOpenDay("2027-01-04"))
        #expect(calendar.closedReason("2026-04-15") == "この日は閉庁日です")
        #expect(calendar.firstOpenDay(onOrAfter: "2026-12-26") == "2026-12-28")
        #expect(calendar.firstOpenDay(onOrAfter: "2026-12-29") == "2027-01-04")
    }

    @Test func serviceTimeSkipsEveningsWeekendsAndTheYearEnd() throws {
        let calendar = ServiceCalendar(opensAt: 525, closesAt: 1050)
        // Friday 2026-04-03 17:00 JST + 60 service minutes: 30 on Friday, 30 from Monday 8:45.
        let friday = try #require(JapanTime.startOfDay("2026-04-03")).addingTimeInterval(17 * 3600)
        let ready = calendar.adding(serviceMinutes: 60, to: friday)
        #expect(JapanTime.format(ready) == "2026年4月6日 9:15")
        // Before opening on a weekday: counted from 8:45.
        let early = try #require(JapanTime.startOfDay("2026-04-01")).addingTimeInterval(7 * 3600)
        #expect(JapanTime.format(calendar.adding(serviceMinutes: 30, to: early)) == "2026年4月1日 9:15")
        let newYearsEve = try #require(JapanTime.startOfDay("2026-12-28")).addingTimeInterval(17 * 3600)
        #expect(JapanTime.format(calendar.adding(serviceMinutes: 60, to: newYearsEve)) == "2027年1月4日 9:15")
    }
}
