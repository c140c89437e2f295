import Analysis
import Pipeline

/// Renders a `MetricsSnapshot` in the Prometheus text exposition format (0.0.4) or in OpenMetrics 1.0, which
/// differ in how counter families are named, in `# UNIT` lines and in the closing `# EOF`.
///
/// Names follow Prometheus conventions: `respcap_` prefix, base units (seconds, bytes), `_total` on counters.
/// Labels carry only command names and error prefixes, never arguments, so no key, value or password can appear.
public enum MetricsExposition {
    public enum Format: Sendable {
        case prometheus
        case openMetrics

        public var contentType: String {
            switch self {
            case .prometheus: "text/plain; version=0.0.4; charset=utf-8"
            case .openMetrics: "application/openmetrics-text; version=1.0.0; charset=utf-8"
            }
        }
    }

    public static func render(_ snapshot: MetricsSnapshot, format: Format) -> String {
        var out = Writer(format: format)
        let commands = snapshot.commands.compactMap { command in command.name.map { ($0, command) } }
            .sorted { $0.0 < $1.0 }

        out.family("respcap_commands", type: "counter", help: "Commands sent to Redis, by command (as INFO commandstats names them).")
        for (name, command) in commands { out.sample("respcap_commands_total", ["command": name], command.calls) }

        out.family("respcap_command_errors", type: "counter", help: "Commands answered with an error (also inside EXEC), by command.")
        for (name, command) in commands where command.errors > 0 {
            out.sample("respcap_command_errors_total", ["command": name], command.errors)
        }

        out.family("respcap_errors", type: "counter", help: "Error replies by error prefix (as INFO errorstats names them).")
        for (prefix, count) in snapshot.errorsByPrefix.sorted(by: { $0.key < $1.key }) {
            out.sample("respcap_errors_total", ["prefix": prefix], count)
        }

        out.family("respcap_command_duration_seconds", type: "histogram", unit: "seconds",
                   help: "Service time: first byte of the reply minus last byte of the request (blocking commands' waits and commands queued in MULTI excluded).")
        for (name, command) in commands where command.latency.count > 0 {
            out.histogram("respcap_command_duration_seconds", ["command": name], command.latency,
                          bounds: MetricsRecorder.latencyBounds)
        }

        out.family("respcap_blocking_pop_keys", type: "histogram",
                   help: "Keys per blocking pop call (BRPOP, BLPOP, BZPOPMIN, BLMPOP...): Redis scans each on every call.")
        for (name, command) in commands where command.blockingKeys.count > 0 {
            out.histogram("respcap_blocking_pop_keys", ["command": name], command.blockingKeys,
                          bounds: MetricsRecorder.blockingKeyBounds)
        }

        out.family("respcap_request_bytes", type: "counter", unit: "bytes", help: "RESP bytes of requests, by command.")
        for (name, command) in commands { out.sample("respcap_request_bytes_total", ["command": name], command.requestBytes) }
        out.family("respcap_reply_bytes", type: "counter", unit: "bytes", help: "RESP bytes of replies, by command.")
        for (name, command) in commands { out.sample("respcap_reply_bytes_total", ["command": name], command.replyBytes) }

        out.family("respcap_connections_opened", type: "counter", help: "Connections to Redis seen opening (or first seen).")
        out.sample("respcap_connections_opened_total", [:], snapshot.connectionsOpened)
        out.family("respcap_connections_closed", type: "counter", help: "Connections to Redis seen closing (FIN, RST or idle timeout).")
        out.sample("respcap_connections_closed_total", [:], snapshot.connectionsClosed)
        out.family("respcap_connections", type: "gauge", help: "Connections to Redis open now.")
        out.sample("respcap_connections", [:], snapshot.connectionsOpened - snapshot.connectionsClosed)

        out.family("respcap_capture_packets", type: "counter", help: "Packets captured and analysed.")
        out.sample("respcap_capture_packets_total", [:], snapshot.packetsAnalysed)
        out.family("respcap_capture_bytes", type: "counter", unit: "bytes", help: "Captured bytes of the packets analysed.")
        out.sample("respcap_capture_bytes_total", [:], snapshot.bytesAnalysed)
        out.family("respcap_capture_dropped_packets", type: "counter",
                   help: "Packets lost: dropped by the kernel or the interface (pcap_stats), or captured but not analysed (analysis fell behind).")
        out.sample("respcap_capture_dropped_packets_total", ["reason": "kernel"], snapshot.droppedByKernel)
        out.sample("respcap_capture_dropped_packets_total", ["reason": "interface"], snapshot.droppedByInterface)
        out.sample("respcap_capture_dropped_packets_total", ["reason": "not_analysed"], snapshot.packetsNotAnalysed)
        if format == .openMetrics { out.text += "# EOF\n" }
        return out.text
    }

    private struct Writer {
        let format: Format
        var text = ""

        mutating func family(_ name: String, type: String, unit: String? = nil, help: String) {
            // OpenMetrics names a counter family without `_total`; the 0.0.4 text format names it by its sample.
            let familyName = format == .prometheus && type == "counter" ? name + "_total" : name
            text += "# HELP \(familyName) \(help)\n# TYPE \(familyName) \(type)\n"
            if let unit, format == .openMetrics { text += "# UNIT \(familyName) \(unit)\n" }
        }

        mutating func sample<N: Numeric & CustomStringConvertible>(_ name: String, _ labels: [String: String], _ value: N) {
            text += name + Self.labels(labels) + " " + value.description + "\n"
        }

        mutating func histogram(_ name: String, _ labels: [String: String], _ histogram: MetricsSnapshot.Histogram,
                                bounds: [Double]) {
            var cumulative = 0
            for (i, bound) in bounds.enumerated() {
                cumulative += histogram.counts[i]
                var withBound = labels
                withBound["le"] = Self.number(bound)
                sample(name + "_bucket", withBound, cumulative)
            }
            var infinite = labels
            infinite["le"] = "+Inf"
            sample(name + "_bucket", infinite, histogram.count)
            text += name + "_sum" + Self.labels(labels) + " " + Self.number(histogram.sum) + "\n"
            sample(name + "_count", labels, histogram.count)
        }

        static func labels(_ labels: [String: String]) -> String {
            guard !labels.isEmpty else { return "" }
            // `le` last, as Prometheus itself writes it.
            let ordered = labels.sorted { ($0.key == "le" ? 1 : 0, $0.key) < ($1.key == "le" ? 1 : 0, $1.key) }
            return "{" + ordered.map { "\($0.key)=\"\(escape($0.value))\"" }.joined(separator: ",") + "}"
        }

        /// Label values may hold any bytes a client sent as a command name: escape as the format requires.
        static func escape(_ value: String) -> String {
            var out = ""
            for character in value {
                switch character {
                case "\\": out += "\\\\"
                case "\"": out += "\\\""
                case "\n": out += "\\n"
                default: out.append(character)
                }
            }
            return out
        }

        static func number(_ value: Double) -> String {
            if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) + ".0" }
            return "\(value)"
        }
    }
}
