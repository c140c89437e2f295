import Analysis
import Findings
import Pipeline
import Foundation
import Report
import Testing

/// The metrics a `respcap live --metrics` endpoint serves, computed over fixtures offline: they must agree with the
/// report of the same traffic (the live test checks them against the server's own counts).
struct MetricsExpositionTests {
    static func run(_ fixture: String, ports: Set<UInt16> = [6379]) throws -> (MetricsSnapshot, AnalysisReport) {
        var options = AnalysisOptions()
        options.serverPorts = ports
        let recorder = MetricsRecorder()
        let report = try CaptureAnalyzer(options: options)
            .analyze(paths: [TestPaths.fixtures.appendingPathComponent(fixture + ".pcap").path], extraAnalyses: [recorder])
        return (recorder.snapshot(), report)
    }

    static func samples(_ text: String) -> [String: Double] {
        var result: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            result[String(line[..<space])] = value
        }
        return result
    }

    @Test(arguments: ["errors", "multi-exec", "sidekiq-brpop-many-queues", "mixed"])
    func countersAgreeWithTheReport(fixture: String) throws {
        let (snapshot, report) = try Self.run(fixture)
        let samples = Self.samples(MetricsExposition.render(snapshot, format: .prometheus))
        for command in report.commands {
            #expect(samples[#"respcap_commands_total{command="\#(command.name)"}"#] == Double(command.calls), "\(command.name)")
            #expect(samples[#"respcap_command_errors_total{command="\#(command.name)"}"#] ?? 0 == Double(command.errors), "\(command.name)")
            #expect(samples[#"respcap_request_bytes_total{command="\#(command.name)"}"#] == Double(command.requestBytes))
            #expect(samples[#"respcap_command_duration_seconds_count{command="\#(command.name)"}"#] ?? 0
                    == Double(command.latencyMicros.count), "\(command.name)")
        }
        for (prefix, count) in report.errorsByPrefix {
            #expect(samples[#"respcap_errors_total{prefix="\#(prefix)"}"#] == Double(count))
        }
        #expect(samples["respcap_connections_opened_total"] == Double(report.connections.opened))
    }

    @Test func blockingPopKeysMatchBlockingPopStats() throws {
        let (snapshot, report) = try Self.run("sidekiq-brpop-many-queues")
        let pops = try #require(report.blockingPops)
        let samples = Self.samples(MetricsExposition.render(snapshot, format: .openMetrics))
        #expect(samples[#"respcap_blocking_pop_keys_count{command="brpop"}"#] == Double(pops.calls))
        #expect(samples[#"respcap_blocking_pop_keys_sum{command="brpop"}"#] == Double(pops.keysScanned))
        // 234 keys per call: none at or below 200, all at or below 500.
        #expect(samples[#"respcap_blocking_pop_keys_bucket{command="brpop",le="200.0"}"#] == 0)
        #expect(samples[#"respcap_blocking_pop_keys_bucket{command="brpop",le="500.0"}"#] == Double(pops.calls))
    }

    @Test func formatsFollowTheirSpecifications() throws {
        let (snapshot, _) = try Self.run("errors")
        let prometheus = MetricsExposition.render(snapshot, format: .prometheus)
        let openMetrics = MetricsExposition.render(snapshot, format: .openMetrics)
        #expect(prometheus.contains("# TYPE respcap_commands_total counter\n"))
        #expect(!prometheus.contains("# EOF") && !prometheus.contains("# UNIT"))
        #expect(openMetrics.contains("# TYPE respcap_commands counter\n"))
        #expect(openMetrics.contains("# UNIT respcap_command_duration_seconds seconds\n"))
        #expect(openMetrics.hasSuffix("# EOF\n"))
        // Buckets are cumulative and end at +Inf with the count.
        for text in [prometheus, openMetrics] {
            var last = -1.0
            for line in text.split(separator: "\n") where line.hasPrefix(#"respcap_command_duration_seconds_bucket{command="get""#) {
                let value = try #require(Double(line.split(separator: " ").last ?? ""))
                #expect(value >= last)
                last = value
            }
            #expect(last > 0)
        }
    }

    @Test func labelValuesAreEscaped() {
        var snapshot = MetricsSnapshot()
        var command = MetricsSnapshot.Command()
        command.name = "we\"ird\\name\nx"
        command.calls = 1
        snapshot.commands = [command]
        let text = MetricsExposition.render(snapshot, format: .prometheus)
        #expect(text.contains(#"respcap_commands_total{command="we\"ird\\name\nx"} 1"#))
    }
}
