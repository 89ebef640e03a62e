import Foundation

/// Furigana handling: residents type hiragana as often as katakana, so hiragana is converted.
public enum Kana {
    /// Hiragana becomes katakana and the ideographic space a space; everything else is kept, half-width
    /// katakana (`ｶﾀｶﾅ`) included, so it then fails `isKatakanaName`.
    public static func katakana(_ text: String) -> String {
        var result = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if (0x3041...0x3096).contains(scalar.value) {
                result.append(Unicode.Scalar(scalar.value + 0x60)!)
            } else if scalar.value == 0x3000 {
                result.append(" ")
            } else {
                result.append(scalar)
            }
        }
        return String(result)
    }

    /// Katakana, the long-vowel mark `ー`, the middle dot `・` and spaces. A hyphen is not a long-vowel mark.
    public static func isKatakanaName(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { (0x30A1...0x30FC).contains($0.value) || $0 == " " }
    }

    /// A furigana answer as stored: converted to katakana and trimmed, or nil when it is not a katakana name.
    /// An answer of spaces alone comes back empty; callers decide whether that is allowed.
    public static func katakanaName(_ text: String) -> String? {
        let name = katakana(text).trimmingCharacters(in: .whitespaces)
        return isKatakanaName(name) ? name : nil
    }
}
