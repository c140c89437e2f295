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
        let errors = report.totals.errorReplies
        let replies = max(report.totals.replies, 1)
        let share = Double(errors) * 100 / Double(replies)
        guard Double(errors) >= t.errorRateMinErrors, share >= t.errorRatePercent else { return nil }
        let top = report.errorsByPrefix.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
        let byCommand = report.commands.filter { $0.errors > 0 }.sorted { ($0.errors, $1.name) > ($1.errors, $0.name) }.prefix(3)
            .map { "\($0.name.uppercased()) \(NumberFormatting.grouped($0.errors))" }
        var evidence = ["\(NumberFormatting.grouped(errors)) error replies of \(NumberFormatting.grouped(replies)) (\(NumberFormatting.percent(Double(errors), of: Double(replies))); "
                        + "threshold \(NumberFormatting.decimal(t.errorRatePercent, 1))%): "
                        + top.prefix(4).map { "\($0.key) \(NumberFormatting.grouped($0.value))" }.joined(separator: ", ")]
        if !byCommand.isEmpty { evidence.append("from " + byCommand.joined(separator: ", ")) }
        let first = top.first?.key ?? "ERR"
        return Finding(
            id: Self.id, severity: share >= 10 ? .critical : .warning,
            title: "\(NumberFormatting.percent(Double(errors), of: Double(replies))) of replies are errors, mostly \(first)",
            evidence: evidence,
            recommendation: Self.advice[first].map { "\(first): \($0)." } ?? "Look at the commands that fail (table Errors) and at the client's error handling.",
            metrics: ["errors": Double(errors), "sharePercent": share])
    }
}
