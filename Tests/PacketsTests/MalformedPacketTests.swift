import Capture
import Testing
@testable import Packets

/// Packets whose headers lie about their lengths: each is either decoded from what was really captured or skipped
/// with a reason, never read past the captured bytes (the fuzz-packets target checks the same under ASan).
@Suite struct MalformedPacketTests {
    static let payload = Array("*1\r\n$4\r\nPING\r\n".utf8)

    /// Sets the IPv4 total length of a raw IPv4 frame.
    static func withTotalLength(_ frame: [UInt8], _ length: Int) -> [UInt8] {
        var bytes = frame
        bytes[2] = UInt8(length >> 8 & 0xFF)
        bytes[3] = UInt8(length & 0xFF)
        return bytes
    }

    @Test func totalLengthLongerThanAnUncutFrameIsALieNotAGap() {
        // 65,535 announced, 54 present, and the capture record says nothing was cut: the header lies, and the
        // reassembler must not be told 65k bytes are missing (that would break the stream where nothing is lost).
        let frame = Self.withTotalLength(Frames.ipv4(Frames.tcp()), 65_535)
        let (_, _, payload, missing, skip) = segmentSummary(frame, .raw)
        #expect(skip == nil)
        #expect(payload == Self.payload.count)
        #expect(missing == 0)
    }

    @Test func totalLengthLongerThanACutFrameCountsOnlyWhatTheRecordCut() {
        // Cut by a snaplen 4 bytes into the payload; the record's original length says 10 more bytes existed.
        let full = Frames.ipv4(Frames.tcp())
        let cut = Array(Self.withTotalLength(full, 65_535).prefix(44))
        let (_, _, payload, missing, skip) = segmentSummary(cut, .raw, originalLength: cut.count + 10)
        #expect(skip == nil)
        #expect(payload == 4)
        #expect(missing == 10)
    }

    @Test func totalLengthShorterThanTheFrameBoundsThePayload() {
        let frame = Self.withTotalLength(Frames.ipv4(Frames.tcp()), 20 + 20 + 4)
        #expect(segmentSummary(frame, .raw).2 == 4)
    }

    @Test(arguments: [0x00_14, 0x00_13, 0x00_01, 0x00_27])
    func totalLengthShorterThanTheHeadersIsSkipped(length: Int) {
        // 20: IP header only, no room for TCP; 19 and 1: shorter than the IP header; 39: one byte short of TCP's.
        let frame = Self.withTotalLength(Frames.ipv4(Frames.tcp()), length)
        let skip = segmentSummary(frame, .raw).4
        #expect(skip == .badIPHeader || skip == .badTCPHeader, "total length \(length): \(String(describing: skip))")
    }

    @Test func zeroTotalLengthMeansWhatWasCaptured() {
        // TCP segmentation offload leaves 0 in captures taken on the sender.
        let frame = Self.withTotalLength(Frames.ipv4(Frames.tcp()), 0)
        let (_, _, payload, missing, skip) = segmentSummary(frame, .raw)
        #expect(skip == nil && payload == Self.payload.count && missing == 0)
    }

    @Test func ipHeaderLongerThanThePacket() {
        var frame = Frames.ipv4(Frames.tcp())
        frame[0] = 0x4F  // IHL 15: a 60-byte header in a 54-byte packet
        #expect(segmentSummary(Array(frame.prefix(50)), .raw).4 == .truncatedIPHeader)
        #expect(segmentSummary(frame, .raw).4 != nil)
        frame[0] = 0x45
        #expect(segmentSummary(Array(frame.prefix(12)), .raw).4 == .truncatedIPHeader)
    }

    @Test(arguments: [0, 1, 4])
    func tcpDataOffsetBelowFiveIsSkipped(words: UInt8) {
        var frame = Frames.ipv4(Frames.tcp())
        frame[20 + 12] = words << 4
        #expect(segmentSummary(frame, .raw).4 == .badTCPHeader)
    }

    @Test func tcpDataOffsetPastTheSegmentIsSkipped() {
        var frame = Frames.ipv4(Frames.tcp(payload: []))
        frame[20 + 12] = 0xF0  // 60-byte TCP header in a 20-byte segment
        #expect(segmentSummary(frame, .raw).4 == .badTCPHeader)
        // The same header cut by a snaplen is a truncated header, not a bad one.
        var long = Frames.ipv4(Frames.tcp(options: [UInt8](repeating: 1, count: 40)))
        long[20 + 12] = 0xF0
        #expect(segmentSummary(Array(long.prefix(50)), .raw, originalLength: long.count).4 == .truncatedTCPHeader)
    }

    @Test func ipv6PayloadLengthLies() {
        var frame = Frames.ipv6(Frames.tcp())
        frame[4] = 0xFF; frame[5] = 0xFF  // 65,535 announced
        let (_, _, payload, missing, skip) = segmentSummary(frame, .raw)
        #expect(skip == nil && payload == Self.payload.count && missing == 0)
        frame[4] = 0; frame[5] = 10  // shorter than the TCP header
        #expect(segmentSummary(frame, .raw).4 == .badTCPHeader)
        // An extension header whose length runs past the payload.
        let extended = Frames.ipv6(Frames.tcp(), extensions: [(0, [0xFF, 0, 0, 0, 0, 0, 0])])
        #expect(segmentSummary(extended, .ipv6).4 == .badIPHeader)
    }

    @Test func capturedLengthAboveTheOriginalLength() {
        // caplen > len in the record: the reader reports max(len, caplen); the decoder never sees a negative cut.
        let frame = Frames.ethernet(Frames.ipv4(Frames.tcp()))
        let (_, _, payload, missing, skip) = segmentSummary(frame, .ethernet, originalLength: 10)
        #expect(skip == nil && payload == Self.payload.count && missing == 0)
    }

    @Test func linkHeadersShorterThanTheyClaim() {
        #expect(segmentSummary([0x08, 0x00, 0, 0], .linuxSLL2).4 == .truncatedLinkHeader)
        #expect(segmentSummary([2, 0, 0], .null).4 == .truncatedLinkHeader)
        #expect(segmentSummary([UInt8](repeating: 0xAA, count: 12) + [0x81, 0x00, 0], .ethernet).4 == .truncatedLinkHeader)
    }
}
