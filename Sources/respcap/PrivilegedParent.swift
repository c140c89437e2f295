import CPrivilege
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `live`'s privilege separation, as Wireshark's dumpcap: the process that opened the interface and the outputs
/// forks. The child gives up its privileges (`PrivilegeDrop`) and does all the capturing and parsing, writing into
/// the outputs' open descriptors. The parent keeps its privileges, parses nothing, and once the child has exited puts
/// the outputs in place, which may need them (a rename in a root-owned directory, a replaced file's owner kept).
///
/// Signals: the child ignores SIGINT and SIGTERM, and the parent passes on each one it takes as one byte on a socket
/// (`SignalStopper(forwardedOn:)`). A terminal's ^C reaches the whole process group and `kill` only the parent, so
/// this way each counts exactly once, and a second one still means "exit at once". If the parent dies the child is
/// killed: nobody would put its outputs in place.
enum PrivilegedParent {
    /// Child exit statuses that mean a report was written: its outputs are put in place.
    static let reportStatuses: Set<Int32> = [0, 3, 5, 6]
    /// A second ^C: no report, but the saved packets end on a whole record and are kept.
    static let interruptedStatus: Int32 = 130

    /// Forks; the child drops privileges with `drop`, runs `child` (given the descriptor its stop requests arrive on)
    /// and exits with the status it returns. The parent waits, then commits the plan's outputs when the status says a
    /// report was written, keeps only the packets after an interruption, discards them otherwise, and returns the
    /// child's status (128 + the signal when one ended it).
    ///
    /// Must be called while the process has one thread and has not used Dispatch: the child is a copy of this
    /// thread only. Throws (the output error status) when the outputs cannot be put in place, or the child cannot
    /// be started.
    static func run(plan: OutputPlan, drop: PrivilegeDrop, child: (_ stopRequests: Int32) -> Int32) throws -> Int32 {
        var channel: [Int32] = [-1, -1]
        #if canImport(Glibc)
        let streamType = Int32(SOCK_STREAM.rawValue)
        #else
        let streamType = SOCK_STREAM
        #endif
        guard socketpair(AF_UNIX, streamType, 0, &channel) == 0 else {
            Diagnostics.error("cannot start the capture process: \(String(cString: strerror(errno)))")
            return 2
        }
        // Blocked before the fork, so none is lost in between: the parent takes them with sigwait, and the child
        // ignores SIGINT and SIGTERM before it unblocks them.
        var taken = sigset_t()
        sigemptyset(&taken)
        for number in [SIGINT, SIGTERM, SIGCHLD] { sigaddset(&taken, number) }
        var previous = sigset_t()
        pthread_sigmask(SIG_BLOCK, &taken, &previous)
        let parent = getpid()
        let pid = fork()
        if pid < 0 {
            let reason = String(cString: strerror(errno))
            pthread_sigmask(SIG_SETMASK, &previous, nil)
            close(channel[0])
            close(channel[1])
            Diagnostics.error("cannot start the capture process: \(reason)")
            return 2
        }
        if pid == 0 {
            close(channel[0])
            signal(SIGINT, SIG_IGN)
            signal(SIGTERM, SIG_IGN)
            pthread_sigmask(SIG_SETMASK, &previous, nil)
            runChild(plan: plan, drop: drop, parent: parent, stopRequests: channel[1], body: child)
        }
        close(channel[1])
        let status = supervise(pid, stopRequests: channel[0], signals: taken)
        close(channel[0])
        return try settle(plan: plan, waitStatus: status)
    }

    private static func runChild(plan: OutputPlan, drop: PrivilegeDrop, parent: pid_t, stopRequests: Int32,
                                 body: (Int32) -> Int32) -> Never {
        plan.isCommittedElsewhere = true
        do { try drop.apply() } catch {
            Diagnostics.error(error.description)
            _exit(2)
        }
        // After the drop, which clears it. The parent may have died before it was set.
        _ = respcap_set_parent_death_signal(SIGKILL)
        if getppid() != parent { _exit(2) }
        let status = body(stopRequests)
        fflush(nil)
        _exit(status)
    }

    /// Waits for the child, passing on each SIGINT and SIGTERM; returns its wait status.
    private static func supervise(_ pid: pid_t, stopRequests: Int32, signals: sigset_t) -> Int32 {
        var signals = signals
        var status: Int32 = 0
        while true {
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid { return status }
            if reaped < 0 && errno != EINTR {
                // Not our child any more (cannot happen unless SIGCHLD is ignored by a parent's setting).
                return 2 << 8
            }
            var number: Int32 = 0
            guard sigwait(&signals, &number) == 0 else { continue }
            if number == SIGINT || number == SIGTERM {
                var byte = UInt8(truncatingIfNeeded: number)
                _ = send(stopRequests, &byte, 1, Int32(MSG_NOSIGNAL))
            }
        }
    }

    /// Puts the outputs in place, keeps the packets only, or discards them, by how the child ended; its status.
    private static func settle(plan: OutputPlan, waitStatus: Int32) throws -> Int32 {
        let signal = waitStatus & 0x7f
        guard signal == 0 else {
            let name = strsignal(signal).map { String(cString: $0) } ?? "signal \(signal)"
            Diagnostics.error("the capture process ended on signal \(signal) (\(name)); no report was written")
            plan.discard()
            return 128 + signal
        }
        let status = (waitStatus >> 8) & 0xff
        if reportStatuses.contains(status) {
            try plan.commit()
        } else if status == interruptedStatus {
            plan.keepPacketsOnly()
        } else {
            plan.discard()
        }
        return status
    }
}
