import Analysis
import Formatting
/// SCAN/KEYS/SMEMBERS/HGETALL... repeated at a request rate: each walks a whole collection or the keyspace, so
/// the cost of a request grows with the data.
public struct KeyspaceScanRule: FindingRule {
    public static let id = "keyspace-scan-in-request-path"
    public init() {}

    /// Reading a whole collection counts only when the replies are big (average at least this many bytes).
    static let bigCollectionReplyBytes: Int64 = 10_000

    public func evaluate(_ report: AnalysisReport, _ t: FindingThresholds) -> Finding? {
        guard let keys = report.keys, !keys.fullKeyspaceCommands.isEmpty else { return nil }
        // A name may come twice: a command one server knows and another does not is counted apart (`known`).
        let bytesByCommand = Dictionary(report.commands.map { ($0.name, (calls: $0.calls, replyBytes: $0.replyBytes)) }) {
            (calls: $0.calls + $1.calls, replyBytes: $0.replyBytes + $1.replyBytes)
        }
        // SCAN and KEYS walk the keyspace; SMEMBERS, HGETALL, LRANGE... only matter when they return a lot.
        let walking = keys.fullKeyspaceCommands.filter { command in
            if command.command == "scan" || command.command == "keys" { return true }
            guard let summary = bytesByCommand[command.command], summary.calls > 0 else { return false }
            return summary.replyBytes / Int64(summary.calls) >= Self.bigCollectionReplyBytes
        }
        let total = walking.reduce(0) { $0 + $1.calls }
        let rate = walking.reduce(0) { $0 + $1.perSecond }
        guard rate >= t.keyspaceScansPerSecond, total >= 10 else { return nil }
        let list = walking.prefix(4).map { "\($0.command.uppercased()) \(NumberFormatting.grouped($0.calls))" }
        let scans = walking.filter { $0.command == "scan" || $0.command == "keys" }.reduce(0) { $0 + $1.calls }
        var evidence = ["\(list.joined(separator: ", ")) — \(NumberFormatting.decimal(rate, 1))/s from "
                        + "\(NumberFormatting.grouped(keys.fullKeyspaceConnections)) connections (threshold: \(NumberFormatting.decimal(t.keyspaceScansPerSecond, 0))/s)"]
        if scans > 0, let get = bytesByCommand["get"], get.calls >= scans {
            evidence.append("\(NumberFormatting.grouped(get.calls)) GETs beside \(NumberFormatting.grouped(scans)) SCAN/KEYS calls: the pattern of a "
                            + "handler that walks the keyspace and reads each key to find the ones it wants")
        }
        return Finding(
            id: Self.id, severity: scans > 0 ? .critical : .warning,
            title: scans > 0 ? "Requests walk the keyspace with \(walking.first?.command.uppercased() ?? "SCAN"): their cost grows with the data"
                             : "Requests read whole collections (\(list.first ?? "")): their cost grows with the data",
            evidence: evidence,
            recommendation: "Keep an index instead of searching: maintain a set (SADD on write) of the keys each request needs and read "
                + "it with SMEMBERS/SSCAN, or MGET a known list; never SCAN/KEYS in a request path.",
            metrics: ["perSecond": rate, "calls": Double(total)])
    }
}
