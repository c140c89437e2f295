/// An IPv4 or IPv6 address held in two words: no allocation, cheap to hash and compare.
public struct IPAddress: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var high: UInt64
    /// IPv4 addresses live in the low 32 bits.
    public var low: UInt64
    public var isIPv6: Bool

    public init(ipv4: UInt32) {
        high = 0
        low = UInt64(ipv4)
        isIPv6 = false
    }

    public init(ipv6High: UInt64, low: UInt64) {
        high = ipv6High
        self.low = low
        isIPv6 = true
    }

    public static func < (a: IPAddress, b: IPAddress) -> Bool {
        (a.isIPv6 ? 1 : 0, a.high, a.low) < (b.isIPv6 ? 1 : 0, b.high, b.low)
    }

    /// Two words into the hasher rather than three fields (see `Endpoint.hash(into:)`).
    public func hash(into hasher: inout Hasher) {
        hasher.combine(high ^ (isIPv6 ? 0x9E37_79B9_7F4A_7C15 : 0))
        hasher.combine(low)
    }

    /// Dotted quad for IPv4, RFC 5952 text for IPv6 (longest zero run compressed, lowercase hex).
    public var description: String {
        if !isIPv6 {
            let v = UInt32(truncatingIfNeeded: low)
            return "\(v >> 24).\(v >> 16 & 0xFF).\(v >> 8 & 0xFF).\(v & 0xFF)"
        }
        var groups: [UInt16] = []
        for shift in stride(from: 48, through: 0, by: -16) { groups.append(UInt16(truncatingIfNeeded: high >> UInt64(shift))) }
        for shift in stride(from: 48, through: 0, by: -16) { groups.append(UInt16(truncatingIfNeeded: low >> UInt64(shift))) }
        // IPv4-mapped ::ffff:a.b.c.d
        if high == 0 && low >> 32 == 0xFFFF {
            return "::ffff:" + IPAddress(ipv4: UInt32(truncatingIfNeeded: low)).description
        }
        var bestStart = -1, bestLength = 0, runStart = -1
        for i in 0...8 {
            if i < 8 && groups[i] == 0 {
                if runStart < 0 { runStart = i }
            } else if runStart >= 0 {
                if i - runStart > bestLength { bestStart = runStart; bestLength = i - runStart }
                runStart = -1
            }
        }
        if bestLength < 2 { bestStart = -1 }
        var text = ""
        var i = 0
        while i < 8 {
            if i == bestStart {
                text += "::"
                i += bestLength
                continue
            }
            if !text.isEmpty && !text.hasSuffix(":") { text += ":" }
            text += String(groups[i], radix: 16)
            i += 1
        }
        return text
    }
}

/// One end of a TCP connection.
public struct Endpoint: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var address: IPAddress
    public var port: UInt16

    public init(address: IPAddress, port: UInt16) {
        self.address = address
        self.port = port
    }

    public static func < (a: Endpoint, b: Endpoint) -> Bool { (a.address, a.port) < (b.address, b.port) }

    /// Two words into the hasher rather than four fields: endpoints are hashed several times per packet (flow
    /// lookups) and per connection (per-client statistics). Equal endpoints still hash equally.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(address.high ^ (address.isIPv6 ? 0x9E37_79B9_7F4A_7C15 : 0))
        hasher.combine(address.low ^ (UInt64(port) << 48))
    }

    public var description: String {
        address.isIPv6 ? "[\(address)]:\(port)" : "\(address):\(port)"
    }
}
