import Foundation

extension Request {
    /// Shared: JSONDecoder is thread-safe for concurrent `decode` calls, and making one per request is not free.
    private static let decoder = JSONDecoder()

    /// Decodes a JSON body. A wrong content type is 415; malformed JSON or a body of the wrong shape is 400,
    /// with a message that names the problem but never echoes the submitted values.
    public func decodeJSON<T: Decodable>(_ type: T.Type) throws -> T {
        guard contentType == "application/json" else {
            throw HTTPError.unsupportedMediaType(expected: "application/json")
        }
        do {
            return try Self.decoder.decode(T.self, from: body)
        } catch DecodingError.dataCorrupted(let context) where context.codingPath.isEmpty {
            throw HTTPError(status: 400, code: "malformed_json", message: "JSON の形式が正しくありません。")
        } catch DecodingError.typeMismatch(_, let context) where context.codingPath.isEmpty {
            // The body is JSON but not the object expected (an array, a string): there is no field to name.
            throw HTTPError(status: 400, code: "malformed_json", message: "JSON の形式が正しくありません。")
        } catch DecodingError.keyNotFound(let key, _) {
            throw HTTPError(
                status: 400, code: "missing_field", message: "必須の項目 \(key.stringValue) がありません。")
        } catch DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context) {
            throw HTTPError(
                status: 400, code: "invalid_field",
                message: "項目 \(context.codingPath.map(\.stringValue).joined(separator: ".")) の型が正しくありません。")
        } catch {
            throw HTTPError(status: 400, code: "malformed_json", message: "JSON の形式が正しくありません。")
        }
    }
}
