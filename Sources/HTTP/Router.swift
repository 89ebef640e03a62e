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

    /// A class, not a struct: every request carries its matched route from callback to callback, and one
    /// reference is cheaper to pass around than six fields to retain.
    public final class Route: Sendable {
        public let method: String
        public let pattern: String
        public let maximumBodyBytes: Int
        public let execution: Execution
        /// Position in registration order; the server keeps per-route metrics by it.
        let index: Int
        let segments: [Segment]
        let handler: Handler

        init(
            method: String, pattern: String, maximumBodyBytes: Int, execution: Execution, index: Int,
            segments: [Segment], handler: @escaping Handler
        ) {
            self.method = method
            self.pattern = pattern
            self.maximumBodyBytes = maximumBodyBytes
            self.execution = execution
            self.index = index
            self.segments = segments
            self.handler = handler
        }
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
                execution: execution ?? .automatic(for: method), index: routes.count, segments: segments,
                handler: handler))
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
///
/// Routes live in a tree of path segments, so a request costs one dictionary lookup per segment however
/// many routes the modules register (a linear scan over a hundred routes was a third of a request's time).
/// A literal segment is tried before a parameter, so `/applications/lookup` is never read as a reference.
public struct Router: Sendable {
    public enum Match: Sendable {
        case found(Routes.Route, parameters: [String: String])
        case methodNotAllowed(allowed: [String])
        case notFound
    }

    private let root: RouteNode
    /// Routes without parameters by their canonical path: one hash finds `/healthz` or `/readyz`. A request
    /// whose path is not in canonical form (`//healthz`, `/healthz/`) or whose method is not there goes
    /// through the tree, which gives the same answer either way.
    private let literalRoutes: [String: [Routes.Route]]

    public init(_ routes: Routes) {
        let builder = RouteNodeBuilder()
        var literalRoutes: [String: [Routes.Route]] = [:]
        for route in routes.routes {
            let literals = route.segments.compactMap { if case .literal(let text) = $0 { text } else { nil } }
            if literals.count == route.segments.count {
                literalRoutes["/" + literals.joined(separator: "/"), default: []].append(route)
            }
            var node = builder
            for segment in route.segments {
                switch segment {
                case .literal(let literal):
                    node = node.literalChild(literal)
                case .parameter(let name):
                    node = node.parameterChild(name)
                }
            }
            node.methods[route.method] = route
        }
        root = builder.freeze()
        self.literalRoutes = literalRoutes
    }

    public func match(method: String, path: String) -> Match {
        // HEAD is answered by the GET route; libmicrohttpd drops the body.
        let wanted = method == "HEAD" ? "GET" : method
        if let candidates = literalRoutes[path], let route = candidates.first(where: { $0.method == wanted }) {
            return .found(route, parameters: [:])
        }
        let segments = Self.segments(of: path)
        var parameters: [String: String] = [:]
        if let route = Self.find(wanted, in: root, segments: segments, at: 0, parameters: &parameters) {
            return .found(route, parameters: parameters)
        }
        var allowed = Set<String>()
        Self.collectMethods(in: root, segments: segments, at: 0, into: &allowed)
        if allowed.isEmpty { return .notFound }
        if allowed.contains("GET") { allowed.insert("HEAD") }
        return .methodNotAllowed(allowed: allowed.sorted())
    }

    /// The non-empty segments between slashes. A hand-written scan: the generic `split` was 6% of a request.
    private static func segments(of path: String) -> [Substring] {
        var segments: [Substring] = []
        segments.reserveCapacity(6)
        let utf8 = path.utf8
        var start = utf8.startIndex
        var index = start
        while index != utf8.endIndex {
            if utf8[index] == UInt8(ascii: "/") {
                if start != index { segments.append(path[start..<index]) }
                start = utf8.index(after: index)
            }
            index = utf8.index(after: index)
        }
        if start != utf8.endIndex { segments.append(path[start..<utf8.endIndex]) }
        return segments
    }

    /// Depth-first, literal before parameter; `parameters` holds exactly the captures of the route returned.
    private static func find(
        _ method: String, in node: RouteNode, segments: [Substring], at index: Int, parameters: inout [String: String]
    ) -> Routes.Route? {
        if index == segments.count { return node.methods[method] }
        let segment = segments[index]
        if let child = node.literals[String(segment)],
            let route = find(method, in: child, segments: segments, at: index + 1, parameters: &parameters)
        {
            return route
        }
        for (name, child) in node.parameters {
            parameters[name] = String(segment)
            if let route = find(method, in: child, segments: segments, at: index + 1, parameters: &parameters) {
                return route
            }
            parameters[name] = nil
        }
        return nil
    }

    /// Every method some route accepts for this path: the `Allow` header of a 405.
    private static func collectMethods(
        in node: RouteNode, segments: [Substring], at index: Int, into allowed: inout Set<String>
    ) {
        if index == segments.count {
            allowed.formUnion(node.methods.keys)
            return
        }
        if let child = node.literals[String(segments[index])] {
            collectMethods(in: child, segments: segments, at: index + 1, into: &allowed)
        }
        for (_, child) in node.parameters {
            collectMethods(in: child, segments: segments, at: index + 1, into: &allowed)
        }
    }
}

/// One segment position of the route tree, frozen once the server starts.
final class RouteNode: Sendable {
    let literals: [String: RouteNode]
    /// Parameter children by name: two routes may name the same position differently.
    let parameters: [(name: String, node: RouteNode)]
    let methods: [String: Routes.Route]

    init(literals: [String: RouteNode], parameters: [(name: String, node: RouteNode)], methods: [String: Routes.Route])
    {
        self.literals = literals
        self.parameters = parameters
        self.methods = methods
    }
}

/// The mutable tree `Router.init` builds before freezing it.
private final class RouteNodeBuilder {
    var literals: [String: RouteNodeBuilder] = [:]
    var parameters: [(name: String, node: RouteNodeBuilder)] = []
    var methods: [String: Routes.Route] = [:]

    func literalChild(_ literal: String) -> RouteNodeBuilder {
        if let child = literals[literal] { return child }
        let child = RouteNodeBuilder()
        literals[literal] = child
        return child
    }

    func parameterChild(_ name: String) -> RouteNodeBuilder {
        if let existing = parameters.first(where: { $0.name == name }) { return existing.node }
        let child = RouteNodeBuilder()
        parameters.append((name, child))
        return child
    }

    func freeze() -> RouteNode {
        RouteNode(
            literals: literals.mapValues { $0.freeze() },
            parameters: parameters.map { ($0.name, $0.node.freeze()) },
            methods: methods)
    }
}
