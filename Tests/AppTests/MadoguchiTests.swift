import App
import Cryptography
import Foundation
import HTTP
import HTTPClient
import Notices
import Security
import ServiceKit
import Store
import TestSupport
import Testing
import Web

/// The wired application on a temp database and an ephemeral port.
final class RunningApplication: @unchecked Sendable {
    let directory = TemporaryDirectory()
    let application: Madoguchi
    let logLines = LogCapture()

    init(benchRoutes: Bool = false, lineChannelSecret: String? = nil, kpiCatchUpInterval: TimeInterval? = 60) throws {
        var configuration = AppConfiguration(
            databasePath: directory.path("app.sqlite"), host: "127.0.0.1", port: 0,
            schemasDirectory: RepositoryPaths.schemas, workerThreads: 4)
        configuration.benchRoutes = benchRoutes
        configuration.kpiCatchUpInterval = kpiCatchUpInterval
        configuration.lineChannelSecret = lineChannelSecret.map(ChannelSecret.init)
        let capture = logLines
        application = try Madoguchi(
            configuration: configuration, logger: Logger(minimumLevel: .info, sink: { capture.append($0) }))
        try application.start()
    }

    deinit {
        application.shutdown()
    }

    func request(_ method: String, _ path: String, headers: [(String, String)] = [], body: Data? = nil) throws
        -> EasyHandle.Response
    {
        try EasyHandle().perform(
            method: method, url: "http://127.0.0.1:\(application.server.port)\(path)", headers: headers, body: body)
    }
}

@Suite("Server wiring over HTTP")
struct ApplicationTests {
    /// Debug builds' guard against a blocking write on a polling thread is wired, and it answers per thread.
    @Test func theDatabaseRefusesToBlockPollingThreads() throws {
        let app = try RunningApplication()
        let threadMustNotBlock = try #require(app.application.database.configuration.threadMustNotBlock)
        #expect(!threadMustNotBlock(), "a test thread may wait for a commit")
    }

    /// Every module is mounted once, in the order App lists them, and each module's CLI commands reach the
    /// executable.
    @Test func everyModuleIsWired() throws {
        let app = try RunningApplication()
        #expect(
            app.application.modules.map { type(of: $0).name } == [
                "identity", "applications", "notices", "payments", "certificates", "kpi", "classes",
            ])
        let commands = Set(Madoguchi.moduleCommands.map { $0.name })
        #expect(commands.isSuperset(of: ["staff add", "token create", "purge", "notices send", "notices create"]))
    }

    @Test func startup_migratesTheDatabase() throws {
        let app = try RunningApplication()
        let version = try app.application.database.read {
            try $0.scalar("SELECT max(version) FROM schema_migrations", as: Int.self)
        }
        #expect(version == (try Migrator(directory: RepositoryPaths.migrations)).migrations.count)
    }

    @Test func health_readiness_andMetrics() throws {
        let app = try RunningApplication()
        #expect(try app.request("GET", "/healthz").status == 200)
        #expect(try app.request("GET", "/readyz").text == "ready\n")
        app.logLines.waitForRequests(2)
        let metrics = try app.request("GET", "/metrics")
        #expect(metrics.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true)
        #expect(
            metrics.text.contains("madoguchi_http_requests_total{method=\"GET\",route=\"/readyz\",status=\"200\"} 1"))
        #expect(metrics.text.contains("madoguchi_db_writer_queue_depth 0"))
        #expect(metrics.text.contains("madoguchi_db_group_commit_batch_size_count"))
    }

    @Test func readiness_reports503_whileDraining() throws {
        let app = try RunningApplication()
        let handle = EasyHandle()
        let url = "http://127.0.0.1:\(app.application.server.port)/readyz"
        #expect(try handle.perform(method: "GET", url: url).status == 200)
        app.application.server.stopAccepting()
        // The kept-alive connection still works while draining; new connections are refused.
        let draining = try handle.perform(method: "GET", url: url)
        #expect(draining.status == 503)
    }

    @Test func pages_areJapanese_andErrorsRenderAsAPage() throws {
        let app = try RunningApplication()
        let home = try app.request("GET", "/")
        #expect(home.status == 200)
        #expect(home.text.hasPrefix("<!doctype html><html lang=\"ja\">"))
        #expect(home.text.contains("name=\"viewport\""))
        let missing = try app.request("GET", "/no-such-page")
        #expect(missing.status == 404)
        #expect(missing.headers["content-type"] == "text/html; charset=utf-8")
        #expect(missing.text.contains("ページが見つかりません"))
        #expect(
            missing.text.contains(missing.headers["x-request-id"] ?? "-"), "the page shows the id to quote on the phone"
        )
        let api = try app.request("GET", "/api/v1/no-such-thing")
        #expect(api.headers["content-type"]?.hasPrefix("application/json") == true)
    }

    @Test func stylesheet_isServedUnderItsHash_andCachedForAYear() throws {
        let app = try RunningApplication()
        let home = try app.request("GET", "/")
        let path = try #require(
            home.text.range(of: "/assets/madoguchi-[0-9a-f]+\\.css", options: .regularExpression).map {
                String(home.text[$0])
            })
        let css = try app.request("GET", path)
        #expect(css.status == 200)
        #expect(css.headers["cache-control"] == "public, max-age=31536000, immutable")
        #expect(css.text.contains("font-size"))
    }

    @Test func benchRoutes_areOffByDefault_andDurableWhenOn() throws {
        let plain = try RunningApplication()
        #expect(try plain.request("GET", "/bench/rows/1").status == 404)

        let bench = try RunningApplication(benchRoutes: true)
        let created = try bench.request(
            "POST", "/bench/rows", headers: [("Content-Type", "application/json")], body: Data("{\"note\":\"x\"}".utf8))
        #expect(created.status == 201)
        let id = try #require(try JSONSerialization.jsonObject(with: created.body) as? [String: Int])["id"]
        let read = try bench.request("GET", "/bench/rows/\(id!)")
        #expect(read.text == "{\"id\":\(id!),\"note\":\"x\"}")
    }

    /// `madoguchi migrate` ends by catching the KPI counters up (session 19's could not rebuild them): the first
    /// time it counts every event, then only the new ones.
    @Test func migrate_leavesTheKPICountersCountedToTheLastEvent() throws {
        let directory = TemporaryDirectory()
        let database = try Database(path: directory.path("migrated.sqlite"))
        defer { database.close() }
        _ = try Migrator(directory: RepositoryPaths.schemas.appendingPathComponent("migrations")).migrate(database)
        func record() throws {
            let event = UsageEvent(source: "applications", kind: "submitted", channel: .web, person: .resident(id: 1))
            try database.write { try UsageEvents.record(event, at: Date(), on: $0) }
        }
        try record()
        #expect(try Madoguchi.catchUpDerivedState(database: database, schemasDirectory: RepositoryPaths.schemas)
                == "KPI counters rebuilt")
        try record()
        #expect(try Madoguchi.catchUpDerivedState(database: database, schemasDirectory: RepositoryPaths.schemas)
                == "KPI counters: 1 new events counted")
        #expect(try database.read { try $0.scalar("SELECT counted_through FROM kpi_counter_definition", as: Int.self) } == 2)
    }

    /// bench/kpi-write's route: a durable row with a usage event beside it, which the write itself never counts;
    /// the background catch-up does when it is on.
    @Test func theBenchUsageEventRoute_isCountedByTheBackgroundCatchUp_onlyWhenItIsOn() throws {
        func postAndCount(_ app: RunningApplication, waitingFor counted: Int) throws -> (events: Int, counted: Int) {
            let created = try app.request(
                "POST", "/bench/usage-events", headers: [("Content-Type", "application/json")],
                body: Data("{\"note\":\"x\"}".utf8))
            #expect(created.status == 201)
            var result = (events: -1, counted: -1)
            for _ in 0..<100 {
                result = try app.application.database.read { connection -> (events: Int, counted: Int) in
                    let events = try connection.scalar("SELECT count(*) FROM usage_events", as: Int.self)
                    let through = try connection.scalar(
                        "SELECT counted_through FROM kpi_counter_definition", as: Int.self)
                    return (events ?? -1, through ?? -1)
                }
                if result.counted == counted { break }
                Thread.sleep(forTimeInterval: 0.02)
            }
            return result
        }
        let on = try RunningApplication(benchRoutes: true, kpiCatchUpInterval: 0.05)
        #expect(try postAndCount(on, waitingFor: 1) == (1, 1))
        #expect(try postAndCount(on, waitingFor: 2) == (2, 2))
        // Off: nothing counts it in the background, however long it waits (a KPI read would: CounterTests).
        let off = try RunningApplication(benchRoutes: true, kpiCatchUpInterval: nil)
        _ = try postAndCount(off, waitingFor: 0)
        Thread.sleep(forTimeInterval: 0.3)
        #expect(try postAndCount(off, waitingFor: 0) == (2, 0))
    }
}

@Suite("LINE webhook wiring")
struct WebhookWiringTests {
    @Test func withoutAChannelSecret_theWebhookIsNotMounted() throws {
        let app = try RunningApplication()
        let response = try app.request(
            "POST", "/line/webhook", headers: [("Content-Type", "application/json")], body: Data("{}".utf8))
        #expect(response.status == 404)
        #expect(app.logLines.lines.contains { $0.contains("LINE webhook not mounted") })
    }

    @Test func withASecret_signedCallsAreAccepted_andForgedOnesRefused() throws {
        let app = try RunningApplication(lineChannelSecret: "test-channel-secret")
        let body = Data("{\"destination\":\"U0\",\"events\":[]}".utf8)
        let forged = try app.request(
            "POST", "/line/webhook",
            headers: [("Content-Type", "application/json"), ("X-Line-Signature", "bm90IGEgc2lnbmF0dXJl")], body: body)
        #expect(forged.status == 401)
        let signature = Data(Digest.hmacSHA256(key: Array("test-channel-secret".utf8), message: Array(body)))
            .base64EncodedString()
        let signed = try app.request(
            "POST", "/line/webhook",
            headers: [("Content-Type", "application/json"), ("X-Line-Signature", signature)], body: body)
        #expect(signed.status == 200)
    }
}

@Suite("HTML builder")
struct HTMLTests {
    @Test func textAndAttributes_areEscapedByDefault() {
        let html = el("p", .class("a\"b")) { "<script>alert('x') & more</script>" }.render()
        #expect(html == "<p class=\"a&quot;b\">&lt;script&gt;alert(&#39;x&#39;) &amp; more&lt;/script&gt;</p>")
    }

    @Test func booleanAttributes_andVoidElements() {
        #expect(void("input", Attribute("name", "q"), .flag("required")).render() == "<input name=\"q\" required>")
    }
}

@Suite("Configuration")
struct ConfigurationTests {
    @Test func listenAddresses_parseIPv4AndIPv6() {
        #expect(AppConfiguration.parseListen("127.0.0.1:8080")! == ("127.0.0.1", 8080))
        #expect(AppConfiguration.parseListen("[::1]:0")! == ("::1", 0))
        #expect(AppConfiguration.parseListen("localhost") == nil)
        #expect(AppConfiguration.parseListen("127.0.0.1:99999") == nil)
    }
}
