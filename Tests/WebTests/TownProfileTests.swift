import Foundation
import TestSupport
import Testing
import Web

/// The town profile: the shipped example names 平取町 and every department's number; a broken file names its
/// field, so start-up stops with a line an operator can act on.
@Suite("Town profile")
struct TownProfileTests {
    @Test func theShippedProfileNamesTheTown_andEveryDepartmentHasANumber() throws {
        let town = try TownProfile.load(from: RepositoryPaths.schemas.appendingPathComponent("town.json"))
        #expect(town.name == "平取町")
        #expect(town.example, "the shipped numbers, address and hours are examples and say so")
        for department in ["総務課", "町民課", "まちづくり課", "建設水道課", "保健福祉課", "生涯学習課", "観光商工課"] {
            #expect(town.departments.contains { $0.name == department }, "\(department) has no number")
        }
        #expect(town.phone(for: "建設水道課") == "01457-0-0004")
        #expect(town.phone(for: "議会事務局") == town.phone, "a department without a line is reached on the main number")
    }

    @Test func aBrokenProfileNamesTheFileAndTheField() throws {
        let folder = TemporaryDirectory()
        func load(_ json: String) throws -> TownProfile {
            let file = folder.url.appendingPathComponent("town.json")
            try Data(json.utf8).write(to: file)
            return try TownProfile.load(from: file)
        }
        let valid = """
            {"name":"平取町","office":"平取町役場","address":"北海道沙流郡平取町","phone":"01457-2-0000",
             "opening_hours":"平日 8:45〜17:30"}
            """
        #expect(try load(valid).departments.isEmpty)
        #expect(try !load(valid).example)
        let cases: [(String, String)] = [
            (valid.replacingOccurrences(of: "\"name\":\"平取町\",", with: ""), "field name: is missing"),
            (valid.replacingOccurrences(of: "01457-2-0000", with: "call us"), "field phone: must be a phone number"),
            (valid.replacingOccurrences(of: "平日 8:45〜17:30", with: " "), "field opening_hours: must not be empty"),
            (
                valid.replacingOccurrences(of: "}", with: ",\"departments\":[{\"name\":\"町民課\",\"phone\":\"12\"}]}"),
                "field departments[0].phone"
            ),
            ("{", "is not valid JSON"),
        ]
        for (json, expected) in cases {
            #expect {
                _ = try load(json)
            } throws: { error in
                "\(error)".contains(expected) && "\(error)".contains("town.json")
            }
        }
    }
}
