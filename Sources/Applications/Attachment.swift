import Foundation
import HTTP

/// What files an application accepts and how they are checked: only JPEG, PNG and PDF, recognised by their
/// first bytes (magic numbers) rather than by the name or the type the browser claims, which the sender
/// controls. Files are served to staff only, always as a download.
public enum AttachmentRules {
    public static let maximumFileBytes = 5 * 1_048_576
    public static let maximumApplicationBytes = 10 * 1_048_576
    public static let allowedTypes = ["image/jpeg", "image/png", "application/pdf"]

    /// The type the bytes say they are, if it is one we accept.
    public static func sniff(_ data: Data) -> String? {
        let prefix = [UInt8](data.prefix(8))
        if prefix.starts(with: [0xFF, 0xD8, 0xFF]) { return "image/jpeg" }
        if prefix.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return "image/png" }
        if prefix.starts(with: Array("%PDF-".utf8)) { return "application/pdf" }
        return nil
    }

    /// Browsers and phones spell some types differently; octet-stream means "the browser did not know".
    static func canonicalDeclaredType(_ type: String?) -> String? {
        switch type?.lowercased() {
        case nil, "", "application/octet-stream": nil
        case "image/jpg", "image/pjpeg": "image/jpeg"
        case "image/x-png": "image/png"
        case "application/x-pdf": "application/pdf"
        case let other?: other
        }
    }

    /// A file name safe to store and to put in a Content-Disposition header: the last path component (old
    /// browsers send the whole path), without control characters, quotes or backslashes, at most 100 characters.
    public static func sanitizeFilename(_ name: String) -> String {
        let last = name.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        let cleaned = String(
            String.UnicodeScalarView(
                last.unicodeScalars.filter { $0.properties.generalCategory != .control && $0 != "\"" && $0 != "\u{7F}" }
            )
        )
        .trimmingCharacters(in: .whitespaces)
        let trimmed = String(cleaned.suffix(100))
        return trimmed.isEmpty || trimmed == "." || trimmed == ".." ? "file" : trimmed
    }

    /// The files of a submitted form checked against the procedure's file fields.
    public struct Check: Sendable {
        public var accepted: [NewAttachment] = []
        /// Field name → message, shown beside the field.
        public var errors: [String: String] = [:]
    }

    /// Checks each file field's upload. `existingBytes` are the stored files of fields not being replaced,
    /// which count towards the per-application cap.
    public static func check(
        parts: [MultipartPart], procedure: Procedure, existingBytes: [String: Int] = [:]
    ) -> Check {
        var result = Check()
        var total = 0
        for field in procedure.fields where field.type == .file {
            guard let part = parts.first(where: { $0.name == field.name && $0.isFile }),
                let filename = part.filename, !filename.isEmpty || !part.data.isEmpty || part.exceededFileLimit
            else {
                total += existingBytes[field.name] ?? 0
                continue
            }
            if part.exceededFileLimit || part.data.count > maximumFileBytes {
                result.errors[field.name] = "\(field.label)のファイルが大きすぎます。1つ5 MBまでにしてください。"
                continue
            }
            if part.data.isEmpty {
                result.errors[field.name] = "\(field.label)のファイルが空です。"
                continue
            }
            guard let sniffed = sniff(part.data) else {
                result.errors[field.name] = "\(field.label)は JPEG・PNG の画像か PDF を添付してください。"
                continue
            }
            if let declared = canonicalDeclaredType(part.contentType), declared != sniffed {
                result.errors[field.name] = "\(field.label)のファイルの種類が内容と一致しません。JPEG・PNG・PDF のいずれかを添付してください。"
                continue
            }
            total += part.data.count
            result.accepted.append(
                NewAttachment(
                    field: field.name, filename: sanitizeFilename(filename), contentType: sniffed, data: part.data))
        }
        // Over the per-application cap: refuse the later files until the rest fits, each with its own message.
        while total > maximumApplicationBytes, let last = result.accepted.popLast() {
            total -= last.data.count
            result.errors[last.field] = "添付ファイルの合計が大きすぎます。合計10 MBまでにしてください。"
        }
        return result
    }
}
