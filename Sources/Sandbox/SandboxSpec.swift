/// How one execution environment is isolated: what it sees, what it may use.
///
/// Paths inside the sandbox follow AWS Lambda's layout: code at `/var/task`,
/// the runtime client at `/var/runtime`, the function's merged layers at `/opt`,
/// a private `/tmp`.
public struct SandboxSpec: Sendable, Equatable {
    /// The function's unpacked code on the host, shown read-only at `/var/task`.
    public var codeDirectory: String
    /// The runtime client's directory on the host, shown read-only at
    /// `/var/runtime`; nil for custom runtimes, whose bootstrap is in the code.
    public var runtimeDirectory: String?
    /// The function's layers merged into one tree on the host, shown read-only
    /// at `/opt`; nil for a function without layers (there is no `/opt` then).
    public var layersDirectory: String?
    /// Host directories shown read-only at a path of their own, trusted by the
    /// operator (`swiftlet serve --sandbox-bind`).
    public var extraReadOnly: [ReadOnlyBind]
    /// The cgroup's memory limit; swap is not allowed.
    public var memoryMegabytes: Int
    /// The size of the private `/tmp`.
    public var ephemeralStorageMegabytes: Int
    /// Where disk images for `/tmp` are made (root-only, on disk); nil makes
    /// `/tmp` a size-limited tmpfs, which counts against the memory limit.
    public var scratchDirectory: String?
    /// Processes and threads the environment may have at once.
    public var pidsLimit: Int
    /// The port the Runtime API listens on inside the environment's own network
    /// namespace; nil shares the server's network (no network isolation).
    public var runtimeAPIPort: Int?
    /// A second port listening inside the namespace, where the server answers the AWS APIs
    /// (`AWS_ENDPOINT_URL`), so a function reaches Swiftlet without reaching the host's loopback.
    public var awsEndpointPort: Int?
    /// Outbound traffic to other networks through slirp4netns; without it the namespace has
    /// only its loopback.
    public var outboundNetwork: Bool
    /// The unprivileged user and group the runtime runs as, on the host too.
    public var uid: UInt32
    public var gid: UInt32

    public init(
        codeDirectory: String, runtimeDirectory: String?, layersDirectory: String? = nil,
        extraReadOnly: [ReadOnlyBind] = [], memoryMegabytes: Int, ephemeralStorageMegabytes: Int,
        scratchDirectory: String? = nil, pidsLimit: Int = 1024,
        runtimeAPIPort: Int? = SandboxSpec.runtimeAPIPort, awsEndpointPort: Int? = nil,
        outboundNetwork: Bool = false, uid: UInt32 = SandboxSpec.sandboxUser, gid: UInt32 = SandboxSpec.sandboxUser
    ) {
        self.codeDirectory = codeDirectory
        self.runtimeDirectory = runtimeDirectory
        self.layersDirectory = layersDirectory
        self.extraReadOnly = extraReadOnly
        self.memoryMegabytes = memoryMegabytes
        self.ephemeralStorageMegabytes = ephemeralStorageMegabytes
        self.scratchDirectory = scratchDirectory
        self.pidsLimit = pidsLimit
        self.runtimeAPIPort = runtimeAPIPort
        self.awsEndpointPort = awsEndpointPort
        self.outboundNetwork = outboundNetwork
        self.uid = uid
        self.gid = gid
    }

    /// Where the code is inside (LAMBDA_TASK_ROOT).
    public static let taskRoot = "/var/task"
    /// Where the runtime client is inside (LAMBDA_RUNTIME_DIR).
    public static let runtimeRoot = "/var/runtime"
    /// Where the merged layers are inside, as on AWS.
    public static let layersRoot = "/opt"
    /// Where the AWS APIs are answered inside an environment that asks for them.
    public static let awsEndpointPort = 9002
    /// The Runtime API's address inside, as on AWS.
    public static let runtimeAPIPort = 9001
    /// The host uid and gid sandboxes run as; no host account needs to exist.
    public static let sandboxUser: UInt32 = 990

    /// The host file a path inside the sandbox refers to, for checking an entry
    /// point before starting; nil when the path is not one of the bound trees.
    public func hostPath(of sandboxPath: String) -> String? {
        if let rest = Self.suffix(of: sandboxPath, under: Self.taskRoot) {
            return codeDirectory + rest
        }
        if let runtimeDirectory, let rest = Self.suffix(of: sandboxPath, under: Self.runtimeRoot) {
            return runtimeDirectory + rest
        }
        if let layersDirectory, let rest = Self.suffix(of: sandboxPath, under: Self.layersRoot) {
            return layersDirectory + rest
        }
        for bind in extraReadOnly {
            if let rest = Self.suffix(of: sandboxPath, under: bind.destination) {
                return bind.source + rest
            }
        }
        return nil
    }

    private static func suffix(of path: String, under root: String) -> String? {
        guard path == root || path.hasPrefix(root + "/") else { return nil }
        return String(path.dropFirst(root.count))
    }
}

/// A host directory shown read-only inside every sandbox.
public struct ReadOnlyBind: Sendable, Equatable {
    public var source: String
    public var destination: String

    public init(source: String, destination: String) {
        self.source = source
        self.destination = destination
    }

    /// Parses `HOST[:SANDBOX]`; both must be absolute. The destination defaults to the source.
    public init?(parsing text: String) {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        guard let source = parts.first, source.hasPrefix("/") else { return nil }
        let destination = parts.count == 2 ? parts[1] : source
        guard destination.hasPrefix("/"), !destination.split(separator: "/").contains("..") else { return nil }
        self.init(source: source, destination: destination)
    }
}
