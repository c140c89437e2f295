import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `respcap live --metrics` with idle connections open. Part of the serialized live suite.
extension LiveCaptureTests {
    /// Ten connections that send nothing must not delay a scrape (they were served one at a time, 2 s each).
    @Test(.enabled(if: unavailable == nil, Comment(rawValue: "live capture test skipped: \(unavailable ?? "")")),
          .timeLimit(.minutes(1)))
    func idleConnectionsDoNotDelayAScrape() throws {
        let metricsPort = try LiveEnvironment.freePort()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("respcap-metrics-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let live = try LiveProcess.start(["live", "-i", "lo", "--port", "\(try LiveEnvironment.freePort())", "--metrics", ":\(metricsPort)",
                                          "--format", "json", "-o", directory.appendingPathComponent("report.json").path])
        var stopped = false
        defer { if !stopped { _ = try? live.stop() } }
        var idle: [Int32] = []
        defer { for fd in idle { close(fd) } }
        for _ in 0..<10 {
            var (fd, address) = try LiveEnvironment.loopbackSocket(port: metricsPort)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
            }
            #expect(connected)
            idle.append(fd)
        }
        usleep(100_000)
        let started = Date()
        let scrape = try Self.httpGet(port: metricsPort, path: "/metrics")
        let elapsed = Date().timeIntervalSince(started)
        #expect(scrape.head.hasPrefix("HTTP/1.1 200"), "\(scrape.head)")
        #expect(scrape.body.contains("respcap_commands_total") || scrape.body.contains("# TYPE"))
        #expect(elapsed < 1, "scrape took \(elapsed) s behind 10 idle connections")
        let result = try live.stop()
        stopped = true
        // No Redis traffic was captured: the report says the capture is unusable (exit 6).
        #expect(result.status == 6, "\(result.stderr)")
    }
}
