import Foundation
import HTTP
import Identity
import Store

/// Liveness, readiness and metrics: what systemd, nginx health checks and Prometheus ask.
struct SystemRoutes: RouteCollection {
    let database: Database
    let metrics: HTTPMetrics
    let readiness: Readiness
    let keyDerivation: KeyDerivationPool
    let myPageCache: MyPageCache

    func register(in routes: inout Routes) {
        routes.get("/healthz", showLiveness)
        routes.get("/readyz", showReadiness)
        routes.get("/metrics", showMetrics)
    }

    // MARK: Handlers

    func showLiveness(_ request: Request) throws -> Response { .text("ok\n") }

    func showReadiness(_ request: Request) throws -> Response {
        guard readiness.server?.isDraining == false else {
            return .text("draining\n", status: 503)
        }
        // Unready while writes fail for lack of space: a load balancer sends residents elsewhere (or to the
        // maintenance page) rather than to forms that cannot be saved.
        guard database.isAcceptingWrites else {
            return .text("storage full: writes are failing\n", status: 503)
        }
        do {
            _ = try database.read { try $0.scalar("SELECT count(*) FROM schema_migrations", as: Int.self) }
            return .text("ready\n")
        } catch {
            return .text("database unavailable\n", status: 503)
        }
    }

    func showMetrics(_ request: Request) throws -> Response {
        var text = metrics.render()
        let writer = database.writerStatistics
        text += "# HELP madoguchi_db_writer_queue_depth Writes waiting for the serial writer.\n"
        text += "# TYPE madoguchi_db_writer_queue_depth gauge\n"
        text += "madoguchi_db_writer_queue_depth \(writer.queueDepth)\n"
        text += "# HELP madoguchi_db_writes_failing 1 while writes fail for lack of space or an I/O error.\n"
        text += "# TYPE madoguchi_db_writes_failing gauge\n"
        text += "madoguchi_db_writes_failing \(database.isAcceptingWrites ? 0 : 1)\n"
        text += "# HELP madoguchi_db_group_commit_batch_size Writes per committed transaction.\n"
        text += "# TYPE madoguchi_db_group_commit_batch_size histogram\n"
        for (bound, count) in zip(WriterStatistics.batchSizeBuckets, writer.batchSizeCounts) {
            text += "madoguchi_db_group_commit_batch_size_bucket{le=\"\(bound)\"} \(count)\n"
        }
        text += "madoguchi_db_group_commit_batch_size_bucket{le=\"+Inf\"} \(writer.commits)\n"
        text += "madoguchi_db_group_commit_batch_size_sum \(writer.writes)\n"
        text += "madoguchi_db_group_commit_batch_size_count \(writer.commits)\n"
        text += keyDerivationMetrics()
        text += myPageCacheMetrics()
        return Response(
            status: 200, headers: [("Content-Type", "text/plain; version=0.0.4; charset=utf-8")],
            body: Data(text.utf8))
    }

    private func myPageCacheMetrics() -> String {
        let cache = myPageCache.statistics
        return """
            # HELP madoguchi_mypage_cache_hits_total マイページ requests answered from the cache of rendered pages.
            # TYPE madoguchi_mypage_cache_hits_total counter
            madoguchi_mypage_cache_hits_total \(cache.hits)
            # HELP madoguchi_mypage_cache_misses_total マイページ requests rendered: first visit or the database changed.
            # TYPE madoguchi_mypage_cache_misses_total counter
            madoguchi_mypage_cache_misses_total \(cache.misses)
            # HELP madoguchi_mypage_cache_entries Rendered マイページ bodies held.
            # TYPE madoguchi_mypage_cache_entries gauge
            madoguchi_mypage_cache_entries \(cache.entries)

            """
    }

    private func keyDerivationMetrics() -> String {
        let pool = keyDerivation.statistics
        return """
            # HELP madoguchi_key_derivation_refused_total Password derivations refused with 503: the queue was full.
            # TYPE madoguchi_key_derivation_refused_total counter
            madoguchi_key_derivation_refused_total \(pool.refused)
            # HELP madoguchi_key_derivation_completed_total Password derivations run.
            # TYPE madoguchi_key_derivation_completed_total counter
            madoguchi_key_derivation_completed_total \(pool.completed)
            # HELP madoguchi_key_derivation_waiting Password derivations waiting for a slot.
            # TYPE madoguchi_key_derivation_waiting gauge
            madoguchi_key_derivation_waiting \(pool.waiting)
            # HELP madoguchi_key_derivation_running Password derivations running.
            # TYPE madoguchi_key_derivation_running gauge
            madoguchi_key_derivation_running \(pool.running)

            """
    }
}
