import Foundation
import Testing

/// The NDJSON events and the JSON report of one run agree on every count: calls and errors per command, errors by
/// code, and what the DuckDB queries of docs/REPORT.md compute from the events.
///
/// A command queued in MULTI is answered +QUEUED; only its element of EXEC's reply says it failed (WRONGTYPE). The
/// report counted that error and the events said `error: null`, so SQL over the events disagreed with the report.
@Suite struct EventCountsTests {
    struct Run {
        let report: [String: Any]
        let events: [[String: Any]]
        let eventsPath: URL
    }

    static func run(_ fixture: String) throws -> Run {
        let events = OutputsTests.temporary("events.ndjson")
        let r = try EndToEndTests.run(["analyze", "--format", "json", "--events", events.path, "fixtures/\(fixture).pcap"])
        #expect(r.status == 0, "\(r.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let lines = try String(contentsOf: events, encoding: .utf8).split(separator: "\n")
        let parsed = try lines.map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        return Run(report: report, events: parsed, eventsPath: events)
    }

    /// Runs `sql` in DuckDB (python3 -m pip install duckdb) and returns its rows as JSON values.
    static func duckdb(_ sql: String) throws -> [[Any]] {
        let script = """
            import duckdb, json, sys
            rows = duckdb.sql(sys.argv[1]).fetchall()
            print(json.dumps([[v if isinstance(v, (int, float, str, type(None))) else str(v) for v in r] for r in rows]))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, sql]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errText = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "python3 with duckdb (pip install duckdb) is needed: \(errText)")
        return try #require(try JSONSerialization.jsonObject(with: data) as? [[Any]])
    }

    /// The query of docs/REPORT.md for "commands per second and error replies over time", as printed there.
    static func readmeErrorsOverTimeQuery() throws -> String {
        let readme = try String(contentsOf: EndToEndTests.root.appendingPathComponent("docs/REPORT.md"), encoding: .utf8)
        let lines = readme.split(separator: "\n", omittingEmptySubsequences: false)
        let start = try #require(lines.firstIndex { $0.contains("count(error) AS errors") }, "docs/REPORT.md lost its DuckDB error query")
        return lines[start...start + 1].joined(separator: "\n").trimmingCharacters(in: CharacterSet(charactersIn: ";\n "))
    }

    @Test(arguments: ["multi-exec", "errors"])
    func eventErrorsEqualTheReportsErrors(fixture: String) throws {
        let run = try Self.run(fixture)
        defer { try? FileManager.default.removeItem(at: run.eventsPath) }
        let quality = try #require(run.report["quality"] as? [String: Any])
        // Error replies paired with no command have no event; these fixtures have none.
        #expect(quality["unpairedReplies"] as? Int == 0)

        var fromEvents: [String: Int] = [:]
        for event in run.events { if let code = event["error"] as? String { fromEvents[code, default: 0] += 1 } }
        let fromReport = try #require(run.report["errorsByPrefix"] as? [String: Int])
        #expect(fromEvents == fromReport)
        let totals = try #require(run.report["totals"] as? [String: Any])
        #expect(fromEvents.values.reduce(0, +) == totals["errorReplies"] as? Int)

        // Per command: calls and errors.
        var calls: [String: Int] = [:], errors: [String: Int] = [:]
        for event in run.events {
            let name = try #require(event["command"] as? String)
            calls[name, default: 0] += 1
            if event["error"] is String { errors[name, default: 0] += 1 }
        }
        for command in try #require(run.report["commands"] as? [[String: Any]]) {
            let name = try #require(command["name"] as? String)
            #expect(calls[name] == command["calls"] as? Int, "\(name) calls")
            #expect(errors[name, default: 0] == command["errors"] as? Int, "\(name) errors")
        }

        // The query of docs/REPORT.md over the same events.
        let sql = try Self.readmeErrorsOverTimeQuery().replacingOccurrences(of: "events.ndjson", with: run.eventsPath.path)
        let rows = try Self.duckdb(sql)
        #expect(rows.reduce(0) { $0 + ($1[1] as? Int ?? 0) } == totals["commands"] as? Int)
        #expect(rows.reduce(0) { $0 + ($1[2] as? Int ?? 0) } == totals["errorReplies"] as? Int)
    }

    /// multi-exec's transaction that fails inside EXEC (LPUSH on a string key): the LPUSH event carries WRONGTYPE,
    /// every event comes once, and events stay in request order within the connection.
    @Test func queuedCommandCarriesTheErrorOfItsExecElement() throws {
        let run = try Self.run("multi-exec")
        defer { try? FileManager.default.removeItem(at: run.eventsPath) }
        let wrongType = run.events.filter { $0["error"] as? String == "WRONGTYPE" }
        #expect(wrongType.count == 1)
        #expect(wrongType.first?["command"] as? String == "lpush")
        #expect(wrongType.first?["replyType"] as? String == "simple-string", "its own reply was +QUEUED")
        let totals = try #require(run.report["totals"] as? [String: Any])
        #expect(run.events.count == totals["commands"] as? Int)
        var last: [Int: Int] = [:]
        for event in run.events {
            let connection = try #require(event["connection"] as? Int), micros = try #require(event["tsMicros"] as? Int)
            #expect(micros >= last[connection, default: 0], "connection \(connection) out of order")
            last[connection] = micros
        }
    }
}
