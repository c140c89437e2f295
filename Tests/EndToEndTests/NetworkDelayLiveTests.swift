import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Builds a delayed network live (scripts/delayed-network/capture.py: two network namespaces joined through TUN
/// devices by a forwarder holding each packet for half the round trip), runs redis-server and redis-benchmark
/// across it, captures at both ends, and runs respcap on each capture: the round trip per client host must be the
/// configured one within 10%, and each capture placed at its end.
///
/// Needs root (namespaces, TUN devices; capture.py makes /dev/net/tun when a container lacks it), iproute2, tcpdump,
/// redis-server and redis-benchmark. Where one is missing the test is skipped with why; with CI=true a missing one
/// fails `delayedNetworkRunsInCI`.
@Suite(.serialized) struct NetworkDelayLiveTests {
    typealias E2E = EndToEndTests

    static let unavailable: String? = probe()
    static let roundTripMicros = 5000.0

    static func probe() -> String? {
        guard getuid() == 0 else { return "needs root (network namespaces and TUN devices)" }
        for tool in ["ip", "tcpdump", "redis-server", "redis-benchmark", "python3"] {
            if (try? Shell.run("sh", ["-c", "command -v \(tool)"])) == nil { return "\(tool) is not installed" }
        }
        return nil
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["CI"] == "true"))
    func delayedNetworkRunsInCI() {
        #expect(Self.unavailable == nil, "CI must run the delayed-network test: \(Self.unavailable ?? "")")
    }

    @Test(.enabled(if: unavailable == nil, Comment(rawValue: "delayed-network test skipped: \(unavailable ?? "")")),
          .timeLimit(.minutes(1)))
    func roundTripOfALiveDelayedNetwork() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("respcap-delayed-\(getpid())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let script = E2E.root.appendingPathComponent("scripts/delayed-network/capture.py").path
        let python = FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") ? "/usr/bin/python3" : "python3"
        // Output to a file: the script's children must not hold a pipe of ours open should it fail.
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("respcap-delayed-\(getpid()).log").path
        defer { try? FileManager.default.removeItem(atPath: log) }
        do {
            try Shell.run("sh", ["-c", "exec \"$0\" \"$1\" --rtt-micros \(Int(Self.roundTripMicros)) --out \"$2\" "
                                 + "--requests 40 --reconnects 10 </dev/null >\"$3\" 2>&1", python, script, directory.path, log])
        } catch {
            Issue.record("capture.py failed: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
            throw error
        }
        for side in ["client", "server"] {
            let r = try E2E.run(["analyze", directory.appendingPathComponent("\(side)-side.pcap").path, "--format", "json"])
            #expect(r.status == 0, "\(r.stderr)")
            let report = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
            let network = try #require(report["network"] as? [String: Any])
            #expect(network["vantage"] as? String == side)
            let hosts = try #require(network["hosts"] as? [[String: Any]])
            #expect(Set(hosts.compactMap { $0["host"] as? String }) == ["10.0.3.2", "10.0.3.3"])
            for host in hosts {
                let p50 = try #require((host["rttMicros"] as? [String: Any])?["p50"] as? Double)
                #expect(abs(p50 - Self.roundTripMicros) <= 0.1 * Self.roundTripMicros,
                        "\(side) \(host["host"] ?? ""): p50 \(p50) µs for a configured \(Self.roundTripMicros) µs")
            }
        }
    }
}
