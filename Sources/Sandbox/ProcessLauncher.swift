import CSystem

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

    public init(executable: String, arguments: [String], environment: [String: String], workingDirectory: String) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
    }
}

/// A started environment process, the leader of its own process group.
public struct LaunchedProcess: Sendable {
    public let pid: pid_t
    /// Becomes readable when the process exits (pidfd).
    public let exitDescriptor: Int32
    /// The read ends of the process's stdout and stderr, non-blocking.
    public let outputDescriptors: [Int32]
}

/// Starts environment processes.
///
/// This launcher runs the runtime as a plain child in its own session;
/// namespaces, cgroups and seccomp arrive with the isolation work and slot in
/// behind the same `launch` call.
public enum ProcessLauncher {
    /// Starts `spec`; on failure nothing is left open or running.
    public static func launch(_ spec: LaunchSpec) throws(SandboxError) -> LaunchedProcess {
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
        return LaunchedProcess(pid: pid, exitDescriptor: exitDescriptor, outputDescriptors: [stdout.read, stderr.read])
    }

    /// Kills the whole process group of an environment.
    public static func kill(_ process: LaunchedProcess) {
        Glibc.kill(-process.pid, SIGKILL)
    }

    /// Reaps an exited process; returns its wait status, or nil if still running.
    public static func reap(_ process: LaunchedProcess) -> Int32? {
        var status: Int32 = 0
        let result = waitpid(process.pid, &status, WNOHANG)
        return result == process.pid ? status : nil
    }

    private static func spawn(
        _ spec: LaunchSpec, stdin: Int32, stdout: Int32, stderr: Int32
    ) throws(SandboxError) -> pid_t {
        let argv = [spec.executable] + spec.arguments
        let envp = spec.environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        var pid: pid_t = 0
        let result = withCStrings(argv) { argvPointers in
            withCStrings(envp) { envPointers in
                swiftlet_spawn(spec.executable, argvPointers, envPointers, spec.workingDirectory, stdin, stdout, stderr, &pid)
            }
        }
        guard result == 0 else {
            throw SandboxError(step: "spawn \(spec.executable)", errno: result)
        }
        return pid
    }

    private static func makePipe() throws(SandboxError) -> (read: Int32, write: Int32) {
        var descriptors: [Int32] = [0, 0]
        guard pipe(&descriptors) == 0 else {
            throw SandboxError(step: "pipe2", errno: errno)
        }
        // Not atomic with pipe(2): environments are spawned only on the event
        // loop thread, so no other spawn can inherit these in between.
        _ = swiftlet_set_cloexec(descriptors[0])
        _ = swiftlet_set_cloexec(descriptors[1])
        _ = swiftlet_set_nonblocking(descriptors[0])
        return (descriptors[0], descriptors[1])
    }

    private static func closeAll(_ descriptors: Int32...) {
        for descriptor in descriptors where descriptor >= 0 {
            close(descriptor)
        }
    }

    private static func withCStrings<R>(
        _ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R
    ) -> R {
        var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
        pointers.append(nil)
        defer { pointers.forEach { free($0) } }
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}
