import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `respcap live --metrics`: a scrape during a live run against a real redis-server must show the same per-command
/// counts as the server's INFO commandstats delta, in Prometheus text and in OpenMetrics. Part of the serialized
/// live suite: two captures analysed at once on a loaded machine could fall behind.
extension LiveCaptureTests {
    @Test(.enabled(if: unavailable == nil, Comment(rawValue: "live capture test skipped: \(unavailable ?? "")")),
          .timeLimit(.minutes(2)))
    func scrapeDuringCaptureMatchesCommandstats() throws {
        let server = try RedisServer.start()
        defer { server.stop() }
        let metricsPort = try LiveEnvironment.freePort()
        let before = try server.commandstats()
        let live = try LiveProcess.start(["live", "-i", "lo", "--port", "\(server.port)", "--metrics", ":\(metricsPort)",
                                          "--format", "json", "-o", "/dev/null"])
        var stopped = false
        defer { if !stopped { _ = try? live.stop() } }

        try Shell.run("redis-benchmark", ["-p", "\(server.port)", "-n", "3000", "-c", "20", "-q", "-t", "set,get,lpush"])
        try Shell.run("redis-benchmark", ["-p", "\(server.port)", "-n", "6000", "-c", "10", "-P", "8", "-q", "-t", "incr,hset"])
        // A blocking pop on three keys that times out, and an error reply.
        try Shell.run("redis-cli", ["-p", "\(server.port)", "brpop", "mq:a", "mq:b", "mq:c", "0.1"])
        _ = try? Shell.run("redis-cli", ["-p", "\(server.port)", "incr", "mq:a", "extra"])
        let after = try server.commandstats()
        var expected: [String: Int] = [:]
        for (name, calls) in after where calls != (before[name] ?? 0) { expected[name] = calls - (before[name] ?? 0) }

        // The endpoint is current within about a second of the traffic; poll until it has caught up.
        var samples: [String: Double] = [:]
        var counted: [String: Int] = [:]
        for _ in 0..<40 {
            samples = Self.metricSamples(try Self.httpGet(port: metricsPort, path: "/metrics").body)
            counted = Self.commandCounts(samples)
            if counted == expected { break }
            usleep(250_000)
        }
        #expect(counted == expected)
        #expect(expected.values.reduce(0, +) > 9_000, "the workload ran: \(expected)")
        #expect(samples[#"respcap_command_errors_total{command="incr"}"#] == 1)
        #expect(samples[#"respcap_errors_total{prefix="ERR"}"#] == 1)
        // Every GET got a reply, so its latency histogram holds every call.
        #expect(samples[#"respcap_command_duration_seconds_count{command="get"}"#] == Double(expected["get"] ?? -1))
        #expect(samples[#"respcap_command_duration_seconds_bucket{command="get",le="+Inf"}"#] == Double(expected["get"] ?? -1))
        #expect(samples[#"respcap_blocking_pop_keys_bucket{command="brpop",le="2.0"}"#] == 0)
        #expect(samples[#"respcap_blocking_pop_keys_bucket{command="brpop",le="5.0"}"#] == 1)
        #expect(samples[#"respcap_blocking_pop_keys_sum{command="brpop"}"#] == 3)
        for reason in ["kernel", "interface", "not_analysed"] {
            #expect(samples[#"respcap_capture_dropped_packets_total{reason="\#(reason)"}"#] == 0)
        }
        #expect((samples["respcap_connections_opened_total"] ?? 0) >= 32)

        let prometheus = try Self.httpGet(port: metricsPort, path: "/metrics")
        #expect(prometheus.head.contains("text/plain; version=0.0.4"))
        #expect(prometheus.body.contains("# TYPE respcap_commands_total counter"))
        #expect(!prometheus.body.contains("# EOF"))
        let openMetrics = try Self.httpGet(port: metricsPort, path: "/metrics", accept: "application/openmetrics-text;version=1.0.0")
        #expect(openMetrics.head.contains("application/openmetrics-text"))
        #expect(openMetrics.body.contains("# TYPE respcap_commands counter"))
        #expect(openMetrics.body.contains("# UNIT respcap_command_duration_seconds seconds"))
        #expect(openMetrics.body.hasSuffix("# EOF\n"))
        #expect(try Self.httpGet(port: metricsPort, path: "/nothing").head.hasPrefix("HTTP/1.1 404"))

        let result = try live.stop()
        stopped = true
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("metrics at http://127.0.0.1:\(metricsPort)/metrics"))
        // Loopback by default, and closed with the capture.
        #expect((try? Self.httpGet(port: metricsPort, path: "/metrics")) == nil)
    }

    @Test(.enabled(if: unavailable == nil, Comment(rawValue: "live capture test skipped: \(unavailable ?? "")")))
    func unusableAddressIsOneClearLine() throws {
        let r = try EndToEndTests.run(["live", "-i", "lo", "--duration", "1", "--metrics", "127.0.0.1:notaport"])
        #expect(r.status == 2)
        #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        #expect(r.stderr.contains("expected HOST:PORT"))
    }

    // MARK: Helpers

    /// Per-command calls from `respcap_commands_total` samples.
    static func commandCounts(_ samples: [String: Double]) -> [String: Int] {
        var result: [String: Int] = [:]
        let prefix = #"respcap_commands_total{command=""#
        for (key, value) in samples where key.hasPrefix(prefix) {
            result[String(key.dropFirst(prefix.count).dropLast(2))] = Int(value)
        }
        return result
    }

    /// Sample lines as "name{labels}" -> value.
    static func metricSamples(_ text: String) -> [String: Double] {
        var result: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            result[String(line[..<space])] = value
        }
        return result
    }

    /// A plain HTTP/1.1 GET on loopback (no URLSession: FoundationNetworking is not needed for this).
    static func httpGet(port: Int, path: String, accept: String? = nil) throws -> (head: String, body: String) {
        var (fd, address) = try LiveEnvironment.loopbackSocket(port: port)
        defer { close(fd) }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard connected else { throw ShellError(message: "cannot connect to 127.0.0.1:\(port)") }
        // Connection: close, so that the response ends where the connection does (Prometheus keeps it alive else).
        var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        if let accept { request += "Accept: \(accept)\r\n" }
        request += "\r\n"
        _ = request.withCString { send(fd, $0, strlen($0), 0) }
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            data += buffer[..<n]
        }
        let text = String(decoding: data, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { throw ShellError(message: "no HTTP response: \(text)") }
        return (String(text[..<split.lowerBound]), String(text[split.upperBound...]))
    }
}
