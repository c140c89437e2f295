import Analysis
import Formatting
/// A noticeable share of replies are errors: NOSCRIPT after a failover, MOVED/ASK storms, WRONGTYPE bugs, OOM...
public struct ErrorRateRule: FindingRule {
    public static let id = "error-rate"
    public init() {}

    static let advice: [String: String] = [
        "MOVED": "the client does not follow the cluster's slot map: use a cluster-aware client (or refresh its slot cache)",
        "ASK": "a slot is migrating: expected during resharding only",
        "NOSCRIPT": "scripts are not loaded on this server (e.g. after a failover or restart): use EVALSHA with an EVAL fallback, or FUNCTION",
        "WRONGTYPE": "the application uses a key with the wrong data type: a key-naming collision or a bug",
        "OOM": "the server is at maxmemory with a noeviction policy: raise maxmemory or set an eviction policy",
        "NOAUTH": "clients are not authenticating: check the client's password configuration",
        "WRONGPASS": "clients use a wrong password or user",
        "LOADING": "the server is loading its dataset after a restart",
        "READONLY": "writes are sent to a replica",
        "BUSY": "a script or function is running too long and blocks the server",
        "EXECABORT": "a MULTI transaction was refused because a queued command was invalid",
        "CROSSSLOT": "a multi-key command spans cluster slots: use hash tags {…}",
    ]

    public func evaluate(_ report: AnalysisReport, _ t: FindingThresholds) -> Finding? {
        // Errors that are normal client behaviour (refused handshake probes, script-cache misses followed by a
        // load) are no cause for alarm: only the others count.
        let benign = report.benignErrors ?? []
        var byPrefix = report.errorsByPrefix
        // A name may come twice: a command one server knows and another does not is counted apart (`known`).
        var byCommand = Dictionary(report.commands.filter { $0.errors > 0 }.map { ($0.name, $0.errors) }, uniquingKeysWith: +)
        for entry in benign {
            byPrefix[entry.code] = max(0, (byPrefix[entry.code] ?? 0) - entry.count)
            byCommand[entry.command] = max(0, (byCommand[entry.command] ?? 0) - entry.count)
        }
        let benignCount = benign.reduce(0) { $0 + $1.count }
        let errors = max(0, report.totals.errorReplies - benignCount)
        let replies = max(report.totals.replies, 1)
        let share = Double(errors) * 100 / Double(replies)
        guard Double(errors) >= t.errorRateMinErrors, share >= t.errorRatePercent else { return nil }
        let top = byPrefix.filter { $0.value > 0 }.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
        let commands = byCommand.filter { $0.value > 0 }.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(3)
            .map { "\($0.key.uppercased()) \(NumberFormatting.grouped($0.value))" }
        var evidence = ["\(NumberFormatting.grouped(errors)) error replies of \(NumberFormatting.grouped(replies)) (\(NumberFormatting.percent(Double(errors), of: Double(replies))); "
                        + "threshold \(NumberFormatting.decimal(t.errorRatePercent, 1))%): "
                        + top.prefix(4).map { "\($0.key) \(NumberFormatting.grouped($0.value))" }.joined(separator: ", ")]
        if !commands.isEmpty { evidence.append("from " + commands.joined(separator: ", ")) }
        if benignCount > 0 {
            evidence.append("not counted: \(NumberFormatting.grouped(benignCount)) expected errors ("
                            + benign.prefix(3).map { "\($0.command.uppercased()) \($0.code) \(NumberFormatting.grouped($0.count)), \($0.kind)" }
                                .joined(separator: "; ") + ")")
        }
        let first = top.first?.key ?? "ERR"
        var metrics = ["errors": Double(errors), "sharePercent": share]
        if benignCount > 0 { metrics["benignErrors"] = Double(benignCount) }
        return Finding(
            id: Self.id, severity: share >= 10 ? .critical : .warning,
            title: "\(NumberFormatting.percent(Double(errors), of: Double(replies))) of replies are errors, mostly \(first)",
            evidence: evidence,
            recommendation: Self.advice[first].map { "\(first): \($0)." } ?? "Look at the commands that fail (table Errors) and at the client's error handling.",
            metrics: metrics)
    }
}
