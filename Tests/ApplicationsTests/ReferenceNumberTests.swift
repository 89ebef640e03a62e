import Testing
import Web

@testable import Applications

@Suite("Reference numbers")
struct ReferenceNumberTests {
    @Test func alphabet_hasNoConfusableCharacters() {
        let alphabet = Set(ReferenceNumber.alphabet)
        #expect(alphabet.count == ReferenceNumber.alphabet.count)
        for confusable in "IOQZ01" { #expect(!alphabet.contains(confusable)) }
        #expect(alphabet.count == 30)
    }

    @Test func generated_areValidAndWellFormed() {
        for _ in 0..<2_000 {
            let reference = ReferenceNumber.generate()
            #expect(reference.count == 8)
            #expect(ReferenceNumber.isValid(reference))
        }
    }

    @Test func everySingleCharacterTypo_isDetected() {
        for _ in 0..<50 {
            let reference = Array(ReferenceNumber.generate())
            for position in 0..<8 {
                for replacement in ReferenceNumber.alphabet where replacement != reference[position] {
                    var typo = reference
                    typo[position] = replacement
                    #expect(!ReferenceNumber.isValid(String(typo)))
                }
            }
        }
    }

    @Test func everyAdjacentTransposition_isDetected() {
        for _ in 0..<500 {
            let reference = Array(ReferenceNumber.generate())
            for position in 0..<7 where reference[position] != reference[position + 1] {
                var swapped = reference
                swapped.swapAt(position, position + 1)
                #expect(!ReferenceNumber.isValid(String(swapped)))
            }
        }
    }

    @Test func normalize_acceptsHyphensSpacesLowerCaseAndFullWidth() throws {
        let reference = ReferenceNumber.generate()
        let display = ReferenceNumber.display(reference)
        #expect(ReferenceNumber.normalize(display) == reference)
        #expect(ReferenceNumber.normalize(" " + display.lowercased() + " ") == reference)
        let fullWidth = String(
            String.UnicodeScalarView(
                display.unicodeScalars.map { $0 == "-" ? "－" : Unicode.Scalar($0.value + 0xFEE0)! }))
        #expect(ReferenceNumber.normalize(fullWidth) == reference)
        #expect(ReferenceNumber.normalize("ABC") == nil)
        #expect(ReferenceNumber.normalize("ABCDEFGI") == nil)
    }

    @Test func guestSecret_matchesOnlyItself() {
        let secret = GuestSecret.generate()
        let hash = GuestSecret.hash(secret)
        #expect(GuestSecret.matches(secret.lowercased().replacingOccurrences(of: "-", with: ""), hash: hash))
        #expect(!GuestSecret.matches(GuestSecret.generate(), hash: hash))
    }

    @Test func referencesInRunningText_stayOnOneLine_andTheTextStaysEscaped() {
        let html = Node.fragment(ReferenceNumber.inlineText("受付番号 ABCD-2345 で<受付>、ABCD-EFGH も")).render()
        #expect(
            html
                == "受付番号 <span class=\"reference-number\">ABCD-2345</span> で&lt;受付&gt;、"
                + "<span class=\"reference-number\">ABCD-EFGH</span> も")
        #expect(Node.fragment(ReferenceNumber.inlineText("番号なし")).render() == "番号なし")
    }
}
