import CSandbox
import CSystem
import Dispatch

#if canImport(Glibc)
    import Glibc
#endif

/// Why an execution environment's process could not be built or started.
public struct SandboxError: Error, CustomStringConvertible, Sendable {
    /// The setup step that failed, such as `pipe` or `spawn /var/runtime/bootstrap`.
    public let step: String
    public let errno: Int32

    public var description: String {
        "\(step) failed: \(String(cString: strerror(errno))) (errno \(errno))"
    }
}

/// What an execution environment's first process is.
public struct LaunchSpec: Sendable {
    public var executable: String
    public var arguments: [String]
    public var environment: [String: String]
    public var workingDirectory: String
    /// How to isolate the process; nil starts it as a plain child (`--sandbox none`).
    /// When set, `executable` and `workingDirectory` are paths inside the sandbox.
    public var sandbox: SandboxSpec?

    public init(
        executable: String, arguments: [String], environment: [String: String], workingDirectory: String,
        sandbox: SandboxSpec? = nil
    ) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.sandbox = sandbox
    }
}

/// A started environment process, the leader of its own process group.
public struct LaunchedProcess: Sendable {
    public let pid: pid_t
    /// Becomes readable when the process exits (pidfd).
    public let exitDescriptor: Int32
    /// The read ends of the process's stdout and stderr, non-blocking.
    public let outputDescriptors: [Int32]
    /// A socket listening on the Runtime API's port inside the environment's
    /// own network namespace, for the caller to serve; nil without one.
    public let runtimeAPIListener: Int32?
    /// A socket listening on the AWS endpoint's port inside the namespace; nil without one.
    public let awsEndpointListener: Int32?
    /// The environment's user-mode network stack, stopped at release.
    let outbound: OutboundNetwork?
    /// The environment's cgroup; nil for a plain process.
    public let cgroup: EnvironmentCgroup?
    /// A second pidfd, kept for reaping off the event loop at release.
    let reapDescriptor: Int32
    /// bubblewrap reports a child killed by signal N as exit status 128+N.
    let exitStatusFromBubblewrap: Bool

    init(
        pid: pid_t, exitDescriptor: Int32, outputDescriptors: [Int32], runtimeAPIListener: Int32? = nil,
        awsEndpointListener: Int32? = nil, outbound: OutboundNetwork? = nil, cgroup: EnvironmentCgroup? = nil,
        reapDescriptor: Int32,
        exitStatusFromBubblewrap: Bool = false
    ) {
        self.pid = pid
        self.exitDescriptor = exitDescriptor
        self.outputDescriptors = outputDescriptors
        self.runtimeAPIListener = runtimeAPIListener
        self.awsEndpointListener = awsEndpointListener
        self.outbound = outbound
        self.cgroup = cgroup
        self.reapDescriptor = reapDescriptor
        self.exitStatusFromBubblewrap = exitStatusFromBubblewrap
    }
}

/// Which launcher `swiftlet serve --sandbox` selects.
public enum SandboxMode: String, Sendable, CaseIterable {
    /// A plain child in its own session: no isolation (development only).
    case none
    /// bubblewrap namespaces, a cgroup and a seccomp filter.
    case bubblewrap

    /// bubblewrap when it is installed and the server runs as root (namespaces
    /// and cgroups need it), else none.
    public static var preferred: SandboxMode {
        access(SandboxLauncher.bubblewrapPath, X_OK) == 0 && geteuid() == 0 ? .bubblewrap : .none
    }
}

/// Starts environment processes: sandboxed when the spec says how
/// (see `SandboxLauncher`), else as a plain child in its own session.
public enum ProcessLauncher {
    /// Starts `spec`; on failure nothing is left open or running.
    public static func launch(_ spec: LaunchSpec) throws(SandboxError) -> LaunchedProcess {
        if let sandbox = spec.sandbox {
            return try SandboxLauncher.launch(spec, sandbox: sandbox)
        }
        return try launchPlain(spec)
    }

    private static func launchPlain(_ spec: LaunchSpec) throws(SandboxError) -> LaunchedProcess {
        let stdout = try makePipe()
        let stderr: (read: Int32, write: Int32)
        do {
            stderr = try makePipe()
        } catch {
            closeAll(stdout.read, stdout.write)
            throw error
        }
        let nullDevice = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { closeAll(stdout.write, stderr.write, nullDevice) }

        let pid: pid_t
        do {
            pid = try spawn(spec, stdin: nullDevice, stdout: stdout.write, stderr: stderr.write)
        } catch {
            closeAll(stdout.read, stderr.read)
            throw error
        }
        let exitDescriptor = swiftlet_pidfd_open(pid)
        guard exitDescriptor >= 0 else {
            let code = errno
            Glibc.kill(-pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            closeAll(stdout.read, stderr.read)
            throw SandboxError(step: "pidfd_open", errno: code)
        }
        _ = swiftlet_set_cloexec(exitDescriptor)
        return LaunchedProcess(
            pid: pid, exitDescriptor: exitDescriptor, outputDescriptors: [stdout.read, stderr.read],
            reapDescriptor: fcntl(exitDescriptor, F_DUPFD_CLOEXEC, 0))
    }

    /// Kills the whole process group of an environment (and, at `release`, its whole cgroup).
    /// Clears out the environments a server that died left behind (frozen ones
    /// included). Called at start-up, before the first environment is needed.
    public static func recoverFromEarlierRuns() {
        _ = SandboxLauncher.hierarchy
    }

    public static func kill(_ process: LaunchedProcess) {
        Glibc.kill(-process.pid, SIGKILL)
    }

    /// Reaps an exited process; returns its wait status, or nil if still running.
    /// A sandboxed runtime killed by a signal reads as killed by that signal.
    public static func reap(_ process: LaunchedProcess) -> Int32? {
        var status: Int32 = 0
        let result = waitpid(process.pid, &status, WNOHANG)
        guard result == process.pid else { return nil }
        let exitStatus = (status >> 8) & 0xFF
        if process.exitStatusFromBubblewrap, status & 0x7F == 0, (129...192).contains(exitStatus) {
            return exitStatus - 128
        }
        return status
    }

    /// Fails as exec would (ENOENT, EACCES, ENOEXEC) when `spec`'s entry point cannot run; a
    /// plain launch (no sandbox) is not checked here.
    public static func checkEntryPoint(_ spec: LaunchSpec) throws(SandboxError) {
        guard let sandbox = spec.sandbox else { return }
        try SandboxLauncher.checkEntryPoint(spec.executable, sandbox: sandbox)
    }

    /// True when the environment's memory limit made the kernel kill one of its processes.
    public static func wasKilledForMemory(_ process: LaunchedProcess) -> Bool {
        process.cgroup?.wasKilledForMemory ?? false
    }

    /// Freezes or thaws an environment's processes; false when it has no freezer.
    @discardableResult
    public static func setFrozen(_ process: LaunchedProcess, _ frozen: Bool) -> Bool {
        process.cgroup?.setFrozen(frozen) ?? false
    }

    /// The most memory the environment has used in bytes, when a cgroup counts it.
    public static func peakMemoryBytes(_ process: LaunchedProcess) -> Int? {
        process.cgroup.map(\.peakMemoryBytes)
    }

    /// Frees what is left of an environment after `kill`, off the caller's
    /// thread: kills every process still in its cgroup, reaps the process,
    /// removes the cgroup. Call exactly once.
    public static func release(_ process: LaunchedProcess) {
        teardown.async {
            process.outbound?.detach()
            process.cgroup?.destroy()
            if process.reapDescriptor >= 0 {
                _ = swiftlet_wait_pidfd(process.reapDescriptor)
                close(process.reapDescriptor)
            }
        }
    }

    /// Waits until every `release` so far has finished (at server shutdown).
    public static func waitForReleases() {
        teardown.sync {}
    }

    /// At server shutdown: waits for every `release` and deletes the `/tmp`
    /// images kept ready for environments that will not start now.
    public static func shutDown() {
        waitForReleases()
        ScratchImages.discardSpares()
    }

    private static let teardown = DispatchQueue(label: "swiftlet.sandbox.teardown")

    private static func spawn(
        _ spec: LaunchSpec, stdin: Int32, stdout: Int32, stderr: Int32
    ) throws(SandboxError) -> pid_t {
        let argv = [spec.executable] + spec.arguments
        let envp = spec.environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        var pid: pid_t = 0
        let result = CStrings.with(argv) { argvPointers in
            CStrings.with(envp) { envPointers in
                swiftlet_spawn(
                    spec.executable, argvPointers, envPointers, spec.workingDirectory, stdin, stdout, stderr, &pid)
            }
        }
        guard result == 0 else {
            throw SandboxError(step: "spawn \(spec.executable)", errno: result)
        }
        return pid
    }

    private static func makePipe() throws(SandboxError) -> (read: Int32, write: Int32) {
        var descriptors: [Int32] = [0, 0]
        // Close-on-exec from the start, so that a spawn on another thread never inherits these.
        guard swiftlet_pipe_cloexec(&descriptors) == 0 else {
            throw SandboxError(step: "pipe2", errno: errno)
        }
        _ = swiftlet_set_nonblocking(descriptors[0])
        return (descriptors[0], descriptors[1])
    }

    private static func closeAll(_ descriptors: Int32...) {
        for descriptor in descriptors where descriptor >= 0 {
            close(descriptor)
        }
    }
}

/// NUL-terminated C string arrays for argv and envp.
enum CStrings {
    static func with<R>(
        _ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R
    ) -> R {
        var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
        pointers.append(nil)
        defer { for pointer in pointers { free(pointer) } }
        return pointers.withUnsafeBufferPointer { buffer in
            // Never empty: the array holds at least its nil terminator.
            guard let base = buffer.baseAddress else { preconditionFailure("a C string array without its terminator") }
            return body(base)
        }
    }
}
