import CSystem

#if canImport(Glibc)
    import Glibc
#endif

/// A host and port to listen on or connect to.
public struct SocketAddress: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT`; the host may be empty (all interfaces).
    public init?(parsing text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65535).contains(port)
        else { return nil }
        let host = String(text[..<colon])
        self.init(host: host.isEmpty ? "0.0.0.0" : host, port: port)
    }

    public var description: String { "\(host):\(port)" }
}

enum Socket {
    /// Resolves `address` to an IPv4 socket address.
    static func resolve(_ address: SocketAddress) throws(SystemCallError) -> sockaddr_in {
        var hints = addrinfo()
        hints.ai_family = AF_INET
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(address.host, String(address.port), &hints, &result)
        guard status == 0, let info = result, let raw = info.pointee.ai_addr else {
            throw SystemCallError(call: "getaddrinfo(\(address.host))", errno: EADDRNOTAVAIL)
        }
        defer { freeaddrinfo(result) }
        return raw.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee }
    }

    /// A non-blocking listening TCP socket bound to `address`.
    static func listen(on address: SocketAddress, backlog: Int32 = 1024) throws(SystemCallError) -> Int32 {
        var socketAddress = try resolve(address)
        let descriptor = try systemCall("socket") {
            socket(
                AF_INET,
                Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
                    | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
        do {
            var one: Int32 = 1
            try systemCall("setsockopt(SO_REUSEADDR)") {
                setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            }
            try systemCall("bind(\(address))") {
                withUnsafePointer(to: &socketAddress) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
            }
            try systemCall("listen") { Glibc.listen(descriptor, backlog) }
            return descriptor
        } catch {
            close(descriptor)
            throw error
        }
    }

    /// The port a bound socket ended up on (useful after binding port 0).
    static func localPort(of descriptor: Int32) -> Int {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let result = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        return result == 0 ? Int(UInt16(bigEndian: address.sin_port)) : 0
    }

    static func setNoDelay(_ descriptor: Int32) {
        var one: Int32 = 1
        setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }
}
