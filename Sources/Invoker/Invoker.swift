import Foundation
import HTTP
import Store

/// Places invocations on execution environments: reuses warm ones (most
/// recently used first), starts new ones within the concurrency limit, and
/// stops idle ones after the idle timeout.
///
/// All of its state lives on the event loop thread; the async API hops there.
public final class Invoker: @unchecked Sendable {
    // @unchecked: `pools`, `environments` and `accepting` are touched only on `loop`'s thread.
    private let loop: EventLoop
    private let sink: any LogSink
    private let configuration: InvokerConfiguration
    /// Idle environments per configuration, most recently used last.
    private var idle: [String: [Environment]] = [:]
    private var environments: [String: Environment] = [:]
    private var currentRevision: [String: String] = [:]
    private var accepting = true
    /// Reserved concurrency by function name; the rest of the account limit is shared.
    private var reserved: [String: Int] = [:]
    /// Invocations waiting for an environment to start, because `maxConcurrentStarts` are
    /// already starting, oldest first.
    private var waitingToStart: [(InvocationTarget, InvokeRequest, (Result<InvokeResult, InvokeError>) -> Void)] = []
    /// Idle environments stopped to make room in the memory budget, since start.
    private var reclaimedForMemory = 0
    /// Provisioned concurrency: environments kept initialised per configuration key.
    private var provisioned: [String: (target: InvocationTarget, count: Int)] = [:]
    /// Pre-started, unspecialised environments per runtime.
    private let stemCells: StemCellPool
    /// Environments made from stem cells, since start.
    private var specializedCount = 0
    /// True inside `startEnvironment`, whose failures release an environment mid-placement.
    private var isStartingEnvironment = false
    /// What environments and stem cells may use together (read from the host once).
    private let memoryBudget: Int

    public init(loop: EventLoop, sink: any LogSink, configuration: InvokerConfiguration) {
        self.loop = loop
        self.sink = sink
        self.configuration = configuration
        self.stemCells = StemCellPool(loop: loop, configuration: configuration)
        self.memoryBudget = configuration.memoryBudgetBytes ?? Self.defaultMemoryBudget()
        stemCells.roomBytes = { [unowned self] in memoryBudget - memoryInUse() }
        loop.execute { [self] in
            refillStemCells()
            loop.addTick(owner: self) { [weak self] in
                self?.refillStemCells()
                self?.reapIdle()
                self?.maintainProvisioned()
                self?.startWaiting()
            }
        }
    }

    /// Runs one invocation to completion (success, function error or timeout).
    /// Throws only when the invocation could not be placed at all.
    public func invoke(_ target: InvocationTarget, _ request: InvokeRequest) async throws(InvokeError) -> InvokeResult {
        let result: Result<InvokeResult, InvokeError> = await withCheckedContinuation { continuation in
            loop.execute { [self] in
                place(target, request) { continuation.resume(returning: $0) }
            }
        }
        return try result.get()
    }

    /// Environments currently alive (idle, busy or initialising).
    public func environmentCount() async -> Int {
        (try? await loop.submit { [self] in environments.count }) ?? 0
    }

    /// What `/metrics` reports of the environments.
    public struct EnvironmentCounts: Sendable {
        /// Environments alive (idle, busy or initialising).
        public var total = 0
        /// Idle environments, waiting and reusable.
        public var idle = 0
        /// Memory charged against the budget, stem cells included.
        public var memoryBytes = 0
        /// Idle environments stopped to make room in the memory budget, since start.
        public var reclaimed = 0
        /// Stem cells waiting for a function.
        public var stemCellsReady = 0
        /// Stem cells being built.
        public var stemCellsStarting = 0
        /// Environments made from stem cells, since start.
        public var specialized = 0
    }

    public func environmentCounts() async -> EnvironmentCounts {
        (try? await loop.submit { [self] in
            EnvironmentCounts(
                total: environments.count, idle: idle.values.reduce(0) { $0 + $1.count }, memoryBytes: memoryInUse(),
                reclaimed: reclaimedForMemory, stemCellsReady: stemCells.readyCount,
                stemCellsStarting: stemCells.startingCount,
                specialized: specializedCount)
        }) ?? EnvironmentCounts()
    }

    /// Sets (or with nil, removes) `functionName`'s reserved concurrency.
    public func setReservedConcurrency(_ value: Int?, for functionName: String) {
        loop.execute { [self] in reserved[functionName] = value }
    }

    /// `functionName`'s reserved concurrency, if it has one.
    public func reservedConcurrency(of functionName: String) async -> Int? {
        (try? await loop.submit { [self] in reserved[functionName] }) ?? nil
    }

    /// Keeps `count` environments of `target` initialised ahead of invocations under `key`
    /// (provisioned concurrency); a count of 0 (or no target) removes them.
    public func provision(key: String, target: InvocationTarget?, count: Int) {
        loop.execute { [self] in
            let previous = provisioned[key]?.target.poolKey
            if let target, count > 0 {
                provisioned[key] = (target, count)
            } else {
                provisioned[key] = nil
            }
            // Another version (an alias moved) or fewer environments: let the extra ones go.
            let keep = provisioned[key].map { $0.target.poolKey == previous ? $0.count : 0 } ?? 0
            trimProvisioned(key: key, keeping: keep)
            maintainProvisioned()
        }
    }

    /// Drops every provisioned configuration of `functionName` whose key is not in `keeping`.
    public func unprovision(functionName: String, keeping: Set<String>) {
        loop.execute { [self] in
            for key in provisioned.keys where provisioned[key]?.target.function.name == functionName {
                guard !keeping.contains(key) else { continue }
                provisioned[key] = nil
                trimProvisioned(key: key, keeping: 0)
            }
        }
    }

    /// How many of `key`'s provisioned environments have finished initialising.
    public func provisionedReady(key: String) async -> Int {
        (try? await loop.submit { [self] in
            environments.values.filter {
                $0.provisionKey == key && ($0.status == .idle || $0.status == .busy) && !$0.isRetired
            }.count
        }) ?? 0
    }

    /// Stops idle environments of `functionName`; busy ones stop when they finish.
    public func retire(functionName: String) {
        loop.execute { [self] in
            currentRevision = currentRevision.filter { !$0.key.hasPrefix(functionName + ":") }
            for environment in environments.values where environment.target.function.name == functionName {
                environment.markRetired()
                if environment.status == .idle || environment.status == .initializing {
                    environment.terminate()
                }
            }
        }
    }

    /// Stops taking invocations, lets running ones finish for up to
    /// `gracePeriod`, then stops every environment.
    public func shutdown(gracePeriod: Duration) async {
        let deadline = ContinuousClock.now + gracePeriod
        _ = try? await loop.submit { [self] in accepting = false }
        while ContinuousClock.now < deadline {
            let busy =
                (try? await loop.submit { [self] in environments.values.contains { $0.status == .busy } }) ?? false
            if !busy {
                break
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
        _ = try? await loop.submit { [self] in
            stemCells.shutDown()
            for environment in Array(environments.values) {
                environment.terminate(
                    failing: (type: "Runtime.ExitError", message: "Runtime exited: server shutting down"))
            }
        }
        // A stem cell still being built comes back to the loop after this, and is discarded
        // there; wait for both, so nothing is left when the server exits.
        await stemCells.launchesFinished()
        _ = try? await loop.submit {}
    }

    // MARK: Placement (loop thread)

    private func place(
        _ target: InvocationTarget, _ request: InvokeRequest,
        completion: @escaping (Result<InvokeResult, InvokeError>) -> Void
    ) {
        guard accepting else {
            return completion(
                .failure(InvokeError(code: .shuttingDown, message: "Swiftlet is shutting down", reason: nil)))
        }
        retireStale(target)
        if let throttle = admissionError(for: target.function.name) {
            return completion(.failure(throttle))
        }
        if target.layersDirectory != nil, configuration.sandbox == .none {
            // Without a mount namespace there is no private /opt to show the layers at.
            return completion(.failure(Self.layersNeedSandbox))
        }
        while let environment = idle[target.poolKey]?.popLast() {
            guard environment.credentialsOutlast(seconds: target.function.timeoutSeconds + 60) else {
                // Its role credentials could expire mid-invocation: the next environment gets fresh ones.
                environment.terminate()
                continue
            }
            environment.run(request, invokedFunctionArn: target.invokedFunctionArn) { completion(.success($0)) }
            return
        }
        // Starting every environment of a burst at once would share the CPU among all of them
        // until each misses its init timeout; a few at a time, each starts at full speed.
        if startingCount() >= configuration.maxConcurrentStarts {
            waitingToStart.append((target, request, completion))
            return
        }
        let expected = expectedMemory(target)
        guard makeRoom(forBytes: expected) else {
            return completion(.failure(Self.memoryBudgetSpent))
        }
        let environment: Environment
        do {
            environment = try startEnvironment(target, expectedMemoryBytes: expected)
        } catch {
            return completion(
                .failure(
                    InvokeError(
                        code: .environmentFailed, message: "Could not start the execution environment: \(error)",
                        reason: nil)))
        }
        environments[environment.id] = environment
        environment.run(request, invokedFunctionArn: target.invokedFunctionArn) { completion(.success($0)) }
    }

    /// Starts an environment for `target`: from a stem cell when one fits and is ready, else
    /// from scratch (also when specialising the stem cell fails).
    private func startEnvironment(_ target: InvocationTarget, expectedMemoryBytes: Int) throws -> Environment {
        isStartingEnvironment = true
        defer { isStartingEnvironment = false }
        func make(_ stem: StemCell?) -> Environment {
            Environment(
                target: target, loop: loop, sink: sink, configuration: configuration,
                expectedMemoryBytes: expectedMemoryBytes, stem: stem
            ) { [weak self] in self?.environmentDidRelease($0) }
        }
        if Environment.entryPointAllowsStemCell(target), let stem = stemCells.take(for: target) {
            // Its replacement is built once this environment is idle (see environmentDidRelease):
            // building it now would take a core from the specialisation and the first invocation.
            let environment = make(stem)
            do {
                try environment.start()
                specializedCount += 1
                return environment
            } catch {
                environment.terminate()
                OperatorLog.warning(
                    "could not specialise a stem cell; starting the environment from scratch",
                    ["function": target.function.name, "error": "\(error)"])
            }
        }
        let environment = make(nil)
        do {
            try environment.start()
        } catch {
            environment.terminate()
            throw error
        }
        return environment
    }

    // MARK: Memory (loop thread)

    /// Memory charged against the budget: every environment's, and the stem cells' (those still
    /// being built too, unless `includingStemCellsBeingBuilt` is false: they cannot be stopped
    /// to make room, and are discarded when they arrive if the budget is spent by then).
    private func memoryInUse(includingStemCellsBeingBuilt: Bool = true) -> Int {
        environments.values.reduce(0) { $0 + $1.memoryChargeBytes }
            + stemCells.memoryChargeBytes(includingBeingBuilt: includingStemCellsBeingBuilt)
    }

    private func refillStemCells() {
        guard accepting else { return }
        stemCells.refill()
    }

    /// A new environment is charged what its function's environments peaked at before, or
    /// this much until one has run (about what a Python runtime with its page cache takes),
    /// never more than MemorySize.
    static let defaultExpectedMemoryBytes = 48 * 1_048_576

    /// Environments are admitted against the budget, not against MemorySize: a ceiling is not a
    /// reservation, so a 24 GiB host can hold far more than 190 idle 128 MB environments.
    static let memoryBudgetSpent = InvokeError(
        code: .throttled,
        message: "Rate Exceeded. The memory this Swiftlet server gives execution environments is in use.",
        reason: "ConcurrentInvocationLimitExceeded")

    /// The host's total memory less a headroom for the kernel, the server and its store:
    /// 1 GiB or a tenth of the total, whichever is more.
    public static func defaultMemoryBudget() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("MemTotal:") }),
            let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "")
        else { return 4 << 30 }
        let total = kilobytes * 1024
        return max(256 << 20, total - max(1 << 30, total / 10))
    }

    private func expectedMemory(_ target: InvocationTarget) -> Int {
        let ceiling = target.function.memoryMegabytes * 1_048_576
        let seen = environments.values
            .filter { $0.target.function.name == target.function.name }
            .map(\.memoryChargeBytes).max()
        return min(ceiling, seen ?? Self.defaultExpectedMemoryBytes)
    }

    /// Whether `bytes` more fit in the budget, after stopping waiting stem cells, then idle
    /// environments (least recently used first, provisioned ones last) when they do not.
    private func makeRoom(forBytes bytes: Int) -> Bool {
        let budget = memoryBudget
        var used = memoryInUse(includingStemCellsBeingBuilt: false)
        guard used + bytes > budget else { return true }
        used -= stemCells.discard(toFree: used + bytes - budget)
        guard used + bytes > budget else { return true }
        let candidates = idle.values.flatMap { $0 }
            .sorted { ($0.isProvisioned ? 1 : 0, $0.lastUsed) < ($1.isProvisioned ? 1 : 0, $1.lastUsed) }
        for environment in candidates where used + bytes > budget {
            used -= environment.memoryChargeBytes
            idle[environment.target.poolKey]?.removeAll { $0 === environment }
            reclaimedForMemory += 1
            environment.terminate()
        }
        return used + bytes <= budget
    }

    /// Layers are shown at `/opt` only inside a sandbox (`--sandbox none` has none).
    static let layersNeedSandbox = InvokeError(
        code: .environmentFailed,
        message: "This function uses layers, which are mounted at /opt only in a sandbox; this Swiftlet server "
            + "runs with --sandbox none.",
        reason: nil)

    /// Concurrency is the number of environments running or initialising an
    /// invocation. A function with a reservation may use exactly that many; the
    /// others share what the reservations leave of the account limit.
    private func admissionError(for functionName: String) -> InvokeError? {
        func active(_ include: (Environment) -> Bool) -> Int {
            environments.values.reduce(0) { count, environment in
                let running = environment.status == .busy || environment.status == .initializing
                return running && include(environment) ? count + 1 : count
            }
        }
        if let limit = reserved[functionName] {
            guard active({ $0.target.function.name == functionName }) < limit else {
                return InvokeError(
                    code: .throttled, message: "Rate Exceeded.",
                    reason: "ReservedFunctionConcurrentInvocationLimitExceeded")
            }
            return nil
        }
        let shared = configuration.accountConcurrencyLimit - reserved.values.reduce(0, +)
        guard active({ reserved[$0.target.function.name] == nil }) < shared else {
            return InvokeError(code: .throttled, message: "Rate Exceeded.", reason: "ConcurrentInvocationLimitExceeded")
        }
        return nil
    }

    /// A changed configuration makes older environments of the function unusable.
    private func retireStale(_ target: InvocationTarget) {
        let versionKey = "\(target.function.name):\(target.function.version)"
        let revision = target.function.revisionId
        guard let previous = currentRevision[versionKey], previous != revision else {
            currentRevision[versionKey] = revision
            return
        }
        currentRevision[versionKey] = revision
        let staleKey = "\(versionKey):\(previous)"
        for environment in idle.removeValue(forKey: staleKey) ?? [] {
            environment.terminate()
        }
        for environment in environments.values where environment.target.poolKey == staleKey {
            environment.markRetired()
        }
    }

    private func environmentDidRelease(_ environment: Environment) {
        let key = environment.target.poolKey
        idle[key]?.removeAll { $0 === environment }
        switch environment.status {
        case .dead:
            environments[environment.id] = nil
        case .idle where environment.isRetired || !accepting:
            environment.terminate()
        case .idle:
            idle[key, default: []].append(environment)
        case .initializing, .busy:
            break
        }
        // An environment that failed to start is released inside `startEnvironment`, while
        // `place` is still running: placing or refilling then would count without it.
        guard !isStartingEnvironment else { return }
        startWaiting()
        if environment.status != .busy {
            // Not while an environment made from a stem cell runs its first invocation: the
            // replacement's interpreter start would take a core from it.
            refillStemCells()
        }
    }

    private func startingCount() -> Int {
        environments.values.reduce(0) { $0 + ($1.status == .initializing ? 1 : 0) }
    }

    /// Places waiting invocations while environments may start: each may also find an idle one.
    private func startWaiting() {
        while !waitingToStart.isEmpty, startingCount() < configuration.maxConcurrentStarts {
            let (target, request, completion) = waitingToStart.removeFirst()
            place(target, request, completion: completion)
        }
    }

    /// Starts environments for every provisioned configuration short of its count.
    private func maintainProvisioned() {
        guard accepting else { return }
        for (key, configuration) in provisioned {
            let alive = environments.values.filter { $0.provisionKey == key && !$0.isRetired }.count
            for _ in alive..<max(alive, configuration.count) {
                startProvisioned(configuration.target, key: key)
            }
        }
    }

    private func startProvisioned(_ target: InvocationTarget, key: String) {
        let expected = expectedMemory(target)
        guard makeRoom(forBytes: expected) else {
            OperatorLog.warning("provisioned environment waits for memory", ["key": key])
            return
        }
        let environment = Environment(
            target: target, loop: loop, sink: sink, configuration: configuration, provisionKey: key,
            expectedMemoryBytes: expected
        ) { [weak self] in self?.environmentDidRelease($0) }
        do {
            try environment.start()
            environments[environment.id] = environment
        } catch {
            environment.terminate()
            OperatorLog.warning("could not start a provisioned environment", ["key": key, "error": "\(error)"])
        }
    }

    /// Lets `key`'s provisioned environments beyond the first `keeping` go: idle ones now, busy
    /// ones when they finish.
    private func trimProvisioned(key: String, keeping: Int) {
        let mine = environments.values.filter { $0.provisionKey == key && !$0.isRetired }
        for environment in mine.dropFirst(keeping) {
            environment.markRetired()
            if environment.status == .idle || environment.status == .initializing {
                environment.terminate()
            }
        }
    }

    private func reapIdle() {
        let now = ContinuousClock.now
        for (key, pool) in idle {
            let isExpired = { (environment: Environment) in
                (now - environment.lastUsed > self.configuration.idleTimeout && !environment.isProvisioned)
                    || !environment.credentialsOutlast(seconds: environment.target.function.timeoutSeconds + 60)
            }
            let expired = pool.filter(isExpired)
            guard !expired.isEmpty else { continue }
            idle[key] = pool.filter { !isExpired($0) }
            for environment in expired {
                environment.terminate()
            }
        }
    }
}
