import Formats
import Testing

@Suite("Kana")
struct KanaTests {
    @Test(
        arguments: [
            ("びらとり　はなこ", "ビラトリ ハナコ"),
            ("ビラトリ ハナコ", "ビラトリ ハナコ"),
            ("ゔぁ", "ヴァ"),
            ("ゕゖ", "ヵヶ"),
            ("ｶﾀｶﾅ", "ｶﾀｶﾅ"),
            ("Hanako", "Hanako"),
        ])
    func katakana_convertsHiraganaAndTheIdeographicSpaceOnly(input: String, expected: String) {
        #expect(Kana.katakana(input) == expected)
    }

    @Test(
        arguments: [
            ("びらとり　はなこ", "ビラトリ ハナコ"),
            ("  ビラトリ ハナコ ", "ビラトリ ハナコ"),
            ("スズキ・ジョン", "スズキ・ジョン"),
            ("コーヒー", "コーヒー"),
            ("ヴァン", "ヴァン"),
            ("　", ""),
        ] as [(String, String)])
    func katakanaName_acceptsKatakanaLongVowelMiddleDotAndSpaces(input: String, expected: String) {
        #expect(Kana.katakanaName(input) == expected)
    }

    @Test(
        arguments: [
            "Hanako",
            "平取",
            // A hyphen is not the long-vowel mark ー.
            "コ-ヒ-",
            "コ－ヒ－",
            // Half-width katakana is not converted today, so it is refused and the resident asked again.
            "ﾋﾞﾗﾄﾘ",
            "ビラトリ１",
            "ビラトリ\tハナコ",
        ])
    func katakanaName_refusesEverythingElse(input: String) {
        #expect(Kana.katakanaName(input) == nil)
        #expect(!Kana.isKatakanaName(Kana.katakana(input)))
    }
}
