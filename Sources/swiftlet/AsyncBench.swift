import Foundation
import HTTP
import Synchronization

/// `swiftlet bench --async`: durable acceptance of Event invokes from many
/// keep-alive clients, and the delay from a 202 to the handler's start.
enum AsyncBench {
    static func run(endpoint: String, events: Int, clients: Int) throws -> Int32 {
        let setup = try APIClient(endpoint: endpoint)
        let name = "swiftlet-bench-async"
        try Bench.deployEcho(setup, name: name)
        let floor = try Bench.measure(2000) { _ = try setup.expect(200, setup.call("GET", "/health")) }

        let delays = try startDelays(setup, name: name, count: 200)
        let (accepted, seconds, latencies) = try acceptance(
            endpoint: endpoint, name: name, events: events, clients: clients)
        let drained = try drain(setup, accepted: accepted, since: Date().addingTimeInterval(-seconds))

        // The same burst with delivery switched off (reserved concurrency 0 sends each
        // event straight to the failure path): what acceptance alone costs.
        let body: [String: Any] = ["ReservedConcurrentExecutions": 0]
        _ = try setup.expect(200, setup.call("PUT", "/2017-10-31/functions/\(name)/concurrency", json: body))
        let (acceptedAlone, secondsAlone, latenciesAlone) = try acceptance(
            endpoint: endpoint, name: name, events: events, clients: clients)

        print("figure                                  p50 ms    p99 ms    mean ms   n")
        Bench.report("/health round trip (floor)", floor)
        Bench.report("202 to handler start, one client", delays)
        Bench.report("Event invoke answered 202 (\(clients) clients)", latencies)
        Bench.report("Event invoke answered 202, no delivery", latenciesAlone)
        print(
            String(
                format: "durable events accepted per second, %d keep-alive clients: %.0f (%d in %.2f s)",
                clients, Double(accepted) / seconds, accepted, seconds))
        print(String(format: "  ... and all delivered (python3.11 echo) %.2f s after the first was sent", drained))
        print(
            String(
                format: "durable events accepted per second, no delivery: %.0f (%d in %.2f s)",
                Double(acceptedAlone) / secondsAlone, acceptedAlone, secondsAlone))
        _ = try setup.call("DELETE", "/2015-03-31/functions/\(name)")
        return 0
    }

    /// `clients` threads, each on its own keep-alive connection, send Event invokes.
    private static func acceptance(
        endpoint: String, name: String, events: Int, clients: Int
    ) throws -> (Int, Double, [Double]) {
        let latencies = Mutex<[Double]>([])
        let failures = Mutex<Int>(0)
        let perClient = events / clients
        let started = Date()
        // One thread per client: concurrentPerform would run only as many as there are cores.
        let group = DispatchGroup()
        for index in 0..<clients {
            group.enter()
            let thread = Thread {
                defer { group.leave() }
                send(index)
            }
            thread.start()
        }
        @Sendable func send(_ index: Int) {
            guard let api = try? APIClient(endpoint: endpoint) else { return }
            var local: [Double] = []
            local.reserveCapacity(perClient)
            for number in 0..<perClient {
                let payload = Array("{\"client\": \(index), \"n\": \(number)}".utf8)
                let begin = ContinuousClock.now
                let response = try? api.call(
                    "POST", "/2015-03-31/functions/\(name)/invocations", body: payload,
                    headers: ["X-Amz-Invocation-Type": "Event"])
                let elapsed = ContinuousClock.now - begin
                guard response?.status == 202 else {
                    failures.withLock { $0 += 1 }
                    continue
                }
                local.append(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000)
            }
            latencies.withLock { $0 += local }
        }
        group.wait()
        let seconds = Date().timeIntervalSince(started)
        let samples = latencies.withLock { $0 }
        if failures.withLock({ $0 }) > 0 {
            throw ServerError(description: "\(failures.withLock { $0 }) Event invokes were not accepted")
        }
        return (samples.count, seconds, samples)
    }

    /// Waits until the queue has delivered `accepted` more events; returns seconds since `since`.
    private static func drain(_ api: APIClient, accepted: Int, since: Date) throws -> Double {
        let deadline = Date().addingTimeInterval(600)
        while Date() < deadline {
            let text = String(decoding: try api.call("GET", "/metrics").body, as: UTF8.self)
            let queued = text.split(separator: "\n").first { $0.hasPrefix("swiftlet_async_events_queued ") }
            if let value = queued?.split(separator: " ").last.flatMap({ Int($0) }), value == 0 {
                return Date().timeIntervalSince(since)
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw ServerError(description: "the queue did not drain within 10 minutes")
    }

    /// Sends `count` events one at a time (the function always has spare
    /// concurrency) and reads each START line's timestamp from the logs.
    private static func startDelays(_ api: APIClient, name: String, count: Int) throws -> [Double] {
        _ = try api.expect(200, api.call("POST", "/2015-03-31/functions/\(name)/invocations", body: Array("{}".utf8)))
        var accepted: [String: Double] = [:]
        for _ in 0..<count {
            let response = try api.call(
                "POST", "/2015-03-31/functions/\(name)/invocations", body: Array("{}".utf8),
                headers: ["X-Amz-Invocation-Type": "Event"])
            guard response.status == 202, let id = response.headers["X-Amzn-RequestId"] else {
                throw ServerError(description: "an Event invoke was not accepted")
            }
            accepted[id] = Date().timeIntervalSince1970 * 1000
            Thread.sleep(forTimeInterval: 0.01)
        }
        Thread.sleep(forTimeInterval: 0.5)
        var delays: [Double] = []
        var token: String?
        repeat {
            var body: [String: Any] = ["logGroupName": "/aws/lambda/\(name)", "filterPattern": "START"]
            if let token { body["nextToken"] = token }
            let page = try api.expect(200, api.logs("FilterLogEvents", body))
            for event in page["events"] as? [[String: Any]] ?? [] {
                let message = event["message"] as? String ?? ""
                let words = message.split(separator: " ")
                guard words.count >= 3, let sent = accepted[String(words[2])],
                    let started = (event["timestamp"] as? NSNumber)?.doubleValue
                else { continue }
                delays.append(max(0, started - sent))
            }
            token = page["nextToken"] as? String
        } while token != nil
        return delays
    }
}
