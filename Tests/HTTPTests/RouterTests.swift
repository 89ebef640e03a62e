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

    @Test func cookies_parseQuotedValues_andKeepTheFirstOfTwins() {
        let request = Request(method: "GET", path: "/", headers: ["cookie": "a=1; b=\"two\"; a=3"])
        #expect(request.cookies == ["a": "1", "b": "two"])
    }

    @Test func form_rejectsInvalidPercentEncoding() throws {
        #expect(throws: HTTPError.self) { try FormFields.parse(Data("name=%E5%B9".utf8)) }
        let fields = try FormFields.parse(Data("empty=&flag&x=a%2Bb".utf8))
        #expect(fields["empty"] == "")
        #expect(fields["flag"] == "")
        #expect(fields["x"] == "a+b")
    }
}
