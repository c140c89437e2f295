import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns the first SIGINT or SIGTERM into `stop` (the run ends and its report is still written); a second one exits
/// at once with status 130, after `OutputPlan.abandonForExit()` (saved packets end on a whole record, no temporary is
/// left behind).
///
/// In `live`'s capture process the signals arrive as bytes from `PrivilegedParent` instead, one per signal it took.
/// Where the signal handler writes a byte per signal (set once, before the handler is installed).
nonisolated(unsafe) private var signalPipeWriteEnd: Int32 = -1

final class SignalStopper: @unchecked Sendable {
    private var sources: [any DispatchSourceProtocol] = []
    private let queue = DispatchQueue(label: "respcap.signals")
    private var stopping = false

    /// Stop requests forwarded on `descriptor`, one byte each; end of file (the parent is gone) requests nothing.
    init(forwardedOn descriptor: Int32, stop: @escaping @Sendable () -> Void) {
        let source = DispatchSource.makeReadSource(fileDescriptor: descriptor, queue: queue)
        source.setEventHandler { [self] in
            var bytes = [UInt8](repeating: 0, count: 16)
            let count = read(descriptor, &bytes, bytes.count)
            if count == 0 || (count < 0 && errno != EINTR && errno != EAGAIN) {
                source.cancel()
                return
            }
            for _ in 0..<max(count, 0) { received(stop) }
        }
        source.resume()
        sources.append(source)
    }

    /// SIGINT and SIGTERM, through a pipe: the handler is installed (`sigaction`) before this returns, and the pipe
    /// keeps a signal that arrives before the read source is registered. A dispatch signal source would drop it:
    /// libdispatch registers sources asynchronously, and until then the signal meets the SIG_IGN set for it.
    convenience init(stop: @escaping @Sendable () -> Void) {
        var ends: [Int32] = [-1, -1]
        if pipe(&ends) != 0 {
            // No pipe (descriptors exhausted): signals keep their default action and end the process.
            self.init()
            return
        }
        _ = fcntl(ends[1], F_SETFL, fcntl(ends[1], F_GETFL) | O_NONBLOCK)
        _ = fcntl(ends[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(ends[1], F_SETFD, FD_CLOEXEC)
        signalPipeWriteEnd = ends[1]
        self.init(forwardedOn: ends[0], stop: stop)
        var action = sigaction()
        let handler: @convention(c) (Int32) -> Void = { _ in
            let saved = errno
            var byte: UInt8 = 1
            _ = write(signalPipeWriteEnd, &byte, 1)
            errno = saved
        }
        #if canImport(Glibc)
        action.__sigaction_handler.sa_handler = handler
        #else
        action.__sigaction_u.__sa_handler = handler
        #endif
        sigemptyset(&action.sa_mask)
        action.sa_flags = SA_RESTART
        // A parent may have started us with these blocked (the mask is inherited); they must reach us.
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for number in [SIGINT, SIGTERM] {
            sigaction(number, &action, nil)
            sigaddset(&unblock, number)
        }
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
        handlesSignals = true
    }

    private init() {}

    /// Set when this stopper installed the signal handlers (`cancel` gives the signals their default action back).
    private var handlesSignals = false

    /// Runs on `queue`.
    private func received(_ stop: @Sendable () -> Void) {
        if stopping {
            OutputPlan.abandonForExit()
            Diagnostics.write("\nrespcap: stopped without a report\n")
            _exit(130)
        }
        stopping = true
        stop()
    }

    /// For commands with nothing to report of a partial run (`diff`, `merge`): the first signal removes the
    /// temporaries and exits with status 130, leaving every existing output as it was.
    static func exitingAtOnce() -> SignalStopper {
        SignalStopper(stop: {
            OutputFile.registry.removeAll()
            Diagnostics.write("\nrespcap: interrupted; nothing was written\n")
            _exit(130)
        })
    }

    func cancel() {
        for source in sources { source.cancel() }
        if handlesSignals {
            signal(SIGINT, SIG_DFL)
            signal(SIGTERM, SIG_DFL)
        }
    }
}
