import Formats
import Foundation

/// The service configuration beside the types (`Schemas/certificate_service.json`): the counter's hours, the
/// counters and their ticket categories. Validated at start-up like the types.
public struct CertificateService: Codable, Sendable, Equatable {
    public struct Hours: Codable, Sendable, Equatable {
        /// `08:45` in JST.
        public let opens: String
        public let closes: String
    }

    public struct Counter: Codable, Sendable, Equatable {
        public let number: Int
        public let name: String
        public let categories: [String]
    }

    public struct Category: Codable, Sendable, Equatable {
        public let code: String
        public let name: String
        /// One capital letter before the ticket number, so two categories' numbers never look alike.
        public let prefix: String
    }

    public let serviceHours: Hours
    public let counters: [Counter]
    public let categories: [Category]

    enum CodingKeys: String, CodingKey {
        case counters, categories
        case serviceHours = "service_hours"
    }

    public func category(code: String) -> Category? { categories.first { $0.code == code } }

    public static func load(file: URL, types: CertificateCatalog) throws -> CertificateService {
        let name = file.lastPathComponent
        let service: CertificateService
        do {
            service = try DefinitionFile.decode(CertificateService.self, from: file)
        } catch let problem as DefinitionProblem {
            throw CertificateDefinitionError(file: name, path: problem.path, message: problem.message)
        }
        if let (path, message) = service.problem(types: types) {
            throw CertificateDefinitionError(file: name, path: path, message: message)
        }
        return service
    }

    func problem(types: CertificateCatalog) -> (String, String)? {
        guard let opens = ServiceCalendar.minutes(serviceHours.opens) else {
            return ("service_hours.opens", "must be HH:MM")
        }
        guard let closes = ServiceCalendar.minutes(serviceHours.closes), closes > opens else {
            return ("service_hours.closes", "must be HH:MM after opens")
        }
        if categories.isEmpty { return ("categories", "must list at least one category") }
        var codes: Set<String> = []
        for (index, category) in categories.enumerated() {
            if !CertificateCatalog.isCode(category.code) { return ("categories[\(index)].code", "must be a code") }
            if !codes.insert(category.code).inserted { return ("categories[\(index)].code", "is defined twice") }
            if category.prefix.count != 1 || !category.prefix.unicodeScalars.allSatisfy({ ("A"..."Z").contains($0) }) {
                return ("categories[\(index)].prefix", "must be one capital letter")
            }
        }
        for (index, counter) in counters.enumerated() {
            for category in counter.categories where !codes.contains(category) {
                return ("counters[\(index)].categories", "\(category) is not a category")
            }
        }
        for type in types.types where !codes.contains(type.counterCategory) {
            return ("categories", "has no \(type.counterCategory), which \(type.code).json names")
        }
        return nil
    }
}

/// When the counter is open: weekdays within the service hours, except 12/29–1/3 and the dates an admin
/// closed (stored in `certificate_closed_dates`). All in JST.
public struct ServiceCalendar: Sendable, Equatable {
    /// Minutes after midnight JST.
    public let opensAt: Int
    public let closesAt: Int
    /// `YYYY-MM-DD` dates an admin closed (庁舎点検, 選挙事務…).
    public let closedDates: Set<String>

    public init(opensAt: Int, closesAt: Int, closedDates: Set<String> = []) {
        self.opensAt = opensAt
        self.closesAt = closesAt
        self.closedDates = closedDates
    }

    public init(hours: CertificateService.Hours, closedDates: Set<String>) {
        self.init(
            opensAt: Self.minutes(hours.opens) ?? 525, closesAt: Self.minutes(hours.closes) ?? 1050,
            closedDates: closedDates)
    }

    static func minutes(_ text: String) -> Int? {
        let parts = text.split(separator: ":")
        guard parts.count == 2, parts[0].count == 2, parts[1].count == 2, let hour = Int(parts[0]),
            let minute = Int(parts[1]), (0..<24).contains(hour), (0..<60).contains(minute)
        else { return nil }
        return hour * 60 + minute
    }

    /// 0 = Sunday … 6 = Saturday.
    static func weekday(_ date: String) -> Int? {
        guard let midnight = CalendarDate.utcMidnight(date) else { return nil }
        let days = Int((midnight.timeIntervalSince1970 / 86_400).rounded(.down))
        return ((days + 4) % 7 + 7) % 7
    }

    /// Why the counter is closed on `date`, or nil when it is open.
    public func closedReason(_ date: String) -> String? {
        guard let weekday = Self.weekday(date) else { return "日付が正しくありません" }
        if ["12-29", "12-30", "12-31", "01-01", "01-02", "01-03"].contains(date.suffix(5)) {
            return "年末年始（12月29日〜1月3日）は閉庁日です"
        }
        if weekday == 0 || weekday == 6 { return "土曜・日曜は閉庁日です" }
        if closedDates.contains(date) { return "この日は閉庁日です" }
        return nil
    }

    public func isOpenDay(_ date: String) -> Bool { closedReason(date) == nil }

    /// The first open day on or after `date`.
    public func firstOpenDay(onOrAfter date: String) -> String {
        var day = date
        for _ in 0..<60 where !isOpenDay(day) { day = CalendarDate.adding(days: 1, to: day) }
        return day
    }

    /// The instant `minutes` of open counter time after `start`: time outside the hours and on closed days does
    /// not count, so a request made on Friday evening is ready on Monday morning.
    public func adding(serviceMinutes minutes: Int, to start: Date) -> Date {
        var remaining = minutes
        var day = CalendarDate.today(at: start)
        let startOfDay = JapanTime.startOfDay(day) ?? start
        var minuteOfDay = Int((start.timeIntervalSince(startOfDay) / 60).rounded(.up))
        for _ in 0..<400 {
            if isOpenDay(day) {
                let from = max(minuteOfDay, opensAt)
                if from < closesAt {
                    let available = closesAt - from
                    if remaining <= available {
                        let midnight = JapanTime.startOfDay(day) ?? start
                        return midnight.addingTimeInterval(Double(from + remaining) * 60)
                    }
                    remaining -= available
                }
            }
            day = CalendarDate.adding(days: 1, to: day)
            minuteOfDay = 0
        }
        return start.addingTimeInterval(Double(minutes) * 60)
    }

    /// The instant the counter opens on `date`.
    public func opening(of date: String) -> Date? {
        JapanTime.startOfDay(date).map { $0.addingTimeInterval(Double(opensAt) * 60) }
    }
}
