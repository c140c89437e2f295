/// A command name of 1...16 bytes as sent (case kept), packed into two words with its length: equal names are equal
/// keys. Longer or empty names get `count` 0 and are not remembered.
struct RecentNameKey: Equatable {
    var low: UInt64 = 0
    var high: UInt64 = 0
    var count = 0

    /// Reads only the bytes of `name`: overlapping loads from both ends cover every byte once the length is known.
    @inline(__always)
    init(_ name: UnsafeRawBufferPointer) {
        let n = name.count
        guard n > 0, n <= 16, let base = name.baseAddress else { return }
        count = n
        if n >= 8 {
            low = base.loadUnaligned(as: UInt64.self)
            high = base.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self)
        } else if n >= 4 {
            low = UInt64(base.loadUnaligned(as: UInt32.self))
                | UInt64(base.loadUnaligned(fromByteOffset: n &- 4, as: UInt32.self)) << 32
        } else {
            low = UInt64(base.load(as: UInt8.self)) | UInt64(base.load(fromByteOffset: n >> 1, as: UInt8.self)) << 8
                | UInt64(base.load(fromByteOffset: n &- 1, as: UInt8.self)) << 16
        }
    }

    /// Bits for a table of `1 << bits` entries.
    @inline(__always)
    func slot(bits: Int) -> Int {
        let mixed = (low &* 0x9E37_79B9_7F4A_7C15) ^ (high &* 0xC2B2_AE3D_27D4_EB4F) ^ UInt64(truncatingIfNeeded: count)
        return Int(truncatingIfNeeded: (mixed &* 0x1656_67B1_9E37_79F9) >> UInt64(64 &- bits))
    }
}
