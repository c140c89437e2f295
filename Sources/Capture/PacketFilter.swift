import CPcap

/// A BPF filter expression compiled by libpcap and applied to captured packets (`pcap_offline_filter`).
///
/// A pcapng file can mix link types, and a BPF program is compiled for one, so the filter compiles once per link
/// type seen. The expression is validated up front against Ethernet so a typo is a clear error before any work.
public final class PacketFilter {
    public let expression: String
    private var programs: [UInt32: UnsafeMutablePointer<bpf_program>] = [:]
    private var lastLinkType: UInt32 = .max
    private var lastProgram: UnsafeMutablePointer<bpf_program>?

    public init(expression: String) throws(CaptureError) {
        self.expression = expression
        _ = try program(for: LinkType.ethernet.rawValue)
    }

    deinit {
        for (_, program) in programs {
            pcap_freecode(program)
            program.deallocate()
        }
    }

    /// True when the packet passes the filter. A link type the expression cannot be compiled for passes nothing.
    public func matches(_ packet: CapturedPacket) -> Bool {
        let program: UnsafeMutablePointer<bpf_program>
        if packet.linkType.rawValue == lastLinkType, let last = lastProgram {
            program = last
        } else {
            guard let compiled = try? self.program(for: packet.linkType.rawValue) else { return false }
            lastLinkType = packet.linkType.rawValue
            lastProgram = compiled
            program = compiled
        }
        guard let base = packet.bytes.baseAddress else { return false }
        var header = pcap_pkthdr()
        header.caplen = UInt32(packet.bytes.count)
        header.len = UInt32(clamping: packet.originalLength)
        return pcap_offline_filter(program, &header, base.assumingMemoryBound(to: UInt8.self)) != 0
    }

    private func program(for linkType: UInt32) throws(CaptureError) -> UnsafeMutablePointer<bpf_program> {
        if let existing = programs[linkType] { return existing }
        guard let handle = pcap_open_dead(Int32(linkType), 262_144) else {
            throw CaptureError(.badFilter, "cannot compile filter: libpcap refused link type \(linkType)")
        }
        defer { pcap_close(handle) }
        let program = UnsafeMutablePointer<bpf_program>.allocate(capacity: 1)
        program.initialize(to: bpf_program())
        let netmaskUnknown: bpf_u_int32 = 0xFFFF_FFFF
        if pcap_compile(handle, program, expression, 1, netmaskUnknown) != 0 {
            let reason = String(cString: pcap_geterr(handle))
            program.deallocate()
            throw CaptureError(.badFilter, "invalid filter '\(expression)': \(reason)")
        }
        programs[linkType] = program
        return program
    }
}
