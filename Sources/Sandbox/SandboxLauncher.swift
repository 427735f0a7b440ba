import CSandbox
import CSystem
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Starts an environment's runtime inside a bubblewrap sandbox: its own
/// namespaces, cgroup, read-only code, private /tmp and seccomp filter.
///
/// Construction reads as one procedure and fails closed: any step that fails
/// undoes the earlier ones and nothing starts.
enum SandboxLauncher {
    static let bubblewrapPath = "/usr/bin/bwrap"
    /// An empty host directory each launch covers with a private tmpfs (in its
    /// own mount namespace) to stage the trees bubblewrap binds.
    static let stageRoot = "/run/swiftlet-sandbox"

    /// The cgroup hierarchy, detected on first use, when cgroups a dead server
    /// left behind are also removed.
    static let hierarchy: CgroupHierarchy? = {
        let hierarchy = CgroupHierarchy.detect()
        hierarchy?.removeStale()
        return hierarchy
    }()

    private static let counter = Atomic<Int>(0)

    static func launch(_ spec: LaunchSpec, sandbox: SandboxSpec) throws(SandboxError) -> LaunchedProcess {
        // 1. The entry point must exist and be executable before anything is
        //    built: bubblewrap would only say so on stderr.
        try checkEntryPoint(spec.executable, sandbox: sandbox)
        let filter = try SeccompFilter.standard.get()
        guard let hierarchy else { throw SandboxError(step: "find a writable cgroup hierarchy", errno: ENOENT) }

        // 2. The cgroup, so that every process of the environment is counted from its first instruction.
        let name = "env-\(getpid())-\(counter.add(1, ordering: .relaxed).newValue)"
        let cgroup = try EnvironmentCgroup(
            hierarchy: hierarchy, name: name,
            limits: CgroupLimits(memoryMegabytes: sandbox.memoryMegabytes, pids: sandbox.pidsLimit))
        var scope = LaunchScope(cgroup: cgroup)
        do {
            return try launch(spec, sandbox: sandbox, filter: filter, scope: &scope)
        } catch {
            scope.abandon()
            throw error
        }
    }

    private static func launch(
        _ spec: LaunchSpec, sandbox: SandboxSpec, filter: SeccompFilter, scope: inout LaunchScope
    ) throws(SandboxError) -> LaunchedProcess {
        // 3. The network namespace with the Runtime API's socket (and the AWS endpoint's) listening in it.
        var netns: Int32 = -1
        if let port = sandbox.runtimeAPIPort {
            let ports = [Int32(port)] + (sandbox.awsEndpointPort.map { [Int32($0)] } ?? [])
            var listeners = [Int32](repeating: -1, count: ports.count)
            var step: UnsafePointer<CChar>?
            let result = swiftlet_netns_listeners(ports, Int32(ports.count), &listeners, &netns, &step)
            guard result == 0 else {
                throw SandboxError(step: step.map { String(cString: $0) } ?? "network namespace", errno: result)
            }
            scope.listeners = listeners
            scope.closeAfterSpawn.append(netns)
            if sandbox.outboundNetwork {
                // Configured before the runtime starts, so its first connection finds the route.
                scope.outbound = try OutboundNetwork.attach(netns: netns)
            }
        }

        // 4. The trees to show, staged under one reachable directory, and the filter.
        let sources =
            [sandbox.codeDirectory] + (sandbox.runtimeDirectory.map { [$0] } ?? [])
            + (sandbox.layersDirectory.map { [$0] } ?? []) + sandbox.extraReadOnly.map(\.source)
        var staged = sources.indices.map { "\(stageRoot)/\($0)" }
        try Kernel.makeDirectory(stageRoot, existingIsFine: true)
        let codeSource = staged.removeFirst()
        let runtimeSource = sandbox.runtimeDirectory == nil ? nil : staged.removeFirst()
        let layersSource = sandbox.layersDirectory == nil ? nil : staged.removeFirst()
        var tmpDevice: String?
        if let directory = sandbox.scratchDirectory {
            let pool = ScratchImages.pool(directory: directory)
            let device = try pool.attach(megabytes: sandbox.ephemeralStorageMegabytes)
            scope.closeAfterSpawn.append(device.descriptor)
            tmpDevice = device.path
        }
        let seccomp = try scope.memfd(filter.program)
        let procs = try scope.cgroup.openProcs()
        scope.closeAfterSpawn += procs

        // 5. The command line, as data.
        let inputs = BubblewrapInputs(
            topLevel: hostTopLevel(), codeSource: codeSource, runtimeSource: runtimeSource,
            layersSource: layersSource, extraSources: staged,
            tmpSource: tmpDevice == nil ? nil : stageRoot + "/tmp", seccompDescriptor: seccomp)
        let arguments = BubblewrapArguments.make(launch: spec, sandbox: sandbox, inputs: inputs)

        // 6. Output pipes, then the child: joins the namespace and cgroup as
        //    root, drops to the sandbox uid, execs bubblewrap.
        let stdout = try scope.pipe()
        let stderr = try scope.pipe()
        let null = try Kernel.open("/dev/null", O_RDONLY | O_CLOEXEC, step: "open")
        scope.closeAfterSpawn.append(null)
        let pid = try spawn(
            arguments: arguments, environment: spec.environment, netns: netns, cgroupProcs: procs,
            stage: sources, tmpDevice: tmpDevice, inherited: [seccomp], stdio: (null, stdout.write, stderr.write),
            sandbox: sandbox)
        scope.closeAll()
        scope.pid = pid

        // 7. The exit descriptor the event loop watches.
        let exitDescriptor = swiftlet_pidfd_open(pid)
        guard exitDescriptor >= 0 else { throw SandboxError(step: "pidfd_open", errno: errno) }
        _ = swiftlet_set_cloexec(exitDescriptor)
        let reapDescriptor = fcntl(exitDescriptor, F_DUPFD_CLOEXEC, 0)
        let listeners = scope.listeners
        let outbound = scope.outbound
        scope.listeners = []
        scope.outbound = nil
        scope.pid = nil
        return LaunchedProcess(
            pid: pid, exitDescriptor: exitDescriptor, outputDescriptors: [stdout.read, stderr.read],
            runtimeAPIListener: listeners.first, awsEndpointListener: listeners.dropFirst().first,
            outbound: outbound, cgroup: scope.cgroup,
            reapDescriptor: reapDescriptor, exitStatusFromBubblewrap: true)
    }

    private static func spawn(
        arguments: [String], environment: [String: String], netns: Int32, cgroupProcs: [Int32], stage: [String],
        tmpDevice: String?, inherited: [Int32], stdio: (Int32, Int32, Int32), sandbox: SandboxSpec
    ) throws(SandboxError) -> pid_t {
        let argv = [bubblewrapPath] + arguments
        let envp = environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        var pid: pid_t = 0
        var step: UnsafePointer<CChar>?
        let result = cgroupProcs.withUnsafeBufferPointer { procs in
            inherited.withUnsafeBufferPointer { keep in
                CStrings.with(stage) { stagePointers in
                    withOptionalCString(stageRoot) { root in
                        withOptionalCString(tmpDevice) { device in
                            var child = swiftlet_sandbox_child(
                                netns_fd: netns, cgroup_fds: procs.baseAddress, cgroup_fd_count: Int32(procs.count),
                                stage_root: root,
                                stage_sources: UnsafeRawPointer(stagePointers).assumingMemoryBound(
                                    to: UnsafePointer<CChar>?.self),
                                stage_count: Int32(stage.count), tmp_device: device, inherit_fds: keep.baseAddress,
                                inherit_fd_count: Int32(keep.count), stdin_fd: stdio.0, stdout_fd: stdio.1,
                                stderr_fd: stdio.2, uid: sandbox.uid, gid: sandbox.gid)
                            return CStrings.with(argv) { argvPointers in
                                CStrings.with(envp) { envPointers in
                                    swiftlet_sandbox_spawn(
                                        bubblewrapPath, argvPointers, envPointers, &child, &pid, &step)
                                }
                            }
                        }
                    }
                }
            }
        }
        guard result == 0 else {
            throw SandboxError(step: step.map { String(cString: $0) } ?? "spawn bwrap", errno: result)
        }
        return pid
    }

    private static func withOptionalCString<R>(_ text: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
        guard let text else { return body(nil) }
        return text.withCString { body($0) }
    }

    /// Fails like exec would (ENOENT, EACCES, ENOEXEC) for an entry point that cannot run.
    static func checkEntryPoint(_ executable: String, sandbox: SandboxSpec) throws(SandboxError) {
        guard let hostPath = sandbox.hostPath(of: executable) else { return }
        var info = stat()
        guard stat(hostPath, &info) == 0 else { throw SandboxError(step: "spawn \(executable)", errno: errno) }
        guard info.st_mode & S_IFMT == S_IFREG, info.st_mode & 0o111 != 0 else {
            throw SandboxError(step: "spawn \(executable)", errno: EACCES)
        }
        let descriptor = Glibc.open(hostPath, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw SandboxError(step: "spawn \(executable)", errno: errno) }
        defer { close(descriptor) }
        var magic = [UInt8](repeating: 0, count: 4)
        let count = magic.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, 4) }
        let script = count >= 2 && magic[0] == UInt8(ascii: "#") && magic[1] == UInt8(ascii: "!")
        let elf = count == 4 && magic == [0x7F, 0x45, 0x4C, 0x46]
        guard script || elf else { throw SandboxError(step: "spawn \(executable)", errno: ENOEXEC) }
    }

    /// How /bin, /lib, /lib64 and /sbin look on this host.
    static func hostTopLevel() -> [String: BubblewrapInputs.HostEntry] {
        var entries: [String: BubblewrapInputs.HostEntry] = [:]
        for path in BubblewrapArguments.systemDirectories {
            var buffer = [CChar](repeating: 0, count: 4096)
            let length = readlink(path, &buffer, buffer.count - 1)
            if length > 0 {
                let target = buffer[0..<length].map { UInt8(bitPattern: $0) }
                entries[path] = .symlink(target: String(decoding: target, as: UTF8.self))
            } else {
                entries[path] = Kernel.exists(path) ? .directory : .missing
            }
        }
        return entries
    }
}

/// What a launch has made so far, so that a failure can undo exactly that.
private struct LaunchScope {
    let cgroup: EnvironmentCgroup
    /// The Runtime API's listening socket, then the AWS endpoint's when there is one.
    var listeners: [Int32] = []
    /// The environment's slirp4netns, when it may reach other networks.
    var outbound: OutboundNetwork?
    var pid: pid_t?
    var closeAfterSpawn: [Int32] = []
    var readEnds: [Int32] = []

    init(cgroup: EnvironmentCgroup) {
        self.cgroup = cgroup
    }

    mutating func memfd(_ bytes: [UInt8]) throws(SandboxError) -> Int32 {
        let descriptor = swiftlet_memfd("swiftlet-seccomp")
        guard descriptor >= 0 else { throw SandboxError(step: "memfd_create", errno: errno) }
        closeAfterSpawn.append(descriptor)
        let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        guard written == bytes.count, lseek(descriptor, 0, SEEK_SET) == 0 else {
            throw SandboxError(step: "write the seccomp filter", errno: errno)
        }
        return descriptor
    }

    mutating func pipe() throws(SandboxError) -> (read: Int32, write: Int32) {
        var descriptors: [Int32] = [0, 0]
        // Close-on-exec from the start: stem cells are launched on a thread of their own, so
        // a spawn on another thread must never inherit these.
        guard swiftlet_pipe_cloexec(&descriptors) == 0 else { throw SandboxError(step: "pipe2", errno: errno) }
        _ = swiftlet_set_nonblocking(descriptors[0])
        readEnds.append(descriptors[0])
        closeAfterSpawn.append(descriptors[1])
        return (descriptors[0], descriptors[1])
    }

    /// Closes what the child needed and the parent does not.
    mutating func closeAll() {
        for descriptor in closeAfterSpawn { close(descriptor) }
        closeAfterSpawn.removeAll()
    }

    /// Undoes everything after a failed step.
    mutating func abandon() {
        closeAll()
        for descriptor in readEnds { close(descriptor) }
        for listener in listeners {
            close(listener)
        }
        outbound?.detach()
        if let pid {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
        cgroup.destroy()
    }
}
