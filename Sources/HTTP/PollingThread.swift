import Foundation

/// Whether the current thread is a libmicrohttpd polling thread running an inline handler. Debug builds mark
/// it (a pthread key, set around each inline dispatch), so lower layers can refuse to block there — see
/// `DatabaseConfiguration.threadMustNotBlock`. Release builds never mark, and `isCurrent` is always false.
public enum PollingThread {
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        precondition(pthread_key_create(&key, nil) == 0, "pthread_key_create failed")
        return key
    }()

    public static var isCurrent: Bool {
        #if DEBUG
            pthread_getspecific(key) != nil
        #else
            false
        #endif
    }

    @inline(__always)
    static func runningInline<T>(_ body: () -> T) -> T {
        #if DEBUG
            pthread_setspecific(key, UnsafeRawPointer(bitPattern: 1))
            defer { pthread_setspecific(key, nil) }
        #endif
        return body()
    }
}
