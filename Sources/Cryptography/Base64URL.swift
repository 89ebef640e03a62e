import Foundation

/// Base64 and the URL-safe, unpadded base64url of RFC 4648 §5.
///
/// The alphabet is swapped on the ASCII bytes, not with `replacingOccurrences`: Foundation's string search was
/// a fifth of a payment's creation (issuing its pay token) and most of checking a session cookie's form on
/// every signed-in request (callgrind, issue #10).
public enum Base64URL {
    public static func encode<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var encoded = Array(Data(bytes).base64EncodedData())
        var count = encoded.count
        while count > 0, encoded[count - 1] == UInt8(ascii: "=") { count -= 1 }
        for index in 0..<count {
            switch encoded[index] {
            case UInt8(ascii: "+"): encoded[index] = UInt8(ascii: "-")
            case UInt8(ascii: "/"): encoded[index] = UInt8(ascii: "_")
            default: break
            }
        }
        return String(decoding: encoded[..<count], as: UTF8.self)
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
