import Cryptography
import Formats
import Foundation
import HTTP
import Security
import ServiceKit
import Store
import Synchronization

/// Counter tickets (待たない): issue, call, finish, move, follow, and the board. Each change is one write with
/// its usage event and any 「もうすぐ」 message, and then the board's bytes are rebuilt once, so `GET /board`
/// serves prepared bytes.
public final class TicketWorkflow: Sendable {
    public let database: Database
    public let service: CertificateService
    let board: Mutex<(date: String, representation: CachedRepresentation)?> = Mutex(nil)
    let now: @Sendable () -> Date
    /// A linked resident hears from us when this many tickets are ahead.
    public static let nearNoticeAhead = 3

    public init(database: Database, service: CertificateService, now: @escaping @Sendable () -> Date) {
        self.database = database
        self.service = service
        self.now = now
    }

    public struct CategoryState: Sendable, Equatable {
        public let category: CertificateService.Category
        public let waiting: [CounterTicket]
        public let recentServiceSeconds: [Double]
        public let openDesks: Int

        public func estimate(ahead: Int) -> Double {
            WaitEstimator.estimate(ahead: ahead, recentServiceSeconds: recentServiceSeconds, openDesks: openDesks)
        }
    }

    public struct BoardState: Sendable {
        public let serviceDate: String
        public let called: [CounterTicket]
        public let categories: [CategoryState]
    }

    func openDesks(_ category: String) -> Int {
        service.counters.filter { $0.categories.contains(category) }.count
    }

    public func state(serviceDate: String, on connection: Connection) throws -> BoardState {
        let categories = try service.categories.map { category in
            CategoryState(
                category: category,
                waiting: try TicketStore.fetchWaiting(
                    category: category.code, serviceDate: serviceDate, on: connection),
                recentServiceSeconds: try TicketStore.fetchRecentServiceSeconds(
                    category: category.code, limit: WaitEstimator.window, on: connection),
                openDesks: openDesks(category.code))
        }
        return BoardState(
            serviceDate: serviceDate, called: try TicketStore.fetchCalled(serviceDate: serviceDate, on: connection),
            categories: categories)
    }

    // MARK: Changes

    /// A new ticket at the kiosk or from a clerk; numbers restart each JST day per category.
    public func issue(category: String, via: String, at time: Date) throws -> CounterTicket {
        guard service.category(code: category) != nil else { throw CertificateStepRefused.notFound }
        let token = SecureRandom.token()
        let ticket = try database.write { connection in
            let id = try TicketStore.insertTicket(
                category: category, serviceDate: CalendarDate.today(at: time), followToken: token, via: via, at: time,
                on: connection)
            try UsageEvents.record(
                UsageEvent(
                    source: CertificatesModule.name, kind: "ticket_taken", channel: .counter,
                    person: .guest(record: "ticket", id: id), subjectCode: category),
                at: time, on: connection)
            guard let ticket = try TicketStore.fetchTicket(id: id, on: connection) else {
                throw CertificateStepRefused.notFound
            }
            return ticket
        }
        try refreshBoard(at: time)
        return ticket
    }

    /// 呼出: the oldest waiting ticket of the counter's categories, or nil when nobody waits.
    public func callNext(counter: Int, staffID: Int64?, at time: Date) throws -> CounterTicket? {
        guard let desk = service.counters.first(where: { $0.number == counter }) else {
            throw CertificateStepRefused.notFound
        }
        let today = CalendarDate.today(at: time)
        let called = try database.write { [self] connection -> CounterTicket? in
            guard
                let next = try TicketStore.fetchNextWaiting(
                    categories: desk.categories, serviceDate: today, on: connection),
                try TicketStore.markCalled(id: next.id, counter: counter, staffID: staffID, at: time, on: connection)
            else { return nil }
            try sendNearNotices(category: next.categoryCode, serviceDate: today, at: time, on: connection)
            return try TicketStore.fetchTicket(id: next.id, on: connection)
        }
        try refreshBoard(at: time)
        return called
    }

    public func finish(ticketID: Int64, as status: TicketStatus, at time: Date) throws {
        guard status == .done || status == .noShow else { throw CertificateStepRefused.invalid("終了か不在を選んでください。") }
        try database.write { connection in
            guard try TicketStore.markFinished(id: ticketID, status: status, at: time, on: connection) else {
                throw CertificateStepRefused.conflict("この番号札は呼び出し中ではありません。")
            }
        }
        try refreshBoard(at: time)
    }

    public func move(ticketID: Int64, to category: String, at time: Date) throws {
        guard service.category(code: category) != nil else { throw CertificateStepRefused.invalid("移す窓口を選んでください。") }
        try database.write { [self] connection in
            guard let ticket = try TicketStore.fetchTicket(id: ticketID, on: connection),
                try TicketStore.move(id: ticketID, to: category, on: connection)
            else { throw CertificateStepRefused.conflict("待っている番号札だけを移せます。") }
            try sendNearNotices(
                category: ticket.categoryCode, serviceDate: ticket.serviceDate, at: time, on: connection)
            try sendNearNotices(category: category, serviceDate: ticket.serviceDate, at: time, on: connection)
        }
        try refreshBoard(at: time)
    }

    /// A signed-in resident asks to hear (by LINE, through resident_messages) when their turn is near.
    public func linkResident(followToken: String, residentID: Int64, at time: Date) throws {
        try database.write { [self] connection in
            guard let ticket = try TicketStore.fetchTicket(followToken: followToken, on: connection),
                ticket.status == .waiting
            else { throw CertificateStepRefused.notFound }
            try TicketStore.linkResident(id: ticket.id, residentID: residentID, on: connection)
            try sendNearNotices(
                category: ticket.categoryCode, serviceDate: ticket.serviceDate, at: time, on: connection)
        }
    }

    /// The linked residents with at most `nearNoticeAhead` tickets before them get 「まもなく呼ばれます」 once.
    func sendNearNotices(category: String, serviceDate: String, at time: Date, on connection: Connection) throws {
        let waiting = try TicketStore.fetchWaiting(category: category, serviceDate: serviceDate, on: connection)
        for (ahead, ticket) in waiting.enumerated().prefix(Self.nearNoticeAhead + 1) {
            guard let residentID = ticket.residentID, try TicketStore.markNearNoticeSent(id: ticket.id, on: connection)
            else { continue }
            let number = ticket.displayNumber(service)
            try ResidentMessages.send(
                subject: "【番号札 \(number)】まもなく呼ばれます",
                body: "番号札 \(number) の前にお待ちの方は\(ahead)人です。窓口の近くでお待ちください。",
                to: residentID, source: CertificatesModule.name, recordID: nil, at: time, on: connection)
        }
    }

    // MARK: The board

    /// The board's bytes for today: rebuilt after every change and when the JST day turns, served as is.
    public func boardResponse(to request: Request) throws -> Response {
        let today = CalendarDate.today(at: now())
        if let cached = board.withLock({ $0 }), cached.date == today {
            return cached.representation.response(to: request)
        }
        return try refreshBoard(at: now()).response(to: request)
    }

    @discardableResult
    func refreshBoard(at time: Date) throws -> CachedRepresentation {
        let today = CalendarDate.today(at: time)
        let state = try database.read { try self.state(serviceDate: today, on: $0) }
        let representation = CachedRepresentation(
            body: TicketPages.board(state, service: service), contentType: "text/html; charset=utf-8",
            cacheControl: "no-cache")
        board.withLock { $0 = (today, representation) }
        return representation
    }

    public struct Follow: Sendable {
        public let ticket: CounterTicket
        public let ahead: Int
        public let estimateSeconds: Double
    }

    public func follow(token: String) throws -> Follow? {
        try database.read { connection in
            guard let ticket = try TicketStore.fetchTicket(followToken: token, on: connection) else { return nil }
            let state = try self.state(serviceDate: ticket.serviceDate, on: connection)
            guard let category = state.categories.first(where: { $0.category.code == ticket.categoryCode }) else {
                return Follow(ticket: ticket, ahead: 0, estimateSeconds: 0)
            }
            let ahead = category.waiting.firstIndex { $0.id == ticket.id } ?? 0
            return Follow(ticket: ticket, ahead: ahead, estimateSeconds: category.estimate(ahead: ahead))
        }
    }
}
