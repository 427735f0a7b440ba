/// What bubblewrap needs besides the specs: how the host's top-level system
/// directories look, and the descriptors handed to it.
public struct BubblewrapInputs: Sendable, Equatable {
    /// A top-level host path (`/bin`, `/lib`, ...) and what it is.
    public enum HostEntry: Sendable, Equatable {
        case directory
        /// A symbolic link, re-created as the same link (merged-/usr hosts).
        case symlink(target: String)
        case missing
    }

    /// `/bin`, `/lib`, `/lib64` and `/sbin` on this host.
    public var topLevel: [String: HostEntry]
    /// Where bubblewrap finds the code directory, the runtime directory, the
    /// merged layers and each extra bind (in `SandboxSpec.extraReadOnly`'s order). These are
    /// staging paths the launcher bind-mounts the host trees on, because the
    /// unprivileged user need not be able to walk the host paths (a data
    /// directory is usually 0700).
    public var codeSource: String
    public var runtimeSource: String?
    public var layersSource: String?
    public var extraSources: [String]
    /// A mounted, size-limited disk filesystem for `/tmp`; nil for a tmpfs.
    public var tmpSource: String?
    /// A descriptor bubblewrap reads the compiled seccomp filter from.
    public var seccompDescriptor: Int32?

    public init(
        topLevel: [String: HostEntry], codeSource: String, runtimeSource: String?, layersSource: String? = nil,
        extraSources: [String], tmpSource: String? = nil, seccompDescriptor: Int32?
    ) {
        self.tmpSource = tmpSource
        self.topLevel = topLevel
        self.codeSource = codeSource
        self.runtimeSource = runtimeSource
        self.layersSource = layersSource
        self.extraSources = extraSources
        self.seccompDescriptor = seccompDescriptor
    }
}

/// Turns an environment's specs into bubblewrap's command line: setup as data,
/// which bubblewrap then performs in order.
public enum BubblewrapArguments {
    /// Host system directories shown read-only (or re-linked) at the same path.
    static let systemDirectories = ["/bin", "/lib", "/lib64", "/sbin"]

    /// The parts of the host's /etc a runtime needs; nothing with secrets.
    /// Kept short: each is two mounts, and bubblewrap rereads the mount table
    /// for every one.
    static let etcFiles = [
        "/etc/ld.so.cache", "/etc/alternatives", "/etc/localtime", "/etc/nsswitch.conf", "/etc/hosts",
        "/etc/resolv.conf", "/etc/protocols", "/etc/services", "/etc/ssl",
    ]

    /// bubblewrap's arguments (without the program name) to run `launch` as `sandbox` says.
    public static func make(launch: LaunchSpec, sandbox: SandboxSpec, inputs: BubblewrapInputs) -> [String] {
        var arguments: [String] = []
        // Namespaces. The network namespace is made (or deliberately shared)
        // before bubblewrap starts, so it is never unshared here.
        arguments += ["--unshare-user", "--unshare-ipc", "--unshare-pid", "--unshare-uts", "--unshare-cgroup-try"]
        arguments += ["--disable-userns", "--uid", String(sandbox.uid), "--gid", String(sandbox.gid)]
        arguments += ["--hostname", "localhost", "--die-with-parent", "--new-session"]

        // A root of nothing but what is named below, the host system read-only.
        arguments += ["--ro-bind", "/usr", "/usr"]
        for path in systemDirectories {
            switch inputs.topLevel[path] ?? .missing {
            case .directory: arguments += ["--ro-bind", path, path]
            case .symlink(let target): arguments += ["--symlink", target, path]
            case .missing: break
            }
        }
        for path in etcFiles {
            arguments += ["--ro-bind-try", path, path]
        }
        arguments += ["--proc", "/proc", "--dev", "/dev"]
        if let source = inputs.tmpSource {
            // The only writable bind: a filesystem of EphemeralStorage size on disk.
            arguments += ["--bind", source, "/tmp"]
        } else {
            arguments += ["--size", String(sandbox.ephemeralStorageMegabytes * 1_048_576), "--tmpfs", "/tmp"]
        }

        // The function's own trees, read-only.
        arguments += ["--ro-bind", inputs.codeSource, SandboxSpec.taskRoot]
        if let source = inputs.runtimeSource {
            arguments += ["--ro-bind", source, SandboxSpec.runtimeRoot]
        }
        if let source = inputs.layersSource {
            arguments += ["--ro-bind", source, SandboxSpec.layersRoot]
        }
        for (bind, source) in zip(sandbox.extraReadOnly, inputs.extraSources) {
            arguments += ["--ro-bind", source, bind.destination]
        }

        arguments += ["--chdir", launch.workingDirectory]
        if let descriptor = inputs.seccompDescriptor {
            // Loaded last, just before the runtime is executed.
            arguments += ["--seccomp", String(descriptor)]
        }
        arguments += ["--", launch.executable]
        arguments += launch.arguments
        return arguments
    }
}
