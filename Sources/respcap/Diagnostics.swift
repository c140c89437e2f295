#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Errors, warnings and progress go to stderr, one clear line each; reports go to stdout or -o.
enum Diagnostics {
    static func error(_ message: String) { write("respcap: error: \(message)\n") }
    static func warning(_ message: String) { write("respcap: warning: \(message)\n") }

    static func write(_ text: String) {
        var text = text
        text.withUTF8 { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = Glibc.write(2, buffer.baseAddress! + offset, buffer.count - offset)
                if n <= 0 { return }
                offset += n
            }
        }
    }
}
