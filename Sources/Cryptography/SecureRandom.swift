import CCrypto
import Foundation

/// Random bytes from OpenSSL's CSPRNG, for tokens, salts and codes. https://www.openssl.org/docs/man3.0/man3/RAND_bytes.html
public enum SecureRandom {
    public static func bytes(_ count: Int) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        // A failing CSPRNG means the machine cannot issue safe tokens at all: stopping is the only safe answer.
        precondition(RAND_bytes(&buffer, Int32(count)) == 1, "RAND_bytes failed")
        return buffer
    }

    /// A URL-safe token with `byteCount` bytes of entropy (32 bytes = 256 bits).
    public static func token(byteCount: Int = 32) -> String {
        Base64URL.encode(bytes(byteCount))
    }

    /// A uniformly chosen element of `alphabet`, by rejection sampling so no character is favoured.
    public static func string(length: Int, alphabet: [Character]) -> String {
        precondition(!alphabet.isEmpty && alphabet.count <= 256)
        let limit = 256 - (256 % alphabet.count)
        // Counted here, not with `result.count`, which walks the whole string's graphemes on every call: that
        // walk was most of a guest secret's cost on the submission path (callgrind, issue #10).
        var result = ""
        var produced = 0
        while produced < length {
            for byte in bytes(length * 2) where Int(byte) < limit && produced < length {
                result.append(alphabet[Int(byte) % alphabet.count])
                produced += 1
            }
        }
        return result
    }
}
