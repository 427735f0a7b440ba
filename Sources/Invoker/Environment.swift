import CSystem
import Crypto
import Foundation
import HTTP
import RuntimeAPI
import Sandbox
import Store

#if canImport(Glibc)
    import Glibc
#endif

/// One execution environment: a runtime process, its Runtime API endpoint,
/// and the log stream its output goes to. Runs one invocation at a time.
///
/// Confined to the event loop thread, like everything the invoker owns.
final class Environment: RuntimeEndpointDelegate, @unchecked Sendable {
    // @unchecked: all state is read and written on `loop`'s thread only.
    enum Status {
        case initializing
        case idle
        case busy
        case dead
    }

    private struct Active {
        var request: InvokeRequest
        var completion: (InvokeResult) -> Void
        var deliveredAt: ContinuousClock.Instant?
        var timer: UInt64?
    }

    let id = UUID().uuidString.lowercased()
    let target: InvocationTarget
    let logStream: String
    private(set) var status = Status.initializing
    private(set) var lastUsed = ContinuousClock.now
    /// Set when the function's configuration changed: stop instead of going idle.
    private(set) var isRetired = false
    private let loop: EventLoop
    private let sink: any LogSink
    private let configuration: InvokerConfiguration
    private let endpoint: RuntimeEndpoint
    /// The stem cell this environment takes over at `start`, when one was free.
    private var stem: StemCell?
    private let onRelease: (Environment) -> Void
    private var server: HTTPServer?
    /// Answers the AWS APIs inside the environment's network namespace.
    private var awsEndpointServer: HTTPServer?
    /// When the environment's role credentials expire; nil when it has none.
    private(set) var credentialsExpiration: Date?
    private var process: LaunchedProcess?
    private var watchers: [DescriptorWatcher] = []
    private var partialLines: [Int32: [UInt8]] = [:]
    private var lines: [(timestampMilliseconds: Int64, message: String)] = []
    private var active: Active?
    private let startedAt = ContinuousClock.now
    private var initDurationMilliseconds: Double?
    private var coldStartPending = true
    /// The provisioned-concurrency configuration that started this environment ahead of
    /// invocations, if one did: it is kept while idle, and its first invocation reports no
    /// Init Duration (init was on no invocation's path).
    let provisionKey: String?
    /// What the host's memory budget counts for this environment: its peak use so far, or
    /// until its first invocation reports one, what its function's environments needed before.
    var memoryChargeBytes: Int
    var isProvisioned: Bool { provisionKey != nil }
    private var initTimer: UInt64?
    /// True while the environment's processes are frozen (idle, runtime client parked).
    private var frozen = false
    private var freezeTimer: UInt64?
    private var initFailure: [UInt8]?
    /// Set when the runtime's entry point could not be executed at all.
    private var launchFailure: (type: String, message: String)?

    var logGroup: String { target.function.logGroup ?? "/aws/lambda/\(target.function.name)" }

    /// True when the function asked for Lambda's JSON log format.
    private var jsonLogs: Bool { target.function.logFormat == "JSON" }

    /// Platform lines (start, report) are written unless the system log level is WARN.
    private var platformLines: Bool { !jsonLogs || target.function.systemLogLevel != "WARN" }

    init(
        target: InvocationTarget, loop: EventLoop, sink: any LogSink, configuration: InvokerConfiguration,
        provisionKey: String? = nil, expectedMemoryBytes: Int = 0, stem: StemCell? = nil,
        onRelease: @escaping (Environment) -> Void
    ) {
        self.stem = stem
        self.endpoint = stem?.endpoint ?? RuntimeEndpoint()
        self.memoryChargeBytes = expectedMemoryBytes
        self.target = target
        self.loop = loop
        self.sink = sink
        self.configuration = configuration
        self.provisionKey = provisionKey
        self.coldStartPending = provisionKey == nil
        self.onRelease = onRelease
        self.logStream = LogFormat.streamName(version: target.function.version)
    }

    /// Builds the endpoint and starts the runtime process: sandboxed, with the
    /// Runtime API listening at 127.0.0.1:9001 in the environment's own network
    /// namespace, or (`--sandbox none`) as a plain child and a host port. With a stem
    /// cell, specialises it instead; if that fails, the caller terminates this environment
    /// (and the stem cell with it).
    func start() throws {
        endpoint.attach(self)
        if let stem {
            self.stem = nil
            return try specialize(stem)
        }
        let sandbox = sandboxSpec()
        var runtimeAPIPort = SandboxSpec.runtimeAPIPort
        if sandbox?.runtimeAPIPort == nil {
            let listener = try HTTPServer.listeningSocket(on: SocketAddress(host: "127.0.0.1", port: 0))
            let server = try HTTPServer(onLoop: loop, adopting: listener, handler: endpoint)
            self.server = server
            runtimeAPIPort = server.port
        }
        let spec = launchSpec(runtimeAPIPort: runtimeAPIPort, sandbox: sandbox)
        let launched: LaunchedProcess
        do {
            launched = try ProcessLauncher.launch(spec)
        } catch {
            // A missing or unusable bootstrap is the function's fault, not the
            // server's: the invocation fails with Lambda's Runtime.InvalidEntrypoint.
            guard [ENOENT, EACCES, ENOEXEC].contains(error.errno) else { throw error }
            launchFailure = (type: "Runtime.InvalidEntrypoint", message: Self.entrypointMessage(spec.executable, error))
            return
        }
        process = launched
        watch(launched)
        if let listener = launched.runtimeAPIListener {
            // Created inside the environment's namespace, served by this loop.
            server = try HTTPServer(onLoop: loop, adopting: listener, handler: endpoint)
        }
        if let listener = launched.awsEndpointListener {
            if let handler = configuration.awsAccess?.currentHandler {
                awsEndpointServer = try HTTPServer(onLoop: loop, adopting: listener, handler: handler)
            } else {
                close(listener)
            }
        }
        initTimer = loop.scheduleTimer(after: configuration.initTimeout) { [weak self] in
            self?.initTimedOut()
        }
    }

    /// Takes over `stem`'s running sandbox: mounts the function's code at `/var/task` and its
    /// layers at `/opt`, gives the cgroup the function's MemorySize, then tells the waiting
    /// runtime client its environment variables, after which it imports the handler (or, for
    /// a custom runtime, executes the function's bootstrap in its place).
    private func specialize(_ stem: StemCell) throws {
        stem.handOver()
        process = stem.process
        server = stem.server
        awsEndpointServer = stem.awsEndpointServer
        watch(stem.process)
        // Without layers, an empty /opt, as on AWS (the placeholder has an empty lib/).
        let layers = target.layersDirectory ?? StemCellPool.emptyDirectory(configuration.stemCellDirectory ?? "")
        try ProcessLauncher.mount(
            [(target.codeDirectory, SandboxSpec.taskRoot), (layers, SandboxSpec.layersRoot)], in: stem.process)
        try ProcessLauncher.resize(stem.process, memoryMegabytes: target.function.memoryMegabytes)
        let spec = launchSpec(runtimeAPIPort: SandboxSpec.runtimeAPIPort, sandbox: sandboxSpec())
        // Written by hand: JSONSerialization took about 0.6 ms here, on every cold start.
        var document = "{\"environment\":" + JSONText.object(spec.environment)
        if RuntimeCatalog.usesCustomBootstrap(target.function.runtime ?? "provided.al2023") {
            // A custom runtime's bootstrap replaces the stem cell's runtime client (execve), so
            // it starts as a new process would, with nothing of the client left.
            document += ",\"exec\":"
            JSONText.appendQuoted(spec.executable, to: &document)
        }
        document += "}"
        guard endpoint.specialize(with: Array(document.utf8)) else {
            throw StemCellError(message: "the stem cell's runtime client is not waiting to be specialised")
        }
        initTimer = loop.scheduleTimer(after: configuration.initTimeout) { [weak self] in
            self?.initTimedOut()
        }
    }

    /// Runs `request`, invoked as `invokedFunctionArn` (the ARN this caller used, which a warm
    /// environment may not have been started for); `completion` is called exactly once, on the loop.
    func run(
        _ request: InvokeRequest, invokedFunctionArn: String, completion: @escaping (InvokeResult) -> Void
    ) {
        precondition(active == nil && status != .dead && status != .busy)
        lastUsed = .now
        active = Active(request: request, completion: completion)
        if status == .idle {
            status = .busy
        }
        thaw()
        if let failure = launchFailure {
            appendLine("\(Self.isoTimestamp()) \(request.requestId) Error: \(failure.message) \(failure.type)")
            finishActive(functionError: failure, report: "error")
            tearDown()
            return
        }
        let deadline = epochMilliseconds() + Int64(target.function.timeoutSeconds) * 1000
        endpoint.invoke(
            RuntimeInvocation(
                requestId: request.requestId, payload: request.payload, deadlineMilliseconds: deadline,
                invokedFunctionArn: invokedFunctionArn, traceId: Self.traceId(),
                clientContext: request.clientContext, cognitoIdentity: request.cognitoIdentity))
    }

    /// Whether the role credentials, if any, stay valid for at least `seconds` more.
    func credentialsOutlast(seconds: Int) -> Bool {
        guard let credentialsExpiration else { return true }
        return credentialsExpiration.timeIntervalSinceNow > Double(seconds)
    }

    func markRetired() {
        isRetired = true
    }

    /// Stops the environment now; an invocation in flight fails with `error`.
    func terminate(failing error: (type: String, message: String)? = nil) {
        guard status != .dead else { return }
        let failure = error ?? (type: "Runtime.ExitError", message: "Runtime exited with error: signal: killed")
        finishActive(functionError: failure, report: nil)
        tearDown()
    }

    // MARK: RuntimeEndpointDelegate

    func runtimeDidInitialize() {
        initDurationMilliseconds = Self.milliseconds(since: startedAt)
        cancelInitTimer()
        if active == nil {
            status = .idle
        } else {
            status = .busy
        }
        // Either way it no longer counts among the environments starting up.
        onRelease(self)
    }

    func runtimeDidPark() {
        // Idle environments are frozen, as on AWS: background threads do not run
        // between invocations. The runtime client is parked in `next`, so it stops
        // where thawing resumes it cleanly. Freezing waits `freezeDelay` so that
        // back-to-back invocations pay for neither the freeze nor the thaw.
        guard status == .idle, active == nil, !frozen, freezeTimer == nil else { return }
        freezeTimer = loop.scheduleTimer(after: configuration.freezeDelay) { [weak self] in
            guard let self else { return }
            freezeTimer = nil
            guard status == .idle, active == nil, !frozen, let process else { return }
            frozen = ProcessLauncher.setFrozen(process, true)
        }
    }

    private func thaw() {
        if let timer = freezeTimer {
            loop.cancelTimer(timer)
            freezeTimer = nil
        }
        guard frozen, let process else { return }
        ProcessLauncher.setFrozen(process, false)
        frozen = false
    }

    func runtimeDidReceive(_ invocation: RuntimeInvocation) {
        guard var active else { return }
        drainOutput()
        appendStart(invocation.requestId)
        active.deliveredAt = .now
        active.timer = loop.scheduleTimer(after: .seconds(target.function.timeoutSeconds)) { [weak self] in
            self?.invocationTimedOut()
        }
        self.active = active
    }

    func runtimeDidComplete(requestId: String, outcome: RuntimeOutcome) {
        guard let current = active, current.request.requestId == requestId else { return }
        switch outcome {
        case .response(let payload):
            complete(payload: payload, functionError: nil)
        case .error(_, let document):
            complete(payload: document, functionError: "Unhandled")
        }
        status = .idle
        lastUsed = .now
        onRelease(self)
    }

    func runtimeDidFailInit(type: String?, document: [UInt8]) {
        // The runtime client exits next; the invocation waiting on init gets
        // the init error as its result, as on AWS.
        initFailure = document
        cancelInitTimer()
    }

    // MARK: Timeouts and process exit

    private func invocationTimedOut() {
        guard let active else { return }
        let seconds = LogFormat.twoDecimals(Double(target.function.timeoutSeconds))
        let message = "Task timed out after \(seconds) seconds"
        appendLine("\(Self.isoTimestamp()) \(active.request.requestId) \(message)")
        finishActive(functionError: (type: "Sandbox.Timedout", message: message), report: "timeout")
        tearDown()
    }

    private func initTimedOut() {
        initTimer = nil
        guard status == .initializing else { return }
        let seconds = LogFormat.twoDecimals(configuration.initTimeout.seconds)
        finishActive(
            functionError: (type: "Sandbox.Timedout", message: "Init timed out after \(seconds) seconds"),
            report: "timeout")
        tearDown()
    }

    private func processDidExit() {
        guard status != .dead, let process else { return }
        drainOutput()
        let waitStatus = ProcessLauncher.reap(process) ?? 0
        if let document = initFailure {
            finishActive(payload: document, report: "error")
        } else if ProcessLauncher.wasKilledForMemory(process) {
            finishActive(
                functionError: (type: "Runtime.OutOfMemory", message: "Runtime exited with error: signal: killed"),
                report: "error")
        } else {
            let reason = Self.describeExit(waitStatus)
            finishActive(
                functionError: (type: "Runtime.ExitError", message: "Runtime exited with error: \(reason)"),
                report: "error")
        }
        tearDown()
    }

    // MARK: Completing an invocation

    private func finishActive(functionError: (type: String, message: String), report: String?) {
        guard let active else { return }
        let document: [String: String] = [
            "errorType": functionError.type,
            "errorMessage": "RequestId: \(active.request.requestId) Error: \(functionError.message)",
        ]
        let payload = (try? JSONSerialization.data(withJSONObject: document, options: [.sortedKeys])) ?? Data()
        finishActive(payload: Array(payload), report: report)
    }

    private func finishActive(payload: [UInt8], report: String?) {
        guard active != nil else { return }
        complete(payload: payload, functionError: "Unhandled", status: report)
    }

    private func complete(payload: [UInt8], functionError: String?, status reportStatus: String? = nil) {
        guard let current = active else { return }
        active = nil
        if let timer = current.timer {
            loop.cancelTimer(timer)
        }
        drainOutput()
        let requestId = current.request.requestId
        if current.deliveredAt == nil {
            appendStart(requestId)
        }
        let duration = current.deliveredAt.map(Self.milliseconds(since:)) ?? 0
        let coldStart = coldStartPending
        coldStartPending = false
        appendEndAndReport(
            requestId, duration: duration, initDuration: coldStart ? initDurationMilliseconds : nil,
            status: reportStatus)
        let log = flushLines()
        current.completion(
            InvokeResult(
                requestId: requestId, payload: payload, functionError: functionError,
                executedVersion: target.function.version, log: log, durationMilliseconds: duration,
                coldStart: coldStart))
    }

    /// START, or `platform.start` in the JSON log format.
    private func appendStart(_ requestId: String) {
        let version = target.function.version
        if !jsonLogs {
            appendLine(LogFormat.start(requestId: requestId, version: version))
        } else if platformLines {
            appendLine(LogFormat.jsonStart(requestId: requestId, version: version))
        }
    }

    /// END and REPORT, or `platform.report` in the JSON log format.
    private func appendEndAndReport(_ requestId: String, duration: Double, initDuration: Double?, status: String?) {
        let memory = target.function.memoryMegabytes
        let used = maxMemoryUsedMegabytes()
        if used > 0 {
            memoryChargeBytes = used * 1_048_576
        }
        guard jsonLogs else {
            appendLine(LogFormat.end(requestId: requestId))
            appendLine(
                LogFormat.report(
                    requestId: requestId, durationMilliseconds: duration, memoryMegabytes: memory,
                    maxMemoryUsedMegabytes: used, initDurationMilliseconds: initDuration, status: status))
            return
        }
        if platformLines {
            appendLine(
                LogFormat.jsonReport(
                    requestId: requestId, durationMilliseconds: duration, memoryMegabytes: memory,
                    maxMemoryUsedMegabytes: used, initDurationMilliseconds: initDuration, status: status))
        }
    }

    /// Sends buffered lines to the log sink; returns this invocation's text.
    private func flushLines() -> String {
        let text = lines.map { $0.message + "\n" }.joined()
        if !lines.isEmpty {
            sink.append(group: logGroup, stream: logStream, events: lines)
            lines.removeAll()
        }
        return text
    }

    private func tearDown() {
        guard status != .dead else { return }
        status = .dead
        cancelInitTimer()
        endpoint.shutDown()
        server?.close()
        awsEndpointServer?.close()
        if let process {
            // A frozen process cannot act on SIGKILL until it is thawed.
            thaw()
            ProcessLauncher.kill(process)
            _ = ProcessLauncher.reap(process)
            ProcessLauncher.release(process)
        }
        for watcher in watchers {
            loop.unregister(watcher.descriptor)
            close(watcher.descriptor)
        }
        watchers.removeAll()
        if !lines.isEmpty {
            _ = flushLines()
        }
        onRelease(self)
    }

    private func cancelInitTimer() {
        if let timer = initTimer {
            loop.cancelTimer(timer)
            initTimer = nil
        }
    }

    // MARK: Output capture

    private func watch(_ process: LaunchedProcess) {
        for descriptor in process.outputDescriptors {
            let watcher = DescriptorWatcher(descriptor: descriptor) { [weak self] _ in
                self?.readOutput(descriptor)
            }
            register(watcher)
        }
        let exitWatcher = DescriptorWatcher(descriptor: process.exitDescriptor) { [weak self] _ in
            self?.processDidExit()
        }
        register(exitWatcher)
    }

    private func register(_ watcher: DescriptorWatcher) {
        do {
            try loop.register(watcher.descriptor, events: UInt32(EPOLLIN.rawValue), handler: watcher)
            watchers.append(watcher)
        } catch {
            close(watcher.descriptor)
        }
    }

    private func drainOutput() {
        for descriptor in process?.outputDescriptors ?? [] {
            readOutput(descriptor)
        }
    }

    private func readOutput(_ descriptor: Int32) {
        guard status != .dead else { return }
        var chunk = [UInt8](repeating: 0, count: 16_384)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            var pending = partialLines[descriptor, default: []]
            pending.append(contentsOf: chunk[0..<count])
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                appendLine(String(decoding: pending[..<newline], as: UTF8.self))
                pending.removeSubrange(...newline)
            }
            partialLines[descriptor] = pending
        }
    }

    private func appendLine(_ message: String) {
        lines.append((timestampMilliseconds: epochMilliseconds(), message: message))
        if active == nil, lines.count > 256 {
            _ = flushLines()
        }
    }

    // MARK: Launching

    /// How this environment is isolated; nil with `--sandbox none`.
    private func sandboxSpec() -> SandboxSpec? {
        guard configuration.sandbox == .bubblewrap else { return nil }
        let function = target.function
        let runtime = function.runtime ?? "provided.al2023"
        let runtimeDirectory =
            RuntimeCatalog.usesCustomBootstrap(runtime)
            ? nil
            : RuntimeCatalog.runtimeDirectory(runtime: runtime, runtimesDirectory: configuration.runtimesDirectory)
        return SandboxSpec(
            codeDirectory: target.codeDirectory, runtimeDirectory: runtimeDirectory,
            layersDirectory: target.layersDirectory, extraReadOnly: configuration.sandboxBinds,
            memoryMegabytes: function.memoryMegabytes,
            ephemeralStorageMegabytes: function.ephemeralStorageMegabytes,
            scratchDirectory: configuration.sandboxScratchDirectory,
            awsEndpointPort: configuration.awsAccess == nil ? nil : SandboxSpec.awsEndpointPort,
            outboundNetwork: configuration.outboundNetwork)
    }

    private func launchSpec(runtimeAPIPort: Int, sandbox: SandboxSpec?) -> LaunchSpec {
        let function = target.function
        let runtime = function.runtime ?? "provided.al2023"
        var environment = function.environment
        // Inside a sandbox the trees are at AWS's paths; without one, at the host's.
        let taskRoot = sandbox == nil ? target.codeDirectory : SandboxSpec.taskRoot
        let runtimeDirectory =
            sandbox == nil
            ? RuntimeCatalog.runtimeDirectory(runtime: runtime, runtimesDirectory: configuration.runtimesDirectory)
            : SandboxSpec.runtimeRoot
        let reserved: [String: String] = [
            "AWS_LAMBDA_FUNCTION_NAME": function.name,
            "AWS_LAMBDA_FUNCTION_VERSION": function.version,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": String(function.memoryMegabytes),
            "AWS_LAMBDA_LOG_GROUP_NAME": logGroup,
            "AWS_LAMBDA_LOG_STREAM_NAME": logStream,
            "AWS_LAMBDA_INITIALIZATION_TYPE": isProvisioned ? "provisioned-concurrency" : "on-demand",
            "AWS_REGION": function.region,
            "AWS_DEFAULT_REGION": function.region,
            "_HANDLER": function.handler ?? "",
        ]
        environment.merge(reserved) { _, platform in platform }
        environment.merge(
            Self.processEnvironment(
                runtime: runtime, runtimeAPIPort: runtimeAPIPort, taskRoot: taskRoot, runtimeDirectory: runtimeDirectory
            )
        ) { _, platform in platform }
        if let access = configuration.awsAccess, let credentials = access.issue(for: function) {
            environment["AWS_ACCESS_KEY_ID"] = credentials.accessKeyId
            environment["AWS_SECRET_ACCESS_KEY"] = credentials.secretAccessKey
            environment["AWS_SESSION_TOKEN"] = credentials.sessionToken
            environment["AWS_ENDPOINT_URL"] =
                sandbox == nil ? access.hostEndpoint : "http://127.0.0.1:\(SandboxSpec.awsEndpointPort)"
            credentialsExpiration = credentials.expiration
        }
        if jsonLogs {
            // The runtime client writes JSON records at or above this level, as AWS's do.
            environment["AWS_LAMBDA_LOG_FORMAT"] = "JSON"
            environment["AWS_LAMBDA_LOG_LEVEL"] = function.applicationLogLevel ?? "INFO"
        }
        var executable =
            RuntimeCatalog.usesCustomBootstrap(runtime) || sandbox == nil
            ? RuntimeCatalog.entryPoint(
                runtime: runtime, codeDirectory: taskRoot, runtimesDirectory: configuration.runtimesDirectory)
            : SandboxSpec.runtimeRoot + "/bootstrap"
        if RuntimeCatalog.usesCustomBootstrap(runtime), sandbox != nil, Self.usesLayerBootstrap(target) {
            executable = SandboxSpec.layersRoot + "/bootstrap"
        }
        return LaunchSpec(
            executable: executable, arguments: [], environment: environment, workingDirectory: taskRoot,
            sandbox: sandbox)
    }

    // MARK: Helpers

    /// Whether an environment of `target` may be made from a stem cell as far as its entry
    /// point goes: a custom runtime's bootstrap must be one that can run (one that cannot is
    /// reported by a start from scratch, as AWS reports it); other runtimes bring their own.
    static func entryPointAllowsStemCell(_ target: InvocationTarget) -> Bool {
        guard RuntimeCatalog.usesCustomBootstrap(target.function.runtime ?? "provided.al2023") else { return true }
        let root = usesLayerBootstrap(target) ? SandboxSpec.layersRoot : SandboxSpec.taskRoot
        let sandbox = SandboxSpec(
            codeDirectory: target.codeDirectory, runtimeDirectory: nil, layersDirectory: target.layersDirectory,
            memoryMegabytes: target.function.memoryMegabytes, ephemeralStorageMegabytes: 512)
        let spec = LaunchSpec(
            executable: root + "/bootstrap", arguments: [], environment: [:], workingDirectory: SandboxSpec.taskRoot,
            sandbox: sandbox)
        return (try? ProcessLauncher.checkEntryPoint(spec)) != nil
    }

    /// The smallest MemorySize Lambda allows; stem cells wait with this limit.
    static let minimumMemoryMegabytes = 128

    /// The variables every environment of `runtime` gets whatever its function: where things
    /// are, the Runtime API's address, the search paths, the time zone and locale.
    static func processEnvironment(
        runtime: String, runtimeAPIPort: Int, taskRoot: String, runtimeDirectory: String
    ) -> [String: String] {
        var environment = [
            "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:\(runtimeAPIPort)",
            "LAMBDA_TASK_ROOT": taskRoot,
            "LAMBDA_RUNTIME_DIR": runtimeDirectory,
            "TZ": ":UTC",
            "LANG": "en_US.UTF-8",
            "PATH": "/usr/local/bin:/usr/bin/:/bin:/opt/bin",
            "LD_LIBRARY_PATH": "/lib64:/usr/lib64:\(runtimeDirectory):\(runtimeDirectory)/lib:\(taskRoot):"
                + "\(taskRoot)/lib:/opt/lib",
            "PYTHONUNBUFFERED": "1",
        ]
        if !runtime.hasPrefix("provided") {
            environment["AWS_EXECUTION_ENV"] = "AWS_Lambda_\(runtime)"
        }
        return environment
    }

    /// AWS looks for a custom runtime's bootstrap in /var/task, then in /opt:
    /// true when the code has none and a layer provides one. A bootstrap that
    /// is a link resolving outside the merged tree (through another layer's
    /// link) is not used, so the entry-point check never reads a host file.
    private static func usesLayerBootstrap(_ target: InvocationTarget) -> Bool {
        guard let layers = target.layersDirectory else { return false }
        var status = stat()
        guard lstat(target.codeDirectory + "/bootstrap", &status) != 0 else { return false }
        guard let root = realpath(layers, nil) else { return false }
        defer { free(root) }
        guard let bootstrap = realpath(layers + "/bootstrap", nil) else { return false }
        defer { free(bootstrap) }
        return String(cString: bootstrap).hasPrefix(String(cString: root) + "/")
    }

    private func maxMemoryUsedMegabytes() -> Int {
        if let process, let bytes = ProcessLauncher.peakMemoryBytes(process) {
            return (bytes + 1_048_575) / 1_048_576
        }
        guard let pid = process?.pid,
            let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kilobytes = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        else { return 0 }
        return (kilobytes + 1023) / 1024
    }

    private static func entrypointMessage(_ path: String, _ error: SandboxError) -> String {
        switch error.errno {
        case ENOENT: "Couldn't find valid bootstrap(s): [\(path)]"
        case EACCES: "fork/exec \(path): permission denied"
        default: "fork/exec \(path): exec format error"
        }
    }

    private static func describeExit(_ status: Int32) -> String {
        let signal = status & 0x7f
        if signal == 0 {
            return "exit status \((status >> 8) & 0xff)"
        }
        return signal == SIGKILL ? "signal: killed" : "signal: \(String(cString: strsignal(signal)))"
    }

    private static func milliseconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
    }

    /// An X-Ray trace header for one invocation: a root of the epoch seconds (8 hex digits until
    /// 2106) and 96 random bits, a random parent segment, not sampled.
    private static func traceId() -> String {
        let random = SecureRandom.bytes(count: 20)
        let seconds = String(UInt64(Date().timeIntervalSince1970), radix: 16)
        let parent = random[12...].hexString
        return "Root=1-\(seconds)-\(random[..<12].hexString);Parent=\(parent);Sampled=0;Lineage=1:\(parent.prefix(8)):0"
    }

    static func isoTimestamp() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date())
    }
}

extension Duration {
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
