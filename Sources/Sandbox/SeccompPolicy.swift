import CSandbox
import CSeccomp

#if canImport(Glibc)
    import Glibc
#endif

/// One seccomp rule: a system call, the errno it fails with, and the argument
/// conditions (all must hold) under which it is denied.
public struct SeccompRule: Sendable, Equatable {
    /// A comparison of one system-call argument.
    public struct Condition: Sendable, Equatable {
        public enum Comparison: Sendable, Equatable {
            /// `(argument & mask) == value`.
            case maskedEqual(mask: UInt64, value: UInt64)
            case greaterOrEqual(UInt64)
        }

        public var argument: UInt32
        public var comparison: Comparison
    }

    public var syscall: String
    public var errno: Int32
    public var conditions: [Condition]

    public init(_ syscall: String, errno: Int32 = EPERM, conditions: [Condition] = []) {
        self.syscall = syscall
        self.errno = errno
        self.conditions = conditions
    }
}

/// The system calls no function may make, as data; everything else is allowed.
public enum SeccompPolicy {
    /// Calls denied outright with EPERM: mounting, namespaces, root changes,
    /// kernel keyrings, BPF, perf, tracing, io_uring, userfaultfd, kexec and
    /// kernel modules, and a few more that only escapes need.
    public static let deniedCalls = [
        "mount", "umount2", "fsopen", "fsconfig", "fsmount", "fspick", "move_mount", "open_tree",
        "mount_setattr", "unshare", "setns", "pivot_root", "chroot", "keyctl", "add_key", "request_key",
        "bpf", "perf_event_open", "ptrace", "process_vm_readv", "process_vm_writev", "io_uring_setup",
        "io_uring_enter", "io_uring_register", "userfaultfd", "kexec_load", "kexec_file_load", "init_module",
        "finit_module", "delete_module", "open_by_handle_at", "name_to_handle_at", "acct", "swapon", "swapoff",
        "reboot", "syslog", "quotactl", "quotactl_fd",
    ]

    /// clone(2) flags that would make a namespace.
    public static let namespaceFlags: [UInt64] = [
        0x0002_0000,  // CLONE_NEWNS
        0x0200_0000,  // CLONE_NEWCGROUP
        0x0400_0000,  // CLONE_NEWUTS
        0x0800_0000,  // CLONE_NEWIPC
        0x1000_0000,  // CLONE_NEWUSER
        0x2000_0000,  // CLONE_NEWPID
        0x4000_0000,  // CLONE_NEWNET
    ]

    /// Terminal ioctls that inject input or reach the console.
    public static let deniedIoctls: [UInt64] = [0x5412, 0x541C]  // TIOCSTI, TIOCLINUX

    /// Socket families a function may open: unix, inet, inet6, netlink.
    public static let allowedFamilies: Set<UInt64> = [1, 2, 10, 16]
    /// AF_MAX on current kernels; anything at or above it is refused too.
    public static let familyLimit: UInt64 = 46

    /// The whole policy as rules.
    public static var rules: [SeccompRule] {
        var rules = deniedCalls.map { SeccompRule($0) }
        // glibc tries clone3 first and falls back to clone on ENOSYS; clone3's
        // flags live in memory a filter cannot read, so it is refused whole.
        rules.append(SeccompRule("clone3", errno: ENOSYS))
        for flag in namespaceFlags {
            rules.append(
                SeccompRule(
                    "clone",
                    conditions: [
                        .init(argument: 0, comparison: .maskedEqual(mask: flag, value: flag))
                    ]))
        }
        // The command is an unsigned int: compare only the low 32 bits, so
        // garbage in the upper half cannot slip past.
        for request in deniedIoctls {
            rules.append(
                SeccompRule(
                    "ioctl",
                    conditions: [
                        .init(argument: 1, comparison: .maskedEqual(mask: 0xFFFF_FFFF, value: request))
                    ]))
        }
        for family in 0..<familyLimit where !allowedFamilies.contains(family) {
            rules.append(
                SeccompRule(
                    "socket", errno: EAFNOSUPPORT,
                    conditions: [
                        .init(argument: 0, comparison: .maskedEqual(mask: 0xFFFF_FFFF, value: family))
                    ]))
        }
        rules.append(
            SeccompRule(
                "socket", errno: EAFNOSUPPORT,
                conditions: [
                    .init(argument: 0, comparison: .greaterOrEqual(familyLimit))
                ]))
        return rules
    }
}

/// A seccomp policy compiled by libseccomp to a classic BPF program for this
/// machine's architecture, ready for `bwrap --seccomp`.
public struct SeccompFilter: Sendable {
    /// The program: `sock_filter` instructions, 8 bytes each.
    public let program: [UInt8]
    /// Rules whose system call this libseccomp does not know (left out).
    public let unknownCalls: [String]

    /// Compiles `rules` on top of "allow everything else".
    public static func compile(_ rules: [SeccompRule]) throws(SandboxError) -> SeccompFilter {
        guard let context = seccomp_init(allowAction) else {
            throw SandboxError(step: "seccomp_init", errno: ENOMEM)
        }
        defer { seccomp_release(context) }
        var unknown: [String] = []
        for rule in rules {
            let number = seccomp_syscall_resolve_name(rule.syscall)
            guard number >= 0 else {
                unknown.append(rule.syscall)
                continue
            }
            var comparisons = rule.conditions.map(Self.comparison)
            let result = seccomp_rule_add_array(
                context, errnoAction(rule.errno), number, UInt32(comparisons.count), &comparisons)
            guard result == 0 else {
                throw SandboxError(step: "seccomp_rule_add \(rule.syscall)", errno: -result)
            }
        }
        return SeccompFilter(program: try export(context), unknownCalls: unknown)
    }

    /// The default policy, compiled once per process.
    public static let standard: Result<SeccompFilter, SandboxError> = Result { () throws(SandboxError) in
        try compile(SeccompPolicy.rules)
    }

    private static let allowAction: UInt32 = 0x7FFF_0000  // SCMP_ACT_ALLOW

    private static func errnoAction(_ code: Int32) -> UInt32 {
        0x0005_0000 | (UInt32(code) & 0xFFFF)  // SCMP_ACT_ERRNO(code)
    }

    private static func comparison(_ condition: SeccompRule.Condition) -> scmp_arg_cmp {
        switch condition.comparison {
        case .maskedEqual(let mask, let value):
            scmp_arg_cmp(arg: condition.argument, op: SCMP_CMP_MASKED_EQ, datum_a: mask, datum_b: value)
        case .greaterOrEqual(let value):
            scmp_arg_cmp(arg: condition.argument, op: SCMP_CMP_GE, datum_a: value, datum_b: 0)
        }
    }

    private static func export(_ context: scmp_filter_ctx) throws(SandboxError) -> [UInt8] {
        let descriptor = swiftlet_memfd("seccomp")
        guard descriptor >= 0 else { throw SandboxError(step: "memfd_create", errno: errno) }
        defer { close(descriptor) }
        let result = seccomp_export_bpf(context, descriptor)
        guard result == 0 else { throw SandboxError(step: "seccomp_export_bpf", errno: -result) }
        let size = lseek(descriptor, 0, SEEK_END)
        var program = [UInt8](repeating: 0, count: Int(size))
        let count = program.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        guard count == Int(size) else { throw SandboxError(step: "read exported filter", errno: errno) }
        return program
    }
}
