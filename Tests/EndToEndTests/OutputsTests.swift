import Foundation
import Testing

/// Secrets, redaction and the per-command event stream, checked on the built binary's real outputs.
@Suite struct OutputsTests {
    static func temporary(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("respcap-\(name)-\(getpid())-\(UUID().uuidString)")
    }

    /// fixtures/secrets.pcap holds AUTH, HELLO AUTH, ACL SETUSER, CONFIG SET requirepass/masterauth and MIGRATE
    /// AUTH/AUTH2, every password containing SECRET (scripts/fixtures/scenarios_secrets.py).
    @Test func noOutputContainsAPassword() throws {
        var outputs: [String] = []
        for format in ["markdown", "json", "ndjson"] {
            for extra in [[], ["--redact-keys"]] {
                let r = try EndToEndTests.run(["analyze", "--format", format] + extra + ["fixtures/secrets.pcap"])
                #expect(r.status == 0, "\(format): \(r.stderr)")
                outputs += [r.stdout, r.stderr]
            }
        }
        let events = Self.temporary("events.ndjson")
        let file = Self.temporary("report.json")
        defer { try? FileManager.default.removeItem(at: events); try? FileManager.default.removeItem(at: file) }
        let r = try EndToEndTests.run(["analyze", "--format", "json", "-o", file.path, "--events", events.path, "fixtures/secrets.pcap"])
        #expect(r.status == 0)
        outputs += [r.stdout, r.stderr, try String(contentsOf: events, encoding: .utf8), try String(contentsOf: file, encoding: .utf8)]
        // Truncated and corrupted variants exercise the warning and error paths too.
        let data = try Data(contentsOf: EndToEndTests.root.appendingPathComponent("fixtures/secrets.pcap"))
        let cut = Self.temporary("cut.pcap")
        defer { try? FileManager.default.removeItem(at: cut) }
        try data.prefix(data.count - 40).write(to: cut)
        let truncated = try EndToEndTests.run(["analyze", cut.path])
        outputs += [truncated.stdout, truncated.stderr]
        #expect(outputs.count == 18)
        for (index, output) in outputs.enumerated() {
            #expect(!output.contains("SECRET"), "output \(index) contains a password")
        }
        // The commands themselves are reported (a | in a table cell is escaped).
        #expect(outputs[0].contains("`auth`") && outputs[0].contains("`acl\\|setuser`") && outputs[0].contains("`migrate`"))
    }

    /// fixtures/sentinel-churn.pcap: 300 connections each sending AUTH with a password containing SECRET.
    @Test func sentinelChurnPasswordsStayOut() throws {
        let capture = try Data(contentsOf: EndToEndTests.root.appendingPathComponent("fixtures/sentinel-churn.pcap"))
        #expect(capture.range(of: Data("SECRET".utf8)) != nil, "the fixture carries the password on the wire")
        for format in ["markdown", "json", "ndjson"] {
            let r = try EndToEndTests.run(["analyze", "--port", "6379,26379", "--format", format, "fixtures/sentinel-churn.pcap"])
            #expect(r.status == 0)
            #expect(!r.stdout.contains("SECRET") && !r.stderr.contains("SECRET"), "\(format)")
            #expect(r.stdout.contains("auth"), "\(format)")
        }
    }

    @Test func redactedKeysDoNotAppear() throws {
        let plain = try EndToEndTests.run(["analyze", "fixtures/unpipelined.pcap"])
        let redacted = try EndToEndTests.run(["analyze", "--redact-keys", "fixtures/unpipelined.pcap"])
        #expect(plain.stdout.contains("mylist"))
        #expect(!redacted.stdout.contains("mylist"))
        #expect(!redacted.stdout.contains("counter:"))
        #expect(redacted.stdout.contains("key#"))
        let events = try EndToEndTests.run(["analyze", "--format", "ndjson", "--redact-keys", "fixtures/unpipelined.pcap"])
        #expect(!events.stdout.contains("mylist"))
    }

    /// The event stream loads in DuckDB and agrees with the report.
    @Test func eventsLoadInDuckDB() throws {
        let events = Self.temporary("events.ndjson")
        defer { try? FileManager.default.removeItem(at: events) }
        let r = try EndToEndTests.run(["analyze", "--format", "json", "--events", events.path, "fixtures/pipelined.pcap"])
        #expect(r.status == 0)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let commands = try #require(report["commands"] as? [[String: Any]])
        var expected: [String: Int] = [:]
        for c in commands { expected[c["name"] as! String] = c["calls"] as? Int }
        let rows = try EventCountsTests.duckdb("select command, count(*), sum(requestBytes) from read_json_auto('\(events.path)') group by 1")
        var sql: [String: [Int]] = [:]
        for row in rows {
            if row.count == 3, let name = row[0] as? String, let calls = row[1] as? Int, let bytes = row[2] as? Int { sql[name] = [calls, bytes] }
        }
        #expect(sql.mapValues { $0[0] } == expected)
        for c in commands {
            #expect(sql[c["name"] as! String]?[1] == c["requestBytes"] as? Int)
        }
    }

    /// respcap writes only where it is told: run from an empty working directory with an empty HOME and TMPDIR,
    /// it leaves them empty; with `-o` and `--events` it adds exactly those files (the report's temporary sibling,
    /// used for an atomic replace, is gone).
    @Test func writesOnlyWhereItIsTold() throws {
        let base = Self.temporary("sandbox")
        let (work, home, tmp) = (base.appendingPathComponent("work"), base.appendingPathComponent("home"), base.appendingPathComponent("tmp"))
        defer { try? FileManager.default.removeItem(at: base) }
        for directory in [work, home, tmp] { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true) }
        let fixture = EndToEndTests.root.appendingPathComponent("fixtures/secrets.pcap").path
        func run(_ arguments: [String]) throws -> Int32 {
            let process = Process()
            process.executableURL = EndToEndTests.binary
            process.arguments = arguments
            process.currentDirectoryURL = work
            process.environment = ["HOME": home.path, "TMPDIR": tmp.path, "PATH": "/usr/bin:/bin"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            return process.terminationStatus
        }
        func contents(_ directory: URL) throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() }
        for format in ["markdown", "json", "ndjson"] {
            #expect(try run(["analyze", "--format", format, fixture]) == 0)
        }
        #expect(try run(["diff", fixture, fixture]) == 0)
        #expect(try run(["analyze", "does-not-exist.pcap"]) == 2)
        #expect(try contents(work).isEmpty && contents(home).isEmpty && contents(tmp).isEmpty)
        #expect(try run(["analyze", "--format", "json", "-o", "report.json", "--events", "events.ndjson", fixture]) == 0)
        #expect(try contents(work) == ["events.ndjson", "report.json"])
        #expect(try contents(home).isEmpty && contents(tmp).isEmpty)
    }

    /// `--svg DIR` writes one standalone SVG per chart of the report, next to the report itself.
    @Test func svgChartsAreWrittenWithTheReport() throws {
        let directory = Self.temporary("svg")
        defer { try? FileManager.default.removeItem(at: directory) }
        let r = try EndToEndTests.run(["analyze", "--port", "7000", "--svg", directory.path, "fixtures/cluster-unpipelined.pcap"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("```mermaid"))
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        #expect(files == ["command-mix.svg", "commands-per-second.svg", "connections.svg", "latency-p99.svg"])
        let mix = try String(contentsOf: directory.appendingPathComponent("command-mix.svg"), encoding: .utf8)
        #expect(mix.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\"") && mix.contains("<title>get: "))
        #expect(r.stderr.contains("charts in \(directory.path)"))

        let diff = try EndToEndTests.run(["diff", "--svg", directory.path, "fixtures/unpipelined.pcap", "fixtures/pipelined.pcap"])
        #expect(diff.status == 64)
        #expect(diff.stderr.contains("Unknown option '--svg'"), "\(diff.stderr)")
    }
}
