import Formats
import Foundation
import Identity

/// A definition file the server refuses to start with: which file, which field, and what is wrong.
public struct CatalogError: Error, Sendable, Equatable, CustomStringConvertible {
    public let file: String
    /// JSON path of the offending value, e.g. `fields[2].type`; empty when the whole file is the problem.
    public let path: String
    public let message: String

    public var description: String {
        path.isEmpty
            ? "procedure definition \(file): \(message)"
            : "procedure definition \(file), field \(path): \(message)"
    }
}

/// Every procedure the town offers online, loaded from `Schemas/procedures/*.json` at start-up. Immutable
/// afterwards, so every request thread can share it.
public struct ProcedureCatalog: Sendable {
    /// Sorted by category, then name.
    public let procedures: [Procedure]

    public init(procedures: [Procedure]) {
        self.procedures = procedures.sorted { ($0.category, $0.name) < ($1.category, $1.name) }
    }

    public func procedure(code: String) -> Procedure? { procedures.first { $0.code == code } }

    /// Categories in the order they first appear.
    public var categories: [String] {
        var seen: [String] = []
        for procedure in procedures where !seen.contains(procedure.category) { seen.append(procedure.category) }
        return seen
    }

    /// Procedures whose name, category, department or description contains every word of `query`.
    /// Full-width letters and digits match their half-width forms, and case is ignored.
    public func search(_ query: String) -> [Procedure] {
        let words = Self.normalizeForSearch(query).split(separator: " ").map(String.init)
        guard !words.isEmpty else { return procedures }
        return procedures.filter { procedure in
            let haystack = Self.normalizeForSearch(
                [procedure.name, procedure.category, procedure.department, procedure.description].joined(separator: " ")
            )
            return words.allSatisfy { haystack.contains($0) }
        }
    }

    static func normalizeForSearch(_ text: String) -> String {
        CharacterWidth.halfwidth(text).lowercased()
    }

    /// Loads and checks every `*.json` in `directory`. The first bad file stops loading with a `CatalogError`.
    public static func load(directory: URL) throws -> ProcedureCatalog {
        let files: [URL]
        do {
            files = try DefinitionFile.jsonFiles(in: directory, holding: "procedure definitions")
        } catch let problem as DefinitionProblem {
            throw CatalogError(file: directory.path, path: "", message: problem.message)
        }
        var procedures: [Procedure] = []
        for file in files {
            let procedure = try load(file: file)
            if procedures.contains(where: { $0.code == procedure.code }) {
                throw CatalogError(
                    file: file.lastPathComponent, path: "code", message: "\(procedure.code) is defined twice")
            }
            procedures.append(procedure)
        }
        return ProcedureCatalog(procedures: procedures)
    }

    /// Decodes and validates one definition file.
    public static func load(file: URL) throws -> Procedure {
        let name = file.lastPathComponent
        let procedure: Procedure
        do {
            procedure = try DefinitionFile.decode(Procedure.self, from: file) { key in
                key == "type"
                    ? "is not a known field type (\(FieldType.allCases.map(\.rawValue).joined(separator: ", ")))" : nil
            }
        } catch let problem as DefinitionProblem {
            throw CatalogError(file: name, path: problem.path, message: problem.message)
        }
        if let problem = ProcedureRules.validate(procedure) {
            throw CatalogError(file: name, path: problem.path, message: problem.message)
        }
        guard file.deletingPathExtension().lastPathComponent == procedure.code else {
            throw CatalogError(file: name, path: "code", message: "must match the file name (\(procedure.code).json)")
        }
        // Re-create through the initialiser, which sorts fields by `order` for rendering.
        return Procedure(
            code: procedure.code, name: procedure.name, category: procedure.category,
            department: procedure.department, description: procedure.description, nextSteps: procedure.nextSteps,
            visitRequired: procedure.visitRequired, feeYen: procedure.feeYen, feeNote: procedure.feeNote,
            retentionYears: procedure.retentionYears, version: procedure.version, paperPages: procedure.paperPages,
            fields: procedure.fields)
    }
}
