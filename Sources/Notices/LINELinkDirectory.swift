import ServiceKit
import Store

/// Notices' answer to "who can be reached on LINE", for modules that choose between LINE and a phone call.
public struct NoticesLINELinkDirectory: LINELinkDirectory {
    public init() {}

    public func linkedResidentIDs(among residentIDs: [Int64], on connection: Connection) throws -> Set<Int64> {
        guard !residentIDs.isEmpty else { return [] }
        let rows = try connection.query(
            "SELECT resident_id FROM line_links WHERE active = 1 AND resident_id IN (SELECT value FROM json_each(?))",
            "[" + residentIDs.map(String.init).joined(separator: ",") + "]")
        return Set(try rows.map { try $0.get("resident_id", as: Int64.self) })
    }
}
