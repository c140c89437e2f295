/// Accumulates Markdown text; tables are padded so they also read well as plain text.
struct MarkdownWriter {
    private(set) var text = ""

    mutating func line(_ s: String) { text += s + "\n" }
    mutating func blank() { text += "\n" }

    mutating func table(header: [String], alignRight: [Bool], rows: [[String]]) {
        var widths = header.map(\.count)
        for row in rows {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) }
        }
        func format(_ cells: [String]) -> String {
            var parts: [String] = []
            for i in 0..<header.count {
                let cell = i < cells.count ? cells[i] : ""
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                parts.append(alignRight[i] ? pad + cell : cell + pad)
            }
            return "| " + parts.joined(separator: " | ") + " |"
        }
        line(format(header))
        line("|" + (0..<header.count).map { i in
            let dashes = String(repeating: "-", count: max(3, widths[i]))
            return alignRight[i] ? " " + dashes.dropLast() + ": " : " " + dashes + " "
        }.joined(separator: "|") + "|")
        for row in rows { line(format(row)) }
    }

    /// Text from the capture inside a code span: backticks and line breaks cannot end it early, nor a `|` a table
    /// cell (outside tables, `inTable: false` keeps it: `client|setinfo`).
    static func escapeCode(_ s: String, inTable: Bool = true) -> String {
        String(s.map { $0 == "`" ? "'" : ($0 == "\n" || $0 == "\r" || ($0 == "|" && inTable) ? "?" : $0) })
    }

    /// Escapes text that comes from the capture so it cannot break the Markdown around it.
    static func escape(_ s: String) -> String {
        var out = ""
        for ch in s {
            switch ch {
            case "|", "*", "_", "`", "<", ">", "[", "]", "\\": out.append("\\"); out.append(ch)
            case "\n", "\r": out.append(" ")
            default: out.append(ch)
            }
        }
        return out
    }
}
