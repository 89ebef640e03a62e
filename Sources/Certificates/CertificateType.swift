import Formats
import Foundation
import ServiceKit

/// Who is asking for the certificate, as the 交付請求書 asks it. A 代理人 must attach a 委任状.
public enum Requester: String, Codable, Sendable, CaseIterable {
    case person = "self"
    case household
    case agent

    public var label: String {
        switch self {
        case .person: "本人"
        case .household: "同一世帯の方"
        case .agent: "代理人（委任状が必要です）"
        }
    }
}

/// One choice printed on (or left off) a certificate: 本籍・筆頭者の記載, マイナンバーの記載, a tax 年度.
public struct CertificateOption: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        /// 記載する / 記載しない.
        case boolean
        /// One of the last `years_back` 年度, newest first; required.
        case fiscalYear = "fiscal_year"
    }

    /// Lower-case ASCII, unique within the type; the form's input is `option_<code>`.
    public let code: String
    public let label: String
    public let kind: Kind
    /// False for マイナンバー記載: the law lets only 本人 and 同一世帯 obtain it.
    public let agentAllowed: Bool
    public let yearsBack: Int?

    enum CodingKeys: String, CodingKey {
        case code, label, kind
        case agentAllowed = "agent_allowed"
        case yearsBack = "years_back"
    }

    public var formName: String { "option_\(code)" }
}

/// A certificate the town issues, as data (`Schemas/certificates/<code>.json`): its fee per copy (DESIGN.md's
/// table), who may request it, its options, the 担当課, the sheets of paper an online request saves, and how
/// long the 担当課 takes to prepare it in service hours.
public struct CertificateType: Codable, Sendable, Equatable {
    public let code: String
    public let name: String
    public let description: String
    public let feeYen: Int
    public let requesters: [Requester]
    public let options: [CertificateOption]
    /// 使用目的 must be given (戸籍 and tax certificates are issued only for a stated use).
    public let purposeRequired: Bool
    public let department: String
    public let paperPages: Int
    /// Minutes of service time (the calendar's open hours) from request to 交付準備完了.
    public let processingMinutes: Int
    /// The counter ticket category that serves it at the counter.
    public let counterCategory: String

    enum CodingKeys: String, CodingKey {
        case code, name, description, requesters, options, department
        case feeYen = "fee_yen"
        case purposeRequired = "purpose_required"
        case paperPages = "paper_pages"
        case processingMinutes = "processing_minutes"
        case counterCategory = "counter_category"
    }

    public static let maximumCopies = 10

    public func option(_ code: String) -> CertificateOption? { options.first { $0.code == code } }

    /// The 年度 a fiscal-year option offers at `now`: this 年度 and the `years_back − 1` before it, newest first.
    public static func fiscalYears(_ option: CertificateOption, at now: Date) -> [Int] {
        let current = FiscalYear(containing: now).startYear
        return (0..<(option.yearsBack ?? 5)).map { current - $0 }
    }
}

/// A definition file the server refuses to start with: which file, which field, and what is wrong.
public struct CertificateDefinitionError: Error, Sendable, Equatable, CustomStringConvertible {
    public let file: String
    public let path: String
    public let message: String

    public var description: String {
        path.isEmpty
            ? "certificate definition \(file): \(message)"
            : "certificate definition \(file), field \(path): \(message)"
    }
}

/// Every certificate type, loaded from `Schemas/certificates/*.json` at start-up and immutable afterwards.
public struct CertificateCatalog: Sendable {
    public let types: [CertificateType]

    public init(types: [CertificateType]) { self.types = types }

    public func type(code: String) -> CertificateType? { types.first { $0.code == code } }

    public static func load(directory: URL) throws -> CertificateCatalog {
        let files: [URL]
        do {
            files = try DefinitionFile.jsonFiles(in: directory, holding: "certificate definitions")
        } catch let problem as DefinitionProblem {
            throw CertificateDefinitionError(file: directory.path, path: "", message: problem.message)
        }
        var types: [CertificateType] = []
        for file in files {
            let type = try load(file: file)
            if types.contains(where: { $0.code == type.code }) {
                throw CertificateDefinitionError(
                    file: file.lastPathComponent, path: "code", message: "\(type.code) is defined twice")
            }
            types.append(type)
        }
        return CertificateCatalog(types: types)
    }

    public static func load(file: URL) throws -> CertificateType {
        let name = file.lastPathComponent
        let type: CertificateType
        do {
            type = try DefinitionFile.decode(CertificateType.self, from: file)
        } catch let problem as DefinitionProblem {
            throw CertificateDefinitionError(file: name, path: problem.path, message: problem.message)
        }
        if let (path, message) = validate(type) {
            throw CertificateDefinitionError(file: name, path: path, message: message)
        }
        guard file.deletingPathExtension().lastPathComponent == type.code else {
            throw CertificateDefinitionError(file: name, path: "code", message: "must match the file name")
        }
        return type
    }

    static func isCode(_ text: String) -> Bool {
        (1...40).contains(text.count)
            && text.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
    }

    static func isOptionCode(_ text: String) -> Bool {
        (1...40).contains(text.count)
            && text.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }

    /// The first rule the definition breaks, as (JSON path, message).
    static func validate(_ type: CertificateType) -> (String, String)? {
        if !isCode(type.code) { return ("code", "must be lower-case ASCII letters, digits and hyphens") }
        if type.name.isEmpty || type.name.count > 40 { return ("name", "must be 1 to 40 characters") }
        if !(1...10_000).contains(type.feeYen) { return ("fee_yen", "must be 1 to 10,000 yen") }
        if type.requesters.isEmpty { return ("requesters", "must name at least one requester") }
        if Set(type.requesters).count != type.requesters.count { return ("requesters", "lists a requester twice") }
        if Department(rawValue: type.department) == nil {
            return (
                "department", "is not a department (\(Department.allCases.map(\.rawValue).joined(separator: ", ")))"
            )
        }
        if !(0...100).contains(type.paperPages) { return ("paper_pages", "must be 0 to 100") }
        if !(1...(60 * 24 * 20)).contains(type.processingMinutes) {
            return ("processing_minutes", "must be 1 minute to 20 working days")
        }
        if !isCode(type.counterCategory) { return ("counter_category", "must be a category code") }
        var seen: Set<String> = []
        for (index, option) in type.options.enumerated() {
            if !isOptionCode(option.code) {
                return ("options[\(index)].code", "must be lower-case ASCII letters, digits and underscores")
            }
            if !seen.insert(option.code).inserted { return ("options[\(index)].code", "is defined twice") }
            if option.label.isEmpty { return ("options[\(index)].label", "must not be empty") }
            if option.kind == .fiscalYear, !(1...10).contains(option.yearsBack ?? 0) {
                return ("options[\(index)].years_back", "must be 1 to 10 for a fiscal_year option")
            }
        }
        return nil
    }
}
