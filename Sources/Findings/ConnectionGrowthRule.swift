import Analysis
import Formatting
/// Concurrent connections keep climbing through the capture: a pool without a bound, or connections that are
/// never returned (the cluster client whose connection count exploded under load).
public struct ConnectionGrowthRule: FindingRule {
    public static let id = "connection-growth"
    public init() {}

    public func evaluate(_ report: AnalysisReport, _ t: FindingThresholds) -> Finding? {
        let c = report.connections
        let series = c.concurrentPerSecond
        guard series.count >= 3, c.opened > 0 else { return nil }
        // Compare the first and last tenth of the capture (at least one second each). At the start, no more than
        // were open when the capture began (those seen without a handshake): in a capture of a few seconds, the
        // first second's peak already holds the growth.
        let window = max(1, series.count / 10)
        let start = min(series.prefix(window).max() ?? 0, max(1, c.withoutHandshake))
        let end = series.suffix(window).max() ?? 0
        guard Double(end) >= t.growthMinConnections, Double(end) >= t.growthRatio * Double(max(1, start)) else { return nil }
        // Growth by steps that never recede: the running maximum is reached late.
        let peakIndex = series.firstIndex(of: series.max() ?? 0) ?? 0
        guard peakIndex >= series.count / 2 else { return nil }
        // Still growing in the second half: a pool that reached its size early (clients starting up) and held it
        // is sized, not growing.
        let firstHalf = series.prefix(series.count / 2).max() ?? 0
        guard end > firstHalf else { return nil }
        var evidence = [
            "concurrent connections \(NumberFormatting.grouped(start)) at the start → \(NumberFormatting.grouped(end)) at the end of "
                + "\(NumberFormatting.grouped(series.count)) s (×\(NumberFormatting.decimal(Double(end) / Double(max(1, start)), 1)); threshold "
                + "×\(NumberFormatting.decimal(t.growthRatio, 1)) and ≥ \(NumberFormatting.decimal(t.growthMinConnections, 0)))",
            "\(NumberFormatting.grouped(c.opened)) opened and \(NumberFormatting.grouped(c.closed)) closed during the capture; peak \(NumberFormatting.grouped(c.peakConcurrent))",
        ]
        if let u = c.utilisation, u.connections > 0 {
            evidence.append("connections had a command outstanding only \(NumberFormatting.decimal(u.busyShare * 100, 0))% of the time: new ones were opened "
                            + "while others sat idle")
        }
        if c.byServer.count > 1 {
            evidence.append("per server: " + c.byServer.prefix(6).map { "\($0.address) \(NumberFormatting.grouped($0.connections))" }.joined(separator: ", "))
        }
        return Finding(
            id: Self.id, severity: Double(end) >= 2 * t.growthRatio * Double(max(1, start)) ? .critical : .warning,
            title: "Connections keep growing: \(NumberFormatting.grouped(start)) → \(NumberFormatting.grouped(end)) concurrent during the capture",
            evidence: evidence,
            recommendation: "Bound the client's pool (max_connections per node) and make callers wait for a free connection (with a "
                + "timeout and retry) instead of opening more; share one pool per process; make sure connections are released "
                + "after use. For a cluster client, one pool per node shared by all requests.",
            metrics: ["startConcurrent": Double(start), "endConcurrent": Double(end), "peakConcurrent": Double(c.peakConcurrent)])
    }
}
