import Foundation
import HTTP
import Security
import Store

extension Database {
    /// A staff read of residents' personal data: the read and its audit row commit in one write transaction,
    /// so nobody sees a record without the log saying so, and a record that is not there (nil) is not logged.
    ///
    /// It waits for a durable commit, so it must never run on an HTTP polling thread: register its route with
    /// `Routes.auditedGet`, which puts it on the blocking pool, for HTML and JSON alike. (The JSON twin of the
    /// staff detail page ran off the polling threads and the HTML one inline; this is the one way now.)
    public func auditedRead<T: Sendable>(
        _ event: AuditEvent, at time: Date, _ read: @escaping @Sendable (Connection) throws -> T?
    ) throws -> T? {
        try write { connection in
            guard let value = try read(connection) else { return nil }
            try AuditLog.append(event, at: time, on: connection)
            return value
        }
    }
}

extension Routes {
    /// A GET whose handler reads personal data through `Database.auditedRead`: always on the blocking pool,
    /// because the audit row is a durable write.
    public mutating func auditedGet(_ pattern: String, _ handler: @escaping Handler) {
        get(pattern, execution: .offloaded, handler)
    }
}
