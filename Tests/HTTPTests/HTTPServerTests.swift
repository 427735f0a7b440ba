import Foundation
import Synchronization
import Testing

@testable import HTTP

#if canImport(Glibc)
    import Glibc
#endif

/// Echoes the request: method, target and body, plus a few headers.
struct EchoHandler: HTTPHandler {
    func handle(_ request: HTTPRequest, responder: HTTPResponder) {
        if request.path == "/later" {
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(50)) {
                responder.respond(HTTPResponse(status: 200, text: "later"))
            }
            return
        }
        var headers: HTTPHeaders = ["X-Method": request.method, "X-Target": request.target]
        headers.add("X-Body-Length", String(request.body.count))
        responder.respond(HTTPResponse(status: 200, headers: headers, body: request.body))
    }

    func maximumBodyBytes(method: String, target: String, headers: HTTPHeaders) -> Int? {
        target.hasPrefix("/small") ? 16 : nil
    }
}

/// A running server on an ephemeral port, torn down after the body.
func withServer<T>(
    configuration: HTTPServerConfiguration = .init(), _ body: (Int) async throws -> T
) async throws -> T {
    let loop = try EventLoop()
    let server = try await HTTPServer(
        address: SocketAddress(host: "127.0.0.1", port: 0), loop: loop, configuration: configuration,
        handler: EchoHandler())
    defer {
        server.close()
        loop.shutdown()
    }
    return try await body(server.port)
}

/// Sends raw bytes and reads until the peer closes or `timeout` passes.
func exchangeRaw(port: Int, _ text: String, timeout: Double = 2) -> String {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    _ = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    var timeoutValue = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1e6))
    setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeoutValue, socklen_t(MemoryLayout<timeval>.size))
    _ = text.withCString { send(descriptor, $0, strlen($0), 0) }
    var received: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65_536)
    while true {
        let count = recv(descriptor, &buffer, buffer.count, 0)
        if count <= 0 { break }
        received.append(contentsOf: buffer[0..<count])
    }
    return String(decoding: received, as: UTF8.self)
}

/// Every status line in a raw response stream (bodies may run into the next status line).
func statusLines(_ text: String) -> [String] {
    guard let pattern = try? Regex(#"HTTP/1\.1 \d{3} [^\r]*"#) else { return [] }
    return text.matches(of: pattern).map { String(text[$0.range]) }
}

@Suite("HTTP server")
struct HTTPServerTests {
    @Test("keep-alive serves several requests on one connection")
    func keepAlive() async throws {
        try await withServer { port in
            let client = HTTPClient(address: SocketAddress(host: "127.0.0.1", port: port))
            for index in 0..<5 {
                let response = try client.send(
                    method: "POST", target: "/echo/\(index)", body: Array("hi \(index)".utf8))
                #expect(response.status == 200)
                #expect(String(decoding: response.body, as: UTF8.self) == "hi \(index)")
                #expect(response.headers["X-Target"] == "/echo/\(index)")
            }
        }
    }

    @Test("pipelined requests are answered in order, even when the first answers later")
    func pipelining() async throws {
        try await withServer { port in
            let text = exchangeRaw(
                port: port,
                "GET /later HTTP/1.1\r\nHost: x\r\n\r\nGET /second HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            #expect(statusLines(text).count == 2)
            let later = try #require(text.range(of: "later"))
            let second = try #require(text.range(of: "X-Target: /second"))
            #expect(later.lowerBound < second.lowerBound)
        }
    }

    @Test("a chunked request body is reassembled")
    func chunked() async throws {
        try await withServer { port in
            let text = exchangeRaw(
                port: port,
                "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                    + "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
            #expect(text.hasPrefix("HTTP/1.1 200"))
            #expect(text.hasSuffix("hello world"))
        }
    }

    @Test("Expect: 100-continue gets an interim response before the body is sent")
    func expectContinue() async throws {
        try await withServer { port in
            let text = exchangeRaw(
                port: port,
                "POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\nConnection: close\r\n\r\nok"
            )
            #expect(text.hasPrefix("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK"))
        }
    }

    @Test(
        "ambiguous or malformed framing gets 400, closes, and nothing behind it is processed",
        arguments: [
            "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
            "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
            "GARBAGE\r\n\r\n",
        ])
    func badFraming(request: String) async throws {
        try await withServer { port in
            let text = exchangeRaw(port: port, request + "GET /behind HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(statusLines(text) == ["HTTP/1.1 400 Bad Request"])
            #expect(!text.contains("/behind"))
            #expect(text.contains("Connection: close"))
        }
    }

    @Test("a body over the handler's limit gets 413 and the connection closes")
    func bodyLimit() async throws {
        try await withServer { port in
            let text = exchangeRaw(
                port: port,
                "POST /small HTTP/1.1\r\nHost: x\r\nContent-Length: 17\r\n\r\n" + String(repeating: "a", count: 17))
            #expect(statusLines(text) == ["HTTP/1.1 413 Payload Too Large"])
            let chunked = exchangeRaw(
                port: port,
                "POST /small HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n11\r\n"
                    + String(repeating: "a", count: 17) + "\r\n0\r\n\r\n")
            #expect(statusLines(chunked) == ["HTTP/1.1 413 Payload Too Large"])
        }
    }

    @Test("headers over the limit get 431")
    func headerLimit() async throws {
        var configuration = HTTPServerConfiguration()
        configuration.maximumHeaderBytes = 1024
        try await withServer(configuration: configuration) { port in
            let text = exchangeRaw(
                port: port, "GET / HTTP/1.1\r\nX-Big: \(String(repeating: "b", count: 2000))\r\n\r\n")
            #expect(statusLines(text) == ["HTTP/1.1 431 Request Header Fields Too Large"])
        }
    }

    @Test("a request whose header never completes is timed out with 408")
    func headerTimeout() async throws {
        var configuration = HTTPServerConfiguration()
        configuration.headerReadTimeout = .milliseconds(300)
        try await withServer(configuration: configuration) { port in
            let text = exchangeRaw(port: port, "GET / HTTP/1.1\r\nHost: x\r\n", timeout: 3)
            #expect(statusLines(text) == ["HTTP/1.1 408 Request Timeout"])
        }
    }

    @Test("an idle keep-alive connection is closed after the idle timeout")
    func idleTimeout() async throws {
        var configuration = HTTPServerConfiguration()
        configuration.idleTimeout = .milliseconds(300)
        try await withServer(configuration: configuration) { port in
            let started = Date()
            let text = exchangeRaw(port: port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", timeout: 5)
            #expect(statusLines(text).count == 1)
            #expect(Date().timeIntervalSince(started) < 4)
        }
    }

    @Test("many parked requests share the one loop thread")
    func manyConnections() async throws {
        try await withServer { port in
            let responses = Mutex<Int>(0)
            DispatchQueue.concurrentPerform(iterations: 200) { index in
                let client = HTTPClient(address: SocketAddress(host: "127.0.0.1", port: port))
                if let response = try? client.send(method: "GET", target: "/later?\(index)"), response.status == 200 {
                    responses.withLock { $0 += 1 }
                }
            }
            #expect(responses.withLock { $0 } == 200)
        }
    }
}

@Suite("HTTP client")
struct HTTPClientTests {
    @Test("connecting to a closed port fails with a connect error")
    func refused() throws {
        let client = HTTPClient(address: SocketAddress(host: "127.0.0.1", port: 1))
        #expect(throws: HTTPClientError.self) {
            try client.send(method: "GET", target: "/")
        }
    }

    @Test(
        "addresses parse as HOST:PORT and reject junk",
        arguments: [
            ("127.0.0.1:9000", true), (":8080", true), ("localhost", false), ("host:99999", false),
        ])
    func addresses(text: String, valid: Bool) {
        #expect((SocketAddress(parsing: text) != nil) == valid)
    }
}
