import CSystem

#if canImport(Glibc)
    import Glibc
#endif

/// Outbound networking for one environment: slirp4netns, a user-mode TCP/IP stack from
/// Debian, attached to the environment's network namespace as `tap0` (10.0.2.100/24,
/// gateway 10.0.2.2, DNS 10.0.2.3) before the runtime starts.
///
/// Traffic leaves through ordinary sockets of the slirp4netns process on the host, so the
/// environment reaches what the host reaches, except the host's loopback: 10.0.2.2 does not
/// lead to 127.0.0.1 (`--disable-host-loopback`), and the environment's own 127.0.0.1 is its
/// own. slirp4netns runs in its own sandbox and seccomp filter, and exits when the
/// environment is released (its exit descriptor closes).
struct OutboundNetwork: Sendable {
    static let executable = "/usr/bin/slirp4netns"
    /// How long the stack may take to configure `tap0` before the launch fails.
    static let readyTimeoutMilliseconds: Int32 = 3000

    let pid: pid_t
    /// Closing it tells slirp4netns to exit.
    let exitDescriptor: Int32

    /// Whether this host has slirp4netns.
    static var isAvailable: Bool { access(executable, X_OK) == 0 }

    /// Starts slirp4netns on the namespace `netns` and waits until `tap0` is configured.
    static func attach(netns: Int32) throws(SandboxError) -> OutboundNetwork {
        let ready = try pipePair(step: "pipe for slirp4netns --ready-fd")
        defer { close(ready.read) }
        let exit: (read: Int32, write: Int32)
        do {
            exit = try pipePair(step: "pipe for slirp4netns --exit-fd")
        } catch {
            close(ready.write)
            throw error
        }
        // Descriptors arrive in the child as 3 (namespace), 4 (ready), 5 (exit).
        let arguments = [
            executable, "--configure", "--mtu=65520", "--disable-host-loopback", "--enable-sandbox",
            "--enable-seccomp", "--ready-fd=4", "--exit-fd=5", "--netns-type=path", "/proc/self/fd/3", "tap0",
        ]
        let null = open("/dev/null", O_RDWR | O_CLOEXEC)
        var pid: pid_t = 0
        let result = CStrings.with(arguments) { argv in
            CStrings.with([]) { envp in
                [netns, ready.write, exit.read].withUnsafeBufferPointer { fds in
                    swiftlet_spawn_passing(executable, argv, envp, fds.baseAddress, Int32(fds.count), null, &pid)
                }
            }
        }
        close(null)
        close(ready.write)
        close(exit.read)
        guard result == 0 else {
            close(exit.write)
            throw SandboxError(step: "spawn \(executable)", errno: result)
        }
        let network = OutboundNetwork(pid: pid, exitDescriptor: exit.write)
        guard waitForReady(ready.read) else {
            network.detach()
            throw SandboxError(step: "slirp4netns configuring tap0", errno: ETIMEDOUT)
        }
        return network
    }

    /// Stops slirp4netns and reaps it. Blocks briefly: call off the event loop.
    func detach() {
        close(exitDescriptor)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
    }

    private static func waitForReady(_ descriptor: Int32) -> Bool {
        var poll = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard Glibc.poll(&poll, 1, readyTimeoutMilliseconds) == 1 else { return false }
        var byte: UInt8 = 0
        return read(descriptor, &byte, 1) == 1
    }

    private static func pipePair(step: String) throws(SandboxError) -> (read: Int32, write: Int32) {
        var descriptors: [Int32] = [0, 0]
        // Close-on-exec from the start: stem cells are launched on a thread of their own, so
        // a spawn on another thread must never inherit these.
        guard swiftlet_pipe_cloexec(&descriptors) == 0 else { throw SandboxError(step: step, errno: errno) }
        return (descriptors[0], descriptors[1])
    }
}

/// What the server checks before offering outbound networking.
public enum OutboundNetworkSupport {
    /// Whether this host has slirp4netns.
    public static var isAvailable: Bool { OutboundNetwork.isAvailable }
}
