/// Text the renderers did not write themselves — command names, keys and prefixes, error codes, client names and
/// addresses, file names, anything read from a capture or a JSON report — made safe to put into Markdown. Whatever
/// it holds, it stays inside the line, cell and span it was put in: it cannot start a heading, list, quote, table
/// row, code fence or HTML, cannot add a table cell, and reads back as it came (control characters shown as `\n`,
/// `\x1b`...; see `VisibleText`). Every such string goes through one of these functions.
public enum MarkdownText {
    /// `text` as a code span. The fence is one backtick longer than the longest run inside, so no backtick ends it
    /// early. In a table cell `|` becomes `\|`: GitHub splits cells before it reads code spans, and honours `\|` in
    /// both. Code spans show `<`, `&` and backslashes as they are, so nothing else needs escaping.
    public static func code(_ text: String, inTable: Bool = false) -> String {
        var content = ""
        var longestRun = 0
        var run = 0
        for scalar in text.unicodeScalars {
            run = scalar == "`" ? run + 1 : 0
            longestRun = max(longestRun, run)
            if let escaped = VisibleText.escape(scalar) {
                content += escaped
            } else if inTable && scalar == "|" {
                content += "\\|"
            } else {
                content.unicodeScalars.append(scalar)
            }
        }
        // An empty span (two backticks) would be a backtick run waiting for a partner; a space shows nothing too.
        guard let first = content.unicodeScalars.first, let last = content.unicodeScalars.last else { return "` `" }
        // Markdown strips one space from each end when both ends have one (so that a span can start or end with a
        // backtick); pad so that what it strips is the padding.
        let pad = first == "`" || last == "`"
            || (first == " " && last == " " && content.unicodeScalars.contains { $0 != " " })
        let fence = String(repeating: "`", count: longestRun + 1)
        return pad ? fence + " " + content + " " + fence : fence + content + fence
    }

    /// `text` as plain words: Markdown punctuation is backslash-escaped (`\*`, `\|`, `` \` ``...), `<`, `>` and `&`
    /// become entities, and a start that would open a block (`#`, `-`, `+`, `1.`, leading spaces) is escaped, so the
    /// text can also begin a list item. Safe in a table cell as it is.
    public static func text(_ text: String) -> String {
        var out = ""
        appendText(Array(text.unicodeScalars)[...], startsLine: true, to: &out)
        return out
    }

    /// Text a finding rule wrote: its own words, with names from the capture in code spans (`` `key` ``) and, for
    /// some, in the words too (`MOVED`, `GET`). The spans are found as Markdown finds them; each is rewritten with
    /// `code` and the words between with `text`, so a name that holds backticks may change how the text is split
    /// into spans, never the structure around it.
    public static func ruleText(_ text: String, inTable: Bool = false) -> String {
        let scalars = Array(text.unicodeScalars)
        var out = ""
        var wordsStart = 0
        var i = 0
        while i < scalars.count {
            guard scalars[i] == "`" else { i += 1; continue }
            let run = backtickRun(scalars, at: i)
            guard let close = closingRun(of: run, in: scalars, from: i + run) else {
                // No closing run: these backticks are words (escaped in them).
                i += run
                continue
            }
            appendText(scalars[wordsStart..<i], startsLine: wordsStart == 0, to: &out)
            out += code(String(String.UnicodeScalarView(scalars[(i + run)..<close])), inTable: inTable)
            i = close + run
            wordsStart = i
        }
        appendText(scalars[wordsStart...], startsLine: wordsStart == 0, to: &out)
        return out
    }

    /// A label inside a Mermaid chart's fenced block, to go between double quotes: one line (acting characters
    /// escaped), no double quote (Mermaid strings cannot escape one; it becomes `'`), and `#`, `%`, `<`, `>` as
    /// Mermaid entity codes, so a label cannot hold a directive (`%%{init...}%%`), an entity of its own, or HTML.
    public static func chartLabel(_ label: String) -> String {
        VisibleText.escaping(label) { scalar in
            switch scalar {
            case "\"": "'"
            case "#": "#35;"
            case "%": "#37;"
            case "<": "#lt;"
            case ">": "#gt;"
            default: nil
            }
        }
    }

    // MARK: - Plain text

    private static func appendText(_ scalars: ArraySlice<Unicode.Scalar>, startsLine: Bool, to out: inout String) {
        let start = scalars.startIndex
        for i in scalars.indices {
            let scalar = scalars[i]
            if let escaped = VisibleText.escape(scalar) {
                out += escaped
                continue
            }
            if startsLine && opensBlock(scalars, at: i) {
                // `# x`, `- x`, `+ x`, `1. x` or leading spaces would open a block where the text starts a line
                // (a list item's text does).
                out += scalar == " " ? "&#32;" : "\\" + String(scalar)
                continue
            }
            switch scalar {
            case "\\", "`", "*", "[", "]", "|", "~", "$":
                out += "\\"
                out.unicodeScalars.append(scalar)
            case "_":
                // Between two letters or digits `_` cannot open or close emphasis (`max_connections`).
                let inWord = i > start && i + 1 < scalars.endIndex && isASCIIAlphanumeric(scalars[i - 1])
                    && isASCIIAlphanumeric(scalars[i + 1])
                out += inWord ? "_" : "\\_"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            default:
                out.unicodeScalars.append(scalar)
            }
        }
    }

    /// True for the first scalar when it is `#`, `-`, `+` or a space, and for the `.` or `)` after 1-9 leading digits
    /// when a space, tab or the end follows (`1. x`).
    private static func opensBlock(_ scalars: ArraySlice<Unicode.Scalar>, at i: Int) -> Bool {
        let start = scalars.startIndex
        let scalar = scalars[i]
        if i == start { return scalar == "#" || scalar == "-" || scalar == "+" || scalar == " " }
        guard scalar == "." || scalar == ")", (1...9).contains(i - start),
              scalars[start..<i].allSatisfy({ $0.value >= 0x30 && $0.value <= 0x39 }) else { return false }
        return i + 1 == scalars.endIndex || scalars[i + 1] == " " || scalars[i + 1] == "\t"
    }

    private static func isASCIIAlphanumeric(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return true
        default: return false
        }
    }

    // MARK: - Code spans in rule text

    private static func backtickRun(_ scalars: [Unicode.Scalar], at start: Int) -> Int {
        var end = start
        while end < scalars.count && scalars[end] == "`" { end += 1 }
        return end - start
    }

    /// Where the next run of exactly `length` backticks at or after `from` starts.
    private static func closingRun(of length: Int, in scalars: [Unicode.Scalar], from: Int) -> Int? {
        var i = from
        while i < scalars.count {
            guard scalars[i] == "`" else { i += 1; continue }
            let run = backtickRun(scalars, at: i)
            if run == length { return i }
            i += run
        }
        return nil
    }
}
