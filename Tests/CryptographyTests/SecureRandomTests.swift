import Cryptography
import Testing

@Suite("SecureRandom: tokens, salts and codes from OpenSSL's CSPRNG")
struct SecureRandomTests {
    @Test func randomTokens_have256Bits_andDiffer() {
        let token = SecureRandom.token()
        #expect(Base64URL.decode(token)?.count == 32)
        #expect(token != SecureRandom.token())
        let code = SecureRandom.string(length: 8, alphabet: Array("ABCDEFGHJKLMNPRSTUVWXY23456789"))
        #expect(code.count == 8)
        #expect(code.allSatisfy { "ABCDEFGHJKLMNPRSTUVWXY23456789".contains($0) })
    }

    @Test func bytes_haveTheRequestedCount_andDiffer() {
        #expect(SecureRandom.bytes(0).isEmpty)
        let first = SecureRandom.bytes(16)
        #expect(first.count == 16)
        #expect(first != SecureRandom.bytes(16))
        #expect(Base64URL.decode(SecureRandom.token(byteCount: 16))?.count == 16)
    }
}
