import CPcap

/// A BPF filter expression compiled by libpcap and applied to captured packets (`pcap_offline_filter`).
///
/// A BPF program reads link-layer headers, so it is compiled for one link type, and a pcapng file can mix link
/// types: the expression is compiled lazily for each link type seen (as its DLT_, see `LinkType.dlt`) and cached,
/// failures included. It is validated up front against Ethernet so a typo is a clear error before any work.
public final class PacketFilter {
    public let expression: String

    private enum Compiled {
        case program(UnsafeMutablePointer<bpf_program>)
        /// libpcap's reason why the expression cannot apply to this link type.
        case rejected(String)
    }

    private var compiled: [UInt32: Compiled] = [:]
    private var lastLinkType: UInt32 = .max
    private var lastProgram: UnsafeMutablePointer<bpf_program>?
    /// Packets of link types the expression could not be compiled for, by link type (they pass nothing).
    public private(set) var packetsNotFilterable: [LinkType: Int] = [:]

    public init(expression: String) throws(CaptureError) {
        self.expression = expression
        if case .rejected(let reason) = compile(for: .ethernet) {
            throw CaptureError(.badFilter, "invalid filter '\(expression)': \(reason)")
        }
    }

    deinit {
        for case .program(let program) in compiled.values {
            pcap_freecode(program)
            program.deallocate()
        }
    }

    /// True when the packet passes the filter. A link type the expression cannot be compiled for passes nothing,
    /// and its packets are counted in `packetsNotFilterable`.
    public func matches(_ packet: CapturedPacket) -> Bool {
        let program: UnsafeMutablePointer<bpf_program>
        if packet.linkType.rawValue == lastLinkType, let last = lastProgram {
            program = last
        } else {
            switch compiled[packet.linkType.rawValue] ?? compile(for: packet.linkType) {
            case .program(let found):
                lastLinkType = packet.linkType.rawValue
                lastProgram = found
                program = found
            case .rejected:
                packetsNotFilterable[packet.linkType, default: 0] += 1
                return false
            }
        }
        guard let base = packet.bytes.baseAddress else { return false }
        var header = pcap_pkthdr()
        header.caplen = UInt32(packet.bytes.count)
        header.len = UInt32(clamping: packet.originalLength)
        return pcap_offline_filter(program, &header, base.assumingMemoryBound(to: UInt8.self)) != 0
    }

    /// Why the expression cannot apply to `linkType`, once that link type was seen; nil when it can.
    public func rejection(for linkType: LinkType) -> String? {
        if case .rejected(let reason) = compiled[linkType.rawValue] { return reason }
        return nil
    }

    private func compile(for linkType: LinkType) -> Compiled {
        let result: Compiled
        if let handle = PcapHandle.dead(linkType: linkType) {
            let program = UnsafeMutablePointer<bpf_program>.allocate(capacity: 1)
            program.initialize(to: bpf_program())
            let netmaskUnknown: bpf_u_int32 = 0xFFFF_FFFF
            if pcap_compile(handle.pointer, program, expression, 1, netmaskUnknown) == 0 {
                result = .program(program)
            } else {
                program.deallocate()
                result = .rejected(handle.lastError)
            }
        } else {
            result = .rejected("libpcap cannot compile filters for link type \(linkType)")
        }
        compiled[linkType.rawValue] = result
        return result
    }
}
