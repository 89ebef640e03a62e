/// Handles one matched request.
public typealias Handler = @Sendable (Request) throws -> Response

/// Something that registers routes: each feature module has one (its route collection).
public protocol RouteCollection: Sendable {
    func register(in routes: inout Routes)
}

/// The route table being built. Frozen into a `Router` when the server starts.
public struct Routes: Sendable {
    /// The default body limit: enough for any HTML form or JSON call; upload routes declare more.
    public static let defaultBodyLimit = 64 * 1024

    /// Where a handler runs. Inline handlers run on libmicrohttpd's polling thread and must not block for
    /// long (reads are fine). Offloaded handlers run on the blocking pool — use it for anything that waits,
    /// above all durable writes, so the polling threads keep serving other connections meanwhile.
    public enum Execution: Sendable {
        case inline
        case offloaded

        /// Reads inline, everything that may change state offloaded.
        static func automatic(for method: String) -> Execution {
            method == "GET" || method == "HEAD" ? .inline : .offloaded
        }
    }

    public struct Route: Sendable {
        public let method: String
        public let pattern: String
        public let maximumBodyBytes: Int
        public let execution: Execution
        let segments: [Segment]
        let handler: Handler
    }

    enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
    }

    public private(set) var routes: [Route] = []

    public init() {}

    /// Adds a route. A pattern segment starting with `:` captures that path segment.
    public mutating func add(
        _ method: String, _ pattern: String, maximumBodyBytes: Int = Routes.defaultBodyLimit,
        execution: Execution? = nil, _ handler: @escaping Handler
    ) {
        let segments: [Segment] = pattern.split(separator: "/").map {
            $0.hasPrefix(":") ? .parameter(String($0.dropFirst())) : .literal(String($0))
        }
        precondition(
            !routes.contains { $0.method == method && $0.segments == segments },
            "route \(method) \(pattern) registered twice")
        routes.append(
            Route(
                method: method, pattern: pattern, maximumBodyBytes: maximumBodyBytes,
                execution: execution ?? .automatic(for: method), segments: segments, handler: handler))
    }

    public mutating func get(_ pattern: String, execution: Execution = .inline, _ handler: @escaping Handler) {
        add("GET", pattern, execution: execution, handler)
    }

    public mutating func post(
        _ pattern: String, maximumBodyBytes: Int = Routes.defaultBodyLimit, execution: Execution = .offloaded,
        _ handler: @escaping Handler
    ) {
        add("POST", pattern, maximumBodyBytes: maximumBodyBytes, execution: execution, handler)
    }

    public mutating func register(_ collection: some RouteCollection) {
        collection.register(in: &self)
    }
}

/// Matches a method and path to a route. Immutable, so every worker thread can share it.
public struct Router: Sendable {
    public enum Match: Sendable {
        case found(Routes.Route, parameters: [String: String])
        case methodNotAllowed(allowed: [String])
        case notFound
    }

    private let routes: [Routes.Route]
    /// Routes without parameters, by exact path: most requests are answered without splitting the path.
    private let literalRoutes: [String: [Routes.Route]]

    public init(_ routes: Routes) {
        self.routes = routes.routes
        var literal: [String: [Routes.Route]] = [:]
        for route in routes.routes where !route.segments.contains(where: { if case .parameter = $0 { true } else { false } }) {
            literal[route.pattern, default: []].append(route)
        }
        self.literalRoutes = literal
    }

    public func match(method: String, path: String) -> Match {
        let wanted = method == "HEAD" ? "GET" : method
        if let route = literalRoutes[path]?.first(where: { $0.method == wanted }) {
            return .found(route, parameters: [:])
        }
        return scan(method: method, path: path)
    }

    private func scan(method: String, path: String) -> Match {
        let pathSegments = path.split(separator: "/", omittingEmptySubsequences: true)
        // HEAD is answered by the GET route; libmicrohttpd drops the body.
        let effectiveMethod = method == "HEAD" ? "GET" : method
        var allowed: [String] = []
        for route in routes {
            guard let parameters = Self.parameters(of: route, matching: pathSegments) else { continue }
            if route.method == effectiveMethod { return .found(route, parameters: parameters) }
            allowed.append(route.method)
        }
        if allowed.isEmpty { return .notFound }
        if allowed.contains("GET") { allowed.append("HEAD") }
        return .methodNotAllowed(allowed: allowed)
    }

    private static func parameters(of route: Routes.Route, matching path: [Substring]) -> [String: String]? {
        guard route.segments.count == path.count else { return nil }
        var parameters: [String: String] = [:]
        for (segment, component) in zip(route.segments, path) {
            switch segment {
            case .literal(let literal):
                guard literal == component else { return nil }
            case .parameter(let name):
                parameters[name] = String(component)
            }
        }
        return parameters
    }
}
