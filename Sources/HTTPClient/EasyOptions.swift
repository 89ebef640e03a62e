import CCurl
import Foundation

/// The request options `EasyHandle` and `MultiHandle` both set on an easy handle, through the typed setopt
/// shims. https://curl.se/libcurl/c/curl_easy_setopt.html
enum EasyOptions {
    /// Sets URL, method, timeouts, body and headers on a freshly reset `easy`. Returns the header list, which
    /// libcurl uses without copying: the caller frees it (`curl_slist_free_all`) once the transfer is over.
    static func setRequest(
        on easy: UnsafeMutableRawPointer, method: String, url: String, headers: [(String, String)], body: Data?,
        timeoutMilliseconds: Int
    ) throws -> UnsafeMutablePointer<curl_slist>? {
        try set(easy, CURLOPT_URL, url)
        try set(easy, CURLOPT_NOSIGNAL, 1)
        try set(easy, CURLOPT_TIMEOUT_MS, timeoutMilliseconds)
        try set(easy, CURLOPT_CONNECTTIMEOUT_MS, min(timeoutMilliseconds, 5_000))
        switch method {
        case "GET": try set(easy, CURLOPT_HTTPGET, 1)
        case "HEAD": try set(easy, CURLOPT_NOBODY, 1)
        default: try set(easy, CURLOPT_CUSTOMREQUEST, method)
        }
        if let body {
            try check(madoguchi_curl_easy_setopt_off_t(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)))
            try body.withUnsafeBytes { buffer in
                // COPYPOSTFIELDS copies, so the Swift buffer need not outlive this call.
                try check(
                    madoguchi_curl_easy_setopt_pointer(
                        easy, CURLOPT_COPYPOSTFIELDS,
                        UnsafeMutableRawPointer(mutating: buffer.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!)))
            }
        }
        var list: UnsafeMutablePointer<curl_slist>?
        // An empty Expect stops libcurl from waiting for 100-continue on larger bodies.
        for (name, value) in headers + [("Expect", "")] {
            list = curl_slist_append(list, "\(name): \(value)")
        }
        do {
            try check(madoguchi_curl_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, list))
        } catch {
            curl_slist_free_all(list)
            throw error
        }
        return list
    }

    static func set(_ easy: UnsafeMutableRawPointer, _ option: CURLoption, _ value: Int) throws {
        try check(madoguchi_curl_easy_setopt_long(easy, option, value))
    }

    static func set(_ easy: UnsafeMutableRawPointer, _ option: CURLoption, _ value: String) throws {
        // libcurl copies string options (since 7.17), so the temporary C string may go away afterwards.
        try check(madoguchi_curl_easy_setopt_string(easy, option, value))
    }

    static func check(_ code: CURLcode) throws(EasyHandle.CurlError) {
        guard code == CURLE_OK else { throw EasyHandle.CurlError(code) }
    }
}
