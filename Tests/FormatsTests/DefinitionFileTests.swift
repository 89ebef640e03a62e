import Foundation
import Testing

@testable import Formats

/// Every module's definitions (procedures, certificate types, KPI indicators, payment purposes, class venues)
/// are read through DefinitionFile, so a bad file names the same kind of path whichever module it belongs to.
@Suite("Definition files: a bad one names the JSON path")
struct DefinitionFileTests {
    struct Definition: Decodable {
        struct Field: Decodable {
            let name: String
            let kind: Kind
        }
        enum Kind: String, Decodable { case text, number }
        let code: String
        let fields: [Field]
    }

    func write(_ text: String) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("definitions-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent("sample.json")
        try Data(text.utf8).write(to: file)
        return file
    }

    func problem(_ text: String, notAllowed: @escaping (String?) -> String? = { _ in nil }) throws -> DefinitionProblem?
    {
        let file = try write(text)
        defer { try? FileManager.default.removeItem(at: file.deletingLastPathComponent()) }
        do {
            _ = try DefinitionFile.decode(Definition.self, from: file, notAllowed: notAllowed)
            return nil
        } catch let problem as DefinitionProblem {
            return problem
        }
    }

    @Test func aGoodFileDecodes() throws {
        #expect(try problem(#"{"code":"a","fields":[{"name":"x","kind":"text"}]}"#) == nil)
    }

    @Test func eachKindOfMistake_namesWhereItIs() throws {
        #expect(
            try problem(#"{"code":"a","fields":[{"name":"x","kind":"text"},{"kind":"text"}]}"#)
                == DefinitionProblem(path: "fields[1].name", message: "is missing"))
        #expect(try problem(#"{"code":1,"fields":[]}"#)?.path == "code")
        #expect(try problem(#"{"code":1,"fields":[]}"#)?.message.hasPrefix("has the wrong type") == true)
        #expect(try problem(#"{"code":null,"fields":[]}"#)?.message.hasPrefix("is null") == true)
        #expect(
            try problem(#"{"code":"a","fields":[{"name":"x","kind":"colour"}]}"#)
                == DefinitionProblem(path: "fields[0].kind", message: "has a value that is not allowed"))
        #expect(
            try problem(#"{"code":"a","fields":[{"name":"x","kind":"colour"}]}"#) {
                $0 == "kind" ? "text or number" : nil
            }
                == DefinitionProblem(path: "fields[0].kind", message: "text or number"))
        #expect(try problem(#"{"code":"a","#) == DefinitionProblem(path: "", message: "is not valid JSON"))
    }

    @Test func aMissingFile_andAnEmptyFolder_areProblemsToo() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("empty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(throws: DefinitionProblem(path: "", message: "the folder holds no procedures")) {
            try DefinitionFile.jsonFiles(in: folder, holding: "procedures")
        }
        #expect(throws: DefinitionProblem(path: "", message: "cannot read the file")) {
            try DefinitionFile.decode(Definition.self, from: folder.appendingPathComponent("none.json"))
        }
        #expect(throws: DefinitionProblem(path: "", message: "cannot read the procedures folder")) {
            try DefinitionFile.jsonFiles(in: folder.appendingPathComponent("nowhere"), holding: "procedures")
        }
    }
}
