import CSystem
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Why an HTTP client call failed before a response arrived.
public struct HTTPClientError: Error, CustomStringConvertible, Sendable {
    public enum Code: Sendable {
        case connect
        case io
        case malformed
        case timeout
    }

    public let code: Code
    public let message: String

    public var description: String { message }
}

/// A small blocking HTTP/1.1 client over one keep-alive connection.
///
/// Used by the CLI, benchmarks and tests, where a thread per client is fine.
/// Responses are parsed by the same http_parser as the server.
public final class HTTPClient {
    public let address: SocketAddress
    private let timeoutSeconds: Int
    private var descriptor: Int32 = -1

    public init(address: SocketAddress, timeoutSeconds: Int = 30) {
        self.address = address
        self.timeoutSeconds = timeoutSeconds
    }

    deinit {
        disconnect()
    }

    /// Sends one request and reads its response, reconnecting once if a
    /// reused connection turns out to be closed.
    public func send(
        method: String, target: String, headers: HTTPHeaders = [:], body: [UInt8] = []
    ) throws(HTTPClientError) -> HTTPResponse {
        let reused = descriptor >= 0
        do {
            return try exchange(method: method, target: target, headers: headers, body: body)
        } catch  where reused && error.code == .io {
            disconnect()
            return try exchange(method: method, target: target, headers: headers, body: body)
        }
    }

    public func disconnect() {
        if descriptor >= 0 {
            close(descriptor)
            descriptor = -1
        }
    }

    private func exchange(
        method: String, target: String, headers: HTTPHeaders, body: [UInt8]
    ) throws(HTTPClientError) -> HTTPResponse {
        if descriptor < 0 {
            try connect()
        }
        var message = "\(method) \(target) HTTP/1.1\r\n"
        if headers["Host"] == nil {
            message += "Host: \(address)\r\n"
        }
        for field in headers where !field.name.caseInsensitiveEquals("Content-Length") {
            message += "\(field.name): \(field.value)\r\n"
        }
        message += "Content-Length: \(body.count)\r\n\r\n"
        var bytes = Array(message.utf8)
        bytes.append(contentsOf: body)
        try writeAll(bytes)
        return try readResponse(method: method)
    }

    private func connect() throws(HTTPClientError) {
        let socketAddress: sockaddr_in
        do {
            socketAddress = try Socket.resolve(address)
        } catch {
            throw HTTPClientError(code: .connect, message: "cannot resolve \(address.host)")
        }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else {
            throw HTTPClientError(code: .connect, message: "socket failed: \(String(cString: strerror(errno)))")
        }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var target = socketAddress
        let result = withUnsafePointer(to: &target) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw HTTPClientError(code: .connect, message: "cannot connect to \(address): \(reason)")
        }
        Socket.setNoDelay(fd)
        descriptor = fd
    }

    private func writeAll(_ bytes: [UInt8]) throws(HTTPClientError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                return Glibc.send(descriptor, base + offset, buffer.count - offset, Int32(MSG_NOSIGNAL))
            }
            if written < 0, errno == EINTR {
                continue
            }
            guard written > 0 else {
                disconnect()
                throw HTTPClientError(code: .io, message: "connection to \(address) closed while sending")
            }
            offset += written
        }
    }

    private func readResponse(method: String) throws(HTTPClientError) -> HTTPResponse {
        let parser = MessageParser(kind: .response, maximumHeaderBytes: 1 << 20)
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count < 0, errno == EINTR {
                continue
            }
            if count < 0, errno == EAGAIN {
                disconnect()
                throw HTTPClientError(code: .timeout, message: "no response from \(address) in \(timeoutSeconds) s")
            }
            if count <= 0 {
                let complete = (try? parser.finish()) ?? false
                disconnect()
                guard complete else {
                    throw HTTPClientError(code: .io, message: "connection to \(address) closed before a response")
                }
                return HTTPResponse(status: parser.statusCode, headers: parser.headers, body: parser.body)
            }
            let outcome: MessageParser.Outcome
            do {
                outcome = try chunk[0..<count].withUnsafeBytes { try parser.parse($0) }
            } catch {
                disconnect()
                throw HTTPClientError(code: .malformed, message: "malformed response from \(address)")
            }
            if case .message = outcome {
                if !parser.keepAlive {
                    disconnect()
                }
                return HTTPResponse(status: parser.statusCode, headers: parser.headers, body: parser.body)
            }
        }
    }
}
