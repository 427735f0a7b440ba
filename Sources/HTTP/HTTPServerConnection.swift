import CSystem
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// One accepted connection: reads, parses one request at a time, writes replies.
final class HTTPServerConnection: EventLoopHandler, @unchecked Sendable {
    // @unchecked: every mutable field is touched only on `loop`'s thread;
    // other threads reach the connection only through `loop.execute`.
    let loop: EventLoop
    private let descriptor: Int32
    private unowned let server: HTTPServer
    private let parser: MessageParser
    private var inbound: [UInt8] = []
    private var outbound: [UInt8] = []
    private var outboundOffset = 0
    private var sequence: UInt64 = 0
    private var inFlight: UInt64?
    private var closeWatchers: [@Sendable () -> Void] = []
    private var processing = false
    private var closeAfterWrite = false
    private var readingEnabled = true
    private var writeInterest = false
    private var peerClosed = false
    private(set) var closed = false
    private var lastActivity = ContinuousClock.now
    private var headStartedAt: ContinuousClock.Instant?
    /// After refusing an oversized body: discard what the client still sends
    /// so it reads our 413 instead of a connection reset.
    private var discardInput = false
    private var discardedBytes = 0
    private var lingerStartedAt: ContinuousClock.Instant?
    private static let maximumDiscardBytes = 128 * 1024 * 1024
    private static let lingerTimeout: Duration = .seconds(5)

    init(descriptor: Int32, server: HTTPServer) {
        self.descriptor = descriptor
        self.server = server
        self.loop = server.loop
        self.parser = MessageParser(kind: .request, maximumHeaderBytes: server.configuration.maximumHeaderBytes)
        let handler = server.handler
        let defaultLimit = server.configuration.maximumBodyBytes
        parser.bodyLimit = { parser in
            handler.maximumBodyBytes(method: parser.method, target: parser.target, headers: parser.headers)
                ?? defaultLimit
        }
        parser.onHead = { [unowned self] parser in
            if parser.headers["Expect"]?.lowercased() == "100-continue" {
                outbound.append(contentsOf: "HTTP/1.1 100 Continue\r\n\r\n".utf8)
                flush()
            }
        }
    }

    func handleEvents(_ events: UInt32) {
        if events & (EPOLLIN.rawValue | EPOLLRDHUP.rawValue | EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0 {
            readAvailable()
        }
        if !closed, events & EPOLLOUT.rawValue != 0 {
            flush()
        }
    }

    // MARK: Reading

    private func readAvailable() {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while !closed, readingEnabled {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count > 0 {
                lastActivity = .now
                if discardInput {
                    discardedBytes += count
                    if discardedBytes > Self.maximumDiscardBytes {
                        close()
                    }
                    continue
                }
                inbound.append(contentsOf: chunk[0..<count])
                processInbound()
                continue
            }
            if count < 0, errno == EAGAIN || errno == EINTR {
                return
            }
            peerDidClose()
            return
        }
    }

    private func peerDidClose() {
        peerClosed = true
        // A peer that half-closes after a request still gets its response.
        if inFlight == nil {
            close()
        } else {
            setReading(false)
        }
    }

    private func processInbound() {
        guard !processing else { return }
        processing = true
        defer { processing = false }
        while !closed, !closeAfterWrite, inFlight == nil, !inbound.isEmpty {
            let outcome: MessageParser.Outcome
            do {
                outcome = try inbound.withUnsafeBytes { try parser.parse($0) }
            } catch let failure as MessageParser.Failure {
                reject(failure)
                return
            } catch {
                return
            }
            switch outcome {
            case .needMoreData:
                inbound.removeAll(keepingCapacity: true)
                if headStartedAt == nil, parser.isReadingHead {
                    headStartedAt = .now
                }
            case .message(let consumed):
                inbound.removeFirst(consumed)
                dispatchRequest()
            }
        }
        // Bound what a pipelining client can make us buffer.
        if inFlight != nil, inbound.count > server.configuration.maximumHeaderBytes {
            setReading(false)
        }
    }

    private func dispatchRequest() {
        sequence &+= 1
        inFlight = sequence
        headStartedAt = nil
        let request = HTTPRequest(
            method: parser.method, target: parser.target, headers: parser.headers, body: parser.body)
        server.handler.handle(request, responder: HTTPResponder(connection: self, sequence: sequence))
    }

    private func reject(_ failure: MessageParser.Failure) {
        let response: HTTPResponse
        switch failure {
        case .malformed(let reason):
            response = HTTPResponse(status: 400, text: "Bad Request: \(reason)\n")
        case .headersTooLarge:
            response = HTTPResponse(status: 431, text: "Request header fields too large\n")
        case .bodyTooLarge:
            let limit =
                server.handler.maximumBodyBytes(
                    method: parser.method, target: parser.target, headers: parser.headers)
                ?? server.configuration.maximumBodyBytes
            response = server.handler.payloadTooLargeResponse(
                method: parser.method, target: parser.target, limit: limit)
        }
        // Nothing behind a bad request on this connection is processed.
        closeAfterWrite = true
        inbound.removeAll()
        if failure == .bodyTooLarge {
            discardInput = true
        } else {
            setReading(false)
        }
        write(response, keepAlive: false)
    }

    // MARK: Writing

    func respond(_ response: HTTPResponse, to requestSequence: UInt64) {
        guard !closed, inFlight == requestSequence else { return }
        inFlight = nil
        closeWatchers.removeAll()
        let keepAlive =
            parser.keepAlive && !peerClosed && !closeAfterWrite
            && !(response.headers["Connection"]?.caseInsensitiveEquals("close") ?? false)
        if !keepAlive {
            closeAfterWrite = true
        }
        write(response, keepAlive: keepAlive)
        if !closed, !closeAfterWrite {
            setReading(true)
            processInbound()
        }
    }

    func watchClose(of requestSequence: UInt64, _ callback: @escaping @Sendable () -> Void) {
        guard !closed, inFlight == requestSequence else {
            if closed { callback() }
            return
        }
        closeWatchers.append(callback)
    }

    private func write(_ response: HTTPResponse, keepAlive: Bool) {
        ResponseSerializer.append(response, keepAlive: keepAlive, to: &outbound)
        flush()
    }

    private func flush() {
        while outboundOffset < outbound.count {
            let written = outbound.withUnsafeBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                return Glibc.send(
                    descriptor, base + outboundOffset, buffer.count - outboundOffset, Int32(MSG_NOSIGNAL))
            }
            if written > 0 {
                outboundOffset += written
                continue
            }
            if written < 0, errno == EAGAIN || errno == EINTR {
                setWriteInterest(true)
                return
            }
            close()
            return
        }
        outbound.removeAll(keepingCapacity: outbound.capacity <= 1 << 20)
        outboundOffset = 0
        setWriteInterest(false)
        if discardInput, !peerClosed, lingerStartedAt == nil {
            // Half-close: the response is complete; keep reading until the client stops sending.
            shutdown(descriptor, Int32(SHUT_WR))
            lingerStartedAt = .now
            return
        }
        if closeAfterWrite || (peerClosed && inFlight == nil) {
            close()
        }
    }

    // MARK: Lifecycle

    func checkTimeouts(now: ContinuousClock.Instant) {
        let configuration = server.configuration
        if let started = lingerStartedAt, now - started > Self.lingerTimeout {
            close()
            return
        }
        if let started = headStartedAt, now - started > configuration.headerReadTimeout {
            headStartedAt = nil
            closeAfterWrite = true
            setReading(false)
            write(HTTPResponse(status: 408, text: "Request header not received in time\n"), keepAlive: false)
            return
        }
        let idle = inFlight == nil && outboundOffset == outbound.count && !parser.isMidMessage
        if idle, now - lastActivity > configuration.idleTimeout {
            close()
        }
    }

    func close() {
        guard !closed else { return }
        closed = true
        loop.unregister(descriptor)
        Glibc.close(descriptor)
        server.connectionDidClose(self)
        let watchers = closeWatchers
        closeWatchers.removeAll()
        for watcher in watchers {
            watcher()
        }
    }

    private func setReading(_ enabled: Bool) {
        guard readingEnabled != enabled, !closed else { return }
        readingEnabled = enabled && !peerClosed
        updateInterest()
    }

    private func setWriteInterest(_ enabled: Bool) {
        guard writeInterest != enabled, !closed else { return }
        writeInterest = enabled
        updateInterest()
    }

    private func updateInterest() {
        var events = EPOLLRDHUP.rawValue
        if readingEnabled { events |= EPOLLIN.rawValue }
        if writeInterest { events |= EPOLLOUT.rawValue }
        loop.modify(descriptor, events: events)
    }
}

/// Turns responses into HTTP/1.1 bytes.
enum ResponseSerializer {
    static func append(_ response: HTTPResponse, keepAlive: Bool, to buffer: inout [UInt8]) {
        var head = "HTTP/1.1 \(response.status) \(reasonPhrase(response.status))\r\n"
        var hasDate = false
        for field in response.headers {
            if field.name.caseInsensitiveEquals("Content-Length") || field.name.caseInsensitiveEquals("Connection") {
                continue
            }
            hasDate = hasDate || field.name.caseInsensitiveEquals("Date")
            head += "\(field.name): \(field.value)\r\n"
        }
        if !hasDate {
            head += "Date: \(HTTPDate.now())\r\n"
        }
        head += "Content-Length: \(response.body.count)\r\n"
        head += keepAlive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n"
        buffer.append(contentsOf: head.utf8)
        buffer.append(contentsOf: response.body)
    }
}

/// The IMF-fixdate for the `Date` header, formatted at most once a second.
enum HTTPDate {
    private static let cache = Mutex<(second: Int, text: String)>((-1, ""))

    static func now() -> String {
        var time = Glibc.time(nil)
        let second = Int(time)
        if let text = cache.withLock({ $0.second == second ? $0.text : nil }) {
            return text
        }
        var parts = tm()
        gmtime_r(&time, &parts)
        var buffer = [CChar](repeating: 0, count: 64)
        let length = strftime(&buffer, buffer.count, "%a, %d %b %Y %H:%M:%S GMT", &parts)
        let text = String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        cache.withLock { $0 = (second, text) }
        return text
    }
}
