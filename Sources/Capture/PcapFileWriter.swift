#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes packets as a pcap file to a descriptor, in whole records: records are gathered in a buffer and written a
/// buffer at a time, so the bytes on disk always end on a record boundary (`committedBytes`) except while one write
/// is in flight. `abandon()` may be called from another thread when the process must exit at once (a second ^C): it
/// waits for that write, stops all later ones and cuts the file back to the last whole record.
///
/// The file header is written at once, with the capture's snap length and the link type as a file stores it.
public final class PcapFileWriter: @unchecked Sendable {
    /// Bytes gathered before a write (also written on `flush()`).
    static let bufferCapacity = 256 << 10

    private let descriptor: Int32
    private var buffer: UnsafeMutableRawPointer
    private var buffered = 0
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    /// Bytes written to the descriptor, all of them whole records (guarded by `mutex`).
    private var written: Int64 = 0
    private var abandoned = false
    /// The first write error, as strerror says it; later packets are dropped.
    public private(set) var failure: String?

    /// Starts a pcap file on `descriptor` (not owned: the caller closes it), with microsecond or nanosecond timestamps
    /// as the capture delivers them.
    public init(descriptor: Int32, linkType: LinkType, snapLength: Int, nanosecondTimestamps: Bool) {
        self.descriptor = descriptor
        buffer = UnsafeMutableRawPointer.allocate(byteCount: Self.bufferCapacity, alignment: 8)
        pthread_mutex_init(mutex, nil)
        let magic: UInt32 = nanosecondTimestamps ? 0xA1B2_3C4D : 0xA1B2_C3D4
        let header: [UInt32] = [magic, 0x0004_0002, 0, 0, UInt32(clamping: snapLength), linkType.rawValue]
        // Host byte order, as libpcap writes it; readers tell the order from the magic number.
        header.withUnsafeBytes { writeWhole($0) }
    }

    deinit {
        buffer.deallocate()
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Appends one record. `bytes` is what was captured; `originalLength` the packet's length on the wire.
    public func append(seconds: Int, fraction: Int, originalLength: Int, bytes: UnsafeRawBufferPointer) {
        let recordLength = 16 + bytes.count
        if buffered + recordLength > Self.bufferCapacity { flush() }
        guard failure == nil, recordLength <= Self.bufferCapacity else {
            if recordLength > Self.bufferCapacity { writeRecordAlone(seconds, fraction, originalLength, bytes) }
            return
        }
        storeRecord(at: buffer + buffered, seconds, fraction, originalLength, bytes)
        buffered += recordLength
    }

    private func storeRecord(at target: UnsafeMutableRawPointer, _ seconds: Int, _ fraction: Int, _ originalLength: Int,
                             _ bytes: UnsafeRawBufferPointer) {
        target.storeBytes(of: UInt32(truncatingIfNeeded: seconds), toByteOffset: 0, as: UInt32.self)
        target.storeBytes(of: UInt32(truncatingIfNeeded: fraction), toByteOffset: 4, as: UInt32.self)
        target.storeBytes(of: UInt32(truncatingIfNeeded: bytes.count), toByteOffset: 8, as: UInt32.self)
        target.storeBytes(of: UInt32(clamping: max(originalLength, bytes.count)), toByteOffset: 12, as: UInt32.self)
        if let base = bytes.baseAddress, bytes.count > 0 { (target + 16).copyMemory(from: base, byteCount: bytes.count) }
    }

    /// A record larger than the buffer (snap lengths past 256 KiB): written through a buffer of its own.
    private func writeRecordAlone(_ seconds: Int, _ fraction: Int, _ originalLength: Int, _ bytes: UnsafeRawBufferPointer) {
        flush()
        let record = UnsafeMutableRawPointer.allocate(byteCount: 16 + bytes.count, alignment: 8)
        defer { record.deallocate() }
        storeRecord(at: record, seconds, fraction, originalLength, bytes)
        writeWhole(UnsafeRawBufferPointer(start: record, count: 16 + bytes.count))
    }

    /// Writes what is buffered.
    public func flush() {
        guard buffered > 0 else { return }
        writeWhole(UnsafeRawBufferPointer(start: buffer, count: buffered))
        buffered = 0
    }

    private func writeWhole(_ bytes: UnsafeRawBufferPointer) {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        guard failure == nil, !abandoned, var next = bytes.baseAddress else { return }
        var left = bytes.count
        while left > 0 {
            let n = write(descriptor, next, left)
            if n < 0 {
                if errno == EINTR { continue }
                failure = String(cString: strerror(errno))
                // Keep the file a valid capture: drop the part of this write that landed.
                _ = ftruncate(descriptor, off_t(written))
                return
            }
            next += n
            left -= n
        }
        written += Int64(bytes.count)
    }

    /// Bytes on the descriptor, all whole records.
    public var committedBytes: Int64 {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return written
    }

    /// Stops every later write and cuts a regular file back to its last whole record. Safe from any thread; what is
    /// still buffered is lost.
    public func abandon() {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        abandoned = true
        _ = ftruncate(descriptor, off_t(written))
    }
}
