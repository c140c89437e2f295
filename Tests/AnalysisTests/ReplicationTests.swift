import Analysis
import Foundation
import Pipeline
@testable import Report
import Testing

/// A real master and replica (scripts/capture-replication.sh): the replica's full sync and the write stream that
/// follows, captured on the master's port, against the servers' own figures (`fixtures/replication/*.truth.json`).
@Suite struct ReplicationTests {
    struct Truth: Decodable {
        struct Expected: Decodable {
            let commands: [String: Int]
            let propagated: [String: Int]
            let replicas: Int
            let fullSyncs: Int
            let partialSyncs: Int
            let masterReplOffset: Int64
            let ackedOffset: Int64
            let lagBytes: Int64
            let rdbBytes: Int64
        }
        let port: Int
        let expected: Expected
    }

    static let directory = TestPaths.fixtures.appendingPathComponent("replication")
    static let names = ["full-sync-disk", "full-sync-diskless", "partial-resync", "replica-stalled"]

    static func load(_ name: String) throws -> (Truth, AnalysisReport) {
        let truth = try JSONDecoder().decode(
            Truth.self, from: Data(contentsOf: directory.appendingPathComponent(name + ".truth.json")))
        return (truth, try analyze(directory.appendingPathComponent(name + ".pcap").path, port: truth.port))
    }

    static func analyze(_ path: String, port: Int) throws -> AnalysisReport {
        var options = AnalysisOptions()
        options.serverPorts = [UInt16(port)]
        return try CaptureAnalyzer(options: options).analyze(paths: [path])
    }

    @Test(arguments: names)
    func commandsAreTheServersAndTheStreamIsApart(name: String) throws {
        let (truth, report) = try Self.load(name)
        let seen = Dictionary(uniqueKeysWithValues: report.commands.map { ($0.name, $0.calls) })
        #expect(seen == truth.expected.commands, "\(name): commands")
        let replication = try #require(report.replication, "\(name)")
        let propagated = Dictionary(uniqueKeysWithValues: replication.propagated.map { ($0.name, $0.calls) })
        #expect(propagated == truth.expected.propagated, "\(name): propagated")
        #expect(report.quality.verdict == "complete", "\(name): \(report.quality.verdict)")
        #expect(report.quality.parseErrors == 0, "\(name): \(report.quality.parseErrorsByCode)")
        #expect(report.quality.unpairedReplies == 0, "\(name)")
    }

    @Test(arguments: names)
    func syncsOffsetsAndLagAreTheServers(name: String) throws {
        let (truth, report) = try Self.load(name)
        let replicas = try #require(report.replication?.replicas, "\(name)")
        #expect(replicas.count == truth.expected.replicas)
        let replica = try #require(replicas.first)
        #expect(replica.address == "127.0.0.1:\(truth.port + 1)")
        #expect(replica.fullSyncs == truth.expected.fullSyncs)
        #expect(replica.partialSyncs == truth.expected.partialSyncs)
        #expect(replica.rdbBytes == truth.expected.rdbBytes, "\(name): RDB bytes")
        #expect(replica.masterOffset == truth.expected.masterReplOffset, "\(name): master offset")
        #expect(replica.ackedOffset == truth.expected.ackedOffset, "\(name): acked offset")
        #expect(replica.lagBytes == truth.expected.lagBytes)
        let streamBytes = report.replication?.propagated.reduce(Int64(0)) { $0 + $1.bytes }
        #expect(streamBytes == replica.propagatedBytes)
    }

    /// REPLCONF ACK is never answered: it must not wait for a reply and take the master's next bytes as one.
    @Test(arguments: names)
    func replconfAckIsNotAnswered(name: String) throws {
        let (truth, report) = try Self.load(name)
        let replconf = try #require(report.commands.first { $0.name == "replconf" })
        #expect(replconf.unanswered == 0)
        // Each of the replica's handshakes (one per sync) has two answered REPLCONFs (listening-port, capa); every
        // other one is an ACK.
        let handshakes = truth.expected.fullSyncs + truth.expected.partialSyncs
        #expect(replconf.noReply == truth.expected.commands["replconf"]! - 2 * handshakes, "\(name)")
        let psync = try #require(report.commands.first { $0.name == "psync" })
        #expect(psync.unanswered == 0 && psync.noReply == 0)
    }

    /// The RDB's framing, its end mark and the stream's messages cut at every place give the same figures.
    @Test(arguments: names)
    func resegmentedLinksGiveTheSameFigures(name: String) throws {
        let (truth, clean) = try Self.load(name)
        let packets = try CapturePerturbation.read(Self.directory.appendingPathComponent(name + ".pcap").path)
        for sizes in [[1], [3, 40, 7], [41, 1000]] {
            let file = CapturePerturbation.write(CapturePerturbation.pcap(CapturePerturbation.resegment(packets, sizes: sizes)),
                                                 name: "replication-\(name)-\(sizes.count)")
            defer { try? FileManager.default.removeItem(atPath: file) }
            let report = try Self.analyze(file, port: truth.port)
            #expect(report.replication == clean.replication, "\(name) cut \(sizes)")
            #expect(report.commands.map { "\($0.name):\($0.calls):\($0.noReply)" }
                    == clean.commands.map { "\($0.name):\($0.calls):\($0.noReply)" }, "\(name) cut \(sizes)")
            #expect(report.quality.parseErrors == 0)
        }
    }

    /// `merge` lists each report's replicas and adds the propagated commands by name, through the JSON.
    @Test func mergeAddsTheStreams() throws {
        let reports = try Self.names.map { try Self.load($0).1 }
        let merged = try ReportMerger().merge(reports.map(document))
        let replication = try #require(merged.replication)
        let replicas = reports.flatMap { $0.replication?.replicas ?? [] }
        #expect(replication.replicas.map { "\($0.address) \($0.rdbBytes) \($0.masterOffset ?? -1) \($0.ackedOffset ?? -1)" }
                == replicas.map { "\($0.address) \($0.rdbBytes) \($0.masterOffset ?? -1) \($0.ackedOffset ?? -1)" })
        var calls: [String: Int] = [:]
        for p in reports.flatMap({ $0.replication?.propagated ?? [] }) { calls[p.name, default: 0] += p.calls }
        #expect(Dictionary(uniqueKeysWithValues: replication.propagated.map { ($0.name, $0.calls) }) == calls)
    }

    /// `diff` compares full syncs and the largest lag as the reports give them.
    @Test func diffComparesSyncsAndLag() throws {
        let (_, before) = try Self.load("full-sync-disk")
        let (_, after) = try Self.load("partial-resync")
        let diff = ReportDiff(before: try document(before), after: try document(after))
        let metrics = Dictionary(uniqueKeysWithValues: diff.metrics("replication").map { ($0.id, $0) })
        #expect(metrics["replication.fullSyncs"]?.before == 1 && metrics["replication.fullSyncs"]?.after == 1)
        #expect(metrics["replication.maxLagBytes"]?.before == before.replication?.replicas.first?.lagBytes.map(Double.init))
        #expect(metrics["replication.maxLagBytes"]?.after == after.replication?.replicas.first?.lagBytes.map(Double.init))
        let plain = try FixtureTruthTests.analyze("pipelined", port: FixtureTruth.load("pipelined").port)
        #expect(ReportDiff(before: try document(plain), after: try document(plain)).metrics("replication").isEmpty)
    }

    func document(_ report: AnalysisReport) throws -> ReportDocument {
        try ReportDocument(jsonData: Data(JSONReportRenderer.render(report).utf8), label: report.capture.files.joined())
    }
}
