import Foundation
import HTTP
import Testing

@Suite("Router and request parsing, in process")
struct RouterTests {
    private func router() -> Router {
        var routes = Routes()
        routes.get("/") { _ in .text("home") }
        routes.get("/a/:id/b") { _ in .text("ab") }
        routes.post("/a/:id/b") { _ in .text("ab") }
        return Router(routes)
    }

    @Test func match_findsLiteralAndParameterRoutes() {
        guard case .found(let route, let parameters) = router().match(method: "GET", path: "/a/X9/b") else {
            Issue.record("no match")
            return
        }
        #expect(route.pattern == "/a/:id/b")
        #expect(parameters == ["id": "X9"])
        guard case .found(let root, _) = router().match(method: "HEAD", path: "/") else {
            Issue.record("HEAD should use the GET route")
            return
        }
        #expect(root.pattern == "/")
    }

    @Test func literalRoutes_agreeWithTheTree_forOtherMethodsAndUncanonicalPaths() {
        var routes = Routes()
        routes.get("/applications/lookup") { _ in .text("lookup") }
        routes.post("/applications/:reference") { _ in .text("reference") }
        let router = Router(routes)
        guard case .found(let literal, _) = router.match(method: "GET", path: "/applications/lookup") else {
            Issue.record("no match")
            return
        }
        #expect(literal.pattern == "/applications/lookup")
        // The literal path exists, but only for GET: POST must fall through to the parameter route.
        guard case .found(let parameter, let values) = router.match(method: "POST", path: "/applications/lookup")
        else {
            Issue.record("POST should reach the parameter route")
            return
        }
        #expect(parameter.pattern == "/applications/:reference")
        #expect(values == ["reference": "lookup"])
        guard case .found(let slashes, _) = router.match(method: "GET", path: "//applications/lookup/") else {
            Issue.record("extra slashes should still match")
            return
        }
        #expect(slashes.pattern == "/applications/lookup")
    }

    @Test func match_distinguishes404From405() {
        guard case .notFound = router().match(method: "GET", path: "/a/1") else {
            Issue.record("expected 404")
            return
        }
        guard case .methodNotAllowed(let allowed) = router().match(method: "PUT", path: "/a/1/b") else {
            Issue.record("expected 405")
            return
        }
        #expect(Set(allowed) == ["GET", "POST", "HEAD"])
    }

    @Test func literalSegments_winOverParameters_andEachRouteGetsOnlyItsOwnCaptures() {
        var routes = Routes()
        routes.get("/applications/:reference") { _ in .text("status") }
        routes.get("/applications/lookup") { _ in .text("lookup") }
        routes.post("/applications/submit") { _ in .text("submit") }
        routes.get("/applications/:reference/edit") { _ in .text("edit") }
        routes.get("/applications/new/:code") { _ in .text("new") }
        let router = Router(routes)
        guard case .found(let lookup, let none) = router.match(method: "GET", path: "/applications/lookup") else {
            Issue.record("lookup")
            return
        }
        #expect(lookup.pattern == "/applications/lookup" && none.isEmpty)
        guard case .found(let status, let captured) = router.match(method: "GET", path: "/applications/ABCD2345") else {
            Issue.record("status")
            return
        }
        #expect(status.pattern == "/applications/:reference" && captured == ["reference": "ABCD2345"])
        // A literal node without the method falls back to the parameter route that has it.
        guard case .found(let fallback, let asReference) = router.match(method: "GET", path: "/applications/submit")
        else {
            Issue.record("fallback")
            return
        }
        #expect(fallback.pattern == "/applications/:reference" && asReference == ["reference": "submit"])
        guard case .found(let code, let codes) = router.match(method: "GET", path: "/applications/new/water-start")
        else {
            Issue.record("new")
            return
        }
        #expect(code.pattern == "/applications/new/:code" && codes == ["code": "water-start"])
        guard case .methodNotAllowed(let allowed) = router.match(method: "DELETE", path: "/applications/submit") else {
            Issue.record("405")
            return
        }
        #expect(allowed == ["GET", "HEAD", "POST"])
    }

    @Test func cookies_parseQuotedValues_andKeepTheFirstOfTwins() {
        let request = Request(method: "GET", path: "/", headers: ["cookie": "a=1; b=\"two\"; a=3"])
        #expect(request.cookies == ["a": "1", "b": "two"])
    }

    /// `cookie(_:)` scans an ASCII header in place; it must find what the dictionary finds, for every name.
    @Test func cookie_findsWhatTheDictionaryFinds_inAnyHeader() {
        let pieces = ["a", "b", "__Host-s", "=", ";", " ", "\t", "\"", "x", "1", "\u{3000}", "é"]
        var state: UInt64 = 0xc00c1e
        for _ in 0..<3_000 {
            var header = ""
            state = state &* 6_364_136_223_846_793_005 &+ 1
            for _ in 0..<Int((state >> 40) % 16) {
                state = state &* 6_364_136_223_846_793_005 &+ 1
                header += pieces[Int((state >> 33) % UInt64(pieces.count))]
            }
            let request = Request(method: "GET", path: "/", headers: ["cookie": header])
            for name in ["a", "b", "__Host-s", "", "x"] {
                #expect(request.cookie(name) == request.cookies[name], "\(header.debugDescription) \(name)")
            }
        }
        #expect(Request(method: "GET", path: "/", headers: [:]).cookie("a") == nil)
    }

    @Test func form_rejectsInvalidPercentEncoding() throws {
        #expect(throws: HTTPError.self) { try FormFields.parse(Data("name=%E5%B9".utf8)) }
        let fields = try FormFields.parse(Data("empty=&flag&x=a%2Bb".utf8))
        #expect(fields["empty"] == "")
        #expect(fields["flag"] == "")
        #expect(fields["x"] == "a+b")
    }
}
