import Analysis

/// Encodes a value as pretty-printed JSON with sorted keys: the bytes Foundation's `JSONEncoder` writes with
/// `[.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]`, written straight into one buffer.
///
/// A report lists thousands of keys, clients and histogram buckets; Foundation's encoder builds a tree of boxed
/// values with a dictionary per object, asks every value at run time whether it is a `Date`, `Data` or `URL`, and
/// then sorts and writes the tree: that cost as much as reading the capture on small ones. Here an object's members
/// are written as they come, each value complete, and put in key order when the object ends (one copy of its bytes
/// per level of nesting). Key lists (`[KeyCount]`), most of a report's bytes, skip the `Encoder` protocol and are
/// written in key order directly (`JSONOutput+KeyCount.swift`). The output is held equal to Foundation's by the tests.
///
/// Uses of `Encoder` this does not follow — nested containers asked of a container, `superEncoder` — are reported
/// as `SortedJSONEncoder.Unsupported`, for the caller to use Foundation's encoder instead.
public struct SortedJSONEncoder {
    /// The value used a part of the `Encoder` interface this encoder does not implement.
    public struct Unsupported: Error {}

    public init() {}

    public func encode(_ value: some Encodable) throws -> [UInt8] {
        let writer = JSONByteWriter()
        try writer.encodeValue(value)
        if writer.usedUnsupported { throw Unsupported() }
        return writer.output
    }
}

/// The encoder. Containers are frames on a stack; an object's members are recorded as byte ranges of the output
/// and reordered when the value that opened the object has finished encoding.
final class JSONByteWriter: Encoder {
    /// Everything the writer changes, behind a pointer it owns: written many times per value, it is then not a
    /// class's stored property, whose every modification is checked for exclusive access at run time (checks that
    /// cost more than the writing).
    private let storage = UnsafeMutablePointer<JSONWriterState>.allocate(capacity: 1)

    fileprivate var state: JSONWriterState {
        _read { yield storage.pointee }
        _modify { yield &storage.pointee }
    }

    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }
    var usedUnsupported: Bool { state.usedUnsupported }
    var output: [UInt8] { state.output.bytes }

    init() {
        storage.initialize(to: JSONWriterState())
    }

    deinit {
        storage.deinitialize(count: 1)
        storage.deallocate()
    }

    /// Writes `value` where the output stands, closing whatever containers it opened.
    func encodeValue<T: Encodable>(_ value: T) throws {
        // Key lists are most of a report (every tracked key and prefix, with a dozen fields each): written directly
        // in key order, without a container, a member record and a reordering per field. A metadata compare per value.
        if T.self == [KeyCount].self {
            state.output.writeKeyCounts(unsafeBitCast(value, to: [KeyCount].self), depth: state.frames.count)
            return
        }
        let mark = state.frames.count
        let before = state.output.count
        let outerMark = state.currentMark
        state.currentMark = mark
        defer { state.currentMark = outerMark }
        try value.encode(to: self)
        state.close(downTo: mark)
        // A value that asked for no container at all is an empty object.
        if state.output.count == before {
            state.output.writeEmpty(open: UInt8(ascii: "{"), close: UInt8(ascii: "}"), depth: mark)
        }
    }

    // MARK: Containers

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        state.open(isObject: true)
        return KeyedEncodingContainer(JSONKeyedWriter<Key>(writer: self))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        JSONUnkeyedWriter(writer: self, frame: state.open(isObject: false))
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        if state.frames.count > state.currentMark { state.usedUnsupported = true }
        return JSONSingleValueWriter(writer: self)
    }

    /// A container's way of saying it was used as this encoder does not follow.
    func markUnsupported() { state.usedUnsupported = true }
}

/// The writer's state: the output, the open containers, the members of the open objects.
struct JSONWriterState {
    struct Member {
        var key: String
        /// The key's first eight UTF-8 bytes, big-endian, zero-padded: orders most keys without looking further.
        var prefix: UInt64
        var start: Int
        var end: Int
    }

    struct Frame {
        var isObject: Bool
        /// Where the container's first byte is (an object's `{` is written when it closes).
        var start: Int
        /// Indentation of its members or elements.
        var depth: Int
        /// An object's members are `members[firstMember...]`: a nested object's are appended after them and removed
        /// when it closes, before its parent's next member begins.
        var firstMember: Int
        var elements = 0
    }

    var output = JSONOutput()
    var frames: [Frame] = []
    var members: [Member] = []
    /// `frames.count` when the value being encoded began: a frame at that index is the container it opened.
    var currentMark = 0
    var usedUnsupported = false
    /// Reused for each object's member order and bytes.
    private var order: [Int] = []
    private var scratch: [UInt8] = []

    init() {
        output.bytes.reserveCapacity(1 << 16)
    }

    /// The frame of the current value's container, opened now or (asked again, which is allowed) before.
    @discardableResult
    mutating func open(isObject: Bool) -> Int {
        if frames.count > currentMark {
            if frames[currentMark].isObject != isObject { usedUnsupported = true }
            return currentMark
        }
        frames.append(Frame(isObject: isObject, start: output.count, depth: frames.count + 1, firstMember: members.count))
        if !isObject { output.append(UInt8(ascii: "[")) }
        return frames.count - 1
    }

    mutating func beginMember(_ key: String) {
        members.append(Member(key: key, prefix: Self.keyPrefix(key), start: output.count, end: output.count))
    }

    mutating func endMember() {
        members[members.count - 1].end = output.count
    }

    mutating func beginElement(frame: Int) {
        output.startLine(first: frames[frame].elements == 0, depth: frames[frame].depth)
        frames[frame].elements += 1
    }

    mutating func close(downTo mark: Int) {
        while frames.count > mark {
            let frame = frames.removeLast()
            if frame.isObject {
                closeObject(frame)
            } else if frame.elements == 0 {
                output.bytes.removeLast()  // the `[` written at the start
                output.writeEmpty(open: UInt8(ascii: "["), close: UInt8(ascii: "]"), depth: frame.depth - 1)
            } else {
                output.startLine(first: true, depth: frame.depth - 1)
                output.append(UInt8(ascii: "]"))
            }
        }
    }

    private mutating func closeObject(_ frame: Frame) {
        let first = frame.firstMember
        guard members.count > first else {
            output.writeEmpty(open: UInt8(ascii: "{"), close: UInt8(ascii: "}"), depth: frame.depth - 1)
            return
        }
        // Sorted by the keys' UTF-8 bytes; a key given twice keeps its last value, as in Foundation's dictionary.
        // Insertion sort: objects have a few dozen members at most, and their prefixes mostly decide.
        // Members compared where they lie: a copy of one retains and releases its key.
        order.removeAll(keepingCapacity: true)
        members.withUnsafeBufferPointer { members in
            for index in first..<members.count {
                var position = order.count
                order.append(index)
                while position > 0 && Self.precedes(members[index], members[order[position - 1]]) {
                    order[position] = order[position - 1]
                    position -= 1
                }
                order[position] = index
            }
        }
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: output.bytes[frame.start...])
        output.bytes.removeSubrange(frame.start...)
        output.append(UInt8(ascii: "{"))
        var firstWritten = true
        for position in order.indices {
            let index = order[position]
            if position + 1 < order.count && members[order[position + 1]].key == members[index].key { continue }
            output.startLine(first: firstWritten, depth: frame.depth)
            firstWritten = false
            output.writeString(members[index].key)
            output.writeLiteral(" : ")
            let start = members[index].start - frame.start, end = members[index].end - frame.start
            scratch.withUnsafeBufferPointer { output.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: $0[start..<end])) }
        }
        output.startLine(first: true, depth: frame.depth - 1)
        output.append(UInt8(ascii: "}"))
        members.removeSubrange(first...)
    }

    /// Key order (by UTF-8 bytes); equal keys are not reordered, so the later of two stays later.
    @inline(__always)
    private static func precedes(_ a: borrowing Member, _ b: borrowing Member) -> Bool {
        if a.prefix != b.prefix { return a.prefix < b.prefix }
        var x = a.key, y = b.key
        return x.withUTF8 { x in
            y.withUTF8 { y in
                let n = min(x.count, y.count)
                for i in 0..<n where x[i] != y[i] { return x[i] < y[i] }
                return x.count < y.count
            }
        }
    }

    private static func keyPrefix(_ key: String) -> UInt64 {
        var key = key
        return key.withUTF8 { bytes in
            var prefix: UInt64 = 0
            for i in 0..<8 { prefix = prefix << 8 | UInt64(i < bytes.count ? bytes[i] : 0) }
            return prefix
        }
    }
}

/// The bytes written so far, and how each kind of value is written.
struct JSONOutput {
    var bytes: [UInt8] = []

    var count: Int { bytes.count }

    mutating func append(_ byte: UInt8) { bytes.append(byte) }

    mutating func writeLiteral(_ text: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    mutating func indent(_ depth: Int) {
        // From a literal, as one copy: appending a repeated element went byte by byte (~150 instructions a line).
        let spaces: StaticString = "                                                                "
        var remaining = 2 * depth
        while remaining > 0 {
            let count = min(remaining, spaces.utf8CodeUnitCount)
            bytes.append(contentsOf: UnsafeBufferPointer(start: spaces.utf8Start, count: count))
            remaining -= count
        }
    }

    mutating func writeEmpty(open: UInt8, close: UInt8, depth: Int) {
        bytes.append(open)
        bytes.append(UInt8(ascii: "\n"))
        bytes.append(UInt8(ascii: "\n"))
        indent(depth)
        bytes.append(close)
    }

    /// `,` unless first, a line feed and the indentation of an element or member at `depth`.
    mutating func startLine(first: Bool, depth: Int) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        bytes.append(UInt8(ascii: "\n"))
        indent(depth)
    }

    mutating func writeString(_ string: String) {
        bytes.append(UInt8(ascii: "\""))
        var string = string
        string.withUTF8 { utf8 in
            var runStart = 0
            for i in 0..<utf8.count {
                let byte = utf8[i]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                if runStart < i { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<i])) }
                runStart = i + 1
                bytes.append(UInt8(ascii: "\\"))
                switch byte {
                case UInt8(ascii: "\""): bytes.append(UInt8(ascii: "\""))
                case UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\"))
                case 0x08: bytes.append(UInt8(ascii: "b"))
                case 0x09: bytes.append(UInt8(ascii: "t"))
                case 0x0A: bytes.append(UInt8(ascii: "n"))
                case 0x0C: bytes.append(UInt8(ascii: "f"))
                case 0x0D: bytes.append(UInt8(ascii: "r"))
                default:
                    bytes.append(UInt8(ascii: "u"))
                    bytes.append(UInt8(ascii: "0"))
                    bytes.append(UInt8(ascii: "0"))
                    bytes.append(Self.hexDigit(byte >> 4))
                    bytes.append(Self.hexDigit(byte & 0xF))
                }
            }
            if runStart < utf8.count { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...])) }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private static func hexDigit(_ value: UInt8) -> UInt8 {
        value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "a") + value - 10
    }

    /// Decimal digits, written from the least significant into a small buffer (no `String` per number).
    mutating func writeInteger(_ value: some BinaryInteger) {
        if let small = Int64(exactly: value) {
            writeMagnitude(small.magnitude, negative: small < 0)
        } else if let large = UInt64(exactly: value) {
            writeMagnitude(large, negative: false)
        } else {
            bytes.append(contentsOf: String(value).utf8)
        }
    }

    private mutating func writeMagnitude(_ magnitude: UInt64, negative: Bool) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var n = magnitude
            var i = 20
            repeat {
                i -= 1
                digits[i] = UInt8(ascii: "0") + UInt8(n % 10)
                n /= 10
            } while n > 0
            if negative { bytes.append(UInt8(ascii: "-")) }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: digits[i..<20]))
        }
    }

    mutating func writeFloatingPoint<F: BinaryFloatingPoint & CustomStringConvertible>(_ value: F) throws {
        guard value.isFinite else {
            throw EncodingError.invalidValue(value, EncodingError.Context(
                codingPath: [], debugDescription: "Unable to encode \(value) directly in JSON."))
        }
        // Foundation writes the shortest representation that round-trips, without a trailing ".0".
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        bytes.append(contentsOf: text.utf8)
    }
}

private struct JSONKeyedWriter<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let writer: JSONByteWriter
    var codingPath: [any CodingKey] { [] }

    /// One member: its value written by `write` where the output stands, its key recorded for the object's order.
    private func member(_ key: Key, _ write: (inout JSONOutput) throws -> Void) rethrows {
        writer.state.beginMember(key.stringValue)
        try write(&writer.state.output)
        writer.state.endMember()
    }

    mutating func encodeNil(forKey key: Key) throws { member(key) { $0.writeLiteral("null") } }
    mutating func encode(_ value: Bool, forKey key: Key) throws { member(key) { $0.writeLiteral(value ? "true" : "false") } }
    mutating func encode(_ value: String, forKey key: Key) throws { member(key) { $0.writeString(value) } }
    mutating func encode(_ value: Double, forKey key: Key) throws { try member(key) { try $0.writeFloatingPoint(value) } }
    mutating func encode(_ value: Float, forKey key: Key) throws { try member(key) { try $0.writeFloatingPoint(value) } }
    mutating func encode(_ value: Int, forKey key: Key) throws { member(key) { $0.writeInteger(value) } }
    mutating func encode(_ value: Int8, forKey key: Key) throws { member(key) { $0.writeInteger(value) } }
    mutating func encode(_ value: Int16, forKey key: Key) throws { member(key) { $0.writeInteger(value) } }
    mutating func encode(_ value: Int32, forKey key: Key) throws { member(key) { $0.writeInteger(value) } }
    mutating func encode(_ value: Int64, forKey key: Key) throws { member(key) { $0.writeInteger(value) } }
    mutating func encode(_ value: UInt, forKey key: Key) throws { member(key) { $0.writeInteger(value) } }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { member(key) { $0.writeInteger(value) } }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { member(key) { $0.writeInteger(value) } }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { member(key) { $0.writeInteger(value) } }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { member(key) { $0.writeInteger(value) } }

    // Optional members of the primitive types written here: the protocol's default `encodeIfPresent` goes through
    // the generic `encode(_:forKey:)`, a single-value container and the value's own `encode(to:)` per member.
    mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) throws { if let value { try encode(value, forKey: key) } }
    mutating func encodeIfPresent(_ value: String?, forKey key: Key) throws { if let value { try encode(value, forKey: key) } }
    mutating func encodeIfPresent(_ value: Double?, forKey key: Key) throws { if let value { try encode(value, forKey: key) } }
    mutating func encodeIfPresent(_ value: Float?, forKey key: Key) throws { if let value { try encode(value, forKey: key) } }
    mutating func encodeIfPresent(_ value: Int?, forKey key: Key) throws { if let value { try encode(value, forKey: key) } }
    mutating func encodeIfPresent(_ value: Int8?, forKey key: Key) throws { if let value { try encode(value, forKey: key) } }
    mutating func encodeIfPresent(_ value: Int16?, forKey key: Key) throws { if let value { try encode(value, forKey: key) } }
    mutating func encodeIfPresent(_ value: Int32?, forKey key: Key) throws { if let value { try encode(value, forKey: key) } }
    mutating func encodeIfPresent(_ value: Int64?, forKey key: Key) throws { if let value { try encode(value, forKey: key) } }
    mutating func encodeIfPresent(_ value: UInt?, forKey key: Key) throws { if let value { try encode(value, forKey: key) } }
    mutating func encodeIfPresent(_ value: UInt8?, forKey key: Key) throws { if let value { try encode(value, forKey: key) } }
    mutating func encodeIfPresent(_ value: UInt16?, forKey key: Key) throws { if let value { try encode(value, forKey: key) } }
    mutating func encodeIfPresent(_ value: UInt32?, forKey key: Key) throws { if let value { try encode(value, forKey: key) } }
    mutating func encodeIfPresent(_ value: UInt64?, forKey key: Key) throws { if let value { try encode(value, forKey: key) } }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        writer.state.beginMember(key.stringValue)
        try writer.encodeValue(value)
        writer.state.endMember()
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type,
                                                        forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        writer.markUnsupported()
        return JSONByteWriter().container(keyedBy: NestedKey.self)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        writer.markUnsupported()
        return JSONByteWriter().unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        writer.markUnsupported()
        return JSONByteWriter()
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        writer.markUnsupported()
        return JSONByteWriter()
    }
}

private struct JSONUnkeyedWriter: UnkeyedEncodingContainer {
    let writer: JSONByteWriter
    let frame: Int
    var codingPath: [any CodingKey] { [] }
    var count: Int { writer.state.frames[frame].elements }

    /// One element, written by `write` after its separator and indentation.
    private func element(_ write: (inout JSONOutput) throws -> Void) rethrows {
        writer.state.beginElement(frame: frame)
        try write(&writer.state.output)
    }

    mutating func encodeNil() throws { element { $0.writeLiteral("null") } }
    mutating func encode(_ value: Bool) throws { element { $0.writeLiteral(value ? "true" : "false") } }
    mutating func encode(_ value: String) throws { element { $0.writeString(value) } }
    mutating func encode(_ value: Double) throws { try element { try $0.writeFloatingPoint(value) } }
    mutating func encode(_ value: Float) throws { try element { try $0.writeFloatingPoint(value) } }
    mutating func encode(_ value: Int) throws { element { $0.writeInteger(value) } }
    mutating func encode(_ value: Int8) throws { element { $0.writeInteger(value) } }
    mutating func encode(_ value: Int16) throws { element { $0.writeInteger(value) } }
    mutating func encode(_ value: Int32) throws { element { $0.writeInteger(value) } }
    mutating func encode(_ value: Int64) throws { element { $0.writeInteger(value) } }
    mutating func encode(_ value: UInt) throws { element { $0.writeInteger(value) } }
    mutating func encode(_ value: UInt8) throws { element { $0.writeInteger(value) } }
    mutating func encode(_ value: UInt16) throws { element { $0.writeInteger(value) } }
    mutating func encode(_ value: UInt32) throws { element { $0.writeInteger(value) } }
    mutating func encode(_ value: UInt64) throws { element { $0.writeInteger(value) } }

    mutating func encode<T: Encodable>(_ value: T) throws {
        writer.state.beginElement(frame: frame)
        try writer.encodeValue(value)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        writer.markUnsupported()
        return JSONByteWriter().container(keyedBy: NestedKey.self)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        writer.markUnsupported()
        return JSONByteWriter().unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        writer.markUnsupported()
        return JSONByteWriter()
    }
}

private struct JSONSingleValueWriter: SingleValueEncodingContainer {
    let writer: JSONByteWriter
    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil() throws { writer.state.output.writeLiteral("null") }
    mutating func encode(_ value: Bool) throws { writer.state.output.writeLiteral(value ? "true" : "false") }
    mutating func encode(_ value: String) throws { writer.state.output.writeString(value) }
    mutating func encode(_ value: Double) throws { try writer.state.output.writeFloatingPoint(value) }
    mutating func encode(_ value: Float) throws { try writer.state.output.writeFloatingPoint(value) }
    mutating func encode(_ value: Int) throws { writer.state.output.writeInteger(value) }
    mutating func encode(_ value: Int8) throws { writer.state.output.writeInteger(value) }
    mutating func encode(_ value: Int16) throws { writer.state.output.writeInteger(value) }
    mutating func encode(_ value: Int32) throws { writer.state.output.writeInteger(value) }
    mutating func encode(_ value: Int64) throws { writer.state.output.writeInteger(value) }
    mutating func encode(_ value: UInt) throws { writer.state.output.writeInteger(value) }
    mutating func encode(_ value: UInt8) throws { writer.state.output.writeInteger(value) }
    mutating func encode(_ value: UInt16) throws { writer.state.output.writeInteger(value) }
    mutating func encode(_ value: UInt32) throws { writer.state.output.writeInteger(value) }
    mutating func encode(_ value: UInt64) throws { writer.state.output.writeInteger(value) }
    mutating func encode<T: Encodable>(_ value: T) throws { try writer.encodeValue(value) }
}
