import Foundation
import Testing

/// Per-command events of many hosts read as one table: each host's NDJSON in a hive-style folder (`host=NAME/`), and
/// DuckDB gives every row its `host` column. The counts per host and command equal each host's JSON report.
@Suite struct FleetEventsTests {
    @Test func hostsEventsReadAsOneTableWithAHostColumn() throws {
        let base = OutputsTests.temporary("fleet")
        defer { try? FileManager.default.removeItem(at: base) }
        var expected: [String: [String: Int]] = [:]
        for (host, fixture) in [("app1", "fixtures/pipelined.pcap"), ("app2", "fixtures/unpipelined.pcap"),
                                ("worker1", "fixtures/sidekiq-brpop-many-queues.pcap")] {
            let folder = base.appendingPathComponent("host=\(host)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let r = try EndToEndTests.run(["analyze", "--format", "json", "--events",
                                           folder.appendingPathComponent("events.ndjson").path, fixture])
            #expect(r.status == 0, "\(r.stderr)")
            let report = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
            for command in report["commands"] as? [[String: Any]] ?? [] {
                expected[host, default: [:]][command["name"] as! String] = command["calls"] as? Int
            }
        }
        // The query docs/REPORT.md shows for a fleet.
        let rows = try EventCountsTests.duckdb("SELECT host, command, count(*) FROM read_json_auto("
                                               + "'\(base.path)/*/events.ndjson', hive_partitioning = true) GROUP BY ALL")
        var table: [String: [String: Int]] = [:]
        for row in rows {
            guard row.count == 3, let host = row[0] as? String, let command = row[1] as? String, let calls = row[2] as? Int
            else { continue }
            table[host, default: [:]][command] = calls
        }
        #expect(table == expected)
    }
}
