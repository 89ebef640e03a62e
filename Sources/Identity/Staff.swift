import Formats
import Foundation
import ServiceKit
import Web

/// A staff account as the rest of the system sees it; the password hash never leaves `StaffStore`.
public struct StaffMember: Sendable, Equatable {
    public let id: Int64
    public let loginID: String
    public let displayName: String
    public let role: StaffRole
    public let department: Department
    public let disabledAt: Date?
    public let createdAt: Date

    public var isActive: Bool { disabledAt == nil }
}

/// A new staff account, checked before it is stored.
public struct NewStaffMember: Sendable {
    public var loginID: String
    public var displayName: String
    public var role: StaffRole
    public var department: Department

    public init(loginID: String, displayName: String, role: StaffRole, department: Department) {
        self.loginID = loginID
        self.displayName = displayName
        self.role = role
        self.department = department
    }
}

public enum StaffRules {
    /// Staff passwords guard many residents' records, so they are longer than residents' (NIST SP 800-63B:
    /// length, no composition rules).
    public static let minimumPasswordLength = 12

    /// Lower-case ASCII letters, digits, `.`, `_` and `-`, 3 to 64 characters: typed on any keyboard, and
    /// never a resident's personal data.
    public static func normalizeLoginID(_ text: String) -> String? {
        let normalized = CharacterWidth.halfwidth(text).trimmingCharacters(in: .whitespaces).lowercased()
        guard (3...64).contains(normalized.count),
            normalized.unicodeScalars.allSatisfy({
                ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "." || $0 == "_" || $0 == "-"
            })
        else { return nil }
        return normalized
    }

    /// Field names match the admin form's inputs, so the errors land beside them.
    public static func validate(
        loginID: String, displayName: String, role: String, department: String, password: String
    ) -> (NewStaffMember?, FormErrors) {
        var errors = FormErrors()
        let normalizedLoginID = normalizeLoginID(loginID)
        if loginID.trimmingCharacters(in: .whitespaces).isEmpty {
            errors.add("login_id", "ログインIDを入力してください。")
        } else if normalizedLoginID == nil {
            errors.add("login_id", "ログインIDは半角英小文字・数字・「.」「_」「-」の3〜64文字で入力してください。")
        }
        let name = displayName.trimmingCharacters(in: .whitespaces)
        if name.isEmpty {
            errors.add("display_name", "氏名を入力してください。")
        } else if name.count > 100 {
            errors.add("display_name", "氏名は100文字以内で入力してください。")
        }
        let parsedRole = StaffRole(rawValue: role)
        if parsedRole == nil { errors.add("role", "役割を選択してください。") }
        let parsedDepartment = Department(rawValue: department)
        if parsedDepartment == nil { errors.add("department", "担当課を選択してください。") }
        if let problem = PasswordRules.problem(with: password, minimumLength: minimumPasswordLength, loginID: loginID) {
            errors.add("password", problem)
        }
        guard errors.isEmpty, let normalizedLoginID, let parsedRole, let parsedDepartment else { return (nil, errors) }
        return (
            NewStaffMember(
                loginID: normalizedLoginID, displayName: name, role: parsedRole, department: parsedDepartment),
            errors
        )
    }
}

/// Password rules for everyone, after NIST SP 800-63B: a minimum length, a maximum long enough for
/// passphrases, no composition rules, and a refusal of the few passwords every attacker tries first.
public enum PasswordRules {
    public static let maximumLength = 128

    /// The most common passwords in public breach corpora that meet the length rule.
    static let commonPasswords: Set<String> = [
        "password", "password1", "password12", "password123", "12345678", "123456789", "1234567890",
        "12345678910", "123456789012", "qwertyui", "qwertyuiop", "11111111", "00000000", "abcd1234",
        "abcdefgh", "iloveyou", "sunshine", "princess", "baseball", "football", "asdfghjk", "asdfghjkl",
        "1qaz2wsx", "zaq12wsx", "passw0rd", "p@ssw0rd", "qwerty123", "qwerty1234", "aaaaaaaa", "88888888",
        "87654321", "99999999", "12341234", "11223344", "a1234567", "admin123", "administrator", "welcome1",
        "changeme", "letmein1", "trustno1",
    ]

    /// The first problem with `password`, in Japanese, or nil when it is acceptable.
    public static func problem(with password: String, minimumLength: Int, loginID: String? = nil) -> String? {
        if password.isEmpty { return "パスワードを入力してください。" }
        if password.count < minimumLength { return "パスワードは\(minimumLength)文字以上で入力してください。" }
        if password.count > maximumLength { return "パスワードは\(maximumLength)文字以内で入力してください。" }
        let lowered = password.lowercased()
        if commonPasswords.contains(lowered) || Set(lowered).count == 1 {
            return "このパスワードは推測されやすいため使えません。別のパスワードにしてください。"
        }
        if let loginID, !loginID.isEmpty, lowered == loginID.lowercased() {
            return "ログインIDと同じパスワードは使えません。"
        }
        return nil
    }
}
