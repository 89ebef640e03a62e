import Foundation
import TestSupport
import Testing

@testable import Applications

@Suite("Procedure catalog")
struct CatalogTests {
    @Test func realCatalog_loadsEveryProcedure() throws {
        let catalog = try ApplicationFixtures.catalog()
        #expect(catalog.procedures.count >= 8)
        for code in [
            "water-start", "water-stop", "dog-registration", "dog-change", "bulky-waste", "community-hall",
            "road-light-report", "housing-renovation-subsidy",
        ] {
            #expect(catalog.procedure(code: code) != nil, "missing \(code)")
        }
        // Rendering order follows `order`.
        for procedure in catalog.procedures {
            #expect(procedure.fields.map(\.order) == procedure.fields.map(\.order).sorted())
        }
        #expect(catalog.procedure(code: "housing-renovation-subsidy")!.hasFileFields)
        #expect(catalog.procedure(code: "bulky-waste")!.feeYen == 500)
    }

    @Test func search_matchesNameAndIgnoresWidth() throws {
        let catalog = try ApplicationFixtures.catalog()
        #expect(catalog.search("水道使用").map(\.code).sorted() == ["water-start", "water-stop"])
        #expect(catalog.search("ＷＡＴＥＲ").isEmpty)
        #expect(catalog.search("  ").count == catalog.procedures.count)
        #expect(catalog.search("存在しない手続き").isEmpty)
    }

    /// Writes `json` as `<code>.json` in a fresh folder and loads the folder.
    func load(_ json: String, fileName: String = "sample.json") throws -> ProcedureCatalog {
        let directory = TemporaryDirectory()
        try Data(json.utf8).write(to: directory.url.appendingPathComponent(fileName))
        return try withExtendedLifetime(directory) { try ProcedureCatalog.load(directory: directory.url) }
    }

    func definition(fields: String, department: String = "町民課", code: String = "sample") -> String {
        """
        {"code": "\(code)", "name": "見本", "category": "その他", "department": "\(department)",
         "description": "説明", "next_steps": "次に", "visit_required": false, "fee_yen": 0,
         "retention_years": 5, "paper_pages": 1, "version": 1, "fields": [\(fields)]}
        """
    }

    func expectError(_ json: String, file: String = "sample.json", path: String, containing text: String? = nil) {
        do {
            _ = try load(json, fileName: file)
            Issue.record("expected a CatalogError at \(path)")
        } catch let error as CatalogError {
            #expect(error.file == file)
            #expect(error.path == path)
            #expect(error.description.contains(file))
            if let text { #expect(error.message.contains(text), "\(error.message)") }
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func badDefinitions_nameFileAndField() {
        let text = #"{"name": "a", "type": "text", "label": "A", "required": true, "order": 1}"#
        #expect((try? load(definition(fields: text))) != nil)
        expectError(
            definition(fields: #"{"name": "a", "type": "colour", "label": "A", "required": true, "order": 1}"#),
            path: "fields[0].type", containing: "not a known field type")
        expectError(
            definition(fields: #"{"name": "a", "label": "A", "required": true, "order": 1}"#), path: "fields[0].type",
            containing: "missing")
        expectError(definition(fields: text, department: "宇宙課"), path: "department")
        expectError(
            definition(fields: text).replacingOccurrences(of: #""paper_pages": 1"#, with: #""paper_pages": -1"#),
            path: "paper_pages", containing: "between 0 and 100")
        expectError(
            definition(fields: text).replacingOccurrences(of: #""paper_pages": 1, "#, with: ""),
            path: "paper_pages", containing: "missing")
        expectError(
            definition(fields: #"{"name": "a", "type": "select-one", "label": "A", "required": true, "order": 1}"#),
            path: "fields[0].options")
        expectError(
            definition(fields: text + "," + text.replacingOccurrences(of: "\"order\": 1", with: "\"order\": 2")),
            path: "fields[1].name")
        expectError(
            definition(
                fields: #"{"name": "a", "type": "text", "label": "A", "required": true, "order": 1, "pattern": "(["}"#),
            path: "fields[0].pattern")
        expectError(
            definition(
                fields:
                    #"{"name": "a", "type": "number", "label": "A", "required": true, "order": 1, "min": 5, "max": 1}"#),
            path: "fields[0].max")
        expectError(
            definition(
                fields:
                    #"{"name": "a", "type": "text", "label": "A", "required": true, "order": 1, "visible_when": {"field": "b", "equals": "x"}}"#
            ), path: "fields[0].visible_when.field")
        expectError(
            definition(fields: #"{"name": "a", "type": "text", "label": "A", "required": "yes", "order": 1}"#),
            path: "fields[0].required")
        expectError(definition(fields: text, code: "other"), path: "code", containing: "file name")
        expectError("{ not json", path: "")
        expectError(
            definition(fields: #"{"name": "csrf_token", "type": "text", "label": "A", "required": true, "order": 1}"#),
            path: "fields[0].name")
    }
}
