/// Residents type on Japanese keyboards and often in full-width mode: `０９０` and `＠` are the same as
/// `090` and `@` to them, so identifiers, numbers and codes are folded to ASCII before they are checked or
/// stored. Only for those: the fold turns the katakana long-vowel mark into a hyphen, so names never pass
/// through it (see `Kana`).
public enum CharacterWidth {
    /// Full-width ASCII (U+FF01–U+FF5E) becomes ASCII, the ideographic space a space, and every dash an IME
    /// produces where a hyphen was meant becomes `-`. Half-width katakana other than `ｰ` is left alone.
    public static func halfwidth(_ text: String) -> String {
        var result = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0xFF01...0xFF5E: result.append(Unicode.Scalar(scalar.value - 0xFEE0)!)
            case 0x3000: result.append(" ")
            // Dashes that Japanese IMEs produce for a hyphen in phone and postal numbers.
            case 0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2015, 0x2212, 0x30FC, 0xFF70: result.append("-")
            default: result.append(scalar)
            }
        }
        return String(result)
    }
}
