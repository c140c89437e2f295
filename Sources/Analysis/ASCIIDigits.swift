/// Runs of ASCII digits, found a word at a time.
enum ASCIIDigits {
    /// Where the run of ASCII digits that ends `bytes` starts (`bytes.count` when the last byte is not a digit).
    /// Eight bytes a step, the last step overlapping the one before (its bytes already read are digits): ids such
    /// as `key:000000012345` end in long runs, and the framework marks and key prefixes look for them per command.
    @inline(__always)
    static func trailingRunStart(_ bytes: UnsafeRawBufferPointer) -> Int {
        var end = bytes.count
        guard end >= 8 else {
            while end > 0, bytes[end - 1] >= 0x30, bytes[end - 1] <= 0x39 { end -= 1 }
            return end
        }
        while true {
            let start = max(end - 8, 0)
            let notDigits = notDigitBytes(UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: start, as: UInt64.self)))
            // The last byte that is not a digit is the highest marked one: the run starts after it.
            if notDigits != 0 { return start + (64 - notDigits.leadingZeroBitCount) / 8 }
            if start == 0 { return 0 }
            end = start
        }
    }

    /// The top bit of each byte of `word` set when that byte is not an ASCII digit, and no other bit. Exact per byte:
    /// the sums are on the low seven bits and cannot carry into the next byte.
    @inline(__always)
    static func notDigitBytes(_ word: UInt64) -> UInt64 {
        let highBits: UInt64 = 0x8080_8080_8080_8080
        let low = word & ~highBits
        let atLeast0x30 = low &+ 0x5050_5050_5050_5050
        let atLeast0x3A = low &+ 0x4646_4646_4646_4646
        return (~atLeast0x30 | atLeast0x3A | word) & highBits
    }
}
