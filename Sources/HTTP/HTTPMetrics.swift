import Foundation
import Synchronization

/// Request counters and a latency histogram, rendered in the Prometheus text format.
/// Labels are route patterns, never raw paths, so the series count stays bounded and free of identifiers.
public final class HTTPMetrics: Sendable {
    public static let latencyBuckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]

    private struct RouteKey: Hashable {
        let method: String
        let route: String
        let status: Int
    }

    private struct State {
        var requests: [RouteKey: Int] = [:]
        var bucketCounts = [Int](repeating: 0, count: HTTPMetrics.latencyBuckets.count)
        var latencyCount = 0
        var latencySum = 0.0
        var inFlight = 0
    }

    private let state = Mutex(State())

    public init() {}

    func started() {
        state.withLock { $0.inFlight += 1 }
    }

    func finished(method: String, route: String, status: Int, seconds: Double) {
        state.withLock { state in
            state.inFlight -= 1
            state.requests[RouteKey(method: method, route: route, status: status), default: 0] += 1
            state.latencyCount += 1
            state.latencySum += seconds
            for (index, bound) in Self.latencyBuckets.enumerated() where seconds <= bound {
                state.bucketCounts[index] += 1
            }
        }
    }

    public var inFlight: Int { state.withLock { $0.inFlight } }

    public func requestCount(method: String, route: String, status: Int) -> Int {
        state.withLock { $0.requests[RouteKey(method: method, route: route, status: status)] ?? 0 }
    }

    /// Prometheus text exposition format 0.0.4.
    public func render() -> String {
        let snapshot = state.withLock { $0 }
        var text = "# HELP madoguchi_http_requests_total HTTP requests by method, route pattern and status.\n"
        text += "# TYPE madoguchi_http_requests_total counter\n"
        for (key, count) in snapshot.requests.sorted(by: {
            ($0.key.route, $0.key.method, $0.key.status) < ($1.key.route, $1.key.method, $1.key.status)
        }) {
            text +=
                "madoguchi_http_requests_total{method=\"\(key.method)\",route=\"\(Self.escapeLabel(key.route))\",status=\"\(key.status)\"} \(count)\n"
        }
        text +=
            "# HELP madoguchi_http_request_duration_seconds Time from the first byte of a request to its response.\n"
        text += "# TYPE madoguchi_http_request_duration_seconds histogram\n"
        for (bound, count) in zip(Self.latencyBuckets, snapshot.bucketCounts) {
            text += "madoguchi_http_request_duration_seconds_bucket{le=\"\(bound)\"} \(count)\n"
        }
        text += "madoguchi_http_request_duration_seconds_bucket{le=\"+Inf\"} \(snapshot.latencyCount)\n"
        text += "madoguchi_http_request_duration_seconds_sum \(snapshot.latencySum)\n"
        text += "madoguchi_http_request_duration_seconds_count \(snapshot.latencyCount)\n"
        text += "# HELP madoguchi_http_requests_in_flight Requests being handled now.\n"
        text += "# TYPE madoguchi_http_requests_in_flight gauge\n"
        text += "madoguchi_http_requests_in_flight \(snapshot.inFlight)\n"
        return text
    }

    private static func escapeLabel(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }
}
