import Analysis
import Findings
import Pipeline
import Foundation
import Testing

/// Every fixture is a real capture of a real redis-server; respcap's numbers must equal the server's own
/// accounting (INFO commandstats/errorstats/stats, reconciled with the client's ledger) exactly.
@Suite struct FixtureTruthTests {
    static let names = TestPaths.fixtureNames()

    static func analyze(_ name: String, port: Int) throws -> AnalysisReport {
        var options = AnalysisOptions()
        options.serverPorts = [UInt16(port)]
        let path = TestPaths.fixtures.appendingPathComponent(name + ".pcap").path
        return try CaptureAnalyzer(options: options).analyze(paths: [path])
    }

    @Test func fixturesExist() {
        #expect(Self.names.count >= 10, "fixtures/ should hold the recorded captures")
    }

    @Test(arguments: names)
    func commandsMatchTheServer(name: String) throws {
        let truth = try FixtureTruth.load(name)
        let report = try Self.analyze(name, port: truth.port)
        let seen = Dictionary(uniqueKeysWithValues: report.commands.map { ($0.name, $0.calls) })
        #expect(seen == truth.expected.commands, "\(name): commands by name")
        #expect(report.totals.commands == truth.expected.commands.values.reduce(0, +))
        #expect(report.errorsByPrefix == truth.expected.errorsByPrefix, "\(name): errors by prefix")
        #expect(report.totals.errorReplies == truth.expected.errorsByPrefix.values.reduce(0, +))
    }

    @Test(arguments: names)
    func bytesAndConnectionsMatchTheServer(name: String) throws {
        let truth = try FixtureTruth.load(name)
        let report = try Self.analyze(name, port: truth.port)
        #expect(report.totals.clientBytes == truth.expected.clientBytes, "\(name): bytes to the server")
        #expect(report.totals.serverBytes == truth.expected.serverBytes, "\(name): bytes from the server")
        #expect(report.connections.total == truth.expected.connections.total, "\(name): connections")
        #expect(report.connections.withHandshake == truth.expected.connections.withHandshake)
        #expect(report.connections.withoutHandshake == truth.expected.connections.withoutHandshake)
    }

    @Test(arguments: names)
    func cleanCapturesDecodeCleanly(name: String) throws {
        let truth = try FixtureTruth.load(name)
        let report = try Self.analyze(name, port: truth.port)
        #expect(report.quality.parseErrors == 0, "\(name): \(report.quality.parseErrorsByCode)")
        #expect(report.quality.gaps == 0)
        #expect(report.quality.truncated == false)
        #expect(report.quality.notRedisConnections == 0)
        if truth.expected.connections.withoutHandshake == 0 {
            #expect(report.quality.unpairedReplies == 0, "\(name): unpaired replies")
        }
    }
}
