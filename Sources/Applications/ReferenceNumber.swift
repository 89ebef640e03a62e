import Cryptography
import Formats
import Foundation
import Identity
import Security
import Web

/// The 8-character reference residents read out on the phone or type into the lookup form: 7 random
/// characters and a check character, shown as `ABCD-EFGH`.
///
/// The alphabet leaves out characters that are easy to confuse when read aloud or handwritten (I/1, O/0/Q, Z/2).
///
/// The check character is a weighted sum modulo the prime 31 (the ISBN-10 construction), not Luhn mod N:
/// with distinct non-zero weights and a prime modulus larger than the alphabet, every single-character
/// substitution and every transposition (adjacent or not) changes the sum, whereas Luhn mod 30 misses some
/// adjacent transpositions. The price is that one of the 31 check values has no character; references whose
/// check would be that value are simply redrawn when issued, which costs 1/31 of the number space.
public enum ReferenceNumber {
    public static let alphabet = Array("ABCDEFGHJKLMNPRSTUVWXY23456789")
    static let modulus = 31
    /// Position weights: 8 for the first character down to 1 for the check character.
    static let weights = [8, 7, 6, 5, 4, 3, 2, 1]
    public static let length = 8

    /// A fresh reference number with a valid check character.
    public static func generate() -> String {
        while true {
            let body = SecureRandom.string(length: length - 1, alphabet: alphabet)
            if let check = checkCharacter(for: body) { return body + String(check) }
        }
    }

    /// The check character for 7 body characters, or nil when the check value has no character (redraw).
    static func checkCharacter(for body: String) -> Character? {
        let values = body.compactMap(value(of:))
        guard values.count == length - 1 else { return nil }
        var sum = 0
        for (index, value) in values.enumerated() { sum += weights[index] * value }
        // The check's weight is 1, so it must bring the sum to 0 mod 31.
        let check = (modulus - sum % modulus) % modulus
        return check < alphabet.count ? alphabet[check] : nil
    }

    static func value(of character: Character) -> Int? { alphabet.firstIndex(of: character) }

    /// True for a well-formed reference whose check character matches.
    public static func isValid(_ reference: String) -> Bool {
        let characters = Array(reference)
        guard characters.count == length else { return false }
        var sum = 0
        for (index, character) in characters.enumerated() {
            guard let value = value(of: character) else { return false }
            sum += weights[index] * value
        }
        return sum % modulus == 0
    }

    /// What a person typed → the stored form: full-width to half-width, upper-case, spaces and hyphens
    /// removed. Nil unless the result is a valid reference (so a typo is reported, not looked up).
    public static func normalize(_ text: String) -> String? {
        let cleaned = CharacterWidth.halfwidth(text).uppercased().filter { $0 != "-" && $0 != " " }
        return isValid(cleaned) ? cleaned : nil
    }

    /// `ABCD-EFGH`, for people.
    /// The reference inside running text, kept on one line: a phone used to break it at the hyphen
    /// (「ABCD-」 / 「2345」), and residents read out half a number.
    public static func inline(_ reference: String) -> Node {
        el("span", .class("reference-number")) { display(reference) }
    }

    /// `text` with every displayed reference in it (a message body's 「受付番号 ABCD-2345 で…」) kept on one line.
    /// A hand scan over the UTF-8 bytes, not a regex literal: Swift parses a literal again on every call on
    /// Linux, and that parse was 69 % of `/mypage`'s instructions (callgrind, 4 applications). The scan over
    /// `Unicode.Scalar`s that replaced it still cost 660,000 instructions per マイページ in Set lookups and
    /// generic appends; bytes and a table cost a few per character. A reference is ASCII, and an ASCII byte
    /// always starts a character, so cutting the bytes around one never splits a character.
    public static func inlineText(_ text: String) -> [Node] {
        var nodes: [Node] = []
        var text = text
        text.withUTF8 { bytes in
            var plainStart = 0
            var index = 0
            while index + displayedLength <= bytes.count {
                guard isDisplayedReference(bytes, at: index) else {
                    index += 1
                    continue
                }
                if index > plainStart {
                    nodes.append(
                        .text(String(decoding: UnsafeBufferPointer(rebasing: bytes[plainStart..<index]), as: UTF8.self))
                    )
                }
                let end = index + displayedLength
                let reference = String(decoding: UnsafeBufferPointer(rebasing: bytes[index..<end]), as: UTF8.self)
                nodes.append(el("span", .class("reference-number")) { reference })
                index = end
                plainStart = end
            }
            if plainStart == 0 {
                nodes.append(.text(String(decoding: bytes, as: UTF8.self)))
            } else if plainStart < bytes.count {
                nodes.append(
                    .text(String(decoding: UnsafeBufferPointer(rebasing: bytes[plainStart...]), as: UTF8.self)))
            }
        }
        return nodes
    }

    /// `ABCD-2345`: two groups of four from the alphabet, joined by a hyphen.
    private static let displayedLength = 9

    private static func isDisplayedReference(_ bytes: UnsafeBufferPointer<UInt8>, at start: Int) -> Bool {
        let table = isAlphabetByte
        for offset in 0..<displayedLength {
            let byte = bytes[start + offset]
            if offset == 4 {
                guard byte == UInt8(ascii: "-") else { return false }
            } else if byte >= 128 || !table[Int(byte)] {
                return false
            }
        }
        return true
    }

    /// Indexed by an ASCII byte: whether it is one of the alphabet's characters.
    private static let isAlphabetByte: [Bool] = {
        var table = [Bool](repeating: false, count: 128)
        for character in alphabet { table[Int(character.asciiValue!)] = true }
        return table
    }()

    public static func display(_ reference: String) -> String {
        guard reference.count == length else { return reference }
        return String(reference.prefix(4)) + "-" + String(reference.suffix(4))
    }
}

/// The secret a guest receives once, with the reference, to look their application up later. 12 characters
/// of the same alphabet (about 59 bits), shown as `ABCD-EFGH-JKLM`; only its SHA-256 is stored.
public enum GuestSecret {
    public static func generate() -> String {
        let raw = Array(SecureRandom.string(length: 12, alphabet: ReferenceNumber.alphabet).utf8)
        var grouped: [UInt8] = []
        grouped.reserveCapacity(14)
        for (index, byte) in raw.enumerated() {
            if index == 4 || index == 8 { grouped.append(UInt8(ascii: "-")) }
            grouped.append(byte)
        }
        return String(decoding: grouped, as: UTF8.self)
    }

    /// Hyphens, spaces, width and case are not part of the secret.
    public static func normalize(_ text: String) -> String {
        // The usual case (every secret this server generates, most that are typed back): ASCII letters, digits
        // and hyphens, where width folding and Unicode upper-casing change nothing but cost a third of the hash.
        if text.utf8.allSatisfy({ $0 < 0x80 }) {
            let kept = text.utf8.compactMap { byte -> UInt8? in
                switch byte {
                case UInt8(ascii: "-"), UInt8(ascii: " "): nil
                case UInt8(ascii: "a")...UInt8(ascii: "z"): byte - 0x20
                default: byte
                }
            }
            return String(decoding: kept, as: UTF8.self)
        }
        return CharacterWidth.halfwidth(text).uppercased().filter { $0 != "-" && $0 != " " }
    }

    public static func hash(_ secret: String) -> String {
        Digest.sha256Hex("guest-secret:" + normalize(secret))
    }

    public static func matches(_ secret: String, hash stored: String) -> Bool {
        Digest.constantTimeEquals(Array(hash(secret).utf8), Array(stored.utf8))
    }
}
