/// Redis Cluster's hash slot of a key: CRC16/XMODEM of the key, or of its hash tag, modulo 16384.
///
/// The hash tag is what lies between the first `{` and the first `}` after it, when that is not empty; otherwise
/// the whole key is hashed (as redis-server's `keyHashSlot`).
public enum HashSlot {
    public static let count = 16384

    /// The slot of `key`, whole.
    public static func slot(of key: UnsafeRawBufferPointer) -> Int {
        Int(crc16(tagged(key) ?? key) & 0x3FFF)
    }

    /// The slot of a key of which only the first `key.count` of `fullLength` bytes are known: nil when the rest
    /// could change it (no complete, non-empty hash tag within the known bytes).
    public static func slot(of key: UnsafeRawBufferPointer, fullLength: Int) -> Int? {
        if fullLength <= key.count { return slot(of: key) }
        guard let tag = tagged(key) else { return nil }
        return Int(crc16(tag) & 0x3FFF)
    }

    /// The hash tag's bytes, nil when the key has none (no `{`, no `}` after it, or `{}`).
    static func tagged(_ key: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        // Indexed loops: generic collection methods allocate in unoptimised builds, and this runs per command.
        var open = 0
        while open < key.count && key[open] != UInt8(ascii: "{") { open += 1 }
        guard open < key.count else { return nil }
        var close = open + 1
        while close < key.count && key[close] != UInt8(ascii: "}") { close += 1 }
        guard close < key.count, close > open + 1 else { return nil }
        return UnsafeRawBufferPointer(rebasing: key[(open + 1)..<close])
    }

    /// CRC16/XMODEM: polynomial 0x1021, initial value 0, no reflection (check value of "123456789": 0x31C3).
    public static func crc16(_ bytes: UnsafeRawBufferPointer) -> UInt16 {
        table.withUnsafeBufferPointer { table in
            var crc: UInt16 = 0
            var i = 0
            while i < bytes.count {
                crc = (crc << 8) ^ table[Int(UInt8(truncatingIfNeeded: crc >> 8) ^ bytes[i])]
                i += 1
            }
            return crc
        }
    }

    private static let table: [UInt16] = (0..<256).map { (n: Int) -> UInt16 in
        var crc = UInt16(n) << 8
        for _ in 0..<8 { crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1 }
        return crc
    }
}
