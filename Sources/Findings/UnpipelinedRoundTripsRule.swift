import Analysis
import Formatting
/// Commands sent one network round trip at a time: the client waits a round trip per command where a pipeline,
/// MGET/MSET or a script would send them together. Seen either as a high rate of lone commands, or as chains of
/// them: each sent right after the previous reply on the same connection (a loop of single commands per request).
public struct UnpipelinedRoundTripsRule: FindingRule {
    public static let id = "unpipelined-round-trips"
    public init() {}

    public func evaluate(_ report: AnalysisReport, _ t: FindingThresholds) -> Finding? {
        guard let latency = report.latency, report.totals.commands >= 100, latency.roundTripChains > 0 else { return nil }
        let commands = Double(report.totals.commands)
        let share = Double(latency.roundTrips) * 100 / commands
        let chainedShare = Double(latency.chainedRoundTrips) * 100 / commands
        // Lone commands alone are every request/response service; chains of them are a loop a pipeline would send
        // at once.
        guard chainedShare >= t.chainedRoundTripPercent && latency.meanRoundTripChain >= t.roundTripChainLength else { return nil }
        let duration = report.capture.durationSeconds
        // What one pipeline per chain saves is each chained command's wait for the previous reply: seen at the server
        // it is the gap from the reply to the next request (a round trip included); seen at the clients that gap is
        // the client's time alone and the round trip is inside the request-to-reply time, so the measured one is added.
        let network = MeasuredRoundTrip(report)
        let roundTripsInReplies = Double(latency.chainedRoundTrips) * (network?.inServiceTime ?? 0)
        let savingSeconds = latency.chainedWaitMicros.map { ($0 + roundTripsInReplies) / 1e6 } ?? 0
        let waitingAtOnce = duration > 0 ? savingSeconds / duration : 0
        var evidence = [
            "\(NumberFormatting.grouped(latency.chainedRoundTrips)) commands (\(NumberFormatting.decimal(chainedShare, 0))%) were each sent "
                + "within \(NumberFormatting.micros(latency.chainGapMicros)) of the previous reply on their connection"
                + (network?.inReplyToRequestGap ?? 0 > 0 ? " (plus the network's part of that gap, timed by each connection's handshake)" : "")
                + ", in "
                + "\(NumberFormatting.grouped(latency.roundTripChains)) chains of \(NumberFormatting.decimal(latency.meanRoundTripChain, 1)) "
                + "on average (longest \(NumberFormatting.grouped(latency.longestRoundTripChain)); threshold "
                + "\(NumberFormatting.decimal(t.chainedRoundTripPercent, 0))% in chains of ≥ \(NumberFormatting.decimal(t.roundTripChainLength, 0)))",
            "\(NumberFormatting.grouped(latency.roundTrips)) of \(NumberFormatting.grouped(report.totals.commands)) commands were sent with "
                + "nothing else in flight on their connection (\(NumberFormatting.grouped(Int(latency.roundTripsPerSecond)))/s); deepest "
                + "pipeline \(latency.maxPipelineDepth)",
            network.map { "each costs \($0.phrase) plus \($0.serverTime(seen: latency.allMicros.p50))" }
                ?? "each costs at least a network round trip plus \(NumberFormatting.micros(latency.allMicros.p50)) (median service time seen here)",
        ]
        if latency.chainedWaitMicros != nil {
            let perCommand = savingSeconds * 1e6 / Double(latency.chainedRoundTrips)
            evidence.append("one pipeline per chain would save about \(NumberFormatting.seconds(savingSeconds)) of waiting in all"
                            + (duration > 0 ? " (on average \(NumberFormatting.decimal(waitingAtOnce, 1)) connections waiting at once"
                               + (waitingAtOnce >= t.pipelineSavingWarning
                                  ? "; threshold \(NumberFormatting.decimal(t.pipelineSavingWarning, 1)) for a warning)" : ")") : "")
                            + ": the chained commands' waits between the previous reply and their request, "
                            + "\(NumberFormatting.micros(perCommand)) each as seen at the capture point"
                            + (roundTripsInReplies > 0 ? ", with the measured round trip each (at the clients it is in the reply time)" : ""))
        }
        let title = "Commands sent one round trip at a time in chains of \(NumberFormatting.decimal(latency.meanRoundTripChain, 0)) (no pipelining)"
        var metrics = ["roundTripSharePercent": share, "roundTripsPerSecond": latency.roundTripsPerSecond,
                       "chainedRoundTripPercent": chainedShare, "meanRoundTripChain": latency.meanRoundTripChain]
        if latency.chainedWaitMicros != nil {
            metrics["pipelineSavingSeconds"] = savingSeconds
            metrics["connectionsWaitingAtOnce"] = waitingAtOnce
        }
        // Reports of older versions have no waits: their cost is unknown, and the finding keeps its former severity.
        let severity: Finding.Severity = latency.chainedWaitMicros == nil || waitingAtOnce >= t.pipelineSavingWarning ? .warning : .info
        return Finding(id: Self.id, severity: severity, title: title, evidence: evidence,
                       recommendation: Self.advice(ClientSoftware(report)), metrics: metrics)
    }

    static let cluster = " In a cluster, group keys by hash tag so a batch stays on one node."

    /// The batching of the framework or library found; every client's when none is known.
    static func advice(_ software: ClientSoftware) -> String {
        if software.uses("bullmq") {
            return "BullMQ: add jobs with `addBulk` rather than one `add` per job; batch the application's own commands in a "
                + "pipeline or MULTI." + cluster
        }
        if software.usesRedisPy {
            return "Batch the commands of one request: redis-py `pipeline(transaction=False)` (one round trip for the batch), "
                + "MGET/MSET/HMGET, or a Lua script." + cluster
        }
        return "Batch the commands of one request: a pipeline (redis-py `pipeline(transaction=False)`; node-redis auto-pipelines "
            + "commands issued in the same tick, so issue them together with `Promise.all` instead of awaiting each), "
            + "MGET/MSET/HMGET, or a Lua script." + cluster
    }
}
