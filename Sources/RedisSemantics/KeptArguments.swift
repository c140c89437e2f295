/// Bounded, inline copies of a few request arguments: the three after the command name and the last one.
///
/// Analyses need little of a request (a key, a subcommand, a timeout), and keeping it inline means no allocation
/// per command. Each kept argument holds at most `KeptArguments.maxBytes` bytes; `fullLength` tells if it was cut.
public struct KeptArguments: Sendable, BitwiseCopyable {
    public static let maxBytes = 120
    public static let slots = 4

    public struct Slot: Sendable, BitwiseCopyable {
        public var argumentIndex: Int32 = -1
        public var fullLength: Int32 = 0
        public var keptLength: UInt8 = 0
        /// Where the kept bytes start in `storage`: `slot × maxBytes` as kept; in a packed record (`PackedRecords`),
        /// after the earlier slots' bytes. In what was padding after `keptLength`.
        var start: UInt16 = 0
    }

    fileprivate var slotInfo = InlineArray<4, Slot>(repeating: Slot())
    /// Last: a packed record (`PackedRecords`) copies everything before it in one piece.
    private var storage = InlineArray<480, UInt8>(repeating: 0)

    // MARK: Packed form (`PackedRecords`): the fields before `storage` as they lie, each slot's `start` moved to
    // where its bytes then lie: one slot's after another. Read where it lies, as any record is read.

    public init() {}

    /// Bytes before `storage`, the last field (`storageIsLast`, checked by `PackedRecords`). Computed from sizes
    /// the compiler knows, not read from a lazily made global: on Linux each read of one is a call.
    @inline(__always)
    static var bytesBeforeStorage: Int { MemoryLayout<KeptArguments>.size - storageBytes }
    static var storageBytes: Int { slots * maxBytes }
    static var storageIsLast: Bool {
        MemoryLayout<KeptArguments>.offset(of: \.storage)! == bytesBeforeStorage && MemoryLayout<KeptArguments>.offset(of: \.slotInfo)! == slotInfoOffset
    }

    /// Writes the kept bytes of the arguments at `arguments` one slot's after another to the storage of `packed`,
    /// a copy of their fields before the storage (with room for `storageBytes` after them), and moves its slots'
    /// `start` to match; returns the bytes written.
    @inline(__always)
    static func packStorage(_ arguments: UnsafePointer<KeptArguments>, into packed: UnsafeMutablePointer<KeptArguments>) -> Int {
        let storage = UnsafeRawPointer(arguments) + bytesBeforeStorage
        let destination = UnsafeMutableRawPointer(packed) + bytesBeforeStorage
        var written = 0
        for slot in 0..<Self.slots {
            let n = Int(arguments.pointee.slotInfo[slot].keptLength)
            let source = storage + Int(arguments.pointee.slotInfo[slot].start)
            packed.pointee.slotInfo[slot].start = UInt16(written)
            if n <= 32 && written + 32 <= Self.storageBytes {
                // Two 16-byte vectors, past the kept bytes: the slot holds `maxBytes` to read and the destination has
                // room for `storageBytes`; what lies past the kept bytes is written over by the next slot's or is not
                // part of the packed record. Most arguments are this short (keys such as `counter:000000012345`
                // too), and a copy call cost more than the copy.
                (destination + written).storeBytes(of: source.loadUnaligned(as: SIMD16<UInt8>.self), as: SIMD16<UInt8>.self)
                (destination + written + 16).storeBytes(of: source.loadUnaligned(fromByteOffset: 16, as: SIMD16<UInt8>.self),
                                                        as: SIMD16<UInt8>.self)
            } else if n > 0 {
                (destination + written).copyMemory(from: source, byteCount: n)
            }
            written += n
        }
        return written
    }

    /// The bytes `packStorage` wrote after the packed arguments at `packed` (where they lie in a packed record).
    @inline(__always)
    static func packedStorageLength(packedAt packed: UnsafePointer<KeptArguments>) -> Int {
        var length = 0
        for slot in 0..<Self.slots { length += Int(packed.pointee.slotInfo[slot].keptLength) }
        return length
    }

    /// Where `slotInfo` lies (the first field).
    @inline(__always)
    static var slotInfoOffset: Int { 0 }

    /// Reads kept bytes written by `packStorage` from `source` into `arguments`, whose slots are already in place;
    /// returns the bytes read.
    @inline(__always)
    static func unpackStorage(from source: UnsafeRawPointer, into arguments: UnsafeMutablePointer<KeptArguments>) -> Int {
        let storage = UnsafeMutableRawPointer(arguments) + bytesBeforeStorage
        var read = 0
        for slot in 0..<Self.slots {
            // Back where `keep` puts them (a slot never kept has 0, as `Slot()`).
            arguments.pointee.slotInfo[slot].start = arguments.pointee.slotInfo[slot].argumentIndex >= 0 ? UInt16(slot * Self.maxBytes) : 0
            let n = Int(arguments.pointee.slotInfo[slot].keptLength)
            if n > 0 { (storage + slot * Self.maxBytes).copyMemory(from: source + read, byteCount: n) }
            read += n
        }
        return read
    }

    /// Keeps argument `index` (1-based after the command name) in `slot` (0...3).
    @inline(__always)
    mutating func keep(slot: Int, argumentIndex: Int, content: UnsafeRawBufferPointer, fullLength: Int) {
        guard slot >= 0 && slot < Self.slots else { return }
        let n = min(content.count, Self.maxBytes)
        let base = slot * Self.maxBytes
        if n > 0, let source = content.baseAddress {
            withUnsafeMutableBytes(of: &storage) { Self.copyBytes(n, from: source, to: $0.baseAddress! + base) }
        }
        // Both are counts (never negative): only the upper bound is clamped.
        slotInfo[slot] = Slot(argumentIndex: Int32(truncatingIfNeeded: min(argumentIndex, Int(Int32.max))),
                              fullLength: Int32(truncatingIfNeeded: min(fullLength, Int(Int32.max))),
                              keptLength: UInt8(truncatingIfNeeded: n), start: UInt16(truncatingIfNeeded: base))
    }

    /// Copies `count` bytes from `source` to `destination` (apart): from 4 to 32 as two overlapping loads and
    /// stores, from 1 to 3 as the first, middle and last byte, reading and writing nothing past them. Most arguments
    /// are short, and a copy call cost more than the copy; this runs for every kept argument of every request.
    @inline(__always)
    static func copyBytes(_ count: Int, from source: UnsafeRawPointer, to destination: UnsafeMutableRawPointer) {
        if count >= 8 && count <= 16 {
            let head = source.loadUnaligned(as: UInt64.self)
            let tail = source.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
            destination.storeBytes(of: head, as: UInt64.self)
            (destination + (count - 8)).storeBytes(of: tail, as: UInt64.self)
        } else if count >= 4 && count < 8 {
            let head = source.loadUnaligned(as: UInt32.self)
            let tail = source.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self)
            destination.storeBytes(of: head, as: UInt32.self)
            (destination + (count - 4)).storeBytes(of: tail, as: UInt32.self)
        } else if count > 16 && count <= 32 {
            let head = source.loadUnaligned(as: SIMD16<UInt8>.self)
            let tail = source.loadUnaligned(fromByteOffset: count - 16, as: SIMD16<UInt8>.self)
            destination.storeBytes(of: head, as: SIMD16<UInt8>.self)
            destination.storeBytes(of: tail, toByteOffset: count - 16, as: SIMD16<UInt8>.self)
        } else if count > 0 && count < 4 {
            let first = source.load(as: UInt8.self)
            let middle = source.load(fromByteOffset: count >> 1, as: UInt8.self)
            let last = source.load(fromByteOffset: count - 1, as: UInt8.self)
            destination.storeBytes(of: first, as: UInt8.self)
            destination.storeBytes(of: middle, toByteOffset: count >> 1, as: UInt8.self)
            destination.storeBytes(of: last, toByteOffset: count - 1, as: UInt8.self)
        } else {
            destination.copyMemory(from: source, byteCount: count)
        }
    }

    mutating func reset() {
        for i in 0..<Self.slots { slotInfo[i] = Slot() }
    }

    /// The kept bytes of argument `index` (0 = command name is never kept), or nil when it was not kept.
    public func bytes(ofArgument index: Int) -> [UInt8]? {
        for slot in 0..<Self.slots where Int(slotInfo[slot].argumentIndex) == index {
            let info = slotInfo[slot]
            let base = Int(info.start)
            return (0..<Int(info.keptLength)).map { storage[base + $0] }
        }
        return nil
    }

    /// The kept bytes of argument `index`, borrowed for the call; nil when not kept. (Borrowing needs an address:
    /// a value not in memory is copied first. Per-command code reads through a pointer instead: see below.)
    public func withArgument<R>(_ index: Int, _ body: (UnsafeRawBufferPointer) -> R) -> R? {
        withUnsafePointer(to: self) { $0.withArgument(index, body) }
    }

    /// The kept bytes of argument `index` and its full length on the wire (more when it was cut), borrowed for the
    /// call; nil when not kept.
    public func withArgumentAndLength<R>(_ index: Int, _ body: (UnsafeRawBufferPointer, Int) -> R) -> R? {
        withUnsafePointer(to: self) { $0.withArgumentAndLength(index, body) }
    }

    /// Calls `body` with a lookup of kept arguments by index (nil when not kept), borrowing the bytes for the call:
    /// for code that reads several arguments, such as key-spec resolution.
    public func withArguments<R>(_ body: ((Int) -> UnsafeRawBufferPointer?) -> R) -> R {
        withUnsafePointer(to: self) { $0.withArguments(body) }
    }

    /// Argument `index` parsed as a decimal number (timeouts, counts), nil when not kept or not a number.
    public func number(ofArgument index: Int) -> Double? {
        withArgument(index, Self.number) ?? nil
    }

    /// `bytes` parsed as a decimal number, nil when not one.
    static func number(_ bytes: UnsafeRawBufferPointer) -> Double? {
        guard !bytes.isEmpty, bytes.count <= 32 else { return nil }
        return Double(String(decoding: bytes, as: UTF8.self))
    }

    /// Argument `index` as text (lossy UTF-8), nil when not kept.
    public func string(ofArgument index: Int) -> String? {
        bytes(ofArgument: index).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Full length on the wire of argument `index`, nil when not kept.
    public func fullLength(ofArgument index: Int) -> Int? {
        for slot in 0..<Self.slots where Int(slotInfo[slot].argumentIndex) == index {
            return Int(slotInfo[slot].fullLength)
        }
        return nil
    }

    /// Case-insensitive ASCII comparison of argument `index` with `word` (lowercase), without allocating.
    public func argument(_ index: Int, equalsLowercase word: StaticString) -> Bool {
        for slot in 0..<Self.slots where Int(slotInfo[slot].argumentIndex) == index {
            let info = slotInfo[slot]
            guard Int(info.fullLength) == word.utf8CodeUnitCount, Int(info.keptLength) == word.utf8CodeUnitCount else {
                return false
            }
            let base = Int(info.start)
            let w = word.utf8Start
            for i in 0..<Int(info.keptLength) {
                var b = storage[base + i]
                if b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z") { b |= 0x20 }
                if b != w[i] { return false }
            }
            return true
        }
        return false
    }
}

/// Kept arguments read where they lie: the analyses get a record's address (`TrafficAnalysis.command(at:on:)`)
/// so that reading a key per command borrows its bytes instead of first copying the ~530-byte arguments.
extension UnsafePointer where Pointee == KeptArguments {
    /// The kept bytes of the slot at `position`: `keptLength` bytes from the slot's place in `storage`.
    @inline(__always)
    private func bytes(ofSlotAt position: Int, length: UInt8) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: UnsafeRawPointer(self) + KeptArguments.bytesBeforeStorage + Int(pointee.slotInfo[position].start),
                               count: Int(length))
    }

    /// As `KeptArguments.withArgument(_:_:)`, without copying.
    @inline(__always)
    public func withArgument<R>(_ index: Int, _ body: (UnsafeRawBufferPointer) -> R) -> R? {
        for position in 0..<KeptArguments.slots where Int(pointee.slotInfo[position].argumentIndex) == index {
            return body(bytes(ofSlotAt: position, length: pointee.slotInfo[position].keptLength))
        }
        return nil
    }

    /// As `KeptArguments.withArgumentAndLength(_:_:)`, without copying.
    @inline(__always)
    public func withArgumentAndLength<R>(_ index: Int, _ body: (UnsafeRawBufferPointer, Int) -> R) -> R? {
        for position in 0..<KeptArguments.slots where Int(pointee.slotInfo[position].argumentIndex) == index {
            let slot = pointee.slotInfo[position]
            return body(bytes(ofSlotAt: position, length: slot.keptLength), Int(slot.fullLength))
        }
        return nil
    }

    /// As `KeptArguments.number(ofArgument:)`, without copying.
    public func number(ofArgument index: Int) -> Double? {
        withArgument(index, KeptArguments.number) ?? nil
    }

    /// As `KeptArguments.withArguments(_:)`, without copying.
    public func withArguments<R>(_ body: ((Int) -> UnsafeRawBufferPointer?) -> R) -> R {
        body { index in
            for position in 0..<KeptArguments.slots where Int(pointee.slotInfo[position].argumentIndex) == index {
                return bytes(ofSlotAt: position, length: pointee.slotInfo[position].keptLength)
            }
            return nil
        }
    }
}
