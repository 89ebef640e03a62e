/// 電話番号, stored as digits only: separators differ between residents (`01457-2-0000`, `(01457) 2-0000`)
/// while the number is the same.
public enum PhoneNumber {
    /// A Japanese number from its area code: 10 or 11 digits starting with 0. `+81` becomes `0`.
    public static func normalized(_ text: String) -> String? {
        var digits = CharacterWidth.halfwidth(text).filter { !" -()".contains($0) }
        if digits.hasPrefix("+81") { digits = "0" + digits.dropFirst(3) }
        guard (10...11).contains(digits.count), digits.hasPrefix("0"),
            digits.allSatisfy({ $0.isASCII && $0.isNumber })
        else { return nil }
        return digits
    }

    /// A number that can receive SMS: 11 digits starting 060, 070, 080 or 090.
    public static func normalizedMobile(_ text: String) -> String? {
        guard let digits = normalized(text), digits.count == 11,
            ["060", "070", "080", "090"].contains(String(digits.prefix(3)))
        else { return nil }
        return digits
    }
}
