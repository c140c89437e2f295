import Analysis
import Formatting
import RedisSemantics
/// One key takes a large share of the traffic. A key lives in one slot on one node and is served by one thread:
/// however many nodes a cluster has, its node carries that share, so the share caps what sharding can give (1/share).
/// Two costs are raised:
///
/// - the key takes most of the keyed commands (`hotKeySharePercent`): its node would carry more than all the others;
/// - the key is read over and over while it does not change: every read after the first fetches a value the
///   client already had. Those re-reads are avoidable (a client-side cache invalidated on write), and once they are a
///   third of the keyed commands (`hotKeyRereadSharePercent`) the key alone outweighs one node's balanced share in the
///   smallest Redis Cluster (three masters).
///
/// A key named only as the first key of scripts (EVALSHA, FCALL) is skipped: the script may touch other keys, and a
/// framework that passes its namespace as KEYS[1] to its one dispatch script (Dramatiq) names it on every call.
public struct HotKeyRule: FindingRule {
    public static let id = "hot-key"
    public init() {}

    static let scriptCommands: Set<String> = ["eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro"]

    public func evaluate(_ report: AnalysisReport, _ t: FindingThresholds) -> Finding? {
        guard let keys = report.keys, Double(keys.commandsWithKeys) >= t.hotKeyMinCommands else { return nil }
        let total = Double(keys.commandsWithKeys)
        for key in keys.topKeysByCalls {
            let calls = Self.callsByCommand(of: key.key, in: keys)
            let viaScripts = calls.filter { Self.scriptCommands.contains($0.key) }.values.reduce(0, +)
            guard viaScripts < key.calls else { continue }
            let share = Double(key.calls) * 100 / total
            // Reads counted where the per-command lists show the key; the rest are taken for writes (the lower bound
            // of what a cache would save).
            let reads = calls.filter { Self.isRead($0.key) }.values.reduce(0, +)
            let writes = key.calls - reads
            let rereads = max(0, reads - writes)
            let rereadShare = Double(rereads) * 100 / total
            let majority = share >= t.hotKeySharePercent
            let rereadHot = rereadShare >= t.hotKeyRereadSharePercent
            guard majority || rereadHot else {
                // Below the shares on the largest key left, the rest are smaller still.
                if share < min(t.hotKeySharePercent, t.hotKeyRereadSharePercent) { return nil }
                continue
            }
            var evidence = ["\(NumberFormatting.grouped(key.calls)) of \(NumberFormatting.grouped(keys.commandsWithKeys)) commands with a key "
                            + "(\(NumberFormatting.decimal(share, 0))%"
                            + (majority ? "; threshold \(NumberFormatting.decimal(t.hotKeySharePercent, 0))%" : "")
                            + "): in a cluster its node carries that share, so sharding can give at most ×"
                            + NumberFormatting.decimal(100 / share, 1)]
            let byCommand = calls.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(4)
                .map { "\($0.key.uppercased()) \(NumberFormatting.grouped($0.value))" }.joined(separator: ", ")
            evidence.append("\(NumberFormatting.grouped(reads)) reads and \(NumberFormatting.grouped(writes)) writes or other commands (\(byCommand))")
            if rereadHot {
                evidence.append("at most one read per write can see a new value: the other \(NumberFormatting.grouped(rereads)) re-read an unchanged one, "
                                + "\(NumberFormatting.decimal(rereadShare, 0))% of the keyed commands are avoidable (threshold "
                                + "\(NumberFormatting.decimal(t.hotKeyRereadSharePercent, 0))%, one node's share of the smallest cluster)")
            }
            let advice = rereadHot
                ? "Cache the value in the client and let Redis invalidate it on change (RESP3 `CLIENT TRACKING on`, redis-py "
                    + "`cache_config` in 5.1+, or a local cache with a short TTL); in a cluster, read it from replicas (READONLY). "
                : "Expected for a single work queue; otherwise spread the load (shard the key into N keys and pick one per "
                    + "request, or aggregate counters client-side and flush them in batches). "
            return Finding(
                id: Self.id, severity: rereadHot && rereadShare >= t.hotKeySharePercent ? .warning : .info,
                title: rereadHot
                    ? "One key, `\(key.key)`, is re-read unchanged: \(NumberFormatting.decimal(rereadShare, 0))% of keyed commands are avoidable"
                    : "One key, `\(key.key)`, takes \(NumberFormatting.percent(Double(key.calls), of: total)) of keyed commands",
                evidence: evidence,
                recommendation: advice + "One key lives on one node and is served by one thread.",
                metrics: ["sharePercent": share, "calls": Double(key.calls), "rereadSharePercent": rereadShare])
        }
        return nil
    }

    /// Calls of `key` per command, from the per-command top keys.
    static func callsByCommand(of key: String, in keys: KeySummary) -> [String: Int] {
        var calls: [String: Int] = [:]
        for command in keys.topKeysByCommand {
            if let entry = command.topKeys.first(where: { $0.key == key }) { calls[command.command, default: 0] += entry.calls }
        }
        return calls
    }

    /// A read-only command in the command table (GET, HGETALL, SMEMBERS...).
    static func isRead(_ name: String) -> Bool {
        guard let index = CommandTable.index(named: name) else { return false }
        let flags = CommandTable.flags(at: index)
        return flags.contains(.readonly) && !flags.contains(.write)
    }
}
