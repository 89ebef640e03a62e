import Foundation
import HTTP

/// The catalog as the public sees it, encoded once at start-up: the definitions only change with a deploy,
/// which restarts the server. Encoding them per request (JSONEncoder for the 19 KB list, the HTML builder for
/// the page) held these routes at 1–6% of nginx (issue #10).
struct PublishedCatalog: Sendable {
    /// `GET /api/v1/procedures`.
    let procedureList: CachedRepresentation
    /// `GET /api/v1/procedures/:code`, by code.
    let procedures: [String: CachedRepresentation]
    /// `GET /applications` for a visitor who is not signed in and has not searched.
    let guestCatalogPage: CachedRepresentation

    /// Five minutes for the JSON: a front end or the LINE rich menu may show a catalog that is at most that
    /// old after a deploy, and revalidating with the ETag costs a bodyless 304 meanwhile.
    static let apiCacheControl = "public, max-age=300"
    /// One minute for the page, which a browser keeps apart from the signed-in version by `Vary: Cookie`:
    /// long enough to make Back and repeat visits free, short enough that a deploy shows at once.
    static let pageCacheControl = "public, max-age=60"

    init(_ catalog: ProcedureCatalog) throws {
        procedureList = try Self.json(["procedures": catalog.procedures.map(ProcedureJSON.init)])
        var procedures: [String: CachedRepresentation] = [:]
        for procedure in catalog.procedures {
            procedures[procedure.code] = try Self.json(ProcedureJSON(procedure))
        }
        self.procedures = procedures
        guestCatalogPage = CachedRepresentation(
            body: ApplicationPages.catalog(catalog, query: "", resident: nil).renderData(),
            contentType: "text/html; charset=utf-8", cacheControl: Self.pageCacheControl, vary: "Cookie")
    }

    /// The same bytes `Response.json` gives (sorted keys), so clients see no difference.
    private static func json(_ value: some Encodable) throws -> CachedRepresentation {
        let encoded = try Response.json(value)
        return CachedRepresentation(
            body: encoded.body, contentType: encoded.header("Content-Type") ?? "application/json; charset=utf-8",
            cacheControl: apiCacheControl)
    }
}
