import CCrypto

/// PBKDF2-HMAC-SHA256 key derivation through libcrypto. The policy (iterations, salt, stored form) belongs to
/// the caller; this is only the primitive. https://www.openssl.org/docs/man3.0/man3/PKCS5_PBKDF2_HMAC.html
public enum PBKDF2 {
    public static func hmacSHA256(password: String, salt: [UInt8], iterations: Int, byteCount: Int = 32) -> [UInt8] {
        precondition(iterations >= 1 && byteCount >= 1, "PBKDF2 needs at least one iteration and one output byte")
        var output = [UInt8](repeating: 0, count: byteCount)
        let passwordBytes = Array(password.utf8)
        let ok = passwordBytes.withUnsafeBufferPointer { passwordBuffer in
            passwordBuffer.withMemoryRebound(to: CChar.self) { passwordChars in
                PKCS5_PBKDF2_HMAC(
                    passwordChars.baseAddress, Int32(passwordChars.count), salt, Int32(salt.count), Int32(iterations),
                    EVP_sha256(), Int32(output.count), &output)
            }
        }
        precondition(ok == 1, "PKCS5_PBKDF2_HMAC failed")
        return output
    }
}
