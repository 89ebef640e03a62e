import Cryptography
import Foundation
import Testing

@Suite("Digest: SHA-256 and HMAC-SHA256 over libcrypto, checked against published vectors")
struct DigestTests {
    @Test func sha256_matchesTheFIPSVector() {
        #expect(Digest.sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Digest.sha256Hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    /// FIPS 180-2 appendix B.2 (two blocks) and B.3 (a million "a"s, many blocks).
    @Test func sha256_matchesTheMultiBlockFIPSVectors() {
        #expect(
            Digest.sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(
            Hex.encode(Digest.sha256(Data(repeating: 0x61, count: 1_000_000)))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// The migrator hashes file contents as `Data`; text and its UTF-8 bytes must agree.
    @Test func sha256Hex_ofBytes_equalsSHA256Hex_ofTheirText() {
        let text = "窓口 migration 0001"
        #expect(Digest.sha256Hex(Data(text.utf8)) == Digest.sha256Hex(text))
        #expect(Digest.sha256(text).count == 32)
    }

    /// The empty key and message take the path where libcrypto gets no buffer of ours at all.
    @Test func hmacSHA256_ofAnEmptyKeyAndMessage_isTheKnownValue() {
        #expect(
            Hex.encode(Digest.hmacSHA256(key: [UInt8](), message: [UInt8]()))
                == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad")
    }

    /// Many threads share the one configured context: each MAC must still be its own.
    @Test func hmacSHA256_fromManyThreadsAtOnce_givesEachMessageItsOwnMAC() async {
        let expected = (0..<64).map { Digest.hmacSHA256(key: Array("key".utf8), message: Array("message \($0)".utf8)) }
        let results = await withTaskGroup(of: (Int, [UInt8]).self) { group in
            for index in 0..<64 {
                group.addTask { (index, Digest.hmacSHA256(key: Array("key".utf8), message: Array("message \(index)".utf8))) }
            }
            var results = [[UInt8]](repeating: [], count: 64)
            for await (index, mac) in group { results[index] = mac }
            return results
        }
        #expect(results == expected)
        #expect(Set(results).count == 64)
    }

    @Test func hmacSHA256_matchesRFC4231TestCase2() {
        let mac = Digest.hmacSHA256(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
        #expect(Hex.encode(mac) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    /// RFC 4231 §4: test cases 1, 3, 4, 6 and 7 (5 is a truncated output, checked on its prefix).
    @Test(
        arguments: [
            (
                [UInt8](repeating: 0x0b, count: 20), Array("Hi There".utf8),
                "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
            ),
            (
                [UInt8](repeating: 0xaa, count: 20), [UInt8](repeating: 0xdd, count: 50),
                "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"
            ),
            (
                Array(UInt8(1)...UInt8(25)), [UInt8](repeating: 0xcd, count: 50),
                "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"
            ),
            (
                [UInt8](repeating: 0xaa, count: 131),
                Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
                "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
            ),
            (
                [UInt8](repeating: 0xaa, count: 131),
                Array(
                    ("This is a test using a larger than block-size key and a larger than block-size data. "
                        + "The key needs to be hashed before being used by the HMAC algorithm.").utf8),
                "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"
            ),
        ])
    func hmacSHA256_matchesRFC4231(key: [UInt8], message: [UInt8], expected: String) {
        #expect(Hex.encode(Digest.hmacSHA256(key: key, message: message)) == expected)
    }

    @Test func hmacSHA256_matchesRFC4231TestCase5_truncatedTo128Bits() {
        let mac = Digest.hmacSHA256(
            key: [UInt8](repeating: 0x0c, count: 20), message: Array("Test With Truncation".utf8))
        #expect(Hex.encode(mac.prefix(16)) == "a3b6167473100ee06e0c796c2955552b")
    }

    /// The LINE webhook signs the raw request body, which arrives as `Data`.
    @Test func hmacSHA256_overData_equalsHMACOverTheSameBytes() {
        let body = Data("{\"events\":[]}".utf8)
        let key = Array("channel-secret".utf8)
        #expect(Digest.hmacSHA256(key: key, message: body) == Digest.hmacSHA256(key: key, message: Array(body)))
    }

    @Test func constantTimeEquals_comparesContentAndLength() {
        #expect(Digest.constantTimeEquals([1, 2, 3] as [UInt8], [1, 2, 3] as [UInt8]))
        #expect(!Digest.constantTimeEquals([1, 2, 3] as [UInt8], [1, 2, 4] as [UInt8]))
        #expect(!Digest.constantTimeEquals([1, 2] as [UInt8], [1, 2, 3] as [UInt8]))
        #expect(Digest.constantTimeEquals([] as [UInt8], [] as [UInt8]))
    }
}
