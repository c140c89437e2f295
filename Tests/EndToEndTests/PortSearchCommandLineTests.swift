import Foundation
import Testing

/// `analyze` without `--port` finds Redis on any port; `--port` restricts it (fixtures/ports, scripts/capture-ports.sh).
@Suite struct PortSearchCommandLineTests {
    @Test func redisOnAnotherPortIsFoundWithoutPort() throws {
        let r = try EndToEndTests.run(["analyze", "fixtures/ports/redis-6401.pcap"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains(" · port 6401 · 5 connections of other protocols skipped\n"), "\(r.stdout.prefix(400))")
        #expect(r.stdout.contains("323 commands"), "\(r.stdout.prefix(400))")
        #expect(r.stdout.contains("Capture quality: complete"), "\(r.stdout.prefix(400))")
    }

    @Test func otherProtocolsAloneAreUnusable() throws {
        let r = try EndToEndTests.run(["analyze", "--format", "json", "fixtures/ports/other-protocols.pcap"])
        #expect(r.status == 6, "\(r.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let capture = try #require(report["capture"] as? [String: Any])
        #expect(capture["serverPortsFound"] as? [Int] == [])
        let quality = try #require(report["quality"] as? [String: Any])
        #expect((quality["reason"] as? String)?.hasPrefix("no Redis traffic found on any port: 5 connections carried another protocol") == true,
                "\(quality["reason"] ?? "")")
    }

    @Test func namedPortRestrictsTheSearch() throws {
        let r = try EndToEndTests.run(["analyze", "--format", "json", "--port", "6379", "fixtures/ports/redis-6401.pcap"])
        #expect(r.status == 6, "\(r.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let capture = try #require(report["capture"] as? [String: Any])
        #expect(capture["serverPortsFound"] == nil)
        let reason = try #require((report["quality"] as? [String: Any])?["reason"] as? String)
        #expect(reason.contains("try --port 6401"), "\(reason)")
    }
}
