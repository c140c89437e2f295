/// The block structure of a Markdown document as GitHub's parser (cmark-gfm) reads it, reduced to what text from a
/// capture must never change: which lines are headings, how many cells each table row has, raw HTML outside code,
/// blocks opened inside a list item or quote, control characters. The tests and the fuzz target compare a report
/// rendered over hostile text with the same report over harmless text.
///
/// It reads one line at a time: a renderer that escapes correctly never lets text from a capture start a line, so
/// constructs spanning lines (a code span over a line break, a setext underline) cannot come from it.
public struct MarkdownStructure: Sendable, Equatable {
    /// ATX heading lines in order, including any inside a list item or quote.
    public private(set) var headings: [String] = []
    public private(set) var tables = 0
    public private(set) var fencedBlocks = 0
    /// What is wrong, each with its line: a table row whose cell count differs from its header, raw HTML, a block
    /// opened inside a list item or quote, a control character.
    public private(set) var problems: [String] = []

    /// `allowedTags`: raw HTML the renderer writes itself.
    public init(_ markdown: String, allowedTags: [String] = ["<sub>", "</sub>"]) {
        let allowed = allowedTags.map { Array($0.utf8) }
        let lines = markdown.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0.utf8) }
        var fence: (mark: UInt8, length: Int)?
        var columns: Int?
        var index = 0
        while index < lines.count {
            let line = lines[index]
            index += 1
            if Self.hasControlCharacter(line) { note("control character", line) }
            if let open = fence {
                if let close = Self.fence(line), close.mark == open.mark, close.length >= open.length, close.infoEmpty {
                    fence = nil
                }
                continue
            }
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) {
                columns = nil
                continue
            }
            var content = line[...]
            var depth = 0
            while let inner = Self.containerContent(content) {
                content = inner
                depth += 1
            }
            if depth > 1 { note("a list or quote opened inside a list item or quote", line) }
            if Self.isHeading(content) {
                headings.append(String(decoding: line, as: UTF8.self))
                columns = nil
            }
            if let open = Self.fence(content) {
                if depth > 0 { note("a code fence opened inside a list item or quote", line) }
                fence = (open.mark, open.length)
                fencedBlocks += 1
                columns = nil
                continue
            }
            if depth > 0, let block = Self.leafBlock(content) { note("\(block) inside a list item or quote", line) }
            if let expected = columns {
                let cells = Self.cells(line)
                if cells.count != expected {
                    note("table row of \(cells.count) cells under a header of \(expected)", line)
                }
                for cell in cells { checkInline(cell, line, allowed) }
                continue
            }
            if depth == 0, line.first == UInt8(ascii: "|"), index < lines.count, Self.isDelimiterRow(lines[index]) {
                let header = Self.cells(line)
                let delimiter = Self.cells(lines[index])
                if delimiter.count != header.count {
                    note("delimiter row of \(delimiter.count) cells under a header of \(header.count)", line)
                }
                for cell in header { checkInline(cell, line, allowed) }
                columns = header.count
                tables += 1
                index += 1
                continue
            }
            checkInline(content, line, allowed)
        }
    }

    private mutating func note(_ what: String, _ line: [UInt8]) {
        problems.append("\(what): \(String(decoding: line, as: UTF8.self).debugDescription)")
    }

    /// Raw HTML outside code spans: `<` before a letter, `/`, `!` or `?` starts a tag, comment or autolink.
    private mutating func checkInline(_ text: ArraySlice<UInt8>, _ line: [UInt8], _ allowed: [[UInt8]]) {
        let bytes = Array(text)
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "\\"), i + 1 < bytes.count, Self.isPunctuation(bytes[i + 1]) {
                i += 2
            } else if b == UInt8(ascii: "`") {
                let run = Self.run(of: b, in: bytes, at: i)
                i = Self.closingRun(of: run, in: bytes, after: i + run).map { $0 + run } ?? i + run
            } else if b == UInt8(ascii: "<"), i + 1 < bytes.count, Self.opensTag(bytes[i + 1]) {
                if !allowed.contains(where: { bytes[i...].starts(with: $0) }) { note("raw HTML", line) }
                i += 1
            } else {
                i += 1
            }
        }
    }

    // MARK: - Lines

    /// The content of a block quote (`>`) or list item (`-`, `+`, `*`, `1.`, `1)`) that `line` opens, or nil.
    static func containerContent(_ line: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
        var rest = line.dropFirst(leadingSpaces(line, limit: 3))
        guard let first = rest.first else { return nil }
        if first == UInt8(ascii: ">") {
            rest = rest.dropFirst()
            return rest.first == 0x20 ? rest.dropFirst() : rest
        }
        var markerLength = 0
        if first == UInt8(ascii: "-") || first == UInt8(ascii: "+") || first == UInt8(ascii: "*") {
            markerLength = 1
        } else {
            let digits = rest.prefix { $0 >= 0x30 && $0 <= 0x39 }.count
            guard (1...9).contains(digits), let after = rest.dropFirst(digits).first,
                  after == UInt8(ascii: ".") || after == UInt8(ascii: ")") else { return nil }
            markerLength = digits + 1
        }
        rest = rest.dropFirst(markerLength)
        guard rest.isEmpty || rest.first == 0x20 || rest.first == 0x09 else { return nil }
        // `* * *` and `- - -` are thematic breaks, not items.
        if markerLength == 1, isThematicBreak(line) { return nil }
        // Five spaces or more after the marker: the item holds indented code, which starts after the first.
        let spaces = leadingSpaces(rest, limit: 5)
        return spaces >= 5 ? rest.dropFirst(1) : rest.dropFirst(spaces)
    }

    static func isHeading(_ content: ArraySlice<UInt8>) -> Bool {
        let rest = content.dropFirst(leadingSpaces(content, limit: 3))
        let hashes = rest.prefix { $0 == UInt8(ascii: "#") }.count
        guard (1...6).contains(hashes) else { return false }
        let after = rest.dropFirst(hashes).first
        return after == nil || after == 0x20 || after == 0x09
    }

    /// A code fence (three or more backticks or tildes), with whether nothing follows it.
    static func fence(_ line: some Collection<UInt8>) -> (mark: UInt8, length: Int, infoEmpty: Bool)? {
        let bytes = Array(line)
        let start = leadingSpaces(bytes[...], limit: 3)
        guard start < bytes.count, bytes[start] == UInt8(ascii: "`") || bytes[start] == UInt8(ascii: "~") else {
            return nil
        }
        let length = run(of: bytes[start], in: bytes, at: start)
        guard length >= 3 else { return nil }
        let info = bytes[(start + length)...]
        // A backtick fence's info string cannot hold a backtick (it would be a code span instead).
        if bytes[start] == UInt8(ascii: "`"), info.contains(UInt8(ascii: "`")) { return nil }
        return (bytes[start], length, info.allSatisfy { $0 == 0x20 || $0 == 0x09 })
    }

    /// The leaf block other than a paragraph that `content` starts, if any.
    static func leafBlock(_ content: ArraySlice<UInt8>) -> String? {
        if isHeading(content) { return "a heading" }
        if leadingSpaces(content, limit: 4) >= 4 { return "indented code" }
        if isThematicBreak(content) { return "a thematic break" }
        let rest = content.dropFirst(leadingSpaces(content, limit: 3))
        if rest.first == UInt8(ascii: "<"), let next = rest.dropFirst().first, opensTag(next) { return "an HTML block" }
        if rest.first == UInt8(ascii: "|") { return "a table row" }
        return nil
    }

    static func isThematicBreak(_ content: ArraySlice<UInt8>) -> Bool {
        let marks = content.filter { $0 != 0x20 && $0 != 0x09 }
        guard marks.count >= 3, let mark = marks.first,
              mark == UInt8(ascii: "-") || mark == UInt8(ascii: "*") || mark == UInt8(ascii: "_") else { return false }
        return leadingSpaces(content, limit: 4) < 4 && marks.allSatisfy { $0 == mark }
    }

    static func isDelimiterRow(_ line: [UInt8]) -> Bool {
        let cells = cells(line)
        return !cells.isEmpty && cells.allSatisfy { cell in
            let trimmed = cell.filter { $0 != 0x20 && $0 != 0x09 }
            return trimmed.contains(UInt8(ascii: "-"))
                && trimmed.allSatisfy { $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ":") }
        }
    }

    /// A row's cells as cmark-gfm splits them: a `|` directly after a backslash belongs to the cell (however many
    /// backslashes come before it), any other `|` ends one; a leading and a trailing `|` open and close the row.
    static func cells(_ line: [UInt8]) -> [ArraySlice<UInt8>] {
        var bytes = line[...]
        while let last = bytes.last, last == 0x20 || last == 0x09 { bytes = bytes.dropLast() }
        bytes = bytes.dropFirst(leadingSpaces(bytes, limit: bytes.count))
        if bytes.first == UInt8(ascii: "|") { bytes = bytes.dropFirst() }
        if bytes.last == UInt8(ascii: "|"), bytes.dropLast().last != UInt8(ascii: "\\") { bytes = bytes.dropLast() }
        var cells: [ArraySlice<UInt8>] = []
        var start = bytes.startIndex
        var previous: UInt8 = 0
        for i in bytes.indices {
            if bytes[i] == UInt8(ascii: "|") && previous != UInt8(ascii: "\\") {
                cells.append(bytes[start..<i])
                start = i + 1
            }
            previous = bytes[i]
        }
        cells.append(bytes[start...])
        return cells
    }

    // MARK: - Bytes

    static func leadingSpaces(_ bytes: ArraySlice<UInt8>, limit: Int) -> Int {
        min(bytes.prefix { $0 == 0x20 }.count, limit)
    }

    static func run(of byte: UInt8, in bytes: [UInt8], at start: Int) -> Int {
        var end = start
        while end < bytes.count && bytes[end] == byte { end += 1 }
        return end - start
    }

    /// Where a backtick run of exactly `length` starts after `from`, or nil (then the opening run is literal text).
    static func closingRun(of length: Int, in bytes: [UInt8], after from: Int) -> Int? {
        var i = from
        while i < bytes.count {
            guard bytes[i] == UInt8(ascii: "`") else { i += 1; continue }
            let n = run(of: UInt8(ascii: "`"), in: bytes, at: i)
            if n == length { return i }
            i += n
        }
        return nil
    }

    static func opensTag(_ byte: UInt8) -> Bool {
        (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z")
            || byte == UInt8(ascii: "/") || byte == UInt8(ascii: "!") || byte == UInt8(ascii: "?")
    }

    static func isPunctuation(_ byte: UInt8) -> Bool {
        (0x21...0x2F).contains(byte) || (0x3A...0x40).contains(byte) || (0x5B...0x60).contains(byte)
            || (0x7B...0x7E).contains(byte)
    }

    /// C0 controls, DEL, C1 controls, line and paragraph separators: none may reach a report.
    static func hasControlCharacter(_ line: [UInt8]) -> Bool {
        String(decoding: line, as: UTF8.self).unicodeScalars.contains { VisibleText.acts($0) }
    }
}
