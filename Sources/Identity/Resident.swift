import Formats
import Foundation
import HTTP
import Web

/// How a resident prefers the town to contact them.
public enum ContactChannel: String, Sendable, CaseIterable, Codable {
    case email
    case phone
    case post
    case line

    public var label: String {
        switch self {
        case .email: "メール"
        case .phone: "電話"
        case .post: "郵便"
        case .line: "LINE"
        }
    }
}

/// How an account came to exist: on the web by the resident, or at the counter by staff.
public enum RegistrationChannel: String, Sendable, Codable {
    case web
    case counter
}

/// A district (地区) of the town; the list lives in the `districts` table.
public struct District: Sendable, Equatable {
    public let code: String
    public let name: String
    public let kana: String

    public init(code: String, name: String, kana: String) {
        self.code = code
        self.name = name
        self.kana = kana
    }
}

/// The part of a resident's record they can edit themselves.
public struct ResidentProfile: Sendable, Equatable {
    public var fullName: String
    public var fullNameKana: String
    /// A calendar date, `YYYY-MM-DD`.
    public var birthDate: String
    /// `NNN-NNNN`.
    public var postalCode: String
    public var address: String
    public var districtCode: String
    /// Digits only.
    public var phone: String?
    public var contactChannel: ContactChannel

    public init(
        fullName: String, fullNameKana: String, birthDate: String, postalCode: String, address: String,
        districtCode: String, phone: String?, contactChannel: ContactChannel
    ) {
        self.fullName = fullName
        self.fullNameKana = fullNameKana
        self.birthDate = birthDate
        self.postalCode = postalCode
        self.address = address
        self.districtCode = districtCode
        self.phone = phone
        self.contactChannel = contactChannel
    }
}

/// A resident's account and profile. Personal data: never log it, never put it in a URL or the audit log.
public struct Resident: Sendable, Equatable {
    public let id: Int64
    /// Normalised: a lower-cased e-mail address or the digits of a mobile number.
    public let loginID: String
    public let profile: ResidentProfile
    public let registeredVia: RegistrationChannel
    /// False for a counter registration whose owner has not yet set a password with a reset code.
    public let hasPassword: Bool
    public let createdAt: Date
    public let updatedAt: Date
}

/// One line of a staff search result.
public struct ResidentSummary: Sendable, Equatable {
    public let id: Int64
    public let fullName: String
    public let fullNameKana: String
    public let birthDate: String
    public let districtCode: String
}

public enum ResidentRules {
    /// The login ID field of a registration form (online or at the counter): the normalised ID, or nil with
    /// the reason added beside the field. `example` ends the message on the resident's own form.
    static func validatedLoginID(_ text: String, into errors: inout FormErrors, example: String? = nil) -> String? {
        let loginID = normalizeLoginID(text)
        if text.trimmingCharacters(in: .whitespaces).isEmpty {
            errors.add("login_id", "ログインIDを入力してください。")
        } else if loginID == nil {
            errors.add(
                "login_id", "ログインIDには、メールアドレスか携帯電話の番号\(example.map { "（例：\($0)）" } ?? "")を入力してください。")
        }
        return loginID
    }

    /// NIST SP 800-63B's minimum for a password chosen by the user.
    public static let minimumPasswordLength = 8

    /// Login IDs are an e-mail address or a Japanese mobile number. E-mail addresses are lower-cased (the
    /// local part is case-insensitive at every provider residents use); numbers keep only their digits and
    /// a leading +81 becomes 0, so `090-1234-5678`, `09012345678` and `+81 90 1234 5678` are one account.
    public static func normalizeLoginID(_ text: String) -> String? {
        let trimmed = CharacterWidth.halfwidth(text).trimmingCharacters(in: .whitespaces)
        if trimmed.contains("@") {
            let lowered = trimmed.lowercased()
            let parts = lowered.split(separator: "@", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."),
                !parts[1].hasSuffix("."), lowered.count <= 254,
                lowered.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 0x20 && $0 != "\u{7F}" })
            else { return nil }
            return lowered
        }
        return PhoneNumber.normalizedMobile(trimmed)
    }

    public static func isEmailLoginID(_ normalized: String) -> Bool { normalized.contains("@") }

    /// Checks a submitted profile form. Field names are the form's input names.
    public static func validateProfile(
        _ form: FormFields, districts: [District], loginID: String?
    ) -> (ResidentProfile?, FormErrors) {
        var errors = FormErrors()
        let fullName = (form["full_name"] ?? "").trimmingCharacters(in: .whitespaces)
        if fullName.isEmpty {
            errors.add("full_name", "氏名を入力してください。")
        } else if fullName.count > 100 {
            errors.add("full_name", "氏名は100文字以内で入力してください。")
        }

        let kana = Kana.katakana(form["full_name_kana"] ?? "").trimmingCharacters(in: .whitespaces)
        if kana.isEmpty {
            errors.add("full_name_kana", "フリガナを入力してください。")
        } else if !Kana.isKatakanaName(kana) {
            errors.add("full_name_kana", "フリガナはカタカナで入力してください。")
        } else if kana.count > 100 {
            errors.add("full_name_kana", "フリガナは100文字以内で入力してください。")
        }

        let birthDate = normalizeDate(form["birth_date"] ?? "")
        if (form["birth_date"] ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
            errors.add("birth_date", "生年月日を入力してください。")
        } else if birthDate == nil {
            errors.add("birth_date", "生年月日は 1960-04-01 のように、年-月-日 で入力してください。")
        }

        let postalCode = PostalCode.normalized(form["postal_code"] ?? "")
        if (form["postal_code"] ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
            errors.add("postal_code", "郵便番号を入力してください。")
        } else if postalCode == nil {
            errors.add("postal_code", "郵便番号は 055-0107 のように7桁の数字で入力してください。")
        }

        let address = (form["address"] ?? "").trimmingCharacters(in: .whitespaces)
        if address.isEmpty {
            errors.add("address", "住所を入力してください。")
        } else if address.count > 200 {
            errors.add("address", "住所は200文字以内で入力してください。")
        }

        let districtCode = form["district"] ?? ""
        if !districts.contains(where: { $0.code == districtCode }) {
            errors.add("district", "お住まいの地区を選択してください。")
        }

        let phoneText = (form["phone"] ?? "").trimmingCharacters(in: .whitespaces)
        let phone = phoneText.isEmpty ? nil : PhoneNumber.normalized(phoneText)
        if !phoneText.isEmpty && phone == nil {
            errors.add("phone", "電話番号は 01457-2-0000 のように、市外局番から10桁または11桁で入力してください。")
        }

        let channel = ContactChannel(rawValue: form["contact_channel"] ?? "")
        switch channel {
        case nil:
            errors.add("contact_channel", "ご希望の連絡方法を選択してください。")
        case .phone? where phone == nil && !(loginID.map { !isEmailLoginID($0) } ?? false):
            errors.add("phone", "電話での連絡を希望する場合は、電話番号を入力してください。")
        case .email? where !(loginID.map(isEmailLoginID) ?? false):
            errors.add(
                "contact_channel", "メールでの連絡を希望する場合は、ログインIDにメールアドレスを使ってください。")
        default:
            break
        }

        guard errors.isEmpty, let birthDate, let postalCode, let channel else { return (nil, errors) }
        return (
            ResidentProfile(
                fullName: fullName, fullNameKana: kana, birthDate: birthDate, postalCode: postalCode,
                address: address, districtCode: districtCode, phone: phone, contactChannel: channel),
            errors
        )
    }

    /// `1960-04-01`, `1960/4/1` or full-width digits → `1960-04-01`; a real date, not in the future.
    static func normalizeDate(_ text: String) -> String? {
        let parts = CharacterWidth.halfwidth(text).trimmingCharacters(in: .whitespaces)
            .split(whereSeparator: { $0 == "-" || $0 == "/" || $0 == "." })
        guard parts.count == 3, let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
            (1900...2999).contains(year)
        else { return nil }
        let text = CalendarDate.text(year: year, month: month, day: day)
        guard let date = CalendarDate.utcMidnight(text), date <= Date() else { return nil }
        return text
    }
}

extension Resident {
    /// The profile's district name, or the code when the district has since been removed.
    public func districtName(in districts: [District]) -> String {
        districts.first { $0.code == profile.districtCode }?.name ?? profile.districtCode
    }
}
