import Formats
import Foundation
import ServiceKit
import Store

/// Did a class change anything afterwards? Of a fiscal year's attendees, how many linked LINE, or made their
/// first online application or certificate request, within 90 days of attending: read from `usage_events` by
/// the attendee's pseudonymous key, so it needs nothing from the other modules but their usage events.
///
/// Only attendees with a resident record can be followed: a caller who signed up by phone has no key until
/// staff link their signup to a resident record. They are counted as attendees and shown apart.
public struct ClassOutcomes: Sendable, Equatable {
    public static let window: TimeInterval = 90 * 86_400

    public struct Row: Sendable, Equatable {
        public let code: String
        public var attendees = 0
        /// Attendees with a resident record: the ones attribution can follow.
        public var followed = 0
        /// Attendees known by phone only.
        public var phoneOnly = 0
        public var linkedLINE = 0
        public var firstApplication = 0
        public var firstCertificateRequest = 0
        /// Any of the three.
        public var anyOutcome = 0
    }

    public let fiscalYear: FiscalYear
    public var total: Row
    public var byTheme: [Row]
    public var byDistrict: [Row]

    struct Attendance {
        let residentID: Int64?
        let signupID: Int64
        let at: Date
        let theme: String
        let district: String
    }

    struct Event {
        let source: String
        let kind: String
        let at: Date
    }

    public static func compute(fiscalYear: FiscalYear, on connection: Connection) throws -> ClassOutcomes {
        guard let from = JapanTime.startOfDay(fiscalYear.firstDay),
            let lastDay = JapanTime.startOfDay(fiscalYear.lastDay)
        else { throw ClassStepRefused.invalid("年度が正しくありません。") }
        var attendances: [Attendance] = []
        for session in try ClassStore.fetchHeldSessions(
            fiscalYearStart: from, end: lastDay.addingTimeInterval(86_400), on: connection)
        {
            for signup in try ClassStore.fetchSignups(sessionID: session.id, on: connection)
            where signup.status == .confirmed && signup.attended == true {
                attendances.append(
                    Attendance(
                        residentID: signup.residentID, signupID: signup.id, at: session.startsAt,
                        theme: session.themeCode, district: session.districtCode))
            }
        }
        var events: [Int64: [Event]] = [:]
        for residentID in Set(attendances.compactMap(\.residentID)) {
            events[residentID] = try fetchEvents(residentID: residentID, on: connection)
        }
        func row(_ code: String, _ items: [Attendance]) -> Row {
            var row = Row(code: code)
            // One person once per group, from their first class in it.
            var first: [Int64: Date] = [:]
            for item in items {
                guard let residentID = item.residentID else {
                    row.phoneOnly += 1
                    continue
                }
                first[residentID] = min(first[residentID] ?? item.at, item.at)
            }
            row.followed = first.count
            row.attendees = row.followed + row.phoneOnly
            for (residentID, attendedAt) in first {
                let outcome = Outcome(events: events[residentID] ?? [], attendedAt: attendedAt)
                if outcome.linkedLINE { row.linkedLINE += 1 }
                if outcome.firstApplication { row.firstApplication += 1 }
                if outcome.firstCertificateRequest { row.firstCertificateRequest += 1 }
                if outcome.any { row.anyOutcome += 1 }
            }
            return row
        }
        let themes = Dictionary(grouping: attendances, by: \.theme)
        let districts = Dictionary(grouping: attendances, by: \.district)
        return ClassOutcomes(
            fiscalYear: fiscalYear, total: row("total", attendances),
            byTheme: themes.keys.sorted().map { row($0, themes[$0] ?? []) },
            byDistrict: districts.keys.sorted().map { row($0, districts[$0] ?? []) })
    }

    struct Outcome {
        let linkedLINE: Bool
        let firstApplication: Bool
        let firstCertificateRequest: Bool
        var any: Bool { linkedLINE || firstApplication || firstCertificateRequest }

        /// The window is [class start, class start + 90 days], both ends included: a resident who links LINE
        /// during a LINE class counts. "First" means no such act before the class.
        init(events: [Event], attendedAt: Date) {
            let end = attendedAt.addingTimeInterval(ClassOutcomes.window)
            func inWindow(_ event: Event) -> Bool { event.at >= attendedAt && event.at <= end }
            func first(_ source: String, _ kind: String) -> Bool {
                let matching = events.filter { $0.source == source && $0.kind == kind }
                guard let earliest = matching.min(by: { $0.at < $1.at }) else { return false }
                return inWindow(earliest)
            }
            linkedLINE = events.contains { $0.source == "notices" && $0.kind == "line_linked" && inWindow($0) }
            firstApplication = first("applications", "submitted")
            firstCertificateRequest = first("certificates", "requested")
        }
    }

    /// The resident's online acts that count as outcomes: a LINE link, and applications and certificate
    /// requests made on the web or through LINE (a clerk's counter entry is not the resident going online).
    static func fetchEvents(residentID: Int64, on connection: Connection) throws -> [Event] {
        let key = try UsageEvents.personKey(.resident(id: residentID), at: Date(), on: connection)
        return try connection.query(eventsOfPersonSQL, key).map {
            Event(source: try $0.get("source"), kind: try $0.get("kind"), at: try $0.get("occurred_at"))
        }
    }

    /// By `resident_key` alone the only index, `usage_events_by_year (fiscal_year, resident_key)`, cannot be
    /// searched, so every attendee cost a scan of the whole table: 105 ms at a million events (sqlite3 CLI,
    /// six fiscal years), ten seconds for a year of about a hundred attendees. Listing every fiscal year from
    /// the first event's to the last's makes it one index search per year, under 1 ms; an index of its own on
    /// `resident_key` would have cost every usage event written another entry.
    static let eventsOfPersonSQL = """
        WITH RECURSIVE years(year) AS (
            SELECT (SELECT MIN(fiscal_year) FROM usage_events)
            UNION ALL
            SELECT year + 1 FROM years WHERE year < (SELECT MAX(fiscal_year) FROM usage_events))
        SELECT source, kind, occurred_at FROM usage_events
        WHERE fiscal_year IN (SELECT year FROM years) AND resident_key = ?
          AND ((source = 'notices' AND kind = 'line_linked')
            OR (source = 'applications' AND kind = 'submitted' AND (channel = 'web' OR channel = 'line'))
            OR (source = 'certificates' AND kind = 'requested' AND (channel = 'web' OR channel = 'line')))
        """
}
