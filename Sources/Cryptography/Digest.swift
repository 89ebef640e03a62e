import CCrypto
import Foundation

/// SHA-256 and HMAC-SHA256 through libcrypto's EVP interface. No hand-written primitives.
public enum Digest {
    /// Fetched from the provider once. Given `EVP_sha256()`, OpenSSL 3 fetches the implementation again on every
    /// digest: 2,300 of a digest's 7,700 instructions, four digests to a payment creation. A fetched EVP_MD is
    /// immutable and safe to share between threads. https://www.openssl.org/docs/man3.0/man7/crypto.html
    nonisolated(unsafe) private static let sha256Algorithm: OpaquePointer? =
        EVP_MD_fetch(nil, "SHA256", nil) ?? EVP_sha256()

    /// https://www.openssl.org/docs/man3.0/man3/EVP_Digest.html
    public static func sha256<Bytes: ContiguousBytes>(_ data: Bytes) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = data.withUnsafeBytes { buffer in
            EVP_Digest(buffer.baseAddress, buffer.count, &digest, &length, sha256Algorithm, nil)
        }
        precondition(ok == 1, "EVP_Digest(SHA-256) failed")
        return Array(digest.prefix(Int(length)))
    }

    public static func sha256(_ text: String) -> [UInt8] { sha256(Array(text.utf8)) }

    public static func sha256Hex<Bytes: ContiguousBytes>(_ data: Bytes) -> String { Hex.encode(sha256(data)) }

    public static func sha256Hex(_ text: String) -> String { Hex.encode(sha256(text)) }

    /// An HMAC context with SHA-256 set and no key, fetched and configured once; every MAC starts from a copy.
    /// The one-shot `HMAC()` fetched the HMAC implementation and then SHA-256 again on every call: 21,000
    /// instructions for a MAC over a few dozen bytes, one to every submission (callgrind under load, issue
    /// #10). Only ever read (duplicated) after this, which EVP_MAC_CTX_dup allows from many threads.
    /// https://www.openssl.org/docs/man3.0/man3/EVP_MAC.html
    nonisolated(unsafe) private static let hmacTemplate: OpaquePointer? = {
        guard let mac = EVP_MAC_fetch(nil, "HMAC", nil), let context = EVP_MAC_CTX_new(mac) else { return nil }
        EVP_MAC_free(mac)
        let configured = "digest".withCString { name in
            "SHA256".withCString { value in
                var parameters = [
                    OSSL_PARAM_construct_utf8_string(name, UnsafeMutablePointer(mutating: value), 0),
                    OSSL_PARAM_construct_end(),
                ]
                return EVP_MAC_CTX_set_params(context, &parameters)
            }
        }
        guard configured == 1 else {
            EVP_MAC_CTX_free(context)
            return nil
        }
        return context
    }()

    public static func hmacSHA256<Key: ContiguousBytes, Message: ContiguousBytes>(key: Key, message: Message) -> [UInt8]
    {
        guard let hmacTemplate, let context = EVP_MAC_CTX_dup(hmacTemplate) else { return oneShotHMAC(key, message) }
        defer { EVP_MAC_CTX_free(context) }
        let capacity = Int(EVP_MAX_MD_SIZE)
        var mac = [UInt8](repeating: 0, count: capacity)
        var length = 0
        let ok = key.withUnsafeBytes { keyBuffer in
            message.withUnsafeBytes { messageBuffer in
                // A zero-length key still needs a non-null pointer, or EVP_MAC_init keeps no key at all.
                var empty: UInt8 = 0
                let keyPointer = keyBuffer.baseAddress?.assumingMemoryBound(to: UInt8.self)
                return withUnsafePointer(to: &empty) { emptyPointer in
                    EVP_MAC_init(context, keyPointer ?? emptyPointer, keyBuffer.count, nil) == 1
                        && EVP_MAC_update(
                            context, messageBuffer.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? emptyPointer,
                            messageBuffer.count) == 1
                        && EVP_MAC_final(context, &mac, &length, capacity) == 1
                }
            }
        }
        precondition(ok, "HMAC-SHA256 failed")
        return Array(mac.prefix(length))
    }

    /// https://www.openssl.org/docs/man3.0/man3/HMAC.html
    private static func oneShotHMAC<Key: ContiguousBytes, Message: ContiguousBytes>(_ key: Key, _ message: Message)
        -> [UInt8]
    {
        var mac = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let result = key.withUnsafeBytes { keyBuffer in
            message.withUnsafeBytes { messageBuffer in
                HMAC(
                    EVP_sha256(), keyBuffer.baseAddress, Int32(keyBuffer.count),
                    messageBuffer.baseAddress?.assumingMemoryBound(to: UInt8.self), messageBuffer.count, &mac, &length)
            }
        }
        precondition(result != nil, "HMAC-SHA256 failed")
        return Array(mac.prefix(Int(length)))
    }

    /// Compares in time that depends only on the lengths, so a mismatch position leaks nothing.
    /// https://www.openssl.org/docs/man3.0/man3/CRYPTO_memcmp.html
    public static func constantTimeEquals<A: ContiguousBytes, B: ContiguousBytes>(_ a: A, _ b: B) -> Bool {
        a.withUnsafeBytes { left in
            b.withUnsafeBytes { right in
                left.count == right.count
                    && (left.count == 0 || CRYPTO_memcmp(left.baseAddress, right.baseAddress, left.count) == 0)
            }
        }
    }
}
