import Foundation
import Testing

/// A capture nothing could be read from is not "complete": the verdict is `unusable: <reason>`, the JSON quality
/// section has the `reason`, stderr says it, and the exit code is 6. Made from real fixtures: every record cut to a
/// snaplen of 60 bytes (before the TCP payload: Ethernet 14 + IPv4 20 + TCP with timestamps 32), the right capture
/// with the wrong --port, and a capture of no packets.
@Suite struct UnusableCaptureTests {
    typealias E2E = EndToEndTests

    static func temporary(_ name: String, _ bytes: Data) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("respcap-unusable-\(getpid())-\(UUID().uuidString)-\(name)")
        try bytes.write(to: url)
        return url
    }

    static func u32(_ data: Data, _ offset: Int) -> UInt32 {
        data[offset..<offset + 4].enumerated().reduce(0) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) }
    }

    static func littleEndian(_ value: UInt32) -> Data { withUnsafeBytes(of: value.littleEndian) { Data($0) } }

    /// The fixture (a little-endian microsecond pcap) as if captured with `-s snaplen`: header and records rewritten.
    static func cut(_ fixture: String, snaplen: Int) throws -> Data {
        let data = try Data(contentsOf: E2E.root.appendingPathComponent("fixtures/\(fixture).pcap"))
        try #require(u32(data, 0) == 0xA1B2_C3D4, "fixtures are little-endian microsecond pcaps")
        var out = data.prefix(16) + littleEndian(UInt32(snaplen)) + data[20..<24]
        var offset = 24
        while offset + 16 <= data.count {
            let caplen = Int(u32(data, offset + 8))
            let kept = min(caplen, snaplen)
            out += data[offset..<offset + 8] + littleEndian(UInt32(kept)) + data[offset + 12..<offset + 16]
            out += data[offset + 16..<offset + 16 + kept]
            offset += 16 + caplen
        }
        return out
    }

    static func packets(_ fixture: String) throws -> Int {
        let text = try String(contentsOf: E2E.root.appendingPathComponent("fixtures/\(fixture).tcpdump.txt"), encoding: .utf8)
        return try #require(text.split(separator: "\n").first.flatMap { Int($0.replacingOccurrences(of: "packets: ", with: "")) })
    }

    static func quality(_ r: E2E.Result) throws -> [String: Any] {
        let report = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        return try #require(report["quality"] as? [String: Any])
    }

    static func expectUnusable(_ arguments: [String], reason: String) throws {
        let json = try E2E.run(["analyze", "--format", "json"] + arguments)
        #expect(json.status == 6, "\(json.stderr)")
        let quality = try quality(json)
        #expect(quality["reason"] as? String == reason)
        #expect(quality["verdict"] as? String == "unusable: " + reason)
        #expect(json.stderr == "respcap: warning: \(reason)\n")

        let markdown = try E2E.run(["analyze"] + arguments)
        #expect(markdown.status == 6)
        #expect(markdown.stdout.contains("\nCapture quality: unusable: \(reason) (0 gaps, 0 unpaired replies, 0 parse errors)\n"),
                "\(markdown.stdout.prefix(600))")
        #expect(markdown.stdout.contains("Verdict: **unusable: \(reason)**"))
    }

    @Test func snaplen60CaptureIsUnusable() throws {
        let capture = try Self.temporary("snap60.pcap", try Self.cut("unpipelined", snaplen: 60))
        defer { try? FileManager.default.removeItem(at: capture) }
        try Self.expectUnusable([capture.path], reason: "every packet was cut before its TCP payload (snaplen 60): capture with -s 0")
    }

    @Test func wrongPortNamesThePortsThatCarryTCP() throws {
        let packets = try Self.packets("unpipelined")
        try Self.expectUnusable(["--port", "6401", "fixtures/unpipelined.pcap"],
                                reason: "no Redis traffic: 0 of \(packets) packets were TCP on port 6401; "
                                    + "the capture has TCP on port 6379 (\(packets) packets): try --port 6379")
        // Several ports, several fixtures read as one capture: the ports with the most TCP come first.
        let cluster = try Self.packets("cluster-unpipelined")
        let r = try E2E.run(["analyze", "--format", "json", "--port", "6401",
                             "fixtures/cluster-unpipelined.pcap", "fixtures/unpipelined.pcap"])
        #expect(r.status == 6)
        let reason = try #require(try Self.quality(r)["reason"] as? String)
        #expect(reason.hasPrefix("no Redis traffic: 0 of \(cluster + packets) packets were TCP on port 6401; the capture has TCP on ports "),
                "\(reason)")
        #expect(reason.contains("6379 (\(packets) packets)") && reason.contains("7000 ("), "\(reason)")
    }

    @Test func captureOfNoPacketsIsUnusable() throws {
        let header = try Data(contentsOf: E2E.root.appendingPathComponent("fixtures/unpipelined.pcap")).prefix(24)
        let capture = try Self.temporary("empty.pcap", header)
        defer { try? FileManager.default.removeItem(at: capture) }
        try Self.expectUnusable([capture.path],
                                reason: "the capture holds no packets: check the interface, ports and filter it was captured with")
    }

    @Test func filterThatKeepsNothingIsUnusable() throws {
        let packets = try Self.packets("unpipelined")
        try Self.expectUnusable(["--filter", "host 10.9.9.9", "fixtures/unpipelined.pcap"],
                                reason: "--filter 'host 10.9.9.9' kept none of the \(packets) packets: widen or drop it")
    }

    @Test func reasonQuotingTheFilterIsEscapedInMarkdown() throws {
        let filter = "tcp[13] & 2 != 0 and len > 10000"
        let r = try E2E.run(["analyze", "--filter", filter, "fixtures/unpipelined.pcap"])
        #expect(r.status == 6)
        #expect(r.stdout.contains("Capture quality: unusable: --filter 'tcp\\[13\\] &amp; 2 != 0 and len &gt; 10000' kept none of"),
                "\(r.stdout.prefix(600))")
    }

    @Test func readableCaptureHasNoReason() throws {
        let r = try E2E.run(["analyze", "--format", "json", "fixtures/unpipelined.pcap"])
        #expect(r.status == 0)
        let quality = try Self.quality(r)
        #expect(quality["reason"] == nil)
        #expect(quality["verdict"] as? String == "complete")
    }

    @Test func helpDocumentsExitCode6() throws {
        for command in ["analyze", "live"] {
            let r = try E2E.run([command, "--help"])
            #expect(r.stdout.contains("6"), "\(command)")
            #expect(r.stdout.contains("nothing"), "\(command) --help: \(r.stdout)")
        }
        let readme = try String(contentsOf: E2E.root.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(readme.contains("| 6 | report written, but nothing could be read from the capture"))
    }
}
