/// What the events of one half-stream are tagged with: connection, direction, and the capture time to stamp.
struct HalfStreamSink {
    let id: ConnectionID
    let direction: StreamDirection
    let timestampNanos: Int64
}

/// Bytes held ahead of a hole, copied out of a segment. Chunks of a half-stream are sorted and never overlap.
struct BufferedChunk {
    var start: SequenceNumber
    var bytes: [UInt8]

    var end: SequenceNumber { start.advanced(by: bytes.count) }
}

/// Reassembly state of one direction of a connection: the next expected sequence number and the out-of-order
/// chunks held beyond it. In-order bytes are handed to the handler straight from the segment; only data that
/// arrives ahead of a hole is copied.
struct HalfStream {
    /// Accounting cost of each held chunk on top of its bytes, so many tiny chunks hit the limits too.
    static let chunkOverhead = 64
    /// An acknowledgment further ahead than this is taken as bogus, not as evidence of lost bytes.
    static let maxAcknowledgedJump = 1 << 30
    /// Segment lengths are clamped to this so sequence arithmetic stays within half the number space.
    static let maxSegmentLength = 1 << 30

    // Two of these per tracked connection: the sequence numbers and flags fill 13 bytes, and what is held beyond a
    // hole lives in a box made by the first chunk (24 bytes a direction, where inline fields took 40).
    /// The sequence number of the next byte to deliver; meaningful once `isSynchronized`.
    private(set) var next = SequenceNumber(0)
    private var initialSequenceValue = SequenceNumber(0)
    private var finSequenceValue = SequenceNumber(0)
    private var flags = Flags()
    private var held: HeldChunks?

    private struct Flags: OptionSet {
        let rawValue: UInt8
        static let synchronized = Flags(rawValue: 1 << 0)
        static let tentative = Flags(rawValue: 1 << 1)
        static let initialSequence = Flags(rawValue: 1 << 2)
        static let fin = Flags(rawValue: 1 << 3)
    }

    var isSynchronized: Bool { flags.contains(.synchronized) }
    /// Synchronized from a segment without data (mid-stream start). Such a position may be one byte short
    /// (keep-alive probes carry `next - 1`), so the first data or FIN moves it forward silently and acknowledgments
    /// are not taken as evidence of loss until then.
    var isTentative: Bool { flags.contains(.tentative) }
    /// The initial sequence number, when a SYN was seen.
    var initialSequence: SequenceNumber? { flags.contains(.initialSequence) ? initialSequenceValue : nil }
    /// Where the FIN sits in sequence space (the end of the data), once seen.
    var finSequence: SequenceNumber? { flags.contains(.fin) ? finSequenceValue : nil }
    /// Held bytes plus `chunkOverhead` per chunk.
    var bufferedCost: Int { held?.cost ?? 0 }

    /// Sequence space taken by a segment's data: captured plus missing bytes, clamped so that sequence arithmetic
    /// on hostile lengths stays meaningful.
    static func sequenceLength(payloadCount: Int, missing: Int) -> Int {
        let captured = Swift.min(Swift.max(payloadCount, 0), maxSegmentLength)
        return captured &+ Swift.min(Swift.max(missing, 0), maxSegmentLength &- captured)
    }

    // MARK: Synchronization

    /// A SYN (or SYN-ACK) with initial sequence number `isn`: data starts at `isn + 1`.
    mutating func synchronize(initialSequence isn: SequenceNumber) {
        initialSequenceValue = isn
        flags.insert(.initialSequence)
        if !isSynchronized {
            next = isn.advanced(by: 1)
            flags.insert(.synchronized)
            flags.remove(.tentative)
        }
    }

    /// The first segment seen of a direction picked up mid-stream (or the ACK of a SYN-ACK).
    mutating func synchronize(at sequence: SequenceNumber, tentative: Bool) {
        guard !isSynchronized else { return }
        next = sequence
        flags.insert(.synchronized)
        if tentative { flags.insert(.tentative) } else { flags.remove(.tentative) }
    }

    private mutating func confirmTentative(at sequence: SequenceNumber) {
        guard isTentative else { return }
        if next < sequence { next = sequence }
        flags.remove(.tentative)
    }

    // MARK: Data

    /// Delivers or buffers the bytes `[sequence, sequence + payload.count + missing)`, of which the last `missing`
    /// were not captured. Keeps `bufferedCost` at or under `maxCost` by skipping holes.
    mutating func ingest<H: TCPStreamHandler>(
        sequence: SequenceNumber, payload: UnsafeRawBufferPointer, missing: Int, maxCost: Int,
        sink: HalfStreamSink, handler: inout H, stats: inout ReassemblyStats, pool: inout ChunkPool
    ) {
        let captured = Swift.min(payload.count, Self.maxSegmentLength)
        let length = Self.sequenceLength(payloadCount: payload.count, missing: missing)
        guard length > 0, isSynchronized else { return }
        confirmTentative(at: sequence)
        let end = sequence.advanced(by: length)
        guard next < end else {
            stats.retransmittedSegments &+= 1
            stats.duplicateBytes &+= Int64(length)
            return
        }
        if sequence <= next {
            let seen = sequence.distance(to: next)
            stats.duplicateBytes &+= Int64(seen)
            if seen < captured {
                handler.streamData(
                    sink.id, direction: sink.direction,
                    bytes: UnsafeRawBufferPointer(rebasing: payload[seen..<captured]),
                    timestampNanos: sink.timestampNanos)
                next = sequence.advanced(by: captured)
            }
            if next < end {
                skip(through: end, sink: sink, handler: &handler, stats: &stats, pool: &pool)
            } else {
                drain(sink: sink, handler: &handler, stats: &stats, pool: &pool)
            }
            return
        }
        stats.outOfOrderSegments &+= 1
        if captured > 0 {
            store(
                sequence: sequence, bytes: UnsafeRawBufferPointer(rebasing: payload[0..<captured]),
                stats: &stats, pool: &pool)
        }
        while bufferedCost > maxCost, let first = held?.chunks.first {
            stats.bufferLimitDrops &+= 1
            handler.bufferLimitReached(sink.id, direction: sink.direction, timestampNanos: sink.timestampNanos)
            skip(through: first.start, sink: sink, handler: &handler, stats: &stats, pool: &pool)
        }
    }

    /// The peer acknowledged everything before `acknowledgment`. Bytes acknowledged but never seen were lost to
    /// the capture (the receiver got them, so they will not come again): report them as a gap now, before the
    /// peer's reply, and deliver what was held behind them.
    mutating func acknowledge<H: TCPStreamHandler>(
        _ acknowledgment: SequenceNumber,
        sink: HalfStreamSink, handler: inout H, stats: inout ReassemblyStats, pool: inout ChunkPool
    ) {
        guard isSynchronized, !isTentative else { return }
        var end = acknowledgment
        var endsAtFin = false
        if let fin = finSequence, fin < end {
            end = fin
            endsAtFin = true
        }
        let jump = next.distance(to: end)
        guard jump > 0, jump <= Self.maxAcknowledgedJump else { return }
        // One byte beyond everything seen is what the ACK of an uncaptured FIN (or of a keep-alive probe) looks
        // like; only data held beyond it proves the byte was data.
        if jump == 1, !endsAtFin, held?.chunks.isEmpty ?? true { return }
        skip(through: end, sink: sink, handler: &handler, stats: &stats, pool: &pool)
    }

    /// Records the FIN, which follows the byte before `sequence`.
    mutating func noteFin(at sequence: SequenceNumber) {
        guard isSynchronized, finSequence == nil else { return }
        confirmTentative(at: sequence)
        finSequenceValue = sequence
        flags.insert(.fin)
    }

    /// End of this direction: delivers everything held, reporting the holes between (and before the FIN) as gaps.
    mutating func flush<H: TCPStreamHandler>(
        sink: HalfStreamSink, handler: inout H, stats: inout ReassemblyStats, pool: inout ChunkPool
    ) {
        guard isSynchronized else { return }
        var end = next
        if let last = held?.chunks.last, end < last.end { end = last.end }
        if let fin = finSequence, end < fin, next.distance(to: fin) <= Self.maxAcknowledgedJump { end = fin }
        if next < end {
            skip(through: end, sink: sink, handler: &handler, stats: &stats, pool: &pool)
        }
        releaseAll(pool: &pool)
    }

    // MARK: Internals

    /// Moves `next` to at least `target`: held data on the way is delivered, holes are reported as gaps.
    private mutating func skip<H: TCPStreamHandler>(
        through target: SequenceNumber,
        sink: HalfStreamSink, handler: inout H, stats: inout ReassemblyStats, pool: inout ChunkPool
    ) {
        while next < target {
            let first = held?.chunks.first
            if let first, first.start <= next {
                drain(sink: sink, handler: &handler, stats: &stats, pool: &pool)
                continue
            }
            var holeEnd = target
            if let first, first.start < holeEnd { holeEnd = first.start }
            let hole = next.distance(to: holeEnd)
            stats.gaps &+= 1
            stats.gapBytes &+= Int64(hole)
            handler.streamGap(sink.id, direction: sink.direction, byteCount: hole, timestampNanos: sink.timestampNanos)
            next = holeEnd
        }
        drain(sink: sink, handler: &handler, stats: &stats, pool: &pool)
    }

    /// Delivers held chunks that `next` has reached, dropping what was already delivered.
    private mutating func drain<H: TCPStreamHandler>(
        sink: HalfStreamSink, handler: inout H, stats: inout ReassemblyStats, pool: inout ChunkPool
    ) {
        guard let held, !held.chunks.isEmpty else { return }
        var consumed = 0
        while consumed < held.chunks.count {
            let start = held.chunks[consumed].start
            let count = held.chunks[consumed].bytes.count
            let end = start.advanced(by: count)
            if next < start { break }
            if next < end {
                let offset = start.distance(to: next)
                stats.duplicateBytes &+= Int64(offset)
                held.chunks[consumed].bytes.withUnsafeBytes { raw in
                    handler.streamData(
                        sink.id, direction: sink.direction,
                        bytes: UnsafeRawBufferPointer(rebasing: raw[offset..<count]),
                        timestampNanos: sink.timestampNanos)
                }
                next = end
            } else {
                stats.duplicateBytes &+= Int64(count)
            }
            consumed &+= 1
        }
        guard consumed > 0 else { return }
        for index in 0..<consumed {
            held.cost &-= held.chunks[index].bytes.count &+ Self.chunkOverhead
            pool.recycle(&held.chunks[index].bytes)
        }
        held.chunks.removeFirst(consumed)
    }

    /// Copies the parts of `[sequence, sequence + bytes.count)` not held yet; overlaps count as duplicates.
    private mutating func store(
        sequence: SequenceNumber, bytes: UnsafeRawBufferPointer, stats: inout ReassemblyStats, pool: inout ChunkPool
    ) {
        let end = sequence.advanced(by: bytes.count)
        let held: HeldChunks
        if let existing = self.held {
            held = existing
        } else {
            held = HeldChunks()
            self.held = held
        }
        var cursor = sequence
        var index = held.firstChunk(endingAfter: cursor)
        while cursor < end {
            guard index < held.chunks.count, held.chunks[index].start < end else {
                insert(from: cursor, to: end, of: bytes, startingAt: sequence, at: &index, into: held, pool: &pool)
                break
            }
            let chunk = (start: held.chunks[index].start, end: held.chunks[index].end)
            if cursor < chunk.start {
                insert(from: cursor, to: chunk.start, of: bytes, startingAt: sequence, at: &index, into: held,
                       pool: &pool)
                cursor = chunk.start
            }
            let overlapEnd = chunk.end < end ? chunk.end : end
            stats.duplicateBytes &+= Int64(cursor.distance(to: overlapEnd))
            cursor = overlapEnd
            index &+= 1
        }
    }

    /// Holds `[from, to)` of `bytes` (which start at `base`) at `index`, or appended to the chunk before it when
    /// contiguous; `index` ends up just past the bytes' chunk.
    private mutating func insert(
        from: SequenceNumber, to: SequenceNumber, of bytes: UnsafeRawBufferPointer, startingAt base: SequenceNumber,
        at index: inout Int, into held: HeldChunks, pool: inout ChunkPool
    ) {
        let lower = base.distance(to: from)
        let upper = base.distance(to: to)
        let piece = UnsafeRawBufferPointer(rebasing: bytes[lower..<upper])
        if index > 0, held.chunks[index &- 1].end == from {
            held.chunks[index &- 1].bytes.append(contentsOf: piece)
            held.cost &+= piece.count
            return
        }
        var buffer = pool.take(capacity: piece.count)
        buffer.append(contentsOf: piece)
        held.chunks.insert(BufferedChunk(start: from, bytes: buffer), at: index)
        held.cost &+= piece.count &+ Self.chunkOverhead
        index &+= 1
    }

    /// Frees what is held, without delivering it: the connection is no longer of interest.
    mutating func abandon(pool: inout ChunkPool) {
        releaseAll(pool: &pool)
    }

    private mutating func releaseAll(pool: inout ChunkPool) {
        guard let held else { return }
        for index in held.chunks.indices {
            pool.recycle(&held.chunks[index].bytes)
        }
        self.held = nil
    }
}

/// The chunks a half-stream holds beyond a hole, sorted and never overlapping, and their cost.
final class HeldChunks {
    var chunks: [BufferedChunk] = []
    /// Held bytes plus `HalfStream.chunkOverhead` per chunk.
    var cost = 0

    /// Index of the first chunk that ends after `sequence` (chunk ends are sorted too: chunks never overlap).
    func firstChunk(endingAfter sequence: SequenceNumber) -> Int {
        // Reordering usually appends beyond the last chunk.
        if let last = chunks.last, last.end <= sequence { return chunks.count }
        var low = 0
        var high = chunks.count
        while low < high {
            let middle = low &+ (high &- low) / 2
            if chunks[middle].end <= sequence { low = middle &+ 1 } else { high = middle }
        }
        return low
    }
}
