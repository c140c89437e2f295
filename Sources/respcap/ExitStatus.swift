import ArgumentParser

/// respcap's documented exit codes (also in the README and `--help`).
enum ExitStatus {
    static let success = ExitCode(0)
    /// The input cannot be used at all: missing file, not a capture, unsupported format, bad filter.
    static let inputError = ExitCode(2)
    /// A report was written, but the capture was truncated or damaged (it covers what was read).
    static let partialInput = ExitCode(3)
    /// Writing the report failed.
    static let outputError = ExitCode(4)
    /// `live`: a report was written, but packets were dropped (by the kernel, the interface, or not analysed).
    static let captureDrops = ExitCode(5)
    /// The command line asks for something respcap refuses: bad options, or outputs that would overwrite an input
    /// or each other.
    static let usageError = ExitCode(64)
    /// A report was written, but nothing could be read from the capture: no packets, none on the Redis ports, or all
    /// cut before their payload (`quality.reason` says which, and what to do).
    static let unusableCapture = ExitCode(6)
}
