/// A violation of RESP found in a stream. Small and allocation-free, so hostile input cannot make errors costly.
public struct RESPProtocolError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, CaseIterable, Codable {
        /// A byte that cannot start a value (or, on the client side, a request).
        case invalidTypeByte
        /// A length or integer line that is not a number, or overflows.
        case invalidLength
        /// A bulk string whose body is not followed by CRLF.
        case missingCRLF
        /// A length above `RESPLimits` (bulk bytes, aggregate elements).
        case lengthLimitExceeded
        /// Aggregates nested deeper than `RESPLimits.maxDepth`.
        case depthLimitExceeded
        /// An inline request line longer than `RESPLimits.maxInlineLength`.
        case inlineTooLong
        /// An inline request with an unbalanced quote (redis-server replies "unbalanced quotes").
        case unbalancedQuotes
        /// A text line on the client side that does not look like an inline command (binary, another protocol).
        case implausibleInlineCommand
        /// A request array holding something other than bulk strings.
        case invalidRequestElement
    }

    public var code: Code
    /// Offset of the offending byte in the stream (bytes since the decoder started).
    public var streamOffset: Int64

    public init(_ code: Code, at streamOffset: Int64) {
        self.code = code
        self.streamOffset = streamOffset
    }

    public var description: String { "\(code.rawValue) at stream offset \(streamOffset)" }
}
