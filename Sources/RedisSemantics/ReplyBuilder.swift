import RESP

/// Collects what pairing and analyses need from one reply's tokens: its kind, size, error code, the head of a
/// pub/sub message, and errors nested one level down (EXEC results). Keeps no value bytes beyond that.
struct ReplyBuilder {
    private(set) var kind: RESPKind?
    /// Aggregate element count, bulk length, or integer value of the top-level reply.
    private(set) var count: Int64 = 0
    private(set) var errorCode = ErrorCode()
    /// The reply is the server's `-ERR unknown command ...`: it does not have the command at all.
    private(set) var unknownCommand = false
    private(set) var pubsubHead: PubSubHead?
    /// The last integer among the top-level elements (a subscription count in confirmations).
    private(set) var lastInteger: Int64?
    /// Errors among the elements of a top-level array: (element index, error code). Bounded.
    private(set) var elementErrors: [(Int, String)] = []
    /// The first top-level element when it is a string (BRPOP's served key, BZPOPMIN's key, LMPOP's key), a
    /// top-level bulk string of 40 bytes (SCRIPT LOAD's sha), or a cluster redirect's text (`MOVED 3999 host:port`,
    /// `ASK ...`).
    private(set) var firstElement = KeptBytes()
    /// Element count of the second top-level element when it is an aggregate (LMPOP/BLMPOP/ZMPOP results).
    private(set) var secondElementCount: Int64 = -1
    private var elementIndex = -1

    static let maxElementErrors = 10_000
    static let sha1HexLength = 40

    /// Ready for the next reply, as a new builder but keeping the storage of `firstElement` and `elementErrors`.
    mutating func reset() {
        kind = nil
        count = 0
        errorCode.clear()
        unknownCommand = false
        pubsubHead = nil
        lastInteger = nil
        if !elementErrors.isEmpty { elementErrors.removeAll() }
        firstElement.clear()
        secondElementCount = -1
        elementIndex = -1
    }

    /// Past the second element of a reply, a bulk-string element changes nothing but the element index (see the
    /// first line of `observe`).
    var countsStringElementsOnly: Bool { elementIndex >= 1 }

    /// `count` bulk-string elements went by at depth 1, outside attributes, while `countsStringElementsOnly`.
    mutating func stringElementsSkipped(_ count: Int) {
        elementIndex += count
    }

    @inline(__always)
    mutating func observe(_ token: RESPToken) {
        // Most tokens of a large reply: a string element past the second, which changes nothing but the index.
        if token.depth == 1 && elementIndex >= 1 && token.kind == .bulkString && !token.insideAttribute {
            elementIndex += 1
            return
        }
        guard !token.insideAttribute, token.kind != .attribute else { return }
        if token.depth == 0 {
            kind = token.kind
            switch token.kind {
            case .integer, .boolean: count = token.integer
            case .nullArray, .nullBulkString, .null: count = -1
            default: count = Int64(token.length)
            }
            if token.kind.isError {
                errorCode = Self.errorCode(token.content)
                unknownCommand = Self.isUnknownCommand(token.content)
                if Self.isRedirect(token.content) { firstElement.set(token.content, fullLength: token.length) }
            }
            // A SHA-1 in hex, as SCRIPT LOAD replies: kept so that a loaded body can be tied to its EVALSHA calls.
            // Only this length, so that the replies of GET and the like are not copied.
            if token.kind == .bulkString && token.length == Self.sha1HexLength && token.content.count == Self.sha1HexLength {
                firstElement.set(token.content, fullLength: token.length)
            }
            return
        }
        guard token.depth == 1 else { return }
        elementIndex += 1
        if elementIndex == 0, kind == .array || kind == .push, token.kind == .bulkString || token.kind == .simpleString {
            pubsubHead = PubSubHead(token.content)
        }
        if elementIndex == 0 && (token.kind == .bulkString || token.kind == .simpleString) {
            firstElement.set(token.content, fullLength: token.length)
        }
        if elementIndex == 1 && token.kind.isAggregate { secondElementCount = Int64(token.length) }
        if token.kind == .integer { lastInteger = token.integer }
        if token.kind.isError && elementErrors.count < Self.maxElementErrors {
            elementErrors.append((elementIndex, Self.errorCode(token.content).string ?? "ERR"))
        }
    }

    var pushKind: PushRecord.Kind {
        switch pubsubHead {
        case .message: return .message
        case .pmessage: return .pmessage
        case .smessage: return .smessage
        case .invalidate: return .invalidate
        case .subscribe, .psubscribe, .ssubscribe, .unsubscribe, .punsubscribe, .sunsubscribe: return .subscription
        case nil: return .other
        }
    }

    /// The error code as redis-server's INFO errorstats counts it: the first word, when a space occurs within the
    /// first 32 bytes of the reply (the `-` included), otherwise `ERR`.
    /// Redis and Valkey both say `ERR unknown command '<name>', with args beginning with: ...`.
    static func isUnknownCommand(_ content: UnsafeRawBufferPointer) -> Bool {
        let prefix: StaticString = "ERR unknown command"
        guard content.count >= prefix.utf8CodeUnitCount else { return false }
        let expected = UnsafeRawBufferPointer(start: prefix.utf8Start, count: prefix.utf8CodeUnitCount)
        for i in 0..<expected.count where content[i] != expected[i] { return false }
        return true
    }

    /// `MOVED <slot> <host:port>` or `ASK <slot> <host:port>`: where the cluster sends the command instead.
    static func isRedirect(_ content: UnsafeRawBufferPointer) -> Bool {
        func starts(_ word: StaticString) -> Bool {
            let n = word.utf8CodeUnitCount
            guard content.count > n else { return false }
            for i in 0..<n where content[i] != word.utf8Start[i] { return false }
            return true
        }
        return starts("MOVED ") || starts("ASK ")
    }

    static func errorCode(_ content: UnsafeRawBufferPointer) -> ErrorCode {
        let limit = min(content.count, 31)
        for i in 0..<limit where content[i] == UInt8(ascii: " ") {
            return ErrorCode(UnsafeRawBufferPointer(rebasing: content[0..<i]))
        }
        return Self.err
    }

    private static let err: ErrorCode = {
        let bytes: StaticString = "ERR"
        return ErrorCode(UnsafeRawBufferPointer(start: bytes.utf8Start, count: bytes.utf8CodeUnitCount))
    }()
}
