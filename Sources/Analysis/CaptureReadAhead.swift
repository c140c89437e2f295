import Capture
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads capture files on a second thread, so reading and record parsing overlap with analysis.
///
/// The reader fills batches of copied packets (a byte buffer and record descriptors) from a `HandOffRing` of
/// `batchCount` batches; the consumer analyses a batch and gives it back. Memory is bounded by the ring: `batchCount` ×
/// `batchBytes`, or a single record if larger. Batches are reused, so the steady state allocates nothing.
/// Packets, file boundaries and read errors arrive in exactly the order a single-threaded reader sees them.
final class CaptureReadAhead: @unchecked Sendable {
    struct Record {
        var timestampNanos: Int64
        var linkType: LinkType
        var originalLength: Int
        var offset: Int
        var count: Int
    }

    /// What ends a batch, after its records.
    enum End {
        /// More records follow.
        case none
        case fileOpened(index: Int, format: CaptureFileFormat)
        /// The file ended; `failure` when it ended inside a record or could not be read further, `interrupted` when
        /// reading stopped on request (no file after it is read).
        case fileEnded(index: Int, bytesConsumed: Int64, failure: CaptureError?, interrupted: Bool)
        /// A file could not be opened at all: the run stops here.
        case openFailed(CaptureError)
        case finished
    }

    final class Batch {
        fileprivate(set) var bytes: UnsafeMutableRawPointer
        fileprivate var capacity: Int
        fileprivate var used = 0
        fileprivate(set) var records: [Record] = []
        fileprivate(set) var end = End.none
        /// Progress of the file being read when the batch was handed over.
        fileprivate(set) var fileIndex = 0
        fileprivate(set) var bytesConsumed: Int64 = 0
        fileprivate(set) var fileSize: Int64?

        init(capacity: Int, maxRecords: Int) {
            self.capacity = capacity
            bytes = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
            records.reserveCapacity(maxRecords)
        }

        deinit { bytes.deallocate() }

        /// The packet of record `index`, borrowed until the batch is given back.
        func packet(_ index: Int) -> CapturedPacket {
            let r = records[index]
            return CapturedPacket(timestampNanos: r.timestampNanos, linkType: r.linkType, originalLength: r.originalLength,
                                  bytes: UnsafeRawBufferPointer(start: bytes + r.offset, count: r.count))
        }
    }

    private let paths: [String]
    private let interruption: StopFlag?
    private let ring: HandOffRing<Batch>
    private let maxRecords: Int

    init(paths: [String], interruption: StopFlag? = nil, batchCount: Int = 4, batchBytes: Int = 1 << 20,
         maxRecords: Int = 16_384) {
        self.paths = paths
        self.interruption = interruption
        self.maxRecords = maxRecords
        ring = HandOffRing((0..<max(2, batchCount)).map { _ in Batch(capacity: batchBytes, maxRecords: maxRecords) })
    }

    /// Starts the reader thread; false when no thread could be made. Call once; then `next()` until a batch ends
    /// with `.finished` or `.openFailed`.
    func start() -> Bool {
        ReaderThread.detach { [self] in produce() }
    }

    /// The next filled batch (waits for it). Give it back with `recycle` before asking for the one after.
    func next() -> Batch { ring.take() }

    func recycle(_ batch: Batch) { ring.recycle() }

    // MARK: - Reader thread

    private var current: Batch!

    private func acquire() {
        current = ring.acquire()
        current.used = 0
        current.records.removeAll(keepingCapacity: true)
        current.end = .none
    }

    private func handOver(_ end: End, fileIndex: Int, reader: CaptureFileReader?) {
        current.end = end
        current.fileIndex = fileIndex
        current.bytesConsumed = reader?.bytesConsumed ?? 0
        current.fileSize = reader?.fileSize
        ring.submit()
        current = nil
    }

    private func produce() {
        acquire()
        for (index, path) in paths.enumerated() {
            let reader: CaptureFileReader
            do {
                reader = try CaptureFileReader(path: path)
                reader.interruption = interruption
            } catch {
                handOver(.openFailed(error), fileIndex: index, reader: nil)
                return
            }
            handOver(.fileOpened(index: index, format: reader.format), fileIndex: index, reader: reader)
            acquire()
            var failure: CaptureError?
            do {
                while let packet = try reader.next() {
                    let count = packet.bytes.count
                    if current.records.count == maxRecords || current.used + count > current.capacity {
                        if !current.records.isEmpty {
                            handOver(.none, fileIndex: index, reader: reader)
                            acquire()
                        }
                        if count > current.capacity {
                            current.bytes.deallocate()
                            current.capacity = count
                            current.bytes = UnsafeMutableRawPointer.allocate(byteCount: count, alignment: 16)
                        }
                    }
                    if count > 0, let source = packet.bytes.baseAddress {
                        (current.bytes + current.used).copyMemory(from: source, byteCount: count)
                    }
                    current.records.append(Record(timestampNanos: packet.timestampNanos, linkType: packet.linkType,
                                                  originalLength: packet.originalLength, offset: current.used, count: count))
                    current.used += count
                }
            } catch {
                failure = error
            }
            handOver(.fileEnded(index: index, bytesConsumed: reader.bytesConsumed, failure: failure,
                                interrupted: reader.interrupted), fileIndex: index, reader: reader)
            acquire()
            if reader.interrupted { break }
        }
        handOver(.finished, fileIndex: paths.count, reader: nil)
    }
}

/// A detached OS thread for a long-running loop (Dispatch's pool is not meant for blocking work).
enum ReaderThread {
    static func detach(_ body: @escaping @Sendable () -> Void) -> Bool {
        final class Box { let body: @Sendable () -> Void; init(_ body: @escaping @Sendable () -> Void) { self.body = body } }
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, { raw in
            guard let raw else { return nil }
            let box = Unmanaged<Box>.fromOpaque(raw).takeRetainedValue()
            box.body()
            return nil
        }, box)
        guard result == 0 else {
            Unmanaged<Box>.fromOpaque(box).release()
            return false
        }
        pthread_detach(thread)
        return true
    }
}
