import Foundation
import Notices
import Store
import TestSupport

/// Factories for notices tests: a migrated database with districts, residents and LINE links.
enum NoticesFixtures {
    static let start = Date(timeIntervalSince1970: 1_775_001_600)  // 2026-04-01T00:00:00Z
    static let districts = [("hiratori", "平取", "びらとり"), ("furenai", "振内", "ふれない"), ("nukibetsu", "貫気別", "ぬきべつ")]

    /// A database built by the real migrations, with the three demo districts.
    static func makeDatabase(in directory: TemporaryDirectory, name: String = "notices.sqlite") throws -> Database {
        let database = try Fixtures.makeDatabase(in: directory, name: name)
        try database.write { connection in
            for (index, district) in districts.enumerated() {
                try connection.run(
                    "INSERT OR IGNORE INTO districts (code, name, kana, sort_order) VALUES (?, ?, ?, ?)", district.0,
                    district.1, district.2, index)
            }
        }
        return database
    }

    /// A LINE user id in LINE's shape: `U` and 32 hex digits.
    static func lineUserID(_ number: Int) -> String {
        "U" + String(repeating: "0", count: 32 - String(number, radix: 16).count) + String(number, radix: 16)
    }

    /// Inserts `count` residents in `district`; those with `linked(index)` true get an active LINE link with
    /// `lineUserID(firstNumber + index)`. Returns their ids in order.
    @discardableResult
    static func insertResidents(
        _ database: Database, count: Int, district: String = "hiratori", firstNumber: Int = 1,
        linked: @escaping @Sendable (Int) -> Bool = { _ in true }
    ) throws -> [Int64] {
        try database.write { connection in
            var ids: [Int64] = []
            for index in 0..<count {
                let number = firstNumber + index
                try connection.run(
                    """
                    INSERT INTO residents (login_id, full_name, full_name_kana, birth_date, postal_code, address,
                        district_code, phone, contact_channel, registered_via, created_at, updated_at)
                    VALUES (?, ?, ?, '1950-04-01', '055-0101', ?, ?, '01457000000', 'line', 'web', ?, ?)
                    """, "resident\(number)@example.jp", "町民\(number)", "ちょうみん\(number)", "平取町本町\(number)",
                    district, start, start)
                let id = connection.lastInsertRowID
                ids.append(id)
                if linked(index) {
                    try connection.run(
                        """
                        INSERT INTO line_links (resident_id, line_user_id, active, linked_at, linked_by)
                        VALUES (?, ?, 1, ?, 'resident')
                        """, id, lineUserID(number), start)
                }
            }
            return ids
        }
    }

    static func draft(
        _ audience: Audience, messages: [String] = ["お知らせ: 窓口は{日時}に開きます。"],
        values: [String: String] = ["日時": "4月1日 9時"], sendAt: Date? = nil
    ) -> NoticeDraft {
        NoticeDraft(
            title: "窓口のお知らせ", messages: messages, placeholderValues: values, audience: audience, sendAt: sendAt,
            createdBy: "staff:1")
    }
}

/// A wall clock tests move by hand.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date

    init(_ start: Date = NoticesFixtures.start) {
        current = start
    }

    var now: Date { lock.withLock { current } }

    func advance(by seconds: TimeInterval) {
        lock.withLock { current = current.addingTimeInterval(seconds) }
    }

    /// For `clock:` parameters.
    var function: @Sendable () -> Date { { [self] in now } }
}
