/// Human-friendly numbers for reports and findings, one rounding everywhere (half away from zero), without
/// Foundation's locale machinery (stable golden files).
public enum NumberFormatting {
    /// 1488310 -> "1,488,310".
    public static func grouped<T: BinaryInteger>(_ value: T) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return value < 0 ? "-" + out : out
    }

    /// Fixed decimals, rounded half away from zero.
    public static func fixed(_ value: Double, _ decimals: Int) -> String {
        guard value.isFinite else { return "-" }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        let integer = Int64(scaled / scale)
        var fraction = Int64(scaled) - integer * Int64(scale)
        var text = grouped(integer)
        if decimals > 0 {
            var f = ""
            for _ in 0..<decimals {
                f = String(fraction % 10) + f
                fraction /= 10
            }
            text += "." + f
        }
        return (value < 0 && scaled != 0 ? "-" : "") + text
    }

    /// A number with the decimals it needs (at most 3): 2 -> "2", 0.5 -> "0.5".
    public static func trimmed(_ value: Double) -> String {
        var text = fixed(value, 3)
        guard text.contains(".") else { return text }
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    /// Bytes with binary-free SI units, as operators read them: "812 B", "1.2 kB", "145.2 MB".
    public static func bytes(_ value: Int64) -> String { bytes(Double(value)) }

    public static func bytes(_ v: Double) -> String {
        if v < 1000 { return fixed(v, 0) + " B" }
        if v < 1e6 { return fixed(v / 1e3, 1) + " kB" }
        if v < 1e9 { return fixed(v / 1e6, 1) + " MB" }
        return fixed(v / 1e9, 2) + " GB"
    }

    /// A duration given in microseconds: "38 µs", "2.1 ms", "1.25 s".
    public static func micros(_ value: Double) -> String {
        if value < 10 { return fixed(value, 1) + " µs" }
        if value < 1000 { return fixed(value, 0) + " µs" }
        if value < 1_000_000 { return fixed(value / 1000, value < 10_000 ? 2 : 1) + " ms" }
        return fixed(value / 1_000_000, 2) + " s"
    }

    /// A duration in seconds, with the digits it has: "406 µs", "1.41 ms", "36.2 ms", "2.06 s", "2.5 min".
    public static func seconds(_ value: Double) -> String {
        if value < 0.001 { return fixed(value * 1e6, 0) + " µs" }
        if value < 0.01 { return fixed(value * 1000, 2) + " ms" }
        if value < 1 { return fixed(value * 1000, 1) + " ms" }
        if value < 120 { return fixed(value, value < 10 ? 2 : 1) + " s" }
        return fixed(value / 60, 1) + " min"
    }

    public static func percent(_ part: Int, of whole: Int) -> String {
        percent(Double(part), of: Double(whole))
    }

    /// A share as a percentage: one decimal under 10%, none above.
    public static func percent(_ part: Double, of whole: Double) -> String {
        guard whole > 0 else { return "0%" }
        let p = part * 100 / whole
        return (p < 10 ? fixed(p, 1) : fixed(p, 0)) + "%"
    }

    /// At most `places` decimals, as `fixed`, except that a whole number of 100 or more is written without them
    /// ("1,303", "5.6", "0.50"): the precision findings quote their figures with.
    public static func decimal(_ value: Double, _ places: Int = 1) -> String {
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let rounded = (value * scale).rounded() / scale
        if places == 0 || rounded == rounded.rounded() && abs(rounded) >= 100 { return grouped(Int64(rounded.rounded())) }
        return fixed(value, places)
    }

    /// 49600 -> "49.6k".
    public static func rate(_ value: Double) -> String {
        if value < 1000 { return fixed(value, value < 10 ? 1 : 0) }
        if value < 1e6 { return fixed(value / 1e3, 1) + "k" }
        return fixed(value / 1e6, 2) + "M"
    }
}
