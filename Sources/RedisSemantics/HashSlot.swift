/// Redis Cluster's hash slot of a key: CRC16/XMODEM of the key, or of its hash tag, modulo 16384.
///
/// The hash tag is what lies between the first `{` and the first `}` after it, when that is not empty; otherwise
/// the whole key is hashed (as redis-server's `keyHashSlot`).
public enum HashSlot {
    public static let count = 16384

    /// The slot of `key`, whole.
    @inline(__always)
    public static func slot(of key: UnsafeRawBufferPointer) -> Int {
        slot(of: key, fullLength: key.count)!
    }

    /// The slot of a key of which only the first `key.count` of `fullLength` bytes are known: nil when the rest
    /// could change it (no complete, non-empty hash tag within the known bytes).
    @inline(__always)
    public static func slot(of key: UnsafeRawBufferPointer, fullLength: Int) -> Int? {
        tables.withUnsafeBufferPointer { slot(of: key, fullLength: fullLength, tables: $0) }
    }

    /// `slot(of:fullLength:)` with the CRC tables given (`HashSlotCalculator` holds its own).
    @inline(__always)
    static func slot(of key: UnsafeRawBufferPointer, fullLength: Int, tables: UnsafeBufferPointer<UInt16>) -> Int? {
        if fullLength <= key.count { return Int(crc16(tagged(key) ?? key, tables: tables) & 0x3FFF) }
        guard let tag = tagged(key) else { return nil }
        return Int(crc16(tag, tables: tables) & 0x3FFF)
    }

    /// The hash tag's bytes, nil when the key has none (no `{`, no `}` after it, or `{}`).
    @inline(__always)
    static func tagged(_ key: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        // Indexed loops: generic collection methods allocate in unoptimised builds, and this runs per command.
        let open = firstOpeningBrace(key)
        guard open < key.count else { return nil }
        var close = open + 1
        while close < key.count && key[close] != UInt8(ascii: "}") { close += 1 }
        guard close < key.count, close > open + 1 else { return nil }
        return UnsafeRawBufferPointer(rebasing: key[(open + 1)..<close])
    }

    /// The index of the first `{` in `key`, `key.count` when there is none: most keys have no hash tag, and every
    /// keyed command's key is searched.
    @inline(__always)
    static func firstOpeningBrace(_ key: UnsafeRawBufferPointer) -> Int {
        ByteSearch.firstIndex(of: UInt8(ascii: "{"), in: key)
    }

    /// CRC16/XMODEM: polynomial 0x1021, initial value 0, no reflection (check value of "123456789": 0x31C3).
    ///
    /// Eight bytes a step ("slicing by 8"), then four, two and one: the CRC is linear, so several bytes' effect is
    /// the XOR of table look-ups that do not wait for each other, where a byte at a time chains every look-up on the
    /// last. The running CRC only meets a step's first two bytes. Runs once per keyed command; most keys are 5 to
    /// 16 bytes.
    public static func crc16(_ bytes: UnsafeRawBufferPointer) -> UInt16 {
        tables.withUnsafeBufferPointer { crc16(bytes, tables: $0) }
    }

    /// `crc16(_:)` with `tables` given (`HashSlotCalculator` holds its own).
    @inline(__always)
    static func crc16(_ bytes: UnsafeRawBufferPointer, tables: UnsafeBufferPointer<UInt16>) -> UInt16 {
        // `tables[k * 256 + b]`: byte b followed by k zero bytes.
        @inline(__always) func entry(_ k: Int, _ byte: UInt8) -> UInt16 { tables[k &* 256 &+ Int(byte)] }
        @inline(__always) func entry(_ k: Int, _ byte: UInt16) -> UInt16 { tables[k &* 256 &+ Int(byte)] }
        var crc: UInt16 = 0
        var i = 0
        let count = bytes.count
        while i + 8 <= count {
            let t = crc ^ (UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1]))
            crc = entry(7, t >> 8) ^ entry(6, t & 0xFF) ^ entry(5, bytes[i + 2]) ^ entry(4, bytes[i + 3])
                ^ entry(3, bytes[i + 4]) ^ entry(2, bytes[i + 5]) ^ entry(1, bytes[i + 6]) ^ entry(0, bytes[i + 7])
            i += 8
        }
        if i + 4 <= count {
            let t = crc ^ (UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1]))
            crc = entry(3, t >> 8) ^ entry(2, t & 0xFF) ^ entry(1, bytes[i + 2]) ^ entry(0, bytes[i + 3])
            i += 4
        }
        if i + 2 <= count {
            let t = crc ^ (UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1]))
            crc = entry(1, t >> 8) ^ entry(0, t & 0xFF)
            i += 2
        }
        if i < count {
            crc = (crc << 8) ^ entry(0, UInt8(truncatingIfNeeded: crc >> 8) ^ bytes[i])
        }
        return crc
    }

    /// Eight tables of 256, one after another: the CRC of a byte followed by 0, 1, ... 7 zero bytes (4 KB).
    static let tables: [UInt16] = {
        let one = (0..<256).map { (n: Int) -> UInt16 in
            var crc = UInt16(n) << 8
            for _ in 0..<8 { crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1 }
            return crc
        }
        var all = one
        var previous = one
        for _ in 1..<8 {
            previous = previous.map { ($0 << 8) ^ one[Int($0 >> 8)] }
            all += previous
        }
        return all
    }()
}
