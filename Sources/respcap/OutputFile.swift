#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One path respcap writes (`-o`, `--events`, `--write`, a chart of `--svg`), opened before any input is read.
///
/// - `-` is standard output; `/dev/stdout`, `/dev/stderr`, `/dev/fd/N` and `/proc/self/fd/N` write to that descriptor.
/// - Devices, FIFOs and sockets are opened and written through (a FIFO's open waits for its reader).
/// - A symbolic link is followed: its target is written, the link stays.
/// - A regular file (or a new one) is replaced atomically: the output goes to a temporary beside it, created with
///   `O_EXCL|O_NOFOLLOW` (a planted file or link there is never followed), that takes the replaced file's mode and
///   owner and is renamed over it on `commit()`. Until then the existing file is untouched; `discard()` removes the
///   temporary. A file that has other hard links, or whose owner cannot be kept, is rewritten in place on commit.
final class OutputFile {
    enum Destination {
        /// An inherited descriptor (standard output, `/dev/fd/N`); not closed.
        case inherited
        /// A device, FIFO or socket opened for writing; closed on commit.
        case opened
        /// A temporary at `temporary` standing in for `target`.
        case replacement(temporary: String, target: String, inPlace: Bool, mode: mode_t, owner: (uid_t, gid_t)?)
    }

    /// What the output is for, as messages name it: "report", "events", "packets", "chart".
    let role: String
    /// The path as given.
    let path: String
    let destination: Destination
    /// The descriptor to write to.
    let descriptor: Int32
    /// Device and inode of what is written, when it exists already (to refuse writing over an input).
    let identity: FileIdentity?
    /// Whether the descriptor is standard output.
    let isStandardOutput: Bool
    let isCharacterDevice: Bool
    private var finished = false

    private init(role: String, path: String, destination: Destination, descriptor: Int32, identity: FileIdentity?,
                 isStandardOutput: Bool, isCharacterDevice: Bool) {
        self.role = role
        self.path = path
        self.destination = destination
        self.descriptor = descriptor
        self.identity = identity
        self.isStandardOutput = isStandardOutput
        self.isCharacterDevice = isCharacterDevice
    }

    deinit { if !finished { discard() } }

    /// The file a symbolic link chain ends at, or at which it would be created; `path` when it is not a link. A chain
    /// that reaches a named descriptor (`/dev/stdout`, `/proc/self/fd/1`) ends there.
    static func resolvingLinks(_ path: String) throws(OutputError) -> String {
        var current = path
        for _ in 0..<40 {
            if namedDescriptor(current) != nil { return current }
            var st = stat()
            guard lstat(current, &st) == 0, (st.st_mode & S_IFMT) == S_IFLNK else { return current }
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let length = readlink(current, &buffer, buffer.count - 1)
            guard length >= 0 else { throw OutputError(path: path, reason: String(cString: strerror(errno))) }
            let target = String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            current = target.hasPrefix("/") ? target : directory(of: current) + "/" + target
        }
        throw OutputError(path: path, reason: "too many levels of symbolic links")
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// The descriptor a path names directly (`-`, `/dev/stdout`, `/dev/fd/N`...), or nil.
    static func namedDescriptor(_ path: String) -> Int32? {
        switch path {
        case "-", "/dev/stdout": return 1
        case "/dev/stderr": return 2
        default:
            for prefix in ["/dev/fd/", "/proc/self/fd/"] where path.hasPrefix(prefix) {
                return Int32(path.dropFirst(prefix.count))
            }
            return nil
        }
    }

    /// Opens `path` for writing as described above. Nothing existing is changed. A new file gets `newFileMode`, or
    /// 0666 less the umask when nil; a replaced file keeps its own mode.
    static func open(_ path: String, role: String, newFileMode: mode_t? = nil) throws(OutputError) -> OutputFile {
        guard !path.isEmpty else { throw OutputError(path: path, reason: "empty path") }
        let target = path == "-" ? path : try resolvingLinks(path)
        if let fd = namedDescriptor(target) {
            var st = stat()
            guard fd >= 0, fstat(fd, &st) == 0 else {
                throw OutputError(path: path, reason: "descriptor \(fd) is not open")
            }
            return OutputFile(role: role, path: path, destination: .inherited, descriptor: fd,
                              identity: FileIdentity(st), isStandardOutput: fd == 1,
                              isCharacterDevice: (st.st_mode & S_IFMT) == S_IFCHR)
        }
        var st = stat()
        let exists = stat(target, &st) == 0
        if !exists && errno != ENOENT { throw OutputError(path: path, reason: String(cString: strerror(errno))) }
        let kind = st.st_mode & S_IFMT
        if exists && kind == S_IFDIR { throw OutputError(path: path, reason: "is a directory") }
        if exists && kind != S_IFREG {
            // Written through: a device, a FIFO (waits for its reader, as tcpdump -w does), a socket.
            let fd = Glibc.open(target, O_WRONLY | O_NOCTTY | O_CLOEXEC)
            guard fd >= 0 else { throw OutputError(path: path, reason: String(cString: strerror(errno))) }
            var opened = stat()
            _ = fstat(fd, &opened)
            return OutputFile(role: role, path: path, destination: .opened, descriptor: fd, identity: FileIdentity(opened),
                              isStandardOutput: false, isCharacterDevice: (opened.st_mode & S_IFMT) == S_IFCHR)
        }
        return try openReplacement(path: path, target: target, existing: exists ? st : nil, role: role,
                                   newFileMode: newFileMode)
    }

    private static func openReplacement(path: String, target: String, existing: stat?, role: String,
                                        newFileMode: mode_t?) throws(OutputError) -> OutputFile {
        let directory = directory(of: target)
        var dirStat = stat()
        guard stat(directory, &dirStat) == 0 else {
            throw OutputError(path: path, reason: "directory \(directory): \(String(cString: strerror(errno)))")
        }
        var mode: mode_t
        var owner: (uid_t, gid_t)?
        var inPlace = false
        if let existing {
            mode = existing.st_mode & 0o7777
            if existing.st_uid != geteuid() || existing.st_gid != getegid() { owner = (existing.st_uid, existing.st_gid) }
            // Renaming over a file with other names would split it from them; another user's file keeps its owner
            // only if we may give it back (root).
            inPlace = existing.st_nlink > 1 || (owner != nil && geteuid() != 0)
            if inPlace {
                // Fail now, not after the run, when the file cannot be written.
                let probe = Glibc.open(target, O_WRONLY | O_NOFOLLOW | O_CLOEXEC)
                guard probe >= 0 else { throw OutputError(path: path, reason: String(cString: strerror(errno))) }
                Glibc.close(probe)
            }
        } else if let newFileMode {
            mode = newFileMode
        } else {
            let mask = umask(0)
            umask(mask)
            mode = 0o666 & ~mask
        }
        let base = target.split(separator: "/").last.map(String.init) ?? "output"
        for attempt in 0..<100 {
            let temporary = directory + "/." + base + ".respcap-\(getpid())-\(attempt).tmp"
            // 0600 while it is written: a report may hold key names the replaced file's mode did not show.
            let fd = Glibc.open(temporary, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            if fd >= 0 {
                var st = stat()
                _ = fstat(fd, &st)
                OutputFile.registry.add(temporary)
                return OutputFile(role: role, path: path,
                                  destination: .replacement(temporary: temporary, target: target, inPlace: inPlace,
                                                            mode: mode, owner: owner),
                                  descriptor: fd, identity: existing.map(FileIdentity.init), isStandardOutput: false,
                                  isCharacterDevice: false)
            }
            if errno != EEXIST { throw OutputError(path: path, reason: String(cString: strerror(errno))) }
        }
        throw OutputError(path: path, reason: "cannot create a temporary file in \(directory)")
    }

    /// Puts the output in place: renames the temporary over the target (with its mode and owner) or copies it into
    /// the target, or closes a device. Throws why it could not.
    func commit() throws(OutputError) {
        guard !finished else { return }
        finished = true
        switch destination {
        case .inherited:
            return
        case .opened:
            if Glibc.close(descriptor) != 0 { throw OutputError(path: path, reason: String(cString: strerror(errno))) }
        case .replacement(let temporary, let target, let inPlace, let mode, let owner):
            defer { OutputFile.registry.remove(temporary) }
            var failure: String?
            if fchmod(descriptor, mode) != 0 { failure = String(cString: strerror(errno)) }
            var copyInPlace = inPlace
            if failure == nil, !inPlace, let (uid, gid) = owner, fchown(descriptor, uid, gid) != 0 { copyInPlace = true }
            if failure == nil && copyInPlace { failure = Self.copy(from: descriptor, to: target) }
            if Glibc.close(descriptor) != 0 && failure == nil { failure = String(cString: strerror(errno)) }
            if failure == nil && !copyInPlace && rename(temporary, target) != 0 { failure = String(cString: strerror(errno)) }
            if failure != nil || copyInPlace { unlink(temporary) }
            if let failure { throw OutputError(path: path, reason: failure) }
        }
    }

    /// Whether anything was written to a temporary (by this process or another one sharing the descriptor); true
    /// for the other destinations, where it cannot be told.
    var hasContent: Bool {
        guard case .replacement = destination else { return true }
        var st = stat()
        return fstat(descriptor, &st) != 0 || st.st_size > 0
    }

    /// Removes the temporary (the target stays as it was) or closes a device.
    func discard() {
        guard !finished else { return }
        finished = true
        switch destination {
        case .inherited:
            return
        case .opened:
            Glibc.close(descriptor)
        case .replacement(let temporary, _, _, _, _):
            Glibc.close(descriptor)
            unlink(temporary)
            OutputFile.registry.remove(temporary)
        }
    }

    /// Rewrites `target` with the temporary's bytes (the target keeps its inode, links, mode and owner).
    private static func copy(from source: Int32, to target: String) -> String? {
        let fd = Glibc.open(target, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return String(cString: strerror(errno)) }
        defer { Glibc.close(fd) }
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var offset: off_t = 0
        while true {
            let n = buffer.withUnsafeMutableBytes { pread(source, $0.baseAddress, $0.count, offset) }
            if n < 0 { if errno == EINTR { continue }; return String(cString: strerror(errno)) }
            if n == 0 { return nil }
            var written = 0
            while written < n {
                let w = buffer.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, n - written) }
                if w < 0 { if errno == EINTR { continue }; return String(cString: strerror(errno)) }
                written += w
            }
            offset += off_t(n)
        }
    }

    /// Temporaries not yet committed or discarded, so a process that must exit at once (a second ^C) leaves none.
    static let registry = TemporaryRegistry()
}

/// Why an output cannot be opened or put in place.
struct OutputError: Error {
    let path: String
    let reason: String
}

/// A file's device and inode: two paths with the same identity are the same file.
struct FileIdentity: Equatable {
    let device: UInt64
    let inode: UInt64

    init(_ st: stat) {
        device = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
    }

    /// The identity of what `path` names now (following links), or nil when it does not exist.
    static func of(path: String) -> FileIdentity? {
        var st = stat()
        return stat(path, &st) == 0 ? FileIdentity(st) : nil
    }
}

/// Paths of temporaries in use, for removal on an immediate exit. Guarded by a mutex (signals are handled on a
/// queue of their own).
final class TemporaryRegistry: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private var paths: Set<String> = []

    init() { pthread_mutex_init(mutex, nil) }

    func add(_ path: String) { locked { paths.insert(path) } }
    func remove(_ path: String) { locked { paths.remove(path) } }

    /// Removes every temporary still registered.
    func removeAll() {
        locked {
            for path in paths { unlink(path) }
            paths.removeAll()
        }
    }

    private func locked(_ body: () -> Void) {
        pthread_mutex_lock(mutex)
        body()
        pthread_mutex_unlock(mutex)
    }
}
