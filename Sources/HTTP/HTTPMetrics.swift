import Foundation
import Synchronization

/// Request counters and a latency histogram, rendered in the Prometheus text format.
/// Labels are route patterns, never raw paths, so the series count stays bounded and free of identifiers.
///
/// Each route gets its own `Series` when the server starts, and a request records into the one its route
/// holds: one uncontended lock and no hashing per request. A shared dictionary keyed by method, route and
/// status cost a string hash per request and one lock for every polling thread.
public final class HTTPMetrics: Sendable {
    public static let latencyBuckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]
    /// The same bounds in nanoseconds, so recording compares integers.
    private static let latencyBucketNanoseconds: [UInt64] = latencyBuckets.map { UInt64(($0 * 1e9).rounded()) }

    /// The counters of one method and route label.
    public final class Series: Sendable {
        let method: String
        let route: String
        private let state = Mutex(SeriesState())

        init(method: String, route: String) {
            self.method = method
            self.route = route
        }

        func record(status: Int, nanoseconds: UInt64) {
            var bucket = 0
            while bucket < HTTPMetrics.latencyBucketNanoseconds.count
                && nanoseconds > HTTPMetrics.latencyBucketNanoseconds[bucket]
            {
                bucket += 1
            }
            state.withLock { state in
                let slot = status - SeriesState.lowestStatus
                if state.statusCounts.indices.contains(slot) {
                    state.statusCounts[slot] += 1
                } else {
                    state.statusCounts[0] += 1  // not an HTTP status; counted as the lowest so it isn't lost
                }
                state.bucketCounts[bucket] += 1
                state.count += 1
                state.nanosecondSum &+= nanoseconds
            }
        }

        fileprivate func snapshot() -> SeriesState { state.withLock { $0 } }
    }

    fileprivate struct SeriesState {
        static let lowestStatus = 100
        /// Indexed by status − 100, for 100…599.
        var statusCounts = [Int](repeating: 0, count: 500)
        /// Per bucket (not cumulative), the last one being +Inf.
        var bucketCounts = [Int](repeating: 0, count: HTTPMetrics.latencyBuckets.count + 1)
        var count = 0
        var nanosecondSum: UInt64 = 0
    }

    private struct SeriesKey: Hashable {
        let method: String
        let route: String
    }

    private let registry = Mutex([SeriesKey: Series]())
    /// Also what `Server.shutdown` drains: the gauge and the drain count are one number, so a server owns its
    /// metrics rather than sharing them with another.
    private let inFlightCount = Atomic<Int>(0)

    public init() {}

    /// The series for a method and route label, made on first use. The server asks once per route at start,
    /// and per request only for requests that matched no route.
    public func series(method: String, route: String) -> Series {
        let key = SeriesKey(method: method, route: route)
        return registry.withLock { registry in
            if let existing = registry[key] { return existing }
            let series = Series(method: method, route: route)
            registry[key] = series
            return series
        }
    }

    func started() {
        inFlightCount.add(1, ordering: .sequentiallyConsistent)
    }

    /// Records a finished request and returns how many are still in flight.
    func finished(_ series: Series, status: Int, nanoseconds: UInt64) -> Int {
        series.record(status: status, nanoseconds: nanoseconds)
        return inFlightCount.subtract(1, ordering: .sequentiallyConsistent).newValue
    }

    public var inFlight: Int { inFlightCount.load(ordering: .sequentiallyConsistent) }

    public func requestCount(method: String, route: String, status: Int) -> Int {
        let series = registry.withLock { $0[SeriesKey(method: method, route: route)] }
        guard let counts = series?.snapshot().statusCounts else { return 0 }
        let slot = status - SeriesState.lowestStatus
        return counts.indices.contains(slot) ? counts[slot] : 0
    }

    /// Prometheus text exposition format 0.0.4.
    public func render() -> String {
        let all = registry.withLock { Array($0.values) }
            .sorted { ($0.route, $0.method) < ($1.route, $1.method) }
            .map { (series: $0, state: $0.snapshot()) }
        var text = "# HELP madoguchi_http_requests_total HTTP requests by method, route pattern and status.\n"
        text += "# TYPE madoguchi_http_requests_total counter\n"
        var bucketTotals = [Int](repeating: 0, count: Self.latencyBuckets.count + 1)
        var count = 0
        var nanosecondSum: UInt64 = 0
        for (series, state) in all {
            for (slot, requests) in state.statusCounts.enumerated() where requests > 0 {
                let status = slot + SeriesState.lowestStatus
                text +=
                    "madoguchi_http_requests_total{method=\"\(Self.escapeLabel(series.method))\",route=\"\(Self.escapeLabel(series.route))\",status=\"\(status)\"} \(requests)\n"
            }
            for (index, bucket) in state.bucketCounts.enumerated() { bucketTotals[index] += bucket }
            count += state.count
            nanosecondSum &+= state.nanosecondSum
        }
        text +=
            "# HELP madoguchi_http_request_duration_seconds Time from the first byte of a request to its response.\n"
        text += "# TYPE madoguchi_http_request_duration_seconds histogram\n"
        var cumulative = 0
        for (bound, bucket) in zip(Self.latencyBuckets, bucketTotals) {
            cumulative += bucket
            text += "madoguchi_http_request_duration_seconds_bucket{le=\"\(bound)\"} \(cumulative)\n"
        }
        text += "madoguchi_http_request_duration_seconds_bucket{le=\"+Inf\"} \(count)\n"
        text += "madoguchi_http_request_duration_seconds_sum \(Double(nanosecondSum) / 1e9)\n"
        text += "madoguchi_http_request_duration_seconds_count \(count)\n"
        text += "# HELP madoguchi_http_requests_in_flight Requests being handled now.\n"
        text += "# TYPE madoguchi_http_requests_in_flight gauge\n"
        text += "madoguchi_http_requests_in_flight \(inFlight)\n"
        return text
    }

    private static func escapeLabel(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }
}
