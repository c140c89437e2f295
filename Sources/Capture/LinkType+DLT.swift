import CPcap

extension LinkType {
    /// Files store LINKTYPE_ values and libpcap compiles for, and `pcap_datalink` returns, DLT_ values. They are equal
    /// except where operating systems once disagreed on a number, and those got a LINKTYPE_ of their own. libpcap's
    /// mapping (`linktype_to_dlt`) is not public, so the few that differ are listed here, against the host's DLT_
    /// macros: without this, `pcap_open_dead(101)` is "unknown data link type" and a filter drops every raw-IP packet.
    private static let differingDLTs: [(linkType: UInt32, dlt: Int32)] = [
        (100, DLT_ATM_RFC1483),
        (101, DLT_RAW),         // LINKTYPE_RAW: DLT_RAW is 12 on most systems, 14 on OpenBSD
        (102, DLT_SLIP_BSDOS),
        (103, DLT_PPP_BSDOS),
        (106, DLT_ATM_CLIP),
        (108, DLT_LOOP),        // 108, but 12 on OpenBSD
    ]

    /// The libpcap DLT_ value for packets of this link type (to compile filters for them).
    public var dlt: Int32 {
        Self.differingDLTs.first { $0.linkType == rawValue }?.dlt ?? Int32(bitPattern: rawValue)
    }

    /// The link type of a DLT_ value from `pcap_datalink` (a live capture): an interface carrying raw IP (a tunnel)
    /// reports DLT_RAW, which files and the decoder know as LINKTYPE_RAW.
    public init(dlt: Int32) {
        self.init(rawValue: Self.differingDLTs.first { $0.dlt == dlt }?.linkType ?? UInt32(bitPattern: dlt))
    }
}
