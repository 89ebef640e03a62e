import Formats
import Foundation
import ServiceKit
import Store

/// Usage events over last fiscal year and this one (up to today), so `make run`'s dashboard shows a trend on
/// first start, and last year's entered figures. The people are demo guests: they stand for nobody.
enum KPIDemoData {
    static func seed(database: Database, demo: DemoDataContext) throws -> [String] {
        let current = FiscalYear(containing: demo.now).startYear
        let previous = current - 1
        let already = try database.read { connection in
            try connection.queryFirst("SELECT 1 FROM usage_events WHERE fiscal_year = ? LIMIT 1", previous) != nil
        }
        guard !already else { return [] }
        let plan = events(previous: previous, current: current, now: demo.now)
        let staffID = demo.clerkID
        try database.write { connection in
            for (event, time) in plan { try UsageEvents.record(event, at: time, on: connection) }
            if let staffID {
                let figures: [(EnteredFigure, Int)] = [
                    (.printCost, 9_600), (.staffHeadcount, 172), (.homepageAccess, 664_000), (.population, 4_700),
                ]
                for (figure, value) in figures {
                    try KPIStore.insertFigure(
                        figure, value: value, fiscalYear: previous, staffID: staffID, at: demo.now, on: connection)
                }
            }
        }
        return ["KPI usage events added for \(previous)–\(current): \(plan.count)"]
    }

    /// A fixed pseudo-random plan: more people online each month, a class every other month in turn by
    /// district, payments mostly online.
    static func events(previous: Int, current: Int, now: Date) -> [(UsageEvent, Date)] {
        var generator = DemoRandom(seed: 20_260_401)
        var plan: [(UsageEvent, Date)] = []
        let districts = ["biratori", "furenai", "nukibetsu"]
        var person: Int64 = 0
        var session: Int64 = 0
        for (yearIndex, year) in [previous, current].enumerated() {
            for monthIndex in 0..<12 {
                let month = (monthIndex + 3) % 12 + 1
                let calendarYear = month >= 4 ? year : year + 1
                func instant(_ day: Int, _ hour: Int) -> Date? {
                    guard
                        let start = JapanTime.startOfDay(CalendarDate.text(year: calendarYear, month: month, day: day))
                    else { return nil }
                    let time = start.addingTimeInterval(Double(hour) * 3600)
                    return time < now ? time : nil
                }
                let people = 8 + yearIndex * 10 + monthIndex + Int(generator.next() % 6)
                for _ in 0..<people {
                    person += 1
                    // About a third come back later in the year and are counted once.
                    let who =
                        generator.next() % 3 == 0 && person > 10 ? Int64(generator.next() % UInt64(person)) + 1 : person
                    guard let time = instant(Int(generator.next() % 28) + 1, 8 + Int(generator.next() % 12)) else {
                        continue
                    }
                    let channel: UsageChannel = generator.next() % 4 == 0 ? .line : .web
                    let pages = [1, 2, 2, 4, 5][Int(generator.next() % 5)]
                    plan.append(
                        (
                            UsageEvent(
                                source: "applications", kind: "submitted", channel: channel,
                                person: .guest(record: "demo", id: who), subjectCode: "water-start", paperPages: pages),
                            time
                        ))
                    if generator.next() % 3 == 0 {
                        plan.append(
                            (
                                UsageEvent(
                                    source: "payments", kind: "paid",
                                    channel: generator.next() % 5 == 0 ? .counter : .web,
                                    person: .guest(record: "demo", id: who), subjectCode: "credit_card"),
                                time.addingTimeInterval(600)
                            ))
                    }
                }
                if monthIndex % 2 == 1, let time = instant(15, 10) {
                    session += 1
                    let district = districts[Int(session) % districts.count]
                    plan.append(
                        (
                            UsageEvent(
                                source: "classes", kind: "session_held", channel: .counter,
                                person: .guest(record: "class_session", id: session), subjectCode: "smartphone-basics",
                                districtCode: district), time
                        ))
                    for attendee in 0..<Int64(6 + generator.next() % 5) {
                        plan.append(
                            (
                                UsageEvent(
                                    source: "classes", kind: "attended", channel: .counter,
                                    person: .guest(record: "demo-attendee", id: attendee + session * 3),
                                    subjectCode: "smartphone-basics", districtCode: district), time
                            ))
                        plan.append(
                            (
                                UsageEvent(
                                    source: "classes", kind: "survey_answered", channel: .counter,
                                    person: .guest(record: "demo-attendee", id: attendee + session * 3),
                                    subjectCode: "satisfaction-\(3 + Int(generator.next() % 3))"),
                                time.addingTimeInterval(3600)
                            ))
                    }
                }
            }
        }
        return plan
    }
}

/// SplitMix64: the same demo data on every machine.
struct DemoRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}
