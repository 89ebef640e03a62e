import CCurl
import Foundation

/// Collects one transfer's headers and body through libcurl's write callbacks, for `EasyHandle` and
/// `MultiHandle` alike. libcurl holds the accumulator unretained, so its owner keeps it alive for as long as
/// the easy handle may call back; like the easy handle, it is used from one thread at a time.
/// https://curl.se/libcurl/c/CURLOPT_WRITEFUNCTION.html, https://curl.se/libcurl/c/CURLOPT_HEADERFUNCTION.html
final class ResponseAccumulator {
    private(set) var body = Data()
    /// Header names lower-cased; the last value of a repeated header wins.
    private(set) var headers: [String: String] = [:]

    func reset() {
        body = Data()
        headers = [:]
    }

    /// Points `easy`'s body and header callbacks at this accumulator. Call again after `curl_easy_reset`.
    func install(on easy: UnsafeMutableRawPointer) throws {
        let context = Unmanaged.passUnretained(self).toOpaque()
        try EasyOptions.check(madoguchi_curl_easy_setopt_write_callback(easy, Self.writeBody))
        try EasyOptions.check(madoguchi_curl_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, context))
        try EasyOptions.check(madoguchi_curl_easy_setopt_header_callback(easy, Self.writeHeader))
        try EasyOptions.check(madoguchi_curl_easy_setopt_pointer(easy, CURLOPT_HEADERDATA, context))
    }

    /// The finished transfer's response: what was collected, with the status and connection count of `easy`.
    func response(of easy: UnsafeMutableRawPointer) throws(EasyHandle.CurlError) -> EasyHandle.Response {
        var status = 0
        var connects = 0
        try EasyOptions.check(madoguchi_curl_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status))
        try EasyOptions.check(madoguchi_curl_easy_getinfo_long(easy, CURLINFO_NUM_CONNECTS, &connects))
        return EasyHandle.Response(status: status, headers: headers, body: body, newConnections: connects)
    }

    private static let writeBody: curl_write_callback = { data, size, count, context in
        let accumulator = Unmanaged<ResponseAccumulator>.fromOpaque(context!).takeUnretainedValue()
        if let data {
            data.withMemoryRebound(to: UInt8.self, capacity: size * count) {
                accumulator.body.append($0, count: size * count)
            }
        }
        return size * count
    }

    /// Called once per header line. A status line starts a new header block (after a 1xx or a redirect), so
    /// only the final response's headers are kept.
    private static let writeHeader: curl_write_callback = { data, size, count, context in
        let accumulator = Unmanaged<ResponseAccumulator>.fromOpaque(context!).takeUnretainedValue()
        if let data {
            let line = String(decoding: UnsafeRawBufferPointer(start: data, count: size * count), as: UTF8.self)
            if line.hasPrefix("HTTP/") { accumulator.headers = [:] }
            if let colon = line.firstIndex(of: ":") {
                let name = line[..<colon].lowercased()
                let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
                accumulator.headers[name] = value
            }
        }
        return size * count
    }
}
