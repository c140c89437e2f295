/// Finding one byte value in short byte strings (keys, mostly), a word at a time.
public enum ByteSearch {
    /// The index of the first `byte` in `bytes`, `bytes.count` when there is none. Eight bytes a step, the last step
    /// overlapping the one before (its bytes already searched hold no `byte`); 4 to 7 bytes in one step of their
    /// first and last four. Reads nothing outside `bytes`. Per command, keys are searched for a hash tag's `{` and
    /// for the key prefix's delimiter.
    @inlinable @inline(__always)
    public static func firstIndex(of byte: UInt8, in bytes: UnsafeRawBufferPointer) -> Int {
        let count = bytes.count
        guard count >= 8 else {
            guard count >= 4 else {
                var index = 0
                while index < count && bytes[index] != byte { index += 1 }
                return index
            }
            // Bytes 0...3, then bytes count-4...count-1 (byte 4 of the word is byte count-4): a match found first
            // among the last four lies at or past byte 4, as none was among the first four.
            let word = UInt64(UInt32(littleEndian: bytes.loadUnaligned(as: UInt32.self)))
                | UInt64(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self))) << 32
            guard let found = firstIndex(of: byte, inWord: word) else { return count }
            return found < 4 ? found : found + count - 8
        }
        var start = 0
        while true {
            let word = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: start, as: UInt64.self))
            if let found = firstIndex(of: byte, inWord: word) { return start + found }
            if start + 8 == count { return count }
            start = min(start + 8, count - 8)
        }
    }

    /// The first `byte` among the eight bytes of `word` (the first byte lowest), nil when none is.
    @inlinable @inline(__always)
    static func firstIndex(of byte: UInt8, inWord word: UInt64) -> Int? {
        let ones: UInt64 = 0x0101_0101_0101_0101, highBits: UInt64 = 0x8080_8080_8080_8080
        // Bytes equal to `byte` become zero; the lowest byte marked as zero is exact (higher ones may be false).
        let flipped = word ^ (ones &* UInt64(byte))
        let zeros = (flipped &- ones) & ~flipped & highBits
        return zeros == 0 ? nil : zeros.trailingZeroBitCount / 8
    }
}
