import Foundation
import HTTP
import HTTPClient
import TestSupport
import Testing

/// Large request bodies in memory are bounded server-wide. One held upload fills the (test-sized) budget, so
/// the answers depend on the budget's state, not on timing.
@Suite("Large request bodies share one memory budget")
struct RequestBodyBudgetTests {
    private func routes(gate: SlowGate) -> Routes {
        var routes = Routes()
        routes.post("/upload/hold", maximumBodyBytes: 1_048_576) { request in
            gate.enteredAndWait()
            return .text("held \(request.body.count)", status: 201)
        }
        routes.post("/upload", maximumBodyBytes: 1_048_576) { request in .text("got \(request.body.count)") }
        return routes
    }

    @Test func beyondTheBudget_a503WithRetryAfter_beforeTheBodyIsRead_andRoomAgainOnceTheHeldOneEnds() throws {
        let gate = SlowGate()
        let live = try LiveServer(routes: routes(gate: gate)) {
            $0.largeBodyThresholdBytes = 1_024
            $0.largeBodyBudgetBytes = 4_096
        }
        let held = AsyncResponse { try live.request("POST", "/upload/hold", body: Data(count: 3_000)) }
        gate.waitUntilEntered()

        let refused = try live.request("POST", "/upload", body: Data(count: 2_000))
        #expect(refused.status == 503)
        #expect(refused.headers["retry-after"] == "2")
        #expect(refused.text.contains("ただいま大きな送信が集中しています。"))
        let small = try live.request("POST", "/upload", body: Data(count: 1_000))
        #expect(small.status == 200 && small.text == "got 1000", "bodies under the threshold are not counted")
        let fits = try live.request("POST", "/upload", body: Data(count: 1_096))
        #expect(fits.status == 200, "what is left of the budget is usable")

        gate.release()
        #expect(try held.wait().text == "held 3000")
        // The reservation ends with the request, which the server logs right after.
        _ = live.logLines.waitForLines { $0.contains("/upload/hold") }
        let again = try live.request("POST", "/upload", body: Data(count: 4_000))
        #expect(again.status == 200 && again.text == "got 4000", "the held body's reservation was released")
    }

    @Test func aBodyLargerThanTheWholeBudget_goesThroughAlone() throws {
        let live = try LiveServer(routes: routes(gate: SlowGate())) {
            $0.largeBodyThresholdBytes = 1_024
            $0.largeBodyBudgetBytes = 4_096
        }
        let response = try live.request("POST", "/upload", body: Data(count: 10_000))
        #expect(response.status == 200 && response.text == "got 10000")
    }
}
