import CPcap

/// The one owner of a libpcap `pcap_t`: whoever holds the last reference closes it, exactly once, in `deinit`.
///
/// Code that fails half way through opening a capture simply throws; it never calls `pcap_close` itself, so an
/// error path cannot close a handle that a `deinit` closes again.
final class PcapHandle {
    let pointer: OpaquePointer

    /// Takes ownership of `pointer` (from `pcap_create` or `pcap_open_dead`).
    init(_ pointer: OpaquePointer) { self.pointer = pointer }

    /// A handle that captures nothing, for compiling filters for packets of `linkType`; nil when libpcap refuses it.
    static func dead(linkType: LinkType, snapLength: Int32 = 262_144) -> PcapHandle? {
        pcap_open_dead(linkType.dlt, snapLength).map(PcapHandle.init)
    }

    deinit { pcap_close(pointer) }

    /// libpcap's last error for this handle, first line only.
    var lastError: String { Self.oneLine(String(cString: pcap_geterr(pointer))) }

    static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).first.map(String.init) ?? text
    }
}
