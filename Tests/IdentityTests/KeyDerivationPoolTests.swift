import App
import Foundation
import Identity
import TestSupport
import Testing

/// The bounded password-derivation pool over HTTP. The test holds the pool's only slot itself, so the server's
/// answers depend on the pool's state, never on timing.
@Suite("Key derivation under a login flood")
struct KeyDerivationPoolTests {
    /// Occupies every slot of `pool` until `release()`.
    final class SlotHolder: @unchecked Sendable {
        private let entered = DispatchSemaphore(value: 0)
        private let released = DispatchSemaphore(value: 0)
        private let finished = DispatchSemaphore(value: 0)

        init(_ pool: KeyDerivationPool) {
            for _ in 0..<pool.limits.workers {
                Thread.detachNewThread { [self] in
                    _ = try? pool.run {
                        entered.signal(); released.wait()
                    }
                    finished.signal()
                }
            }
            for _ in 0..<pool.limits.workers { entered.wait() }
        }

        func release(_ pool: KeyDerivationPool) {
            for _ in 0..<pool.limits.workers { released.signal() }
            for _ in 0..<pool.limits.workers { finished.wait() }
        }
    }

    /// Waits until `count` callers are queued in the pool (the requests sent on other threads got there).
    private func waitUntilWaiting(_ pool: KeyDerivationPool, _ count: Int) -> Bool {
        for _ in 0..<1_000 {
            if pool.statistics.waiting >= count { return true }
            usleep(5_000)
        }
        return false
    }

    private func loginBody(_ loginID: String, _ password: String) -> String {
        #"{"login_id":"\#(loginID)","password":"\#(password)"}"#
    }

    @Test func aFullQueue_answers503WithRetryAfter_inJapanese_countedInMetrics_andFreesAtOnce() throws {
        let app = try TestApplication { $0.keyDerivationLimits = KeyDerivationPool.Limits(workers: 1, queueLimit: 0) }
        try Fixtures.makeResident(app.database)
        let pool = app.application.identity.keyDerivation
        let holder = SlotHolder(pool)

        let browser = app.browser()
        _ = try browser.get("/login")
        let page = try browser.submit(
            "/login", form: [("login_id", Fixtures.residentLoginID), ("password", Fixtures.residentPassword)])
        #expect(page.status == 503)
        #expect(Int(page.headers["retry-after"] ?? "").map { $0 >= 1 } == true, "Retry-After in seconds")
        #expect(page.text.contains("ただいまログインが大変混み合っています。"))

        let api = try app.browser().json(
            "POST", "/api/v1/sessions", body: loginBody(Fixtures.residentLoginID, Fixtures.residentPassword))
        #expect(api.status == 503)
        #expect(api.headers["retry-after"] != nil)
        #expect((api.jsonObject?["error"] as? [String: Any])?["code"] as? String == "busy")

        let metrics = try app.request("GET", "/metrics").text
        #expect(metrics.contains("madoguchi_key_derivation_refused_total 2\n"))

        holder.release(pool)
        _ = try browser.get("/login")
        let signedIn = try browser.submit(
            "/login", form: [("login_id", Fixtures.residentLoginID), ("password", Fixtures.residentPassword)])
        #expect(signedIn.status == 303, "a refusal leaves nothing behind: the next login goes through")
    }

    @Test func aResidentWhoSignedInBefore_waitsInTheirOwnLane_whileStrangersFillTheQueue() throws {
        let app = try TestApplication { $0.keyDerivationLimits = KeyDerivationPool.Limits(workers: 1, queueLimit: 1) }
        try Fixtures.makeResident(app.database)
        let pool = app.application.identity.keyDerivation

        // An earlier sign-in on this phone left the known-device cookie (sent before the session cookie).
        let connection = try RawConnection(port: app.application.server.port)
        let body = loginBody(Fixtures.residentLoginID, Fixtures.residentPassword)
        connection.send(
            "POST /api/v1/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)")
        let raw = connection.readAll()
        let deviceLine = try #require(
            raw.split(separator: "\r\n").first { $0.lowercased().hasPrefix("set-cookie: __host-madoguchi-device=") })
        let device = try #require(SetCookie.parse(String(deviceLine.dropFirst("Set-Cookie: ".count))))
        #expect(device.has("HttpOnly") && device.has("Secure") && device.attributes["max-age"] != nil)

        let holder = SlotHolder(pool)
        // A stranger's login waits in the ordinary queue and fills it; the next stranger is refused.
        let strangerDone = DispatchSemaphore(value: 0)
        let baseURL = app.baseURL
        Thread.detachNewThread {
            _ = try? Browser(baseURL: baseURL).json(
                "POST", "/api/v1/sessions", body: loginBody("stranger@example.jp", "guess"))
            strangerDone.signal()
        }
        #expect(waitUntilWaiting(pool, 1))
        let refused = try app.browser().json(
            "POST", "/api/v1/sessions", body: loginBody("other@example.jp", "guess"))
        #expect(refused.status == 503)
        // Without the cookie the resident is a stranger too.
        let withoutCookie = try app.browser().json("POST", "/api/v1/sessions", body: body)
        #expect(withoutCookie.status == 503)

        // With it, the resident signs in on the known-device lane's own slot, while the strangers' slot is
        // still taken and their queue still full.
        let resident = Browser(baseURL: baseURL)
        resident.setCookie(device.name, device.value)
        let signedIn = try resident.json("POST", "/api/v1/sessions", body: body)
        #expect(signedIn.status == 201)
        #expect(pool.statistics.waiting == 1, "the stranger still waits for the ordinary slot")
        holder.release(pool)
        strangerDone.wait()
    }

    @Test func residentsOnKnownDevices_queueInTheirLane_andAreRefusedBeyondIt() throws {
        let pool = KeyDerivationPool(limits: KeyDerivationPool.Limits(workers: 1, queueLimit: 1))
        let entered = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let done = DispatchSemaphore(value: 0)
        // One resident deriving, one waiting: the lane is full, and a third is refused with 503.
        for _ in 0..<2 {
            Thread.detachNewThread {
                _ = try? pool.run(lane: .knownDevice) {
                    entered.signal()
                    release.wait()
                }
                done.signal()
            }
        }
        entered.wait()
        #expect(waitUntilWaiting(pool, 1))
        #expect(throws: KeyDerivationBusy.self) { try pool.run(lane: .knownDevice) {} }
        // The ordinary lane is not theirs to fill: a stranger still gets the ordinary slot at once.
        #expect((try? pool.run(lane: .ordinary) { 7 }) == 7)
        release.signal()
        entered.wait()
        release.signal()
        done.wait()
        done.wait()
        #expect(pool.statistics.running == 0 && pool.statistics.waiting == 0)
    }
}

/// A value set on one thread and read on another.
final class LockedValue<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func set(_ newValue: Value) { lock.withLock { value = newValue } }
    func get() -> Value { lock.withLock { value } }
}
