import Packets

/// A 4-tuple with its two endpoints in canonical order, so both directions of a connection share one key.
struct FlowKey: Hashable {
    let lower: Endpoint
    let upper: Endpoint

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
