import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A real Prometheus server scrapes `respcap live --metrics` while real traffic runs: the per-command counters it
/// stores equal the server's INFO commandstats delta and respcap's own report, and PromQL's rate and
/// histogram_quantile work on them as documented. Part of the serialized live suite.
extension LiveCaptureTests {
    static let prometheus: String? = ["/usr/bin/prometheus", "/usr/local/bin/prometheus"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test(.enabled(if: unavailable == nil && prometheus != nil,
                   Comment(rawValue: "Prometheus test skipped: \(unavailable ?? "no prometheus binary (apt-get install prometheus)")")),
          .timeLimit(.minutes(2)))
    func prometheusScrapesMatchTheReport() throws {
        let server = try RedisServer.start()
        defer { server.stop() }
        let directory = try OutputSafetyTests.directory("prometheus")
        defer { OutputSafetyTests.remove(directory) }
        let metricsPort = try LiveEnvironment.freePort()
        let prometheusPort = try LiveEnvironment.freePort()
        let reportPath = directory + "/report.json"

        let before = try server.commandstats()
        let live = try LiveProcess.start(["live", "-i", "lo", "--port", "\(server.port)", "--metrics", ":\(metricsPort)",
                                          "--format", "json", "-o", reportPath])
        var stopped = false
        defer { if !stopped { _ = try? live.stop() } }

        let config = """
            global:
              scrape_interval: 1s
            scrape_configs:
              - job_name: respcap
                static_configs:
                  - targets: ["127.0.0.1:\(metricsPort)"]
            """
        try config.write(toFile: directory + "/prometheus.yml", atomically: true, encoding: .utf8)
        let prometheus = Process()
        prometheus.executableURL = URL(fileURLWithPath: try #require(Self.prometheus))
        prometheus.arguments = ["--config.file=\(directory)/prometheus.yml", "--storage.tsdb.path=\(directory)/data",
                                "--web.listen-address=127.0.0.1:\(prometheusPort)"]
        prometheus.standardOutput = FileHandle.nullDevice
        prometheus.standardError = FileHandle.nullDevice
        try prometheus.run()
        defer {
            prometheus.terminate()
            prometheus.waitUntilExit()
        }
        var ready = false
        for _ in 0..<100 where !ready {
            ready = (try? Self.httpGet(port: prometheusPort, path: "/-/ready"))?.head.hasPrefix("HTTP/1.1 200") ?? false
            if !ready { usleep(200_000) }
        }
        try #require(ready, "Prometheus did not start")
        // Prometheus starts scraping a few seconds after it is ready (its target updates are throttled): wait for
        // the first scrape, so the traffic below spans several.
        var scraped = false
        for _ in 0..<100 where !scraped {
            scraped = (try Self.vector(port: prometheusPort, query: "up{job=\"respcap\"}"))[""] == 1
            if !scraped { usleep(200_000) }
        }
        try #require(scraped, "Prometheus never scraped respcap")

        // A first round creates the series and is scraped; what follows is a rate over several scrapes.
        try Shell.run("redis-benchmark", ["-p", "\(server.port)", "-n", "100", "-c", "2", "-q", "-t", "set,get"])
        usleep(2_500_000)
        try Shell.run("redis-benchmark", ["-p", "\(server.port)", "-n", "4000", "-c", "8", "-q", "-t", "set,get,lpush"])
        try Shell.run("redis-benchmark", ["-p", "\(server.port)", "-n", "6000", "-c", "4", "-P", "8", "-q", "-t", "incr"])
        // A blocking pop on three keys that times out, and an error reply (wrong number of arguments).
        try Shell.run("redis-cli", ["-p", "\(server.port)", "brpop", "mq:a", "mq:b", "mq:c", "0.1"])
        _ = try? Shell.run("redis-cli", ["-p", "\(server.port)", "incr", "mq:a", "extra"])
        let after = try server.commandstats()
        var expected: [String: Int] = [:]
        for (name, calls) in after where calls != (before[name] ?? 0) { expected[name] = calls - (before[name] ?? 0) }

        // Prometheus scrapes every second: poll until it has the counts the server has.
        var stored: [String: Int] = [:]
        for _ in 0..<60 {
            stored = try Self.vector(port: prometheusPort, query: "sum by (command) (respcap_commands_total)")
                .mapValues { Int($0.rounded()) }
            if stored == expected { break }
            usleep(250_000)
        }
        #expect(stored == expected, "Prometheus: \(stored), INFO commandstats: \(expected)")

        // PromQL over the stored series, as docs/USAGE.md shows it.
        var p99: [String: Double] = [:]
        var rates: [String: Double] = [:]
        for _ in 0..<40 {
            p99 = try Self.vector(port: prometheusPort, query:
                "histogram_quantile(0.99, sum by (le, command) (rate(respcap_command_duration_seconds_bucket[1m])))")
            rates = try Self.vector(port: prometheusPort, query: "sum by (command) (rate(respcap_commands_total[1m]))")
            if (p99["get"] ?? 0) > 0 && (rates["set"] ?? 0) > 0 { break }
            usleep(250_000)
        }
        #expect((p99["get"] ?? 0) > 0 && (p99["get"] ?? 0) < 1, "p99 of GET in seconds: \(p99)")
        #expect((rates["set"] ?? 0) > 0, "\(rates)")

        // The Grafana dashboard shipped in docs/grafana: every panel's query parses and returns data from this
        // Prometheus (Grafana's variables given the values Grafana would: every host, a one-minute rate window).
        let dashboardPath = EndToEndTests.root.appendingPathComponent("docs/grafana/respcap-dashboard.json")
        let dashboard = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: dashboardPath)) as? [String: Any])
        let panels = try #require(dashboard["panels"] as? [[String: Any]])
        #expect(panels.count >= 8)
        for panel in panels {
            for target in panel["targets"] as? [[String: Any]] ?? [] {
                let expr = try #require(target["expr"] as? String)
                let query = expr.replacingOccurrences(of: "$__rate_interval", with: "1m")
                    .replacingOccurrences(of: "$instance", with: ".*")
                var samples = 0
                for _ in 0..<20 where samples == 0 {
                    samples = try Self.sampleCount(port: prometheusPort, query: query)
                    if samples == 0 { usleep(250_000) }
                }
                #expect(samples > 0, "panel '\(panel["title"] ?? "")' returned no data: \(query)")
            }
        }

        let result = try live.stop()
        stopped = true
        #expect(result.status == 0, "\(result.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: reportPath)))
                                  as? [String: Any])
        #expect(Self.calls(report) == stored, "the report and Prometheus agree")
    }

    /// How many samples a PromQL instant query returns (a query that does not parse fails the test).
    static func sampleCount(port: Int, query: String) throws -> Int {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let encoded = try #require(query.addingPercentEncoding(withAllowedCharacters: allowed))
        let body = try httpGet(port: port, path: "/api/v1/query?query=\(encoded)").body
        let json = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any], "\(body)")
        try #require(json["status"] as? String == "success", "\(query): \(body)")
        let result = (json["data"] as? [String: Any])?["result"] as? [[String: Any]] ?? []
        return result.filter { sample in
            guard let pair = sample["value"] as? [Any], pair.count == 2, let text = pair[1] as? String else { return false }
            return Double(text)?.isFinite == true
        }.count
    }

    /// A PromQL instant query's vector, by its `command` label ("" when it has none).
    static func vector(port: Int, query: String) throws -> [String: Double] {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let encoded = try #require(query.addingPercentEncoding(withAllowedCharacters: allowed))
        let body = try httpGet(port: port, path: "/api/v1/query?query=\(encoded)").body
        let json = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any], "\(body)")
        #expect(json["status"] as? String == "success", "\(body)")
        let result = (json["data"] as? [String: Any])?["result"] as? [[String: Any]] ?? []
        var values: [String: Double] = [:]
        for sample in result {
            let command = (sample["metric"] as? [String: String])?["command"] ?? ""
            if let pair = sample["value"] as? [Any], pair.count == 2, let text = pair[1] as? String, let value = Double(text),
               value.isFinite {
                values[command] = value
            }
        }
        return values
    }
}
