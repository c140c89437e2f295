import Analysis
import Formatting
/// Large requests or replies. Two costs: a value of megabytes blocks the server's single thread while it is copied
/// (whatever how often), and values that take longer to cross the network than Redis takes to answer them make
/// every such request wait on the transfer — once they are most of the traffic, moving them is what the clients
/// pay for (bytes per second, a share of the link).
public struct BigValuesRule: FindingRule {
    public static let id = "big-values"
    public init() {}

    public func evaluate(_ report: AnalysisReport, _ t: FindingThresholds) -> Finding? {
        guard let keys = report.keys else { return nil }
        let biggest = keys.biggest.first
        let huge = keys.biggest.filter { Double($0.bytes) >= t.bigValueBytes }
        let allBytes = Double(report.totals.clientBytes + report.totals.serverBytes)
        var transfer: (bound: TransferBoundCommands, share: Double, linkShare: Double)?
        if let bound = keys.transferBound, Double(bound.commands) >= t.bigValueMinCommands, allBytes > 0 {
            let share = Double(bound.bytes) * 100 / allBytes
            let duration = report.capture.durationSeconds
            let linkShare = duration > 0 ? Double(bound.bytes) * 8 / duration / bound.linkBitsPerSecond * 100 : 0
            if share >= t.bigValueBytesSharePercent { transfer = (bound, share, linkShare) }
        }
        guard let biggest, !huge.isEmpty || transfer != nil else { return nil }
        var evidence: [String] = []
        var severity = Finding.Severity.info
        if !huge.isEmpty {
            evidence += huge.prefix(3).map {
                "\($0.command.uppercased())\($0.key.map { " `\($0)`" } ?? ""): request \(NumberFormatting.bytes(Double($0.requestBytes))), "
                    + "reply \(NumberFormatting.bytes(Double($0.replyBytes))) (threshold \(NumberFormatting.bytes(t.bigValueBytes)))"
            }
            if Double(biggest.bytes) >= 10 * t.bigValueBytes { severity = .warning }
        }
        if let transfer {
            let (bound, share, linkShare) = transfer
            let size = Double(bound.bytes) / Double(bound.commands)
            let wireMicros = size * 8 / bound.linkBitsPerSecond * 1e6
            let serviceMicros = bound.serviceSeconds * 1e6 / Double(bound.commands)
            let link = NumberFormatting.decimal(bound.linkBitsPerSecond / 1e9, 0)
            evidence.append("\(NumberFormatting.grouped(bound.commands)) commands moved \(NumberFormatting.bytes(size)) on average: "
                            + "\(NumberFormatting.micros(wireMicros)) on a \(link) Gbit/s link against \(NumberFormatting.micros(serviceMicros)) of "
                            + "service time (threshold: transfer ≥ service time, ≥ \(NumberFormatting.decimal(t.bigValueMinCommands, 0)) commands)")
            evidence.append("they are \(NumberFormatting.decimal(share, 0))% of the bytes on the wire (threshold "
                            + "\(NumberFormatting.decimal(t.bigValueBytesSharePercent, 0))%): \(NumberFormatting.bytes(Double(bound.bytes))), "
                            + "\(NumberFormatting.decimal(linkShare, 1))% of a \(link) Gbit/s link over the capture"
                            + (linkShare >= t.bigValueLinkPercent ? " (warning at ≥ \(NumberFormatting.decimal(t.bigValueLinkPercent, 0))%)" : ""))
            if huge.isEmpty {
                evidence += keys.biggest.prefix(3).map {
                    "\($0.command.uppercased())\($0.key.map { " `\($0)`" } ?? ""): request \(NumberFormatting.bytes(Double($0.requestBytes))), "
                        + "reply \(NumberFormatting.bytes(Double($0.replyBytes)))"
                }
            }
            if linkShare >= t.bigValueLinkPercent { severity = .warning }
        }
        let title: String
        if let bound = transfer?.bound, huge.isEmpty {
            let size = Double(bound.bytes) / Double(bound.commands)
            let ratio = size * 8 / bound.linkBitsPerSecond / (bound.serviceSeconds / Double(bound.commands))
            title = "\(NumberFormatting.grouped(bound.commands)) commands move values of \(NumberFormatting.bytes(size)): each spends "
                + "\(NumberFormatting.decimal(ratio, 1))× longer on the wire than in Redis"
        } else {
            title = "\(NumberFormatting.grouped(huge.count))\(huge.count >= 20 ? "+" : "") commands move values of "
                + "\(NumberFormatting.bytes(t.bigValueBytes)) or more"
        }
        var metrics = ["largestBytes": Double(biggest.bytes)]
        if let transfer {
            let (bound, share, linkShare) = transfer
            metrics["transferBoundCommands"] = Double(bound.commands)
            metrics["bytesSharePercent"] = share
            metrics["linkPercent"] = linkShare
        }
        return Finding(
            id: Self.id, severity: severity, title: title, evidence: evidence,
            recommendation: "Split big values (hash fields, chunks) or read them partially (GETRANGE, HGET of the fields needed, "
                + "HSCAN, LRANGE with bounds); compress them; cache a value read on every request in the client (CLIENT "
                + "TRACKING invalidates it when it changes). A multi-MB reply stalls every other client while it is written.",
            metrics: metrics)
    }
}
