import Archive
import Foundation
import HTTP
import Synchronization

/// `swiftlet bench`: measures a running server from one keep-alive client.
///
/// Each figure is printed next to its floor, measured in the same run: the
/// server's own `/health` round trip over the same connection.
enum Bench {
    static func run(_ arguments: Arguments) throws -> Int32 {
        let endpoint =
            arguments.option("endpoint")
            ?? ProcessInfo.processInfo.environment["SWIFTLET_ENDPOINT"] ?? "http://127.0.0.1:9000"
        if arguments.flag("async") {
            return try AsyncBench.run(
                endpoint: endpoint, events: try arguments.integer("events") ?? 20_000,
                clients: try arguments.integer("clients") ?? 16)
        }
        if let burst = try arguments.integer("burst") {
            let seconds = Double(arguments.option("burst-seconds") ?? "2") ?? 2
            return try BurstBench.run(endpoint: endpoint, invocations: burst, sleepSeconds: seconds)
        }
        let api = try APIClient(endpoint: endpoint)
        let requests = try arguments.integer("requests") ?? 2000
        let coldStarts = try arguments.integer("cold-starts") ?? 20
        let name = "swiftlet-bench-echo"

        try deployEcho(api, name: name)
        let floor = try measure(requests) {
            _ = try api.expect(200, api.call("GET", "/health"))
        }
        let payload = Array(#"{"hello":"world"}"#.utf8)
        _ = try api.call("POST", "/2015-03-31/functions/\(name)/invocations", body: payload)
        let warm = try measure(requests) {
            let response = try api.call("POST", "/2015-03-31/functions/\(name)/invocations", body: payload)
            guard response.status == 200, response.headers["X-Amz-Function-Error"] == nil else {
                throw ServerError(description: "invoke failed with \(response.status)")
            }
        }
        var cold: [Double] = []
        for index in 0..<coldStarts {
            // A configuration change retires the warm environment, so the next invoke starts a new one.
            let body: [String: Any] = ["Description": "cold \(index) \(UUID().uuidString)"]
            _ = try api.expect(200, api.call("PUT", "/2015-03-31/functions/\(name)/configuration", json: body))
            cold += try measure(1) {
                _ = try api.expect(200, api.call("POST", "/2015-03-31/functions/\(name)/invocations", body: payload))
            }
        }
        print("figure                                  p50 ms    p99 ms    mean ms   n")
        report("/health round trip (floor)", floor)
        report("warm invoke, python3.11 echo", warm)
        report("cold start, python3.11 echo", cold)
        let seconds = warm.reduce(0, +) / 1000
        print(String(format: "warm invokes per second, one client:   %.0f", Double(warm.count) / seconds))
        let clients = try arguments.integer("clients") ?? 1
        if clients > 1 {
            let (count, elapsed) = throughput(
                endpoint: endpoint, name: name, clients: clients, requests: requests, payload: payload)
            print(
                String(
                    format: "warm invokes per second, %d keep-alive clients: %.0f (%d in %.2f s)", clients,
                    Double(count) / elapsed, count, elapsed))
        }
        _ = try api.call("DELETE", "/2015-03-31/functions/\(name)")
        return 0
    }

    /// `requests` warm invokes spread over `clients` threads, each on its own keep-alive
    /// connection; returns how many succeeded and the seconds they took together. Each
    /// client first invokes once, so every one has a warm environment before the clock starts.
    static func throughput(
        endpoint: String, name: String, clients: Int, requests: Int, payload: [UInt8]
    ) -> (Int, Double) {
        let path = "/2015-03-31/functions/\(name)/invocations"
        let succeeded = Mutex(0)
        let ready = DispatchGroup()
        let finished = DispatchGroup()
        let go = DispatchSemaphore(value: 0)
        for _ in 0..<clients {
            ready.enter()
            finished.enter()
            Thread {
                defer { finished.leave() }
                let api = try? APIClient(endpoint: endpoint)
                _ = try? api?.call("POST", path, body: payload)
                ready.leave()
                go.wait()
                var local = 0
                for _ in 0..<(requests / clients) {
                    if let response = try? api?.call("POST", path, body: payload), response.status == 200 {
                        local += 1
                    }
                }
                succeeded.withLock { $0 += local }
            }.start()
        }
        ready.wait()
        let started = ContinuousClock.now
        for _ in 0..<clients {
            go.signal()
        }
        finished.wait()
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return (succeeded.withLock { $0 }, seconds)
    }

    static func deployEcho(_ api: APIClient, name: String) throws {
        _ = try api.call("DELETE", "/2015-03-31/functions/\(name)")
        try ClientCommands.ensureDefaultRole(api)
        let directory = NSTemporaryDirectory() + "swiftlet-bench-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "def handler(event, context):\n    return event\n".write(
            toFile: directory + "/app.py", atomically: true, encoding: .utf8)
        let zip = try ZipArchive.create(fromDirectory: directory)
        let body: [String: Any] = [
            "FunctionName": name, "Runtime": "python3.11", "Handler": "app.handler",
            "Role": ClientCommands.defaultRole, "Code": ["ZipFile": Data(zip).base64EncodedString()],
        ]
        _ = try api.expect(201, api.call("POST", "/2015-03-31/functions", json: body))
    }

    /// Runs `body` `count` times; returns each run's milliseconds.
    static func measure(_ count: Int, _ body: () throws -> Void) throws -> [Double] {
        var samples: [Double] = []
        samples.reserveCapacity(count)
        let clock = ContinuousClock()
        for _ in 0..<count {
            let elapsed = try clock.measure(body)
            samples.append(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000)
        }
        return samples
    }

    static func report(_ label: String, _ samples: [Double]) {
        let sorted = samples.sorted()
        guard !sorted.isEmpty else { return }
        let p50 = sorted[sorted.count / 2]
        let p99 = sorted[min(sorted.count - 1, Int(Double(sorted.count) * 0.99))]
        let mean = sorted.reduce(0, +) / Double(sorted.count)
        let padded = label.padding(toLength: 38, withPad: " ", startingAt: 0)
        print(String(format: "%@  %8.3f  %8.3f  %8.3f  %d", padded, p50, p99, mean, sorted.count))
    }
}
