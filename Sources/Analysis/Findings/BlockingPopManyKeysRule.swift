import Formatting
/// Blocking pops that name many keys: Redis checks every named key on each call and, when they are all empty,
/// registers the client on each one, so CPU grows with keys × calls (GitLab's sidekiq fleet: 234 queues per BRPOP).
public struct BlockingPopManyKeysRule: FindingRule {
    public static let id = "blocking-pop-many-keys"
    public init() {}

    public func evaluate(_ report: AnalysisReport, _ t: FindingThresholds) -> Finding? {
        guard let b = report.blockingPops, b.calls >= 10 else { return nil }
        let heavy = b.keyCountDistribution.filter { Double($0.keys) >= t.blockingPopKeysWarning }
        let heavyCalls = heavy.reduce(0) { $0 + $1.calls }
        // Most of the cost must come from such calls: a few many-key calls among thousands of single-key ones are not it.
        let heavyKeys = heavy.reduce(Int64(0)) { $0 + Int64($1.keys) * Int64($1.calls) }
        guard heavyCalls > 0, Double(heavyKeys) >= 0.5 * Double(b.keysScanned) else { return nil }
        let critical = Double(b.maxKeysPerCall) >= t.blockingPopKeysCritical
        let dominant = heavy.max { ($0.calls, $0.keys) < ($1.calls, $1.keys) }!
        var evidence = [
            "\(NumberFormatting.grouped(heavyCalls)) of \(NumberFormatting.grouped(b.calls)) blocking pops name ≥ \(NumberFormatting.decimal(t.blockingPopKeysWarning, 0)) keys "
                + "(most often \(dominant.keys) keys, from \(NumberFormatting.grouped(dominant.clients)) connections; threshold "
                + "\(NumberFormatting.decimal(t.blockingPopKeysWarning, 0)), critical at \(NumberFormatting.decimal(t.blockingPopKeysCritical, 0)))",
            "keys scanned: \(NumberFormatting.grouped(b.keysScanned)) in all, \(NumberFormatting.decimal(b.keysPerCall, 1)) per call, "
                + "\(NumberFormatting.grouped(Int(b.keysScannedPerSecond)))/s",
        ]
        if b.served + b.timedOut > 0 {
            evidence.append("\(NumberFormatting.percent(Double(b.timedOut), of: Double(b.served + b.timedOut))) of answered calls timed out on "
                            + "empty queues (\(NumberFormatting.grouped(b.timedOut)) of \(NumberFormatting.grouped(b.served + b.timedOut))); "
                            + "\(NumberFormatting.grouped(b.keysScannedByTimedOut)) keys were scanned for nothing")
        }
        return Finding(
            id: Self.id, severity: critical ? .critical : .warning,
            title: "Blocking pops name \(dominant.keys) keys per call: Redis scans \(NumberFormatting.grouped(Int(b.keysScannedPerSecond))) keys/s "
                + "to serve \(NumberFormatting.decimal(b.callsPerSecond, 1)) pops/s",
            evidence: evidence,
            recommendation: "Have each worker listen on few queues: route queues to dedicated workers (one queue per worker or shard), "
                + "or pass each BRPOP a random sample of the queues (e.g. 10%) so that together the workers still cover them all; "
                + "drop queues that never receive jobs. The cost per call falls in proportion to the keys named.",
            metrics: ["keysPerCall": b.keysPerCall, "maxKeysPerCall": Double(b.maxKeysPerCall),
                      "keysScannedPerSecond": b.keysScannedPerSecond, "timedOutShare": b.timedOutShare])
    }
}
