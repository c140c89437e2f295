import Analysis
import Findings
import Capture
import Packets
import RESP
import RedisSemantics
import TCPReassembly

/// The pipeline from captured packets to a report: link/IP/TCP decoding, reassembly, RESP decoding and pairing
/// per connection (`StreamStage`), then every registered analysis (`AnalysisStage`).
///
/// Feed packets in capture order with `process(_:)`, then call `finish()` once. Time is capture time throughout
/// (idle connections are flushed by it). Memory is bounded by `AnalysisOptions`' limits, not by capture length.
///
/// With `analysisThread`, the analyses run on a second thread, a batch of events behind the caller's; the report
/// is the same, since the analysis stage handles the same events in the same order. Without it, each call's events
/// are analysed before it returns (what live capture needs: its status line reads the analyses while it runs).
public final class TrafficAnalyzer {
    public let options: AnalysisOptions
    private let stream: StreamStage
    private let analysis: AnalysisStage
    /// Analysis on a second thread, or nil: on the caller's, with `spare` as the batch written next.
    private let worker: AnalysisWorker?
    private var spare: StageBatch?
    /// `finish()` ran (and with it the analysis thread ended).
    private var finished = false

    /// Names of the command ids in the analysed records.
    public var registry: CommandRegistry { analysis.registry }
    public var packets: Int { stream.packets }

    /// Adds the secrets of a key log found in the capture (a pcapng Decryption Secrets Block), for the TLS
    /// connections after it.
    public func addTLSSecrets(_ keyLog: [UInt8]) {
        stream.tls.add(keyLog: keyLog)
    }

    public init(options: AnalysisOptions, analyses extra: [any TrafficAnalysis] = [],
                analysisThread: Bool = false) throws(CaptureError) {
        self.options = options
        analysis = AnalysisStage(options: options, analyses: extra)
        let worker = analysisThread ? AnalysisWorker(stage: analysis) : nil
        if let worker, worker.start() {
            self.worker = worker
            stream = try StreamStage(options: options, batch: worker.acquire())
        } else {
            self.worker = nil
            spare = StageBatch()
            stream = try StreamStage(options: options, batch: StageBatch())
        }
        stream.onBatchFull = { [unowned self] in self.handOver(force: false) }
    }

    /// Analyses one packet. Its bytes are only borrowed for the call.
    public func process(_ captured: CapturedPacket) {
        stream.process(captured)
        handOver(force: false)
    }

    /// Analyses one packet whose bytes stay where they are until `borrowedBytesWillChange(_:)` names their memory (a
    /// file reader's buffer, until `CaptureFileReader.beforeBufferChange`): the packets held for reordering point at
    /// them instead of taking a copy.
    public func process(borrowing captured: CapturedPacket) {
        stream.process(captured, borrowing: true)
        handOver(force: false)
    }

    /// `memory`, where packets given to `process(borrowing:)` may lie, is about to be overwritten or freed.
    public func borrowedBytesWillChange(_ memory: UnsafeRawBufferPointer) {
        stream.copyBorrowedBytes(in: memory)
    }

    /// Analyses the packets held for reordering that were captured at or before `timestampNanos` (live capture:
    /// packets older than the capture's own delivery delay cannot be overtaken any more).
    public func releaseBuffered(capturedUpTo timestampNanos: Int64) {
        stream.releaseBuffered(capturedUpTo: timestampNanos)
        handOver(force: false)
    }

    /// Drops the packets held for reordering without analysing them (live capture stopped at a command count:
    /// they came after the last command counted).
    public func discardHeldPackets() {
        stream.discardHeld()
    }

    /// Passes the stream stage's events on: at once without a worker; to the worker when a batch is full, or when
    /// `force`d (the last one).
    private func handOver(force: Bool) {
        if let worker {
            guard force || stream.batchIsFull else { return }
            let full = stream.exchangeBatch(worker.acquire())
            full.isLast = force
            worker.submit()
        } else if let empty = spare, !stream.batch.streamEvents.isEmpty {
            let full = stream.exchangeBatch(empty)
            analysis.consume(full)
            full.clear()
            spare = full
        }
    }

    /// An analyzer dropped without `finish()` (the run failed) still ends its analysis thread.
    deinit {
        if !finished, worker != nil {
            handOver(force: true)
            worker?.waitUntilFinished()
        }
    }

    /// Ends the analysis: open connections are closed as `endOfCapture`, and every analysis writes its results.
    public func finish() -> AnalysisReport {
        stream.finish()
        handOver(force: true)
        worker?.waitUntilFinished()
        finished = true
        var report = AnalysisReport()
        report.generator.commandTable = CommandTable.sourcesDescription
        stream.describeCapture(in: &report)
        report.capture.ports = options.serverPorts.sorted().map(Int.init)
        report.capture.filter = options.filter
        report.capture.keyRedaction = options.redactKeys ? KeyRedactor.runSeedIdentifier : nil
        let context = AnalysisContext(registry: analysis.registry, firstTimestampNanos: stream.firstTimestamp,
                                      lastTimestampNanos: stream.lastTimestamp)
        for each in analysis.analyses { each.finish(into: &report, context: context) }

        var quality = report.quality
        stream.noteQuality(in: &quality)
        analysis.noteQuality(in: &quality)
        let hits = reassemblyAndSessionLimitsHit(quality) + (quality.limitsHit ?? [])
        quality.limitsHit = hits.isEmpty ? nil : hits
        report.quality = quality
        report.warnings += stream.filterWarnings()
        if let reason = QualityVerdict.unusableReason(for: report, evidence: stream.captureEvidence()) {
            report.quality.reason = reason
            report.warnings.append(reason)
        }
        return report
    }

    /// The transport and protocol limits reached (the analyses add their own tracking limits).
    private func reassemblyAndSessionLimitsHit(_ q: AnalysisReport.QualitySummary) -> [AnalysisReport.LimitHit] {
        typealias Hit = AnalysisReport.LimitHit
        let pendingBudget = stream.pendingBudget
        let unknownNamesDropped = stream.registry.unknownNamesDropped
        var hits: [Hit] = []
        let reassembly = options.reassembly
        if q.connectionsEvicted > 0 {
            hits.append(Hit(limit: "--max-connections", value: reassembly.maxConnections, scope: "reassembly", count: q.connectionsEvicted,
                            effect: "least recently active connections were closed early; later packets of one start it again mid-stream"))
        }
        if q.bufferLimitDrops > 0 {
            hits.append(Hit(limit: "--max-buffered-bytes", value: reassembly.maxBufferedBytesPerConnection, scope: "reassembly",
                            count: q.bufferLimitDrops,
                            effect: "out-of-order data held past the per-connection or total (--max-buffered-total "
                                + "\(reassembly.maxBufferedBytesTotal)) bound was given up as gaps"))
        }
        if stream.tls.budget.refusals > 0 {
            hits.append(Hit(limit: "--max-buffered-total", value: stream.tls.budget.limit, scope: "tls",
                            count: stream.tls.budget.refusals,
                            effect: "TLS connections whose partial records would have passed the bound on all connections "
                                + "together were no longer decrypted (tls.otherFailures.bufferLimit)"))
        }
        if pendingBudget.connectionOverflows > 0 {
            hits.append(Hit(limit: "--max-pending", value: options.session.maxPendingCommands, scope: "commands",
                            count: pendingBudget.connectionOverflows,
                            effect: "commands past the bound on one connection were counted, not paired with replies"))
        }
        if pendingBudget.overflows > 0 {
            hits.append(Hit(limit: "--max-pending-total", value: pendingBudget.limit, scope: "commands", count: pendingBudget.overflows,
                            effect: "commands past the bound on all connections together were counted, not paired with replies"))
        }
        if analysis.heldCommandsNotAnalysed > 0 {
            hits.append(Hit(limit: "--max-held", value: options.maxHeldTotal, scope: "commands", count: analysis.heldCommandsNotAnalysed,
                            effect: "inline commands with unknown names, held until their connection proved to carry Redis, "
                                + "were not analysed past the bound"))
        }
        if unknownNamesDropped > 0 {
            hits.append(Hit(limit: "--max-command-names", value: options.maxUnknownCommandNames, scope: "commands",
                            count: unknownNamesDropped,
                            effect: "commands with unknown names past the limit are counted together as (other)"))
        }
        let resp = options.session.resp
        for side in ["client", "server"] {
            let scope = side == "client" ? "requests" : "replies"
            let counts = { (code: RESPProtocolError.Code) in q.parseErrorsByCode["\(side):\(code.rawValue)"] ?? 0 }
            if counts(.depthLimitExceeded) > 0 {
                hits.append(Hit(limit: "--max-depth", value: resp.maxDepth, scope: scope, count: counts(.depthLimitExceeded),
                                effect: "the message was skipped as a parse error; the decoder resynchronised after it"))
            }
            if counts(.lengthLimitExceeded) > 0 {
                hits.append(Hit(limit: "--max-elements / --max-bulk", value: resp.maxAggregateElements, scope: scope,
                                count: counts(.lengthLimitExceeded),
                                effect: "a length above --max-elements (\(resp.maxAggregateElements)) or --max-bulk "
                                    + "(\(resp.maxBulkLength)) was a parse error; the decoder resynchronised after it"))
            }
            if counts(.inlineTooLong) > 0 {
                hits.append(Hit(limit: "--max-inline", value: resp.maxInlineLength, scope: scope, count: counts(.inlineTooLong),
                                effect: "the inline line was skipped as a parse error"))
            }
        }
        return hits
    }
}
