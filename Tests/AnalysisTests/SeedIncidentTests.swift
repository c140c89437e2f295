import Formatting
import Foundation
import Report
import Testing
@testable import Analysis
@testable import Findings
@testable import Pipeline

/// The five incidents of ../shared/seeds/, reproduced in miniature by real clients (Sidekiq, redis-py with
/// Sentinel, gevent, a real cluster, `appendfsync always`), plus healthy pipelined traffic. Each report must put
/// the incident's cause first, and its figures must equal what the workload and the server recorded
/// (fixtures/*.truth.json, `expected`), never respcap's own output.
@Suite struct SeedIncidentTests {
    /// A fixture's report, analysed on every port its truth names (Redis and, for Sentinel, the sentinel port).
    static func report(_ name: String) throws -> (AnalysisReport, [String: Any]) {
        let url = TestPaths.fixtures.appendingPathComponent(name + ".truth.json")
        let truth = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let ports = (truth["ports"] as? [Int]) ?? [truth["port"] as? Int ?? 6379]
        var options = AnalysisOptions()
        options.serverPorts = Set(ports.map { UInt16($0) })
        let report = try CaptureAnalyzer(options: options).analyze(paths: [TestPaths.fixtures.appendingPathComponent(name + ".pcap").path])
        return (report, try #require(truth["expected"] as? [String: Any]))
    }

    static func ints(_ value: Any?) -> [String: Int] {
        (value as? [String: Any] ?? [:]).compactMapValues { $0 as? Int }
    }

    @Test func sidekiqBlockingPopsOn234Queues() throws {
        let (report, expected) = try Self.report("sidekiq-brpop-many-queues")
        let truth = try #require(expected["blockingPops"] as? [String: Any])
        let b = try #require(report.blockingPops)
        #expect(b.calls == truth["calls"] as? Int)
        #expect(b.byCommand == ["brpop": truth["calls"] as? Int ?? -1])
        let keyCounts = Self.ints(truth["keyCountDistribution"])
        #expect(b.keyCountDistribution.map { String($0.keys) } == Array(keyCounts.keys))
        #expect(b.keyCountDistribution.map(\.calls) == Array(keyCounts.values))
        #expect(b.keyCountDistribution.first?.clients == truth["blockingClients"] as? Int)
        let lengths = Self.ints(truth["arrayLengthDistribution"])
        #expect(b.arrayLengthDistribution.map { String($0.length) } == Array(lengths.keys))
        #expect(b.arrayLengthDistribution.map(\.calls) == Array(lengths.values))
        #expect(b.timeoutDistribution.map(\.timeoutSeconds) == [Double(truth["timeoutSeconds"] as? Int ?? -1)])
        #expect(b.served == truth["served"] as? Int)
        #expect(b.timedOut == truth["timedOut"] as? Int)
        #expect(b.pendingAtEnd == truth["pendingAtEnd"] as? Int)
        #expect(b.keysScanned == Int64(truth["keysScanned"] as? Int ?? -1))
        #expect(b.servedByKey == Self.ints(truth["servedByKey"]))

        let queues = try #require(expected["queues"] as? [String: [String: Int]])
        let reported = Dictionary(uniqueKeysWithValues: (report.queues ?? []).map { ($0.key, $0) })
        for (key, q) in queues {
            let r = try #require(reported[key], "\(key)")
            #expect(r.pushCommands == q["pushCommands"] && r.elementsPushed == q["elementsPushed"]
                    && r.elementsPopped == q["elementsPopped"], "\(key)")
        }
        // Cause first.
        #expect(report.findings.first?.id == "blocking-pop-many-keys")
        #expect(report.findings.first?.severity == .critical)
        #expect(report.findings.first?.title.contains("234 keys") == true)
    }

    @Test func sentinelMasterForPerRequestIsConnectionChurn() throws {
        let (report, expected) = try Self.report("sentinel-churn")
        let opened = Self.ints(expected["connectionsOpened"])
        let closed = Self.ints(expected["connectionsClosed"])
        let c = report.connections
        // The truth counts the Redis server's connections; the capture also holds the client's one connection to
        // the sentinel (port 26379).
        let redis = try #require(c.byServer.first { $0.address.hasSuffix(":6379") })
        let sentinel = try #require(c.byServer.first { $0.address.hasSuffix(":26379") })
        #expect(redis.opened == opened["server"])
        #expect(c.opened == redis.opened + sentinel.opened)
        #expect(c.closed == closed["wire"].map { $0 + sentinel.opened })
        #expect(c.closedByFin == closed["byFin"].map { $0 + sentinel.opened })
        #expect(redis.shortLived == opened["server"])
        let setup = Self.ints(expected["setupCommands"])
        for (name, count) in setup { #expect(c.setupCommands?.byCommand[name] == count, "\(name)") }
        #expect(report.findings.first?.id == "connection-churn")
        #expect(report.findings.first?.severity == .critical)
    }

    @Test func geventPoolIsSaturated() throws {
        let (report, expected) = try Self.report("pool-saturation")
        let pool = try #require(expected["pool"] as? [String: Any])
        #expect(report.connections.opened == pool["connectionsMade"] as? Int)
        #expect(report.connections.peakConcurrent == pool["maxConnections"] as? Int)
        #expect(report.totals.commands == pool["commands"] as? Int)
        #expect(report.findings.first?.id == "pool-saturation")
    }

    /// The finding and the Connections section name one figure "in use" and print the same value for it.
    @Test func poolFindingAndConnectionsAgreeOnTimeInUse() throws {
        let (report, _) = try Self.report("pool-saturation")
        let markdown = MarkdownReportRenderer.render(report)
        let finding = try #require(report.findings.first { $0.id == "pool-saturation" })
        let inUse = try #require(finding.metrics["inUsePercent"])
        let printed = NumberFormatting.decimal(inUse, 1)
        #expect(finding.evidence.first?.contains("in use \(printed)% of the time") == true)
        let line = try #require(markdown.split(separator: "\n").first { $0.hasPrefix("- In use (") })
        #expect(line.contains("): \(printed)% overall"), "\(line)")
        #expect(!markdown.contains("Utilisation"))
    }

    @Test func clusterClientGrowsConnectionsAndSendsOneRoundTripPerCommand() throws {
        let (report, expected) = try Self.report("cluster-unpipelined")
        let perNode = Self.ints(expected["connectionsPerNode"])
        let byServer = Dictionary(uniqueKeysWithValues: report.connections.byServer.map { ($0.address, $0.connections) })
        #expect(byServer == perNode)
        #expect(report.connections.opened == Self.ints(expected["connectionsOpened"])["server"])
        let ids = report.findings.map(\.id)
        #expect(ids.first == "connection-growth")
        #expect(ids.contains("unpipelined-round-trips"))
    }

    @Test func appendfsyncAlwaysAndScanPerRequest() throws {
        let (report, expected) = try Self.report("appendfsync-always")
        let requests = try #require(expected["requests"] as? [String: Any])
        let writes = Self.ints(requests["writeCommands"])
        #expect(report.latency?.writesMicros.count == writes.values.reduce(0, +))
        let scan = try #require(report.findings.first { $0.id == "keyspace-scan-in-request-path" })
        #expect(scan.metrics["calls"] == Double(requests["scanCallsTotal"] as? Int ?? -1))
        #expect(report.findings.contains { $0.id == "slow-writes" })
        #expect(report.keys?.fullKeyspaceCommands.first { $0.command == "scan" }?.calls == requests["scanCallsTotal"] as? Int)
    }

    @Test func healthyPipelinedTrafficHasNoFindings() throws {
        let (report, expected) = try Self.report("healthy-pipelined")
        #expect((expected["findings"] as? [Any])?.isEmpty == true)
        #expect(report.findings.isEmpty, "\(report.findings.map(\.id))")
    }
}
