/// Completed command records, packed one after another: each record's fields as they lie in memory, but of its
/// kept arguments' byte storage only the bytes they hold.
///
/// A `CommandRecord` is ~850 bytes, most of it room for argument bytes it rarely fills (four arguments of up to
/// `KeptArguments.maxBytes`); packed, a typical one takes about 350. These bytes are what the stream stage writes and
/// the analysis thread reads for every command, so the smaller form is less memory traffic between the two cores.
/// Unpacking gives back the same record (`PackedRecordsTests`). Reused: cleared with its storage kept.
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

    static var layoutIsPackable: Bool {
        MemoryLayout<CommandRecord>.offset(of: \.arguments)! == argumentsOffset && KeptArguments.storageIsLast
            && MemoryLayout<CommandRecord>.offset(of: \.digest)! == digestOffset
    }

    /// The largest packed record.
    static var maxRecordBytes: Int { headerBytes + KeptArguments.storageBytes }

    public init(capacity: Int = 64 << 10) {
        precondition(Self.layoutIsPackable, "CommandRecord.arguments, and its storage, must come last")
        self.capacity = max(capacity, Self.maxRecordBytes)
        base = UnsafeMutableRawPointer.allocate(byteCount: self.capacity, alignment: 16)
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
        destination.copyMemory(from: UnsafeRawPointer(record), byteCount: Self.headerBytes)
        if let digest { (destination + Self.digestOffset).storeBytes(of: digest, as: ArgumentDigest.self) }
        let arguments = UnsafeRawPointer(record).advanced(by: Self.argumentsOffset).assumingMemoryBound(to: KeptArguments.self)
        byteCount += Self.headerBytes + KeptArguments.packStorage(arguments, to: destination + Self.headerBytes)
        count += 1
    }

    private func grow() {
        let newCapacity = capacity * 2
        let newBase = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 16)
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
            base = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
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
        return offset + Self.headerBytes + KeptArguments.unpackStorage(from: source + Self.headerBytes, into: arguments)
    }

    /// The offset of the record after the one that starts at `offset`, read from its header (no unpacking).
    @inline(__always)
    public func offset(after offset: Int) -> Int {
        offset + Self.headerBytes + KeptArguments.packedStorageLength(packedAt: UnsafeRawPointer(base + offset + Self.argumentsOffset))
    }

    /// The digest of the record that starts at `offset`, where it lies; nil past the last record. For looking ahead:
    /// the analyses ask for the table entries the next records will touch.
    @inline(__always)
    public func digest(at offset: Int) -> ArgumentDigest? {
        guard offset < byteCount else { return nil }
        // Packed records follow each other unaligned.
        return UnsafeRawPointer(base + offset + Self.digestOffset).loadUnaligned(as: ArgumentDigest.self)
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
