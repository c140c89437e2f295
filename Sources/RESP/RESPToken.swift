/// The RESP2/RESP3 value kinds, named after the protocol spec.
public enum RESPKind: UInt8, Sendable, CaseIterable, Codable, CustomStringConvertible, BitwiseCopyable {
    case simpleString, simpleError, integer, bulkString, array
    case null, boolean, double, bigNumber, bulkError, verbatimString, map, set, attribute, push
    /// RESP2 `$-1`.
    case nullBulkString
    /// RESP2 `*-1`.
    case nullArray

    /// The type byte that introduces this kind on the wire.
    public var typeByte: UInt8 {
        switch self {
        case .simpleString: return UInt8(ascii: "+")
        case .simpleError: return UInt8(ascii: "-")
        case .integer: return UInt8(ascii: ":")
        case .bulkString, .nullBulkString: return UInt8(ascii: "$")
        case .array, .nullArray: return UInt8(ascii: "*")
        case .null: return UInt8(ascii: "_")
        case .boolean: return UInt8(ascii: "#")
        case .double: return UInt8(ascii: ",")
        case .bigNumber: return UInt8(ascii: "(")
        case .bulkError: return UInt8(ascii: "!")
        case .verbatimString: return UInt8(ascii: "=")
        case .map: return UInt8(ascii: "%")
        case .set: return UInt8(ascii: "~")
        case .attribute: return UInt8(ascii: "|")
        case .push: return UInt8(ascii: ">")
        }
    }

    // Inlinable: the reply builder asks these per token, from another module.
    @inlinable
    public var isAggregate: Bool {
        switch self {
        case .array, .map, .set, .attribute, .push: return true
        default: return false
        }
    }

    // Switches, as `isAggregate`: written with `==`, `isError` was left a call (once per reply).
    @inlinable
    public var isError: Bool {
        switch self {
        case .simpleError, .bulkError: return true
        default: return false
        }
    }

    @inlinable
    public var isNull: Bool {
        switch self {
        case .null, .nullBulkString, .nullArray: return true
        default: return false
        }
    }

    public var description: String {
        switch self {
        case .simpleString: return "simple-string"
        case .simpleError: return "error"
        case .integer: return "integer"
        case .bulkString: return "bulk-string"
        case .array: return "array"
        case .null: return "null"
        case .boolean: return "boolean"
        case .double: return "double"
        case .bigNumber: return "big-number"
        case .bulkError: return "bulk-error"
        case .verbatimString: return "verbatim-string"
        case .map: return "map"
        case .set: return "set"
        case .attribute: return "attribute"
        case .push: return "push"
        case .nullBulkString: return "null-bulk"
        case .nullArray: return "null-array"
        }
    }
}

/// One decoded RESP value header or scalar, handed to a `RESPTokenHandler`.
///
/// `content` is BORROWED: it points into the chunk being decoded or into the decoder's scratch buffer and is valid
/// only during the `token(_:)` call. It holds at most `RESPLimits.keptPrefix` bytes of a string-like value;
/// `length` is the full length on the wire.
public struct RESPToken {
    public var kind: RESPKind
    /// 0 for the top-level value of a message, 1 for its elements, ...
    public var depth: Int
    /// Aggregates: number of child values (a map of n pairs has 2n; an attribute's children are its pairs).
    /// String-like values: full content length in bytes. Integers, booleans, nulls: 0.
    public var length: Int
    /// Integer value of `:` and `#` (1 for `#t`), and of aggregate/bulk lengths.
    public var integer: Int64
    /// Kept prefix of a string-like value (simple, error, bulk, verbatim, double, big number); empty otherwise.
    public var content: UnsafeRawBufferPointer
    /// True for tokens that belong to a RESP3 attribute (metadata, not part of the reply).
    public var insideAttribute: Bool
    /// True for the tokens of an inline (telnet-style) request rather than a RESP array.
    public var isInline: Bool = false

    /// True when `content` holds the whole value (it was not cut at `keptPrefix`).
    public var isComplete: Bool { content.count == length }
}

/// Receives the tokens of a RESP stream in wire order.
public protocol RESPTokenHandler {
    mutating func token(_ token: RESPToken)
    /// A complete top-level message (one request or one reply/push) ended; `byteCount` is its size on the wire.
    mutating func messageEnd(byteCount: Int)
    /// The stream is not valid RESP here. The decoder then skips bytes until a plausible message start.
    mutating func protocolError(_ error: RESPProtocolError)
    /// Whether the next bulk strings that are elements of the current top-level aggregate (depth 1, outside
    /// attributes) matter to the handler only by their number: the arguments of a long request past those kept,
    /// the elements of a long reply. The decoder then may, instead of a token each, pass over a run of them (whole
    /// in the chunk, never the aggregate's last element) and report it with `bulkStringsSkipped(_:)`. Asked
    /// before each run; false by default.
    var countsBulkStringsOnly: Bool { get }
    /// `count` bulk strings at depth 1 were passed over (see `countsBulkStringsOnly`).
    mutating func bulkStringsSkipped(_ count: Int)
    /// Whether a client's request that lies whole in the chunk, and within the limits, goes to `wholeRequest(_:)`
    /// instead of token by token; false by default. A type's constant, so that the decoder specialised for the
    /// handler has no test left of it.
    static var takesWholeRequests: Bool { get }
    /// A whole request (see `takesWholeRequests`), standing for its tokens and its `messageEnd`; by default, handed
    /// over as those (`RESPRequestArray.replay(into:)`).
    mutating func wholeRequest(_ request: RESPRequestArray)
    /// A message that is one scalar, decoded whole: its token (depth 0), then the message's end; by default, handed
    /// over as those two calls.
    mutating func wholeValue(_ token: RESPToken, byteCount: Int)
}

extension RESPTokenHandler {
    public var countsBulkStringsOnly: Bool { false }
    public mutating func bulkStringsSkipped(_ count: Int) {}
    public static var takesWholeRequests: Bool { false }
    public mutating func wholeRequest(_ request: RESPRequestArray) { request.replay(into: &self) }
    public mutating func wholeValue(_ token: RESPToken, byteCount: Int) {
        self.token(token)
        messageEnd(byteCount: byteCount)
    }
}
