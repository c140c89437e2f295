import Analysis
import Findings
import Pipeline
import Capture
import MallocCounting
import RedisSemantics
import Testing

/// The in-order path allocates nothing per packet or per command once warm: the same connection keeps sending
/// pipelined and unpipelined commands on a few keys, and the second half of the capture is counted.
/// Heap calls are counted per thread (`MallocCounting` interposes malloc in the test process), so tests running
/// in parallel do not disturb the count; the test is synchronous to stay on one thread.
@Suite struct SteadyStateAllocationTests {
    static func workload(rounds: Int) -> [CapturePerturbation.Packet] {
        var capture = SyntheticCapture()
        var connection = SyntheticCapture.Connection(clientPort: 50_000, serverPort: 6379)
        capture.handshake(&connection)
        for round in 0..<rounds {
            let key = "user:\(round % 16)"
            let k = "$\(key.utf8.count)\r\n\(key)\r\n"
            capture.exchange(&connection, "*3\r\n$3\r\nSET\r\n\(k)$5\r\nvalue\r\n", "+OK\r\n")
            capture.exchange(&connection, "*2\r\n$3\r\nGET\r\n\(k)", "$5\r\nvalue\r\n")
            capture.exchange(&connection, "*2\r\n$4\r\nINCR\r\n$7\r\ncounter\r\n", ":\(round + 1)\r\n")
            // A pipeline of eight in one segment, answered in one segment.
            let pipeline = String(repeating: "*3\r\n$5\r\nLPUSH\r\n$5\r\nqueue\r\n$3\r\njob\r\n*2\r\n$4\r\nRPOP\r\n$5\r\nqueue\r\n", count: 4)
            // Then a script by sha naming a key, counted per sha and KEYS[1] prefix by the scripts analysis.
            let script = "*4\r\n$7\r\nEVALSHA\r\n$40\r\n\(String(repeating: "ab", count: 20))\r\n$1\r\n1\r\n\(k)"
            capture.exchange(&connection, pipeline + script, String(repeating: ":1\r\n$3\r\njob\r\n", count: 4) + ":1\r\n")
            capture.exchange(&connection, "*4\r\n$4\r\nHSET\r\n$4\r\nhash\r\n\(k)$1\r\n1\r\n", ":0\r\n")
            capture.exchange(&connection, "*4\r\n$4\r\nZADD\r\n$4\r\nzset\r\n$1\r\n1\r\n\(k)", ":0\r\n")
        }
        capture.close(&connection)
        return capture.packets
    }

    @Test func inOrderPathAllocatesNothingPerPacketOnceWarm() throws {
        guard malloc_count_thread() >= 0 else { return }  // counting is Linux-only
        let packets = Self.workload(rounds: 4000)
        let analyzer = try TrafficAnalyzer(options: AnalysisOptions())
        let warm = packets.count / 2
        func feed(_ packet: CapturePerturbation.Packet) {
            packet.bytes.withUnsafeBytes { bytes in
                analyzer.process(CapturedPacket(timestampNanos: packet.timestampNanos, linkType: LinkType(rawValue: packet.linkType),
                                                originalLength: packet.originalLength, bytes: bytes))
            }
        }
        for packet in packets[..<warm] { feed(packet) }
        let counted = packets.count - 3 - warm  // the closing FIN/ACK are not steady state
        let before = malloc_count_thread()
        malloc_trace_thread(1)  // RESPCAP_MALLOC_TRACE=N prints backtraces of the first N heap calls counted
        // An indexed loop: iterating a slice goes through generic accessors that allocate in debug builds.
        var index = warm
        while index < packets.count - 3 {
            feed(packets[index])
            index += 1
        }
        let allocations = malloc_count_thread() - before
        malloc_trace_thread(0)
        let report = analyzer.finish()
        #expect(report.totals.commands == 4000 * 14)
        #expect(allocations == 0, "\(allocations) heap allocations in \(counted) packets")
    }

    /// With the analyses on a second thread (`--threads 2`): the producer thread (packets, reassembly, RESP,
    /// pairing, hand-over) and the analysis thread each allocate nothing per packet once warm. The analysis
    /// thread is counted from inside: an extra analysis, which runs there, reads that thread's counter when the
    /// warm-up's last command arrives and again at the last counted one.
    /// Warm means every batch of the ring between the threads has been filled once (64 batches of ~512 events: the
    /// first half of 8,000 rounds is ~100 batches).
    @Test func bothThreadsAllocateNothingOnceWarm() throws {
        guard malloc_count_thread() >= 0 else { return }
        let packets = Self.workload(rounds: 8000)
        let probe = AllocationProbe(from: 4000 * 14, to: 7999 * 14)
        let analyzer = try TrafficAnalyzer(options: AnalysisOptions(), analyses: [probe], analysisThread: true)
        let warm = packets.count / 2
        func feed(_ packet: CapturePerturbation.Packet) {
            packet.bytes.withUnsafeBytes { bytes in
                analyzer.process(CapturedPacket(timestampNanos: packet.timestampNanos, linkType: LinkType(rawValue: packet.linkType),
                                                originalLength: packet.originalLength, bytes: bytes))
            }
        }
        var index = 0
        while index < warm {
            feed(packets[index])
            index += 1
        }
        let before = malloc_count_thread()
        while index < packets.count - 3 {
            feed(packets[index])
            index += 1
        }
        let producerAllocations = malloc_count_thread() - before
        let report = analyzer.finish()
        #expect(report.totals.commands == 8000 * 14)
        #expect(producerAllocations == 0, "\(producerAllocations) heap allocations on the producer thread")
        #expect(probe.counted, "the probe saw both ends of the window")
        #expect(probe.allocations == 0, "\(probe.allocations) heap allocations on the analysis thread in 4,000 rounds")
    }
}

/// Reads the heap-call counter of the thread it runs on (the analysis thread) at command `from` and at command `to`.
private final class AllocationProbe: TrafficAnalysis {
    let from: Int, to: Int
    private var seen = 0
    private var start = 0
    private(set) var allocations = -1
    var counted: Bool { allocations >= 0 }

    init(from: Int, to: Int) {
        self.from = from
        self.to = to
    }

    func command(_ record: CommandRecord, on connection: ConnectionInfo) {
        seen += 1
        if seen == from { start = malloc_count_thread() }
        if seen == to { allocations = malloc_count_thread() - start }
    }

    func finish(into report: inout AnalysisReport, context: AnalysisContext) {}
}
