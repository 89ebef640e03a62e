import Foundation

/// What is wrong in a definition file under `Schemas/` (a procedure, a certificate type, the KPI indicators),
/// said so that an operator can find it: the JSON path (`fields[2].type`) and what is wrong there. Each module
/// wraps it in its own error, which adds the file name, so a bad file stops start-up naming file and field.
public struct DefinitionProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public let path: String
    public let message: String

    public var description: String { "\(path): \(message)" }

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }
}

/// Reading definition files: one place for the folder listing and for turning a decoder's error into a path,
/// which the procedure catalog, the certificate types and the KPI indicators each had a copy of.
public enum DefinitionFile {
    /// The `*.json` files of `directory`, by name. An unreadable or empty folder is a problem at path "".
    public static func jsonFiles(in directory: URL, holding what: String) throws -> [URL] {
        let files: [URL]
        do {
            files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
                .filter { $0.pathExtension == "json" }
                .sorted { $0.lastPathComponent < $1.lastPathComponent }
        } catch {
            throw DefinitionProblem(path: "", message: "cannot read the \(what) folder")
        }
        guard !files.isEmpty else { throw DefinitionProblem(path: "", message: "the folder holds no \(what)") }
        return files
    }

    /// Reads and decodes `file`. `notAllowed` may word the message for a value the type refuses, given the key
    /// it sits under (the procedure catalog lists the known field types for `type`).
    public static func decode<T: Decodable>(
        _ type: T.Type, from file: URL, notAllowed: (String?) -> String? = { _ in nil }
    ) throws -> T {
        guard let data = try? Data(contentsOf: file) else {
            throw DefinitionProblem(path: "", message: "cannot read the file")
        }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let error as DecodingError {
            throw problem(describing: error, notAllowed: notAllowed)
        } catch {
            throw DefinitionProblem(path: "", message: "is not valid JSON")
        }
    }

    static func problem(describing error: DecodingError, notAllowed: (String?) -> String?) -> DefinitionProblem {
        switch error {
        case .keyNotFound(let key, let context):
            return DefinitionProblem(path: path(context.codingPath + [key]), message: "is missing")
        case .typeMismatch(let type, let context):
            return DefinitionProblem(path: path(context.codingPath), message: "has the wrong type (expected \(type))")
        case .valueNotFound(let type, let context):
            return DefinitionProblem(path: path(context.codingPath), message: "is null (expected \(type))")
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return DefinitionProblem(path: "", message: "is not valid JSON") }
            return DefinitionProblem(
                path: path(context.codingPath),
                message: notAllowed(context.codingPath.last?.stringValue) ?? "has a value that is not allowed")
        @unknown default:
            return DefinitionProblem(path: "", message: "cannot be decoded")
        }
    }

    /// `fields[2].type` for the coding path fields → 2 → type.
    static func path(_ codingPath: [any CodingKey]) -> String {
        var text = ""
        for component in codingPath {
            if let index = component.intValue {
                text += "[\(index)]"
            } else {
                text += (text.isEmpty ? "" : ".") + component.stringValue
            }
        }
        return text
    }
}
