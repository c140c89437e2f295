import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Stop conditions of `respcap live`. Part of the serialized live suite.
extension LiveCaptureTests {
    @Test(.enabled(if: unavailable == nil, Comment(rawValue: "live capture test skipped: \(unavailable ?? "")")),
          .timeLimit(.minutes(1)), arguments: [(connections: 2, pipeline: 1), (connections: 4, pipeline: 16)])
    func stopsRightAfterTheCommandCount(connections: Int, pipeline: Int) throws {
        let server = try RedisServer.start()
        defer { server.stop() }
        let live = try LiveProcess.start(["live", "-i", "lo", "--port", "\(server.port)", "--commands", "100", "--format", "json"])
        // Pipelined, thousands of packets queue up between two checks of a batch.
        let client = Process()
        client.executableURL = URL(fileURLWithPath: "/bin/sh")
        client.arguments = ["-c", "exec redis-benchmark -p \(server.port) -n 2000000 -c \(connections) -P \(pipeline) -q -t ping "
                            + ">/dev/null 2>&1"]
        try client.run()
        defer {
            kill(client.processIdentifier, SIGKILL)
            client.waitUntilExit()
        }
        let result = try live.wait(seconds: 20)
        #expect(result.status == 0, "\(result.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let commands = (report["totals"] as? [String: Any])?["commands"] as? Int ?? 0
        // A reply packet can complete a whole pipeline at once: the last one may overshoot by that much.
        #expect(commands >= 100 && commands < 100 + pipeline * connections + 1, "commands: \(commands)")
    }

    /// An interface that delivers nothing and whose reads block (nfqueue with no NFQUEUE rule) still stops at --duration.
    @Test(.enabled(if: unavailable == nil, Comment(rawValue: "live capture test skipped: \(unavailable ?? "")")),
          .timeLimit(.minutes(1)))
    func durationEndsACaptureThatDeliversNothing() throws {
        let interfaces = try EndToEndTests.run(["live", "--list"]).stdout
        for interface in ["nfqueue", "lo"] where interfaces.split(separator: "\n").contains(where: { $0.hasPrefix(interface + " ") || $0 == interface }) {
            let started = Date()
            let live = try LiveProcess.start(["live", "-i", interface, "--port", "\(try LiveEnvironment.freePort())", "--duration", "1",
                                              "--format", "json"])
            let result = try live.wait(seconds: 10)
            // Nothing was captured: the report is written and says so (unusable capture, exit 6).
            #expect(result.status == 6, "\(interface): \(result.stderr)")
            #expect(Date().timeIntervalSince(started) < 5, "\(interface)")
            let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            #expect((report["totals"] as? [String: Any])?["commands"] as? Int == 0)
        }
    }
}
