/// A response that waits for work done elsewhere — typically a durable write queued for the group commit —
/// without holding any thread while it waits.
///
/// The handler returns `Response.deferred(start:render:)` from the polling thread. The server suspends the
/// connection and calls `start`, which must return at once and call `complete` later, on any thread, exactly
/// once. The server then resumes the connection and calls `render` with the result back on a polling thread,
/// so building the body never runs on the thread that completed the work (the single SQLite writer).
/// Compared with an offloaded handler this saves two thread hand-offs per request.
public final class DeferredResponse: @unchecked Sendable {
    // `outcome` is written once by the completion before the connection is resumed, and read after the
    // resume: libmicrohttpd's resume orders the two.
    private var outcome: (@Sendable () throws -> Response)?
    private let startWork:
        @Sendable (_ deliver: @escaping @Sendable (@escaping @Sendable () throws -> Response) -> Void) -> Void

    init<T: Sendable>(
        start: @escaping @Sendable (_ complete: @escaping @Sendable (Result<T, Error>) -> Void) -> Void,
        render: @escaping @Sendable (T) throws -> Response
    ) {
        startWork = { deliver in
            start { result in deliver { try render(result.get()) } }
        }
    }

    func begin(_ finished: @escaping @Sendable () -> Void) {
        startWork { [self] outcome in
            self.outcome = outcome
            finished()
        }
    }

    /// The response, or the error `start` or `render` produced; only valid after `begin`'s `finished`.
    func response() throws -> Response {
        guard let outcome else { throw DeferredNotCompleted() }
        return try outcome()
    }
}

struct DeferredNotCompleted: Error {}

extension Response {
    /// See `DeferredResponse`. Only for routes that run inline (the default for GET; pass `execution: .inline`
    /// for writes): an offloaded handler may simply block.
    public static func deferred<T: Sendable>(
        start: @escaping @Sendable (_ complete: @escaping @Sendable (Result<T, Error>) -> Void) -> Void,
        render: @escaping @Sendable (T) throws -> Response
    ) -> Response {
        var response = Response(status: 0)
        response.deferred = DeferredResponse(start: start, render: render)
        return response
    }
}
