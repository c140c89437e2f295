/// Judges the first bytes of a message, for finding Redis by content on ports not named as Redis ports: whether they
/// start a request a Redis client sends, or a reply a Redis server sends.
///
/// Only the start is read (a few hundred bytes at most), and nothing is kept. A request is a RESP array whose first
/// bulk string names a command the table knows, or a text line whose first word does (an inline command); a reply
/// is a RESP2/RESP3 type byte and a first line that type allows. Other protocols' text lines can name a command
/// (`GET / HTTP/1.1`, memcached's `get key`), so an inline request proves nothing without a reply.
public enum RedisOpeningSniffer {
    public enum Judgement: Sendable, Equatable {
        /// Too few bytes to tell.
        case needMore
        case yes
        case no
    }

    /// What a message start says as a request.
    public enum Request: Sendable, Equatable {
        case needMore
        /// A RESP array of bulk strings whose first names a known command (its table index).
        case array(command: Int)
        /// A text line whose first word is a known command (its table index).
        case inline(command: Int)
        case no
    }

    /// Longest command name looked up, and longest first line read: beyond them it is not a Redis opening.
    static let maxNameLength = 64
    /// The first bytes of RESP2 and RESP3 values.
    static let replyTypes: Set<UInt8> = Set("+-:$*_#,(=%~>|!".utf8)
    static let maxLineLength = 512

    /// Whether `bytes` start with a request.
    public static func request(_ bytes: UnsafeRawBufferPointer) -> Request {
        var index = 0
        // Empty lines before a command are skipped by the server, as inline commands of nothing.
        while index < bytes.count, bytes[index] == UInt8(ascii: "\r") || bytes[index] == UInt8(ascii: "\n") { index += 1 }
        guard index < bytes.count else { return .needMore }
        if bytes[index] == UInt8(ascii: "*") { return arrayRequest(bytes, from: index + 1) }
        return inlineRequest(bytes, from: index)
    }

    /// Whether `bytes` start with a reply (or a RESP3 push).
    public static func reply(_ bytes: UnsafeRawBufferPointer) -> Judgement {
        guard let type = bytes.first else { return .needMore }
        guard Self.replyTypes.contains(type) else { return .no }
        let line: UnsafeRawBufferPointer
        switch Self.line(bytes, from: 1) {
        case .needMore: return .needMore
        case .no: return .no
        case .line(let start, let end): line = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
        }
        switch type {
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            return line.allSatisfy(isText) ? .yes : .no
        case UInt8(ascii: ":"):
            return isInteger(line, allowsMinus: true) ? .yes : .no
        case UInt8(ascii: "("):
            // A big number: any count of digits.
            let digits = line.first == UInt8(ascii: "-") ? UnsafeRawBufferPointer(rebasing: line.dropFirst()) : line
            return !digits.isEmpty && digits.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") } ? .yes : .no
        case UInt8(ascii: "$"), UInt8(ascii: "*"), UInt8(ascii: "%"), UInt8(ascii: "~"), UInt8(ascii: ">"),
             UInt8(ascii: "|"), UInt8(ascii: "="), UInt8(ascii: "!"):
            return isInteger(line, allowsMinus: false) || (line.count == 2 && line[0] == UInt8(ascii: "-") && line[1] == UInt8(ascii: "1"))
                ? .yes : .no
        case UInt8(ascii: "_"):
            return line.isEmpty ? .yes : .no
        case UInt8(ascii: "#"):
            return line.count == 1 && (line[0] == UInt8(ascii: "t") || line[0] == UInt8(ascii: "f")) ? .yes : .no
        case UInt8(ascii: ","):
            return !line.isEmpty && line.allSatisfy(isDoubleCharacter) ? .yes : .no
        default:
            return .no
        }
    }

    /// Whether `bytes` start with a message a subscribed client receives (`*3`/`>3` then `message`, `pmessage`...,
    /// or a subscription's confirmation): a connection picked up mid-stream whose client only listens shows this.
    public static func push(_ bytes: UnsafeRawBufferPointer) -> Judgement {
        guard let type = bytes.first else { return .needMore }
        guard type == UInt8(ascii: "*") || type == UInt8(ascii: ">") else { return .no }
        guard case .line(let countStart, let countEnd) = line(bytes, from: 1) else {
            return line(bytes, from: 1) == .needMore ? .needMore : .no
        }
        let count = UnsafeRawBufferPointer(rebasing: bytes[countStart..<countEnd])
        guard count.count == 1, count[0] == UInt8(ascii: "3") || count[0] == UInt8(ascii: "4") else { return .no }
        let bulk = countEnd + 2
        guard bulk < bytes.count else { return .needMore }
        guard bytes[bulk] == UInt8(ascii: "$") else { return .no }
        let lengthLine = line(bytes, from: bulk + 1)
        guard case .line(let lengthStart, let lengthEnd) = lengthLine else { return lengthLine == .needMore ? .needMore : .no }
        let nameStart = lengthEnd + 2
        let length = UnsafeRawBufferPointer(rebasing: bytes[lengthStart..<lengthEnd])
        guard isInteger(length, allowsMinus: false), length.count <= 2 else { return .no }
        let nameLength = length.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        guard nameStart + nameLength <= bytes.count else { return .needMore }
        let name = Array(bytes[nameStart..<nameStart + nameLength]).map { $0 | 0x20 }
        return pushKinds.contains(name) ? .yes : .no
    }

    static let pushKinds: Set<[UInt8]> = Set(["message", "pmessage", "smessage", "subscribe", "psubscribe", "ssubscribe",
                                              "unsubscribe", "punsubscribe", "sunsubscribe"].map { Array($0.utf8) })

    // MARK: Requests

    /// `*<count>\r\n$<length>\r\n<name>`: the name must be whole and known.
    private static func arrayRequest(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Request {
        guard case .line(let countStart, let countEnd) = line(bytes, from: start) else {
            return line(bytes, from: start) == .needMore ? .needMore : .no
        }
        let count = UnsafeRawBufferPointer(rebasing: bytes[countStart..<countEnd])
        guard isInteger(count, allowsMinus: false), count.first != UInt8(ascii: "0") else { return .no }
        let bulk = countEnd + 2
        guard bulk < bytes.count else { return .needMore }
        guard bytes[bulk] == UInt8(ascii: "$") else { return .no }
        guard case .line(let lengthStart, let lengthEnd) = line(bytes, from: bulk + 1) else {
            return line(bytes, from: bulk + 1) == .needMore ? .needMore : .no
        }
        let lengthText = UnsafeRawBufferPointer(rebasing: bytes[lengthStart..<lengthEnd])
        guard isInteger(lengthText, allowsMinus: false), lengthText.count <= 2 else { return .no }
        let length = lengthText.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        guard length > 0, length <= maxNameLength else { return .no }
        let nameStart = lengthEnd + 2
        guard nameStart + length <= bytes.count else { return .needMore }
        guard let command = CommandTable.lookup(UnsafeRawBufferPointer(rebasing: bytes[nameStart..<nameStart + length]))
        else { return .no }
        return .array(command: command)
    }

    /// A text line whose first word (up to a space, tab or the line's end) is a known command.
    private static func inlineRequest(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Request {
        var end = start
        while end < bytes.count, end - start <= maxNameLength {
            let byte = bytes[end]
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n") {
                break
            }
            guard isText(byte) else { return .no }
            end += 1
        }
        guard end - start <= maxNameLength else { return .no }
        guard end < bytes.count else { return .needMore }
        guard let command = CommandTable.lookup(UnsafeRawBufferPointer(rebasing: bytes[start..<end])) else { return .no }
        // The rest of the line must be text too, ending within the line limit.
        var index = end
        while index < bytes.count, index - start < maxLineLength {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\n") { return .inline(command: command) }
            guard isText(byte) || byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\t") else { return .no }
            index += 1
        }
        return index - start < maxLineLength ? .needMore : .no
    }

    // MARK: Lines

    private enum Line: Equatable {
        case needMore
        case no
        /// The line's bytes, without its CRLF.
        case line(start: Int, end: Int)
    }

    /// The line from `start` to the next CRLF, if it ends within `maxLineLength`.
    private static func line(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Line {
        var index = start
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "\r") {
                guard index + 1 < bytes.count else { return .needMore }
                return bytes[index + 1] == UInt8(ascii: "\n") ? .line(start: start, end: index) : .no
            }
            if bytes[index] == UInt8(ascii: "\n") || index - start >= maxLineLength { return .no }
            index += 1
        }
        return .needMore
    }

    private static func isInteger(_ text: UnsafeRawBufferPointer, allowsMinus: Bool) -> Bool {
        var digits = text[...]
        if allowsMinus, digits.first == UInt8(ascii: "-") { digits = digits.dropFirst() }
        return !digits.isEmpty && digits.count <= 19 && digits.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }

    /// Printable ASCII or UTF-8 (status and error lines carry any text but control characters).
    private static func isText(_ byte: UInt8) -> Bool {
        byte >= 0x20 && byte != 0x7F
    }

    private static func isDoubleCharacter(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-")
            || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E")
            || byte == UInt8(ascii: "i") || byte == UInt8(ascii: "n") || byte == UInt8(ascii: "f") || byte == UInt8(ascii: "a")
    }
}
