import Store

/// Which residents are linked to LINE, for the modules that must not read Notices' `line_links` themselves: the
/// KPI's 公式LINE登録率 counts the links active at the end of a day, and a class reminder goes by LINE to the linked
/// residents and onto the staff's call list for everyone else. Notices owns the links and implements it; App
/// wires one to every module that asks. Both reads run on the caller's connection, so they see the caller's
/// snapshot or transaction.
public protocol LINELinkedResidents: Sendable {
    /// How many links were made by the end of `day` (`YYYY-MM-DD`, JST) and not ended by then.
    func activeLinks(atEndOf day: String, on connection: Connection) throws -> Int

    /// The subset of `residentIDs` with an active link now.
    func linkedResidentIDs(among residentIDs: [Int64], on connection: Connection) throws -> Set<Int64>
}
