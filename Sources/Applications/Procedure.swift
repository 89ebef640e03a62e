import Formats
import Foundation
import Identity
import ServiceKit

/// The kinds of question a procedure may ask (GOV.UK Forms' typed questions). The raw value is the JSON spelling.
public enum FieldType: String, Codable, Sendable, CaseIterable {
    case text
    case textarea
    case number
    case date
    case email
    case phone
    case postalCode = "postal_code"
    case address
    case name
    case kana
    case selectOne = "select-one"
    case selectMany = "select-many"
    case checkbox
    case file

    /// Types whose answer is free text, to which `maxLength` and `pattern` apply.
    var isFreeText: Bool { [.text, .textarea, .address, .name, .kana].contains(self) }

    /// The longest answer accepted when the definition sets no `maxLength`.
    var defaultMaxLength: Int {
        switch self {
        case .textarea: 2000
        case .name, .kana: 100
        case .email: 254
        default: 200
        }
    }
}

/// One choice of a select-one or select-many field.
public struct FieldOption: Codable, Sendable, Equatable {
    public let value: String
    public let label: String
}

/// "Show this field only when field `field` has the value `equals`" (for a checkbox, `"true"`). Forms work
/// without JavaScript, so every field is on the page; a conditional one says when it applies, and the server
/// ignores it unless the condition holds.
public struct FieldCondition: Codable, Sendable, Equatable {
    public let field: String
    public let equals: String
}

/// Where a field's first value comes from for a signed-in resident (書かない: don't make them write it again).
public enum ProfilePrefill: String, Codable, Sendable {
    case fullName = "full_name"
    case fullNameKana = "full_name_kana"
    case birthDate = "birth_date"
    case postalCode = "postal_code"
    case address
    case phone
}

/// One question of a procedure.
public struct ProcedureField: Codable, Sendable {
    /// The answer's key and the input's name and id: lower-case ASCII, unique within the procedure.
    public let name: String
    public let type: FieldType
    public let label: String
    public let hint: String?
    public let required: Bool
    public let order: Int
    public let options: [FieldOption]?
    /// number: the value; date: days from today (JST); select-many: how many choices.
    public let min: Int?
    public let max: Int?
    public let maxLength: Int?
    /// A whole-answer regular expression for free-text fields, e.g. `^[0-9]{3}$`.
    public let pattern: String?
    /// What the resident sees when `pattern` does not match.
    public let patternMessage: String?
    public let visibleWhen: FieldCondition?
    public let prefill: ProfilePrefill?

    enum CodingKeys: String, CodingKey {
        case name, type, label, hint, required, order, options, min, max, pattern, prefill
        case maxLength = "max_length"
        case patternMessage = "pattern_message"
        case visibleWhen = "visible_when"
    }

    public init(
        name: String, type: FieldType, label: String, hint: String? = nil, required: Bool = false, order: Int,
        options: [FieldOption]? = nil, min: Int? = nil, max: Int? = nil, maxLength: Int? = nil,
        pattern: String? = nil, patternMessage: String? = nil, visibleWhen: FieldCondition? = nil,
        prefill: ProfilePrefill? = nil
    ) {
        self.name = name
        self.type = type
        self.label = label
        self.hint = hint
        self.required = required
        self.order = order
        self.options = options
        self.min = min
        self.max = max
        self.maxLength = maxLength
        self.pattern = pattern
        self.patternMessage = patternMessage
        self.visibleWhen = visibleWhen
        self.prefill = prefill
    }

    public func optionLabel(_ value: String) -> String {
        options?.first { $0.value == value }?.label ?? value
    }
}

/// One online procedure (Open311's service definition): what it is, who handles it and which questions it asks.
public struct Procedure: Codable, Sendable {
    /// Stable identifier and file name: `water-start` lives in `water-start.json`.
    public let code: String
    public let name: String
    public let category: String
    /// 担当課.
    public let department: String
    public let description: String
    /// What happens after submitting, shown on the form and on the completion page.
    public let nextSteps: String
    /// True when the resident must still come to the town hall afterwards (e.g. to collect a dog tag).
    public let visitRequired: Bool
    /// Integer yen; 0 is free.
    public let feeYen: Int
    public let feeNote: String?
    /// Years personal data is kept after the application is closed.
    public let retentionYears: Int
    /// Raised whenever the questions change; applications record the version they were filled against.
    public let version: Int
    /// Sheets the paper form set takes (the form, its attachments' forms, the copy handed back): what one
    /// online submission saves, for the KPI's paperless estimate.
    public let paperPages: Int
    public let fields: [ProcedureField]

    enum CodingKeys: String, CodingKey {
        case code, name, category, department, description, version, fields
        case paperPages = "paper_pages"
        case nextSteps = "next_steps"
        case visitRequired = "visit_required"
        case feeYen = "fee_yen"
        case feeNote = "fee_note"
        case retentionYears = "retention_years"
    }

    public init(
        code: String, name: String, category: String, department: String, description: String, nextSteps: String,
        visitRequired: Bool, feeYen: Int, feeNote: String? = nil, retentionYears: Int, version: Int,
        paperPages: Int, fields: [ProcedureField]
    ) {
        self.code = code
        self.name = name
        self.category = category
        self.department = department
        self.description = description
        self.nextSteps = nextSteps
        self.visitRequired = visitRequired
        self.feeYen = feeYen
        self.feeNote = feeNote
        self.retentionYears = retentionYears
        self.version = version
        self.paperPages = paperPages
        self.fields = fields.sorted { $0.order < $1.order }
    }

    public func field(named name: String) -> ProcedureField? { fields.first { $0.name == name } }

    public var hasFileFields: Bool { fields.contains { $0.type == .file } }

    /// "無料" or "500円".
    public var feeText: String { feeYen == 0 ? "無料" : "\(YenText.grouped(feeYen))円" }
}

/// Thousands separators without a locale-dependent formatter: `12,000`.
enum YenText {
    static func grouped(_ value: Int) -> String {
        let digits = String(abs(value))
        var output = ""
        for (index, character) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { output.append(",") }
            output.append(character)
        }
        return value < 0 ? "-" + output : output
    }
}

/// The rules a procedure definition must follow before the server will start with it.
public enum ProcedureRules {
    /// Input names the page itself uses; a field may not take them.
    static let reservedFieldNames: Set<String> = ["csrf_token", "form_token", "action", "reference", "guest_secret"]

    /// Checks everything JSON decoding cannot: names, departments, options, ranges, patterns and conditions.
    /// Returns the first problem, so the operator fixes one thing at a time with an exact location.
    public static func validate(_ procedure: Procedure) -> DefinitionProblem? {
        func problem(_ path: String, _ message: String) -> DefinitionProblem {
            DefinitionProblem(path: path, message: message)
        }
        guard isIdentifier(procedure.code, allowing: "-") else {
            return problem("code", "must be lower-case ASCII letters, digits and hyphens, starting with a letter")
        }
        for (key, value) in [
            ("name", procedure.name), ("category", procedure.category), ("description", procedure.description),
            ("next_steps", procedure.nextSteps),
        ] where value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            return problem(key, "must not be empty")
        }
        guard Department(rawValue: procedure.department) != nil else {
            return problem(
                "department",
                "must be one of \(Department.allCases.map(\.rawValue).joined(separator: ", ")), not \(procedure.department)"
            )
        }
        guard procedure.feeYen >= 0 else { return problem("fee_yen", "must be 0 or more") }
        guard (1...30).contains(procedure.retentionYears) else {
            return problem("retention_years", "must be between 1 and 30")
        }
        guard procedure.version >= 1 else { return problem("version", "must be 1 or more") }
        guard (0...100).contains(procedure.paperPages) else {
            return problem("paper_pages", "must be between 0 and 100")
        }
        guard !procedure.fields.isEmpty else { return problem("fields", "must list at least one field") }

        var seenNames: Set<String> = []
        var seenOrders: Set<Int> = []
        // Indices refer to the file's order, which is what the operator sees; `fields` is sorted by `order`.
        let ordered = procedure.fields
        for (index, field) in ordered.enumerated() {
            let at = "fields[\(index)]"
            guard isIdentifier(field.name, allowing: "_"), !reservedFieldNames.contains(field.name) else {
                return problem(
                    "\(at).name", "must be lower-case ASCII letters, digits and underscores (and not a reserved name)")
            }
            guard seenNames.insert(field.name).inserted else {
                return problem("\(at).name", "\(field.name) is used by another field")
            }
            guard seenOrders.insert(field.order).inserted else {
                return problem("\(at).order", "\(field.order) is used by another field")
            }
            guard !field.label.trimmingCharacters(in: .whitespaces).isEmpty else {
                return problem("\(at).label", "must not be empty")
            }
            let isChoice = field.type == .selectOne || field.type == .selectMany
            if isChoice {
                guard let options = field.options, !options.isEmpty else {
                    return problem("\(at).options", "a \(field.type.rawValue) field needs at least one option")
                }
                var values: Set<String> = []
                for (optionIndex, option) in options.enumerated() {
                    guard !option.value.isEmpty, option.value.count <= 100, values.insert(option.value).inserted else {
                        return problem("\(at).options[\(optionIndex)].value", "must be non-empty and unique")
                    }
                    guard !option.label.isEmpty else {
                        return problem("\(at).options[\(optionIndex)].label", "must not be empty")
                    }
                }
            } else if field.options != nil {
                return problem("\(at).options", "only select-one and select-many fields take options")
            }
            if field.min != nil || field.max != nil {
                guard [.number, .date, .selectMany].contains(field.type) else {
                    return problem("\(at).min", "min and max apply only to number, date and select-many fields")
                }
                if let min = field.min, let max = field.max, min > max {
                    return problem("\(at).max", "must not be less than min (\(min))")
                }
            }
            if let maxLength = field.maxLength {
                guard field.type.isFreeText else {
                    return problem("\(at).max_length", "applies only to text, textarea, name, kana and address fields")
                }
                guard (1...10_000).contains(maxLength) else {
                    return problem("\(at).max_length", "must be between 1 and 10000")
                }
            }
            if let pattern = field.pattern {
                guard field.type.isFreeText else {
                    return problem("\(at).pattern", "applies only to free-text fields")
                }
                guard (try? NSRegularExpression(pattern: pattern)) != nil else {
                    return problem("\(at).pattern", "is not a valid regular expression")
                }
            }
            if let condition = field.visibleWhen {
                // Only an earlier field can decide: the form reads top to bottom, and it rules out cycles.
                guard let controller = ordered.first(where: { $0.name == condition.field }),
                    controller.order < field.order
                else {
                    return problem("\(at).visible_when.field", "must name a field that comes before this one")
                }
                switch controller.type {
                case .selectOne, .selectMany:
                    guard controller.options?.contains(where: { $0.value == condition.equals }) == true else {
                        return problem("\(at).visible_when.equals", "must be one of \(controller.name)'s option values")
                    }
                case .checkbox:
                    guard condition.equals == "true" else {
                        return problem("\(at).visible_when.equals", "must be \"true\" for a checkbox")
                    }
                default:
                    return problem(
                        "\(at).visible_when.field", "must name a select-one, select-many or checkbox field")
                }
            }
            if field.prefill != nil, field.type == .file || isChoice || field.type == .checkbox {
                return problem("\(at).prefill", "cannot prefill a \(field.type.rawValue) field")
            }
        }
        return nil
    }

    static func isIdentifier(_ text: String, allowing separator: Character) -> Bool {
        guard let first = text.first, first.isASCII, first.isLowercase, text.count <= 40 else { return false }
        return text.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == separator) }
    }
}
