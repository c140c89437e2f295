import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A second ^C ends `live` at once (exit 130, no report), but the packets saved with `--write` end on a whole record,
/// and no temporary is left behind. Part of the serialized live suite.
extension LiveCaptureTests {
    @Test(.enabled(if: unavailable == nil, Comment(rawValue: "live capture test skipped: \(unavailable ?? "")")),
          .timeLimit(.minutes(2)))
    func secondInterruptLeavesWholeRecords() throws {
        let server = try RedisServer.start()
        defer { server.stop() }
        let directory = try OutputSafetyTests.directory("double-interrupt")
        defer { OutputSafetyTests.remove(directory) }
        let pcapPath = directory + "/saved.pcap"
        let live = try LiveProcess.start(["live", "-i", "lo", "--port", "\(server.port)", "--write", pcapPath,
                                          "-o", directory + "/report.md"])
        // Traffic that is still flowing when the signals come: the writer is mid-stream.
        let client = Process()
        client.executableURL = URL(fileURLWithPath: "/bin/sh")
        client.arguments = ["-c", "exec redis-benchmark -p \(server.port) -n 2000000 -c 4 -d 300 -q -t set >/dev/null 2>&1"]
        try client.run()
        defer {
            kill(client.processIdentifier, SIGKILL)
            client.waitUntilExit()
        }
        usleep(1_500_000)
        live.interrupt()
        // Signals of one kind do not queue: the second must come after the first was taken (stopping drains the
        // kernel's buffer for a quarter of a second, so it is still running).
        usleep(50_000)
        live.interrupt()
        let result = try live.wait(seconds: 20)
        #expect(result.status == 130, "\(result.stderr)")
        #expect(result.stderr.contains("stopped without a report"))
        #expect(OutputSafetyTests.entries(directory) == ["saved.pcap"], "a report or a temporary was left")

        // The saved file is a capture that ends on a record boundary: no truncation, and records add up to its size.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: pcapPath))
        #expect(bytes.count > 24 + 16, "packets were saved")
        var offset = 24
        var records = 0
        while offset + 16 <= bytes.count {
            let caplen = bytes[(offset + 8)..<(offset + 12)].withUnsafeBytes { Int($0.loadUnaligned(as: UInt32.self)) }
            offset += 16 + caplen
            records += 1
        }
        #expect(offset == bytes.count, "the file ends inside a record")
        let analysed = try EndToEndTests.run(["analyze", "--port", "\(server.port)", "--format", "json", pcapPath])
        #expect(analysed.status == 0, "\(analysed.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(analysed.stdout.utf8)) as? [String: Any])
        let capture = try #require(report["capture"] as? [String: Any])
        #expect(capture["packets"] as? Int == records)
        let quality = try #require(report["quality"] as? [String: Any])
        #expect(quality["truncated"] as? Bool == false)
    }
}
