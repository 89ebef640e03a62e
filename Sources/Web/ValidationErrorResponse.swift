import HTTP

extension FormErrors {
    /// The API's answer to input that breaks its rules: 422 with `ValidationError` of Schemas/openapi.yaml
    /// (`error` with a stable `code`, one `fields` entry per field), the same messages a page shows beside its
    /// fields. One shape for every module, so a client reads any 422 the same way.
    public func validationResponse(code: String, request: Request) throws -> Response {
        try .json(
            ValidationErrorJSON(
                error: .init(code: code, message: "入力内容に問題があります。", request_id: request.requestID),
                fields: all.map { .init(field: $0.field, message: $0.message) }), status: 422)
    }
}

struct ValidationErrorJSON: Encodable {
    struct FieldProblem: Encodable {
        let field: String
        let message: String
    }

    struct Detail: Encodable {
        let code: String
        let message: String
        let request_id: String
    }

    let error: Detail
    let fields: [FieldProblem]
}
