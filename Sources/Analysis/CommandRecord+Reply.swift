import RESP
import RedisSemantics

extension CommandRecord {
    /// The reply was a null (RESP2 `$-1`/`*-1`, RESP3 `_`): nothing popped, a blocking timeout expired.
    @inline(__always)
    var repliedNull: Bool {
        guard outcome == .replied, let kind = replyKind else { return false }
        return kind == .null || kind == .nullArray || kind == .nullBulkString
    }

    @inline(__always)
    var repliedError: Bool { outcome == .replied && errorCode.isSet }
}

extension KeyText {
    /// A key for a report: hashed when redacting, else printable text; `asPrefix` marks it with a trailing `*`.
    static func display(_ bytes: [UInt8], redactor: KeyRedactor?, asPrefix: Bool = false) -> String {
        guard let redactor else { return asPrefix ? printable(bytes) + "*" : printable(bytes) }
        return redactor.redact(bytes, keepTrailingDelimiter: asPrefix)
    }
}
