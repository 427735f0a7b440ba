import Archive
import Foundation
import HTTP
import Synchronization

/// `swiftlet bench --burst N`: N concurrent invocations of a function that has never run,
/// each sleeping `--burst-seconds`, as the scaling issue's burst scenario states it (300
/// concurrent 2 s invocations of a new function: all succeed within 8 s of wall time).
///
/// Every invocation needs an environment of its own, so the wall time is the sleep plus
/// how fast environments are started N at once; a throttled or failed invocation counts
/// against the scenario and is reported.
enum BurstBench {
    static func run(endpoint: String, invocations: Int, sleepSeconds: Double) throws -> Int32 {
        let setup = try APIClient(endpoint: endpoint)
        let name = "swiftlet-bench-burst-\(UUID().uuidString.prefix(8).lowercased())"
        try deploySleeper(setup, name: name, sleepSeconds: sleepSeconds)
        defer { _ = try? setup.call("DELETE", "/2015-03-31/functions/\(name)") }

        let outcomes = Mutex<(latencies: [Double], failures: [Int: Int], sample: String?)>(([], [:], nil))
        let group = DispatchGroup()
        let started = ContinuousClock.now
        for _ in 0..<invocations {
            group.enter()
            let thread = Thread {
                defer { group.leave() }
                let (status, body) = invoke(endpoint: endpoint, name: name)
                let elapsed = ContinuousClock.now - started
                let milliseconds =
                    Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
                outcomes.withLock { outcomes in
                    if status == 200 {
                        outcomes.latencies.append(milliseconds)
                    } else {
                        outcomes.failures[status, default: 0] += 1
                        outcomes.sample = outcomes.sample ?? body
                    }
                }
            }
            thread.stackSize = 256 * 1024
            thread.start()
        }
        group.wait()
        let wall = ContinuousClock.now - started
        let (latencies, failures, sample) = outcomes.withLock { ($0.latencies, $0.failures, $0.sample) }
        print("figure                                  p50 ms    p99 ms    mean ms   n")
        Bench.report("burst invoke, from start to its answer", latencies)
        let seconds = Double(wall.components.seconds) + Double(wall.components.attoseconds) / 1e18
        print(
            String(
                format: "%d concurrent %.1f s invocations of a new function: %d succeeded, wall %.2f s",
                invocations, sleepSeconds, latencies.count, seconds))
        for (status, count) in failures.sorted(by: { $0.key < $1.key }) {
            let what = status == 0 ? "nothing (no answer)" : status < 0 ? "a function error" : "HTTP \(status)"
            print("  \(count) answered \(what)")
        }
        if let sample {
            print("  the first of them: \(sample.prefix(300))")
        }
        return failures.isEmpty ? 0 : 1
    }

    /// One synchronous invoke on a connection of its own: its HTTP status (0 when no answer
    /// came, -1 for a function error) and the answer's body.
    private static func invoke(endpoint: String, name: String) -> (Int, String) {
        guard let api = try? APIClient(endpoint: endpoint),
            let response = try? api.call("POST", "/2015-03-31/functions/\(name)/invocations", body: Array("{}".utf8))
        else { return (0, "") }
        let body = String(decoding: response.body, as: UTF8.self)
        let failed = response.status == 200 && response.headers["X-Amz-Function-Error"] != nil
        return (failed ? -1 : response.status, body)
    }

    private static func deploySleeper(_ api: APIClient, name: String, sleepSeconds: Double) throws {
        try ClientCommands.ensureDefaultRole(api)
        let directory = NSTemporaryDirectory() + "swiftlet-burst-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let code = "import time\ndef handler(event, context):\n    time.sleep(\(sleepSeconds))\n    return 'ok'\n"
        try code.write(toFile: directory + "/app.py", atomically: true, encoding: .utf8)
        chmod(directory + "/app.py", 0o644)
        let zip = try ZipArchive.create(fromDirectory: directory)
        let body: [String: Any] = [
            "FunctionName": name, "Runtime": "python3.11", "Handler": "app.handler", "Timeout": 60,
            "Role": ClientCommands.defaultRole, "Code": ["ZipFile": Data(zip).base64EncodedString()],
        ]
        _ = try api.expect(201, api.call("POST", "/2015-03-31/functions", json: body))
    }
}
