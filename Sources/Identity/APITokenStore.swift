import Foundation
import Store

/// All SQL on `api_tokens`.
public enum APITokenStore {
    public enum CreationConflict: Error, Equatable, CustomStringConvertible {
        case nameTaken
        public var description: String { "a token with that name already exists" }
    }

    private static let columns = "id, name, scopes, created_at, revoked_at, last_used_at"

    public static func insertToken(
        name: String, tokenHash: String, scopes: [String], at time: Date, on connection: Connection
    ) throws -> Int64 {
        do {
            try connection.run(
                "INSERT INTO api_tokens (name, token_hash, scopes, created_at) VALUES (?, ?, ?, ?)", name, tokenHash,
                scopes.joined(separator: " "), time)
        } catch let error as SQLiteError where error.isUniqueViolation {
            throw CreationConflict.nameTaken
        }
        return connection.lastInsertRowID
    }

    /// The token with this hash, revoked or not; the caller decides what a revoked token gets.
    public static func fetchToken(tokenHash: String, on connection: Connection) throws -> APIToken? {
        try connection.queryFirst("SELECT \(columns) FROM api_tokens WHERE token_hash = ?", tokenHash).map(decode)
    }

    /// What can change about a token once made, read on every request: the facts `Authentication` keeps
    /// (name, scopes) never do. Nil when no row has both this id and this hash.
    static func fetchUse(id: Int64, tokenHash: String, on connection: Connection) throws
        -> (revokedAt: Date?, lastUsedAt: Date?)?
    {
        try connection.queryFirst(
            "SELECT revoked_at, last_used_at FROM api_tokens WHERE id = ? AND token_hash = ?", id, tokenHash
        ).map { (try $0.get(0), try $0.get(1)) }
    }

    public static func fetchToken(name: String, on connection: Connection) throws -> APIToken? {
        try connection.queryFirst("SELECT \(columns) FROM api_tokens WHERE name = ?", name).map(decode)
    }

    public static func fetchAllTokens(on connection: Connection) throws -> [APIToken] {
        try connection.query("SELECT \(columns) FROM api_tokens ORDER BY name").map(decode)
    }

    /// Revokes the named token; false when there is no active token by that name.
    @discardableResult
    public static func revokeToken(name: String, at time: Date, on connection: Connection) throws -> Bool {
        try connection.run("UPDATE api_tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL", time, name)
            == 1
    }

    public static func touchToken(id: Int64, at time: Date, on connection: Connection) throws {
        try connection.run("UPDATE api_tokens SET last_used_at = ? WHERE id = ?", time, id)
    }

    private static func decode(_ row: Row) throws -> APIToken {
        let scopes: String = try row.get("scopes")
        return APIToken(
            id: try row.get("id"), name: try row.get("name"),
            scopes: scopes.split(separator: " ").map(String.init), createdAt: try row.get("created_at"),
            revokedAt: try row.get("revoked_at"), lastUsedAt: try row.get("last_used_at"))
    }
}
