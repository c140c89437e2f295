import RedisSemantics

/// Finds the job frameworks' marks (`FrameworkStats.marks`) in a command's first arguments: for `FrameworkStats`,
/// and for the argument digest worked out as records are packed.
struct FrameworkMarkFinder {
    /// The tables of `marks`, held by the instance: a static's every use on the per-command path is a `swift_once`.
    private let candidatesByFirstByte = FrameworkStats.candidatesByFirstByte
    private let kombuSuffixMarks = FrameworkStats.kombuSuffixMarks
    private let firstArgumentOnlyMarks = FrameworkStats.firstArgumentOnlyMarks
    private let marks = FrameworkStats.marks
    /// The kombu priority-suffix marks' separators, as `FrameworkStats.matches` compares them once the trailing
    /// digits are found: those are found once per argument for all of them, a word at a time.
    private let kombuSeparators: [KombuSeparator] = FrameworkStats.marks.enumerated().compactMap { index, mark in
        mark.match == .kombuPrioritySuffix
            ? KombuSeparator(bit: 1 << UInt64(index), length: mark.bytes.count, first: mark.bytes[0], second: mark.bytes[1])
            : nil
    }

    private struct KombuSeparator {
        let bit: UInt64
        let length: Int
        let first: UInt8
        let second: UInt8
    }

    /// The marks of the record's arguments 1 to 3, as bits of `marks`.
    func marks(of location: UnsafePointer<CommandRecord>) -> UInt64 {
        let argumentCount = location.pointee.argumentCount
        guard argumentCount > 1 else { return 0 }
        var found: UInt64 = 0
        location.keptArguments.withArguments { argument in
            var index = 1
            while index <= 3 && index < argumentCount {
                if let bytes = argument(index) { found |= marks(in: bytes, firstArgument: index == 1) }
                index += 1
            }
        }
        return found
    }

    /// The marks one argument carries, as bits of `marks`. Only the marks whose pattern starts with the argument's
    /// first byte (or, for kombu's priority lists, that end in a digit) are compared: most keys name no framework
    /// and cost one table look-up (this runs for up to three arguments of every command).
    @inline(__always)
    func marks(in bytes: UnsafeRawBufferPointer, firstArgument: Bool) -> UInt64 {
        // Subscripts, not `first`/`last`: generic accessors allocate in unoptimised builds.
        guard bytes.count > 0 else { return 0 }
        let allowed = firstArgument ? UInt64.max : ~firstArgumentOnlyMarks
        var candidates = candidatesByFirstByte[Int(bytes[0])] & allowed
        var found: UInt64 = 0
        while candidates != 0 {
            let index = candidates.trailingZeroBitCount
            candidates &= candidates - 1
            if FrameworkStats.matches(marks[index], bytes) { found |= 1 << UInt64(index) }
        }
        let last = bytes[bytes.count - 1]
        if last >= 0x30 && last <= 0x39 && kombuSuffixMarks & allowed != 0 {
            found |= kombuMarks(in: bytes) & allowed
        }
        return found
    }

    /// `FrameworkStats.matches` for every kombu priority-suffix mark, the trailing digits found once.
    @inline(__always)
    private func kombuMarks(in bytes: UnsafeRawBufferPointer) -> UInt64 {
        let end = Self.trailingDigitsStart(bytes)
        guard end < bytes.count, end > 2 else { return 0 }
        let before = (bytes[end - 2], bytes[end - 1])
        var found: UInt64 = 0
        var index = 0
        while index < kombuSeparators.count {
            let separator = kombuSeparators[index]
            if end > separator.length && before == (separator.first, separator.second) { found |= separator.bit }
            index += 1
        }
        return found
    }

    /// Where the run of ASCII digits that ends `bytes` starts (`bytes.count` when the last byte is not a digit).
    /// Eight bytes a step, the last step overlapping the one before (its bytes already read are digits): ids such
    /// as `key:000000012345` end in long runs, and this runs on every such argument.
    @inline(__always)
    static func trailingDigitsStart(_ bytes: UnsafeRawBufferPointer) -> Int {
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
