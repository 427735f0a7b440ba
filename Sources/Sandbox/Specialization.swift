import CSandbox

#if canImport(Glibc)
    import Glibc
#endif

/// Turning a running stem cell (a sandbox started with empty placeholders at `/var/task` and
/// `/opt`) into a function's environment: its trees are mounted in from the host, its cgroup
/// takes on the function's MemorySize. The runtime client inside learns the rest over the
/// Runtime API.
extension ProcessLauncher {
    /// Shows each host directory `source` read-only at its `path` (absolute, inside the
    /// sandbox) in the running sandbox of `process`, over whatever was mounted there; at most
    /// four trees, attached in order by one thread that joins the sandbox's mount namespace.
    public static func mount(
        _ trees: [(source: String, path: String)], in process: LaunchedProcess
    ) throws(SandboxError) {
        guard process.cgroup != nil else {
            throw SandboxError(step: "mount into a process without a sandbox", errno: EINVAL)
        }
        let inside = try sandboxedChild(of: process.pid)
        let relative = trees.map { String($0.path.drop { $0 == "/" }) }
        var step: UnsafePointer<CChar>?
        let result = CStrings.with(trees.map(\.source)) { sources in
            CStrings.with(relative) { targets in
                swiftlet_mount_into(
                    process.pid, inside, UnsafeRawPointer(sources).assumingMemoryBound(to: UnsafePointer<CChar>?.self),
                    UnsafeRawPointer(targets).assumingMemoryBound(to: UnsafePointer<CChar>?.self),
                    Int32(trees.count), &step)
            }
        }
        guard result == 0 else {
            let what = step.map { String(cString: $0) } ?? "mount"
            let listed = trees.map { "\($0.source) at \($0.path)" }.joined(separator: ", ")
            throw SandboxError(step: "\(what) of \(listed)", errno: result)
        }
    }

    /// Gives a running sandbox the memory limit and CPU share of `memoryMegabytes`.
    public static func resize(_ process: LaunchedProcess, memoryMegabytes: Int) throws(SandboxError) {
        guard let cgroup = process.cgroup else { return }
        // The pids limit is not part of a resize, so its value here is never written.
        try cgroup.resize(to: CgroupLimits(memoryMegabytes: memoryMegabytes, pids: 0))
    }

    /// bubblewrap's first child: it made the sandbox's mount namespace and root, which the
    /// outer bubblewrap process (the launched pid) stays outside of.
    static func sandboxedChild(of pid: pid_t) throws(SandboxError) -> pid_t {
        let path = "/proc/\(pid)/task/\(pid)/children"
        guard let text = Kernel.read(path), let first = text.split(separator: " ").first, let child = pid_t(first)
        else { throw SandboxError(step: "find the sandbox's process in \(path)", errno: ESRCH) }
        return child
    }
}
