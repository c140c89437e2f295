import Analysis
import Findings
import Foundation
import Pipeline
import Testing

/// A replica stopped (SIGSTOP) while its master went on writing (scripts/capture-replication.sh stalled): it stops
/// acknowledging, which the capture shows; replicas that keep up raise nothing.
@Suite struct ReplicaLagRuleTests {
    struct Truth: Decodable {
        struct Expected: Decodable {
            let lagBytes: Int64
            let secondsSinceAck: Double
            let masterInfoLagSeconds: Int
        }
        let port: Int
        let expected: Expected
    }

    static func analyze(_ name: String, port: Int?) throws -> AnalysisReport {
        var options = AnalysisOptions()
        if let port { options.serverPorts = [UInt16(port)] } else { options.searchesEveryPort = true }
        let path = TestPaths.fixtures.appendingPathComponent("replication/\(name).pcap").path
        return try CaptureAnalyzer(options: options).analyze(paths: [path])
    }

    @Test func stalledReplicaIsFound() throws {
        let truth = try JSONDecoder().decode(Truth.self, from: Data(contentsOf: TestPaths.fixtures.appendingPathComponent(
            "replication/replica-stalled.truth.json")))
        let report = try Self.analyze("replica-stalled", port: truth.port)
        let replica = try #require(report.replication?.replicas.first)
        #expect(replica.lagBytes == truth.expected.lagBytes)
        let silence = try #require(replica.secondsSinceAck)
        #expect(abs(silence - truth.expected.secondsSinceAck) < 1e-5, "\(silence)")
        #expect(Double(truth.expected.masterInfoLagSeconds) >= silence)
        let finding = try #require(report.findings.first { $0.id == ReplicaLagRule.id })
        #expect(finding.severity == .warning)
        #expect(finding.metrics["lagBytes"] == Double(truth.expected.lagBytes))
    }

    @Test(arguments: ["full-sync-disk", "full-sync-diskless", "partial-resync", "replica-side"])
    func replicasThatKeepUpRaiseNothing(name: String) throws {
        let report = try Self.analyze(name, port: nil)
        #expect(!report.findings.contains { $0.id == ReplicaLagRule.id }, "\(name)")
        #expect((report.replication?.replicas.first?.secondsSinceAck ?? 0) < 2, "\(name)")
    }
}
