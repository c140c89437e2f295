import Analysis
import Foundation
import Pipeline
import Testing

/// A capture on a replica's host (scripts/capture-replication.sh replica-side): the replica's port, where its clients
/// read, and its link out to the master, both on ports that are not 6379. Found by content, the figures are both
/// servers' own.
@Suite struct ReplicaSideCaptureTests {
    struct Truth: Decodable {
        struct Expected: Decodable {
            let commands: [String: Int]
            let replicaCommands: [String: Int]
            let propagated: [String: Int]
            let fullSyncs: Int
            let partialSyncs: Int
            let masterReplOffset: Int64
            let ackedOffset: Int64
            let lagBytes: Int64
            let rdbBytes: Int64
            let serverPortsFound: [Int]
        }
        let port: Int
        let replicaPort: Int
        let replicaAddress: String
        let expected: Expected
    }

    static let capture = TestPaths.fixtures.appendingPathComponent("replication/replica-side.pcap").path

    static func truth() throws -> Truth {
        try JSONDecoder().decode(Truth.self, from: Data(contentsOf: TestPaths.fixtures.appendingPathComponent(
            "replication/replica-side.truth.json")))
    }

    static func analyze(ports: Set<UInt16>?) throws -> AnalysisReport {
        var options = AnalysisOptions()
        if let ports { options.serverPorts = ports } else { options.searchesEveryPort = true }
        return try CaptureAnalyzer(options: options).analyze(paths: [capture])
    }

    static func calls(_ report: AnalysisReport) -> [String: Int] {
        Dictionary(uniqueKeysWithValues: report.commands.map { ($0.name, $0.calls) })
    }

    @Test func bothServersAreFoundAndExact() throws {
        let truth = try Self.truth()
        let report = try Self.analyze(ports: nil)
        #expect(Self.calls(report) == truth.expected.commands)
        #expect(report.capture.serverPortsFound == truth.expected.serverPortsFound)
        #expect(report.quality.verdict == "complete")
        let replication = try #require(report.replication)
        #expect(Dictionary(uniqueKeysWithValues: replication.propagated.map { ($0.name, $0.calls) }) == truth.expected.propagated)
        let replica = try #require(replication.replicas.first)
        #expect(replication.replicas.count == 1)
        #expect(replica.address == truth.replicaAddress)
        #expect(replica.fullSyncs == truth.expected.fullSyncs && replica.partialSyncs == truth.expected.partialSyncs)
        #expect(replica.rdbBytes == truth.expected.rdbBytes)
        #expect(replica.masterOffset == truth.expected.masterReplOffset)
        #expect(replica.ackedOffset == truth.expected.ackedOffset)
        #expect(replica.lagBytes == truth.expected.lagBytes)
    }

    /// Both ports named give what the search finds; the replica's port alone gives its clients' commands only.
    @Test func namedPortsRestrictTheView() throws {
        let truth = try Self.truth()
        let both = try Self.analyze(ports: [UInt16(truth.port), UInt16(truth.replicaPort)])
        #expect(Self.calls(both) == truth.expected.commands)
        #expect(both.replication?.replicas.first?.lagBytes == truth.expected.lagBytes)
        let replicaOnly = try Self.analyze(ports: [UInt16(truth.replicaPort)])
        #expect(Self.calls(replicaOnly) == truth.expected.replicaCommands)
        #expect(replicaOnly.replication == nil)
    }
}
