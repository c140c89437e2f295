/// The server side of a replication link, from the replica's PSYNC/SYNC on: the sync reply, the RDB payload, then
/// the propagated stream. The RDB is not RESP (`$<len>\r\n` and the bytes with no CRLF after them, or diskless
/// `$EOF:<40-byte mark>\r\n`, the bytes, the same mark), so it is skipped here by its length or its end mark and
/// never reaches the decoder.
struct ReplicationLink {
    enum Phase: Equatable {
        /// Replies are read a line at a time until the PSYNC reply (+FULLRESYNC or +CONTINUE) has been seen.
        case awaitingReply
        /// Before the RDB's header line the master may send bare newlines (keep-alives while it saves).
        case rdbHeader
        case rdbBody
        case rdbEndMark
        case streaming
    }

    static let markLength = 40
    /// A sync reply or RDB header line is short (`+FULLRESYNC <40> <offset>\r\n`, `$EOF:<40>\r\n`).
    static let maxLine = 128

    var phase: Phase
    /// The line being read (the sync reply or the RDB header), up to `maxLine` bytes.
    var line: [UInt8] = []
    var isFull = false
    var offset: Int64
    var startNanos: Int64 = 0
    var rdbBytes = 0
    private var remaining = 0
    private var mark: [UInt8] = []
    /// Knuth–Morris–Pratt failure function of `mark`: the mark may straddle segments and partly repeat.
    private var failure: [Int] = []
    private var matched = 0

    init(phase: Phase, offset: Int64) {
        self.phase = phase
        self.offset = offset
    }

    mutating func appendToLine(_ bytes: UnsafeRawBufferPointer) {
        let room = Self.maxLine - line.count
        if room > 0 { line.append(contentsOf: bytes.prefix(room)) }
    }

    func lineStarts(with prefix: StaticString) -> Bool {
        let p = UnsafeRawBufferPointer(start: prefix.utf8Start, count: prefix.utf8CodeUnitCount)
        guard line.count >= p.count else { return false }
        for i in 0..<p.count where line[i] != p[i] { return false }
        return true
    }

    /// The number after the last space of the line (FULLRESYNC's offset), if any.
    var lineTrailingNumber: Int64? {
        var end = line.count
        while end > 0 && (line[end - 1] == 13 || line[end - 1] == 10) { end -= 1 }
        var start = end
        while start > 0 && line[start - 1] >= 48 && line[start - 1] <= 57 { start -= 1 }
        guard start < end, end - start <= 18, start > 0, line[start - 1] == 32 else { return nil }
        return line[start..<end].reduce(Int64(0)) { $0 * 10 + Int64($1 - 48) }
    }

    enum Step {
        /// `consumed` bytes were part of the RDB or its framing; more may follow.
        case skipped(Int)
        /// The RDB ended after `consumed` bytes: what follows is the propagated stream.
        case finished(Int)
        /// The header line was not an RDB header: it (`held`) and what follows are to be decoded as RESP.
        case notRDB(Int, held: [UInt8])
    }

    /// Reads RDB framing and payload from the front of `bytes` (phases `rdbHeader`, `rdbBody`, `rdbEndMark`).
    mutating func skipRDB(_ bytes: UnsafeRawBufferPointer) -> Step {
        switch phase {
        case .rdbHeader:
            var i = 0
            while i < bytes.count {
                let b = bytes[i]
                i += 1
                if line.isEmpty && b == 10 { continue }
                line.append(b)
                if b == 10 { return headerEnded(consumed: i) }
                if line.count == Self.maxLine {
                    // Too long for a header: not an RDB after all.
                    phase = .streaming
                    defer { line.removeAll() }
                    return .notRDB(i, held: line)
                }
            }
            return .skipped(i)
        case .rdbBody:
            let n = min(remaining, bytes.count)
            remaining -= n
            rdbBytes += n
            return remaining == 0 ? .finished(n) : .skipped(n)
        case .rdbEndMark:
            for i in 0..<bytes.count {
                let b = bytes[i]
                while matched > 0 && mark[matched] != b { matched = failure[matched - 1] }
                if mark[matched] == b { matched += 1 }
                rdbBytes += 1
                if matched == Self.markLength {
                    rdbBytes -= Self.markLength
                    return .finished(i + 1)
                }
            }
            return .skipped(bytes.count)
        case .awaitingReply, .streaming:
            return .notRDB(0, held: [])
        }
    }

    private mutating func headerEnded(consumed: Int) -> Step {
        defer { line.removeAll(keepingCapacity: true) }
        guard line.count >= 4, line[0] == UInt8(ascii: "$"), line[line.count - 2] == 13 else {
            phase = .streaming
            return .notRDB(consumed, held: line)
        }
        let body = line[1..<(line.count - 2)]
        if lineStarts(with: "$EOF:") && body.count == 4 + Self.markLength {
            mark = Array(body.suffix(Self.markLength))
            failure = Self.failureFunction(mark)
            matched = 0
            phase = .rdbEndMark
            return .skipped(consumed)
        }
        guard body.count <= 18, body.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
            phase = .streaming
            return .notRDB(consumed, held: line)
        }
        remaining = body.reduce(0) { $0 * 10 + Int($1 - 48) }
        phase = .rdbBody
        return remaining == 0 ? .finished(consumed) : .skipped(consumed)
    }

    private static func failureFunction(_ pattern: [UInt8]) -> [Int] {
        var table = [Int](repeating: 0, count: pattern.count)
        var k = 0
        for i in 1..<pattern.count {
            while k > 0 && pattern[k] != pattern[i] { k = table[k - 1] }
            if pattern[k] == pattern[i] { k += 1 }
            table[i] = k
        }
        return table
    }
}
