import Foundation
import HTTP
import Identity
import ServiceKit
import Store
import Web

/// The public ticket pages: the kiosk (no login), the printed ticket, the follow page at its unguessable URL,
/// and the board.
struct TicketRoutes: RouteCollection {
    let tickets: TicketWorkflow
    let authentication: Authentication
    let qrCode: @Sendable (String) -> Node?

    func register(in routes: inout Routes) {
        let auth = authentication
        routes.get("/board", showBoard)
        routes.get("/board.css", showBoardStylesheet)
        routes.get("/kiosk", auth.guest(showKiosk))
        routes.post("/kiosk/tickets", auth.guest(takeTicket))
        routes.get("/kiosk/tickets/:token", showPrintedTicket)
        routes.get("/tickets/:token", showFollowPage)
        routes.post("/tickets/:token/notify", auth.resident(notifyWhenNear))
    }

    // MARK: Handlers

    func showBoard(_ request: Request) throws -> Response { try tickets.boardResponse(to: request) }

    func showBoardStylesheet(_ request: Request) throws -> Response {
        TicketPages.boardStylesheet.response(to: request)
    }

    func showKiosk(_ request: Request, _ form: GuestForm) throws -> Response {
        TicketPages.kiosk(tickets.service, csrfToken: form.csrfToken).response()
    }

    func takeTicket(_ request: Request, _ form: GuestForm) throws -> Response {
        let category = try request.form()["category"] ?? ""
        let ticket = try tickets.issue(category: category, via: "kiosk", at: authentication.now())
        return .redirect(to: "/kiosk/tickets/\(ticket.followToken)")
    }

    func showPrintedTicket(_ request: Request) throws -> Response {
        guard let follow = try tickets.follow(token: request.parameter("token")) else { throw HTTPError.notFound }
        var response = TicketPages.printed(
            follow.ticket, follow: follow, service: tickets.service, qr: qrCode(followURL(follow.ticket, request))
        ).response()
        response.setHeader("Cache-Control", "no-store")
        return response
    }

    func showFollowPage(_ request: Request) throws -> Response {
        guard let follow = try tickets.follow(token: request.parameter("token")) else { throw HTTPError.notFound }
        let resident = try authentication.currentResident(request)
        var response = TicketPages.follow(follow, service: tickets.service, csrfToken: resident?.csrfToken).response()
        response.setHeader("Cache-Control", "no-store")
        return response
    }

    func notifyWhenNear(_ request: Request, _ resident: AuthenticatedResident) throws -> Response {
        let token = request.parameter("token")
        try tickets.linkResident(followToken: token, residentID: resident.id, at: authentication.now())
        return .redirect(to: "/tickets/\(token)")
    }

    func followURL(_ ticket: CounterTicket, _ request: Request) -> String {
        // Production sits behind TLS; only a loopback development server is reached over plain HTTP.
        let host = request.header("host") ?? "localhost"
        let local = host.hasPrefix("127.0.0.1") || host.hasPrefix("localhost")
        return (local ? "http://" : "https://") + "\(host)/tickets/\(ticket.followToken)"
    }
}
