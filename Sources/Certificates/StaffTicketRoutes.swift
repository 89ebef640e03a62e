import Formats
import Foundation
import HTTP
import Identity
import ServiceKit
import Web

/// The counter clerks' ticket page: 呼出 per counter, 終了 / 不在, moving a waiting ticket, issuing one.
struct StaffTicketRoutes: RouteCollection {
    let tickets: TicketWorkflow
    let authentication: Authentication

    func register(in routes: inout Routes) {
        let auth = authentication
        routes.get("/staff/tickets", auth.staff(showTickets))
        routes.post("/staff/tickets", auth.staff(issueTicket))
        routes.post("/staff/tickets/call-next", auth.staff(callNext))
        routes.post("/staff/tickets/:id/finish", auth.staff(finishTicket))
        routes.post("/staff/tickets/:id/move", auth.staff(moveTicket))
    }

    // MARK: Handlers

    func showTickets(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let today = CalendarDate.today(at: authentication.now())
        let state = try tickets.database.read { try tickets.state(serviceDate: today, on: $0) }
        return StaffTicketPages.page(state, service: tickets.service, staff: staff).response()
    }

    func issueTicket(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        _ = try tickets.issue(category: try request.form()["category"] ?? "", via: "staff", at: authentication.now())
        return .redirect(to: "/staff/tickets")
    }

    func callNext(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let counter = Int(try request.form()["counter"] ?? "") ?? 0
        _ = try tickets.callNext(counter: counter, staffID: staff.id, at: authentication.now())
        return .redirect(to: "/staff/tickets")
    }

    func finishTicket(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let status = TicketStatus(rawValue: try request.form()["status"] ?? "") ?? .waiting
        try tickets.finish(ticketID: try request.idParameter(), as: status, at: authentication.now())
        return .redirect(to: "/staff/tickets")
    }

    func moveTicket(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        try tickets.move(
            ticketID: try request.idParameter(), to: try request.form()["category"] ?? "", at: authentication.now())
        return .redirect(to: "/staff/tickets")
    }
}

enum StaffTicketPages {
    static func page(_ state: TicketWorkflow.BoardState, service: CertificateService, staff: AuthenticatedStaff) -> Page
    {
        var page = Page(title: "番号札の呼び出し", siteName: Page.staffSiteName, homePath: "/staff/") {
            el("h1") { "番号札の呼び出し" }
            for counter in service.counters {
                el("section", .class("counter")) {
                    el("h2") { counter.name }
                    if let called = state.called.first(where: { $0.counterNumber == counter.number }) {
                        el("p") { "呼び出し中：\(called.displayNumber(service))" }
                        Form.post(action: "/staff/tickets/\(called.id)/finish", csrfToken: staff.csrfToken) {
                            Form.hidden(name: "status", value: "done")
                            Form.submit("終了")
                        }
                        Form.post(action: "/staff/tickets/\(called.id)/finish", csrfToken: staff.csrfToken) {
                            Form.hidden(name: "status", value: "no_show")
                            Form.submit("不在", secondary: true)
                        }
                    }
                    Form.post(action: "/staff/tickets/call-next", csrfToken: staff.csrfToken) {
                        Form.hidden(name: "counter", value: String(counter.number))
                        Form.submit("次の方を呼び出す")
                    }
                }
            }
            el("h2") { "お待ちの方" }
            for category in state.categories {
                el("h3") { "\(category.category.name)（\(category.waiting.count)人）" }
                el("ul") {
                    for ticket in category.waiting {
                        el("li") {
                            ticket.displayNumber(service)
                            Form.post(action: "/staff/tickets/\(ticket.id)/move", csrfToken: staff.csrfToken) {
                                Form.select(
                                    name: "category", id: "move-\(ticket.id)", label: "移す先",
                                    options: service.categories.filter { $0.code != category.category.code }.map {
                                        FormOption($0.code, $0.name)
                                    }, placeholder: nil)
                                Form.submit("移す", secondary: true)
                            }
                        }
                    }
                }
            }
            el("h2") { "番号札を発行する" }
            for category in service.categories {
                Form.post(action: "/staff/tickets", csrfToken: staff.csrfToken) {
                    Form.hidden(name: "category", value: category.code)
                    Form.submit("\(category.name)の番号札", secondary: true)
                }
            }
        }
        page.wide = true
        return page
    }
}

/// The ticket data as JSON: `/api/v1/tickets` is the board (public, no personal data), `/api/v1/tickets/{token}`
/// one ticket's position and estimate.
struct TicketAPIRoutes: RouteCollection {
    let tickets: TicketWorkflow
    let authentication: Authentication

    func register(in routes: inout Routes) {
        routes.get("/api/v1/tickets", showBoard)
        routes.get("/api/v1/tickets/:token", showTicket)
    }

    func showBoard(_ request: Request) throws -> Response {
        let today = CalendarDate.today(at: authentication.now())
        let state = try tickets.database.read { try tickets.state(serviceDate: today, on: $0) }
        let service = tickets.service
        return try .json(
            BoardJSON(
                service_date: today,
                counters: service.counters.map { counter in
                    BoardJSON.Counter(
                        number: counter.number, name: counter.name,
                        calling: state.called.first { $0.counterNumber == counter.number }?.displayNumber(service))
                },
                categories: state.categories.map {
                    BoardJSON.Category(
                        code: $0.category.code, name: $0.category.name, waiting: $0.waiting.count,
                        estimated_wait_seconds: Int($0.estimate(ahead: $0.waiting.count)))
                }))
    }

    func showTicket(_ request: Request) throws -> Response {
        guard let follow = try tickets.follow(token: request.parameter("token")) else { throw HTTPError.notFound }
        var response = try Response.json(
            TicketJSON(
                number: follow.ticket.displayNumber(tickets.service), category: follow.ticket.categoryCode,
                status: follow.ticket.status.rawValue, ahead: follow.ahead,
                estimated_wait_seconds: Int(follow.estimateSeconds), counter: follow.ticket.counterNumber))
        response.setHeader("Cache-Control", "no-store")
        return response
    }
}

struct BoardJSON: Encodable {
    struct Counter: Encodable {
        let number: Int
        let name: String
        let calling: String?
    }
    struct Category: Encodable {
        let code: String
        let name: String
        let waiting: Int
        let estimated_wait_seconds: Int
    }
    let service_date: String
    let counters: [Counter]
    let categories: [Category]
}

struct TicketJSON: Encodable {
    let number: String
    let category: String
    let status: String
    let ahead: Int
    let estimated_wait_seconds: Int
    let counter: Int?
}
