import Analysis
import Findings
import Pipeline
import Capture
import Foundation
import Testing

/// `--filter` on captures whose link type is not Ethernet. A BPF program reads link-layer headers, so it must be
/// compiled for the packets' link type: LINKTYPE_RAW (101) is DLT_RAW (12 on Linux) to libpcap, and compiling for
/// 101 failed, which silently dropped every packet of a raw-IP capture while the report said "complete".
///
/// The raw-IP captures are real fixtures with their Ethernet headers stripped; a pcapng mixes both link types, one
/// interface each, as a capture on several interfaces does.
@Suite struct LinkTypeFilterTests {
    typealias Packet = CapturePerturbation.Packet

    /// The fixture's packets as LINKTYPE_RAW: IPv4 straight after the record header.
    static func rawIP(_ packets: [Packet]) -> [Packet] {
        packets.map { p in
            precondition(p.linkType == LinkType.ethernet.rawValue && p.bytes.count >= 14, "fixtures are Ethernet")
            return Packet(timestampNanos: p.timestampNanos, linkType: LinkType.raw.rawValue,
                          originalLength: p.originalLength - 14, bytes: Array(p.bytes.dropFirst(14)))
        }
    }

    /// A pcapng with one interface per link type present, in order of first use.
    static func pcapng(_ packets: [Packet]) -> [UInt8] {
        var out: [UInt8] = []
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        u32(0x0A0D_0D0A); u32(28); u32(0x1A2B_3C4D); u16(1); u16(0); u32(0xFFFF_FFFF); u32(0xFFFF_FFFF); u32(28)
        var interfaces: [UInt32] = []
        for linkType in packets.map(\.linkType) where !interfaces.contains(linkType) {
            interfaces.append(linkType)
            // if_tsresol 9: nanoseconds.
            u32(1); u32(32); u16(UInt16(linkType)); u16(0); u32(262_144); u16(9); u16(1); out += [9, 0, 0, 0]; u16(0); u16(0); u32(32)
        }
        for p in packets {
            let padded = (p.bytes.count + 3) & ~3
            let length = UInt32(32 + padded)
            let ticks = UInt64(p.timestampNanos)
            u32(6); u32(length); u32(UInt32(interfaces.firstIndex(of: p.linkType) ?? 0))
            u32(UInt32(ticks >> 32)); u32(UInt32(ticks & 0xFFFF_FFFF)); u32(UInt32(p.bytes.count)); u32(UInt32(p.originalLength))
            out += p.bytes + [UInt8](repeating: 0, count: padded - p.bytes.count)
            u32(length)
        }
        return out
    }

    static func analyze(_ bytes: [UInt8], name: String, filter: String?) throws -> AnalysisReport {
        let path = CapturePerturbation.write(bytes, name: "\(name)-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(atPath: path) }
        var options = AnalysisOptions()
        options.filter = filter
        return try CaptureAnalyzer(options: options).analyze(paths: [path])
    }

    static func calls(_ report: AnalysisReport) -> [String: Int] {
        Dictionary(uniqueKeysWithValues: report.commands.map { ($0.name, $0.calls) })
    }

    @Test(arguments: ["unpipelined", "mixed", "multi-exec"])
    func rawIPCaptureFiltersLikeItsEthernetOriginal(fixture: String) throws {
        let ethernet = try CapturePerturbation.read(TestPaths.fixtures.appendingPathComponent("\(fixture).pcap").path)
        let raw = Self.rawIP(ethernet)
        let unfiltered = try Self.analyze(CapturePerturbation.pcap(raw), name: "raw-\(fixture)", filter: nil)
        #expect(unfiltered.capture.linkTypes == [LinkType.raw.description])
        #expect(unfiltered.totals.commands > 0)
        #expect(unfiltered.totals.commands == (try Self.analyze(CapturePerturbation.pcap(ethernet), name: fixture, filter: nil)).totals.commands)

        for filter in ["ip", "tcp port 6379", "tcp and host 127.0.0.1"] {
            let kept = try Self.analyze(CapturePerturbation.pcap(raw), name: "raw-\(fixture)", filter: filter)
            #expect(kept.totals.commands == unfiltered.totals.commands, "--filter '\(filter)'")
            #expect(Self.calls(kept) == Self.calls(unfiltered), "--filter '\(filter)'")
            #expect(kept.quality.packetsSkipped["filteredOut"] == nil, "--filter '\(filter)'")
            #expect(kept.quality.verdict == unfiltered.quality.verdict, "--filter '\(filter)'")
            #expect(kept.warnings.isEmpty, "\(kept.warnings)")
        }
        let none = try Self.analyze(CapturePerturbation.pcap(raw), name: "raw-\(fixture)", filter: "host 10.9.9.9")
        #expect(none.totals.commands == 0)
        #expect(none.quality.packetsSkipped["filteredOut"] == raw.count)
    }

    @Test func pcapngMixingEthernetAndRawIPFiltersEachForItsLinkType() throws {
        let ethernet = try CapturePerturbation.read(TestPaths.fixtures.appendingPathComponent("unpipelined.pcap").path)
        let raw = Self.rawIP(ethernet)
        // Alternate packets between the two interfaces: every connection crosses both link types.
        let mixed = ethernet.indices.map { $0 % 2 == 0 ? ethernet[$0] : raw[$0] }
        let unfiltered = try Self.analyze(Self.pcapng(mixed), name: "mixed-link", filter: nil)
        #expect(unfiltered.capture.linkTypes == [LinkType.ethernet.description, LinkType.raw.description])
        #expect(unfiltered.totals.commands == (try Self.analyze(CapturePerturbation.pcap(ethernet), name: "eth", filter: nil)).totals.commands)

        let kept = try Self.analyze(Self.pcapng(mixed), name: "mixed-link", filter: "tcp port 6379")
        #expect(Self.calls(kept) == Self.calls(unfiltered))
        #expect(kept.quality.packetsSkipped["filteredOut"] == nil)

        // An Ethernet-only expression passes no raw-IP packet, and the report says so instead of "complete".
        let ethernetOnly = try Self.analyze(Self.pcapng(mixed), name: "mixed-link", filter: "not ether host 00:11:22:33:44:55")
        #expect(ethernetOnly.quality.packetsSkipped["filterNotApplicable"] == raw.count / 2)
        #expect(ethernetOnly.quality.verdict.hasPrefix("partial: "), "\(ethernetOnly.quality.verdict)")
        #expect(ethernetOnly.quality.verdict.contains("\(raw.count / 2) packets of a link type --filter cannot apply to"))
        #expect(ethernetOnly.warnings.count == 1)
        #expect(ethernetOnly.warnings.first?.contains("cannot apply to RAW (IP) packets") == true, "\(ethernetOnly.warnings)")
    }

    @Test func linkTypesMapToLibpcapDLTsAndBack() {
        #if os(Linux)
        #expect(LinkType.raw.dlt == 12)
        #expect(LinkType(dlt: 12) == .raw)
        #endif
        for linkType in [LinkType.null, .ethernet, .raw, .loop, .linuxSLL, .ipv4, .ipv6, .linuxSLL2] {
            #expect(LinkType(dlt: linkType.dlt) == linkType, "\(linkType)")
        }
        #expect(LinkType.ethernet.dlt == 1 && LinkType.linuxSLL.dlt == 113 && LinkType.linuxSLL2.dlt == 276)
    }
}
