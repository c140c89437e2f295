#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An incremental RESP2/RESP3 decoder for one direction of one connection.
///
/// Feed it the stream's bytes in order, in chunks of any size; it calls the handler with the same tokens whatever
/// the segmentation, and parses every byte once. (A handler that only counts some bulk strings, see
/// `RESPTokenHandler.countsBulkStringsOnly`, gets some of them as counts instead, depending on the chunks; the
/// same tokens otherwise.) Bulk bodies are never buffered: at most `RESPLimits.keptPrefix`
/// bytes of each string are kept, the rest is counted and skipped. Steady-state decoding allocates nothing.
///
/// - `.client` side (requests): arrays of bulk strings, or inline lines split as redis-server splits them.
/// - `.server` side (replies and pushes): every RESP2 and RESP3 type.
///
/// After a protocol error the decoder resynchronises: it skips to the next line start that can begin a message
/// (`*` followed by a digit for requests; a type byte for replies) and goes on from there.
public struct RESPDecoder {
    public enum Side: Sendable { case client, server }

    public let side: Side
    public let limits: RESPLimits
    /// Bytes fed so far.
    public private(set) var streamOffset: Int64 = 0
    /// Bytes skipped while resynchronising after errors or gaps.
    public private(set) var skippedBytes: Int64 = 0

    private enum State {
        case start
        case line(RESPKind)
        case bulkBody(RESPKind)
        case bulkTerminator(RESPKind, missing: Int)
        case inline
        /// Skipping bytes until a line feed, then looking for a plausible message start.
        case resync(afterLineFeed: Bool)
        /// Resynchronising on the client side, a `*` at a line start was the chunk's last byte: the next byte
        /// decides whether it starts a request (so the verdict does not depend on where the stream was cut).
        case resyncAfterStar
    }

    private struct Frame {
        var remaining: Int
        var isAttribute: Bool
    }

    private var state: State = .start
    /// Open aggregates: `top` is the innermost when `depth` > 0, `stack` holds the ones around it. The innermost is
    /// counted down once per value, so it lives outside the array (no uniqueness check or bounds check per value).
    private var stack: [Frame] = []
    private var top = Frame(remaining: 0, isAttribute: false)
    private var depth = 0
    private var attributeFrames = 0
    private var messageBytes = 0
    /// Scratch for a line or bulk body that spans chunks; holds at most `scratchCapacity` bytes.
    private var scratch: [UInt8]
    private var scratchCount = 0
    private let scratchCapacity: Int
    /// Length of the current line or bulk body seen so far / expected in total.
    private var valueLength = 0
    private var bulkRemaining = 0
    private var lastByteWasCR = false
    /// Stream offset of the current line's first byte (its type byte, or an inline request's first byte): errors
    /// found while the line is still arriving are reported there, whatever the segmentation.
    private var lineStart: Int64 = 0
    private var inlineBuffer: [UInt8] = []
    private var inlineArguments: [UInt8] = []
    private var inlineRanges: [(start: Int, count: Int)] = []
    /// Where a whole request's first elements' bodies start and their lengths (`decodeWholeRequest`).
    private var leadingElements = InlineArray<8, Int>(repeating: 0)

    public init(side: Side, limits: RESPLimits = RESPLimits()) {
        self.side = side
        self.limits = limits
        // Length lines need up to 21 bytes; keep room for that whatever the configured prefix.
        self.scratchCapacity = max(limits.keptPrefix, 32)
        // Both grow on first use: most connections never split a line across segments or nest deeply, and a flood
        // of connections must not cost a buffer each.
        self.scratch = []
    }

    /// Where a decoder stands in its stream: what a stream's decoder must carry when it is put down between
    /// messages and the stream is later continued by another decoder of the same side and limits.
    public struct StreamPosition: Sendable, Equatable {
        public var offset: Int64 = 0
        public var skippedBytes: Int64 = 0
        public init() {}
    }

    public var position: StreamPosition {
        var position = StreamPosition()
        position.offset = streamOffset
        position.skippedBytes = skippedBytes
        return position
    }

    /// Becomes a decoder of the stream at `position`, between two messages, as a new decoder would be there (the
    /// buffers keep their storage). A decoder can so serve one stream after another.
    public mutating func resume(at position: StreamPosition) {
        streamOffset = position.offset
        skippedBytes = position.skippedBytes
        state = .start
        depth = 0
        top = Frame(remaining: 0, isAttribute: false)
        attributeFrames = 0
        messageBytes = 0
        scratchCount = 0
        valueLength = 0
        bulkRemaining = 0
        lastByteWasCR = false
        lineStart = 0
        // Mostly empty already (this runs once per message on a connection that goes idle between them): emptied only
        // when not, which spares the arrays' uniqueness checks.
        if !stack.isEmpty { stack.removeAll(keepingCapacity: true) }
        if !inlineBuffer.isEmpty { inlineBuffer.removeAll(keepingCapacity: true) }
        if !inlineArguments.isEmpty { inlineArguments.removeAll(keepingCapacity: true) }
        if !inlineRanges.isEmpty { inlineRanges.removeAll(keepingCapacity: true) }
    }

    /// True between messages (no partial message buffered or pending).
    public var isAtMessageBoundary: Bool {
        if case .start = state, depth == 0, messageBytes == 0 { return true }
        return false
    }

    /// Forgets any partial message and skips input until a plausible message start, e.g. after bytes were lost.
    /// `atLineStart` says the next byte may itself begin a message (a stream seen from the middle whose first
    /// segment may start a message); otherwise the decoder first skips to the next line feed.
    public mutating func resynchronize(atLineStart: Bool = false) {
        closeAllFrames()
        attributeFrames = 0
        messageBytes = 0
        scratchCount = 0
        inlineBuffer.removeAll(keepingCapacity: true)
        state = .resync(afterLineFeed: atLineStart)
    }

    /// True while skipping bytes to find a message start.
    public var isResynchronizing: Bool {
        switch state {
        case .resync, .resyncAfterStar: return true
        default: return false
        }
    }

    /// Decodes `bytes`, calling `handler` for every token, message end and protocol error found.
    public mutating func feed<H: RESPTokenHandler>(_ bytes: UnsafeRawBufferPointer, handler: inout H) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        let end = bytes.count
        var i = 0
        while i < end {
            switch state {
            case .start:
                let next = decodeWholeValues(base, i, end, &handler)
                i = next == i ? startValue(base, i, end, &handler) : next
            case .line(let kind):
                i = continueLine(kind, base, i, end, &handler)
            case .bulkBody(let kind):
                i = continueBulk(kind, base, i, end, &handler)
            case .bulkTerminator(let kind, let missing):
                i = continueTerminator(kind, missing, base, i, end, &handler)
            case .inline:
                i = continueInline(base, i, end, &handler)
            case .resync(let afterLineFeed):
                i = continueResync(afterLineFeed, base, i, end)
            case .resyncAfterStar:
                i = continueAfterStar(base, i)
            }
        }
        streamOffset &+= Int64(end)
    }

    // MARK: - Whole values

    /// The fast path: decodes values that lie whole in the chunk and need nothing unusual (bulk strings, arrays,
    /// integers, simple strings and errors), straight from the bytes, without the state machine's per-line
    /// bookkeeping. Returns where it stopped: at the end, or at the first value it leaves to the state machine
    /// (split across chunks, RESP3 types, inline requests, anything invalid or past a limit), which then produces
    /// exactly the events it would have produced from there. Called in `.start`, and stays in it.
    @inline(__always)
    private mutating func decodeWholeValues<H: RESPTokenHandler>(
        _ base: UnsafeRawPointer, _ start: Int, _ end: Int, _ handler: inout H
    ) -> Int {
        var i = start
        let client = side == .client
        while i < end {
            let byte = base.load(fromByteOffset: i, as: UInt8.self)
            if byte == UInt8(ascii: "$") {
                if client && depth == 0 { return i }
                if depth == 1 && top.remaining > 1 && attributeFrames == 0 && handler.countsBulkStringsOnly {
                    let next = skipBulkStrings(base, i, end, &handler)
                    if next != i {
                        i = next
                        continue
                    }
                }
                guard let (length, bodyStart) = Self.wholeBulkHeader(base, i, end), length <= limits.maxBulkLength,
                      Self.hasTerminator(base, bodyStart, length, end)
                else { return i }
                let next = bodyStart &+ length &+ 2
                messageBytes &+= next &- i
                emitScalar(.bulkString, length: length, integer: Int64(length),
                           content: UnsafeRawBufferPointer(start: base + bodyStart, count: min(limits.keptPrefix, length)), &handler)
                i = next
            } else if byte == UInt8(ascii: "*") {
                if client {
                    if depth > 0 { return i }
                    if H.takesWholeRequests {
                        let next = decodeWholeRequest(base, i, end, &handler)
                        if next != i {
                            i = next
                            continue
                        }
                    }
                }
                guard let (count, next) = Self.wholeLengthLine(base, i + 1, end), count > 0, count <= limits.maxAggregateElements,
                      depth < limits.maxDepth
                else { return i }
                messageBytes &+= next - i
                emit(.array, length: count, integer: Int64(count), content: UnsafeRawBufferPointer(start: nil, count: 0), &handler)
                openFrame(Frame(remaining: count, isAttribute: false))
                i = next
            } else if client {
                return i
            } else if byte == UInt8(ascii: ":") {
                var p = i + 1
                let negative = p < end && base.load(fromByteOffset: p, as: UInt8.self) == UInt8(ascii: "-")
                if negative { p += 1 }
                guard let (magnitude, next) = Self.wholeLengthLine(base, p, end) else { return i }
                messageBytes &+= next - i
                emitScalar(.integer, length: 0, integer: negative ? -Int64(magnitude) : Int64(magnitude),
                           content: UnsafeRawBufferPointer(start: nil, count: 0), &handler)
                i = next
            } else if byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-") {
                // Short lines only (+OK, +QUEUED, -ERR ...): scanned byte by byte, longer ones go to memchr.
                var p = i + 1
                let limit = min(end, i + 1 + 64)
                while p < limit && base.load(fromByteOffset: p, as: UInt8.self) != UInt8(ascii: "\n") { p += 1 }
                guard p < limit, p > i + 1, base.load(fromByteOffset: p - 1, as: UInt8.self) == UInt8(ascii: "\r") else { return i }
                let contentCount = p - 1 - (i + 1)
                messageBytes &+= p + 1 - i
                emitScalar(byte == UInt8(ascii: "+") ? .simpleString : .simpleError, length: contentCount, integer: 0,
                           content: UnsafeRawBufferPointer(start: base + i + 1, count: min(limits.keptPrefix, contentCount)),
                           &handler)
                i = p + 1
            } else {
                return i
            }
        }
        return i
    }

    /// A client's request from the `*` at `start`, when the whole array lies in the chunk and within the limits (every
    /// element a bulk string whose header, body and CRLF are in the chunk): checked first, then handed to the handler
    /// in one call, which stands for the tokens and the message end the element-by-element path would have given.
    /// Returns where the request ends, or `start` when it is not whole (nothing is emitted then, and the usual path
    /// takes it from the same state). Most requests come whole in one segment, and each token cost a call and the
    /// frame bookkeeping.
    @inline(never)
    private mutating func decodeWholeRequest<H: RESPTokenHandler>(
        _ base: UnsafeRawPointer, _ start: Int, _ end: Int, _ handler: inout H
    ) -> Int {
        guard depth == 0, depth < limits.maxDepth else { return start }
        // Most arrays have fewer than ten elements: their header read from one word.
        var count = -1
        var firstElement = start
        if end &- start >= 4 {
            let word = UInt32(littleEndian: base.loadUnaligned(fromByteOffset: start, as: UInt32.self))
            if let short = Self.oneDigitLength(word, type: UInt8(ascii: "*")) {
                count = short
                firstElement = start &+ 4
            }
        }
        if count < 0 {
            guard let (longer, longerFirst) = Self.wholeLengthLine(base, start &+ 1, end) else { return start }
            count = longer
            firstElement = longerFirst
        }
        guard count > 0, count <= limits.maxAggregateElements else { return start }
        let maxBulkLength = limits.maxBulkLength
        let keptPrefix = limits.keptPrefix
        let priorBytes = messageBytes
        // The first elements' bodies go to `leadingElements`, for the handler (`RESPRequestArray.leadingElement(_:)`):
        // the decoder's own storage, so that the loop writes to it with no stack array to guard.
        let next = withUnsafeMutablePointer(to: &leadingElements) { storage -> Int in
            let leading = UnsafeMutableRawPointer(storage).assumingMemoryBound(to: Int.self)
            let leadingCount = RESPRequestArray.leadingCount
            // One- and two-digit lengths are within any limit of 9, 99 or more: checked once here, not per element.
            let oneDigitWithinLimit = maxBulkLength >= 9
            let twoDigitsWithinLimit = maxBulkLength >= 99
            // An element starting up to here has the six bytes the word-read headers look at (or is cut).
            let lastWordStart = end &- 6
            var i = firstElement
            var lastElement = firstElement
            var index = 0
            while index < count {
                lastElement = i
                var length = -1
                var bodyStart = 0
                if i <= lastWordStart {
                    // `$`, one or two digits, CRLF: most elements' headers, read from one word.
                    let word = UInt32(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt32.self))
                    if oneDigitWithinLimit, let short = Self.oneDigitLength(word, type: UInt8(ascii: "$")) {
                        length = short
                        bodyStart = i &+ 4
                    } else if twoDigitsWithinLimit,
                              let short = Self.twoDigitBulkLength(word, base.load(fromByteOffset: i &+ 4, as: UInt8.self)) {
                        length = short
                        bodyStart = i &+ 5
                    }
                }
                if length < 0 {
                    guard i < end, base.load(fromByteOffset: i, as: UInt8.self) == UInt8(ascii: "$"),
                          let (longer, longerStart) = Self.wholeBulkHeader(base, i, end), longer <= maxBulkLength
                    else { return start }
                    length = longer
                    bodyStart = longerStart
                }
                guard Self.hasTerminator(base, bodyStart, length, end) else { return start }
                if index < leadingCount {
                    leading[index] = bodyStart
                    leading[leadingCount &+ index] = length
                }
                i = bodyStart &+ length &+ 2
                index &+= 1
            }
            handler.wholeRequest(RESPRequestArray(base: base, end: end, keptPrefix: keptPrefix, count: count,
                                                  byteCount: priorBytes &+ (i &- start), firstElement: firstElement,
                                                  lastElement: lastElement, leading: UnsafePointer(leading)))
            return i
        }
        if next != start { messageBytes = 0 }
        return next
    }

    /// Passes over the bulk strings from `start` that are elements of the top-level aggregate, whole in the chunk and
    /// within limits, but not its last element (so closing the aggregate stays with the usual path); tells the
    /// handler how many. The state after them is what a token and `valueCompletedInline` each would have left.
    /// The elements of a long reply (LRANGE, SMEMBERS) mostly go through this loop. Not inlined: in its own
    /// function the loop keeps its few variables in registers (inlined into `feed`, they were spilled), and it is
    /// called once per run, not per element.
    @inline(never)
    private mutating func skipBulkStrings<H: RESPTokenHandler>(
        _ base: UnsafeRawPointer, _ start: Int, _ end: Int, _ handler: inout H
    ) -> Int {
        var i = start
        var remaining = top.remaining
        let maxBulkLength = limits.maxBulkLength
        // One-digit lengths are within any limit of 9 or more: checked once here rather than per element.
        let oneDigitWithinLimit = maxBulkLength >= 9
        // The shortest element, `$0\r\n\r\n`, has 6 bytes: an element may start up to here.
        let lastStart = end &- 6
        // The longest of one digit, `$9\r\n`, 9 bytes and CRLF, has 15: one that starts up to here ends in the chunk.
        let lastOneDigitStart = end &- 15
        elements: while remaining > 1 && i <= lastStart {
            if oneDigitWithinLimit {
                // `$`, one digit, CRLF, body, CRLF: most short values, in a loop of their own, counting down the
                // elements it may pass (all but the last). An element it stops at goes to the usual checks below.
                var passable = remaining &- 1
                // Two a step while two may be passed and both end in the chunk (the loop's bookkeeping once for
                // both), then one a step.
                while passable > 1 && i <= lastOneDigitStart &- 15 {
                    guard let middle = Self.oneDigitElementEnd(base, i) else { break }
                    guard let next = Self.oneDigitElementEnd(base, middle) else {
                        i = middle
                        passable &-= 1
                        break
                    }
                    i = next
                    passable &-= 2
                }
                if passable > 0 && i <= lastOneDigitStart {
                    repeat {
                        guard let next = Self.oneDigitElementEnd(base, i) else { break }
                        i = next
                        passable &-= 1
                    } while passable > 0 && i <= lastOneDigitStart
                }
                remaining = passable &+ 1
                guard remaining > 1 && i <= lastStart else { break }
            }
            guard base.load(fromByteOffset: i, as: UInt8.self) == UInt8(ascii: "$"),
                  let (length, bodyStart) = Self.wholeBulkHeader(base, i, end),
                  length <= maxBulkLength, Self.hasTerminator(base, bodyStart, length, end)
            else { break }
            i = bodyStart &+ length &+ 2
            remaining &-= 1
        }
        let count = top.remaining &- remaining
        if count > 0 {
            top.remaining = remaining
            messageBytes &+= i &- start
            handler.bulkStringsSkipped(count)
        }
        return i
    }

    /// Where the bulk string at `i` ends when its length has one digit and its CRLF follows the body; nil for
    /// anything else. It must start 15 bytes or more before the chunk's end (`$9\r\n`, 9 bytes, CRLF).
    @inline(__always)
    private static func oneDigitElementEnd(_ base: UnsafeRawPointer, _ i: Int) -> Int? {
        let word = UInt32(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt32.self))
        guard let length = oneDigitLength(word, type: UInt8(ascii: "$")) else { return nil }
        let next = i &+ 6 &+ length
        guard UInt16(littleEndian: base.loadUnaligned(fromByteOffset: next &- 2, as: UInt16.self)) == 0x0A0D else { return nil }
        return next
    }

    /// A bulk string's header, `$` at `i` then its length line, whole in the chunk: the length and where the body
    /// starts. Lengths of one or two digits (most on the wire) are read from one word; longer ones by
    /// `wholeLengthLine`, which also judges the rest. Nil for anything else.
    @inline(__always)
    static func wholeBulkHeader(_ base: UnsafeRawPointer, _ i: Int, _ end: Int) -> (Int, Int)? {
        if end &- i >= 5 {
            let word = UInt32(littleEndian: base.loadUnaligned(fromByteOffset: i &+ 1, as: UInt32.self))
            let first = (word & 0xFF) &- 0x30
            if first <= 9 {
                if word & 0xFF_FF00 == 0x0A_0D00 { return (Int(first), i &+ 4) }
                let second = (word >> 8 & 0xFF) &- 0x30
                if second <= 9 && word >> 16 == 0x0A0D { return (Int(first &* 10 &+ second), i &+ 5) }
            }
        }
        return wholeLengthLine(base, i &+ 1, end)
    }

    /// The length in a header of one digit, `type` (`$` or `*`), the digit and CRLF, read from the word of its four
    /// bytes (the first lowest); nil for any other bytes.
    @inline(__always)
    static func oneDigitLength(_ word: UInt32, type: UInt8) -> Int? {
        let digit = Int(word >> 8 & 0xF)
        return word & 0xFFFF_F0FF == 0x0A0D_3000 | UInt32(type) && digit <= 9 ? digit : nil
    }

    /// As `oneDigitLength`, for a bulk string's header of two digits: `$`, two digits and CR in `word`, then `lineFeed`.
    @inline(__always)
    static func twoDigitBulkLength(_ word: UInt32, _ lineFeed: UInt8) -> Int? {
        let high = Int(word >> 8 & 0xF), low = Int(word >> 16 & 0xF)
        guard word & 0xFFF0_F0FF == 0x0D30_3024, high <= 9, low <= 9, lineFeed == UInt8(ascii: "\n") else { return nil }
        return high &* 10 &+ low
    }

    /// A body of `length` bytes from `bodyStart` and its CRLF lie whole in the chunk. `length` is at most a
    /// `maxBulkLength`, so nothing overflows.
    @inline(__always)
    private static func hasTerminator(_ base: UnsafeRawPointer, _ bodyStart: Int, _ length: Int, _ end: Int) -> Bool {
        end &- bodyStart &- 2 >= length
            && UInt16(littleEndian: base.loadUnaligned(fromByteOffset: bodyStart &+ length, as: UInt16.self)) == 0x0A0D
    }

    /// A length line's digits and CRLF, whole in the chunk from `p`: 1...18 digits (no sign, so no overflow), then
    /// the value and the index past the line feed. Anything else is nil, for the state machine to judge.
    @inline(__always)
    private static func wholeLengthLine(_ base: UnsafeRawPointer, _ p: Int, _ end: Int) -> (Int, Int)? {
        var q = p
        var value = 0
        let limit = min(end, p &+ 18)
        while q < limit {
            let digit = base.load(fromByteOffset: q, as: UInt8.self) &- UInt8(ascii: "0")
            guard digit <= 9 else { break }
            value = value &* 10 &+ Int(digit)
            q &+= 1
        }
        guard q > p, end &- q >= 2,
              UInt16(littleEndian: base.loadUnaligned(fromByteOffset: q, as: UInt16.self)) == 0x0A0D
        else { return nil }
        return (value, q &+ 2)
    }

    // MARK: - Value start

    private mutating func startValue<H: RESPTokenHandler>(
        _ base: UnsafeRawPointer, _ i: Int, _ end: Int, _ handler: inout H
    ) -> Int {
        let byte = base.load(fromByteOffset: i, as: UInt8.self)
        if side == .client {
            if depth == 0 {
                if byte != UInt8(ascii: "*") {
                    state = .inline
                    lineStart = streamOffset &+ Int64(i)
                    inlineBuffer.removeAll(keepingCapacity: true)
                    return i
                }
            } else if byte != UInt8(ascii: "$") {
                return fail(.invalidRequestElement, base, i, end, &handler)
            }
        }
        let kind: RESPKind
        switch byte {
        case UInt8(ascii: "+"): kind = .simpleString
        case UInt8(ascii: "-"): kind = .simpleError
        case UInt8(ascii: ":"): kind = .integer
        case UInt8(ascii: "$"): kind = .bulkString
        case UInt8(ascii: "*"): kind = .array
        case UInt8(ascii: "_"): kind = .null
        case UInt8(ascii: "#"): kind = .boolean
        case UInt8(ascii: ","): kind = .double
        case UInt8(ascii: "("): kind = .bigNumber
        case UInt8(ascii: "!"): kind = .bulkError
        case UInt8(ascii: "="): kind = .verbatimString
        case UInt8(ascii: "%"): kind = .map
        case UInt8(ascii: "~"): kind = .set
        case UInt8(ascii: "|"): kind = .attribute
        case UInt8(ascii: ">"): kind = .push
        default:
            return fail(.invalidTypeByte, base, i, end, &handler)
        }
        lineStart = streamOffset &+ Int64(i)
        beginLine(kind)
        return i + 1
    }

    /// State after a line's type byte.
    private mutating func beginLine(_ kind: RESPKind) {
        messageBytes &+= 1
        scratchCount = 0
        valueLength = 0
        lastByteWasCR = false
        state = .line(kind)
    }

    // MARK: - Lines

    /// Reads the rest of a line after a type byte; the line's content is kept up to `scratchCapacity` bytes.
    private mutating func continueLine<H: RESPTokenHandler>(
        _ kind: RESPKind, _ base: UnsafeRawPointer, _ i: Int, _ end: Int, _ handler: inout H
    ) -> Int {
        let available = end - i
        let found = memchr(base + i, Int32(UInt8(ascii: "\n")), available)
        let takeCount = found.map { UnsafeRawPointer($0) - (base + i) } ?? available
        let isNumeric = Self.hasNumericLine(kind)
        if takeCount > 0 {
            if isNumeric && valueLength &+ takeCount > 24 {
                return fail(.invalidLength, base, i, end, &handler, reportedAt: lineStart)
            }
            if found != nil && valueLength == 0 {
                // The whole line is in this chunk: read it in place.
                var contentCount = takeCount
                if base.load(fromByteOffset: i + takeCount - 1, as: UInt8.self) == UInt8(ascii: "\r") {
                    contentCount -= 1
                }
                let content = UnsafeRawBufferPointer(start: base + i, count: contentCount)
                messageBytes &+= takeCount + 1
                return finishLine(kind, content, fullLength: contentCount, base, i + takeCount + 1, end, &handler)
            }
            appendToScratch(base + i, takeCount)
            valueLength &+= takeCount
            lastByteWasCR = base.load(fromByteOffset: i + takeCount - 1, as: UInt8.self) == UInt8(ascii: "\r")
            messageBytes &+= takeCount
        }
        guard found != nil else { return end }
        messageBytes &+= 1
        let fullLength = lastByteWasCR ? valueLength - 1 : valueLength
        let kept = min(scratchCount, fullLength)
        return scratch.withUnsafeBytes { buffer in
            let content = UnsafeRawBufferPointer(start: buffer.baseAddress, count: kept)
            return finishLine(kind, content, fullLength: fullLength, base, i + takeCount + 1, end, &handler)
        }
    }

    private static func hasNumericLine(_ kind: RESPKind) -> Bool {
        switch kind {
        case .integer, .bulkString, .array, .bulkError, .verbatimString, .map, .set, .attribute, .push, .boolean, .null:
            return true
        default:
            return false
        }
    }

    /// Handles a complete header or scalar line. `next` is the index just past its line feed.
    private mutating func finishLine<H: RESPTokenHandler>(
        _ kind: RESPKind, _ content: UnsafeRawBufferPointer, fullLength: Int,
        _ base: UnsafeRawPointer, _ next: Int, _ end: Int, _ handler: inout H
    ) -> Int {
        switch kind {
        case .simpleString, .simpleError, .double, .bigNumber:
            let kept = UnsafeRawBufferPointer(rebasing: content.prefix(limits.keptPrefix))
            emit(kind, length: fullLength, integer: 0, content: kept, &handler)
            state = .start
            valueCompleted(&handler)
            return next
        case .null:
            guard fullLength == 0 else { return fail(.invalidLength, base, next - 1, end, &handler) }
            emit(.null, length: 0, integer: 0, content: UnsafeRawBufferPointer(start: nil, count: 0), &handler)
            state = .start
            valueCompleted(&handler)
            return next
        case .boolean:
            guard fullLength == 1, let b = content.first, b == UInt8(ascii: "t") || b == UInt8(ascii: "f") else {
                return fail(.invalidLength, base, next - 1, end, &handler)
            }
            emit(.boolean, length: 0, integer: b == UInt8(ascii: "t") ? 1 : 0, content: UnsafeRawBufferPointer(start: nil, count: 0), &handler)
            state = .start
            valueCompleted(&handler)
            return next
        case .integer:
            guard let value = Self.parseInteger(content) else {
                return fail(.invalidLength, base, next - 1, end, &handler)
            }
            emit(.integer, length: 0, integer: value, content: UnsafeRawBufferPointer(start: nil, count: 0), &handler)
            state = .start
            valueCompleted(&handler)
            return next
        case .bulkString, .bulkError, .verbatimString:
            guard let length = Self.parseInteger(content) else {
                return fail(.invalidLength, base, next - 1, end, &handler)
            }
            if length == -1 && kind == .bulkString && side == .server {
                emit(.nullBulkString, length: 0, integer: -1, content: UnsafeRawBufferPointer(start: nil, count: 0), &handler)
                state = .start
                valueCompleted(&handler)
                return next
            }
            guard length >= 0 else { return fail(.invalidLength, base, next - 1, end, &handler) }
            guard length <= Int64(limits.maxBulkLength) else {
                return fail(.lengthLimitExceeded, base, next - 1, end, &handler)
            }
            valueLength = Int(length)
            bulkRemaining = Int(length)
            scratchCount = 0
            state = .bulkBody(kind)
            return next
        case .array, .map, .set, .attribute, .push:
            guard let count = Self.parseInteger(content) else {
                return fail(.invalidLength, base, next - 1, end, &handler)
            }
            if count == -1 && kind == .array {
                if side == .client {
                    // redis-server ignores `*-1` from a client, like an empty request.
                    state = .start
                    valueCompleted(&handler)
                    return next
                }
                emit(.nullArray, length: 0, integer: -1, content: UnsafeRawBufferPointer(start: nil, count: 0), &handler)
                state = .start
                valueCompleted(&handler)
                return next
            }
            guard count >= 0 else { return fail(.invalidLength, base, next - 1, end, &handler) }
            let pairs = kind == .map || kind == .attribute
            guard count <= Int64(pairs ? limits.maxAggregateElements / 2 : limits.maxAggregateElements) else {
                return fail(.lengthLimitExceeded, base, next - 1, end, &handler)
            }
            let children = Int(count) * (pairs ? 2 : 1)
            if side == .client && depth == 0 && kind == .array && children == 0 {
                // `*0` from a client: redis-server resets and waits for the next request; no command.
                state = .start
                valueCompleted(&handler)
                return next
            }
            emit(kind, length: children, integer: count, content: UnsafeRawBufferPointer(start: nil, count: 0), &handler)
            state = .start
            if children == 0 {
                if kind != .attribute { valueCompleted(&handler) }
                return next
            }
            guard depth < limits.maxDepth else {
                return fail(.depthLimitExceeded, base, next - 1, end, &handler)
            }
            openFrame(Frame(remaining: children, isAttribute: kind == .attribute))
            if kind == .attribute { attributeFrames += 1 }
            return next
        case .nullBulkString, .nullArray:
            return next
        }
    }

    // MARK: - Bulk bodies

    private mutating func continueBulk<H: RESPTokenHandler>(
        _ kind: RESPKind, _ base: UnsafeRawPointer, _ i: Int, _ end: Int, _ handler: inout H
    ) -> Int {
        let available = end - i
        let take = min(available, bulkRemaining)
        let keep = min(limits.keptPrefix, valueLength)
        if take == bulkRemaining && scratchCount == 0 && bulkRemaining == valueLength {
            // The whole body is in this chunk: hand out a view of it, no copy.
            bulkRemaining = 0
            messageBytes &+= take
            state = .bulkTerminator(kind, missing: 2)
            let content = UnsafeRawBufferPointer(start: base + i, count: keep)
            return finishBulk(kind, content, base, i + take, end, &handler)
        }
        let consumedSoFar = valueLength - bulkRemaining
        if consumedSoFar < keep {
            let copy = min(keep - consumedSoFar, take)
            appendToScratch(base + i, copy)
        }
        bulkRemaining -= take
        messageBytes &+= take
        if bulkRemaining > 0 { return end }
        state = .bulkTerminator(kind, missing: 2)
        return scratch.withUnsafeBytes { buffer in
            let content = UnsafeRawBufferPointer(start: buffer.baseAddress, count: min(scratchCount, keep))
            return finishBulk(kind, content, base, i + take, end, &handler)
        }
    }

    /// Emits the bulk token as soon as its body is complete (its CRLF is checked afterwards).
    private mutating func finishBulk<H: RESPTokenHandler>(
        _ kind: RESPKind, _ content: UnsafeRawBufferPointer, _ base: UnsafeRawPointer, _ next: Int, _ end: Int,
        _ handler: inout H
    ) -> Int {
        emit(kind, length: valueLength, integer: Int64(valueLength), content: content, &handler)
        return next
    }

    private mutating func continueTerminator<H: RESPTokenHandler>(
        _ kind: RESPKind, _ missing: Int, _ base: UnsafeRawPointer, _ i: Int, _ end: Int, _ handler: inout H
    ) -> Int {
        var index = i
        var stillMissing = missing
        while stillMissing > 0 && index < end {
            let expected = stillMissing == 2 ? UInt8(ascii: "\r") : UInt8(ascii: "\n")
            guard base.load(fromByteOffset: index, as: UInt8.self) == expected else {
                return fail(.missingCRLF, base, index, end, &handler)
            }
            index += 1
            stillMissing -= 1
            messageBytes &+= 1
        }
        if stillMissing > 0 {
            state = .bulkTerminator(kind, missing: stillMissing)
            return index
        }
        state = .start
        valueCompleted(&handler)
        return index
    }

    // MARK: - Inline requests

    private mutating func continueInline<H: RESPTokenHandler>(
        _ base: UnsafeRawPointer, _ i: Int, _ end: Int, _ handler: inout H
    ) -> Int {
        let available = end - i
        let found = memchr(base + i, Int32(UInt8(ascii: "\n")), available)
        let takeCount = found.map { UnsafeRawPointer($0) - (base + i) } ?? available
        if inlineBuffer.count + takeCount > limits.maxInlineLength {
            inlineBuffer.removeAll(keepingCapacity: false)
            return fail(.inlineTooLong, base, i, end, &handler, reportedAt: lineStart)
        }
        inlineBuffer.append(contentsOf: UnsafeRawBufferPointer(start: base + i, count: takeCount))
        messageBytes &+= takeCount
        guard found != nil else { return end }
        messageBytes &+= 1
        if inlineBuffer.last == UInt8(ascii: "\r") { inlineBuffer.removeLast() }
        let failure = emitInline(&handler)
        inlineBuffer.removeAll(keepingCapacity: true)
        if let failure {
            // redis-server replies with a protocol error and closes; what follows is not this request.
            handler.protocolError(RESPProtocolError(failure, at: lineStart))
            messageBytes = 0
            state = .start
            return i + takeCount + 1
        }
        state = .start
        return i + takeCount + 1
    }

    /// Splits the inline line as redis-server's `sdssplitargs` does and emits it as an array of bulk strings.
    private mutating func emitInline<H: RESPTokenHandler>(_ handler: inout H) -> RESPProtocolError.Code? {
        inlineArguments.removeAll(keepingCapacity: true)
        inlineRanges.removeAll(keepingCapacity: true)
        guard Self.splitArguments(inlineBuffer, into: &inlineArguments, ranges: &inlineRanges) else { return .unbalancedQuotes }
        let byteCount = messageBytes
        messageBytes = 0
        let ranges = inlineRanges
        if ranges.isEmpty { return nil }  // an empty line is no request
        guard Self.isPlausibleCommandName(inlineArguments, ranges[0]) else { return .implausibleInlineCommand }
        inlineArguments.withUnsafeBytes { args in
            emit(.array, length: ranges.count, integer: Int64(ranges.count), content: UnsafeRawBufferPointer(start: nil, count: 0),
                 inline: true, &handler)
            openFrame(Frame(remaining: ranges.count, isAttribute: false))
            for range in ranges {
                let content = UnsafeRawBufferPointer(rebasing: args[range.start..<(range.start + min(range.count, limits.keptPrefix))])
                emit(.bulkString, length: range.count, integer: Int64(range.count), content: content, inline: true, &handler)
            }
            closeAllFrames()
        }
        handler.messageEnd(byteCount: byteCount)
        return nil
    }

    /// A sniffer must not invent commands from text that is not Redis (TLS, other protocols on the port): an
    /// inline command name is 1...64 bytes of letters, digits and `_-.:|`.
    static func isPlausibleCommandName(_ arguments: [UInt8], _ range: (start: Int, count: Int)) -> Bool {
        guard range.count > 0 && range.count <= 64 else { return false }
        for index in range.start..<(range.start + range.count) {
            let b = arguments[index]
            let ok = (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z"))
                || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")) || b == UInt8(ascii: "_") || b == UInt8(ascii: "-")
                || b == UInt8(ascii: ".") || b == UInt8(ascii: ":") || b == UInt8(ascii: "|")
            if !ok { return false }
        }
        return true
    }

    /// redis-server's `sdssplitargs`: whitespace separates arguments; "double quotes" take \xHH and \n \r \t \b \a
    /// escapes; 'single quotes' take \'; a closing quote must be followed by whitespace or the end.
    static func splitArguments(_ line: [UInt8], into output: inout [UInt8], ranges: inout [(start: Int, count: Int)]) -> Bool {
        var p = 0
        let n = line.count
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D) }
        func hexValue(_ b: UInt8) -> UInt8? {
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return b - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return b - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return b - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        while true {
            while p < n && isSpace(line[p]) { p += 1 }
            if p >= n || line[p] == 0 { return true }
            let start = output.count
            var inDouble = false, inSingle = false, done = false
            while !done {
                let c: UInt8 = p < n ? line[p] : 0
                if inDouble {
                    if c == UInt8(ascii: "\\") && p + 3 < n && line[p + 1] == UInt8(ascii: "x"),
                       let h = hexValue(line[p + 2]), let l = hexValue(line[p + 3]) {
                        output.append(h << 4 | l)
                        p += 3
                    } else if c == UInt8(ascii: "\\") && p + 1 < n && line[p + 1] != 0 {
                        p += 1
                        switch line[p] {
                        case UInt8(ascii: "n"): output.append(0x0A)
                        case UInt8(ascii: "r"): output.append(0x0D)
                        case UInt8(ascii: "t"): output.append(0x09)
                        case UInt8(ascii: "b"): output.append(0x08)
                        case UInt8(ascii: "a"): output.append(0x07)
                        default: output.append(line[p])
                        }
                    } else if c == UInt8(ascii: "\"") {
                        if p + 1 < n && line[p + 1] != 0 && !isSpace(line[p + 1]) { return false }
                        done = true
                    } else if c == 0 {
                        return false
                    } else {
                        output.append(c)
                    }
                } else if inSingle {
                    if c == UInt8(ascii: "\\") && p + 1 < n && line[p + 1] == UInt8(ascii: "'") {
                        p += 1
                        output.append(UInt8(ascii: "'"))
                    } else if c == UInt8(ascii: "'") {
                        if p + 1 < n && line[p + 1] != 0 && !isSpace(line[p + 1]) { return false }
                        done = true
                    } else if c == 0 {
                        return false
                    } else {
                        output.append(c)
                    }
                } else {
                    switch c {
                    case 0x20, 0x0A, 0x0D, 0x09, 0:
                        done = true
                    case UInt8(ascii: "\""):
                        inDouble = true
                    case UInt8(ascii: "'"):
                        inSingle = true
                    default:
                        output.append(c)
                    }
                }
                if p < n { p += 1 }
            }
            ranges.append((start, output.count - start))
        }
    }

    // MARK: - Resynchronisation

    private mutating func continueResync(_ afterLineFeed: Bool, _ base: UnsafeRawPointer, _ i: Int, _ end: Int) -> Int {
        var index = i
        var atLineStart = afterLineFeed
        while index < end {
            if atLineStart {
                let byte = base.load(fromByteOffset: index, as: UInt8.self)
                if side == .client && byte == UInt8(ascii: "*") && index + 1 == end {
                    lineStart = streamOffset &+ Int64(index)
                    state = .resyncAfterStar
                    return end
                }
                if isPlausibleStart(byte, base, index, end) {
                    state = .start
                    messageBytes = 0
                    return index
                }
                atLineStart = false
            }
            let found = memchr(base + index, Int32(UInt8(ascii: "\n")), end - index)
            guard let lineFeed = found else {
                skippedBytes &+= Int64(end - index)
                state = .resync(afterLineFeed: false)
                return end
            }
            let next = UnsafeRawPointer(lineFeed) - base + 1
            skippedBytes &+= Int64(next - index)
            index = next
            atLineStart = true
        }
        state = .resync(afterLineFeed: atLineStart)
        return end
    }

    /// The byte after a `*` that ended the previous chunk during resynchronisation: a digit makes it a request.
    private mutating func continueAfterStar(_ base: UnsafeRawPointer, _ i: Int) -> Int {
        let next = base.load(fromByteOffset: i, as: UInt8.self)
        if next >= UInt8(ascii: "1") && next <= UInt8(ascii: "9") {
            messageBytes = 0
            beginLine(.array)
        } else {
            skippedBytes &+= 1  // the `*`
            state = .resync(afterLineFeed: false)
        }
        return i
    }

    private func isPlausibleStart(_ byte: UInt8, _ base: UnsafeRawPointer, _ index: Int, _ end: Int) -> Bool {
        switch side {
        case .client:
            guard byte == UInt8(ascii: "*") else { return false }
            // `*` then a digit (a `*` ending the chunk waits for the next one: `.resyncAfterStar`).
            guard index + 1 < end else { return false }
            let next = base.load(fromByteOffset: index + 1, as: UInt8.self)
            return next >= UInt8(ascii: "1") && next <= UInt8(ascii: "9")
        case .server:
            switch byte {
            case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: ":"), UInt8(ascii: "$"), UInt8(ascii: "*"),
                 UInt8(ascii: "_"), UInt8(ascii: "#"), UInt8(ascii: ","), UInt8(ascii: "("), UInt8(ascii: "!"),
                 UInt8(ascii: "="), UInt8(ascii: "%"), UInt8(ascii: "~"), UInt8(ascii: "|"), UInt8(ascii: ">"):
                return true
            default:
                return false
            }
        }
    }

    // MARK: - Helpers

    /// Reports `code` at `reportedAt` (by default the offending byte `i`) and resynchronises from `i`.
    private mutating func fail<H: RESPTokenHandler>(
        _ code: RESPProtocolError.Code, _ base: UnsafeRawPointer, _ i: Int, _ end: Int, _ handler: inout H,
        reportedAt: Int64? = nil
    ) -> Int {
        handler.protocolError(RESPProtocolError(code, at: reportedAt ?? streamOffset &+ Int64(i)))
        resynchronize()
        // Skip the offending byte itself so a bad type byte at a line start cannot loop; when it was a line feed,
        // the next byte starts a line and may start a message.
        skippedBytes &+= 1
        if i < end && base.load(fromByteOffset: i, as: UInt8.self) == UInt8(ascii: "\n") {
            state = .resync(afterLineFeed: true)
        }
        return min(i + 1, end)
    }

    private mutating func emit<H: RESPTokenHandler>(
        _ kind: RESPKind, length: Int, integer: Int64, content: UnsafeRawBufferPointer, inline: Bool = false,
        _ handler: inout H
    ) {
        handler.token(RESPToken(kind: kind, depth: depth, length: length, integer: integer, content: content,
                                insideAttribute: attributeFrames > 0, isInline: inline))
    }

    /// A scalar of the fast path, emitted and completed: a whole message at the top level goes to the handler in one
    /// call (`wholeValue`), which stands for its token and its message end (most replies are one scalar).
    @inline(__always)
    private mutating func emitScalar<H: RESPTokenHandler>(
        _ kind: RESPKind, length: Int, integer: Int64, content: UnsafeRawBufferPointer, _ handler: inout H
    ) {
        guard depth == 0 else {
            emit(kind, length: length, integer: integer, content: content, &handler)
            valueCompletedInline(&handler)
            return
        }
        let byteCount = messageBytes
        messageBytes = 0
        handler.wholeValue(RESPToken(kind: kind, depth: 0, length: length, integer: integer, content: content,
                                     insideAttribute: attributeFrames > 0, isInline: false), byteCount: byteCount)
    }

    /// `valueCompleted` for the fast path: a value inside an aggregate that goes on (the common case) is counted here.
    @inline(__always)
    private mutating func valueCompletedInline<H: RESPTokenHandler>(_ handler: inout H) {
        if depth > 0 && top.remaining > 1 {
            top.remaining -= 1
            return
        }
        valueCompleted(&handler)
    }

    /// A value ended: close every aggregate it completes; a finished top-level value ends the message.
    private mutating func valueCompleted<H: RESPTokenHandler>(_ handler: inout H) {
        while depth > 0 {
            top.remaining -= 1
            if top.remaining > 0 { return }
            let wasAttribute = top.isAttribute
            closeFrame()
            if wasAttribute {
                // An attribute annotates the value that follows it at the same depth: that value is still to come.
                attributeFrames -= 1
                return
            }
        }
        let byteCount = messageBytes
        messageBytes = 0
        handler.messageEnd(byteCount: byteCount)
    }

    @inline(__always)
    private mutating func openFrame(_ frame: Frame) {
        if depth > 0 { stack.append(top) }
        top = frame
        depth += 1
    }

    @inline(__always)
    private mutating func closeFrame() {
        depth -= 1
        if depth > 0 { top = stack.removeLast() }
    }

    private mutating func closeAllFrames() {
        stack.removeAll(keepingCapacity: true)
        depth = 0
    }

    private mutating func appendToScratch(_ source: UnsafeRawPointer, _ count: Int) {
        let room = scratchCapacity - scratchCount
        let n = min(room, count)
        guard n > 0 else { return }
        if scratch.isEmpty { scratch = [UInt8](repeating: 0, count: scratchCapacity) }
        scratch.withUnsafeMutableBytes { buffer in
            guard let dst = buffer.baseAddress else { return }
            (dst + scratchCount).copyMemory(from: source, byteCount: n)
        }
        scratchCount += n
    }

    /// Parses a RESP length or integer line: optional sign, 1...19 digits, no overflow.
    static func parseInteger(_ content: UnsafeRawBufferPointer) -> Int64? {
        var index = 0
        var negative = false
        if content.count > 0, content[0] == UInt8(ascii: "-") || content[0] == UInt8(ascii: "+") {
            negative = content[0] == UInt8(ascii: "-")
            index = 1
        }
        guard index < content.count, content.count - index <= 19 else { return nil }
        var value: Int64 = 0
        while index < content.count {
            let digit = content[index] &- UInt8(ascii: "0")
            guard digit <= 9 else { return nil }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int64(digit))
            guard !o1 && !o2 else { return nil }
            value = a
            index += 1
        }
        return negative ? -value : value
    }
}
