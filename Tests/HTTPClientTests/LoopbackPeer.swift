import Foundation
import HTTP
import TestSupport

/// The live server both client suites talk to: echoes that show what arrived, and a peer slow on purpose.
enum LoopbackPeer {
    static func start() throws -> LiveServer {
        var routes = Routes()
        routes.post("/echo/:id") { request in
            var response = Response.text("echo \(request.parameter("id")) \(request.body.count)")
            response.setHeader("X-Echo-Key", request.header("x-key") ?? "")
            return response
        }
        routes.post("/echo") { request in
            var response = Response.text(String(decoding: request.body, as: UTF8.self), status: 201)
            response.setHeader("X-Body-Length", "\(request.body.count)")
            return response
        }
        routes.get("/hello") { request in
            var response = Response.text("こんにちは \(request.header("x-greeting") ?? "-")")
            response.setHeader("X-Served-By", "live-server")
            return response
        }
        routes.get("/empty") { _ in .text("") }
        routes.post("/slow") { _ in
            // The peer is slow on purpose: this is what a timeout looks like from the client.
            Thread.sleep(forTimeInterval: 1)
            return .text("late")
        }
        return try LiveServer(routes: routes)
    }
}
