import Analysis
import Findings
import Capture
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs a `TrafficAnalyzer` over capture files read in order as one capture (e.g. `tcpdump -C`/`-G` rotations).
public struct CaptureAnalyzer {
    /// Progress of a run, for a progress bar: bytes of the current file consumed and its size when known.
    public struct Progress: Sendable {
        public var fileIndex: Int
        public var fileCount: Int
        public var path: String
        public var bytesConsumed: Int64
        public var fileSize: Int64?
        public var packets: Int
    }

    public let options: AnalysisOptions
    public var progressInterval = 65_536
    /// Threads: 1 does everything on the calling thread; 2 (or more) runs the analyses on a second thread
    /// (`AnalysisWorker`) while the calling thread reads, reassembles and decodes. The report is the same either way.
    public var threads = 1
    /// Set (e.g. on SIGINT) to stop reading and report what was read: `quality.interrupted` and a warning say so.
    public var interruption: StopFlag?

    public init(options: AnalysisOptions) { self.options = options }

    static let supportedLinkTypeNames: Set<String> = Set(
        [LinkType.null, .ethernet, .raw, .loop, .linuxSLL, .ipv4, .ipv6, .linuxSLL2].map(\.description))

    /// Analyses `paths` ("-" is standard input). A file that cannot be opened at all is an error; a file that ends
    /// mid-record still contributes what was read and marks the report truncated (with a warning).
    /// `extraAnalyses` observe the same stream (e.g. an NDJSON event writer).
    public func analyze(paths given: [String], extraAnalyses: [any TrafficAnalysis] = [],
                        progress: ((Progress) -> Void)? = nil) throws(CaptureError) -> AnalysisReport {
        // A file named twice would be read twice: every packet again, its TCP data taken for retransmissions.
        let (paths, repeated) = Self.distinctFiles(given)
        let analyzer = try TrafficAnalyzer(options: options, analyses: extraAnalyses, analysisThread: threads > 1)
        var formats: [String] = []
        var totalBytes: Int64 = 0
        var truncation: String?
        var warnings: [String] = []
        var interruptedIn: String?
        try analyzeFiles(paths: paths, analyzer: analyzer, formats: &formats, totalBytes: &totalBytes,
                         truncation: &truncation, warnings: &warnings, interruptedIn: &interruptedIn, progress: progress)
        if let interruptedIn {
            let label = interruptedIn == "-" ? "standard input" : interruptedIn
            warnings.append("interrupted while reading \(label): the report covers the \(analyzer.packets) packets read")
        }
        var report = analyzer.finish()
        if let unsupported = report.quality.packetsSkipped["unsupportedLinkType"], unsupported > 0 {
            let names = report.capture.linkTypes.filter { !Self.supportedLinkTypeNames.contains($0) }
            let message = "unsupported link type \(names.joined(separator: ", ")) (\(unsupported) packets); respcap reads "
                + "Ethernet, Linux cooked (SLL, SLL2), NULL/LOOP and raw IP captures"
            if report.quality.tcpSegments == 0 && report.capture.packets == unsupported {
                throw CaptureError(.unsupported, "\(paths.joined(separator: ", ")): \(message)")
            }
            warnings.append(message)
        }
        report.capture.files = paths
        report.capture.formats = formats
        report.capture.bytes = totalBytes
        report.quality.interrupted = interruptedIn != nil ? true : nil
        if let truncation {
            report.quality.truncated = true
            report.quality.truncationMessage = truncation
        }
        report.warnings += repeated.map { "\($0) is given more than once: it is read once" }
        report.warnings += warnings
        report.quality.verdict = QualityVerdict.verdict(for: report)
        report.findings = FindingRules.evaluate(report, thresholds: options.thresholds)
        return report
    }

    /// `paths` without the files already named (the same file under another name too: same device and inode),
    /// and the names left out. Standard input and files that cannot be examined are kept as given.
    static func distinctFiles(_ paths: [String]) -> (paths: [String], repeated: [String]) {
        var seen = Set<[UInt64]>()
        var kept: [String] = []
        var repeated: [String] = []
        for path in paths {
            var info = stat()
            guard path != "-", stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
                kept.append(path)
                continue
            }
            if seen.insert([UInt64(info.st_dev), UInt64(info.st_ino)]).inserted {
                kept.append(path)
            } else {
                repeated.append(path)
            }
        }
        return (kept, repeated)
    }

    private func analyzeFiles(paths: [String], analyzer: TrafficAnalyzer, formats: inout [String], totalBytes: inout Int64,
                               truncation: inout String?, warnings: inout [String], interruptedIn: inout String?,
                               progress: ((Progress) -> Void)?) throws(CaptureError) {
        for (index, path) in paths.enumerated() {
            let reader = try CaptureFileReader(path: path)
            reader.interruption = interruption
            // Packets are read where they lie in the reader's buffers, also while held for reordering.
            reader.beforeBufferChange = { analyzer.borrowedBytesWillChange($0) }
            reader.onDecryptionSecrets = { type, data in
                if type == CaptureFileReader.tlsKeyLogSecrets { analyzer.addTLSSecrets(Array(data)) }
            }
            formats.append(reader.format.rawValue)
            var count = 0
            do {
                while let packet = try reader.next() {
                    analyzer.process(borrowing: packet)
                    count += 1
                    if let progress, count % progressInterval == 0 {
                        progress(Progress(fileIndex: index, fileCount: paths.count, path: path,
                                          bytesConsumed: reader.bytesConsumed, fileSize: reader.fileSize,
                                          packets: analyzer.packets))
                    }
                }
            } catch {
                try Self.noteReadFailure(error, count: count, truncation: &truncation, warnings: &warnings)
            }
            totalBytes += reader.bytesConsumed
            if reader.interrupted {
                interruptedIn = path
                return
            }
        }
    }

    private static func noteReadFailure(_ error: CaptureError, count: Int, truncation: inout String?,
                                        warnings: inout [String]) throws(CaptureError) {
        if error.kind == .truncated || error.kind == .corrupt || error.kind == .io {
            truncation = error.message
            warnings.append("\(error.message); the report covers the \(count) packets read before it")
        } else {
            throw error
        }
    }
}
