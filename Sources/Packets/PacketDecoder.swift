import Capture

public struct TCPFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let fin = TCPFlags(rawValue: 0x01)
    public static let syn = TCPFlags(rawValue: 0x02)
    public static let rst = TCPFlags(rawValue: 0x04)
    public static let psh = TCPFlags(rawValue: 0x08)
    public static let ack = TCPFlags(rawValue: 0x10)
    public static let urg = TCPFlags(rawValue: 0x20)
    public static let ece = TCPFlags(rawValue: 0x40)
    public static let cwr = TCPFlags(rawValue: 0x80)
}

/// A TCP segment. `payload` is BORROWED from the captured packet (valid until the next read).
public struct TCPSegment {
    public var timestampNanos: Int64
    public var source: Endpoint
    public var destination: Endpoint
    public var sequence: UInt32
    public var acknowledgment: UInt32
    public var flags: TCPFlags
    public var payload: UnsafeRawBufferPointer
    /// Payload bytes the IP header announces but the capture does not hold (snaplen cut). 0 normally.
    public var missingPayloadBytes: Int

    public init(timestampNanos: Int64, source: Endpoint, destination: Endpoint, sequence: UInt32, acknowledgment: UInt32,
                flags: TCPFlags, payload: UnsafeRawBufferPointer, missingPayloadBytes: Int = 0) {
        self.timestampNanos = timestampNanos
        self.source = source
        self.destination = destination
        self.sequence = sequence
        self.acknowledgment = acknowledgment
        self.flags = flags
        self.payload = payload
        self.missingPayloadBytes = missingPayloadBytes
    }
}

/// Why a packet was not turned into a TCP segment.
public enum SkipReason: String, CaseIterable, Sendable, Codable {
    case unsupportedLinkType, truncatedLinkHeader, notIP, truncatedIPHeader, badIPHeader, ipFragment, notTCP,
         truncatedTCPHeader, badTCPHeader
}

public enum DecodedPacket {
    case tcp(TCPSegment)
    case skipped(SkipReason)
}

/// Decodes link, IP and TCP headers. Every read is length-checked first; nothing allocates.
///
/// Link types: Ethernet (802.1Q/802.1ad/QinQ tags), Linux SLL and SLL2, NULL (address family in either byte
/// order) and LOOP, RAW/IPV4/IPV6. IPv4 options and IPv6 extension headers are walked; fragments are skipped
/// (counted, not reassembled: Redis traffic is TCP and fragments on it are rare and suspect).
public struct PacketDecoder: Sendable {
    public init() {}

    public func decode(_ packet: CapturedPacket) -> DecodedPacket {
        let bytes = packet.bytes
        guard let base = bytes.baseAddress else { return .skipped(.truncatedLinkHeader) }
        let count = bytes.count
        var offset = 0
        var etherType: UInt16 = 0
        switch packet.linkType {
        case .ethernet:
            guard count >= 14 else { return .skipped(.truncatedLinkHeader) }
            etherType = Self.be16(base, 12)
            offset = 14
            var tags = 0
            while etherType == 0x8100 || etherType == 0x88A8 || etherType == 0x9100 {
                guard count >= offset + 4, tags < 8 else { return .skipped(.truncatedLinkHeader) }
                etherType = Self.be16(base, offset + 2)
                offset += 4
                tags += 1
            }
        case .linuxSLL:
            guard count >= 16 else { return .skipped(.truncatedLinkHeader) }
            etherType = Self.be16(base, 14)
            offset = 16
        case .linuxSLL2:
            guard count >= 20 else { return .skipped(.truncatedLinkHeader) }
            etherType = Self.be16(base, 0)
            offset = 20
        case .null, .loop:
            guard count >= 4 else { return .skipped(.truncatedLinkHeader) }
            let raw = base.loadUnaligned(as: UInt32.self)
            // NULL stores the family in the capturing host's byte order, LOOP in network order: accept both.
            let family = min(UInt32(bigEndian: raw), UInt32(littleEndian: raw))
            switch family {
            case 2: etherType = 0x0800
            case 24, 28, 30: etherType = 0x86DD
            default: return .skipped(.notIP)
            }
            offset = 4
        case .raw, .ipv4, .ipv6:
            guard count >= 1 else { return .skipped(.truncatedIPHeader) }
            let version = base.load(as: UInt8.self) >> 4
            etherType = version == 4 ? 0x0800 : version == 6 ? 0x86DD : 0
        default:
            return .skipped(.unsupportedLinkType)
        }
        switch etherType {
        case 0x0800: return decodeIPv4(packet, base, offset, count)
        case 0x86DD: return decodeIPv6(packet, base, offset, count)
        default: return .skipped(.notIP)
        }
    }

    private func decodeIPv4(_ packet: CapturedPacket, _ base: UnsafeRawPointer, _ start: Int, _ count: Int) -> DecodedPacket {
        guard count >= start + 20 else { return .skipped(.truncatedIPHeader) }
        let versionIHL = base.load(fromByteOffset: start, as: UInt8.self)
        guard versionIHL >> 4 == 4 else { return .skipped(.badIPHeader) }
        let headerLength = Int(versionIHL & 0x0F) * 4
        guard headerLength >= 20 else { return .skipped(.badIPHeader) }
        guard count >= start + headerLength else { return .skipped(.truncatedIPHeader) }
        var totalLength = Int(Self.be16(base, start + 2))
        // 0 appears on captures of TCP segmentation offload: the length is then what was captured.
        if totalLength == 0 { totalLength = count - start }
        guard totalLength >= headerLength else { return .skipped(.badIPHeader) }
        let fragment = Self.be16(base, start + 6)
        if fragment & 0x2000 != 0 || fragment & 0x1FFF != 0 { return .skipped(.ipFragment) }
        guard base.load(fromByteOffset: start + 9, as: UInt8.self) == 6 else { return .skipped(.notTCP) }
        let source = IPAddress(ipv4: Self.be32(base, start + 12))
        let destination = IPAddress(ipv4: Self.be32(base, start + 16))
        // The IP total length bounds the payload (Ethernet pads short frames); a snaplen cut shows as less captured.
        let announcedEnd = start + totalLength
        return decodeTCP(packet, base, start + headerLength, min(count, announcedEnd), announcedEnd, source, destination)
    }

    private func decodeIPv6(_ packet: CapturedPacket, _ base: UnsafeRawPointer, _ start: Int, _ count: Int) -> DecodedPacket {
        guard count >= start + 40 else { return .skipped(.truncatedIPHeader) }
        guard base.load(fromByteOffset: start, as: UInt8.self) >> 4 == 6 else { return .skipped(.badIPHeader) }
        let payloadLength = Int(Self.be16(base, start + 4))
        guard payloadLength > 0 else { return .skipped(.badIPHeader) }  // jumbograms are not supported
        var next = base.load(fromByteOffset: start + 6, as: UInt8.self)
        let source = IPAddress(ipv6High: Self.be64(base, start + 8), low: Self.be64(base, start + 16))
        let destination = IPAddress(ipv6High: Self.be64(base, start + 24), low: Self.be64(base, start + 32))
        let announcedEnd = start + 40 + payloadLength
        var offset = start + 40
        var headers = 0
        while next != 6 {
            headers += 1
            guard headers <= 16 else { return .skipped(.badIPHeader) }
            switch next {
            case 0, 43, 60:  // hop-by-hop, routing, destination options
                guard count >= offset + 8 else { return .skipped(.truncatedIPHeader) }
                next = base.load(fromByteOffset: offset, as: UInt8.self)
                offset += (Int(base.load(fromByteOffset: offset + 1, as: UInt8.self)) + 1) * 8
            case 51:  // authentication header
                guard count >= offset + 8 else { return .skipped(.truncatedIPHeader) }
                next = base.load(fromByteOffset: offset, as: UInt8.self)
                offset += (Int(base.load(fromByteOffset: offset + 1, as: UInt8.self)) + 2) * 4
            case 44:
                return .skipped(.ipFragment)
            default:
                return .skipped(.notTCP)
            }
            guard offset <= announcedEnd else { return .skipped(.badIPHeader) }
        }
        return decodeTCP(packet, base, offset, min(count, announcedEnd), announcedEnd, source, destination)
    }

    private func decodeTCP(_ packet: CapturedPacket, _ base: UnsafeRawPointer, _ start: Int, _ capturedEnd: Int,
                           _ announcedEnd: Int, _ sourceAddress: IPAddress, _ destinationAddress: IPAddress) -> DecodedPacket {
        guard capturedEnd >= start + 20 else {
            return announcedEnd >= start + 20 ? .skipped(.truncatedTCPHeader) : .skipped(.badTCPHeader)
        }
        let dataOffset = Int(base.load(fromByteOffset: start + 12, as: UInt8.self) >> 4) * 4
        guard dataOffset >= 20 else { return .skipped(.badTCPHeader) }
        guard announcedEnd >= start + dataOffset else { return .skipped(.badTCPHeader) }
        guard capturedEnd >= start + dataOffset else { return .skipped(.truncatedTCPHeader) }
        let payloadStart = start + dataOffset
        let payload = UnsafeRawBufferPointer(start: base + payloadStart, count: capturedEnd - payloadStart)
        return .tcp(TCPSegment(
            timestampNanos: packet.timestampNanos,
            source: Endpoint(address: sourceAddress, port: Self.be16(base, start)),
            destination: Endpoint(address: destinationAddress, port: Self.be16(base, start + 2)),
            sequence: Self.be32(base, start + 4),
            acknowledgment: Self.be32(base, start + 8),
            flags: TCPFlags(rawValue: base.load(fromByteOffset: start + 13, as: UInt8.self)),
            payload: payload,
            // Bytes the IP header announces but the frame lacks are missing only if the capture record says it
            // cut them (snaplen); otherwise the header lies and what was captured is all there is.
            missingPayloadBytes: min(announcedEnd - capturedEnd, max(0, packet.originalLength - packet.bytes.count))))
    }

    @inline(__always) static func be16(_ base: UnsafeRawPointer, _ offset: Int) -> UInt16 {
        UInt16(bigEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    @inline(__always) static func be32(_ base: UnsafeRawPointer, _ offset: Int) -> UInt32 {
        UInt32(bigEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    @inline(__always) static func be64(_ base: UnsafeRawPointer, _ offset: Int) -> UInt64 {
        UInt64(bigEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }
}
