/// Named bounds on what a RESP decoder accepts and keeps. Memory per decoder is `keptPrefix + maxInlineLength`
/// at most (the inline buffer grows only when inline requests are seen) plus `maxDepth` words.
public struct RESPLimits: Sendable, Hashable, Codable {
    /// Bytes kept of each string value (keys, command names, error messages). Longer values are counted and skipped.
    public var keptPrefix: Int = 256
    /// Largest bulk string accepted (redis-server's proto-max-bulk-len default is 512 MB).
    public var maxBulkLength: Int = 512 << 20
    /// Most elements in one aggregate (redis-server accepts at most INT_MAX request arguments; hostile headers such as
    /// `*2147483647` would otherwise swallow the rest of a connection).
    public var maxAggregateElements: Int = 16 << 20
    /// Deepest aggregate nesting accepted.
    public var maxDepth: Int = 64
    /// Longest inline (telnet-style) request line, as redis-server's PROTO_INLINE_MAX_SIZE.
    public var maxInlineLength: Int = 64 << 10

    public init() {}
}
