import Formats
import Testing

@Suite("Postal code")
struct PostalCodeTests {
    @Test(
        arguments: [
            ("055-0107", "055-0107"),
            ("0550107", "055-0107"),
            ("〒055-0107", "055-0107"),
            ("〒０５５－０１０７", "055-0107"),
            ("０５５ー０１０７", "055-0107"),
            ("055 0107", "055-0107"),
            ("055‐0107", "055-0107"),
        ])
    func normalized_isNNNdashNNNN(input: String, expected: String) {
        #expect(PostalCode.normalized(input) == expected)
    }

    @Test(arguments: ["", "55", "055-010", "055-01077", "O55-0107", "055-O1O7", "٠٥٥٠١٠٧", "055_0107", "055/0107"])
    func normalized_isNilForAnythingButSevenDigits(input: String) {
        #expect(PostalCode.normalized(input) == nil)
    }
}
