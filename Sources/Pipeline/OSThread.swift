import Analysis
import Findings
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An OS thread running one closure, for long-running loops that block (Dispatch's pool is not meant for them):
/// the analysis worker (detached) and the live capture loop (joined).
struct OSThread {
    private final class Body {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }

    private let thread: pthread_t

    /// Starts `body` on a new thread, or says why none could be made (strerror).
    static func start(_ body: @escaping @Sendable () -> Void) -> Result<OSThread, StartError> {
        let context = Unmanaged.passRetained(Body(body)).toOpaque()
        #if canImport(Glibc)
        var thread = pthread_t()
        #else
        var thread: pthread_t?
        #endif
        let status = pthread_create(&thread, nil, { argument in
            guard let argument else { return nil }
            Unmanaged<Body>.fromOpaque(argument).takeRetainedValue().run()
            return nil
        }, context)
        guard status == 0 else {
            Unmanaged<Body>.fromOpaque(context).release()
            return .failure(StartError(reason: String(cString: strerror(status))))
        }
        #if canImport(Glibc)
        return .success(OSThread(thread: thread))
        #else
        return .success(OSThread(thread: thread!))
        #endif
    }

    struct StartError: Error {
        let reason: String
    }

    /// Lets the thread end on its own; it can no longer be joined.
    func detach() { pthread_detach(thread) }

    /// Waits for the thread to end.
    func join() { pthread_join(thread, nil) }
}
