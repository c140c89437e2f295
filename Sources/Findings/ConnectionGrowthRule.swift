import Analysis
import Formatting
/// Concurrent connections keep climbing through the capture — or within its first seconds — far beyond what the
/// load needs: a pool without a bound, sized by the largest burst rather than the load, or connections that are
/// never returned (the cluster client whose connection count exploded under load). What the load needs is the
/// connections it kept busy in its busiest second (Little's law) plus those held by design (blocking, subscribed);
/// what clients open in the first second is their pools' size as they start, and only the growth after it counts.
/// Connections closed together at the end, with none opened after them, are the clients' shutdown: the pool held
/// them until then.
public struct ConnectionGrowthRule: FindingRule {
    public static let id = "connection-growth"
    public init() {}

    public func evaluate(_ report: AnalysisReport, _ t: FindingThresholds) -> Finding? {
        let c = report.connections
        let shutdown = Self.shutdownSeconds(c)
        // Closes with nothing opened after them are the clients' shutdown: the pool held its connections until
        // then, so the series stops before them.
        let series = Array(c.concurrentPerSecond.dropLast(shutdown))
        guard series.count >= 2, c.opened > 0 else { return nil }
        // Compare the first and last tenth of the capture (at least one second each). At the start, no more than
        // were open when the capture began (those seen without a handshake): in a capture of a few seconds, the
        // first second's peak already holds the growth.
        let window = max(1, series.count / 10)
        let start = min(series.prefix(window).max() ?? 0, max(1, c.withoutHandshake))
        let end = series.suffix(window).max() ?? 0
        // What the load needed: the connections it kept busy in its busiest second (Little's law), plus those held
        // by design (blocking, subscribed). More than that is growth, not load.
        let needed = Self.connectionsNeeded(c)
        let base = max(start, needed)
        guard Double(end) >= t.growthMinConnections, Double(end) >= t.growthRatio * Double(base) else { return nil }
        let peak = series.max() ?? 0
        let peakIndex = series.firstIndex(of: peak) ?? 0
        // Clients open their pools as they start: what the first second with connections holds is their size.
        // Growth is what came after, and it must exceed what the load needed (a pool sized by the thread count
        // that fills up a little later is not growth).
        let initial = series.first { $0 > 0 } ?? 0
        let grown = peak - initial
        guard Double(grown) >= t.growthRatio * Double(needed) else { return nil }
        // Growth by steps that never recede: the running maximum is reached late, and the second half still
        // climbs above anything the first half reached (a pool that reached its size as the clients started and
        // held it is sized, not growing)...
        let firstHalf = series.prefix(series.count / 2).max() ?? 0
        let climbing = peakIndex >= series.count / 2 && end > firstHalf
        // ... or the pool grew under load after its first second, by the growth ratio at least, and gave nothing
        // back until the end (a pool that releases connections as it runs is bounded).
        let held = peakIndex > 0 && Double(peak) >= t.growthRatio * Double(max(1, series[0]))
            && Self.closes(c, after: peakIndex, before: series.count) == 0
        guard climbing || held else { return nil }
        var evidence = [
            "concurrent connections \(NumberFormatting.grouped(start)) at the start → \(NumberFormatting.grouped(end)) at the end of "
                + "\(NumberFormatting.grouped(series.count)) s" + (shutdown > 0 ? " (before the clients' shutdown closed them)" : "")
                + "; the load needed \(NumberFormatting.grouped(needed)): ×\(NumberFormatting.decimal(Double(end) / Double(base), 1)) the larger of "
                + "the start and the need (threshold ×\(NumberFormatting.decimal(t.growthRatio, 1)) and ≥ \(NumberFormatting.decimal(t.growthMinConnections, 0)))",
            "\(NumberFormatting.grouped(c.opened)) opened and \(NumberFormatting.grouped(c.closed)) closed during the capture; peak \(NumberFormatting.grouped(c.peakConcurrent))",
        ]
        let busy = c.utilisation?.peakBusyConnections.map { " (\(NumberFormatting.decimal($0, 2)) connections busy on average in its busiest second"
            + ((c.utilisation?.connectionsHeldByDesign ?? 0) > 0 ? ", \(NumberFormatting.grouped(c.utilisation?.connectionsHeldByDesign ?? 0)) blocked or subscribed" : "")
            + ")" } ?? ""
        evidence.append("after its first second the pool grew by \(NumberFormatting.grouped(grown)) connections (\(NumberFormatting.grouped(initial)) → "
                        + "\(NumberFormatting.grouped(peak))): ×\(NumberFormatting.decimal(Double(grown) / Double(needed), 1)) the load's need of "
                        + "\(NumberFormatting.grouped(needed))\(busy) (threshold ×\(NumberFormatting.decimal(t.growthRatio, 1)))")
        if let u = c.utilisation, u.connections > 0 {
            evidence.append("connections had a command outstanding only \(NumberFormatting.decimal(u.busyShare * 100, 0))% of the time: new ones were opened "
                            + "while others sat idle")
        }
        if c.byServer.count > 1 {
            evidence.append("per server: " + c.byServer.prefix(6).map { "\($0.address) \(NumberFormatting.grouped($0.connections))" }.joined(separator: ", "))
        }
        return Finding(
            id: Self.id, severity: Double(end) >= 2 * t.growthRatio * Double(base) ? .critical : .warning,
            title: "Connections grew from \(NumberFormatting.grouped(start)) to \(NumberFormatting.grouped(end)) concurrent for a load that needed "
                + NumberFormatting.grouped(needed),
            evidence: evidence,
            recommendation: "Bound the client's pool (max_connections per node) and make callers wait for a free connection (with a "
                + "timeout and retry) instead of opening more; share one pool per process; make sure connections are released "
                + "after use. For a cluster client, one pool per node shared by all requests.",
            metrics: ["startConcurrent": Double(start), "endConcurrent": Double(end), "peakConcurrent": Double(c.peakConcurrent),
                      "connectionsNeeded": Double(needed)])
    }

    /// The seconds dropped from the end of the series as the clients' shutdown: from the first close after the last
    /// connection opened, when every close after it comes bunched (runs of at most two consecutive seconds; a
    /// client closing its pool as it exits, the rest at the end of the capture). Nothing replaced those
    /// connections: the pool held them until then. Closes spread over longer runs are a pool releasing connections
    /// as it runs, which is not growth, and stay in the series.
    static func shutdownSeconds(_ c: AnalysisReport.ConnectionSummary) -> Int {
        let closed = c.closedPerSecond, opened = c.openedPerSecond
        guard closed.count == c.concurrentPerSecond.count, opened.count == closed.count,
              let lastOpen = opened.lastIndex(where: { $0 > 0 }) else { return 0 }
        var firstClose: Int?
        var run = 0
        for index in (lastOpen + 1)..<max(lastOpen + 1, closed.count) {
            guard closed[index] > 0 else { run = 0; continue }
            run += 1
            if run > 2 { return 0 }
            if firstClose == nil { firstClose = index }
        }
        return firstClose.map { closed.count - $0 } ?? 0
    }

    /// Connections closed in the seconds after `index` and before `end`; nil (unknown) in reports without the series.
    static func closes(_ c: AnalysisReport.ConnectionSummary, after index: Int, before end: Int) -> Int? {
        guard c.closedPerSecond.count == c.concurrentPerSecond.count, end <= c.closedPerSecond.count else { return nil }
        return index + 1 < end ? c.closedPerSecond[(index + 1)..<end].reduce(0, +) : 0
    }

    /// Connections the load needed: busy ones in its busiest second, rounded up, and those held by design; at least one.
    static func connectionsNeeded(_ c: AnalysisReport.ConnectionSummary) -> Int {
        guard let u = c.utilisation, let busy = u.peakBusyConnections else { return 1 }
        return max(1, Int(busy.rounded(.up)) + (u.connectionsHeldByDesign ?? 0))
    }
}
