import Foundation
import Testing
import Web

@testable import Applications

@Suite("Field validation")
struct FieldValidationTests {
    let now = ApplicationFixtures.now  // 2026-06-01 JST

    func procedure(_ code: String) throws -> Procedure {
        try #require(try ApplicationFixtures.catalog().procedure(code: code))
    }

    @Test func requiredFields_andConditionalVisibility() throws {
        let water = try procedure("water-start")
        let (_, empty) = FieldValidation.validate([:], for: water, today: now)
        #expect(empty["start_date"] == "使用開始日を入力してください。")
        #expect(empty["billing_method"] == "料金のお支払い方法（請求先）を選んでください。")
        // Hidden until 口座振替 is chosen.
        #expect(empty["bank_name"] == nil)
        let (_, withTransfer) = FieldValidation.validate(
            ["billing_method": ["account_transfer"]], for: water, today: now)
        #expect(withTransfer["bank_name"] != nil)
        // A hidden field's answer is dropped even if sent.
        let (answers, _) = FieldValidation.validate(
            ["billing_method": ["payment_slip"], "bank_name": ["北海道銀行"]], for: water, today: now)
        #expect(answers["bank_name"] == nil)
        #expect(answers["billing_method"] == .text("payment_slip"))
    }

    @Test func normalisation_ofPhonePostalKanaNumberAndDate() throws {
        let water = try procedure("water-start")
        let (answers, errors) = FieldValidation.validate(
            [
                "start_date": ["２０２６／６／１０"], "service_address": ["平取町本町1"], "building_type": ["house"],
                "user_name": ["平取 花子"], "user_kana": ["びらとり　はなこ"], "phone": ["０１４５７－２－００００"],
                "household_size": ["３"], "billing_method": ["payment_slip"],
            ], for: water, today: now)
        #expect(errors.isEmpty, "\(errors.all)")
        #expect(answers["start_date"] == .text("2026-06-10"))
        #expect(answers["user_kana"] == .text("ビラトリ ハナコ"))
        #expect(answers["phone"] == .text("0145720000"))
        #expect(answers["household_size"] == .text("3"))
    }

    @Test func typeRules_giveJapaneseMessagesBesideTheField() throws {
        let water = try procedure("water-start")
        let (_, errors) = FieldValidation.validate(
            [
                "start_date": ["2026-02-30"], "user_kana": ["Hanako"], "phone": ["12345"], "household_size": ["99"],
                "building_type": ["castle"],
            ], for: water, today: now)
        #expect(errors["start_date"]?.contains("年-月-日") == true)
        #expect(errors["user_kana"] == "使用者氏名（フリガナ）はカタカナで入力してください。")
        #expect(errors["phone"]?.contains("10桁または11桁") == true)
        #expect(errors["household_size"] == "世帯人数は20以下で入力してください。")
        #expect(errors["building_type"] == "建物の種類は一覧から選んでください。")
        // Dates relative to today: min 0 means not in the past.
        let (_, past) = FieldValidation.validate(["start_date": ["2026-05-01"]], for: water, today: now)
        #expect(past["start_date"] == "使用開始日は今日以降の日付を入力してください。")
    }

    @Test func patternMaxLengthSelectManyAndCheckbox() throws {
        let stop = try procedure("water-stop")
        let (_, patternErrors) = FieldValidation.validate(["customer_number": ["12ab"]], for: stop, today: now)
        #expect(patternErrors["customer_number"] == "お客様番号は8桁の半角数字で入力してください。")
        let bulky = try procedure("bulky-waste")
        let (answers, errors) = FieldValidation.validate(
            ["items": ["bed", "sofa", "bed"], "pickup_location": [String(repeating: "あ", count: 201)]], for: bulky,
            today: now)
        #expect(answers["items"] == .list(["sofa", "bed"]))
        #expect(errors["pickup_location"] == "出す場所は200文字以内で入力してください。")
        let (_, tooMany) = FieldValidation.validate(
            ["items": ["sofa", "bed", "desk", "chest", "bicycle", "carpet"]], for: bulky, today: now)
        #expect(tooMany["items"] == "出すものは5つまで選べます。")
        let hall = try procedure("community-hall")
        let (_, unchecked) = FieldValidation.validate([:], for: hall, today: now)
        #expect(unchecked["rules_agreed"]?.contains("チェック") == true)
        let (checked, _) = FieldValidation.validate(["rules_agreed": ["on"]], for: hall, today: now)
        #expect(checked["rules_agreed"] == .text("true"))
    }

    @Test func requiredFile_andFileErrors() throws {
        let subsidy = try procedure("housing-renovation-subsidy")
        let (_, missing) = FieldValidation.validate([:], for: subsidy, today: now)
        #expect(missing["estimate_document"] == "見積書（PDF または写真）を添付してください。")
        let (_, present) = FieldValidation.validate(
            [:], for: subsidy, today: now, files: .init(fieldsWithFile: ["estimate_document"]))
        #expect(present["estimate_document"] == nil)
    }
}
