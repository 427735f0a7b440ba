import Auth
import ControlAPI
import Crypto
import Dispatch
import Foundation
import HTTP
import Invoker
import Sandbox
import Store

#if canImport(Glibc)
    import Glibc
#endif

/// `swiftlet serve`: the whole platform on one node.
enum Serve {
    static let defaultListen = "127.0.0.1:9000"
    static let defaultDataDirectory = "./swiftlet-data"

    static func run(_ arguments: Arguments) async throws {
        let dataDirectory = absolute(arguments.option("data-dir") ?? defaultDataDirectory)
        guard let address = SocketAddress(parsing: arguments.option("listen") ?? defaultListen) else {
            throw UsageError("--listen takes HOST:PORT")
        }
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        let credentials = try RootCredentials.load(dataDirectory: dataDirectory)

        var invokerConfiguration = InvokerConfiguration(runtimesDirectory: try runtimesDirectory(arguments))
        if let seconds = try arguments.integer("idle-timeout") {
            invokerConfiguration.idleTimeout = .seconds(seconds)
        }
        if let starts = try arguments.integer("max-concurrent-starts") {
            guard starts >= 1 else { throw UsageError("--max-concurrent-starts must be at least 1") }
            invokerConfiguration.maxConcurrentStarts = starts
        }
        if let megabytes = try arguments.integer("memory-budget-mb") {
            guard megabytes >= 64 else { throw UsageError("--memory-budget-mb must be at least 64") }
            invokerConfiguration.memoryBudgetBytes = megabytes * 1_048_576
        }
        if let limit = try arguments.integer("account-concurrency") {
            invokerConfiguration.accountConcurrencyLimit = limit
        }
        invokerConfiguration.sandbox = try sandboxMode(arguments)
        if invokerConfiguration.sandbox == .bubblewrap {
            ProcessLauncher.recoverFromEarlierRuns()
        }
        invokerConfiguration.sandboxBinds = try sandboxBinds(arguments)
        invokerConfiguration.outboundNetwork = try outboundNetwork(arguments, sandbox: invokerConfiguration.sandbox)
        invokerConfiguration.sandboxScratchDirectory = dataDirectory + "/sandbox-tmp"
        invokerConfiguration.stemCellDirectory = dataDirectory + "/stem-cell"
        if let count = try arguments.integer("stem-cells") {
            guard count >= 0 else { throw UsageError("--stem-cells must be 0 or more") }
            invokerConfiguration.stemCellsPerRuntime = count
        }
        // Functions call the AWS APIs as their execution role: inside a sandbox through a port in
        // its own network namespace, without one through the server's own address.
        let hostEndpoint = "http://\(address.host == "0.0.0.0" ? "127.0.0.1" : address.host):\(address.port)"
        let awsAccess = FunctionAWSAccess(hostEndpoint: hostEndpoint)
        invokerConfiguration.awsAccess = awsAccess
        var apiConfiguration = ControlAPIConfiguration(dataDirectory: dataDirectory)
        apiConfiguration.rootCredentials = Credentials(
            accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey)
        apiConfiguration.accountConcurrencyLimit = invokerConfiguration.accountConcurrencyLimit
        if let seconds = try arguments.integer("execution-credential-seconds") {
            guard seconds >= 60 else { throw UsageError("--execution-credential-seconds must be at least 60") }
            apiConfiguration.executionCredentialSeconds = TimeInterval(seconds)
        }

        let spinMicroseconds = try arguments.integer("loop-spin-us") ?? Self.defaultLoopSpinMicroseconds
        guard (0...10_000).contains(spinMicroseconds) else {
            throw UsageError("--loop-spin-us takes 0 to 10000 microseconds")
        }

        let store = try SQLiteStore(dataDirectory: dataDirectory)
        let loop = try EventLoop(spinMicroseconds: spinMicroseconds)
        let sink = StoreLogSink(store: store)
        let invoker = Invoker(loop: loop, sink: sink, configuration: invokerConfiguration)
        var asyncConfiguration = AsyncQueueConfiguration()
        if let seconds = try arguments.integer("async-retry-delay") {
            asyncConfiguration.retryBaseDelay = .seconds(seconds)
        }
        let api = ControlAPI(
            configuration: apiConfiguration, store: store, invoker: invoker, asyncConfiguration: asyncConfiguration,
            flushLogs: { sink.flush() })
        awsAccess.connect(handler: api, issue: api.issueFunctionCredentials)
        try api.start()
        let server = try await HTTPServer(address: address, loop: loop, handler: api)

        let retentionDays = try arguments.integer("log-retention-days") ?? 30
        let maxEvents = try arguments.integer("log-max-events") ?? 100_000
        let retention = Task.detached {
            await enforceLogRetention(store, days: retentionDays, maxEventsPerGroup: maxEvents)
        }

        printError("swiftlet: serving on http://\(address.host):\(server.port) (data in \(dataDirectory))")
        printError("swiftlet: root access key \(credentials.accessKeyId)")
        await waitForTerminationSignal()

        printError("swiftlet: shutting down")
        retention.cancel()
        server.close()
        await invoker.shutdown(gracePeriod: .seconds(5))
        ProcessLauncher.shutDown()
        sink.flush()
        loop.shutdown()
        printError("swiftlet: stopped")
    }

    /// Trims every log group to its newest `maxEventsPerGroup` events and drops
    /// events older than `days`, once a minute until cancelled.
    private static func enforceLogRetention(_ store: SQLiteStore, days: Int, maxEventsPerGroup: Int) async {
        while !Task.isCancelled {
            let cutoff = Int64(Date().timeIntervalSince1970 * 1000) - Int64(days) * 86_400_000
            _ = try? store.applyRetention(maxEventsPerGroup: maxEventsPerGroup, olderThanMilliseconds: cutoff)
            // Expired STS sessions sign nothing; drop them so the table does not grow without bound.
            _ = try? store.deleteExpiredSessions(before: Int64(Date().timeIntervalSince1970 * 1000))
            try? await Task.sleep(for: .seconds(60))
        }
    }

    /// `--outbound-network none|slirp4netns`: whether sandboxed functions reach other networks.
    private static func outboundNetwork(_ arguments: Arguments, sandbox: SandboxMode) throws -> Bool {
        switch arguments.option("outbound-network") ?? "none" {
        case "none":
            return false
        case "slirp4netns":
            guard OutboundNetworkSupport.isAvailable else {
                throw UsageError(
                    "--outbound-network slirp4netns needs /usr/bin/slirp4netns (scripts/setup installs it)")
            }
            if sandbox == .none {
                printError("swiftlet: warning: without a sandbox functions share the host's network anyway")
            }
            return sandbox == .bubblewrap
        case let other:
            throw UsageError("--outbound-network takes none or slirp4netns, not '\(other)'")
        }
    }

    /// Suspends until SIGTERM or SIGINT arrives.
    private static func waitForTerminationSignal() async {
        signal(SIGPIPE, SIG_IGN)
        let (signals, continuation) = AsyncStream<Int32>.makeStream()
        var sources: [DispatchSourceSignal] = []
        for signalNumber in [SIGTERM, SIGINT] {
            // The default action is replaced by the dispatch source's handler.
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { continuation.yield(signalNumber) }
            source.resume()
            sources.append(source)
        }
        for await _ in signals {
            break
        }
        for source in sources {
            source.cancel()
        }
    }

    /// `--sandbox none|bubblewrap`; bubblewrap by default when bwrap is installed and we run as root.
    private static func sandboxMode(_ arguments: Arguments) throws -> SandboxMode {
        guard let text = arguments.option("sandbox") else {
            let mode = SandboxMode.preferred
            if mode == .none {
                printError(
                    "swiftlet: warning: functions run WITHOUT isolation (--sandbox none): "
                        + "sandboxes need /usr/bin/bwrap and a server running as root")
            }
            return mode
        }
        guard let mode = SandboxMode(rawValue: text) else {
            throw UsageError("--sandbox takes none or bubblewrap, not '\(text)'")
        }
        return mode
    }

    /// `--sandbox-bind HOST[:SANDBOX][,...]`: trusted host directories every sandbox sees read-only.
    private static func sandboxBinds(_ arguments: Arguments) throws -> [ReadOnlyBind] {
        guard let text = arguments.option("sandbox-bind") else { return [] }
        return try text.split(separator: ",").map { (item) throws(UsageError) -> ReadOnlyBind in
            guard let bind = ReadOnlyBind(parsing: String(item)) else {
                throw UsageError("--sandbox-bind takes absolute HOST[:SANDBOX] paths, not '\(item)'")
            }
            return bind
        }
    }

    /// How long the event loop polls after its last event before it sleeps (`--loop-spin-us`):
    /// on the project's machine 150 µs took a warm invoke's p50 from about 0.50 to 0.46 ms and
    /// halved the `/health` round trip, for no measurable CPU while idle (BENCHMARKS.md).
    static let defaultLoopSpinMicroseconds = 150

    /// Where the runtime clients live: `--runtimes-dir`, `$SWIFTLET_RUNTIMES_DIR`,
    /// or a `runtimes/` directory beside or above the executable.
    private static func runtimesDirectory(_ arguments: Arguments) throws -> String {
        if let explicit = arguments.option("runtimes-dir")
            ?? ProcessInfo.processInfo.environment["SWIFTLET_RUNTIMES_DIR"]
        {
            return absolute(explicit)
        }
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = executable.deletingLastPathComponent()
        for _ in 0..<5 {
            for candidate in ["runtimes", "share/swiftlet/runtimes"] {
                let path = directory.appendingPathComponent(candidate).path
                if FileManager.default.fileExists(atPath: path + "/python/bootstrap") {
                    return path
                }
            }
            directory = directory.deletingLastPathComponent()
        }
        let local = absolute("runtimes")
        guard FileManager.default.fileExists(atPath: local + "/python/bootstrap") else {
            throw UsageError("cannot find the runtimes directory; pass --runtimes-dir")
        }
        return local
    }

    static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") {
            return URL(fileURLWithPath: path).standardized.path
        }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(path).standardized
            .path
    }
}

/// The root credentials: from the environment when set, else generated on
/// first start and kept in the data directory in AWS credentials-file format.
struct RootCredentials {
    let accessKeyId: String
    let secretAccessKey: String

    static func load(dataDirectory: String) throws -> RootCredentials {
        let environment = ProcessInfo.processInfo.environment
        if let key = environment["SWIFTLET_ROOT_ACCESS_KEY_ID"],
            let secret = environment["SWIFTLET_ROOT_SECRET_ACCESS_KEY"]
        {
            return RootCredentials(accessKeyId: key, secretAccessKey: secret)
        }
        let path = dataDirectory + "/credentials"
        if let text = try? String(contentsOfFile: path, encoding: .utf8),
            let parsed = CredentialsFile(parsing: text).credentials()
        {
            return RootCredentials(accessKeyId: parsed.accessKeyId, secretAccessKey: parsed.secretAccessKey)
        }
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        let key = "AKIA" + String(SecureRandom.bytes(count: 16).map { alphabet[Int($0) % alphabet.count] })
        let secret = Data(SecureRandom.bytes(count: 30)).base64EncodedString()
        let text = "[default]\naws_access_key_id = \(key)\naws_secret_access_key = \(secret)\n"
        try writePrivately(text, to: path)
        return RootCredentials(accessKeyId: key, secretAccessKey: secret)
    }

    /// Writes `text` to a new file created with mode 0600, so the secret is never readable by others.
    private static func writePrivately(_ text: String, to path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw UsageError("cannot create \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        let bytes = Array(text.utf8)
        guard write(descriptor, bytes, bytes.count) == bytes.count, fsync(descriptor) == 0 else {
            throw UsageError("cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }
}
