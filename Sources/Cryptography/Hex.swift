/// Lowercase hexadecimal, the form digests are stored and compared in.
public enum Hex {
    /// Written into the string's own storage, without a table: the generic loop appending to an array cost
    /// 16,000 instructions for a 32-byte digest, twice per submission (callgrind, issue #10).
    public static func encode<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        if let encoded = bytes.withContiguousStorageIfAvailable({ encode(buffer: UnsafeRawBufferPointer($0)) }) {
            return encoded
        }
        return Array(bytes).withUnsafeBytes { encode(buffer: $0) }
    }

    public static func encode(buffer: UnsafeRawBufferPointer) -> String {
        String(unsafeUninitializedCapacity: buffer.count * 2) { output in
            @inline(__always) func digit(_ nibble: UInt8) -> UInt8 { nibble < 10 ? 48 + nibble : 87 + nibble }
            var index = 0
            for byte in buffer {
                output[index] = digit(byte >> 4)
                output[index + 1] = digit(byte & 0x0F)
                index += 2
            }
            return index
        }
    }
}
