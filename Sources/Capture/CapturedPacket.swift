/// A link-layer header type (LINKTYPE_* values of the pcap and pcapng formats).
public struct LinkType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let null = LinkType(rawValue: 0)
    public static let ethernet = LinkType(rawValue: 1)
    public static let raw = LinkType(rawValue: 101)
    public static let loop = LinkType(rawValue: 108)
    public static let linuxSLL = LinkType(rawValue: 113)
    public static let ipv4 = LinkType(rawValue: 228)
    public static let ipv6 = LinkType(rawValue: 229)
    public static let linuxSLL2 = LinkType(rawValue: 276)

    public var description: String {
        switch self {
        case .null: return "NULL (BSD loopback)"
        case .ethernet: return "EN10MB (Ethernet)"
        case .raw: return "RAW (IP)"
        case .loop: return "LOOP (OpenBSD loopback)"
        case .linuxSLL: return "LINUX_SLL (Linux cooked)"
        case .ipv4: return "IPV4"
        case .ipv6: return "IPV6"
        case .linuxSLL2: return "LINUX_SLL2 (Linux cooked v2)"
        default: return "LINKTYPE \(rawValue)"
        }
    }
}

/// One record from a capture. `bytes` is BORROWED: from a file, valid until its reader names their memory to
/// `beforeBufferChange`; from a live capture, for the call it is handed to.
public struct CapturedPacket {
    /// Capture time, nanoseconds since the Unix epoch.
    public var timestampNanos: Int64
    public var linkType: LinkType
    /// Length of the packet on the wire (may exceed `bytes.count` when the snaplen cut it).
    public var originalLength: Int
    public var bytes: UnsafeRawBufferPointer

    public init(timestampNanos: Int64, linkType: LinkType, originalLength: Int, bytes: UnsafeRawBufferPointer) {
        self.timestampNanos = timestampNanos
        self.linkType = linkType
        self.originalLength = originalLength
        self.bytes = bytes
    }
}

public enum CaptureFileFormat: String, Sendable, Codable { case pcap, pcapng }

/// Why a capture could not be read (or read to its end). One clear line in `message`.
public struct CaptureError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable { case cannotOpen, notACaptureFile, unsupported, corrupt, truncated, io, badFilter, live }
    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
