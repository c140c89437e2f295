/// A dictionary key that is already a well-mixed 64-bit hash (`keyHash` of a key's bytes): the dictionary mixes it
/// with its seed in a few instructions instead of running SipHash over it on every lookup (three lookups per
/// command in the key counters).
struct PrehashedKey: Hashable {
    let value: UInt64

    init(_ value: UInt64) { self.value = value }

    func hash(into hasher: inout Hasher) { hasher.combine(value) }

    /// Seeded, so that copying one table into another of a different size does not cluster.
    func _rawHashValue(seed: Int) -> Int {
        var x = (value ^ UInt64(UInt(bitPattern: seed))) &* 0x9E37_79B9_7F4A_7C15
        x ^= x >> 29
        return Int(truncatingIfNeeded: x)
    }
}
