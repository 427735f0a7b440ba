import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Where this server may make cgroups for its environments, detected once.
public enum CgroupHierarchy: Sendable, Equatable {
    /// cgroup v1: one directory per controller (memory, pids, cpu), each the
    /// server's own cgroup in that hierarchy plus `swiftlet/`.
    case v1(memory: String, pids: String?, cpu: String?, freezer: String? = nil)
    /// cgroup v2: the server's own cgroup's sibling `swiftlet/` subtree.
    case v2(String)

    /// Reads /proc/self/cgroup and the mounts under /sys/fs/cgroup.
    public static func detect(root: String = "/sys/fs/cgroup") -> CgroupHierarchy? {
        guard let membership = Kernel.read("/proc/self/cgroup") else { return nil }
        let own = parse(membership)
        if Kernel.exists(root + "/cgroup.controllers"), let path = own[""] {
            // The server's cgroup may hold processes, so environments go beside
            // it (no internal processes in v2), under its parent.
            let parent = path == "/" ? "" : String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
            return .v2(root + parent + "/swiftlet")
        }
        func base(_ controller: String) -> String? {
            guard let path = own[controller], Kernel.exists("\(root)/\(controller)/cgroup.procs") else { return nil }
            return "\(root)/\(controller)\(path == "/" ? "" : path)/swiftlet"
        }
        guard let memory = base("memory") else { return nil }
        return .v1(memory: memory, pids: base("pids"), cpu: base("cpu"), freezer: base("freezer"))
    }

    /// The `swiftlet/` directories environments are made in.
    var bases: [String] {
        switch self {
        case .v1(let memory, let pids, let cpu, let freezer): [memory, pids, cpu, freezer].compactMap { $0 }
        case .v2(let base): [base]
        }
    }

    /// Clears out environment cgroups left by a server that died (named
    /// `env-PID-N` after a server process that no longer exists): thaws them
    /// (a frozen process cannot act on SIGKILL), kills what is left in them and
    /// removes them. Without this, environments frozen when their server was
    /// killed would wait forever. Blocks briefly: runs once, at start-up.
    func removeStale() {
        var stale: [String] = []
        for base in bases {
            for name in Kernel.entries(of: base) where Self.isStale(name) {
                stale.append(base + "/" + name)
            }
        }
        for path in stale {
            try? Kernel.write("THAWED", to: path + "/freezer.state")
            try? Kernel.write("0", to: path + "/cgroup.freeze")
        }
        for path in stale {
            for pid in (Kernel.read(path + "/cgroup.procs") ?? "").split(separator: "\n") {
                if let number = pid_t(pid) {
                    kill(number, SIGKILL)
                }
            }
        }
        for path in stale {
            for _ in 0..<200 where rmdir(path) != 0 && errno == EBUSY {
                usleep(5000)
            }
        }
    }

    /// True for an environment cgroup whose server process is gone.
    private static func isStale(_ name: String) -> Bool {
        let parts = name.split(separator: "-")
        guard parts.count == 3, parts[0] == "env", let pid = pid_t(parts[1]) else { return false }
        return kill(pid, 0) != 0 && errno == ESRCH
    }

    /// Maps each controller (and "" for v2) to the server's path in it.
    static func parse(_ membership: String) -> [String: String] {
        var paths: [String: String] = [:]
        for line in membership.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            let path = String(fields[2])
            if fields[1].isEmpty {
                paths[""] = path
            }
            for controller in fields[1].split(separator: ",") {
                paths[String(controller)] = path
            }
        }
        return paths
    }
}

/// The limits written into an environment's cgroup.
public struct CgroupLimits: Sendable, Equatable {
    public var memoryBytes: Int
    public var pids: Int
    /// cpu.shares (v1; 1024 is one CPU's worth) for the memory size.
    public var cpuShares: Int
    /// cpu.weight (v2; 100 is the default) for the memory size.
    public var cpuWeight: Int

    /// One vCPU's worth of CPU per 1,769 MB, as on AWS.
    public static let megabytesPerVCPU = 1769

    public init(memoryMegabytes: Int, pids: Int) {
        memoryBytes = memoryMegabytes * 1_048_576
        self.pids = pids
        cpuShares = max(2, 1024 * memoryMegabytes / Self.megabytesPerVCPU)
        cpuWeight = min(10_000, max(1, 100 * memoryMegabytes / Self.megabytesPerVCPU))
    }

    /// The knobs to write, in order, for each kind of directory.
    func settings(for hierarchy: CgroupHierarchy) -> [(controller: String, file: String, value: String)] {
        switch hierarchy {
        case .v1:
            // The memory limit comes before memory+swap, which may not be lower.
            [
                ("memory", "memory.limit_in_bytes", String(memoryBytes)),
                ("memory", "memory.memsw.limit_in_bytes", String(memoryBytes)),
                ("pids", "pids.max", String(pids)),
                ("cpu", "cpu.shares", String(cpuShares)),
            ]
        case .v2:
            [
                ("", "memory.max", String(memoryBytes)),
                ("", "memory.swap.max", "0"),
                ("", "memory.oom.group", "1"),
                ("", "pids.max", String(pids)),
                ("", "cpu.weight", String(cpuWeight)),
            ]
        }
    }
}

/// One environment's cgroup (a directory per controller on v1).
public final class EnvironmentCgroup: Sendable {
    let hierarchy: CgroupHierarchy
    /// Controller name ("" on v2) to directory.
    let directories: [(controller: String, path: String)]
    /// The peak memory file, kept open: it is read after every invocation, and `pread` at
    /// offset 0 makes the kernel regenerate it, which saves the path walk of an `open`.
    /// Written once, at the end of `init` (atomic only because `init` calls methods first).
    private let peakMemoryDescriptor = Atomic<Int32>(-1)

    /// Creates the cgroup and writes `limits`; on failure removes what it made.
    init(hierarchy: CgroupHierarchy, name: String, limits: CgroupLimits) throws(SandboxError) {
        self.hierarchy = hierarchy
        switch hierarchy {
        case .v1(let memory, let pids, let cpu, let freezer):
            directories = [("memory", memory), ("pids", pids), ("cpu", cpu), ("freezer", freezer)].compactMap { entry in
                entry.1.map { (entry.0, $0 + "/" + name) }
            }
        case .v2(let base):
            directories = [("", base + "/" + name)]
        }
        do {
            for (_, path) in directories {
                let base = String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)])
                try Kernel.makeDirectory(base, existingIsFine: true)
                if case .v2 = hierarchy {
                    // The controllers must be on in the subtree's parent (which holds
                    // only cgroups, the server's among them) and in the subtree itself.
                    // Already on is fine; still off fails the limit writes below.
                    let parent = String(base[..<(base.lastIndex(of: "/") ?? base.endIndex)])
                    try? Kernel.write("+memory +pids +cpu", to: parent + "/cgroup.subtree_control")
                    try? Kernel.write("+memory +pids +cpu", to: base + "/cgroup.subtree_control")
                }
                try Kernel.makeDirectory(path)
            }
            try write(limits.settings(for: hierarchy))
        } catch {
            remove()
            throw error
        }
        if let memory = directory(isV2 ? "" : "memory") {
            let file = isV2 ? "memory.peak" : "memory.max_usage_in_bytes"
            // Without it the peak reads as 0, as when the file cannot be read.
            let descriptor = try? Kernel.open(memory + "/" + file, O_RDONLY | O_CLOEXEC, step: "open")
            peakMemoryDescriptor.store(descriptor ?? -1, ordering: .releasing)
        }
    }

    deinit {
        let descriptor = peakMemoryDescriptor.load(ordering: .acquiring)
        if descriptor >= 0 {
            close(descriptor)
        }
    }

    /// Changes the memory limit and CPU share of a running environment (a stem cell taking on
    /// a function's MemorySize). On v1 memory+swap may never be below the memory limit, so a
    /// raise writes it first and a cut writes it last.
    func resize(to limits: CgroupLimits) throws(SandboxError) {
        var settings = limits.settings(for: hierarchy).filter { $0.file != "pids.max" }
        if case .v1 = hierarchy, let directory = directory("memory"),
            let text = Kernel.read(directory + "/memory.limit_in_bytes"),
            let current = text.split(whereSeparator: \.isWhitespace).first.flatMap({ Int($0) }),
            limits.memoryBytes > current
        {
            // `settings` puts the memory limit first (right for a cut); a raise needs memsw first.
            let memsw = settings.filter { $0.file == "memory.memsw.limit_in_bytes" }
            settings = memsw + settings.filter { $0.file != "memory.memsw.limit_in_bytes" }
        }
        try write(settings)
    }

    private func write(_ settings: [(controller: String, file: String, value: String)]) throws(SandboxError) {
        for setting in settings {
            guard let directory = directory(setting.controller) else { continue }
            let path = directory + "/" + setting.file
            // memsw exists only with swap accounting; without it there is no swap to limit.
            if setting.file == "memory.memsw.limit_in_bytes" || setting.file == "memory.swap.max",
                !Kernel.exists(path)
            {
                continue
            }
            try Kernel.write(setting.value, to: path)
        }
    }

    /// Opens each directory's `cgroup.procs` for the child to write itself into.
    func openProcs() throws(SandboxError) -> [Int32] {
        var descriptors: [Int32] = []
        for (_, path) in directories {
            do {
                descriptors.append(try Kernel.open(path + "/cgroup.procs", O_WRONLY | O_CLOEXEC, step: "open"))
            } catch {
                for descriptor in descriptors { close(descriptor) }
                throw error
            }
        }
        return descriptors
    }

    /// True once the kernel's OOM killer has killed a process of this cgroup.
    public var wasKilledForMemory: Bool {
        let file = isV2 ? "memory.events" : "memory.oom_control"
        guard let directory = directory(isV2 ? "" : "memory"), let text = Kernel.read(directory + "/" + file) else {
            return false
        }
        return Self.counter("oom_kill", in: text) > 0
    }

    /// The most memory the environment has used, in bytes.
    public var peakMemoryBytes: Int {
        let descriptor = peakMemoryDescriptor.load(ordering: .acquiring)
        guard descriptor >= 0 else { return 0 }
        var buffer = (0 as UInt64, 0 as UInt64, 0 as UInt64, 0 as UInt64)
        let count = withUnsafeMutableBytes(of: &buffer) { bytes in
            Kernel.retrying { pread(descriptor, bytes.baseAddress, bytes.count, 0) }
        }
        guard count > 0 else { return 0 }
        return withUnsafeBytes(of: buffer) { bytes in
            var value = 0
            for byte in bytes.prefix(count) {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { break }
                value = value &* 10 &+ Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
    }

    /// Stops (or resumes) every process of the environment, background threads
    /// included, as Lambda does between invocations. Returns false when the host
    /// has no freezer for this cgroup.
    @discardableResult
    public func setFrozen(_ frozen: Bool) -> Bool {
        if isV2, let directory = directory("") {
            return (try? Kernel.write(frozen ? "1" : "0", to: directory + "/cgroup.freeze")) != nil
        }
        guard let directory = directory("freezer") else { return false }
        return (try? Kernel.write(frozen ? "FROZEN" : "THAWED", to: directory + "/freezer.state")) != nil
    }

    /// Kills every process in the cgroup, waits until it is empty and removes it.
    /// Blocks: call off the event loop.
    func destroy() {
        // Frozen processes cannot die until they are thawed.
        setFrozen(false)
        if isV2, let directory = directory(""), Kernel.exists(directory + "/cgroup.kill") {
            try? Kernel.write("1", to: directory + "/cgroup.kill")
        }
        for _ in 0..<1000 {
            let pids = directories.flatMap { Kernel.read($0.path + "/cgroup.procs")?.split(separator: "\n") ?? [] }
            if pids.isEmpty {
                break
            }
            for pid in pids {
                if let number = pid_t(pid) {
                    kill(number, SIGKILL)
                }
            }
            usleep(1000)
        }
        remove()
    }

    private func remove() {
        for (_, path) in directories.reversed() {
            for _ in 0..<100 where rmdir(path) != 0 && errno == EBUSY {
                usleep(1000)
            }
        }
    }

    private var isV2: Bool {
        if case .v2 = hierarchy { return true }
        return false
    }

    private func directory(_ controller: String) -> String? {
        directories.first { $0.controller == controller }?.path
    }

    static func counter(_ name: String, in text: String) -> Int {
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.count == 2, fields[0] == name {
                return Int(fields[1]) ?? 0
            }
        }
        return 0
    }
}
