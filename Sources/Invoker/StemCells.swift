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
    let kind: StemKind
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

    /// What this stem cell is charged against the memory budget.
    var memoryChargeBytes: Int { kind.memoryChargeBytes }

    /// True once the runtime client waits for its function.
    var isReady: Bool { !isDead && endpoint.awaitsSpecialization }

    /// Serves `process`'s Runtime API (and AWS endpoint) on `loop` and watches it exit;
    /// `onChange` hears when the runtime client starts waiting and when the process dies.
    /// On failure every descriptor of `process` is closed; the caller still stops the process.
    init(
        kind: StemKind, process: LaunchedProcess, loop: EventLoop, awsHandler: (any HTTPHandler)?,
        onChange: @escaping (StemCell) -> Void
    ) throws {
        self.kind = kind
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

/// What a stem cell is made for: a runtime, and for Node.js the MemorySize, from which its
/// bootstrap sizes V8's heap as the process starts.
struct StemKind: Hashable, CustomStringConvertible {
    let runtime: String
    let memoryMegabytes: Int?

    /// Python's stem cells, which also serve custom runtimes.
    static let python = StemKind(runtime: "python3.11", memoryMegabytes: nil)

    /// What the host's memory budget counts for a waiting stem cell of this kind: an
    /// interpreter with the runtime client loaded (resident size measured here: about 15 MB
    /// for Python 3.11, about 45 MB for Node.js 20, most of it the node binary's pages).
    var memoryChargeBytes: Int { (runtime.hasPrefix("nodejs") ? 48 : 16) * 1_048_576 }

    var description: String { memoryMegabytes.map { "\(runtime) (\($0) MB)" } ?? runtime }
}

/// Keeps stem cells ready per runtime and hands one out when a function needs a new
/// environment, so that a cold start pays for mounting the function's code and importing its
/// handler, not for building a sandbox and starting an interpreter.
///
/// Python's stem cells are always kept (they serve custom runtimes too). Node.js sizes its
/// heap from MemorySize when it starts, so its stem cells are made per size, for the sizes of
/// the most recent Node.js cold starts only: a host that runs no Node.js keeps none.
///
/// Sandboxes are built on a thread of their own, so refilling never holds up the event loop;
/// everything else happens on the loop thread.
final class StemCellPool: @unchecked Sendable {
    // @unchecked: `cells`, `launching`, `sizedKinds`, `accepting` and `pausedUntil` are touched
    // only on `loop`'s thread; the launch queue only builds processes and hands them back there.
    /// Runtimes whose runtime client can wait for its function (see swiftlet_runtime.py and
    /// runtime.mjs).
    static let runtimes = ["python3.11", "nodejs20.x"]

    /// Sized kinds (Node.js memory sizes) kept in stem cells at once.
    static let sizedKindsKept = 2

    /// How long a kept size must go unused before a new size may take its place: with more
    /// sizes in use than are kept, the kept ones stay, rather than every cold start of another
    /// size discarding ready stem cells to build others.
    static let sizedKindReplacementAge: Duration = .seconds(60)

    /// The stem cells a function of `runtime` and `memoryMegabytes` is made from: its own
    /// runtime's (for Node.js, of its size), or for a custom runtime (whose bootstrap the stem
    /// cell's client executes in its place) Python's.
    static func stemKind(runtime: String?, memoryMegabytes: Int) -> StemKind? {
        guard let runtime else { return nil }
        if RuntimeCatalog.usesCustomBootstrap(runtime) {
            return .python
        }
        guard runtimes.contains(runtime) else { return nil }
        return StemKind(runtime: runtime, memoryMegabytes: runtime.hasPrefix("nodejs") ? memoryMegabytes : nil)
    }

    /// Prefixes of environment variables read only as a process of `runtime` starts (by the
    /// interpreter, the dynamic linker, the C library, libuv, OpenSSL or the locale), which a stem cell
    /// cannot take on later.
    static func startupVariablePrefixes(runtime: String) -> [String] {
        let common = ["LD_", "LC_", "GLIBC_", "MALLOC_"]
        // Node also reads OpenSSL's configuration and certificate locations as it starts.
        return runtime.hasPrefix("nodejs") ? ["NODE_", "UV_", "OPENSSL_", "SSL_CERT_"] + common : ["PYTHON"] + common
    }

    /// The EphemeralStorage every stem cell's `/tmp` has (the default).
    static let ephemeralStorageMegabytes = 512

    private let loop: EventLoop
    private let configuration: InvokerConfiguration
    private let launches = DispatchQueue(label: "swiftlet.invoker.stem-cells")
    /// Stem cells alive per kind: waiting for a function, or their client still starting.
    private var cells: [StemKind: [StemCell]] = [:]
    private var launching: [StemKind: Int] = [:]
    /// Sized kinds learned from cold starts (Node.js with a memory size), with their last use,
    /// most recent first.
    private var sizedKinds: [(kind: StemKind, lastUsed: ContinuousClock.Instant)] = []
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

    /// The kinds kept now: Python's, and Node.js's for its latest sizes.
    private var wantedKinds: [StemKind] {
        [.python] + sizedKinds.map(\.kind)
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
        let alive = cells.values.reduce(0) { $0 + $1.reduce(0) { $0 + $1.memoryChargeBytes } }
        guard includingBeingBuilt else { return alive }
        return launching.reduce(alive) { $0 + $1.value * $1.key.memoryChargeBytes }
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
        guard isEnabled, let runtime = function.runtime,
            Self.stemKind(runtime: runtime, memoryMegabytes: function.memoryMegabytes) != nil,
            function.ephemeralStorageMegabytes == Self.ephemeralStorageMegabytes
        else { return false }
        if RuntimeCatalog.usesCustomBootstrap(runtime) {
            return true
        }
        let prefixes = Self.startupVariablePrefixes(runtime: runtime)
        return !function.environment.keys.contains { key in
            key == "AWS_LAMBDA_EXEC_WRAPPER" || prefixes.contains { key.hasPrefix($0) }
        }
    }

    /// A ready stem cell for `target`, if it can use one and one is waiting. Its replacement is
    /// built at the next `refill`; a Node.js size not kept yet is kept from then on.
    func take(for target: InvocationTarget) -> StemCell? {
        guard canSpecialize(into: target),
            let kind = Self.stemKind(runtime: target.function.runtime, memoryMegabytes: target.function.memoryMegabytes)
        else { return nil }
        if kind.memoryMegabytes != nil {
            noteSizedKind(kind)
        }
        guard let index = cells[kind]?.lastIndex(where: \.isReady), let cell = cells[kind]?.remove(at: index)
        else { return nil }
        return cell
    }

    /// Notes a cold start of `kind`, stopping the stem cells of a kind it replaces.
    private func noteSizedKind(_ kind: StemKind) {
        let (kept, dropped) = Self.sizedKinds(sizedKinds, noting: kind, at: .now)
        sizedKinds = kept
        for cell in dropped.flatMap({ cells[$0] ?? [] }) {
            cell.discard()
        }
    }

    /// The sized kinds to keep after a cold start of `kind` at `now`, and those dropped: a kept
    /// kind moves first; a new one is kept if there is room, or in place of the least recently
    /// used kind once that one has gone unused for `sizedKindReplacementAge`.
    static func sizedKinds(
        _ kinds: [(kind: StemKind, lastUsed: ContinuousClock.Instant)], noting kind: StemKind,
        at now: ContinuousClock.Instant
    ) -> (kept: [(kind: StemKind, lastUsed: ContinuousClock.Instant)], dropped: [StemKind]) {
        var kept = kinds
        var dropped: [StemKind] = []
        if let index = kept.firstIndex(where: { $0.kind == kind }) {
            kept.remove(at: index)
        } else if kept.count >= sizedKindsKept {
            guard let oldest = kept.last, now - oldest.lastUsed >= sizedKindReplacementAge else {
                return (kinds, [])
            }
            kept.removeLast()
            dropped.append(oldest.kind)
        }
        kept.insert((kind, now), at: 0)
        return (kept, dropped)
    }

    /// Starts building stem cells for every kind short of its count, as far as the room left
    /// in the memory budget allows: stem cells never crowd out environments. Called after
    /// every invocation, so a full pool returns before the budget is added up.
    func refill() {
        guard isEnabled, accepting else { return }
        let kinds = wantedKinds
        let short = kinds.contains { kind in
            cells[kind, default: []].count + launching[kind, default: 0] < configuration.stemCellsPerRuntime
        }
        // Until the Control API connects, a stem cell could not serve the AWS endpoint.
        guard short, configuration.awsAccess == nil || configuration.awsAccess?.currentHandler != nil else { return }
        if let pausedUntil, ContinuousClock.now < pausedUntil {
            return
        }
        pausedUntil = nil
        var room = roomBytes()
        for kind in kinds {
            let charge = kind.memoryChargeBytes
            var alive = cells[kind, default: []].count + launching[kind, default: 0]
            while alive < configuration.stemCellsPerRuntime, room >= charge {
                room -= charge
                alive += 1
                launching[kind, default: 0] += 1
                launch(kind)
            }
        }
    }

    /// Stops waiting stem cells until at least `bytes` of the memory budget are free again;
    /// returns what was freed. They are the first to go when an environment needs room.
    func discard(toFree bytes: Int) -> Int {
        var freed = 0
        for cell in cells.values.flatMap({ $0 }) where freed < bytes {
            cell.discard()
            freed += cell.memoryChargeBytes
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

    private func launch(_ kind: StemKind) {
        let spec = Self.launchSpec(kind: kind, configuration: configuration)
        launches.async { [self] in
            let result = Result { () throws(SandboxError) in try ProcessLauncher.launch(spec) }
            loop.execute { [self] in adopt(result, kind: kind) }
        }
    }

    private func adopt(_ result: Result<LaunchedProcess, SandboxError>, kind: StemKind) {
        launching[kind, default: 1] -= 1
        switch result {
        case .success(let process):
            do {
                let cell = try StemCell(
                    kind: kind, process: process, loop: loop, awsHandler: configuration.awsAccess?.currentHandler
                ) { [weak self] in self?.cellDidChange($0) }
                cells[kind, default: []].append(cell)
                if !accepting || roomBytes() < 0 || !wantedKinds.contains(kind) {
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
        cells[cell.kind]?.removeAll { $0 === cell }
        if cells[cell.kind]?.isEmpty == true {
            cells[cell.kind] = nil
        }
        if cell.diedBeforeReady, accepting {
            pause(
                after: StemCellError(message: "a stem cell's runtime client (\(cell.kind)) exited before it was ready"))
        }
    }

    /// How a stem cell of `kind` is started: the function-independent part of an
    /// environment's launch, with placeholders where a function's trees will be.
    static func launchSpec(kind: StemKind, configuration: InvokerConfiguration) -> LaunchSpec {
        let placeholder = (configuration.stemCellDirectory ?? "/nonexistent") + "/placeholder"
        let sandbox = SandboxSpec(
            codeDirectory: placeholder,
            runtimeDirectory: RuntimeCatalog.runtimeDirectory(
                runtime: kind.runtime, runtimesDirectory: configuration.runtimesDirectory),
            layersDirectory: placeholder, extraReadOnly: configuration.sandboxBinds,
            memoryMegabytes: Environment.minimumMemoryMegabytes,
            ephemeralStorageMegabytes: ephemeralStorageMegabytes,
            scratchDirectory: configuration.sandboxScratchDirectory,
            awsEndpointPort: configuration.awsAccess == nil ? nil : SandboxSpec.awsEndpointPort,
            outboundNetwork: configuration.outboundNetwork)
        var environment = Environment.processEnvironment(
            runtime: kind.runtime, runtimeAPIPort: SandboxSpec.runtimeAPIPort, taskRoot: SandboxSpec.taskRoot,
            runtimeDirectory: SandboxSpec.runtimeRoot)
        environment["SWIFTLET_STEM_CELL"] = "1"
        if let memory = kind.memoryMegabytes {
            // Node's bootstrap sizes the heap from it, as for a function of this size.
            environment["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = String(memory)
        }
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
