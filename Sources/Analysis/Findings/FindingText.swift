/// Number formatting for finding texts (the Report module formats the rest of the report; findings are written here
/// because their evidence is part of the JSON too).
enum FindingText {
    static func count<T: BinaryInteger>(_ value: T) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return value < 0 ? "-" + out : out
    }

    static func decimal(_ value: Double, _ places: Int = 1) -> String {
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let rounded = (value * scale).rounded() / scale
        if places == 0 || rounded == rounded.rounded() && abs(rounded) >= 100 { return count(Int64(rounded.rounded())) }
        let whole = Int64(rounded)
        let fraction = Int64((abs(rounded - Double(whole)) * scale).rounded())
        var f = String(fraction)
        while f.count < places { f = "0" + f }
        return (rounded < 0 && whole == 0 ? "-" : "") + count(whole) + "." + f
    }

    static func percent(_ part: Double, of whole: Double) -> String {
        guard whole > 0 else { return "0%" }
        let p = part * 100 / whole
        return decimal(p, p < 10 ? 1 : 0) + "%"
    }

    static func micros(_ value: Double) -> String {
        if value < 1000 { return decimal(value, value < 10 ? 1 : 0) + " µs" }
        if value < 1_000_000 { return decimal(value / 1000, value < 10_000 ? 2 : 1) + " ms" }
        return decimal(value / 1_000_000, 2) + " s"
    }

    static func bytes(_ value: Double) -> String {
        if value < 1000 { return decimal(value, 0) + " B" }
        if value < 1e6 { return decimal(value / 1e3, 1) + " kB" }
        if value < 1e9 { return decimal(value / 1e6, 1) + " MB" }
        return decimal(value / 1e9, 2) + " GB"
    }
}
