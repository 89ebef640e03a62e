import Foundation

/// The town the pages speak for: its name in the header, and where and how to reach the town hall in the
/// footer and in every "please call" line. Tried as a 75-year-old on a phone would, the pages never named the
/// town and said お電話で without a number. Read at start-up from `Schemas/town.json` (or the file
/// `MADOGUCHI_TOWN_FILE` names); a missing or broken file stops start-up, naming the file and the field.
public struct TownProfile: Sendable, Equatable, Codable {
    /// 平取町
    public var name: String
    /// 平取町役場
    public var office: String
    public var address: String
    /// The main number (代表).
    public var phone: String
    /// 平日 8:45〜17:30 …
    public var openingHours: String
    /// Each department's direct line; a department without one is reached through `phone`.
    public var departments: [DepartmentContact]
    /// True for the shipped file: its number, address and hours are examples, and the footer says so.
    public var example: Bool

    public struct DepartmentContact: Sendable, Equatable, Codable {
        public var name: String
        public var phone: String

        public init(name: String, phone: String) {
            self.name = name
            self.phone = phone
        }
    }

    enum CodingKeys: String, CodingKey {
        case name, office, address, phone, departments, example
        case openingHours = "opening_hours"
    }

    public init(
        name: String, office: String, address: String, phone: String, openingHours: String,
        departments: [DepartmentContact] = [], example: Bool = false
    ) {
        self.name = name
        self.office = office
        self.address = address
        self.phone = phone
        self.openingHours = openingHours
        self.departments = departments
        self.example = example
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        office = try container.decode(String.self, forKey: .office)
        address = try container.decode(String.self, forKey: .address)
        phone = try container.decode(String.self, forKey: .phone)
        openingHours = try container.decode(String.self, forKey: .openingHours)
        departments = try container.decodeIfPresent([DepartmentContact].self, forKey: .departments) ?? []
        example = try container.decodeIfPresent(Bool.self, forKey: .example) ?? false
    }

    /// The number to call about a department's work.
    public func phone(for department: String) -> String {
        departments.first { $0.name == department }?.phone ?? phone
    }

    /// 「建設水道課（電話 01457-2-0000）」
    public func contact(for department: String) -> String {
        "\(department)（電話 \(phone(for: department))）"
    }

    /// The line every page ends with, and that error pages repeat.
    public var callLine: String {
        "お困りのときは\(office)の窓口、またはお電話（\(phone)）でお問い合わせください。受付時間：\(openingHours)"
    }

    // MARK: Loading

    public struct LoadError: Error, CustomStringConvertible, Sendable {
        public let file: String
        public let field: String?
        public let problem: String

        public var description: String {
            "town profile \(file)\(field.map { ", field \($0)" } ?? ""): \(problem)"
        }
    }

    public static func load(from file: URL) throws -> TownProfile {
        let data: Data
        do {
            data = try Data(contentsOf: file)
        } catch {
            throw LoadError(file: file.path, field: nil, problem: "cannot be read")
        }
        let profile: TownProfile
        do {
            profile = try JSONDecoder().decode(TownProfile.self, from: data)
        } catch DecodingError.keyNotFound(let key, _) {
            throw LoadError(file: file.path, field: key.stringValue, problem: "is missing")
        } catch DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context) {
            throw LoadError(
                file: file.path, field: context.codingPath.map(\.stringValue).joined(separator: "."),
                problem: "has the wrong type")
        } catch {
            throw LoadError(file: file.path, field: nil, problem: "is not valid JSON")
        }
        try profile.validate(file: file.path)
        return profile
    }

    func validate(file: String) throws {
        for (field, value) in [
            ("name", name), ("office", office), ("address", address), ("opening_hours", openingHours),
        ]
        where value.trimmingCharacters(in: .whitespaces).isEmpty {
            throw LoadError(file: file, field: field, problem: "must not be empty")
        }
        try Self.checkPhone(phone, field: "phone", file: file)
        for (index, department) in departments.enumerated() {
            if department.name.isEmpty {
                throw LoadError(file: file, field: "departments[\(index)].name", problem: "must not be empty")
            }
            try Self.checkPhone(department.phone, field: "departments[\(index)].phone", file: file)
        }
    }

    /// Written as residents dial it: digits and hyphens, 10 or 11 digits (01457-2-0000, 0120-000-000).
    static func checkPhone(_ phone: String, field: String, file: String) throws {
        let digits = phone.filter(\.isNumber)
        guard phone.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "-") }), phone.first == "0",
            (10...11).contains(digits.count)
        else {
            throw LoadError(file: file, field: field, problem: "must be a phone number such as 01457-2-0000")
        }
    }

    // MARK: The profile pages render with

    private static let lock = NSLock()
    nonisolated(unsafe) private static var installed = TownProfile.placeholder

    /// Set once at start-up (`Madoguchi.init`), before the server listens; pages read it while rendering.
    public static var current: TownProfile {
        get { lock.withLock { installed } }
        set { lock.withLock { installed = newValue } }
    }

    /// What a page shows before any profile is installed (unit tests that render a page on its own).
    public static let placeholder = TownProfile(
        name: "町", office: "役場", address: "（未設定）", phone: "0000-00-0000", openingHours: "（未設定）",
        example: true)
}
