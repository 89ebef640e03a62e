import Foundation

/// Form values by field name, in submitted order; a name may repeat (checkbox groups).
public typealias SubmittedValues = [String: [String]]

extension Request {
    /// The parts of a `multipart/form-data` body. A body over `limits` is a 413 naming the total limit; one that
    /// breaks the grammar is a 400 with the parser's Japanese message.
    public func multipartParts(limits: MultipartLimits = MultipartLimits()) throws -> [MultipartPart] {
        do {
            return try MultipartParser.parse(body, contentType: header("content-type"), limits: limits)
        } catch let error as MultipartError {
            if error == .totalTooLarge { throw HTTPError.payloadTooLarge(limit: limits.maximumTotalFileBytes) }
            throw HTTPError.badRequest(error.message)
        }
    }

    /// The text fields of a multipart or urlencoded form, and for multipart its parts (files included).
    public func formValues(limits: MultipartLimits = MultipartLimits()) throws -> (SubmittedValues, [MultipartPart]) {
        if contentType == "multipart/form-data" {
            let parts = try multipartParts(limits: limits)
            return (parts.submittedValues, parts)
        }
        var values: SubmittedValues = [:]
        for pair in try form().pairs { values[pair.name, default: []].append(pair.value) }
        return (values, [])
    }

    /// This request with one multipart text field copied into a header, for a check that reads headers and
    /// urlencoded bodies only (the CSRF token: see `Authentication.acceptingMultipart`). Any other body is
    /// returned as it is.
    public func copyingMultipartField(_ field: String, toHeader header: String) throws -> Request {
        guard contentType == "multipart/form-data" else { return self }
        var headers = self.headers
        if let value = try multipartParts().firstText(field) { headers[header] = value }
        return Request(
            method: method, path: path, queryItems: queryItems, headers: headers, body: body,
            clientAddress: clientAddress, requestID: requestID, routePattern: routePattern,
            pathParameters: pathParameters, receivedAt: receivedAt)
    }
}
