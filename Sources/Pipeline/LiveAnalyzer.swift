import Analysis
import Findings
import Capture
import RedisSemantics
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs a `TrafficAnalyzer` over a live capture: the capture reads packets on its own thread into a bounded
/// `PacketQueue`, and the calling thread analyses them. When analysis falls behind, the queue drops packets
/// (counted as `packetsNotAnalysed`) instead of stalling the capture, so the kernel does not drop them unseen.
///
/// The run ends on `stop()` of the capture (a signal), the duration, the packet count, or the command count;
/// packets already queued are analysed before the report is built.
public struct LiveAnalyzer {
    /// When to end the capture; nil means no limit.
    public struct StopConditions: Sendable {
        public var durationSeconds: Double?
        public var packets: Int?
        public var commands: Int?
        public init(durationSeconds: Double? = nil, packets: Int? = nil, commands: Int? = nil) {
            self.durationSeconds = durationSeconds
            self.packets = packets
            self.commands = commands
        }
    }

    /// A snapshot for a status line, taken on the analysis thread.
    public struct Status: Sendable {
        public var elapsedSeconds: Double
        public var packetsAnalysed: Int
        public var packetsNotAnalysed: Int
        /// Captured bytes of the packets analysed.
        public var bytesAnalysed: Int64
        public var commands: Int
        public var capture: LiveCaptureStatistics
    }

    public let options: AnalysisOptions
    public var stop: StopConditions
    /// Bounds of the queue between the capture and analysis threads.
    public var queueBytes = 64 << 20
    public var queuePackets = 1 << 20

    public init(options: AnalysisOptions, stop: StopConditions = StopConditions()) {
        self.options = options
        self.stop = stop
    }

    /// Captures and analyses until a stop condition, then returns the full report. `status` is called on the
    /// calling thread every `statusInterval` seconds with the analyzer's registry (for command names); `tick`, when
    /// given, about every half second and once at the end (it feeds a metrics endpoint).
    public func run(capture: LiveCapture, extraAnalyses: [any TrafficAnalysis] = [], statusInterval: Double? = nil,
                    status: ((Status, CommandRegistry) -> Void)? = nil,
                    tick: ((Status) -> Void)? = nil) throws(CaptureError) -> AnalysisReport {
        let counter = CommandCounter()
        let analyzer = try TrafficAnalyzer(options: options, analyses: [counter] + extraAnalyses)
        let queue = PacketQueue(maxBytes: queueBytes, maxPackets: queuePackets)
        let outcome = CaptureOutcome()
        let packetLimit = stop.packets
        let launch = OSThread.start {
            do throws(CaptureError) {
                try capture.run(maxPackets: packetLimit) { packet in queue.push(packet) }
            } catch {
                outcome.error = error
            }
            outcome.statistics = capture.statistics()
            queue.close()
        }
        let thread: OSThread
        switch launch {
        case .success(let started): thread = started
        case .failure(let failure): throw CaptureError(.live, "cannot start the capture thread: \(failure.reason)")
        }

        let started = MonotonicClock.seconds()
        var nextStatus = started + (statusInterval ?? .infinity)
        var nextTick = started
        var analysed = 0
        var bytesAnalysed: Int64 = 0
        func currentStatus(at t: Double) -> Status {
            Status(elapsedSeconds: t - started, packetsAnalysed: analysed, packetsNotAnalysed: queue.dropped,
                   bytesAnalysed: bytesAnalysed, commands: counter.commands, capture: capture.statistics())
        }
        let commandLimit = stop.commands
        var commandLimitReached = false
        while queue.consume(timeoutNanos: 100_000_000, { packet in
            // One consume hands over everything queued (thousands of packets at a high rate): the command limit is
            // checked per packet, and the packets queued after it are not analysed, so the run ends at the limit.
            if commandLimitReached { return }
            analyzer.process(packet)
            analysed += 1
            bytesAnalysed += Int64(packet.bytes.count)
            if let commandLimit, counter.commands >= commandLimit {
                commandLimitReached = true
                if !capture.isStopRequested { capture.stop() }
            }
        }) {
            // Packets captured over 250 ms ago can no longer be overtaken (capture blocks are handed over within
            // 100 ms): analyse them even if traffic has paused, so the status line and metrics stay current.
            if !commandLimitReached { analyzer.releaseBuffered(capturedUpTo: Self.wallClockNanos() - 250_000_000) }
            let t = MonotonicClock.seconds()
            if let limit = stop.durationSeconds, t - started >= limit, !capture.isStopRequested { capture.stop() }
            if let status, let interval = statusInterval, t >= nextStatus {
                nextStatus = t + interval
                status(currentStatus(at: t), analyzer.registry)
            }
            if let tick, t >= nextTick {
                nextTick = t + 0.5
                tick(currentStatus(at: t))
            }
        }
        thread.join()
        if let tick {
            var last = currentStatus(at: MonotonicClock.seconds())
            last.capture = outcome.statistics ?? last.capture
            tick(last)
        }

        // Packets held for reordering were captured after the one that completed the last command counted.
        if commandLimitReached { analyzer.discardHeldPackets() }
        var report = analyzer.finish()
        let statistics = outcome.statistics ?? LiveCaptureStatistics()
        report.capture.files = ["live:\(capture.options.interface)"]
        report.capture.formats = ["live"]
        report.capture.bytes = capture.bytesCaptured
        report.quality.captureDropsKernel = statistics.droppedByKernel
        report.quality.captureDropsInterface = statistics.droppedByInterface
        report.quality.packetsNotAnalysed = queue.dropped
        // Also under the skipped-packet reasons, which every renderer lists and the capture-quality finding reads.
        if statistics.droppedByKernel > 0 { report.quality.packetsSkipped["droppedByKernel"] = statistics.droppedByKernel }
        if statistics.droppedByInterface > 0 { report.quality.packetsSkipped["droppedByInterface"] = statistics.droppedByInterface }
        if queue.dropped > 0 { report.quality.packetsSkipped["notAnalysedQueueFull"] = queue.dropped }
        if let error = outcome.error {
            report.quality.truncated = true
            report.quality.truncationMessage = error.message
            report.warnings.append("\(error.message); the report covers the \(analysed) packets analysed before it")
        }
        if !CaptureAnalyzer.supportedLinkTypeNames.contains(capture.linkType.description) {
            report.warnings.append("unsupported link type \(capture.linkType.description) on \(capture.options.interface); respcap "
                                   + "reads Ethernet, Linux cooked (SLL, SLL2), NULL/LOOP and raw IP")
        }
        if statistics.droppedByKernel > 0 {
            report.warnings.append("the kernel dropped \(statistics.droppedByKernel) packets: raise the buffer (-B) or narrow the filter")
        }
        if queue.dropped > 0 {
            report.warnings.append("analysis fell behind: \(queue.dropped) captured packets were not analysed (raise --queue-size)")
        }
        report.quality.verdict = QualityVerdict.verdict(for: report)
        report.findings = FindingRules.evaluate(report, thresholds: options.thresholds)
        return report
    }

    static func wallClockNanos() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

}

/// What the capture thread leaves for the analysis thread; read only after the queue is closed.
private final class CaptureOutcome: @unchecked Sendable {
    var error: CaptureError?
    var statistics: LiveCaptureStatistics?
}

/// Counts commands as the analyses see them, for `--count` on commands and the status line.
private final class CommandCounter: TrafficAnalysis {
    var commands = 0
    func command(_ record: CommandRecord, on connection: ConnectionInfo) { commands += 1 }
    func finish(into report: inout AnalysisReport, context: AnalysisContext) {}
}
