import Packets

/// A 4-tuple with its two endpoints in canonical order, so both directions of a connection share one key.
struct FlowKey: Hashable {
    let lower: Endpoint
    let upper: Endpoint

    /// Four words into the hasher rather than eight fields.
    func hash(into hasher: inout Hasher) {
        let words = self.words
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
        hasher.combine(words.3)
    }

    /// The key in four words: each endpoint's address, its family and its port.
    @inline(__always)
    var words: (UInt64, UInt64, UInt64, UInt64) {
        (lower.address.high ^ (lower.address.isIPv6 ? 0x9E37_79B9_7F4A_7C15 : 0), lower.address.low ^ (UInt64(lower.port) << 48),
         upper.address.high ^ (upper.address.isIPv6 ? 0x9E37_79B9_7F4A_7C15 : 0), upper.address.low ^ (UInt64(upper.port) << 48))
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
