import Analysis
import Findings
import Pipeline
import Foundation
import Testing

/// Sentinel's own links to the master it watches are told apart from the application's, exactly as the capture
/// scripts recorded them (`expected.sentinelMonitoring`: the Sentinel's connections on the master's port and their
/// commands); captures without a Sentinel have no such section.
@Suite struct SentinelMonitoringTests {
    struct Expected: Decodable {
        struct Monitoring: Decodable {
            let connections: Int
            let commands: [String: Int]
        }
        struct Inner: Decodable { let sentinelMonitoring: Monitoring? }
        let expected: Inner
        let port: Int
    }

    @Test(arguments: TestPaths.fixtureNames())
    func sentinelLinksAreCountedApart(name: String) throws {
        let url = TestPaths.fixtures.appendingPathComponent(name + ".truth.json")
        let truth = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: url))
        let report = try FixtureTruthTests.analyze(name, port: truth.port)
        guard let expected = truth.expected.sentinelMonitoring else {
            #expect(report.sentinelMonitoring == nil, "\(name): \(String(describing: report.sentinelMonitoring))")
            return
        }
        let seen = try #require(report.sentinelMonitoring, "\(name)")
        #expect(seen.connections == expected.connections, "\(name)")
        #expect(seen.byCommand == expected.commands, "\(name)")
        #expect(seen.commands == expected.commands.values.reduce(0, +))
        #expect(seen.sentinels == 1)
    }
}
