import Dispatch
import Capture
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A minimal HTTP/1.1 server for `respcap live --metrics`: `GET /metrics` answers with the current exposition,
/// one request per connection. Deliberately small — it serves a scraper every few seconds, never the capture's hot
/// path — and bounded: requests over 8 KiB or slower than 2 s are dropped, and at most `maxConnections` are served
/// at once (each on a thread of its own, so an idle or slow client never delays a scrape); past that a connection
/// is closed at once.
final class MetricsServer: @unchecked Sendable {
    struct AddressError: Error, CustomStringConvertible {
        let description: String
    }

    /// What to serve: the body and its content type, given whether the scraper asked for OpenMetrics.
    typealias Render = @Sendable (_ openMetrics: Bool) -> (body: String, contentType: String)

    let listenFD: Int32
    /// The bound address, as `host:port` (the real port when 0 was asked for).
    let boundAddress: String
    private let render: Render
    private let done = DispatchSemaphore(value: 0)
    private let stopping = StopFlag()
    /// Connections served at once; each holds a thread for at most the 2 s timeouts.
    static let maxConnections = 32
    private let slots = DispatchSemaphore(value: MetricsServer.maxConnections)
    private var started = false

    /// Binds `address` (`HOST:PORT`, `[V6]:PORT`, `:PORT` or `PORT`; the host defaults to 127.0.0.1 so the
    /// endpoint is not exposed unless asked); `start()` serves. Starts no thread: `live` binds while it may still
    /// bind any port, and serves from the process that gave up its privileges.
    init(address: String, render: @escaping Render) throws(AddressError) {
        let (host, port) = try Self.split(address)
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, port, &hints, &list)
        guard status == 0, let first = list else {
            throw AddressError(description: "--metrics \(address): cannot resolve '\(host)': \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(list) }
        let fd = socket(first.pointee.ai_family, first.pointee.ai_socktype, first.pointee.ai_protocol)
        guard fd >= 0 else { throw AddressError(description: "--metrics: cannot create a socket: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        guard bind(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0, listen(fd, 16) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw AddressError(description: "--metrics \(address): cannot listen there: \(reason)")
        }
        listenFD = fd
        boundAddress = Self.localAddress(of: fd) ?? "\(host):\(port)"
        self.render = render
    }

    /// Starts serving: one long-lived accepting thread; each connection is served on another.
    func start() {
        started = true
        DispatchQueue(label: "respcap.metrics").async { [self] in
            serve()
            done.signal()
        }
    }

    /// Stops accepting and waits for the serving thread.
    func stop() {
        stopping.set()
        shutdown(listenFD, Int32(SHUT_RDWR))
        if started { done.wait() }
        close(listenFD)
    }

    private func serve() {
        while !stopping.isSet {
            let client = accept(listenFD, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                return
            }
            // A connection that sends nothing holds its handler until the read timeout: it must not hold the
            // accepting thread, or every scrape behind it would wait.
            guard slots.wait(timeout: .now()) == .success else {
                close(client)
                continue
            }
            // A serial queue of its own per connection: those get a thread each (the shared concurrent pools are
            // sized to the cores, and a blocked read would hold one of their few threads).
            DispatchQueue(label: "respcap.metrics.connection").async { [self] in
                handle(client)
                close(client)
                slots.signal()
            }
        }
    }

    private func handle(_ client: Int32) {
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard let request = Self.readHead(client) else { return }
        let response: String
        switch Self.route(request) {
        case .metrics(let openMetrics, let head):
            let (body, contentType) = render(openMetrics)
            response = Self.response(200, "OK", contentType: contentType, body: body, head: head)
        case .index:
            response = Self.response(200, "OK", contentType: "text/plain; charset=utf-8",
                                     body: "respcap: metrics are at /metrics\n", head: false)
        case .notFound:
            response = Self.response(404, "Not Found", contentType: "text/plain; charset=utf-8", body: "not found; try /metrics\n", head: false)
        case .badMethod:
            response = Self.response(405, "Method Not Allowed", contentType: "text/plain; charset=utf-8", body: "GET only\n", head: false)
        }
        var bytes = Array(response.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeMutableBytes { send(client, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            sent += n
        }
    }

    enum Route: Equatable {
        case metrics(openMetrics: Bool, head: Bool)
        case index, notFound, badMethod
    }

    /// Routes a request head (request line and headers).
    static func route(_ head: String) -> Route {
        let lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
        let parts = (lines.first ?? "").split(separator: " ")
        guard parts.count >= 2 else { return .notFound }
        let method = parts[0]
        guard method == "GET" || method == "HEAD" else { return .badMethod }
        let path = parts[1].split(separator: "?", maxSplits: 1).first.map(String.init) ?? ""
        switch path {
        case "/metrics":
            let accept = lines.dropFirst().first { $0.lowercased().hasPrefix("accept:") }?.lowercased() ?? ""
            return .metrics(openMetrics: accept.contains("application/openmetrics-text"), head: method == "HEAD")
        case "/": return .index
        default: return .notFound
        }
    }

    static func response(_ code: Int, _ reason: String, contentType: String, body: String, head: Bool) -> String {
        "HTTP/1.1 \(code) \(reason)\r\nContent-Type: \(contentType)\r\nContent-Length: \(body.utf8.count)\r\n"
            + "Connection: close\r\n\r\n" + (head ? "" : body)
    }

    private static func readHead(_ client: Int32) -> String? {
        var buffer = [UInt8](repeating: 0, count: 8192)
        var used = 0
        while used < buffer.count {
            let n = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress! + used, $0.count - used, 0) }
            if n <= 0 { return nil }
            used += n
            // The head ends at the first blank line.
            if used >= 4, let end = (3..<used).first(where: { buffer[$0 - 3] == 13 && buffer[$0 - 2] == 10 && buffer[$0 - 1] == 13 && buffer[$0] == 10 }) {
                return String(decoding: buffer[..<(end - 3)], as: UTF8.self)
            }
        }
        return nil
    }

    static func split(_ address: String) throws(AddressError) -> (host: String, port: String) {
        var host = "127.0.0.1"
        var port = address
        if address.hasPrefix("[") {
            guard let close = address.firstIndex(of: "]") else { throw AddressError(description: "--metrics \(address): missing ']'") }
            host = String(address[address.index(after: address.startIndex)..<close])
            port = String(address[close...].dropFirst().drop { $0 == ":" })
        } else if let colon = address.lastIndex(of: ":") {
            if colon != address.startIndex { host = String(address[..<colon]) }
            port = String(address[address.index(after: colon)...])
        }
        guard let number = Int(port), (0...65535).contains(number) else {
            throw AddressError(description: "--metrics \(address): expected HOST:PORT (e.g. 127.0.0.1:9187)")
        }
        return (host, port)
    }

    private static func localAddress(of fd: Int32) -> String? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let ok = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) == 0 }
        }
        guard ok else { return nil }
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        var service = [CChar](repeating: 0, count: Int(NI_MAXSERV))
        let status = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                getnameinfo($0, length, &host, socklen_t(host.count), &service, socklen_t(service.count), NI_NUMERICHOST | NI_NUMERICSERV)
            }
        }
        guard status == 0 else { return nil }
        func text(_ chars: [CChar]) -> String {
            String(decoding: chars.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        let h = text(host)
        return (h.contains(":") ? "[\(h)]" : h) + ":" + text(service)
    }
}
