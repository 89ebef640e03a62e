import Cryptography
import Foundation
import Testing

@Suite("Hex and base64url: the text forms of digests and tokens")
struct EncodingTests {
    @Test func hex_isLowercase_twoDigitsPerByte_inOrder() {
        #expect(Hex.encode([0x00, 0x0f, 0xf0, 0xff, 0xa5]) == "000ff0ffa5")
        #expect(Hex.encode([] as [UInt8]) == "")
        let all = Hex.encode(0...255 as ClosedRange<UInt8>)
        #expect(all.count == 512)
        #expect(all.hasPrefix("000102") && all.hasSuffix("fdfeff"))
        #expect(all.allSatisfy { "0123456789abcdef".contains($0) })
    }

    @Test func base64url_roundTripsWithoutPadding_andRejectsOtherAlphabets() {
        let bytes: [UInt8] = [0xfb, 0xff, 0xbf, 0x00, 0x10]
        let encoded = Base64URL.encode(bytes)
        #expect(!encoded.contains("=") && !encoded.contains("+") && !encoded.contains("/"))
        #expect(Base64URL.decode(encoded) == bytes)
        #expect(Base64URL.decode("a+b/") == nil)
    }

    /// RFC 4648 §10 vectors, with base64url's alphabet and without padding.
    @Test func base64url_matchesRFC4648Vectors() {
        let vectors = [("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"), ("fooba", "Zm9vYmE")]
        for (plain, encoded) in vectors {
            #expect(Base64URL.encode(Array(plain.utf8)) == encoded)
            #expect(Base64URL.decode(encoded) == Array(plain.utf8))
        }
        #expect(Base64URL.encode([0xfb, 0xff]) == "-_8")
    }

    @Test func base64url_encodesEveryByteAsFoundationDoes() {
        for count in 0...40 {
            let bytes = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 250) }
            let foundation = Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
            #expect(Base64URL.encode(bytes) == foundation)
        }
    }

    @Test func base64url_isEncoding_acceptsExactlyWhatEncodeGives() {
        for count in [1, 2, 3, 16, 32] {
            let encoded = SecureRandom.token(byteCount: count)
            #expect(Base64URL.isEncoding(ofByteCount: count, encoded))
            #expect(!Base64URL.isEncoding(ofByteCount: count, encoded + "A"))
            #expect(!Base64URL.isEncoding(ofByteCount: count, String(encoded.dropLast()) + "+"))
        }
        // Stray bits in the last character: "Zh" would decode to "f" too, but encode never writes it.
        #expect(Base64URL.isEncoding(ofByteCount: 1, "Zg"))
        #expect(!Base64URL.isEncoding(ofByteCount: 1, "Zh"))
        #expect(Base64URL.isEncoding(ofByteCount: 2, "Zm8"))
        #expect(!Base64URL.isEncoding(ofByteCount: 2, "Zm9"))
        #expect(!Base64URL.isEncoding(ofByteCount: 2, "Zm="))
    }
}
