#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A joinable POSIX thread.
///
/// What the worker pools need of threads (`analyze --jobs`, the CT index's reader stage) without Foundation, whose
/// `Thread` would link the whole of Foundation (and its ICU data) into the tool.
public final class WorkerThread {
    private final class Start {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    #if canImport(Darwin)
    private var thread: pthread_t?
    #else
    private var thread = pthread_t()
    #endif

    /// Starts `body` on a new thread with a stack of `stackSize` bytes (by default the main thread's usual 8 MiB).
    /// Nil when the thread could not be created.
    public init?(stackSize: Int = 8 << 20, _ body: @escaping () -> Void) {
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setstacksize(&attributes, stackSize)
        let start = Unmanaged.passRetained(Start(body)).toOpaque()
        let status = pthread_create(&thread, &attributes, { context in
            #if canImport(Darwin)
            let start = Unmanaged<Start>.fromOpaque(context).takeRetainedValue()
            #else
            let start = Unmanaged<Start>.fromOpaque(context!).takeRetainedValue()
            #endif
            start.body()
            return nil
        }, start)
        if status != 0 {
            Unmanaged<Start>.fromOpaque(start).release()
            return nil
        }
    }

    /// Waits until the thread's body has returned.
    public func join() {
        #if canImport(Darwin)
        if let thread { pthread_join(thread, nil) }
        #else
        pthread_join(thread, nil)
        #endif
    }
}

/// A mutex and a condition variable used together: `lock`, then `wait` until the state it guards allows going on,
/// `broadcast` after changing that state, `unlock`.
public final class ConditionLock: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    public init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        condition.deallocate()
    }

    public func lock() { pthread_mutex_lock(mutex) }
    public func unlock() { pthread_mutex_unlock(mutex) }

    /// Releases the lock until another thread broadcasts, then holds it again. Called with the lock held, in a loop
    /// that checks the state (a wait may also end without a broadcast).
    public func wait() { pthread_cond_wait(condition, mutex) }

    /// Wakes every thread waiting. Called with the lock held.
    public func broadcast() { pthread_cond_broadcast(condition) }
}
