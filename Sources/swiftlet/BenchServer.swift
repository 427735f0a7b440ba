import Crypto
import Foundation
import HTTP

#if canImport(Glibc)
    import Glibc
#endif

/// The server `swiftlet bench --serve` starts for itself: this same binary running `serve` on a
/// free loopback port with a fresh data directory and root credentials made for the run,
/// stopped (SIGTERM) and its directory removed when the bench ends.
final class BenchServer {
    let endpoint: String
    let credentials: (accessKeyId: String, secretAccessKey: String)
    private let process: Process
    private let dataDirectory: String

    /// Starts the server with `extraArguments` after its own, and waits (up to 30 seconds) until
    /// `/health` answers.
    init(extraArguments: [String]) throws {
        let port = try Self.freePort()
        dataDirectory = NSTemporaryDirectory() + "swiftlet-bench-server-\(UUID().uuidString)"
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        credentials = (
            "AKIA" + String(SecureRandom.bytes(count: 16).map { alphabet[Int($0) % alphabet.count] }),
            Data(SecureRandom.bytes(count: 30)).base64EncodedString()
        )
        endpoint = "http://127.0.0.1:\(port)"
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments =
            ["serve", "--data-dir", dataDirectory, "--listen", "127.0.0.1:\(port)"] + extraArguments
        var environment = ProcessInfo.processInfo.environment
        environment["SWIFTLET_ROOT_ACCESS_KEY_ID"] = credentials.accessKeyId
        environment["SWIFTLET_ROOT_SECRET_ACCESS_KEY"] = credentials.secretAccessKey
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let client = HTTPClient(address: SocketAddress(host: "127.0.0.1", port: port), timeoutSeconds: 2)
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if let response = try? client.send(method: "GET", target: "/health"), response.status == 200 {
                return
            }
            guard process.isRunning else { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        stop()
        throw ServerError(description: "the server the bench started did not become healthy within 30 seconds")
    }

    /// Stops the server and removes its data directory.
    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: dataDirectory)
    }

    /// A loopback port nothing listens on now.
    private static func freePort() throws -> Int {
        let listener = try HTTPServer.listeningSocket(on: SocketAddress(host: "127.0.0.1", port: 0))
        defer { close(listener) }
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
