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

    @Test func oneCookie_isFoundByName_asTheDictionaryWouldGiveIt() {
        let header = "  __Host-s =\tabc=def ;flag; empty=; q=\"x\"; s=2; __Host-s=later; =nameless; 名前=値"
        let request = Request(method: "GET", path: "/", headers: ["cookie": header])
        #expect(request.cookie("__Host-s") == "abc=def", "trimmed, split at the first '=' only, the first twin")
        #expect(request.cookie("empty") == "")
        #expect(request.cookie("q") == "x")
        #expect(request.cookie("s") == "2")
        #expect(request.cookie("名前") == "値")
        #expect(request.cookie("") == "nameless")
        #expect(request.cookie("flag") == nil, "a pair without '=' is no cookie")
        #expect(request.cookie("__Host") == nil, "a prefix of a name is not the name")
        #expect(Request(method: "GET", path: "/", headers: [:]).cookie("s") == nil)
        for (name, value) in request.cookies { #expect(request.cookie(name) == value) }
        #expect(request.cookies.count == 6)
    }

    @Test func form_rejectsInvalidPercentEncoding() throws {
        #expect(throws: HTTPError.self) { try FormFields.parse(Data("name=%E5%B9".utf8)) }
        let fields = try FormFields.parse(Data("empty=&flag&x=a%2Bb".utf8))
        #expect(fields["empty"] == "")
        #expect(fields["flag"] == "")
        #expect(fields["x"] == "a+b")
    }
}
