import CSystem
import Dispatch
import Foundation
import HTTP
import RuntimeAPI
import Sandbox

#if canImport(Glibc)
    import Glibc
#endif

/// A stem cell: an execution environment built ahead of any function. Its sandbox is up,
/// its runtime client is running with its own modules loaded, and it waits on the Runtime API
/// to learn which function it becomes. `/var/task` and `/opt` hold empty placeholders until
/// an `Environment` takes it over and mounts a function's trees there.
///
/// Confined to the event loop thread, like everything the invoker owns.
final class StemCell: RuntimeEndpointDelegate, @unchecked Sendable {
    // @unchecked: all state is read and written on `loop`'s thread only.
    let runtime: String
    let process: LaunchedProcess
    let endpoint: RuntimeEndpoint
    let server: HTTPServer
    let awsEndpointServer: HTTPServer?
    private let loop: EventLoop
    private var exitWatcher: DescriptorWatcher?
    private let onChange: (StemCell) -> Void
    private(set) var isDead = false
    /// True once the runtime client has waited for its function.
    private var wasReady = false
    /// True when the process exited on its own before its runtime client ever waited.
    private(set) var diedBeforeReady = false

    /// What the host's memory budget counts for a waiting stem cell: an interpreter with the
    /// runtime client loaded (about 12 MB for Python 3.11, measured through its cgroup).
    static let memoryChargeBytes = 16 * 1_048_576

    /// True once the runtime client waits for its function.
    var isReady: Bool { !isDead && endpoint.awaitsSpecialization }

    /// Serves `process`'s Runtime API (and AWS endpoint) on `loop` and watches it exit;
    /// `onChange` hears when the runtime client starts waiting and when the process dies.
    /// On failure every descriptor of `process` is closed; the caller still stops the process.
    init(
        runtime: String, process: LaunchedProcess, loop: EventLoop, awsHandler: (any HTTPHandler)?,
        onChange: @escaping (StemCell) -> Void
    ) throws {
        self.runtime = runtime
        self.process = process
        self.loop = loop
        self.onChange = onChange
        endpoint = RuntimeEndpoint(stemCell: true)
        guard let listener = process.runtimeAPIListener else {
            Self.closeDescriptors(of: process, listeners: true)
            throw StemCellError(message: "a stem cell needs a Runtime API socket in its own network namespace")
        }
        do {
            server = try HTTPServer(onLoop: loop, adopting: listener, handler: endpoint)
        } catch {
            Self.closeDescriptors(of: process, listeners: true)
            throw error
        }
        var aws: HTTPServer?
        if let awsListener = process.awsEndpointListener {
            if let awsHandler {
                aws = try? HTTPServer(onLoop: loop, adopting: awsListener, handler: awsHandler)
            }
            if aws == nil {
                close(awsListener)
            }
        }
        awsEndpointServer = aws
        endpoint.attach(self)
        let watcher = DescriptorWatcher(descriptor: process.exitDescriptor) { [weak self] _ in self?.processDidExit() }
        do {
            try loop.register(process.exitDescriptor, events: UInt32(EPOLLIN.rawValue), handler: watcher)
        } catch {
            server.close()
            aws?.close()
            Self.closeDescriptors(of: process, listeners: false)
            throw error
        }
        exitWatcher = watcher
    }

    /// Closes the output pipes and the exit descriptor (and the listening sockets, unless a
    /// server already owns them).
    private static func closeDescriptors(of process: LaunchedProcess, listeners: Bool) {
        var descriptors = process.outputDescriptors + [process.exitDescriptor]
        if listeners {
            descriptors += [process.runtimeAPIListener, process.awsEndpointListener].compactMap { $0 }
        }
        for descriptor in descriptors {
            close(descriptor)
        }
    }

    /// Gives the process, its endpoint and its servers to the environment it becomes; this
    /// object no longer watches or owns any of them.
    func handOver() {
        if let watcher = exitWatcher {
            loop.unregister(watcher.descriptor)
            exitWatcher = nil
        }
        isDead = true
    }

    private func processDidExit() {
        diedBeforeReady = !wasReady
        discard()
    }

    /// Stops the stem cell and frees everything it holds.
    func discard() {
        guard !isDead else { return }
        handOver()
        endpoint.shutDown()
        server.close()
        awsEndpointServer?.close()
        ProcessLauncher.kill(process)
        _ = ProcessLauncher.reap(process)
        ProcessLauncher.release(process)
        Self.closeDescriptors(of: process, listeners: false)
        onChange(self)
    }

    // MARK: RuntimeEndpointDelegate

    func runtimeAwaitsSpecialization() {
        wasReady = true
        onChange(self)
    }

    // A stem cell's runtime client asks for nothing but its specialisation.
    func runtimeDidInitialize() {}
    func runtimeDidReceive(_ invocation: RuntimeInvocation) {}
    func runtimeDidComplete(requestId: String, outcome: RuntimeOutcome) {}
    func runtimeDidFailInit(type: String?, document: [UInt8]) {}
    func runtimeDidPark() {}
}

/// Why a stem cell could not be served or specialised.
struct StemCellError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// Keeps stem cells ready per runtime and hands one out when a function needs a new
/// environment, so that a cold start pays for mounting the function's code and importing its
/// handler, not for building a sandbox and starting an interpreter.
///
/// Sandboxes are built on a thread of their own, so refilling never holds up the event loop;
/// everything else happens on the loop thread.
final class StemCellPool: @unchecked Sendable {
    // @unchecked: `cells`, `launching`, `accepting` and `pausedUntil` are touched only on
    // `loop`'s thread; the launch queue only builds processes and hands them back there.
    /// Runtimes whose runtime client can wait for its function (see swiftlet_runtime.py).
    static let runtimes = ["python3.11"]

    /// The stem cells a function of `runtime` is made from: its own runtime's, or for a custom
    /// runtime (whose bootstrap the stem cell's client executes in its place) Python's.
    static func stemRuntime(for runtime: String?) -> String? {
        guard let runtime else { return nil }
        if RuntimeCatalog.usesCustomBootstrap(runtime) {
            return runtimes.first
        }
        return runtimes.contains(runtime) ? runtime : nil
    }

    /// Prefixes of environment variables read only as a process starts (by the interpreter,
    /// the dynamic linker, the C library or the locale), which a stem cell cannot take on later.
    static let startupVariablePrefixes = ["PYTHON", "LD_", "LC_", "GLIBC_", "MALLOC_"]

    /// The EphemeralStorage every stem cell's `/tmp` has (the default).
    static let ephemeralStorageMegabytes = 512

    private let loop: EventLoop
    private let configuration: InvokerConfiguration
    private let launches = DispatchQueue(label: "swiftlet.invoker.stem-cells")
    /// Stem cells alive per runtime: waiting for a function, or their client still starting.
    private var cells: [String: [StemCell]] = [:]
    private var launching: [String: Int] = [:]
    private var accepting = true
    /// After a launch fails, refilling waits until then (a missing tool must not spin).
    private var pausedUntil: ContinuousClock.Instant?

    private let isEnabled: Bool

    init(loop: EventLoop, configuration: InvokerConfiguration) {
        self.loop = loop
        self.configuration = configuration
        var enabled = configuration.stemCellsPerRuntime > 0 && configuration.sandbox == .bubblewrap
        if enabled, let directory = configuration.stemCellDirectory {
            do {
                try Self.makePlaceholder(at: directory)
            } catch {
                OperatorLog.warning("no stem cells: the placeholder cannot be made", ["error": "\(error)"])
                enabled = false
            }
        }
        isEnabled = enabled && configuration.stemCellDirectory != nil
    }

    /// Stem cells waiting for a function now.
    var readyCount: Int { cells.values.reduce(0) { $0 + $1.count { $0.isReady } } }

    /// Stem cells being built now: their sandbox, or their runtime client's start.
    var startingCount: Int {
        launching.values.reduce(0, +) + cells.values.reduce(0) { $0 + $1.count { !$0.isReady && !$0.isDead } }
    }

    /// What the memory budget counts for stem cells alive, and those being built unless
    /// `includingBeingBuilt` is false.
    func memoryChargeBytes(includingBeingBuilt: Bool) -> Int {
        let building = includingBeingBuilt ? launching.values.reduce(0, +) : 0
        return (cells.values.reduce(0) { $0 + $1.count } + building) * StemCell.memoryChargeBytes
    }

    /// What is left of the memory budget, stem cells included (set by the invoker): refilling
    /// stays within it, and a stem cell that arrives when it is negative is discarded.
    var roomBytes: () -> Int = { 0 }

    /// Returns once no stem cell is being built (call off the loop, at shutdown).
    func launchesFinished() async {
        await withCheckedContinuation { continuation in
            launches.async { continuation.resume() }
        }
    }

    /// Whether `target` can start from a stem cell: a runtime that has them, the stem cells'
    /// `/tmp` size, and no variable that only a starting process reads (a custom runtime's
    /// bootstrap is a new process, so it may have any).
    func canSpecialize(into target: InvocationTarget) -> Bool {
        let function = target.function
        guard isEnabled, Self.stemRuntime(for: function.runtime) != nil,
            function.ephemeralStorageMegabytes == Self.ephemeralStorageMegabytes
        else { return false }
        if let runtime = function.runtime, RuntimeCatalog.usesCustomBootstrap(runtime) {
            return true
        }
        return !function.environment.keys.contains { key in
            key == "AWS_LAMBDA_EXEC_WRAPPER" || Self.startupVariablePrefixes.contains { key.hasPrefix($0) }
        }
    }

    /// A ready stem cell for `target`, if it can use one and one is waiting. Its replacement is
    /// built at the next `refill`.
    func take(for target: InvocationTarget) -> StemCell? {
        guard canSpecialize(into: target), let runtime = Self.stemRuntime(for: target.function.runtime) else {
            return nil
        }
        guard let index = cells[runtime]?.lastIndex(where: \.isReady), let cell = cells[runtime]?.remove(at: index)
        else { return nil }
        return cell
    }

    /// Starts building stem cells for every runtime short of its count, as far as the room
    /// left in the memory budget allows: stem cells never crowd out environments. Called after
    /// every invocation, so a full pool returns before the budget is added up.
    func refill() {
        guard isEnabled, accepting else { return }
        let short = Self.runtimes.contains { runtime in
            cells[runtime, default: []].count + launching[runtime, default: 0] < configuration.stemCellsPerRuntime
        }
        // Until the Control API connects, a stem cell could not serve the AWS endpoint.
        guard short, configuration.awsAccess == nil || configuration.awsAccess?.currentHandler != nil else { return }
        if let pausedUntil, ContinuousClock.now < pausedUntil {
            return
        }
        pausedUntil = nil
        var room = roomBytes()
        for runtime in Self.runtimes {
            var alive = cells[runtime, default: []].count + launching[runtime, default: 0]
            while alive < configuration.stemCellsPerRuntime, room >= StemCell.memoryChargeBytes {
                room -= StemCell.memoryChargeBytes
                alive += 1
                launching[runtime, default: 0] += 1
                launch(runtime)
            }
        }
    }

    /// Stops waiting stem cells until at least `bytes` of the memory budget are free again;
    /// returns what was freed. They are the first to go when an environment needs room.
    func discard(toFree bytes: Int) -> Int {
        var freed = 0
        for cell in cells.values.flatMap({ $0 }) where freed < bytes {
            cell.discard()
            freed += StemCell.memoryChargeBytes
        }
        return freed
    }

    /// Stops every stem cell; none are built after this.
    func shutDown() {
        accepting = false
        for cell in cells.values.flatMap({ $0 }) {
            cell.discard()
        }
        cells.removeAll()
    }

    private func launch(_ runtime: String) {
        let spec = Self.launchSpec(runtime: runtime, configuration: configuration)
        launches.async { [self] in
            let result = Result { () throws(SandboxError) in try ProcessLauncher.launch(spec) }
            loop.execute { [self] in adopt(result, runtime: runtime) }
        }
    }

    private func adopt(_ result: Result<LaunchedProcess, SandboxError>, runtime: String) {
        launching[runtime, default: 1] -= 1
        switch result {
        case .success(let process):
            do {
                let cell = try StemCell(
                    runtime: runtime, process: process, loop: loop, awsHandler: configuration.awsAccess?.currentHandler
                ) { [weak self] in self?.cellDidChange($0) }
                cells[runtime, default: []].append(cell)
                if !accepting || roomBytes() < 0 {
                    cell.discard()
                }
            } catch {
                ProcessLauncher.kill(process)
                _ = ProcessLauncher.reap(process)
                ProcessLauncher.release(process)
                pause(after: error)
            }
        case .failure(let error):
            pause(after: error)
        }
    }

    private func pause(after error: any Error) {
        OperatorLog.warning("could not start a stem cell; trying again in 5 seconds", ["error": "\(error)"])
        pausedUntil = .now + .seconds(5)
    }

    private func cellDidChange(_ cell: StemCell) {
        guard cell.isDead else { return }
        // Died while waiting (or was discarded): its place is refilled on the next tick. One
        // whose runtime client never got as far as waiting would die again: pause first.
        cells[cell.runtime]?.removeAll { $0 === cell }
        if cell.diedBeforeReady, accepting {
            pause(after: StemCellError(message: "a stem cell's runtime client exited before it was ready"))
        }
    }

    /// How a stem cell of `runtime` is started: the function-independent part of an
    /// environment's launch, with placeholders where a function's trees will be.
    static func launchSpec(runtime: String, configuration: InvokerConfiguration) -> LaunchSpec {
        let placeholder = (configuration.stemCellDirectory ?? "/nonexistent") + "/placeholder"
        let sandbox = SandboxSpec(
            codeDirectory: placeholder,
            runtimeDirectory: RuntimeCatalog.runtimeDirectory(
                runtime: runtime, runtimesDirectory: configuration.runtimesDirectory),
            layersDirectory: placeholder, extraReadOnly: configuration.sandboxBinds,
            memoryMegabytes: Environment.minimumMemoryMegabytes,
            ephemeralStorageMegabytes: ephemeralStorageMegabytes,
            scratchDirectory: configuration.sandboxScratchDirectory,
            awsEndpointPort: configuration.awsAccess == nil ? nil : SandboxSpec.awsEndpointPort,
            outboundNetwork: configuration.outboundNetwork)
        var environment = Environment.processEnvironment(
            runtime: runtime, runtimeAPIPort: SandboxSpec.runtimeAPIPort, taskRoot: SandboxSpec.taskRoot,
            runtimeDirectory: SandboxSpec.runtimeRoot)
        environment["SWIFTLET_STEM_CELL"] = "1"
        return LaunchSpec(
            executable: SandboxSpec.runtimeRoot + "/bootstrap", arguments: [], environment: environment,
            workingDirectory: SandboxSpec.taskRoot, sandbox: sandbox)
    }

    /// Makes, under `directory`, the placeholder a stem cell shows at `/var/task` and `/opt`
    /// (an empty directory with an empty `lib`, so that the dynamic linker, which remembers
    /// for the life of a process which `LD_LIBRARY_PATH` directories were missing, keeps
    /// looking in `/var/task/lib` and `/opt/lib` once a function's trees are mounted there),
    /// and the empty directory a function without layers gets at `/opt`.
    static func makePlaceholder(at directory: String) throws {
        for path in [directory, directory + "/placeholder", directory + "/placeholder/lib", emptyDirectory(directory)] {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            // Listed by the sandbox's unprivileged user, whatever the umask.
            _ = chmod(path, 0o755)
        }
    }

    /// What a specialised stem cell shows at `/opt` when its function has no layers.
    static func emptyDirectory(_ stemCellDirectory: String) -> String {
        stemCellDirectory + "/empty"
    }
}
