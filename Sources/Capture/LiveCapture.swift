import CPcap
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How to open a network interface for capture.
public struct LiveCaptureOptions: Sendable {
    /// Interface name (`eth0`, `lo`, `any`).
    public var interface: String
    /// Bytes kept of each packet; the default keeps whole packets.
    public var snapLength = 262_144
    /// Kernel ring buffer, in bytes (`-B`, tcpdump's option, is in KiB); nil keeps libpcap's default (2 MiB).
    public var bufferBytes: Int? = 32 << 20
    /// Deliver each packet as it arrives. Off by default: on Linux, immediate mode means TPACKET_V2, one ring frame
    /// per packet sized for the MTU (64 KiB on `lo`), so the buffer holds few packets; blocks (TPACKET_V3) pack
    /// small packets densely and are handed over at most `blockTimeoutMillis` late.
    public var immediate = false
    /// How long the kernel holds a partly filled block (and `pcap_next_ex` waits) before handing it over.
    public var blockTimeoutMillis = 100
    public var promiscuous = false
    /// BPF expression compiled by libpcap for the interface's link type and applied in the kernel.
    public var filter: String?

    public init(interface: String) { self.interface = interface }
}

/// Counters of `pcap_stats` at the end (or any point) of a capture.
public struct LiveCaptureStatistics: Sendable, Equatable {
    /// Packets the kernel received that passed the filter (Linux: including those dropped).
    public var received = 0
    /// Packets dropped because the capture buffer was full (`ps_drop`).
    public var droppedByKernel = 0
    /// Packets dropped by the network interface or its driver (`ps_ifdrop`).
    public var droppedByInterface = 0
    public init() {}
}

/// An interface libpcap can capture on (`pcap_findalldevs`).
public struct NetworkInterface: Sendable {
    public var name: String
    public var description: String?
    public var addresses: [String]
    public var isLoopback: Bool
    public var isUp: Bool
    public var isRunning: Bool
}

/// A live capture on one interface through libpcap: `pcap_create`, options, `pcap_activate`, a kernel BPF filter,
/// and a `pcap_next_ex` pull loop that can also save every packet to a pcap file (`PcapFileWriter`).
///
/// `run` belongs to one thread (the capture thread); `stop()` may be called from any thread or a signal source
/// and makes `run` return after draining what the kernel already holds. The handle (a `PcapHandle`, its only owner)
/// closes when the capture is released, also when `init` fails half way.
public final class LiveCapture: @unchecked Sendable {
    public let options: LiveCaptureOptions
    public let linkType: LinkType
    /// Timestamps are nanoseconds when the platform gives them, else microseconds.
    public let nanosecondTimestamps: Bool
    public private(set) var packetsCaptured = 0
    public private(set) var bytesCaptured: Int64 = 0

    private let pcap: PcapHandle
    private var handle: OpaquePointer { pcap.pointer }
    private var writer: PcapFileWriter?
    private let stopRequested = StopFlag()

    /// Opens and activates the interface. Failures are one line that says what to do.
    public init(options: LiveCaptureOptions) throws(CaptureError) {
        self.options = options
        var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        guard let created = pcap_create(options.interface, &errbuf) else {
            throw CaptureError(.live, Self.oneLine(Self.text(errbuf)))
        }
        // From here every failure just throws: `pcap` closes the handle, and nothing else may.
        let pcap = PcapHandle(created)
        self.pcap = pcap
        let handle = pcap.pointer
        pcap_set_snaplen(handle, Int32(clamping: options.snapLength > 0 ? options.snapLength : 262_144))
        pcap_set_promisc(handle, options.promiscuous ? 1 : 0)
        pcap_set_timeout(handle, Int32(clamping: max(options.blockTimeoutMillis, 1)))
        pcap_set_immediate_mode(handle, options.immediate ? 1 : 0)
        if let size = options.bufferBytes { pcap_set_buffer_size(handle, Int32(clamping: size)) }
        let nano = pcap_set_tstamp_precision(handle, Int32(PCAP_TSTAMP_PRECISION_NANO)) == 0
        let status = pcap_activate(handle)
        if status < 0 {
            let detail = pcap.lastError
            throw Self.activationError(status, interface: options.interface, detail: detail)
        }
        nanosecondTimestamps = nano && pcap_get_tstamp_precision(handle) == Int32(PCAP_TSTAMP_PRECISION_NANO)
        linkType = LinkType(dlt: pcap_datalink(handle))
        if let filter = options.filter, !filter.isEmpty {
            var program = bpf_program()
            if pcap_compile(handle, &program, filter, 1, 0xFFFF_FFFF) != 0 {
                throw CaptureError(.badFilter, "invalid filter '\(filter)' for \(options.interface) (link type \(linkType)): "
                                   + pcap.lastError)
            }
            defer { pcap_freecode(&program) }
            if pcap_setfilter(handle, &program) != 0 {
                throw CaptureError(.badFilter, "cannot apply filter '\(filter)' on \(options.interface): \(pcap.lastError)")
            }
        }
    }

    /// Also saves every captured packet, as captured, as a pcap file on `descriptor` (same link type and snap length,
    /// timestamps as precise as the capture's). Returns the writer, whose `failure` says whether every write landed.
    @discardableResult
    public func save(to descriptor: Int32) -> PcapFileWriter {
        let writer = PcapFileWriter(descriptor: descriptor, linkType: linkType, snapLength: Int(pcap_snapshot(handle)),
                                    nanosecondTimestamps: nanosecondTimestamps)
        self.writer = writer
        return writer
    }

    /// Makes `run` return soon. Safe from any thread.
    public func stop() {
        stopRequested.set()
        pcap_breakloop(handle)
    }

    public var isStopRequested: Bool { stopRequested.isSet }

    /// Reads packets until `stop()`, `maxPackets` packets, or an error, handing each to `body` (bytes BORROWED for
    /// the call). After a stop, packets the kernel already holds are still delivered.
    public func run(maxPackets: Int? = nil, _ body: (CapturedPacket) -> Void) throws(CaptureError) {
        var drainDeadline: Double?
        let selectable = pcap_get_selectable_fd(handle)
        while maxPackets.map({ packetsCaptured < $0 }) ?? true {
            if drainDeadline == nil && isStopRequested {
                // Deliver what the kernel already holds without waiting for new traffic. A partly filled block is
                // handed over when its timeout expires, so keep polling for a little longer than that.
                drainDeadline = MonotonicClock.seconds() + Double(options.blockTimeoutMillis) * 2.5 / 1000
                var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
                pcap_setnonblock(handle, 1, &errbuf)
            }
            // Some devices (nfqueue, nflog) block in recv() until a packet comes, ignoring the timeout and
            // pcap_breakloop: wait for readability here, so a stop is seen within a block timeout on any device.
            if drainDeadline == nil && selectable >= 0 && !Self.readable(selectable, timeoutMillis: options.blockTimeoutMillis) {
                continue
            }
            var header: UnsafeMutablePointer<pcap_pkthdr>?
            var data: UnsafePointer<UInt8>?
            let status = pcap_next_ex(handle, &header, &data)
            let failure = errno
            if status == 1, let header, let data {
                deliver(header, data, body)
            } else if status == 0 {
                // The link is quiet: a good moment to put the saved packets on disk.
                flush()
                if let deadline = drainDeadline {
                    if options.immediate || MonotonicClock.seconds() >= deadline { break }
                    usleep(5_000)
                }
            } else if status == PCAP_ERROR_BREAK {
                continue
            } else if drainDeadline != nil && (failure == EAGAIN || failure == EWOULDBLOCK) {
                // Non-blocking reads of some devices (nfqueue) report "nothing more" as this error.
                break
            } else {
                let reason = pcap.lastError
                flush()
                throw CaptureError(.live, "capture on \(options.interface) failed: \(reason)")
            }
        }
        flush()
    }

    private func deliver(_ header: UnsafeMutablePointer<pcap_pkthdr>, _ data: UnsafePointer<UInt8>,
                         _ body: (CapturedPacket) -> Void) {
        packetsCaptured += 1
        let caplen = Int(header.pointee.caplen)
        bytesCaptured += Int64(caplen)
        let ts = header.pointee.ts
        writer?.append(seconds: Int(ts.tv_sec), fraction: Int(ts.tv_usec), originalLength: Int(header.pointee.len),
                       bytes: UnsafeRawBufferPointer(start: data, count: caplen))
        let fraction = Int64(ts.tv_usec)
        let nanos = Int64(ts.tv_sec) &* 1_000_000_000 &+ (nanosecondTimestamps ? fraction : fraction &* 1000)
        body(CapturedPacket(timestampNanos: nanos, linkType: linkType,
                            originalLength: max(Int(header.pointee.len), caplen),
                            bytes: UnsafeRawBufferPointer(start: data, count: caplen)))
    }

    /// True when `fd` has data (or an error to report) within `timeoutMillis`; a signal counts as readable.
    private static func readable(_ fd: Int32, timeoutMillis: Int) -> Bool {
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, Int32(clamping: max(timeoutMillis, 1))) != 0
    }

    private func flush() {
        writer?.flush()
    }

    /// `pcap_stats` now.
    public func statistics() -> LiveCaptureStatistics {
        var stats = pcap_stat()
        var result = LiveCaptureStatistics()
        guard pcap_stats(handle, &stats) == 0 else { return result }
        result.received = Int(stats.ps_recv)
        result.droppedByKernel = Int(stats.ps_drop)
        result.droppedByInterface = Int(stats.ps_ifdrop)
        return result
    }

    // MARK: - Interfaces

    /// Interfaces libpcap can open, in its order (up and running ones first).
    public static func interfaces() throws(CaptureError) -> [NetworkInterface] {
        var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        var list: UnsafeMutablePointer<pcap_if_t>?
        guard pcap_findalldevs(&list, &errbuf) == 0 else {
            throw CaptureError(.live, "cannot list interfaces: \(oneLine(Self.text(errbuf)))")
        }
        defer { if let list { pcap_freealldevs(list) } }
        var result: [NetworkInterface] = []
        var node = list
        while let current = node {
            let entry = current.pointee
            var addresses: [String] = []
            var address = entry.addresses
            while let a = address {
                if let sockaddr = a.pointee.addr, let text = numericHost(sockaddr) { addresses.append(text) }
                address = a.pointee.next
            }
            let flags = entry.flags
            result.append(NetworkInterface(
                name: String(cString: entry.name),
                description: entry.description.map { String(cString: $0) },
                addresses: addresses,
                isLoopback: flags & UInt32(PCAP_IF_LOOPBACK) != 0,
                isUp: flags & UInt32(PCAP_IF_UP) != 0,
                isRunning: flags & UInt32(PCAP_IF_RUNNING) != 0))
            node = entry.next
        }
        return result
    }

    private static func numericHost(_ address: UnsafeMutablePointer<sockaddr>) -> String? {
        let family = Int32(address.pointee.sa_family)
        let length: Int
        switch family {
        case AF_INET: length = MemoryLayout<sockaddr_in>.size
        case AF_INET6: length = MemoryLayout<sockaddr_in6>.size
        default: return nil
        }
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        guard getnameinfo(address, socklen_t(length), &host, socklen_t(host.count), nil, 0, NI_NUMERICHOST) == 0 else {
            return nil
        }
        return Self.text(host)
    }

    // MARK: - Errors

    static func activationError(_ status: Int32, interface: String, detail: String) -> CaptureError {
        switch status {
        case PCAP_ERROR_NO_SUCH_DEVICE:
            return CaptureError(.live, "no interface named '\(interface)': 'respcap live --list' shows the interfaces you can capture on")
        case PCAP_ERROR_PERM_DENIED, PCAP_ERROR_PROMISC_PERM_DENIED:
            return CaptureError(.live, "not permitted to capture on '\(interface)': run as root (sudo respcap live ...) or give the "
                                + "binary the capability once: sudo setcap cap_net_raw,cap_net_admin+eip \"$(command -v respcap)\"")
        case PCAP_ERROR_IFACE_NOT_UP:
            return CaptureError(.live, "interface '\(interface)' is down: bring it up (ip link set \(interface) up) or choose another")
        default:
            let text = detail.isEmpty ? String(cString: pcap_statustostr(status)) : detail
            if text.contains("Operation not permitted") || text.contains("Permission denied") {
                return activationError(PCAP_ERROR_PERM_DENIED, interface: interface, detail: text)
            }
            return CaptureError(.live, "cannot capture on '\(interface)': \(text)")
        }
    }

    /// A C string in a buffer (libpcap's messages, getnameinfo's host): the bytes up to the first NUL, as UTF-8.
    static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func oneLine(_ text: String) -> String { PcapHandle.oneLine(text) }
}
