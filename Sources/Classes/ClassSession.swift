import Formats
import Foundation

/// A theme of the classes (スマホの基本, LINE, マイナンバーカード…), from `Schemas/classes/themes.json`.
public struct ClassTheme: Sendable, Equatable, Codable {
    public let code: String
    public let name: String
    public let description: String
}

/// A hall where classes are held (生活館…), from `Schemas/classes/venues.json`, with what an elderly resident
/// needs to get there.
public struct ClassVenue: Sendable, Equatable, Codable {
    public let code: String
    public let name: String
    /// `districts.code`: biratori, furenai, nukibetsu.
    public let district: String
    public let address: String
    public let access: String
}

/// The themes and venues, validated at start-up: a bad file stops `serve` naming the file and the field.
public struct ClassCatalog: Sendable {
    public let themes: [ClassTheme]
    public let venues: [ClassVenue]

    public struct DefinitionError: Error, CustomStringConvertible {
        public let file: String
        public let field: String
        public let reason: String
        public var description: String { "\(file): \(field): \(reason)" }
    }

    public init(themes: [ClassTheme], venues: [ClassVenue]) {
        self.themes = themes
        self.venues = venues
    }

    public static func load(directory: URL) throws -> ClassCatalog {
        struct ThemeFile: Decodable { let themes: [ClassTheme] }
        struct VenueFile: Decodable { let venues: [ClassVenue] }
        func decode<T: Decodable>(_ type: T.Type, _ name: String) throws -> T {
            let url = directory.appendingPathComponent(name)
            do {
                return try DefinitionFile.decode(type, from: url)
            } catch let problem as DefinitionProblem {
                throw DefinitionError(
                    file: name, field: problem.path.isEmpty ? "(file)" : problem.path, reason: problem.message)
            }
        }
        let themes = try decode(ThemeFile.self, "themes.json").themes
        let venues = try decode(VenueFile.self, "venues.json").venues
        try check(themes.map(\.code), names: themes.map(\.name), file: "themes.json")
        try check(venues.map(\.code), names: venues.map(\.name), file: "venues.json")
        for (index, venue) in venues.enumerated() where !isCode(venue.district) {
            throw DefinitionError(
                file: "venues.json", field: "venues[\(index)].district", reason: "not a district code")
        }
        return ClassCatalog(themes: themes, venues: venues)
    }

    static func check(_ codes: [String], names: [String], file: String) throws {
        guard !codes.isEmpty else { throw DefinitionError(file: file, field: "(list)", reason: "is empty") }
        var seen: Set<String> = []
        for (index, code) in codes.enumerated() {
            guard isCode(code) else {
                throw DefinitionError(file: file, field: "[\(index)].code", reason: "must be lowercase ASCII and -")
            }
            guard seen.insert(code).inserted else {
                throw DefinitionError(file: file, field: "[\(index)].code", reason: "\(code) appears twice")
            }
            guard !names[index].isEmpty else {
                throw DefinitionError(file: file, field: "[\(index)].name", reason: "is empty")
            }
        }
    }

    static func isCode(_ text: String) -> Bool {
        !text.isEmpty && text.count <= 32
            && text.utf8.allSatisfy { (97...122).contains($0) || (48...57).contains($0) || $0 == 45 }
    }

    public func theme(code: String) -> ClassTheme? { themes.first { $0.code == code } }
    public func venue(code: String) -> ClassVenue? { venues.first { $0.code == code } }
}

public enum SessionStatus: String, Sendable, Codable {
    case scheduled
    case held
    case cancelled

    public var label: String {
        switch self {
        case .scheduled: "受付中"
        case .held: "開催済み"
        case .cancelled: "中止"
        }
    }
}

/// One class: a theme at a venue at a time, with seats and loan phones (貸出スマホ).
public struct ClassSession: Sendable, Equatable {
    public let id: Int64
    public var title: String
    public var themeCode: String
    public var venueCode: String
    public var districtCode: String
    public var startsAt: Date
    public var endsAt: Date
    public var capacity: Int
    public var loanPhones: Int
    public var instructorIDs: [Int64]
    public var bring: String
    public var notes: String
    public var status: SessionStatus
    public var cancelReason: String?
    public var heldAt: Date?

    /// Signups are open until the class starts.
    public func acceptsSignups(at now: Date) -> Bool { status == .scheduled && now < startsAt }

    /// `2026年4月3日 10:00〜12:00`
    public var timeText: String {
        let end = JapanTime.format(endsAt).split(separator: " ").last.map(String.init) ?? ""
        return "\(JapanTime.format(startsAt))〜\(end)"
    }
}

/// What staff type into the session form, checked.
public struct SessionDraft: Sendable, Equatable {
    public var title: String
    public var themeCode: String
    public var venueCode: String
    public var startsAt: Date
    public var endsAt: Date
    public var capacity: Int
    public var loanPhones: Int
    public var instructorIDs: [Int64]
    public var bring: String
    public var notes: String
}

public enum SignupStatus: String, Sendable, Codable {
    case confirmed
    case waitlisted
    case cancelled

    public var label: String {
        switch self {
        case .confirmed: "参加確定"
        case .waitlisted: "キャンセル待ち"
        case .cancelled: "取り消し済み"
        }
    }
}

extension ClassSignup {
    public var isLive: Bool { status != .cancelled }
    public var callReasonLabel: String {
        switch callReason {
        case "reminder": "前日のご案内"
        case "cancelled": "教室の中止"
        case "promoted": "キャンセル待ちからの繰り上げ"
        default: ""
        }
    }
}

/// 貸出スマホ: none (brings their own), requested (waiting for one), assigned.
public enum LoanPhone: String, Sendable, Codable {
    case none
    case requested
    case assigned

    public var label: String {
        switch self {
        case .none: "ご自分のスマホ"
        case .requested: "貸出スマホの空き待ち"
        case .assigned: "貸出スマホあり"
        }
    }
}

public enum SignupChannel: String, Sendable, Codable {
    case web
    case line
    case counter
}

public struct ClassSignup: Sendable, Equatable {
    public let id: Int64
    public let sessionID: Int64
    public var residentID: Int64?
    public var fullName: String
    public var fullNameKana: String
    public var phone: String?
    public var channel: SignupChannel
    public var status: SignupStatus
    public var loanPhone: LoanPhone
    public var walkIn: Bool
    public var attended: Bool?
    public var remindedAt: Date?
    /// reminder, cancelled or promoted: why staff must phone them (they have no LINE link).
    public var callReason: String?
    public var calledAt: Date?
    public var createdAt: Date
}

/// Who is signing up, already checked: the one input to the signup rule, whichever way it came in.
public struct SignupRequest: Sendable, Equatable {
    public enum LoanPhoneChoice: String, Sendable {
        /// Not needed: brings their own.
        case no
        /// Wants one; refused with a choice when none are left.
        case yes
        /// Wants one, and waits for one if none are left.
        case wait
    }

    public var residentID: Int64?
    public var fullName: String
    public var fullNameKana: String
    public var phone: String?
    public var channel: SignupChannel
    public var loanPhone: LoanPhoneChoice
    public var staffID: Int64?
    public var walkIn = false

    public init(
        residentID: Int64?, fullName: String, fullNameKana: String, phone: String?, channel: SignupChannel,
        loanPhone: LoanPhoneChoice, staffID: Int64? = nil, walkIn: Bool = false
    ) {
        self.residentID = residentID
        self.fullName = fullName
        self.fullNameKana = fullNameKana
        self.phone = phone
        self.channel = channel
        self.loanPhone = loanPhone
        self.staffID = staffID
        self.walkIn = walkIn
    }
}

/// The form fields of a signup, checked into a `SignupRequest` or field errors in Japanese.
public enum SignupInput {
    public static func check(
        name: String, kana: String, phone: String, loanPhone: String, residentID: Int64?, requireKana: Bool
    ) -> (
        fields: (name: String, kana: String, phone: String?, loan: SignupRequest.LoanPhoneChoice)?,
        errors: [(String, String)]
    ) {
        var errors: [(String, String)] = []
        let trimmedName = name.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmedName.isEmpty || trimmedName.count > 100 { errors.append(("full_name", "お名前を入力してください。")) }
        let trimmedKana = Kana.katakana(kana.trimmingCharacters(in: .whitespacesAndNewlines))
        if requireKana && trimmedKana.isEmpty { errors.append(("full_name_kana", "フリガナを入力してください。")) }
        var normalizedPhone: String?
        let trimmedPhone = phone.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmedPhone.isEmpty {
            if residentID == nil {
                errors.append(("phone", "電話番号を入力してください。アカウントのない方は、電話番号で教室の前日にご連絡します。"))
            }
        } else if let digits = PhoneNumber.normalized(trimmedPhone) {
            normalizedPhone = digits
        } else {
            errors.append(("phone", "電話番号は0から始まる10けたか11けたの日本の番号で入力してください（例：01457-2-0000）。"))
        }
        guard let choice = SignupRequest.LoanPhoneChoice(rawValue: loanPhone) else {
            errors.append(("loan_phone", "貸出スマホが必要かどうかを選んでください。"))
            return (nil, errors)
        }
        guard errors.isEmpty else { return (nil, errors) }
        return ((trimmedName, trimmedKana, normalizedPhone, choice), [])
    }
}
