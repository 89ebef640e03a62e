import Foundation
import HTTPClient
import Identity
import Security
import ServiceKit
import Store
import TestSupport

@testable import Applications

/// Page scraping and multipart posts for the over-HTTP tests.
enum EndToEnd {
    static func hidden(_ name: String, in html: String) -> String? {
        guard let range = html.range(of: "name=\"\(name)\" value=\"[^\"]*\"", options: .regularExpression) else {
            return nil
        }
        return String(html[range].dropFirst("name=\"\(name)\" value=\"".count).dropLast())
    }

    /// Text between `class="reference">` and the next `<`.
    static func reference(in html: String) -> String? {
        guard let start = html.range(of: "class=\"reference\">") else { return nil }
        let rest = html[start.upperBound...]
        return ReferenceNumber.normalize(String(rest.prefix { $0 != "<" }))
    }

    static func guestSecret(in html: String) -> String? {
        guard let start = html.range(of: "class=\"one-time-code\">") else { return nil }
        return String(html[start.upperBound...].prefix { $0 != "<" })
    }

    static let waterStartFields: [(String, String)] = [
        ("start_date", "2026-04-10"), ("service_address", "北海道沙流郡平取町本町1番地"), ("building_type", "house"),
        ("user_name", "平取 花子"), ("user_kana", "ビラトリ ハナコ"), ("phone", "01457-2-0000"), ("household_size", "2"),
        ("billing_method", "payment_slip"),
    ]
}

extension Browser {
    /// Posts the last page's multipart form: its csrf_token and form_token (and any `hidden` names) plus `fields`.
    func postMultipart(
        _ path: String, fields: [(String, String)], files: [(String, String, String, Data)] = [],
        carrying hidden: [String] = ["form_token"]
    ) throws -> BrowserResponse {
        var body = MultipartBody()
        if let token = csrfToken { body.add("csrf_token", token) }
        for name in hidden {
            if let value = EndToEnd.hidden(name, in: lastPage) { body.add(name, value) }
        }
        for (name, value) in fields { body.add(name, value) }
        for (name, filename, type, data) in files {
            body.addFile(name, filename: filename, contentType: type, data: data)
        }
        return try send("POST", path, headers: [("Content-Type", body.contentType)], body: body.data)
    }
}
