import Formats
import Foundation
import ServiceKit

/// A purposes file the server refuses to start with, naming the file and the field.
public struct PurposeCatalogError: Error, Sendable, Equatable, CustomStringConvertible {
    public let file: String
    public let path: String
    public let message: String

    public var description: String { "payment purposes \(file), field \(path): \(message)" }
}

/// What fees are for (証明書手数料, 手続手数料, 施設使用料, 水道料金 …), as data in
/// `Schemas/payments/purposes.json`, loaded and checked at start-up.
public struct PurposeCatalog: Sendable {
    public struct Purpose: Sendable, Equatable, Decodable {
        public let code: String
        public let label: String
    }

    public let purposes: [Purpose]

    public func label(_ purpose: FeePurpose) -> String {
        purposes.first { $0.code == purpose.rawValue }?.label ?? purpose.rawValue
    }

    public func contains(_ purpose: FeePurpose) -> Bool { purposes.contains { $0.code == purpose.rawValue } }

    private struct File: Decodable { let purposes: [Purpose] }

    public static func load(file: URL) throws -> PurposeCatalog {
        let name = file.lastPathComponent
        let decoded: File
        do {
            decoded = try DefinitionFile.decode(File.self, from: file)
        } catch let problem as DefinitionProblem {
            throw PurposeCatalogError(file: name, path: problem.path, message: problem.message)
        }
        var seen: Set<String> = []
        for (index, purpose) in decoded.purposes.enumerated() {
            let isCode =
                !purpose.code.isEmpty && purpose.code.count <= 32
                && purpose.code.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || $0 == 95 || ($0 >= 48 && $0 <= 57) }
            guard isCode else {
                throw PurposeCatalogError(
                    file: name, path: "purposes[\(index)].code", message: "lowercase ASCII, digits and _, 1-32")
            }
            guard !purpose.label.isEmpty else {
                throw PurposeCatalogError(file: name, path: "purposes[\(index)].label", message: "empty")
            }
            guard seen.insert(purpose.code).inserted else {
                throw PurposeCatalogError(file: name, path: "purposes[\(index)].code", message: "duplicate code")
            }
        }
        guard !decoded.purposes.isEmpty else {
            throw PurposeCatalogError(file: name, path: "purposes", message: "no purposes")
        }
        return PurposeCatalog(purposes: decoded.purposes)
    }
}
