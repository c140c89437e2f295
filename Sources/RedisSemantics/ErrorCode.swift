/// The code of an error reply (`ERR`, `WRONGTYPE`, `NOSCRIPT`...), as INFO errorstats names it, kept inline.
///
/// A code is the reply's first word when it ends within its first 31 bytes, so 30 bytes hold any of them. Kept as
/// bytes rather than a `String`, a `CommandRecord` holds nothing reference-counted: it is copied as plain memory.
public struct ErrorCode: Sendable, Hashable, BitwiseCopyable {
    public static let capacity = 30
    private var storage = InlineArray<30, UInt8>(repeating: 0)
    private var length: UInt8 = 0
    /// False for "no error".
    public private(set) var isSet = false

    public init() {}

    /// The code's bytes (cut at `capacity`).
    public init(_ bytes: UnsafeRawBufferPointer) {
        let n = min(bytes.count, Self.capacity)
        for i in 0..<n { storage[i] = bytes[i] }
        length = UInt8(n)
        isSet = true
    }

    /// Becomes "no error" without rewriting the storage (only `length` bytes of it are ever read): records and
    /// reply builders are reset per command, and building a fresh value writes all 30 bytes through a call.
    @inline(__always)
    public mutating func clear() {
        length = 0
        isSet = false
    }

    public init(_ text: String?) {
        guard var utf8 = text else { return }
        self = utf8.withUTF8 { ErrorCode(UnsafeRawBufferPointer($0)) }
    }

    public static func == (a: ErrorCode, b: ErrorCode) -> Bool {
        guard a.isSet == b.isSet, a.length == b.length else { return false }
        for i in 0..<Int(a.length) where a.storage[i] != b.storage[i] { return false }
        return true
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(isSet)
        for i in 0..<Int(length) { hasher.combine(storage[i]) }
    }

    /// The code as text, nil when there was no error.
    public var string: String? {
        guard isSet else { return nil }
        return String(unsafeUninitializedCapacity: Int(length)) { buffer in
            for i in 0..<Int(length) { buffer[i] = storage[i] }
            return Int(length)
        }
    }
}
