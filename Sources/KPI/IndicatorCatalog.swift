import Formats
import Foundation
import ServiceKit

/// A definition file the server refuses to start with: which file, which field, and what is wrong.
public struct IndicatorDefinitionError: Error, Sendable, Equatable, CustomStringConvertible {
    public let file: String
    /// JSON path of the offending value, e.g. `indicators[2].events.channels`; empty for the whole file.
    public let path: String
    public let message: String

    public var description: String {
        path.isEmpty ? "KPI definition \(file): \(message)" : "KPI definition \(file), field \(path): \(message)"
    }
}

/// `Schemas/kpi/indicators.json`, loaded and checked at start-up. Immutable afterwards.
public struct IndicatorCatalog: Sendable, Equatable, Decodable {
    /// 円/枚 for the paperless estimate: paper, toner and the copier's counter charge per printed sheet
    /// (README, "KPI").
    public let paperlessUnitCostYenPerPage: Double
    public let indicators: [Indicator]

    enum CodingKeys: String, CodingKey {
        case indicators
        case paperlessUnitCostYenPerPage = "paperless_unit_cost_yen_per_page"
    }

    public init(paperlessUnitCostYenPerPage: Double, indicators: [Indicator]) {
        self.paperlessUnitCostYenPerPage = paperlessUnitCostYenPerPage
        self.indicators = indicators
    }

    public func indicator(id: String) -> Indicator? { indicators.first { $0.id == id } }

    public static let fileName = "indicators.json"

    public static func load(directory: URL) throws -> IndicatorCatalog {
        try load(file: directory.appendingPathComponent(fileName))
    }

    public static func load(file: URL) throws -> IndicatorCatalog {
        let name = file.lastPathComponent
        let catalog: IndicatorCatalog
        do {
            catalog = try DefinitionFile.decode(IndicatorCatalog.self, from: file)
        } catch let problem as DefinitionProblem {
            throw IndicatorDefinitionError(file: name, path: problem.path, message: problem.message)
        }
        if let (path, message) = IndicatorRules.validate(catalog) {
            throw IndicatorDefinitionError(file: name, path: path, message: message)
        }
        return catalog
    }
}

/// The rules a decoded catalog must also meet: what each method needs, and names the SQL can trust.
enum IndicatorRules {
    static func validate(_ catalog: IndicatorCatalog) -> (String, String)? {
        guard catalog.paperlessUnitCostYenPerPage > 0, catalog.paperlessUnitCostYenPerPage < 1000 else {
            return ("paperless_unit_cost_yen_per_page", "must be more than 0 and less than 1000")
        }
        guard !catalog.indicators.isEmpty else { return ("indicators", "must list at least one indicator") }
        var seen: Set<String> = []
        for (index, indicator) in catalog.indicators.enumerated() {
            let at = "indicators[\(index)]"
            guard isName(indicator.id, allowing: "_") else {
                return ("\(at).id", "must be lower-case ASCII letters, digits and underscores, starting with a letter")
            }
            guard seen.insert(indicator.id).inserted else { return ("\(at).id", "\(indicator.id) is defined twice") }
            if let problem = validate(indicator) { return ("\(at).\(problem.0)", problem.1) }
        }
        return nil
    }

    static func validate(_ indicator: Indicator) -> (String, String)? {
        for (key, value) in [("label", indicator.label), ("unit", indicator.unit)]
        where value.trimmingCharacters(in: .whitespaces).isEmpty {
            return (key, "must not be empty")
        }
        guard (2000...2999).contains(indicator.baselineFiscalYear) else {
            return ("baseline_fiscal_year", "must be a fiscal year between 2000 and 2999")
        }
        if let minEvents = indicator.minEvents, minEvents < 1 { return ("min_events", "must be 1 or more") }
        if indicator.targetDistricts != nil, indicator.method != .count {
            return ("target_districts", "applies only to the count method")
        }
        switch indicator.method {
        case .distinctResidents, .count:
            guard let events = indicator.events else {
                return ("events", "is missing (the \(indicator.method.rawValue) method counts events)")
            }
            if let problem = validate(events) { return ("events.\(problem.0)", problem.1) }
        case .ratio:
            for (key, term) in [("numerator", indicator.numerator), ("denominator", indicator.denominator)] {
                guard let term else { return (key, "is missing (the ratio method divides two terms)") }
                if let problem = validate(term) { return ("\(key).\(problem.0)", problem.1) }
            }
        case .entered:
            guard indicator.figure != nil else { return ("figure", "is missing (the entered method shows a figure)") }
        }
        if let paperPages = indicator.paperPagesOf, let problem = validate(paperPages) {
            return ("paper_pages_of.\(problem.0)", problem.1)
        }
        return nil
    }

    static func validate(_ term: RatioTerm) -> (String, String)? {
        switch term.of {
        case .events:
            guard let events = term.events else { return ("events", "is missing (this term counts events)") }
            if let problem = validate(events) { return ("events.\(problem.0)", problem.1) }
        case .entered:
            guard term.figure != nil else { return ("figure", "is missing (this term is an entered figure)") }
        case .activeLineLinks:
            break
        }
        return nil
    }

    static func validate(_ selector: EventSelector) -> (String, String)? {
        if let source = selector.source, !isName(source, allowing: "_") || source.count > 32 {
            return ("source", "must be a module name: lower-case ASCII, at most 32 characters")
        }
        guard !selector.channels.isEmpty else { return ("channels", "must list at least one channel") }
        if let kinds = selector.kinds {
            guard !kinds.isEmpty else { return ("kinds", "must list at least one kind, or be left out") }
            for (index, kind) in kinds.enumerated() where !isName(kind, allowing: "_") || kind.count > 32 {
                return ("kinds[\(index)]", "must be a usage event kind: lower-case ASCII, at most 32 characters")
            }
        }
        if let codes = selector.subjectCodes {
            guard !codes.isEmpty else { return ("subject_codes", "must list at least one code, or be left out") }
            for (index, code) in codes.enumerated() where code.isEmpty || code.count > 64 {
                return ("subject_codes[\(index)]", "must be between 1 and 64 characters")
            }
        }
        return nil
    }

    static func isName(_ text: String, allowing extra: Character) -> Bool {
        guard let first = text.first, first.isASCII, first.isLowercase else { return false }
        return text.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == extra || $0 == "-" }
    }
}
