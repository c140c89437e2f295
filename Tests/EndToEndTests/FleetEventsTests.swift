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
        let script = """
            import duckdb, json
            rows = duckdb.sql("SELECT host, command, count(*) FROM read_json_auto('\(base.path)/*/events.ndjson', "
                              "hive_partitioning = true) GROUP BY ALL").fetchall()
            out = {}
            for host, command, calls in rows: out.setdefault(host, {})[command] = calls
            print(json.dumps(out))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errText = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "python3 with duckdb (pip install duckdb) is needed: \(errText)")
        let table = try #require(try JSONSerialization.jsonObject(with: data) as? [String: [String: Int]])
        #expect(table == expected)
    }
}
