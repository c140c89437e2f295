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

    init(stop: @escaping @Sendable () -> Void) {
        // A parent may have started us with these blocked (the mask is inherited); they must reach us.
        var unblock = sigset_t()
        sigemptyset(&unblock)
        sigaddset(&unblock, SIGINT)
        sigaddset(&unblock, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { [self] in received(stop) }
            source.resume()
            sources.append(source)
        }
    }

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
    }
}
