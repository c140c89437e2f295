import Analysis
import Findings
import Pipeline
import RedisSemantics
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The compact status line `respcap live` keeps on stderr: commands/s, top commands and p99 over the last
/// interval, open connections, and drops so far. Redrawn in place on a terminal, one line per refresh otherwise.
final class LiveSummary: TrafficAnalysis {
    private let interface: String
    private let inPlace: Bool
    private var commandsByID: [CommandID: Int] = [:]
    private var intervalCommands = 0
    private var openConnections = 0
    /// Latencies of the interval in log2 buckets of nanoseconds; enough for a p99 to within a factor of sqrt(2).
    private var latencyBuckets = [Int](repeating: 0, count: 128)
    private var latencyCount = 0
    private var lastElapsed = 0.0
    private var drawn = false

    init(interface: String, inPlace: Bool) {
        self.interface = interface
        self.inPlace = inPlace
    }

    // MARK: TrafficAnalysis

    func connectionOpened(_ connection: ConnectionInfo) { openConnections += 1 }
    func connectionClosed(_ connection: ConnectionInfo) { openConnections -= 1 }

    func command(_ record: CommandRecord, on connection: ConnectionInfo) {
        intervalCommands += 1
        commandsByID[record.command, default: 0] += 1
        if let nanos = record.latencyNanos, !record.isBlocking {
            latencyBuckets[Self.bucket(nanos)] += 1
            latencyCount += 1
        }
    }

    func finish(into report: inout AnalysisReport, context: AnalysisContext) {}

    // MARK: Line

    static func bucket(_ nanos: Int64) -> Int {
        guard nanos > 0 else { return 0 }
        // Half-octave buckets: 2 per power of two.
        let log2 = 63 - nanos.leadingZeroBitCount
        let half = log2 > 0 && (nanos >> (log2 - 1)) & 1 == 1 ? 1 : 0
        return min(log2 * 2 + half, 127)
    }

    static func bucketUpperNanos(_ bucket: Int) -> Double {
        let log2 = bucket / 2
        let base = Double(UInt64(1) << UInt64(log2))
        return bucket % 2 == 0 ? base * 1.5 : base * 2
    }

    private func p99Nanos() -> Double? {
        guard latencyCount > 0 else { return nil }
        let target = Int((Double(latencyCount) * 0.99).rounded(.up))
        var seen = 0
        for (index, n) in latencyBuckets.enumerated() {
            seen += n
            if seen >= target { return Self.bucketUpperNanos(index) }
        }
        return nil
    }

    func line(_ status: LiveAnalyzer.Status, registry: CommandRegistry) -> String {
        let seconds = max(status.elapsedSeconds - lastElapsed, 0.001)
        let rate = Double(intervalCommands) / seconds
        var parts: [String] = []
        let elapsed = Int(status.elapsedSeconds)
        parts.append("live \(interface) \(elapsed / 60):\(elapsed % 60 < 10 ? "0" : "")\(elapsed % 60)")
        parts.append("\(Self.compact(rate)) cmd/s")
        let top = commandsByID.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(3)
        if !top.isEmpty, intervalCommands > 0 {
            parts.append(top.map { "\(registry.name(of: $0.key)) \(Int((Double($0.value) * 100 / Double(intervalCommands)).rounded()))%" }
                .joined(separator: " "))
        }
        parts.append("\(openConnections) conn")
        if let p99 = p99Nanos() { parts.append("p99 <\(Self.duration(p99))") }
        let drops = status.capture.droppedByKernel + status.capture.droppedByInterface
        parts.append("drops \(drops) kernel, \(status.packetsNotAnalysed) queue")
        parts.append("\(Self.compact(Double(status.commands))) cmds")
        return parts.joined(separator: " | ")
    }

    /// Draws the line for this interval and starts the next.
    func refresh(_ status: LiveAnalyzer.Status, registry: CommandRegistry) {
        let text = line(status, registry: registry)
        Diagnostics.write(inPlace ? "\r\u{1B}[K" + text : text + "\n")
        drawn = inPlace
        lastElapsed = status.elapsedSeconds
        intervalCommands = 0
        commandsByID.removeAll(keepingCapacity: true)
        for i in latencyBuckets.indices { latencyBuckets[i] = 0 }
        latencyCount = 0
    }

    func clear() {
        guard drawn else { return }
        Diagnostics.write("\r\u{1B}[K")
        drawn = false
    }

    static func compact(_ value: Double) -> String {
        switch value {
        case ..<1_000: return String(Int(value.rounded()))
        case ..<1_000_000: return tenths(value / 1_000) + "k"
        default: return tenths(value / 1_000_000) + "M"
        }
    }

    static func duration(_ nanos: Double) -> String {
        switch nanos {
        case ..<1_000: return "\(Int(nanos))ns"
        case ..<1_000_000: return "\(Int(nanos / 1_000))µs"
        case ..<1_000_000_000: return tenths(nanos / 1_000_000) + "ms"
        default: return tenths(nanos / 1_000_000_000) + "s"
        }
    }

    private static func tenths(_ value: Double) -> String {
        let scaled = Int((value * 10).rounded())
        return "\(scaled / 10).\(scaled % 10)"
    }
}
