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
        guard arguments.flag("serve") else {
            let endpoint =
                arguments.option("endpoint")
                ?? ProcessInfo.processInfo.environment["SWIFTLET_ENDPOINT"] ?? "http://127.0.0.1:9000"
            return try run(arguments, endpoint: endpoint)
        }
        // A server of its own: every client of the run signs with the credentials made for it.
        let server = try BenchServer(
            extraArguments: (arguments.option("serve-args") ?? "").split(separator: " ").map(String.init))
        defer { server.stop() }
        setenv("AWS_ACCESS_KEY_ID", server.credentials.accessKeyId, 1)
        setenv("AWS_SECRET_ACCESS_KEY", server.credentials.secretAccessKey, 1)
        unsetenv("AWS_SESSION_TOKEN")
        print("bench: started swiftlet serve at \(server.endpoint)")
        return try run(arguments, endpoint: server.endpoint)
    }

    private static func run(_ arguments: Arguments, endpoint: String) throws -> Int32 {
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
        let scratchName = "swiftlet-bench-scratch"
        let nativeName = "swiftlet-bench-native"
        let nativeScratchName = "swiftlet-bench-native-scratch"
        let nodeName = "swiftlet-bench-node"
        let nodeScratchName = "swiftlet-bench-node-scratch"
        var report = BenchReport()

        try deployEcho(api, name: name)
        // PYTHON* variables are read only as an interpreter starts, so this function never
        // gets a stem cell: every one of its cold starts builds a sandbox from scratch.
        try deployEcho(api, name: scratchName, variables: ["PYTHONDONTWRITEBYTECODE": "1"])
        report.figures.append(
            BenchFigure(
                label: "/health round trip (floor)",
                samples: try measure(requests) { _ = try api.expect(200, api.call("GET", "/health")) }))

        let payload = Array(#"{"hello":"world"}"#.utf8)
        let invoke = { (function: String) throws in
            let response = try api.call("POST", "/2015-03-31/functions/\(function)/invocations", body: payload)
            guard response.status == 200, response.headers["X-Amz-Function-Error"] == nil else {
                throw ServerError(description: "invoke of \(function) failed with \(response.status)")
            }
        }
        try invoke(name)
        let warm = try measure(requests) { try invoke(name) }
        report.figures.append(BenchFigure(label: "warm invoke, python3.11 echo", samples: warm))

        // A configuration change retires the warm environment, so the next invoke starts a new one.
        let coldStart = { (function: String, index: Int, settle: Bool) throws -> Double in
            let body: [String: Any] = ["Description": "cold \(index) \(UUID().uuidString)"]
            _ = try api.expect(200, api.call("PUT", "/2015-03-31/functions/\(function)/configuration", json: body))
            if settle {
                try waitUntilAtRest(api)
            }
            return try measure(1) { try invoke(function) }[0]
        }
        // `coldStarts` cold starts of `function`, each on a machine at rest, as one figure.
        let coldStartFigure = { (label: String, function: String) throws in
            report.figures.append(
                BenchFigure(label: label, samples: try (0..<coldStarts).map { try coldStart(function, $0, true) }))
        }
        try coldStartFigure("cold start, stem cell ready", name)
        report.figures.append(
            BenchFigure(
                label: "cold start, back to back (pool drained)",
                samples: try (0..<coldStarts).map { try coldStart(name, coldStarts + $0, false) }))
        try coldStartFigure("cold start, sandbox from scratch", scratchName)
        report.figures.append(
            BenchFigure(
                label: "naive: new python3.11 per invoke", samples: try NaiveBaseline.measure(count: coldStarts)))
        let nativeBootstrap = arguments.option("native-bootstrap") ?? "examples/echo-c/bootstrap"
        if FileManager.default.isExecutableFile(atPath: nativeBootstrap) {
            // A 1 GB /tmp is not the stem cells' size, so that function starts from scratch.
            try deployEcho(api, name: nativeName, nativeBootstrap: nativeBootstrap)
            try deployEcho(
                api, name: nativeScratchName, nativeBootstrap: nativeBootstrap,
                settings: ["EphemeralStorage": ["Size": 1024]])
            try invoke(nativeName)
            try invoke(nativeScratchName)
            try coldStartFigure("cold start, provided (C), stem cell ready", nativeName)
            try coldStartFigure("cold start, provided (C), from scratch", nativeScratchName)
        }
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/node") {
            // NODE_OPTIONS is read only as node starts: that function never gets a stem cell.
            try deployEcho(api, name: nodeName, runtime: "nodejs20.x")
            try deployEcho(
                api, name: nodeScratchName, runtime: "nodejs20.x", variables: ["NODE_OPTIONS": "--no-warnings"])
            // The first cold start of a Node.js memory size is what makes stem cells of that size.
            try invoke(nodeName)
            try invoke(nodeScratchName)
            try coldStartFigure("cold start, nodejs20.x, stem cell ready", nodeName)
            try coldStartFigure("cold start, nodejs20.x, from scratch", nodeScratchName)
        }

        let seconds = warm.reduce(0, +) / 1000
        report.rates.append((label: "warm invokes per second, one client", value: Double(warm.count) / seconds))
        let clients = try arguments.integer("clients") ?? 1
        if clients > 1 {
            let (count, elapsed) = throughput(
                endpoint: endpoint, name: name, clients: clients, requests: requests, payload: payload)
            report.rates.append(
                (label: "warm invokes per second, \(clients) keep-alive clients", value: Double(count) / elapsed))
        }
        report.printTable()
        if let path = arguments.option("json") {
            try report.writeJSON(to: path)
        }
        if let path = arguments.option("plot") {
            try report.writeSVG(to: path)
        }
        _ = try api.call("DELETE", "/2015-03-31/functions/\(name)")
        for function in [scratchName, nativeName, nativeScratchName, nodeName, nodeScratchName] {
            _ = try api.call("DELETE", "/2015-03-31/functions/\(function)")
        }
        return 0
    }

    /// Waits (up to 10 seconds) until the server builds no stem cells and has one ready, when
    /// it has stem cells at all: a cold start is then measured on a machine at rest.
    static func waitUntilAtRest(_ api: APIClient) throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            let text = String(decoding: try api.call("GET", "/metrics").body, as: UTF8.self)
            let starting = metric("swiftlet_stem_cells_starting", in: text)
            let ready = metric("swiftlet_stem_cells_ready", in: text)
            if starting == 0 {
                // Without stem cells (--stem-cells 0, or no sandbox) nothing will become ready.
                if ready > 0 || metric("swiftlet_environments_specialized_total", in: text) == 0 { return }
            }
            Thread.sleep(forTimeInterval: 0.005)
        }
    }

    static func metric(_ name: String, in text: String) -> Int {
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Int(line.dropFirst(name.count + 1)) ?? 0
        }
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

    /// The Python handler every scenario runs: it returns its event.
    static let echoHandler = "def handler(event, context):\n    return event\n"

    /// The same handler for nodejs20.x.
    static let nodeEchoHandler = "export const handler = async (event) => event;\n"

    /// Creates `name`: a function of `runtime` (Python or Node.js) returning its event, or with
    /// `nativeBootstrap` (a compiled examples/echo-c) a provided.al2023 function doing the same.
    static func deployEcho(
        _ api: APIClient, name: String, runtime: String = "python3.11", variables: [String: String] = [:],
        nativeBootstrap: String? = nil, settings: [String: Any] = [:]
    ) throws {
        _ = try api.call("DELETE", "/2015-03-31/functions/\(name)")
        try ClientCommands.ensureDefaultRole(api)
        let directory = NSTemporaryDirectory() + "swiftlet-bench-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var handler = "app.handler"
        if let nativeBootstrap {
            try FileManager.default.copyItem(atPath: nativeBootstrap, toPath: directory + "/bootstrap")
        } else if runtime.hasPrefix("nodejs") {
            try nodeEchoHandler.write(toFile: directory + "/index.mjs", atomically: true, encoding: .utf8)
            handler = "index.handler"
        } else {
            try echoHandler.write(toFile: directory + "/app.py", atomically: true, encoding: .utf8)
        }
        let zip = try ZipArchive.create(fromDirectory: directory)
        var body: [String: Any] = [
            "FunctionName": name, "Runtime": nativeBootstrap == nil ? runtime : "provided.al2023",
            "Handler": handler, "Role": ClientCommands.defaultRole,
            "Code": ["ZipFile": Data(zip).base64EncodedString()], "Environment": ["Variables": variables],
        ]
        body.merge(settings) { _, setting in setting }
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

    /// Prints one row in the async and burst scenarios' tables.
    static func report(_ label: String, _ samples: [Double]) {
        guard !samples.isEmpty else { return }
        print(BenchReport.row(BenchFigure(label: label, samples: samples), labelWidth: 38))
    }
}
