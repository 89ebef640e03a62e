import Foundation
import Security
import Testing

@Suite("Crypto primitives over libcrypto, checked against published vectors")
struct CryptoTests {
    @Test func sha256_matchesTheFIPSVector() {
        #expect(Digest.sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Digest.sha256Hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func hmacSHA256_matchesRFC4231TestCase2() {
        let mac = Digest.hmacSHA256(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
        #expect(Hex.encode(mac) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func pbkdf2_matchesRFC7914Vector() {
        // RFC 7914 §11: PBKDF2-HMAC-SHA256, P="passwd", S="salt", c=1, dkLen=64 (first 32 bytes).
        let derived = PasswordHasherProbe.derive(password: "passwd", salt: Array("salt".utf8), iterations: 1)
        #expect(Hex.encode(derived) == "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc")
    }

    @Test func passwordHash_defaultsToOWASPIterations_andStoresItsParameters() {
        let hasher = PasswordHasher()
        #expect(hasher.iterations >= 600_000)
        let stored = hasher.hash("正しいパスワード")
        let parts = stored.split(separator: "$")
        #expect(parts.count == 4)
        #expect(parts[0] == "pbkdf2-sha256")
        #expect(parts[1] == "600000")
        #expect(hasher.verify("正しいパスワード", against: stored))
        #expect(!hasher.verify("違うパスワード", against: stored))
    }

    @Test func passwordHash_saltsEveryHash_andFlagsWeakerOnesForRehash() {
        let fast = PasswordHasher(iterations: 1_000)
        let first = fast.hash("same")
        let second = fast.hash("same")
        #expect(first != second)
        #expect(PasswordHasher().needsRehash(first))
        #expect(!fast.needsRehash(first))
        #expect(!fast.verify("same", against: "pbkdf2-sha256$1000$bad$worse"))
        #expect(!fast.verify("same", against: ""))
    }

    @Test func constantTimeEquals_comparesContentAndLength() {
        #expect(Digest.constantTimeEquals([1, 2, 3] as [UInt8], [1, 2, 3] as [UInt8]))
        #expect(!Digest.constantTimeEquals([1, 2, 3] as [UInt8], [1, 2, 4] as [UInt8]))
        #expect(!Digest.constantTimeEquals([1, 2] as [UInt8], [1, 2, 3] as [UInt8]))
        #expect(Digest.constantTimeEquals([] as [UInt8], [] as [UInt8]))
    }

    @Test func base64url_roundTripsWithoutPadding_andRejectsOtherAlphabets() {
        let bytes: [UInt8] = [0xfb, 0xff, 0xbf, 0x00, 0x10]
        let encoded = Base64URL.encode(bytes)
        #expect(!encoded.contains("=") && !encoded.contains("+") && !encoded.contains("/"))
        #expect(Base64URL.decode(encoded) == bytes)
        #expect(Base64URL.decode("a+b/") == nil)
    }

    @Test func randomTokens_have256Bits_andDiffer() {
        let token = SecureRandom.token()
        #expect(Base64URL.decode(token)?.count == 32)
        #expect(token != SecureRandom.token())
        let code = SecureRandom.string(length: 8, alphabet: Array("ABCDEFGHJKLMNPRSTUVWXY23456789"))
        #expect(code.count == 8)
        #expect(code.allSatisfy { "ABCDEFGHJKLMNPRSTUVWXY23456789".contains($0) })
    }
}

/// Reaches the internal derivation through `@testable`-free means: a hasher with one iteration is refused,
/// so the RFC vector goes through the same libcrypto call via this thin probe.
enum PasswordHasherProbe {
    static func derive(password: String, salt: [UInt8], iterations: Int) -> [UInt8] {
        PasswordHasher.deriveForTesting(password: password, salt: salt, iterations: iterations)
    }
}
