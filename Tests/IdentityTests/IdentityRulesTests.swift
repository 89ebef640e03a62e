import Foundation
import HTTP
import Identity
import Security
import ServiceKit
import TestSupport
import Testing
import Web

@Suite("Identity rules")
struct IdentityRulesTests {
    @Test func residentLoginIDs_normaliseEmailsAndMobileNumbers() {
        #expect(ResidentRules.normalizeLoginID(" Hanako@Example.JP ") == "hanako@example.jp")
        #expect(ResidentRules.normalizeLoginID("ｈａｎａｋｏ＠ｅｘａｍｐｌｅ．ｊｐ") == "hanako@example.jp")
        #expect(ResidentRules.normalizeLoginID("090-1234-5678") == "09012345678")
        #expect(ResidentRules.normalizeLoginID("０９０ー１２３４ー５６７８") == "09012345678")
        #expect(ResidentRules.normalizeLoginID("+81 90 1234 5678") == "09012345678")
        #expect(ResidentRules.normalizeLoginID("01457-2-0000") == nil, "a landline cannot receive SMS")
        #expect(ResidentRules.normalizeLoginID("hanako@") == nil)
        #expect(ResidentRules.normalizeLoginID("hanako") == nil)
        #expect(ResidentRules.normalizeLoginID("") == nil)
    }

    @Test func staffLoginIDs_areLowerCaseASCII() {
        #expect(StaffRules.normalizeLoginID("Suzuki.Taro") == "suzuki.taro")
        #expect(StaffRules.normalizeLoginID("鈴木") == nil)
        #expect(StaffRules.normalizeLoginID("ab") == nil)
    }

    @Test func passwords_lengthOnly_withoutCompositionRules_butNotTheCommonest() {
        #expect(PasswordRules.problem(with: "short", minimumLength: 8) != nil)
        #expect(PasswordRules.problem(with: "ひらがなだけのながいあいことば", minimumLength: 8) == nil, "no composition rules")
        #expect(PasswordRules.problem(with: "password", minimumLength: 8) != nil)
        #expect(PasswordRules.problem(with: "aaaaaaaaaaaa", minimumLength: 8) != nil)
        #expect(PasswordRules.problem(with: String(repeating: "ab", count: 65), minimumLength: 8) != nil, "129 chars")
        #expect(PasswordRules.problem(with: "hanako@example.jp", minimumLength: 8, loginID: "hanako@example.jp") != nil)
        #expect(PasswordRules.problem(with: "eleven char", minimumLength: StaffRules.minimumPasswordLength) != nil)
    }

    @Test func profileValidation_normalisesAndNamesEachBadField() throws {
        let districts = IdentityDemoData.districts
        let good = FormFields(pairs: Fixtures.residentProfileForm())
        let (profile, errors) = ResidentRules.validateProfile(good, districts: districts, loginID: "hanako@example.jp")
        #expect(errors.isEmpty)
        #expect(profile?.fullNameKana == "ビラトリ ハナコ", "hiragana becomes katakana")
        #expect(profile?.postalCode == "055-0192")

        let bad = FormFields(pairs: [
            ("full_name", ""), ("full_name_kana", "Hanako"), ("birth_date", "1950-02-30"), ("postal_code", "55"),
            ("address", ""), ("district", "atlantis"), ("phone", "12"), ("contact_channel", "email"),
        ])
        let (none, problems) = ResidentRules.validateProfile(bad, districts: districts, loginID: "09012345678")
        #expect(none == nil)
        #expect(
            problems.all.map(\.field) == [
                "full_name", "full_name_kana", "birth_date", "postal_code", "address", "district", "phone",
                "contact_channel",
            ])
    }

    @Test func resetCodes_avoidConfusableCharacters() {
        for _ in 0..<50 {
            let code = PasswordResetCode.generate()
            #expect(code.count == 8)
            #expect(code.allSatisfy { !"IOQZ01".contains($0) && PasswordResetCode.alphabet.contains($0) })
        }
        #expect(PasswordResetCode.normalize("abcd－ｅｆｇｈ") == "ABCDEFGH")
        #expect(PasswordResetCode.formatted("ABCDEFGH") == "ABCD-EFGH")
    }

    @Test func roles_areOrdered() {
        #expect(StaffRole.clerk < .supervisor && StaffRole.supervisor < .admin)
        #expect(StaffRole.allCases.max() == .admin)
    }

    @Test func productionPasswordCost_isTheOWASPMinimum() {
        #expect(IdentitySettings().passwordIterations == 600_000)
        #expect(PasswordHasher().hash("x").hasPrefix("pbkdf2-sha256$600000$"))
    }
}
