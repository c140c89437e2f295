import Packets

/// A 4-tuple with its two endpoints in canonical order, so both directions of a connection share one key.
struct FlowKey: Hashable {
    let lower: Endpoint
    let upper: Endpoint

    /// Four words into the hasher rather than eight fields: looked up on every packet.
    func hash(into hasher: inout Hasher) {
        hasher.combine(lower.address.high ^ (lower.address.isIPv6 ? 0x9E37_79B9_7F4A_7C15 : 0))
        hasher.combine(lower.address.low ^ (UInt64(lower.port) << 48))
        hasher.combine(upper.address.high ^ (upper.address.isIPv6 ? 0x9E37_79B9_7F4A_7C15 : 0))
        hasher.combine(upper.address.low ^ (UInt64(upper.port) << 48))
    }

    @inline(__always)
    init(_ a: Endpoint, _ b: Endpoint) {
        if b < a {
            lower = b
            upper = a
        } else {
            lower = a
            upper = b
        }
    }
}
