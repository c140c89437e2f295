#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads pcap and pcapng files (or a pipe) natively, with one reusable buffer and no allocation per packet.
///
/// Native rather than libpcap because libpcap 1.10 rejects pcapng files whose interfaces have different link
/// types, and because we want to tell a clean end from a truncated record precisely.
/// pcap: both byte orders, micro- and nanosecond magics. pcapng: several sections (each resets its
/// interfaces), several interfaces with their own link types, `if_tsresol` and `if_tsoffset`, EPB, SPB and the
/// obsolete PB; other blocks are skipped.
public final class CaptureFileReader {
    public let path: String
    public private(set) var format: CaptureFileFormat = .pcap
    public private(set) var fileSize: Int64?
    public private(set) var packetsRead = 0
    public private(set) var snapLength: Int?
    /// Set (by a signal handler) to stop reading: a file stops at once, a pipe once its writer has closed it, has been
    /// quiet for a moment or `pipeGraceSeconds` have passed, so `tcpdump -w - | respcap analyze -` keeps the packets
    /// tcpdump flushes on the same ^C. Reading then ends as at a clean end of input, with `interrupted` set.
    public var interruption: StopFlag?
    /// Called with each pcapng Decryption Secrets Block (its secrets type, e.g. `tlsKeyLogSecrets`, and data) as the
    /// reader passes it, before the packets after it are returned.
    public var onDecryptionSecrets: ((UInt32, UnsafeRawBufferPointer) -> Void)?
    /// Called with memory the packets returned so far may point into, before it is overwritten or freed (a refill
    /// reuses the spare buffer, a record larger than the buffers replaces them, the reader goes): until then those
    /// packets' bytes stay valid, so a consumer that holds on to packets can keep pointing at them and copy here
    /// only the ones it still holds in that memory.
    public var beforeBufferChange: ((UnsafeRawBufferPointer) -> Void)?
    /// The secrets type of an NSS key log in a Decryption Secrets Block ("TLSK").
    public static let tlsKeyLogSecrets: UInt32 = 0x544C_534B
    /// Reading ended early because `interruption` was set.
    public private(set) var interrupted = false
    static let pipeGraceSeconds = 1.0
    static let pipeQuietMillis: Int32 = 300
    private var interruptionNoticed: Double?

    private let fd: Int32
    private let ownsDescriptor: Bool
    private var buffer: UnsafeMutableRawPointer
    /// The other buffer of the pair, as large: a refill moves what is left of `buffer` to its start and reads on
    /// there, so the packets returned from `buffer` keep their bytes until the refill after.
    private var spare: UnsafeMutableRawPointer
    private var capacity: Int
    private var start = 0       // first unconsumed byte in buffer
    private var end = 0         // one past the last valid byte
    private var eof = false
    private var failed = false
    private var consumedBeforeBuffer: Int64 = 0  // file offset of buffer[0]

    // pcap state
    private var swapped = false
    private var nanosecondPcap = false
    private var pcapLinkType = LinkType.ethernet

    // pcapng state
    private struct Interface {
        var linkType: LinkType
        var unitsPerSecond: UInt64   // timestamp resolution
        var offsetSeconds: Int64
    }
    private var interfaces: [Interface] = []
    private var lastTimestamp: Int64 = 0

    static let maxRecord = 256 << 20

    /// Opens `path`; "-" reads standard input (not seekable: `tcpdump -w - | respcap analyze -`).
    public convenience init(path: String, bufferSize: Int = 1 << 20) throws(CaptureError) {
        if path == "-" {
            try self.init(fileDescriptor: 0, name: "-", ownsDescriptor: false, bufferSize: bufferSize)
            return
        }
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            throw CaptureError(.cannotOpen, "\(path): cannot open: \(reason)")
        }
        var st = stat()
        if fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            throw CaptureError(.cannotOpen, "\(path): is a directory, not a capture file")
        }
        try self.init(fileDescriptor: fd, name: path, ownsDescriptor: true, bufferSize: bufferSize)
    }

    /// Reads an already open descriptor (a pipe, a socket, a file).
    public convenience init(fileDescriptor: Int32, name: String) throws(CaptureError) {
        try self.init(fileDescriptor: fileDescriptor, name: name, ownsDescriptor: false, bufferSize: 1 << 20)
    }

    private init(fileDescriptor: Int32, name: String, ownsDescriptor: Bool, bufferSize: Int) throws(CaptureError) {
        self.fd = fileDescriptor
        self.path = name
        self.ownsDescriptor = ownsDescriptor
        self.capacity = max(bufferSize, 65_536)
        self.buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 8)
        self.spare = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 8)
        var st = stat()
        if fstat(fileDescriptor, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG {
            fileSize = Int64(st.st_size)
        }
        // On failure the instance is released and deinit closes the descriptor and frees the buffers.
        try readHeader()
    }

    deinit {
        if ownsDescriptor { close(fd) }
        announceChange(of: buffer)
        announceChange(of: spare)
        buffer.deallocate()
        spare.deallocate()
    }

    /// Bytes of the file consumed so far (for progress).
    public var bytesConsumed: Int64 { consumedBeforeBuffer + Int64(start) }

    // MARK: - Buffer

    /// Makes at least `count` bytes available from `start`; false at end of input with fewer. Inlined up to the
    /// common case, bytes already buffered (twice per packet).
    @inline(__always)
    private func ensure(_ count: Int) throws(CaptureError) -> Bool {
        if end &- start >= count { return true }
        return try refill(count)
    }

    /// `ensure` when the buffer holds too few bytes.
    @inline(never)
    private func refill(_ count: Int) throws(CaptureError) -> Bool {
        if count > capacity {
            guard count <= Self.maxRecord + 64 else { return false }
            announceChange(of: buffer)
            announceChange(of: spare)
            let newCapacity = max(count, capacity * 2)
            let newBuffer = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 8)
            newBuffer.copyMemory(from: buffer + start, byteCount: end - start)
            buffer.deallocate()
            spare.deallocate()
            buffer = newBuffer
            spare = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 8)
            capacity = newCapacity
            consumedBeforeBuffer += Int64(start)
            end -= start
            start = 0
        } else if start > 0 && capacity - start < count {
            // The unconsumed tail goes to the front of the spare buffer, which becomes the one read into.
            let remaining = end - start
            announceChange(of: spare)
            if remaining > 0 { spare.copyMemory(from: buffer + start, byteCount: remaining) }
            swap(&buffer, &spare)
            consumedBeforeBuffer += Int64(start)
            start = 0
            end = remaining
        }
        while end - start < count && !eof {
            if let interruption {
                if stopsReading(interruption) {
                    interrupted = true
                    eof = true
                    break
                }
                // Wait for a pipe in short steps, so a stop is noticed while its writer is silent.
                if fileSize == nil && !isReadable(waitingMillis: interruption.isSet ? Self.pipeQuietMillis : 100) {
                    if interruption.isSet && interruptionNoticed != nil {
                        interrupted = true
                        eof = true
                        break
                    }
                    continue
                }
            }
            let n = read(fd, buffer + end, capacity - end)
            if n > 0 {
                end += n
            } else if n == 0 {
                eof = true
            } else if errno != EINTR {
                let reason = String(cString: strerror(errno))
                throw CaptureError(.io, "\(path): read error: \(reason)")
            }
        }
        return end - start >= count
    }

    private func announceChange(of memory: UnsafeMutableRawPointer) {
        beforeBufferChange?(UnsafeRawBufferPointer(start: memory, count: capacity))
    }

    private func stopsReading(_ interruption: StopFlag) -> Bool {
        guard interruption.isSet else { return false }
        if fileSize != nil { return true }
        let now = MonotonicClock.seconds()
        guard let noticed = interruptionNoticed else {
            interruptionNoticed = now
            return false
        }
        return now - noticed >= Self.pipeGraceSeconds
    }

    private func isReadable(waitingMillis: Int32) -> Bool {
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&descriptor, 1, waitingMillis)
        // An error from poll itself (other than EINTR) is left to read() to report.
        return ready > 0 || (ready < 0 && errno != EINTR)
    }

    private func u16(_ offset: Int, swapped s: Bool) -> UInt16 {
        let v = (buffer + start + offset).loadUnaligned(as: UInt16.self)
        return s ? v.byteSwapped : v
    }

    private func u32(_ offset: Int, swapped s: Bool) -> UInt32 {
        let v = (buffer + start + offset).loadUnaligned(as: UInt32.self)
        return s ? v.byteSwapped : v
    }

    // MARK: - Header

    private func readHeader() throws(CaptureError) {
        guard try ensure(4) else {
            throw CaptureError(.notACaptureFile, "\(path): empty or too short to be a capture file (\(end - start) bytes)")
        }
        let magic = u32(0, swapped: false)
        switch magic {
        case 0xA1B2_C3D4, 0xD4C3_B2A1, 0xA1B2_3C4D, 0x4D3C_B2A1:
            format = .pcap
            swapped = magic == 0xD4C3_B2A1 || magic == 0x4D3C_B2A1
            nanosecondPcap = magic == 0xA1B2_3C4D || magic == 0x4D3C_B2A1
            guard try ensure(24) else {
                throw CaptureError(.truncated, "\(path): truncated pcap file header (\(end - start) of 24 bytes)")
            }
            let major = u16(4, swapped: swapped)
            guard major == 2 else {
                throw CaptureError(.unsupported, "\(path): unsupported pcap version \(major).\(u16(6, swapped: swapped))")
            }
            snapLength = Int(u32(16, swapped: swapped))
            // The upper bits of the link-type field carry FCS information (pcap spec, "LinkType and additional
            // information"); the link type is the low 16 bits.
            pcapLinkType = LinkType(rawValue: u32(20, swapped: swapped) & 0xFFFF)
            start += 24
        case 0x0A0D_0D0A:
            format = .pcapng
            // The section header block is read by the record loop.
        default:
            throw CaptureError(.notACaptureFile, "\(path): not a pcap or pcapng file (starts with \(describeBytes()))")
        }
    }

    private func describeBytes() -> String {
        let n = min(8, end - start)
        var printable = true
        var text = ""
        var hex: [String] = []
        for i in 0..<n {
            let b = (buffer + start + i).load(as: UInt8.self)
            hex.append(String(b, radix: 16, uppercase: false).count == 1 ? "0" + String(b, radix: 16) : String(b, radix: 16))
            if b >= 0x20 && b < 0x7F { text.append(Character(UnicodeScalar(b))) } else { printable = false }
        }
        return printable ? "'\(text)'" : hex.joined(separator: " ")
    }

    // MARK: - Records

    /// Next packet, nil at a clean end. Throws `.truncated` when the input ends inside a record (earlier packets
    /// were all delivered) and `.corrupt` for impossible headers; after a throw, further calls return nil.
    public func next() throws(CaptureError) -> CapturedPacket? {
        guard !failed else { return nil }
        do {
            let packet = format == .pcap ? try nextPcap() : try nextPcapng()
            if packet != nil { packetsRead += 1 }
            return packet
        } catch {
            failed = true
            // Stopped inside a record: the packets before it are the capture that was read.
            if interrupted { return nil }
            throw error
        }
    }

    private func nextPcap() throws(CaptureError) -> CapturedPacket? {
        guard try ensure(16) else {
            if end - start == 0 { return nil }
            throw CaptureError(.truncated, "\(path): truncated record header at byte \(bytesConsumed) (\(end - start) of 16 bytes present)")
        }
        let seconds = Int64(u32(0, swapped: swapped))
        let fraction = Int64(u32(4, swapped: swapped))
        let caplen = Int(u32(8, swapped: swapped))
        let origlen = Int(u32(12, swapped: swapped))
        guard caplen <= Self.maxRecord else {
            throw CaptureError(.corrupt, "\(path): corrupt record at byte \(bytesConsumed): captured length \(caplen) is impossible")
        }
        guard try ensure(16 + caplen) else {
            throw CaptureError(.truncated, "\(path): truncated record at byte \(bytesConsumed) (header says \(caplen) bytes, \(end - start - 16) present)")
        }
        let nanos = seconds &* 1_000_000_000 &+ (nanosecondPcap ? fraction : fraction &* 1000)
        let bytes = UnsafeRawBufferPointer(start: buffer + start + 16, count: caplen)
        start += 16 + caplen
        return CapturedPacket(timestampNanos: nanos, linkType: pcapLinkType, originalLength: max(origlen, caplen), bytes: bytes)
    }

    private func nextPcapng() throws(CaptureError) -> CapturedPacket? {
        while true {
            guard try ensure(12) else {
                if end - start == 0 { return nil }
                throw CaptureError(.truncated, "\(path): truncated block header at byte \(bytesConsumed)")
            }
            var blockType = u32(0, swapped: swapped)
            if u32(0, swapped: false) == 0x0A0D_0D0A {
                // Section header: its byte-order magic decides the section's endianness.
                let bom = u32(8, swapped: false)
                if bom == 0x1A2B_3C4D { swapped = false } else if bom == 0x4D3C_2B1A { swapped = true } else {
                    throw CaptureError(.corrupt, "\(path): corrupt section header at byte \(bytesConsumed): bad byte-order magic")
                }
                blockType = 0x0A0D_0D0A
            }
            let length = Int(u32(4, swapped: swapped))
            guard length >= 12, length % 4 == 0, length <= Self.maxRecord else {
                throw CaptureError(.corrupt, "\(path): corrupt block at byte \(bytesConsumed): length \(length)")
            }
            guard try ensure(length) else {
                throw CaptureError(.truncated, "\(path): truncated block at byte \(bytesConsumed) (block says \(length) bytes, \(end - start) present)")
            }
            let bodyLength = length - 12
            switch blockType {
            case 0x0A0D_0D0A:
                interfaces.removeAll(keepingCapacity: true)
                start += length
            case 1:  // Interface description
                guard bodyLength >= 8 else {
                    throw CaptureError(.corrupt, "\(path): corrupt interface block at byte \(bytesConsumed)")
                }
                let link = LinkType(rawValue: UInt32(u16(8, swapped: swapped)))
                let snap = Int(u32(12, swapped: swapped))
                if snapLength == nil { snapLength = snap }
                var interface = Interface(linkType: link, unitsPerSecond: 1_000_000, offsetSeconds: 0)
                parseInterfaceOptions(from: 16, to: 8 + bodyLength, into: &interface)
                interfaces.append(interface)
                start += length
            case 6, 2:  // Enhanced packet, obsolete packet
                guard bodyLength >= 20 else {
                    throw CaptureError(.corrupt, "\(path): corrupt packet block at byte \(bytesConsumed)")
                }
                let interfaceID = blockType == 6 ? Int(u32(8, swapped: swapped)) : Int(u16(8, swapped: swapped))
                guard interfaceID < interfaces.count else {
                    throw CaptureError(.corrupt, "\(path): packet block at byte \(bytesConsumed) names interface \(interfaceID) of \(interfaces.count)")
                }
                let high = UInt64(u32(12, swapped: swapped))
                let low = UInt64(u32(16, swapped: swapped))
                let caplen = Int(u32(20, swapped: swapped))
                let origlen = Int(u32(24, swapped: swapped))
                guard caplen <= bodyLength - 20 else {
                    throw CaptureError(.corrupt, "\(path): packet block at byte \(bytesConsumed) claims \(caplen) bytes in a \(length)-byte block")
                }
                let interface = interfaces[interfaceID]
                let nanos = Self.nanos(ticks: high << 32 | low, interface)
                lastTimestamp = nanos
                let bytes = UnsafeRawBufferPointer(start: buffer + start + 28, count: caplen)
                start += length
                return CapturedPacket(timestampNanos: nanos, linkType: interface.linkType,
                                      originalLength: max(origlen, caplen), bytes: bytes)
            case 3:  // Simple packet: interface 0, no timestamp
                guard bodyLength >= 4, let interface = interfaces.first else {
                    throw CaptureError(.corrupt, "\(path): simple packet block at byte \(bytesConsumed) without an interface")
                }
                let origlen = Int(u32(8, swapped: swapped))
                var caplen = min(origlen, bodyLength - 4)
                if let snap = snapLength, snap > 0 { caplen = min(caplen, snap) }
                let bytes = UnsafeRawBufferPointer(start: buffer + start + 12, count: caplen)
                start += length
                return CapturedPacket(timestampNanos: lastTimestamp, linkType: interface.linkType,
                                      originalLength: origlen, bytes: bytes)
            case 10:  // Decryption secrets: type, length, data (`editcap --inject-secrets`)
                if bodyLength >= 8, let onDecryptionSecrets {
                    let secretsLength = Int(u32(12, swapped: swapped))
                    if secretsLength <= bodyLength - 8 {
                        onDecryptionSecrets(u32(8, swapped: swapped), UnsafeRawBufferPointer(start: buffer + start + 16, count: secretsLength))
                    }
                }
                start += length
            default:
                start += length
            }
        }
    }

    private func parseInterfaceOptions(from: Int, to: Int, into interface: inout Interface) {
        var offset = from
        while offset + 4 <= to {
            let code = u16(offset, swapped: swapped)
            let length = Int(u16(offset + 2, swapped: swapped))
            if code == 0 { break }
            let value = offset + 4
            guard value + length <= to else { break }
            if code == 9 && length >= 1 {  // if_tsresol
                let raw = (buffer + start + value).load(as: UInt8.self)
                let exponent = Int(raw & 0x7F)
                if raw & 0x80 != 0 {
                    interface.unitsPerSecond = exponent < 63 ? UInt64(1) << UInt64(exponent) : 1_000_000
                } else {
                    var units: UInt64 = 1
                    for _ in 0..<min(exponent, 19) { units &*= 10 }
                    interface.unitsPerSecond = units
                }
            } else if code == 14 && length >= 8 {  // if_tsoffset
                let lo = UInt64(u32(value, swapped: swapped)), hi = UInt64(u32(value + 4, swapped: swapped))
                let combined = swapped ? (lo << 32 | hi) : (hi << 32 | lo)
                interface.offsetSeconds = Int64(bitPattern: combined)
            }
            offset = value + (length + 3) & ~3
        }
    }

    private static func nanos(ticks: UInt64, _ interface: Interface) -> Int64 {
        let units = max(interface.unitsPerSecond, 1)
        let seconds = Int64(truncatingIfNeeded: ticks / units)
        let remainder = ticks % units
        let fraction: UInt64
        if units <= 1_000_000_000 && 1_000_000_000 % units == 0 {
            fraction = remainder &* (1_000_000_000 / units)
        } else {
            fraction = UInt64((Double(remainder) * 1e9 / Double(units)).rounded(.down))
        }
        return (seconds &+ interface.offsetSeconds) &* 1_000_000_000 &+ Int64(truncatingIfNeeded: fraction)
    }
}
