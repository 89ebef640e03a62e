import Cryptography
import Foundation
import Security
import Testing

@Suite("PasswordHasher: PBKDF2 policy, stored form and verification")
struct PasswordHasherTests {
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

    /// The stored hash is exactly the PBKDF2 primitive (whose RFC 7914 vectors CryptographyTests check) over
    /// the stored salt and iteration count, so the policy cannot drift from the primitive.
    @Test func storedHash_isPBKDF2OfTheStoredSaltAndIterations() throws {
        let stored = PasswordHasher(iterations: 1_000).hash("正しいパスワード")
        let parts = stored.split(separator: "$").map(String.init)
        try #require(parts.count == 4)
        let salt = try #require(Base64URL.decode(parts[2]))
        #expect(salt.count == 16)
        #expect(parts[1] == "1000")
        let expected = PBKDF2.hmacSHA256(password: "正しいパスワード", salt: salt, iterations: 1_000, byteCount: 32)
        #expect(parts[3] == Base64URL.encode(expected))
    }
}
