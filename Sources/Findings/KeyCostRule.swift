import Analysis
import Formatting
/// A few keys cost the server most of its time or most of the bytes it moves. Redis runs commands on one thread and a
/// key lives on one node, so what one key costs is not spread by adding nodes: the top one to three keys by server time
/// (or by bytes) are named once they take `keyCostSharePercent` of all of it and that amount matters — their server
/// time per second of capture is `keyCostThreadPercent` of one thread, or their bytes `keyCostLinkPercent` of a
/// 1 Gbit/s link — over a capture of at least `keyCostMinSeconds`. The advice follows how the keys are used: mostly read (cache in the client, read from replicas),
/// mostly written (shard the key), big values (split or compress).
///
/// Captured at the clients, each call's measured network round trip (the report's `network` section) is taken off
/// the server time seen.
///
/// Not raised for keys `hot-key` already names (its advice covers their calls), nor on bytes alone when `big-values`
/// speaks of the same traffic.
public struct KeyCostRule: FindingRule {
    public static let id = "key-cost"
    public init() {}

    /// The link the bytes are weighed against, as in `big-values`.
    static let linkBitsPerSecond = KeyStats.referenceLinkBitsPerSecond

    public func evaluate(_ report: AnalysisReport, _ t: FindingThresholds) -> Finding? {
        guard let keys = report.keys, let ranked = keys.topKeysByServerTime, !ranked.isEmpty else { return nil }
        let duration = report.capture.durationSeconds
        guard duration > 0, duration >= t.keyCostMinSeconds else { return nil }
        // Captured at the clients, every reply time seen holds a network round trip: that part is not the server's.
        let network = MeasuredRoundTrip(report)?.inServiceTime ?? 0
        func serverMicros(_ key: KeyCount) -> Double {
            max(0, Double(key.serverMicros ?? 0) - Double(key.calls) * network)
        }
        let allMicros = max(0, Double(keys.serverMicros ?? 0) - Double(report.totals.replies) * network)
        let allBytes = Double(report.totals.clientBytes + report.totals.serverBytes)
        let byServerTime = network > 0 ? ranked.sorted { serverMicros($0) > serverMicros($1) } : ranked

        // The fewest top keys (up to three) that reach the share, by server time, then by bytes.
        func fewest(_ list: [KeyCount], _ value: (KeyCount) -> Double, of whole: Double) -> (keys: [KeyCount], sum: Double)? {
            guard whole > 0 else { return nil }
            var sum = 0.0
            for (index, key) in list.prefix(3).enumerated() {
                sum += value(key)
                if sum * 100 / whole >= t.keyCostSharePercent { return (Array(list.prefix(index + 1)), sum) }
            }
            return nil
        }
        var time = fewest(byServerTime, serverMicros, of: allMicros)
        if let found = time, found.sum / 1e6 / duration * 100 < t.keyCostThreadPercent { time = nil }
        var bytes = fewest(keys.topKeysByBytes, { Double($0.bytes) }, of: allBytes)
        if let found = bytes, found.sum * 8 / duration / Self.linkBitsPerSecond * 100 < t.keyCostLinkPercent { bytes = nil }
        if bytes != nil && time == nil && BigValuesRule().evaluate(report, t) != nil { bytes = nil }

        let named = (time?.keys ?? []) + (bytes?.keys ?? [])
        guard !named.isEmpty else { return nil }
        if let hot = HotKeyRule().evaluate(report, t), named.allSatisfy({ hot.title.contains("`\($0.key)`") }) { return nil }

        var evidence: [String] = []
        var metrics: [String: Double] = [:]
        var severity = Finding.Severity.info
        if let time {
            let share = time.sum * 100 / allMicros
            let thread = time.sum / 1e6 / duration * 100
            evidence.append("\(Self.names(time.keys)) took \(NumberFormatting.micros(time.sum)) of \(NumberFormatting.micros(allMicros)) "
                            + "server time, \(NumberFormatting.decimal(share, 0))% (threshold \(NumberFormatting.decimal(t.keyCostSharePercent, 0))%): "
                            + "\(NumberFormatting.decimal(thread, 1))% of one thread over the capture (threshold "
                            + "\(NumberFormatting.decimal(t.keyCostThreadPercent, 0))%"
                            + (thread >= t.keyCostThreadWarningPercent ? "; warning at \(NumberFormatting.decimal(t.keyCostThreadWarningPercent, 0))%" : "")
                            + ")")
            if network > 0 {
                evidence.append("captured at the clients: each call's measured network round trip "
                                + "(p50 \(NumberFormatting.micros(network))) is taken off the time its reply took")
            }
            if thread >= t.keyCostThreadWarningPercent { severity = .warning }
            metrics["serverTimeSharePercent"] = share
            metrics["threadPercent"] = thread
        }
        if let bytes {
            let share = bytes.sum * 100 / allBytes
            let link = bytes.sum * 8 / duration / Self.linkBitsPerSecond * 100
            evidence.append("\(Self.names(bytes.keys)) moved \(NumberFormatting.bytes(bytes.sum)) of \(NumberFormatting.bytes(allBytes)) "
                            + "on the wire, \(NumberFormatting.decimal(share, 0))% (threshold \(NumberFormatting.decimal(t.keyCostSharePercent, 0))%): "
                            + "\(NumberFormatting.decimal(link, 1))% of a 1 Gbit/s link (threshold \(NumberFormatting.decimal(t.keyCostLinkPercent, 0))%)")
            metrics["bytesSharePercent"] = share
            metrics["linkPercent"] = link
        }
        // The advice fits the costliest key named.
        let top = time?.keys.first ?? bytes!.keys.first!
        let reads = top.reads ?? 0, writes = top.writes ?? 0
        let largest = Double(top.maxValueBytes ?? 0)
        var advice: [String] = []
        if largest >= t.keyCostBigValueBytes {
            evidence.append("`\(top.key)` holds values of up to \(NumberFormatting.bytes(largest)) (threshold \(NumberFormatting.bytes(t.keyCostBigValueBytes)))")
            advice.append("Split `\(top.key)` into smaller keys or fields read separately, or compress its value")
        }
        if reads >= 2 * writes && reads > 0 {
            evidence.append("`\(top.key)`: \(Self.count(reads, "read")), \(Self.count(writes, "write")) (read-heavy: ≥ 2 reads per write)")
            advice.append("Cache `\(top.key)` in the clients and let Redis invalidate it on change (RESP3 `CLIENT TRACKING on`), "
                          + "or read it from replicas")
        } else if writes > reads {
            evidence.append("`\(top.key)`: \(Self.count(writes, "write")), \(Self.count(reads, "read")) (write-heavy)")
            advice.append("Shard `\(top.key)` into N keys (pick one per write, combine on read) so its cost spreads over nodes")
        }
        if advice.isEmpty { advice.append("See what reads and writes `\(top.key)` and whether it can be made cheaper or spread over keys") }
        metrics["keys"] = Double(Set(named.map(\.key)).count)
        let what = time != nil ? "server time" : "bytes"
        let share = time.map { $0.sum * 100 / allMicros } ?? bytes.map { $0.sum * 100 / allBytes } ?? 0
        return Finding(
            id: Self.id, severity: severity,
            title: "\(Self.names(time?.keys ?? bytes!.keys)) \(time?.keys.count ?? bytes!.keys.count == 1 ? "takes" : "take") "
                + "\(NumberFormatting.decimal(share, 0))% of the \(what)",
            evidence: evidence,
            recommendation: advice.joined(separator: ". ") + ". A key is served by one thread on one node: adding nodes does not spread it.",
            metrics: metrics)
    }

    static func count(_ n: Int, _ noun: String) -> String {
        "\(NumberFormatting.grouped(n)) \(noun)\(n == 1 ? "" : "s")"
    }

    static func names(_ keys: [KeyCount]) -> String {
        keys.map { "`\($0.key)`" }.joined(separator: ", ")
    }
}
