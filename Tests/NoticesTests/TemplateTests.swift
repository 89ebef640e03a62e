import Foundation
import Notices
import TestSupport
import Testing

@Suite("Templates: placeholders and LINE's text limits")
struct TemplateTests {
    @Test func render_fillsNamedPlaceholders_inOrderOfAppearance() throws {
        let template = try MessageTemplate("{氏名} 様\n受付番号 {受付番号} は {日時} にお呼びします。{氏名} 様")
        #expect(template.placeholders == ["氏名", "受付番号", "日時"])
        let text = try template.render(["氏名": "山田 花子", "受付番号": "A-12", "日時": "4月1日 10時"])
        #expect(text == "山田 花子 様\n受付番号 A-12 は 4月1日 10時 にお呼びします。山田 花子 様")
    }

    @Test func render_withAnUnfilledPlaceholder_throwsNamingIt() throws {
        let template = try MessageTemplate("{氏名} 様、{日時}に")
        #expect(throws: NoticeValidationError.unfilledPlaceholders(["日時"])) {
            try template.render(["氏名": "山田"])
        }
    }

    @Test func doubledBraces_areLiteral_andValuesAreNeverReparsed() throws {
        let template = try MessageTemplate("{{見本}} {氏名}}}")
        #expect(template.placeholders == ["氏名"])
        #expect(try template.render(["氏名": "{日時}"]) == "{見本} {日時}}")
    }

    @Test(arguments: ["{氏名", "氏名}", "{}", "{\n}", "{\(String(repeating: "あ", count: 33))}"])
    func malformedTemplates_areRejected(_ text: String) {
        #expect(throws: NoticeValidationError.self) { try MessageTemplate(text) }
    }

    @Test func lengthIsCountedInUTF16Units_soAnEmojiCountsTwo() throws {
        let audience = [AudienceMember(residentID: 1, name: "山田", districtName: nil, lineUserID: "U1")]
        // 4,998 kanji + one emoji (2 units) = 5,000: allowed.
        let atLimit = String(repeating: "町", count: 4_998) + "😀"
        #expect(atLimit.count == 4_999)
        #expect(atLimit.utf16.count == 5_000)
        _ = try NoticePlanner.plan(
            NoticesFixtures.draft(.resident(1), messages: [atLimit], values: [:]), members: audience)
        // One more kanji: 5,001 units, although only 5,000 characters.
        let overLimit = "町" + atLimit
        #expect(throws: NoticeValidationError.textTooLong(messageNumber: 1, utf16Units: 5_001)) {
            try NoticePlanner.plan(
                NoticesFixtures.draft(.resident(1), messages: [overLimit], values: [:]), members: audience)
        }
    }

    @Test func limitIsCheckedAfterRendering() throws {
        let audience = [AudienceMember(residentID: 1, name: "山田", districtName: nil, lineUserID: "U1")]
        let text = String(repeating: "あ", count: 4_990) + "{日時}"
        #expect(throws: NoticeValidationError.textTooLong(messageNumber: 1, utf16Units: 5_001)) {
            try NoticePlanner.plan(
                NoticesFixtures.draft(.resident(1), messages: [text], values: ["日時": "12345678901"]), members: audience)
        }
    }

    @Test func atMostFiveMessages_andNoneEmpty() throws {
        let audience = [AudienceMember(residentID: 1, name: "山田", districtName: nil, lineUserID: "U1")]
        let five = try NoticePlanner.plan(
            NoticesFixtures.draft(.resident(1), messages: Array(repeating: "こんにちは", count: 5), values: [:]),
            members: audience)
        #expect(five.requests.count == 1)
        #expect(throws: NoticeValidationError.tooManyMessages(count: 6)) {
            try NoticePlanner.plan(
                NoticesFixtures.draft(.resident(1), messages: Array(repeating: "こんにちは", count: 6), values: [:]),
                members: audience)
        }
        #expect(throws: NoticeValidationError.emptyMessage(messageNumber: 2)) {
            try NoticePlanner.plan(
                NoticesFixtures.draft(.resident(1), messages: ["こんにちは", " \n"], values: [:]), members: audience)
        }
    }

    @Test func errorsExplainThemselvesInJapaneseForStaff_andNeverQuoteValues() {
        let error = NoticeValidationError.unfilledPlaceholders(["受付番号"])
        #expect(error.message.contains("{受付番号}"))
        #expect(NoticeValidationError.textTooLong(messageNumber: 1, utf16Units: 5_001).message.contains("5000"))
    }
}
