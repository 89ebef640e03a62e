/// 郵便番号: seven digits, stored as `NNN-NNNN`.
public enum PostalCode {
    /// `0550107`, `055-0107`, `〒０５５－０１０７` → `055-0107`; nil for anything that is not seven digits.
    public static func normalized(_ text: String) -> String? {
        let digits = CharacterWidth.halfwidth(text).filter { $0 != "-" && $0 != " " && $0 != "〒" }
        guard digits.count == 7, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return "\(digits.prefix(3))-\(digits.suffix(4))"
    }
}
