import Formats
import Testing

@Suite("Character width")
struct CharacterWidthTests {
    @Test(
        arguments: [
            ("０９０１２３４５６７８", "09012345678"),
            ("ｈａｎａｋｏ＠ｅｘａｍｐｌｅ．ｊｐ", "hanako@example.jp"),
            ("ＡＢＣＤ－２３４５", "ABCD-2345"),
            ("！～", "!~"),
            ("平取　町", "平取 町"),
            // Every dash an IME gives for a hyphen: ‐ ‑ ‒ – — ― − ー ｰ.
            ("1‐2‑3‒4–5—6―7−8ー9ｰ0", "1-2-3-4-5-6-7-8-9-0"),
            ("ｶﾀｶﾅ", "ｶﾀｶﾅ"),
            ("ひらがな 漢字", "ひらがな 漢字"),
            ("", ""),
        ])
    func halfwidth_foldsFullWidthASCIISpacesAndDashes(input: String, expected: String) {
        #expect(CharacterWidth.halfwidth(input) == expected)
    }

    @Test func halfwidth_turnsTheLongVowelMarkIntoAHyphen_soNamesMustNotPassThroughIt() {
        #expect(CharacterWidth.halfwidth("ビラトリー") == "ビラトリ-")
        #expect(Kana.katakanaName("ビラトリー") == "ビラトリー")
    }
}
