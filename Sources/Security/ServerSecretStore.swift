import Cryptography
import Foundation
import Store

/// All SQL on `server_secrets`: keys the server makes for itself and must keep across restarts.
public enum ServerSecretStore {
    /// The named secret, created with 32 random bytes on first use. Runs on the writer so two processes
    /// starting together still agree on one value.
    public static func fetchOrCreateSecret(name: String, at time: Date, on connection: Connection) throws -> [UInt8] {
        try connection.run(
            "INSERT INTO server_secrets (name, secret, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING",
            name, Data(SecureRandom.bytes(32)), time)
        guard
            let secret = try connection.scalar("SELECT secret FROM server_secrets WHERE name = ?", name, as: Data.self)
        else { throw RowDecodingError(column: "secret", reason: "missing after insert") }
        return Array(secret)
    }

    /// The named secret if it exists, without creating it.
    public static func fetchSecret(name: String, on connection: Connection) throws -> [UInt8]? {
        try connection.scalar("SELECT secret FROM server_secrets WHERE name = ?", name, as: Data.self).map(Array.init)
    }
}
