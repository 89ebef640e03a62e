import Formats
import Testing

@Suite("Phone number")
struct PhoneNumberTests {
    @Test(
        arguments: [
            ("01457-2-0000", "0145720000"),
            ("０１４５７－２－００００", "0145720000"),
            ("(01457) 2-0000", "0145720000"),
            ("090-1234-5678", "09012345678"),
            ("０９０ー１２３４ー５６７８", "09012345678"),
            ("+81 90 1234 5678", "09012345678"),
            ("＋８１９０１２３４５６７８", "09012345678"),
        ])
    func normalized_keepsTheDigitsFromTheAreaCode(input: String, expected: String) {
        #expect(PhoneNumber.normalized(input) == expected)
    }

    @Test(arguments: ["", "12", "12345", "1457200000", "014572000", "090123456789", "090-1234-567８x", "090.1234.5678"])
    func normalized_isNilForAnythingElse(input: String) {
        #expect(PhoneNumber.normalized(input) == nil)
    }

    @Test(
        arguments: [
            ("090-1234-5678", "09012345678"),
            ("080 1234 5678", "08012345678"),
            ("070-1234-5678", "07012345678"),
            ("060-1234-5678", "06012345678"),
            ("+81 90 1234 5678", "09012345678"),
            ("01457-2-0000", nil),
            ("050-1234-5678", nil),
            ("0120-123-456", nil),
        ] as [(String, String?)])
    func normalizedMobile_acceptsOnlyNumbersThatReceiveSMS(input: String, expected: String?) {
        #expect(PhoneNumber.normalizedMobile(input) == expected)
    }
}
