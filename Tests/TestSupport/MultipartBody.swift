import Foundation

/// Builds multipart bodies the way browsers do.
public struct MultipartBody {
    public init() {}

    public var boundary = "----MadoguchiBoundary7MA4YWxkTrZu0gW"
    public var parts: [(name: String, filename: String?, contentType: String?, data: Data)] = []

    public mutating func add(_ name: String, _ value: String) { parts.append((name, nil, nil, Data(value.utf8))) }
    public mutating func addFile(_ name: String, filename: String, contentType: String, data: Data) {
        parts.append((name, filename, contentType, data))
    }

    public var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    public var data: Data {
        var body = Data()
        for part in parts {
            body.append(Data("--\(boundary)\r\n".utf8))
            var disposition = "Content-Disposition: form-data; name=\"\(part.name)\""
            if let filename = part.filename { disposition += "; filename=\"\(filename)\"" }
            body.append(Data((disposition + "\r\n").utf8))
            if let type = part.contentType { body.append(Data("Content-Type: \(type)\r\n".utf8)) }
            body.append(Data("\r\n".utf8))
            body.append(part.data)
            body.append(Data("\r\n".utf8))
        }
        body.append(Data("--\(boundary)--\r\n".utf8))
        return body
    }
}

/// Small files whose first bytes are what the attachment rules sniff for.
public enum SampleFiles {
    public static let png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array(repeating: 0x42, count: 64))
    public static let jpeg = Data([0xFF, 0xD8, 0xFF, 0xE0] + Array(repeating: 0x11, count: 64))
    public static let pdf = Data("%PDF-1.4\n%âãÏÓ\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".utf8)
}
