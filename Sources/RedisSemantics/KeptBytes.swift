/// A bounded inline copy of one value (a key, an element): no allocation per command.
public struct KeptBytes: Sendable, BitwiseCopyable {
    public static let capacity = 120
    private var storage = InlineArray<120, UInt8>(repeating: 0)
    public private(set) var count = 0
    /// Length on the wire; greater than `count` when the value was cut.
    public private(set) var fullLength = 0
    public private(set) var isSet = false

    public init() {}

    public mutating func set(_ content: UnsafeRawBufferPointer, fullLength: Int) {
        let n = min(content.count, Self.capacity)
        if n > 0, let source = content.baseAddress {
            withUnsafeMutableBytes(of: &storage) { $0.baseAddress!.copyMemory(from: source, byteCount: n) }
        }
        count = n
        self.fullLength = fullLength
        isSet = true
    }

    /// Empties it without rewriting the storage (only `count` bytes of it are ever read).
    public mutating func clear() {
        count = 0
        fullLength = 0
        isSet = false
    }

    public var bytes: [UInt8] { (0..<count).map { storage[$0] } }

    /// The kept bytes, borrowed for the call (no copy).
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        storage.span.withUnsafeBytes { all in body(UnsafeRawBufferPointer(rebasing: all[0..<count])) }
    }
    public var string: String { String(decoding: bytes, as: UTF8.self) }
}

extension UnsafePointer where Pointee == KeptBytes {
    /// As `KeptBytes.withUnsafeBytes(_:)`, read where they lie: through `pointee` the ~140-byte value is copied first.
    @inline(__always)
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        body(UnsafeRawBufferPointer(start: UnsafeRawPointer(self) + KeptBytes.storageOffset, count: pointee.count))
    }
}

extension KeptBytes {
    /// Where `storage` lies in the value (computed from sizes the compiler knows: no lazily made global).
    @inline(__always)
    static var storageOffset: Int { MemoryLayout<KeptBytes>.offset(of: \.storage)! }

    /// `storage` comes first, its `capacity` bytes before every other field (`PackedRecords` copies the others apart).
    static var storageIsFirst: Bool {
        storageOffset == 0 && MemoryLayout<KeptBytes>.offset(of: \.count)! >= capacity
            && MemoryLayout<KeptBytes>.offset(of: \.fullLength)! >= capacity && MemoryLayout<KeptBytes>.offset(of: \.isSet)! >= capacity
    }
}
