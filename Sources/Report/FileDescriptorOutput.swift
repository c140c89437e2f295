#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Bytes written to a file descriptor (standard output or a file respcap created). A write error (disk full, a
/// closed pipe) is kept and later writes are skipped, so the caller can report it once instead of crashing.
public final class FileDescriptorOutput {
    public let descriptor: Int32
    private let ownsDescriptor: Bool
    /// The first write error, as strerror says it.
    public private(set) var failure: String?

    /// Standard output; never closed by `close()`.
    public static func standardOutput() -> FileDescriptorOutput { FileDescriptorOutput(descriptor: 1, owns: false) }

    private init(descriptor: Int32, owns: Bool) {
        self.descriptor = descriptor
        self.ownsDescriptor = owns
    }

    /// Creates (or truncates) `path` for writing; nil with the reason when it cannot.
    public static func create(path: String) -> Result<FileDescriptorOutput, CreateError> {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return .failure(CreateError(reason: String(cString: strerror(errno)))) }
        return .success(FileDescriptorOutput(descriptor: fd, owns: true))
    }

    public struct CreateError: Error {
        public let reason: String
    }

    public func write(_ bytes: UnsafeRawBufferPointer) {
        guard failure == nil, var next = bytes.baseAddress else { return }
        var left = bytes.count
        while left > 0 {
            let n = Glibc.write(descriptor, next, left)
            if n < 0 {
                if errno == EINTR { continue }
                failure = String(cString: strerror(errno))
                return
            }
            next += n
            left -= n
        }
    }

    public func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { write($0) }
    }

    public func write(_ text: String) {
        var text = text
        text.withUTF8 { write(UnsafeRawBufferPointer($0)) }
    }

    public func close() {
        if ownsDescriptor, Glibc.close(descriptor) != 0, failure == nil { failure = String(cString: strerror(errno)) }
    }
}
