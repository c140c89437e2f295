/// Why a report could not be read: a small struct around a code, with the file it concerns.
public struct ReportLoadError: Error, Sendable, CustomStringConvertible {
    public enum Code: Sendable, Equatable {
        /// The file cannot be opened or read.
        case unreadable
        /// Starts like JSON but does not parse.
        case invalidJSON
        /// JSON, but not a respcap report (no or another schema, missing fields).
        case notAReport
        case unsupportedSchema
        /// Not JSON, and the capture analysis failed.
        case capture
        /// The reports cannot be combined.
        case incompatible
    }

    public let code: Code
    public let source: String
    public let message: String

    public init(_ code: Code, _ source: String, _ message: String) {
        self.code = code
        self.source = source
        self.message = message
    }

    public var description: String { message.hasPrefix(source + ":") ? message : "\(source): \(message)" }
}
