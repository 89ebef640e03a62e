import Foundation

/// Base64 and the URL-safe, unpadded base64url of RFC 4648 §5.
///
/// The alphabet is swapped on the ASCII bytes, not with `replacingOccurrences`: Foundation's string search was
/// a fifth of a payment's creation (issuing its pay token) and most of checking a session cookie's form on
/// every signed-in request (callgrind, issue #10).
public enum Base64URL {
    public static func encode<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        // Straight from the alphabet: through Foundation's base64 and back was 6,000 instructions of each
        // payment's checkout token.
        let input = Array(bytes)
        return String(unsafeUninitializedCapacity: (input.count * 4 + 2) / 3) { output in
            var written = 0
            func emit(_ group: UInt32, characters: Int) {
                for position in 0..<characters {
                    output[written] = alphabet[Int((group >> (18 - 6 * UInt32(position))) & 63)]
                    written += 1
                }
            }
            var index = 0
            while index + 3 <= input.count {
                let group = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8 | UInt32(input[index + 2])
                emit(group, characters: 4)
                index += 3
            }
            switch input.count - index {
            case 1: emit(UInt32(input[index]) << 16, characters: 2)
            case 2: emit(UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8, characters: 3)
            default: break
            }
            return written
        }
    }

    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// Whether `text` is what `encode` gives for some `byteCount` bytes, checked on the characters without
    /// decoding (decoding was 7,000 instructions of every token check).
    public static func isEncoding(ofByteCount byteCount: Int, _ text: String) -> Bool {
        let characters = (byteCount * 4 + 2) / 3
        guard text.utf8.count == characters else { return false }
        var last: UInt8 = 0
        for byte in text.utf8 {
            switch byte {
            case 65...90: last = byte - 65
            case 97...122: last = byte - 71
            case 48...57: last = byte + 4
            case UInt8(ascii: "-"): last = 62
            case UInt8(ascii: "_"): last = 63
            default: return false
            }
        }
        // The last character's unused low bits are zero in an encoding (2 bits after 1 byte of a group, 4 after 2).
        switch byteCount % 3 {
        case 1: return last & 0b1111 == 0
        case 2: return last & 0b11 == 0
        default: return true
        }
    }

    public static func decode(_ text: String) -> [UInt8]? {
        var base64: [UInt8] = []
        base64.reserveCapacity(text.utf8.count + 3)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "-"): base64.append(UInt8(ascii: "+"))
            case UInt8(ascii: "_"): base64.append(UInt8(ascii: "/"))
            case 48...57, 65...90, 97...122: base64.append(byte)
            default: return nil
            }
        }
        while base64.count % 4 != 0 { base64.append(UInt8(ascii: "=")) }
        return Data(base64Encoded: Data(base64)).map { Array($0) }
    }
}
