import Analysis
import Findings
import Pipeline
import Foundation
import Testing

/// Every framework capture (fixtures/corpus/) against its server truth: what respcap counts on the wire must equal
/// the server's accounting, reconciled with the clients' own ledgers (`expected`: commandstats plus rejected
/// probes, minus commands run inside scripts), exactly.
@Suite struct CorpusTruthTests {
    static let names = TestPaths.corpusNames()

    @Test func corpusExists() {
        #expect(Self.names.count >= 30, "fixtures/corpus/ should hold the framework captures")
    }

    @Test(arguments: names)
    func commandsMatchTheWire(name: String) throws {
        let truth = try CorpusTruth.load(name)
        let report = try CorpusReports.report(name)
        let seen = Dictionary(uniqueKeysWithValues: report.commands.map { ($0.name, $0.calls) })
        #expect(seen == truth.expected.commands, "\(name): commands by name")
        #expect(report.totals.commands == truth.expected.commands.values.reduce(0, +))
    }

    @Test(arguments: names)
    func errorsMatchTheServer(name: String) throws {
        let truth = try CorpusTruth.load(name)
        let report = try CorpusReports.report(name)
        #expect(report.errorsByPrefix == truth.expected.errorsByPrefix, "\(name): errors by prefix")
        #expect(report.totals.errorReplies == truth.expected.errorsByPrefix.values.reduce(0, +))
    }

    @Test(arguments: names)
    func bytesAndConnectionsMatchTheServer(name: String) throws {
        let truth = try CorpusTruth.load(name)
        let report = try CorpusReports.report(name)
        let expected = truth.expected
        #expect(report.totals.clientBytes == expected.clientBytes, "\(name): bytes to the server")
        #expect(report.totals.serverBytes == expected.serverBytes, "\(name): bytes from the server")
        #expect(report.connections.total == expected.connections.total, "\(name): connections")
        #expect(report.connections.withHandshake == expected.connections.withHandshake)
        #expect(report.connections.withoutHandshake == expected.connections.withoutHandshake)
        #expect(report.connections.closed == expected.connectionsClosed.wire, "\(name): connections closed")
        #expect(report.connections.closedByFin + report.connections.closedByReset == expected.connectionsClosed.wire)
        // The harness counts a connection reset when a RST appears anywhere in it; respcap by what ended it first: a
        // FIN exchange answered later by a stray RST (celery-prefork-healthy, one connection) is a FIN close.
        #expect(report.connections.closedByReset <= expected.connectionsClosed.byRst, "\(name): closed by RST")
        #expect(report.connections.closedByReset + 1 >= expected.connectionsClosed.byRst, "\(name): closed by RST")
    }

    /// The ledgers record BRPOP, BLPOP and BZPOPMIN (RQ's worker also sends BLMOVE, which they leave out).
    static let ledgerBlockingPops: Set<String> = ["brpop", "blpop", "bzpopmin"]

    @Test(arguments: names)
    func blockingPopsMatchTheLedger(name: String) throws {
        let truth = try CorpusTruth.load(name)
        let report = try CorpusReports.report(name)
        let expected = truth.expected.blockingPops ?? [:]
        let seen = (report.blockingPops?.byCommand ?? [:]).filter { Self.ledgerBlockingPops.contains($0.key) }
        #expect(seen == expected.mapValues(\.calls), "\(name): blocking pops by command")
        guard let pops = report.blockingPops, !expected.isEmpty,
              Set(pops.byCommand.keys).isSubset(of: Self.ledgerBlockingPops) else { return }
        var keyCounts: [String: Int] = [:]
        for command in expected.values {
            keyCounts.merge(command.keyCountDistribution, uniquingKeysWith: +)
        }
        let distribution = Dictionary(uniqueKeysWithValues: pops.keyCountDistribution.map { (String($0.keys), $0.calls) })
        #expect(distribution == keyCounts, "\(name): keys named per call")
    }

    @Test(arguments: names)
    func capturesDecodeCleanly(name: String) throws {
        let report = try CorpusReports.report(name)
        #expect(report.capture.packets == (try CorpusTruth.tcpdumpPackets(name)), "\(name): packets")
        #expect(report.quality.parseErrors == 0, "\(name): \(report.quality.parseErrorsByCode)")
        #expect(report.quality.gaps == 0)
        #expect(report.quality.truncated == false)
        #expect(report.quality.notRedisConnections == 0)
        #expect(report.quality.unpairedReplies == 0, "\(name): unpaired replies")
    }
}
