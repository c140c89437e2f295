/// Completed command records, packed one after another: each record's fields as they lie in memory, but of its
/// kept arguments' byte storage only the bytes they hold.
///
/// A `CommandRecord` is ~850 bytes, most of it room for argument bytes it rarely fills (four arguments of up to
/// `KeptArguments.maxBytes`); packed, a typical one takes about 350. These bytes are what the stream stage writes and
/// the analysis thread reads for every command, so the smaller form is less memory traffic between the two cores.
/// Unpacking gives back the same record (`PackedRecordsTests`). Reused: cleared with its storage kept.
///
/// The analyses read a packed record where it lies (`record(at:)`), not unpacked: each starts aligned as a
/// `CommandRecord`, its kept arguments say where their bytes lie (`KeptArguments.Slot.start`), and the storage has a
/// whole record's room past the last one, so that reading any record whole stays inside it (the bytes past a
/// packed record's own are never used: its arguments' lengths bound what is read of them).
public final class PackedRecords {
    private var base: UnsafeMutableRawPointer
    private var capacity: Int
    /// Bytes in use.
    public private(set) var byteCount = 0
    /// Records packed.
    public private(set) var count = 0

    /// Bytes of a record copied as they lie: all of it but its arguments' byte storage, which is the record's last
    /// field's last field (`layoutIsPackable`, checked at `init`), so a record is these bytes and that storage.
    /// Computed from sizes the compiler knows: a lazily made global costs a call per read on Linux.
    @inline(__always)
    static var headerBytes: Int { argumentsOffset + KeptArguments.bytesBeforeStorage }

    @inline(__always)
    static var argumentsOffset: Int { MemoryLayout<CommandRecord>.size - MemoryLayout<KeptArguments>.size }

    /// Where the record's `digest` lies: right before its arguments.
    @inline(__always)
    static var digestOffset: Int { argumentsOffset - MemoryLayout<ArgumentDigest>.size }

    /// Where the byte storage of the record's `replyFirstElement` lies, and where it ends. Packed, it holds only the
    /// bytes the element keeps (most replies keep none); the rest is never read, as of the arguments' storage.
    @inline(__always)
    static var replyElementBytesOffset: Int { MemoryLayout<CommandRecord>.offset(of: \.replyFirstElement)! + KeptBytes.storageOffset }

    @inline(__always)
    static var replyElementBytesEnd: Int { replyElementBytesOffset + KeptBytes.capacity }

    static var layoutIsPackable: Bool {
        MemoryLayout<CommandRecord>.offset(of: \.arguments)! == argumentsOffset && KeptArguments.storageIsLast
            && MemoryLayout<CommandRecord>.offset(of: \.digest)! == digestOffset && KeptBytes.storageIsFirst
            && replyElementBytesOffset >= 16 && digestOffset - replyElementBytesEnd >= 16
            && headerBytes - argumentsOffset >= 16
    }

    /// The largest packed record, with its padding to the next record's alignment.
    static var maxRecordBytes: Int { headerBytes + KeptArguments.storageBytes + MemoryLayout<CommandRecord>.alignment - 1 }

    public init(capacity: Int = 64 << 10) {
        precondition(Self.layoutIsPackable, "CommandRecord.arguments, and its storage, must come last")
        self.capacity = max(capacity, Self.maxRecordBytes)
        base = Self.allocate(self.capacity)
    }

    /// Storage for `capacity` bytes of records and the room past them for reading the last one whole. The room is
    /// zeroed; the records' part is not (a batch's storage is a megabyte, mostly never touched), so a whole read of
    /// the last record may take bytes no record wrote, as it takes the next records' bytes: never used, as above.
    private static func allocate(_ capacity: Int) -> UnsafeMutableRawPointer {
        let room = MemoryLayout<CommandRecord>.size
        let base = UnsafeMutableRawPointer.allocate(byteCount: capacity + room, alignment: max(16, MemoryLayout<CommandRecord>.alignment))
        (base + capacity).initializeMemory(as: UInt8.self, repeating: 0, count: room)
        return base
    }

    /// `offset` rounded up to where the next record may start.
    @inline(__always)
    private static func aligned(_ offset: Int) -> Int {
        let alignment = MemoryLayout<CommandRecord>.alignment
        return (offset + alignment - 1) & ~(alignment - 1)
    }

    deinit { base.deallocate() }

    public var isEmpty: Bool { count == 0 }

    /// Packs the record at `record` (one copy of its fields, then the argument bytes it holds).
    @inline(__always)
    func append(_ record: UnsafePointer<CommandRecord>) {
        append(record, digest: nil)
    }

    /// Packs the record at `record` with `digest` in place of its own (when one is given).
    @inline(__always)
    func append(_ record: UnsafePointer<CommandRecord>, digest: ArgumentDigest?) {
        if byteCount + Self.maxRecordBytes > capacity { grow() }
        let destination = base + byteCount
        let source = UnsafeRawPointer(record)
        // The fields in pieces moved inline, without the reply element's bytes it does not keep nor the digest that
        // is replaced: a copy call for the whole header cost more than the moves.
        Self.copyInline(Self.replyElementBytesOffset, from: source, to: destination)
        let replyElementCount = record.replyFirstElement.pointee.count
        if replyElementCount > 0 {
            (destination + Self.replyElementBytesOffset).copyMemory(from: source + Self.replyElementBytesOffset,
                                                                    byteCount: replyElementCount)
        }
        if let digest {
            Self.copyInline(Self.digestOffset - Self.replyElementBytesEnd, from: source + Self.replyElementBytesEnd,
                            to: destination + Self.replyElementBytesEnd)
            (destination + Self.digestOffset).storeBytes(of: digest, as: ArgumentDigest.self)
            Self.copyInline(Self.headerBytes - Self.argumentsOffset, from: source + Self.argumentsOffset,
                            to: destination + Self.argumentsOffset)
        } else {
            Self.copyInline(Self.headerBytes - Self.replyElementBytesEnd, from: source + Self.replyElementBytesEnd,
                            to: destination + Self.replyElementBytesEnd)
        }
        let arguments = UnsafeRawPointer(record).advanced(by: Self.argumentsOffset).assumingMemoryBound(to: KeptArguments.self)
        let packed = (destination + Self.argumentsOffset).assumingMemoryBound(to: KeptArguments.self)
        byteCount = Self.aligned(byteCount + Self.headerBytes + KeptArguments.packStorage(arguments, into: packed))
        count += 1
    }

    /// Copies `count` bytes (16 or more, a constant where it is inlined) sixteen at a time, the last sixteen ending at
    /// `count` and overlapping the ones before.
    @inline(__always)
    static func copyInline(_ count: Int, from source: UnsafeRawPointer, to destination: UnsafeMutableRawPointer) {
        var offset = 0
        while offset &+ 16 < count {
            destination.storeBytes(of: source.loadUnaligned(fromByteOffset: offset, as: SIMD16<UInt8>.self), toByteOffset: offset,
                                   as: SIMD16<UInt8>.self)
            offset &+= 16
        }
        let last = count &- 16
        destination.storeBytes(of: source.loadUnaligned(fromByteOffset: last, as: SIMD16<UInt8>.self), toByteOffset: last,
                               as: SIMD16<UInt8>.self)
    }

    private func grow() {
        let newCapacity = capacity * 2
        let newBase = Self.allocate(newCapacity)
        newBase.copyMemory(from: base, byteCount: byteCount)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }

    /// Forgets the records; storage past `keepingCapacityUpTo` bytes is given back.
    public func removeAll(keepingCapacityUpTo limit: Int = .max) {
        byteCount = 0
        count = 0
        if capacity > max(limit, Self.maxRecordBytes) {
            base.deallocate()
            capacity = max(64 << 10, Self.maxRecordBytes)
            base = Self.allocate(capacity)
        }
    }

    /// Unpacks the record that starts at byte `offset` into `record` (its fields and kept arguments; argument
    /// storage past what it holds is left as it was, unread) and returns the offset of the next one.
    @inline(__always)
    public func unpack(at offset: Int, into record: UnsafeMutablePointer<CommandRecord>) -> Int {
        precondition(offset >= 0 && offset < byteCount, "no packed record at offset \(offset)")
        let source = UnsafeRawPointer(base + offset)
        UnsafeMutableRawPointer(record).copyMemory(from: source, byteCount: Self.headerBytes)
        let arguments = UnsafeMutableRawPointer(record).advanced(by: Self.argumentsOffset)
            .assumingMemoryBound(to: KeptArguments.self)
        return Self.aligned(offset + Self.headerBytes + KeptArguments.unpackStorage(from: source + Self.headerBytes, into: arguments))
    }

    /// The record that starts at byte `offset`, where it lies (valid until the records are cleared or more are
    /// packed): for reading, as any record is read, without the copy unpacking makes.
    @inline(__always)
    public func record(at offset: Int) -> UnsafePointer<CommandRecord> {
        precondition(offset >= 0 && offset < byteCount && offset == Self.aligned(offset), "no packed record at offset \(offset)")
        return UnsafePointer((base + offset).bindMemory(to: CommandRecord.self, capacity: 1))
    }

    /// The offset of the record after the one that starts at `offset`, read from its header (no unpacking).
    @inline(__always)
    public func offset(after offset: Int) -> Int {
        Self.aligned(offset + Self.headerBytes + KeptArguments.packedStorageLength(packedAt: record(at: offset).keptArguments))
    }

    /// The digest of the record that starts at `offset`, where it lies; nil past the last record. For looking ahead:
    /// the analyses ask for the table entries the next records will touch.
    @inline(__always)
    public func digest(at offset: Int) -> ArgumentDigest? {
        guard offset < byteCount else { return nil }
        return UnsafeRawPointer(base + offset + Self.digestOffset).load(as: ArgumentDigest.self)
    }

    /// Every record, unpacked (tests, tools).
    public var all: [CommandRecord] {
        var records: [CommandRecord] = []
        records.reserveCapacity(count)
        var offset = 0
        var record = CommandRecord.empty
        while offset < byteCount {
            offset = withUnsafeMutablePointer(to: &record) { unpack(at: offset, into: $0) }
            records.append(record)
        }
        return records
    }
}
