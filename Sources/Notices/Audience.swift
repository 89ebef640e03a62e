import Foundation

/// Who a notice is for. Each targets residents; a notice then goes to the LINE user ids linked to them, and
/// residents without an active link go on the fallback list.
public enum Audience: Sendable, Equatable, Hashable {
    case resident(Int64)
    case residents([Int64])
    /// Every resident registered in the district (by `districts.code`), linked or not.
    case district(String)
    /// Every resident with an active LINE link.
    case allLinked

    /// The `notices.audience_kind` column.
    public var kind: String {
        switch self {
        case .resident: "resident"
        case .residents: "residents"
        case .district: "district"
        case .allLinked: "all_linked"
        }
    }

    /// The `notices.audience` column: the parameters as JSON, enough to show staff who was targeted.
    var storedJSON: String {
        let object: [String: Any] =
            switch self {
            case .resident(let id): ["kind": kind, "resident_id": id]
            case .residents(let ids): ["kind": kind, "resident_ids": ids]
            case .district(let code): ["kind": kind, "district_code": code]
            case .allLinked: ["kind": kind]
            }
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    static func fromStored(_ json: String) -> Audience? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
            let kind = object["kind"] as? String
        else { return nil }
        switch kind {
        case "resident": return (object["resident_id"] as? NSNumber).map { .resident($0.int64Value) }
        case "residents": return (object["resident_ids"] as? [NSNumber]).map { .residents($0.map(\.int64Value)) }
        case "district": return (object["district_code"] as? String).map { .district($0) }
        case "all_linked": return .allLinked
        default: return nil
        }
    }
}

/// One targeted resident as the audience query found them at freeze time.
public struct AudienceMember: Sendable, Equatable {
    public let residentID: Int64
    /// `residents.full_name`, for {氏名}.
    public let name: String?
    /// `districts.name`, for {地区}.
    public let districtName: String?
    /// The active link's LINE user id, or nil: such a resident goes on the fallback list.
    public let lineUserID: String?

    public init(residentID: Int64, name: String?, districtName: String?, lineUserID: String?) {
        self.residentID = residentID
        self.name = name
        self.districtName = districtName
        self.lineUserID = lineUserID
    }

    /// The values filled from the resident record.
    var ownPlaceholderValues: [String: String] {
        var values: [String: String] = [:]
        if let name { values[ResidentPlaceholder.name] = name }
        if let districtName { values[ResidentPlaceholder.district] = districtName }
        return values
    }
}
