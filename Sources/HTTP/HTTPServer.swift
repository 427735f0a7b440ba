import CSystem
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Limits and timeouts of an HTTP server. Every value is a documented setting.
public struct HTTPServerConfiguration: Sendable {
    /// Request line plus header fields, in bytes (431 beyond it).
    public var maximumHeaderBytes = 64 * 1024
    /// Default body limit when the handler sets none (413 beyond it).
    public var maximumBodyBytes = 96 * 1024 * 1024
    /// Connections open at once; further ones are accepted and closed at once.
    public var maximumConnections = 16_384
    /// Time allowed from a request's first byte to the end of its header.
    public var headerReadTimeout: Duration = .seconds(15)
    /// A keep-alive connection with no request in flight is closed after this.
    public var idleTimeout: Duration = .seconds(120)

    public init() {}
}

/// Serves HTTP requests. Called on the event loop thread: must not block.
public protocol HTTPHandler: Sendable {
    /// Handles one request. The response may be sent now or later, from any
    /// thread; the connection answers nothing else until then.
    func handle(_ request: HTTPRequest, responder: HTTPResponder)

    /// The body limit for a request with this head, or nil for the server's default.
    func maximumBodyBytes(method: String, target: String, headers: HTTPHeaders) -> Int?

    /// The response for a request whose body exceeds its limit.
    func payloadTooLargeResponse(method: String, target: String, limit: Int) -> HTTPResponse
}

extension HTTPHandler {
    public func maximumBodyBytes(method: String, target: String, headers: HTTPHeaders) -> Int? { nil }

    public func payloadTooLargeResponse(method: String, target: String, limit: Int) -> HTTPResponse {
        HTTPResponse(status: 413, text: "Request body larger than \(limit) bytes\n")
    }
}

/// Sends the one response a request gets. Safe to use from any thread.
public struct HTTPResponder: Sendable {
    let connection: HTTPServerConnection
    let sequence: UInt64

    /// The loop that serves the connection.
    public var loop: EventLoop { connection.loop }

    /// Writes `response` to the connection (a no-op if it has closed).
    public func respond(_ response: HTTPResponse) {
        let connection = connection
        let sequence = sequence
        connection.loop.execute { connection.respond(response, to: sequence) }
    }

    /// Asks to be told when the connection closes before the response is sent.
    public func onClose(_ callback: @escaping @Sendable () -> Void) {
        let connection = connection
        let sequence = sequence
        connection.loop.execute { connection.watchClose(of: sequence, callback) }
    }
}

/// An HTTP/1.1 server on one listening socket, driven by an `EventLoop`.
public final class HTTPServer: EventLoopHandler, @unchecked Sendable {
    // @unchecked: mutable state is touched only on `loop`'s thread.
    let loop: EventLoop
    let configuration: HTTPServerConfiguration
    let handler: any HTTPHandler
    private let listener: Int32
    private var connections: [ObjectIdentifier: HTTPServerConnection] = [:]
    private var closed = false

    /// The port the server listens on.
    public let port: Int

    /// Binds `address` and starts accepting on `loop`.
    public convenience init(
        address: SocketAddress, loop: EventLoop, configuration: HTTPServerConfiguration = .init(),
        handler: any HTTPHandler
    ) async throws {
        let descriptor = try Socket.listen(on: address)
        try await self.init(adopting: descriptor, loop: loop, configuration: configuration, handler: handler)
    }

    /// Serves an already-listening socket, such as one created inside another
    /// network namespace. The server takes ownership of `descriptor`.
    public init(
        adopting descriptor: Int32, loop: EventLoop, configuration: HTTPServerConfiguration = .init(),
        handler: any HTTPHandler
    ) async throws {
        _ = swiftlet_set_nonblocking(descriptor)
        self.listener = descriptor
        self.loop = loop
        self.configuration = configuration
        self.handler = handler
        self.port = Socket.localPort(of: descriptor)
        try await loop.submit { [self] in
            try loop.register(descriptor, events: EPOLLIN.rawValue, handler: self)
            loop.addTick(owner: self) { [weak self] in self?.sweep() }
        }
    }

    /// Serves `descriptor` from code already running on `loop`'s thread.
    public init(
        onLoop loop: EventLoop, adopting descriptor: Int32, configuration: HTTPServerConfiguration = .init(),
        handler: any HTTPHandler
    ) throws(SystemCallError) {
        precondition(loop.inEventLoop)
        _ = swiftlet_set_nonblocking(descriptor)
        self.listener = descriptor
        self.loop = loop
        self.configuration = configuration
        self.handler = handler
        self.port = Socket.localPort(of: descriptor)
        try loop.register(descriptor, events: EPOLLIN.rawValue, handler: self)
        loop.addTick(owner: self) { [weak self] in self?.sweep() }
    }

    /// A listening socket on `address`, for `init(onLoop:adopting:)`.
    public static func listeningSocket(on address: SocketAddress) throws(SystemCallError) -> Int32 {
        try Socket.listen(on: address)
    }

    /// Stops accepting and closes every connection.
    public func close() {
        loop.execute { [self] in
            guard !closed else { return }
            closed = true
            loop.unregister(listener)
            loop.removeTick(owner: self)
            Glibc.close(listener)
            for connection in Array(connections.values) {
                connection.close()
            }
        }
    }

    /// Connections currently open.
    var connectionCount: Int { connections.count }

    public func handleEvents(_ events: UInt32) {
        while !closed {
            let descriptor = swiftlet_accept(listener)
            if descriptor < 0 {
                // EAGAIN ends the batch; EMFILE and friends wait for the next readiness.
                return
            }
            guard connections.count < configuration.maximumConnections else {
                Glibc.close(descriptor)
                continue
            }
            Socket.setNoDelay(descriptor)
            let connection = HTTPServerConnection(descriptor: descriptor, server: self)
            do {
                try loop.register(descriptor, events: EPOLLIN.rawValue | EPOLLRDHUP.rawValue, handler: connection)
                connections[ObjectIdentifier(connection)] = connection
            } catch {
                Glibc.close(descriptor)
            }
        }
    }

    func connectionDidClose(_ connection: HTTPServerConnection) {
        connections[ObjectIdentifier(connection)] = nil
    }

    private func sweep() {
        let now = ContinuousClock.now
        for connection in Array(connections.values) {
            connection.checkTimeouts(now: now)
        }
    }
}
