import Glibc
import Testing

@testable import Sandbox

@Suite struct SeccompPolicyTests {
    let rules = SeccompPolicy.rules

    @Test(arguments: [
        "mount", "umount2", "fsopen", "fsmount", "move_mount", "open_tree", "unshare", "setns", "pivot_root",
        "chroot", "keyctl", "add_key", "request_key", "bpf", "perf_event_open", "ptrace", "io_uring_setup",
        "io_uring_enter", "io_uring_register", "userfaultfd", "kexec_load", "kexec_file_load", "init_module",
        "finit_module", "delete_module",
    ])
    func dangerousCallsAreDeniedOutright(name: String) {
        #expect(rules.contains { $0.syscall == name && $0.conditions.isEmpty && $0.errno == EPERM })
    }

    @Test func clone3FailsWithENOSYSSoGlibcFallsBackToClone() {
        #expect(rules.contains { $0.syscall == "clone3" && $0.errno == ENOSYS && $0.conditions.isEmpty })
    }

    @Test func cloneIsDeniedOnlyWithANamespaceFlag() {
        let clone = rules.filter { $0.syscall == "clone" }
        #expect(clone.count == SeccompPolicy.namespaceFlags.count)
        #expect(clone.allSatisfy { !$0.conditions.isEmpty })
        // CLONE_NEWUSER and CLONE_NEWNET among them; CLONE_THREAD (threads) is not.
        let flags = clone.compactMap { rule -> UInt64? in
            if case .maskedEqual(_, let value) = rule.conditions[0].comparison { return value }
            return nil
        }
        #expect(flags.contains(0x1000_0000))
        #expect(flags.contains(0x4000_0000))
        #expect(!flags.contains(0x0001_0000))
    }

    @Test(arguments: [UInt64(0x5412), 0x541C])
    func terminalInjectionIoctlsCompareTheLow32BitsOnly(request: UInt64) {
        let condition = SeccompRule.Condition(
            argument: 1, comparison: .maskedEqual(mask: 0xFFFF_FFFF, value: request))
        #expect(rules.contains { $0.syscall == "ioctl" && $0.conditions == [condition] })
    }

    @Test func onlyUnixInetInet6AndNetlinkSocketsAreAllowed() {
        let denied = Set(
            rules.filter { $0.syscall == "socket" }.compactMap { rule -> UInt64? in
                if case .maskedEqual(_, let family) = rule.conditions[0].comparison { return family }
                return nil
            })
        for family: UInt64 in [1, 2, 10, 16] {
            #expect(!denied.contains(family))
        }
        for family: UInt64 in [0, 3, 4, 5, 17, 40, 45] {  // AF_AX25, AF_IPX, AF_PACKET, AF_VSOCK, ...
            #expect(denied.contains(family))
        }
        #expect(
            rules.contains {
                $0.syscall == "socket" && $0.errno == EAFNOSUPPORT
                    && $0.conditions.first?.comparison == .greaterOrEqual(46)
            })
    }

    @Test func thePolicyCompilesToABPFProgram() throws {
        let filter = try SeccompFilter.compile(rules)
        #expect(filter.program.count % 8 == 0)
        #expect(filter.program.count / 8 > rules.count)
        #expect(filter.unknownCalls.isEmpty, "libseccomp knows every call: \(filter.unknownCalls)")
    }

    @Test func unknownCallsAreReportedNotFatal() throws {
        let filter = try SeccompFilter.compile([SeccompRule("no_such_call_anywhere"), SeccompRule("mount")])
        #expect(filter.unknownCalls == ["no_such_call_anywhere"])
        #expect(!filter.program.isEmpty)
    }
}

@Suite struct CgroupTests {
    @Test(arguments: [(128, 74, 7), (1769, 1024, 100), (3538, 2048, 200), (10_240, 5927, 578)])
    func cpuGrowsWithMemory(memory: Int, shares: Int, weight: Int) {
        let limits = CgroupLimits(memoryMegabytes: memory, pids: 1024)
        #expect(limits.cpuShares == shares)
        #expect(limits.cpuWeight == weight)
        #expect(limits.memoryBytes == memory * 1_048_576)
    }

    @Test func v1WritesTheMemoryLimitBeforeMemoryPlusSwap() {
        let files = CgroupLimits(memoryMegabytes: 128, pids: 64).settings(for: .v1(memory: "/m", pids: "/p", cpu: "/c"))
            .map(\.file)
        let memory = try! #require(files.firstIndex(of: "memory.limit_in_bytes"))
        let swap = try! #require(files.firstIndex(of: "memory.memsw.limit_in_bytes"))
        #expect(memory < swap)
        #expect(files.contains("pids.max"))
    }

    @Test func v2ForbidsSwapAndKillsTheWholeGroupOnOOM() {
        let settings = CgroupLimits(memoryMegabytes: 128, pids: 64).settings(for: .v2("/g"))
        #expect(settings.contains { $0.file == "memory.swap.max" && $0.value == "0" })
        #expect(settings.contains { $0.file == "memory.oom.group" && $0.value == "1" })
        #expect(settings.contains { $0.file == "memory.max" && $0.value == String(128 * 1_048_576) })
    }

    @Test func membershipParsesV1AndV2Lines() {
        let paths = CgroupHierarchy.parse("4:memory:/process_api/x\n1:cpu,cpuacct:/\n0::/user.slice/a\n")
        #expect(paths["memory"] == "/process_api/x")
        #expect(paths["cpuacct"] == "/")
        #expect(paths[""] == "/user.slice/a")
    }

    @Test func oomKillsAreCountedFromEitherFile() {
        #expect(EnvironmentCgroup.counter("oom_kill", in: "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n") == 2)
        #expect(EnvironmentCgroup.counter("oom_kill", in: "low 0\nhigh 0\nmax 3\noom 1\noom_kill 0\n") == 0)
    }
}
