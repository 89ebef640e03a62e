import Store

/// Which residents have an active LINE link, for a module that must choose between a LINE message and a phone
/// call (a class reminder goes by LINE to linked residents and onto the staff's call list for everyone else).
/// Notices owns the links and implements it; App passes it to the module that asks.
public protocol LINELinkDirectory: Sendable {
    /// The subset of `residentIDs` with an active link, read inside the caller's transaction.
    func linkedResidentIDs(among residentIDs: [Int64], on connection: Connection) throws -> Set<Int64>
}
