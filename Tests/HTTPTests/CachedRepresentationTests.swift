import Foundation
import HTTP
import HTTPClient
import TestSupport
import Testing

/// Unchanging bodies are encoded once and revalidated with a strong ETag (issue #10).
@Suite("Cached representations: ETag, 304 and Cache-Control")
struct CachedRepresentationTests {
    static let representation = CachedRepresentation(
        body: Data("{\"procedures\":[]}".utf8), contentType: "application/json; charset=utf-8",
        cacheControl: "public, max-age=300", vary: "Cookie")

    static func header(_ response: EasyHandle.Response, _ name: String) -> String? {
        response.headers.first { $0.key.lowercased() == name }?.value
    }

    func serve() throws -> LiveServer {
        var routes = Routes()
        routes.get("/catalog") { request in Self.representation.response(to: request) }
        return try LiveServer(routes: routes)
    }

    @Test func theEntityTag_isStrong_andFollowsTheBytes() {
        let tag = Self.representation.entityTag
        #expect(tag.hasPrefix("\"") && tag.hasSuffix("\"") && tag.utf8.count == 34, "a strong, quoted tag: \(tag)")
        let changed = CachedRepresentation(
            body: Data("{\"procedures\":[1]}".utf8), contentType: "application/json", cacheControl: "no-cache")
        #expect(changed.entityTag != tag)
    }

    @Test func ifNoneMatch_matchesTheTag_aListHoldingIt_aWeakFormOfIt_andStar() {
        let tag = "\"abc\""
        #expect(CachedRepresentation.condition("\"abc\"", matches: tag))
        #expect(CachedRepresentation.condition("\"x\", \"abc\"", matches: tag))
        #expect(CachedRepresentation.condition("\"x\",\"abc\" , \"y\"", matches: tag))
        #expect(CachedRepresentation.condition("W/\"abc\"", matches: tag), "If-None-Match compares weakly")
        #expect(CachedRepresentation.condition("*", matches: tag))
        #expect(CachedRepresentation.condition(" * ", matches: tag))
        #expect(CachedRepresentation.condition("\"a,b\", \"abc\"", matches: tag), "a comma inside a tag is part of it")
        #expect(!CachedRepresentation.condition("\"abcd\"", matches: tag))
        #expect(!CachedRepresentation.condition("\"ab\"", matches: tag))
        #expect(!CachedRepresentation.condition("abc", matches: tag), "an unquoted tag is malformed")
        #expect(!CachedRepresentation.condition("", matches: tag))
        #expect(!CachedRepresentation.condition("\"abc", matches: tag))
        #expect(!CachedRepresentation.condition("*, \"x\"", matches: tag), "* stands alone")
    }

    @Test func aFirstRequest_getsTheBody_withETagCacheControlAndVary() throws {
        let server = try serve()
        let response = try server.request("GET", "/catalog")
        #expect(response.status == 200)
        #expect(response.text == "{\"procedures\":[]}")
        #expect(Self.header(response, "etag") == Self.representation.entityTag)
        #expect(Self.header(response, "cache-control") == "public, max-age=300")
        #expect(Self.header(response, "vary") == "Cookie")
        #expect(Self.header(response, "content-type") == "application/json; charset=utf-8")
    }

    @Test func aRevalidation_getsABodiless304_withTheSameValidators() throws {
        let server = try serve()
        let tag = Self.representation.entityTag
        for condition in [tag, "\"other\", \(tag)", "W/\(tag)", "*"] {
            let response = try server.request("GET", "/catalog", headers: [("If-None-Match", condition)])
            #expect(response.status == 304, "If-None-Match: \(condition)")
            #expect(response.body.isEmpty)
            #expect(Self.header(response, "etag") == tag)
            #expect(Self.header(response, "cache-control") == "public, max-age=300")
            #expect(Self.header(response, "vary") == "Cookie")
        }
        let head = try server.request("HEAD", "/catalog", headers: [("If-None-Match", tag)])
        #expect(head.status == 304)
    }

    @Test func aStaleTag_getsTheFullAnswer() throws {
        let server = try serve()
        let response = try server.request("GET", "/catalog", headers: [("If-None-Match", "\"stale\", W/\"older\"")])
        #expect(response.status == 200)
        #expect(response.text == "{\"procedures\":[]}")
    }

    @Test func aChangingRepresentation_servesTheNewBytesAndTagAfterAReplace() {
        let changing = ChangingRepresentation(Self.representation)
        let request = Request(
            method: "GET", path: "/catalog", headers: ["if-none-match": Self.representation.entityTag])
        #expect(changing.response(to: request).status == 304)
        let edited = CachedRepresentation(
            body: Data("{\"procedures\":[2]}".utf8), contentType: "application/json", cacheControl: "no-cache")
        changing.replace(with: edited)
        let response = changing.response(to: request)
        #expect(response.status == 200)
        #expect(response.header("ETag") == edited.entityTag)
        #expect(response.body == edited.body)
    }
}
