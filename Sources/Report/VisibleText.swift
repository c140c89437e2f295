/// Characters that act instead of showing — line breaks, terminal escapes, bidirectional overrides — written as
/// visible escapes (`\n`, `\x1b`, `\u{202e}`), so text from a capture can neither start a line of a report nor
/// reorder or hide what is around it. Everything else passes unchanged.
public enum VisibleText {
    /// The escape for `scalar`, or nil when it shows as itself.
    public static func escape(_ scalar: Unicode.Scalar) -> String? {
        switch scalar.value {
        case 0x0A: return "\\n"
        case 0x0D: return "\\r"
        case 0x09: return "\\t"
        case 0x00..<0x20, 0x7F: return "\\x" + hex(scalar.value, digits: 2)
        default: return acts(scalar) ? "\\u{" + hex(scalar.value, digits: 1) + "}" : nil
        }
    }

    /// True for the characters `escape` rewrites.
    public static func acts(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00..<0x20, 0x7F...0x9F: return true
        // Line and paragraph separators; Arabic letter mark and the bidirectional marks, embeddings, overrides and
        // isolates; the two non-characters XML forbids.
        case 0x2028, 0x2029, 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069, 0xFFFE, 0xFFFF: return true
        default: return false
        }
    }

    /// `text` with every acting character escaped, and each other scalar that `replacement` names replaced (the
    /// escaping of a context: XML entities, Mermaid's entity codes).
    public static func escaping(_ text: String, replacing replacement: (Unicode.Scalar) -> String? = { _ in nil }) -> String {
        guard text.unicodeScalars.contains(where: { acts($0) || replacement($0) != nil }) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            if let escaped = escape(scalar) ?? replacement(scalar) { out += escaped } else { out.unicodeScalars.append(scalar) }
        }
        return out
    }

    private static func hex(_ value: UInt32, digits: Int) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }
}
