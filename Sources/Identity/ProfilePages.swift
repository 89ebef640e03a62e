import Formats
import Foundation
import HTTP
import Web

/// The profile fields, shared by resident registration, the profile page and counter registration so the
/// three forms ask the same questions the same way.
public enum ProfileFields {
    /// Values to show in the form: what was submitted (after an error) or what is stored.
    public static func values(of profile: ResidentProfile) -> [String: String] {
        [
            "full_name": profile.fullName, "full_name_kana": profile.fullNameKana, "birth_date": profile.birthDate,
            "postal_code": profile.postalCode, "address": profile.address, "district": profile.districtCode,
            "phone": profile.phone ?? "", "contact_channel": profile.contactChannel.rawValue,
        ]
    }

    public static func values(of form: FormFields) -> [String: String] {
        var values: [String: String] = [:]
        for (name, value) in form.pairs
        where values[name] == nil && name != Form.csrfFieldName && !name.contains("password") {
            values[name] = value
        }
        return values
    }

    public static func render(values: [String: String], errors: FormErrors, districts: [District]) -> [Node] {
        [
            Form.text(
                name: "full_name", label: "氏名（漢字）", value: values["full_name"] ?? "",
                hint: "例：平取 花子", error: errors["full_name"], autocomplete: "name"),
            Form.text(
                name: "full_name_kana", label: "フリガナ", value: values["full_name_kana"] ?? "",
                hint: "例：ビラトリ ハナコ（ひらがなでも入力できます）", error: errors["full_name_kana"]),
            Form.date(
                name: "birth_date", label: "生年月日", value: values["birth_date"] ?? "",
                hint: "例：1960-04-01（年-月-日）", error: errors["birth_date"], autocomplete: "bday"),
            Form.text(
                name: "postal_code", label: "郵便番号", value: values["postal_code"] ?? "", hint: "例：055-0107",
                error: errors["postal_code"], autocomplete: "postal-code", inputMode: "numeric"),
            Form.text(
                name: "address", label: "住所", value: values["address"] ?? "",
                hint: "例：平取町本町28番地", error: errors["address"], autocomplete: "street-address"),
            Form.select(
                name: "district", label: "お住まいの地区", options: districts.map { FormOption($0.code, $0.name) },
                selected: values["district"], error: errors["district"]),
            Form.text(
                name: "phone", label: "電話番号", value: values["phone"] ?? "", type: "tel",
                hint: "例：01457-2-0000（市外局番から）", error: errors["phone"], optional: true, autocomplete: "tel"),
            Form.radios(
                name: "contact_channel", legend: "役場からのご連絡方法",
                options: ContactChannel.allCases.map { FormOption($0.rawValue, $0.label) },
                selected: values["contact_channel"], hint: "役場からお知らせするときの方法です。",
                error: errors["contact_channel"]),
        ]
    }

    /// The stored profile as a definition list, for マイページ and the staff record page.
    public static func summary(_ resident: Resident, districts: [District]) -> Node {
        let profile = resident.profile
        return el("dl", .class("summary")) {
            el("dt") { "氏名" }
            el("dd") { profile.fullName }
            el("dt") { "フリガナ" }
            el("dd") { profile.fullNameKana }
            el("dt") { "生年月日" }
            el("dd") { JapanTime.formatCalendarDate(profile.birthDate) }
            el("dt") { "郵便番号" }
            el("dd") { profile.postalCode }
            el("dt") { "住所" }
            el("dd") { profile.address }
            el("dt") { "地区" }
            el("dd") { resident.districtName(in: districts) }
            el("dt") { "電話番号" }
            el("dd") { profile.phone ?? "（未登録）" }
            el("dt") { "連絡方法" }
            el("dd") { profile.contactChannel.label }
            el("dt") { "ログインID" }
            el("dd") { resident.loginID }
        }
    }
}
