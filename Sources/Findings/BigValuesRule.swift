import Analysis
import Formatting
/// Very large requests or replies: they block the server's single thread while it copies them and fill buffers.
public struct BigValuesRule: FindingRule {
    public static let id = "big-values"
    public init() {}

    public func evaluate(_ report: AnalysisReport, _ t: FindingThresholds) -> Finding? {
        guard let biggest = report.keys?.biggest.first, Double(biggest.bytes) >= t.bigValueBytes else { return nil }
        let big = report.keys?.biggest.filter { Double($0.bytes) >= t.bigValueBytes } ?? []
        return Finding(
            id: Self.id, severity: Double(biggest.bytes) >= 10 * t.bigValueBytes ? .warning : .info,
            title: "\(NumberFormatting.grouped(big.count))\(big.count >= 20 ? "+" : "") commands move values of \(NumberFormatting.bytes(t.bigValueBytes)) or more",
            evidence: big.prefix(3).map {
                "\($0.command.uppercased())\($0.key.map { " `\($0)`" } ?? ""): request \(NumberFormatting.bytes(Double($0.requestBytes))), "
                    + "reply \(NumberFormatting.bytes(Double($0.replyBytes))) (threshold \(NumberFormatting.bytes(t.bigValueBytes)))"
            },
            recommendation: "Split big values (hash fields, chunks) or read them partially (GETRANGE, HSCAN, LRANGE with bounds); "
                + "a multi-MB reply stalls every other client while it is written.",
            metrics: ["largestBytes": Double(biggest.bytes)])
    }
}
