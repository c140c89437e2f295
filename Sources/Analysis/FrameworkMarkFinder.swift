import RedisSemantics

/// Finds the job frameworks' marks (`FrameworkStats.marks`) in a command's first arguments, for `FrameworkStats`.
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
        let end = ASCIIDigits.trailingRunStart(bytes)
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
}
