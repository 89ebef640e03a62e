import Cryptography
import Testing

@Suite("PBKDF2-HMAC-SHA256 over libcrypto, checked against RFC 7914 §11")
struct PBKDF2Tests {
    @Test func pbkdf2_matchesRFC7914Vector() {
        // RFC 7914 §11: PBKDF2-HMAC-SHA256, P="passwd", S="salt", c=1, dkLen=64 (first 32 bytes).
        let derived = PBKDF2.hmacSHA256(password: "passwd", salt: Array("salt".utf8), iterations: 1)
        #expect(Hex.encode(derived) == "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc")
    }

    @Test func pbkdf2_matchesBothRFC7914Vectors_atFullLength() {
        #expect(
            Hex.encode(PBKDF2.hmacSHA256(password: "passwd", salt: Array("salt".utf8), iterations: 1, byteCount: 64))
                == "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
                + "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783")
        #expect(
            Hex.encode(
                PBKDF2.hmacSHA256(password: "Password", salt: Array("NaCl".utf8), iterations: 80_000, byteCount: 64))
                == "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56"
                + "a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d")
    }
}
