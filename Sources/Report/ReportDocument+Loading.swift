import Analysis
import Pipeline
import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension ReportDocument {
    /// Reads `path` as a JSON report when its content starts with `{` (after blanks), otherwise analyses it as a
    /// capture with `options` (as `respcap analyze` would). "-" is standard input, read as a capture.
    public static func load(path: String, options: AnalysisOptions,
                            progress: ((CaptureAnalyzer.Progress) -> Void)? = nil) throws(ReportLoadError) -> ReportDocument {
        if path == "-", let document = try standardInputReport() { return document }
        if path != "-" {
            guard let file = fopen(path, "rb") else {
                let exists = FileManager.default.fileExists(atPath: path)
                throw ReportLoadError(.unreadable, path, exists ? "cannot read the file" : "no such file")
            }
            var prefix = [UInt8](repeating: 0, count: 64)
            let count = fread(&prefix, 1, prefix.count, file)
            fclose(file)
            if looksLikeJSON(Data(prefix[..<count])) {
                guard let data = FileManager.default.contents(atPath: path) else {
                    throw ReportLoadError(.unreadable, path, "cannot read the file")
                }
                return try ReportDocument(jsonData: data, label: path)
            }
        }
        let report: AnalysisReport
        do {
            report = try CaptureAnalyzer(options: options).analyze(paths: [path], progress: progress)
        } catch {
            throw ReportLoadError(.capture, path, "\(error) (and it is not a JSON report: those start with '{')")
        }
        return try ReportDocument(report: report, label: path)
    }

    /// Standard input as a JSON report when it starts with `{` (after blanks other than line ends, which open a
    /// pcapng file); nil when it is a capture, with standard input left to read from its first byte: rewound when it
    /// is a file, else replaced by a pipe that replays the bytes looked at and then relays the rest.
    static func standardInputReport() throws(ReportLoadError) -> ReportDocument? {
        var prefix: [UInt8] = []
        var byte: UInt8 = 0
        while prefix.count < 64, read(0, &byte, 1) == 1 {
            prefix.append(byte)
            if byte != UInt8(ascii: " ") && byte != UInt8(ascii: "\t") { break }
        }
        if prefix.last == UInt8(ascii: "{") {
            var data = Data(prefix)
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let n = read(0, &chunk, chunk.count)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                data.append(contentsOf: chunk[..<n])
            }
            return try ReportDocument(jsonData: data, label: "-")
        }
        if prefix.isEmpty || lseek(0, 0, SEEK_SET) == 0 { return nil }
        replayStandardInput(prefix)
        return nil
    }

    private static func replayStandardInput(_ prefix: [UInt8]) {
        var ends: [Int32] = [0, 0]
        let original = dup(0)
        guard original >= 0, pipe(&ends) == 0, dup2(ends[0], 0) == 0 else { return }
        close(ends[0])
        let writeEnd = ends[1]
        DispatchQueue(label: "respcap.stdin-replay").async {
            var buffer = prefix
            func send(_ count: Int) -> Bool {
                var sent = 0
                while sent < count {
                    let n = buffer.withUnsafeBytes { write(writeEnd, $0.baseAddress! + sent, count - sent) }
                    if n < 0 && errno == EINTR { continue }
                    if n <= 0 { return false }
                    sent += n
                }
                return true
            }
            if send(buffer.count) {
                buffer = [UInt8](repeating: 0, count: 1 << 16)
                while true {
                    let n = read(original, &buffer, buffer.count)
                    if n < 0 && errno == EINTR { continue }
                    if n <= 0 || !send(n) { break }
                }
            }
            close(writeEnd)
            close(original)
        }
    }
}
