import Analysis
import Formatting
/// Commands sent one network round trip at a time: the client waits a round trip per command where a pipeline,
/// MGET/MSET or a script would send them together. Seen either as a high rate of lone commands, or as chains of
/// them: each sent right after the previous reply on the same connection (a loop of single commands per request).
public struct UnpipelinedRoundTripsRule: FindingRule {
    public static let id = "unpipelined-round-trips"
    public init() {}

    public func evaluate(_ report: AnalysisReport, _ t: FindingThresholds) -> Finding? {
        guard let latency = report.latency, report.totals.commands >= 100 else { return nil }
        let commands = Double(report.totals.commands)
        let share = Double(latency.roundTrips) * 100 / commands
        let chainedShare = Double(latency.chainedRoundTrips) * 100 / commands
        let byRate = share >= t.roundTripSharePercent && latency.roundTripsPerSecond >= t.roundTripsPerSecond
        let byChains = chainedShare >= t.chainedRoundTripPercent && latency.meanRoundTripChain >= t.roundTripChainLength
        guard byRate || byChains else { return nil }
        let p50 = latency.allMicros.p50
        var evidence = [
            "\(NumberFormatting.grouped(latency.roundTrips)) of \(NumberFormatting.grouped(report.totals.commands)) commands were sent with nothing else "
                + "in flight on their connection (\(NumberFormatting.grouped(Int(latency.roundTripsPerSecond)))/s; threshold "
                + "\(NumberFormatting.decimal(t.roundTripSharePercent, 0))% at ≥ \(NumberFormatting.grouped(Int(t.roundTripsPerSecond)))/s); "
                + "deepest pipeline \(latency.maxPipelineDepth)",
        ]
        if latency.roundTripChains > 0 {
            evidence.append("\(NumberFormatting.grouped(latency.chainedRoundTrips)) commands (\(NumberFormatting.decimal(chainedShare, 0))%) were each sent "
                            + "within \(NumberFormatting.micros(latency.chainGapMicros)) of the previous reply on their connection, in "
                            + "\(NumberFormatting.grouped(latency.roundTripChains)) chains of \(NumberFormatting.decimal(latency.meanRoundTripChain, 1)) "
                            + "on average (longest \(NumberFormatting.grouped(latency.longestRoundTripChain)); threshold "
                            + "\(NumberFormatting.decimal(t.chainedRoundTripPercent, 0))% in chains of ≥ \(NumberFormatting.decimal(t.roundTripChainLength, 0)))")
        }
        evidence.append("each costs at least a network round trip plus \(NumberFormatting.micros(p50)) (median service time seen here)")
        if let wait = latency.chainedWaitMicros, latency.chainedRoundTrips > 0 {
            let perCommand = wait / Double(latency.chainedRoundTrips)
            let duration = report.capture.durationSeconds
            evidence.append("one pipeline per chain would save about \(NumberFormatting.seconds(wait / 1e6)) of waiting in all"
                            + (duration > 0 ? " (on average \(NumberFormatting.decimal(wait / 1e6 / duration, 1)) connections waiting at once)" : "")
                            + ": the chained commands' waits between the previous reply and their request, "
                            + "\(NumberFormatting.micros(perCommand)) each as seen at the capture point")
        }
        let title = byChains
            ? "Commands sent one round trip at a time in chains of \(NumberFormatting.decimal(latency.meanRoundTripChain, 0)) (no pipelining)"
            : "\(NumberFormatting.percent(Double(latency.roundTrips), of: commands)) of commands wait a full round trip each "
                + "(\(NumberFormatting.grouped(Int(latency.roundTripsPerSecond)))/s, no pipelining)"
        var metrics = ["roundTripSharePercent": share, "roundTripsPerSecond": latency.roundTripsPerSecond,
                       "chainedRoundTripPercent": chainedShare, "meanRoundTripChain": latency.meanRoundTripChain]
        if let wait = latency.chainedWaitMicros { metrics["pipelineSavingSeconds"] = wait / 1e6 }
        return Finding(
            id: Self.id, severity: .warning, title: title, evidence: evidence,
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
