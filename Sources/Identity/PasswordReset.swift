import Cryptography
import Formats
import Foundation
import Security

/// One-time codes that staff print for a resident who forgot their password, or who was registered at the
/// counter and has none yet. The resident types the code with their login ID on `/reset` to set a password.
public enum PasswordResetCode {
    /// No I, O, Q, Z, 0 or 1: the code is read off paper, often by elderly residents.
    public static let alphabet: [Character] = Array("ABCDEFGHJKLMNPRSTUVWXY23456789")
    public static let length = 8
    /// Long enough to come back to the counter's paper a few days later, short enough to be useless if lost.
    public static let validity: TimeInterval = 72 * 3600

    /// 8 characters from 30: about 39 bits. With the login throttle in front, guessing is hopeless.
    public static func generate() -> String { SecureRandom.string(length: length, alphabet: alphabet) }

    /// `ABCD-EFGH`, for printing.
    public static func formatted(_ code: String) -> String { "\(code.prefix(4))-\(code.dropFirst(4))" }

    /// Upper-cases, folds full-width characters and drops the hyphen and spaces people copy from the paper.
    public static func normalize(_ text: String) -> String {
        CharacterWidth.halfwidth(text).uppercased().filter { $0 != "-" && $0 != " " }
    }
}
