import Foundation
import Store
import Synchronization

/// Rendered マイページ bodies, reused while the database has not changed.
///
/// The page is a function of the database and of the session: the resident's name and the session's CSRF
/// token (in the logout form) are in it, so an entry is keyed on the resident, the session's token and the
/// name. No section depends on the clock: every time on the page is a stored timestamp formatted
/// (交付準備の予定, お知らせの日付, LINE 連携日), nothing is computed from now — a section that adds
/// "あと N 日" must add its time bucket to `Key`. A hit also needs the same `DataVersion`, so any commit by
/// anyone (the resident's own POST, staff, a batch job or the CLI in another process) makes every entry stale.
///
/// Callgrind: a rendered マイページ cost 1,514,543 instructions per request, 30 times `/healthz`.
public final class MyPageCache: Sendable {
    struct Key: Hashable, Sendable {
        let residentID: Int64
        let csrfToken: String
        let fullName: String
    }

    public struct Statistics: Sendable, Equatable {
        public var hits = 0
        public var misses = 0
        public var entries = 0
    }

    private struct Entry {
        let version: DataVersion
        let body: Data
        let insertion: UInt64
    }

    private struct State {
        var entries: [Key: Entry] = [:]
        var newestVersion: DataVersion?
        var insertions: UInt64 = 0
        var statistics = Statistics()
    }

    /// 512 pages of about 10 kB: 5 MB at most, well inside the 64 MB RSS budget (issue #10).
    public let capacity: Int
    private let state = Mutex(State())

    public init(capacity: Int = 512) {
        self.capacity = capacity
    }

    public var statistics: Statistics {
        state.withLock { state in
            var statistics = state.statistics
            statistics.entries = state.entries.count
            return statistics
        }
    }

    func body(for key: Key, at version: DataVersion) -> Data? {
        state.withLock { state in
            if let entry = state.entries[key], entry.version == version {
                state.statistics.hits += 1
                return entry.body
            }
            state.statistics.misses += 1
            return nil
        }
    }

    func store(_ body: Data, for key: Key, at version: DataVersion) {
        state.withLock { state in
            // data_version only grows: a page rendered at an older version than one already stored can never
            // be hit again, and once a newer version appears every older entry is garbage.
            if let newest = state.newestVersion {
                if version < newest { return }
                if newest < version { state.entries.removeAll(keepingCapacity: true) }
            }
            state.newestVersion = version
            if state.entries[key] == nil, state.entries.count >= capacity,
                let oldest = state.entries.min(by: { $0.value.insertion < $1.value.insertion })
            {
                state.entries[oldest.key] = nil
            }
            state.insertions += 1
            state.entries[key] = Entry(version: version, body: body, insertion: state.insertions)
        }
    }
}
