import Analysis
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
}
