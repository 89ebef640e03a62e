import Formats
import Foundation
import HTTP
import Identity
import Web

/// One stored answer: a single text, or the chosen values of a select-many field.
public enum AnswerValue: Sendable, Equatable, Codable {
    case text(String)
    case list([String])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            self = .text(text)
        } else {
            self = .list(try container.decode([String].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .text(let text): try container.encode(text)
        case .list(let values): try container.encode(values)
        }
    }

    public var values: [String] {
        switch self {
        case .text(let text): [text]
        case .list(let values): values
        }
    }
}

/// A procedure's answers by field name, as stored in `applications.answers`.
public typealias Answers = [String: AnswerValue]

/// Validates and normalises submitted answers against a procedure's fields. Every message is Japanese,
/// names the field by its label and never repeats what was typed.
public enum FieldValidation {
    /// What `validate` needs to know about files, which arrive and are stored separately from answers.
    public struct FileState: Sendable {
        /// Fields that have a file (just uploaded and accepted, or stored earlier).
        public var fieldsWithFile: Set<String>
        /// Problems with uploads already found by the attachment checks (too large, wrong type).
        public var errors: [String: String]

        public init(fieldsWithFile: Set<String> = [], errors: [String: String] = [:]) {
            self.fieldsWithFile = fieldsWithFile
            self.errors = errors
        }
    }

    /// Returns the normalised answers of every visible field, and the problems in field order. Answers of
    /// hidden conditional fields are dropped. `today` is the JST calendar day, for date limits.
    public static func validate(
        _ submitted: SubmittedValues, for procedure: Procedure, today: Date, files: FileState = FileState()
    ) -> (answers: Answers, errors: FormErrors) {
        var answers: Answers = [:]
        var errors = FormErrors()
        for field in procedure.fields {
            guard isVisible(field, answers: answers) else { continue }
            if field.type == .file {
                if let message = files.errors[field.name] {
                    errors.add(field.name, message)
                } else if field.required, !files.fieldsWithFile.contains(field.name) {
                    errors.add(field.name, "\(field.label)を添付してください。")
                }
                continue
            }
            let raw = (submitted[field.name] ?? []).map(trimmed)
                .filter { !$0.isEmpty }
            switch validate(field, raw: raw, today: today) {
            case .success(let value?): answers[field.name] = value
            case .success(nil): break
            case .failure(let problem): errors.add(field.name, problem.message)
            }
        }
        return (answers, errors)
    }

    /// `trimmingCharacters(in: .whitespacesAndNewlines)`, which was a third of validating a form (callgrind,
    /// issue #10), only when there is something to trim: every scalar in that set has the White_Space property.
    static func trimmed(_ text: String) -> String {
        guard let first = text.unicodeScalars.first, let last = text.unicodeScalars.last,
            first.properties.isWhitespace || last.properties.isWhitespace
        else { return text }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Whether a conditional field applies, given the answers of the fields before it.
    public static func isVisible(_ field: ProcedureField, answers: Answers) -> Bool {
        guard let condition = field.visibleWhen else { return true }
        return answers[condition.field]?.values.contains(condition.equals) ?? false
    }

    struct Problem: Error {
        let message: String
    }

    /// One field: nil when left empty (and allowed to be).
    static func validate(_ field: ProcedureField, raw: [String], today: Date) -> Result<AnswerValue?, Problem> {
        let label = field.label
        if field.type == .selectMany {
            let allowed = field.options ?? []
            var chosen: [String] = []
            for value in raw where !chosen.contains(value) {
                guard allowed.contains(where: { $0.value == value }) else {
                    return .failure(Problem(message: "\(label)は一覧から選んでください。"))
                }
                chosen.append(value)
            }
            if chosen.isEmpty {
                return field.required ? .failure(Problem(message: "\(label)を選んでください。")) : .success(nil)
            }
            if let min = field.min, chosen.count < min {
                return .failure(Problem(message: "\(label)は\(min)つ以上選んでください。"))
            }
            if let max = field.max, chosen.count > max {
                return .failure(Problem(message: "\(label)は\(max)つまで選べます。"))
            }
            // Keep the definition's order, so answers read the same way as the form.
            return .success(.list(allowed.map(\.value).filter(chosen.contains)))
        }
        if field.type == .checkbox {
            let checked = raw.contains { ["true", "on", "1", "yes"].contains($0.lowercased()) }
            if !checked {
                return field.required ? .failure(Problem(message: "\(label)を確認し、チェックを入れてください。")) : .success(nil)
            }
            return .success(.text("true"))
        }
        guard raw.count <= 1 else { return .failure(Problem(message: "\(label)の入力が正しくありません。")) }
        guard let text = raw.first else {
            if field.required {
                let verb = field.type == .selectOne ? "選んでください" : "入力してください"
                return .failure(Problem(message: "\(label)を\(verb)。"))
            }
            return .success(nil)
        }
        return normalize(text, for: field, today: today).map { $0.map(AnswerValue.text) }
    }

    /// Type rules and normalisation for a non-empty single answer.
    static func normalize(_ text: String, for field: ProcedureField, today: Date) -> Result<String?, Problem> {
        let label = field.label
        func fail(_ message: String) -> Result<String?, Problem> { .failure(Problem(message: message)) }
        var value = text
        switch field.type {
        case .number:
            let digits = CharacterWidth.halfwidth(text).filter { $0 != "," && $0 != " " }
            guard let number = Int(digits), digits.count <= 12 else { return fail("\(label)は半角数字で入力してください。") }
            if let min = field.min, number < min { return fail("\(label)は\(min)以上で入力してください。") }
            if let max = field.max, number > max { return fail("\(label)は\(max)以下で入力してください。") }
            return .success(String(number))
        case .date:
            guard let date = CalendarDate.parse(text) else {
                return fail("\(label)は 2026-04-01 のように、年-月-日 で入力してください。")
            }
            let todayText = CalendarDate.today(at: today)
            if let min = field.min, date < CalendarDate.adding(days: min, to: todayText) {
                return fail(
                    min == 0
                        ? "\(label)は今日以降の日付を入力してください。"
                        : "\(label)は\(CalendarDate.japanese(CalendarDate.adding(days: min, to: todayText)))以降の日付を入力してください。"
                )
            }
            if let max = field.max, date > CalendarDate.adding(days: max, to: todayText) {
                return fail(
                    max == 0
                        ? "\(label)は今日以前の日付を入力してください。"
                        : "\(label)は\(CalendarDate.japanese(CalendarDate.adding(days: max, to: todayText)))までの日付を入力してください。"
                )
            }
            return .success(date)
        case .email:
            let address = CharacterWidth.halfwidth(text).trimmingCharacters(in: .whitespaces)
            let parts = address.split(separator: "@", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."),
                !parts[1].hasSuffix("."), address.count <= 254,
                address.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 0x20 && $0 != "\u{7F}" })
            else { return fail("\(label)は taro@example.jp のような形で入力してください。") }
            return .success(address)
        case .phone:
            guard let digits = PhoneNumber.normalized(text) else {
                return fail("\(label)は 01457-2-0000 のように、市外局番から10桁または11桁で入力してください。")
            }
            return .success(digits)
        case .postalCode:
            guard let code = PostalCode.normalized(text) else {
                return fail("\(label)は 055-0107 のように7桁の数字で入力してください。")
            }
            return .success(code)
        case .kana:
            guard let name = Kana.katakanaName(text) else { return fail("\(label)はカタカナで入力してください。") }
            value = name
        case .selectOne:
            guard field.options?.contains(where: { $0.value == text }) == true else {
                return fail("\(label)は一覧から選んでください。")
            }
            return .success(text)
        case .text, .name, .address:
            // One line: a pasted line break would break CSV columns and confirmation pages alike.
            value = text.split(whereSeparator: \.isNewline).joined(separator: " ")
        case .textarea:
            // Foundation's replacingOccurrences cost 17,000 instructions a field even with nothing to replace.
            value = text.utf8.contains(UInt8(ascii: "\r")) ? text.replacingOccurrences(of: "\r\n", with: "\n") : text
        case .checkbox, .selectMany, .file:
            return .success(nil)  // handled by the caller
        }
        // Free text: length in characters as people count them, then the pattern.
        let limit = field.maxLength ?? field.type.defaultMaxLength
        if value.count > limit { return fail("\(label)は\(limit)文字以内で入力してください。") }
        if value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control && $0 != "\n" }) {
            return fail("\(label)に使えない文字が含まれています。")
        }
        if let pattern = field.pattern, let expression = try? NSRegularExpression(pattern: pattern) {
            let range = NSRange(value.startIndex..., in: value)
            let match = expression.firstMatch(in: value, options: [.anchored], range: range)
            guard let match, match.range == range else {
                return fail(field.patternMessage ?? "\(label)の形式が正しくありません。")
            }
        }
        return .success(value)
    }
}
