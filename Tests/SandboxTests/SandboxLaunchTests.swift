import CSandbox
import Foundation
import Testing

@testable import Sandbox

/// Starts real sandboxes: needs root, bubblewrap and a writable cgroup hierarchy.
let canSandbox =
    getuid() == 0 && access(SandboxLauncher.bubblewrapPath, X_OK) == 0
    && SandboxLauncher.hierarchy != nil

@Suite(.enabled(if: canSandbox, "needs root, /usr/bin/bwrap and a writable cgroup hierarchy"))
final class SandboxLaunchTests {
    let parent: String
    let codeDirectory: String
    let scratchDirectory: String

    init() throws {
        parent = NSTemporaryDirectory() + "swiftlet-sandbox-test-\(UUID().uuidString)"
        codeDirectory = parent + "/code"
        scratchDirectory = parent + "/scratch"
        try FileManager.default.createDirectory(atPath: codeDirectory, withIntermediateDirectories: true)
        // A 0700 parent, as a real data directory often has: staging must still reach the code.
        chmod(parent, 0o700)
        let bootstrap = """
            #!/bin/sh
            echo "uid=$(id -u) root=$LAMBDA_TASK_ROOT"
            echo "tmp=$(grep ' /tmp ' /proc/mounts)"
            ls /
            exit 3

            """
        try bootstrap.write(toFile: codeDirectory + "/bootstrap", atomically: true, encoding: .utf8)
        chmod(codeDirectory + "/bootstrap", 0o755)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: parent)
    }

    func spec(_ executable: String = "/var/task/bootstrap") -> LaunchSpec {
        LaunchSpec(
            executable: executable, arguments: [],
            environment: ["LAMBDA_TASK_ROOT": "/var/task", "PATH": "/usr/bin:/bin"], workingDirectory: "/var/task",
            sandbox: SandboxSpec(
                codeDirectory: codeDirectory, runtimeDirectory: nil, memoryMegabytes: 128,
                ephemeralStorageMegabytes: 512, scratchDirectory: scratchDirectory))
    }

    @Test func theRuntimeRunsUnprivilegedInAMinimalRoot() throws {
        let process = try ProcessLauncher.launch(spec())
        defer { TestProcess.cleanUp(process) }
        let (status, output) = TestProcess.finish(process)
        #expect((status >> 8) & 0xFF == 3)
        #expect(output.contains("uid=990 root=/var/task"))
        #expect(output.contains("tmp=/dev/loop"), "/tmp is a disk image: \(output)")
        #expect(!output.contains("root\n"), "the host's /root is not in the sandbox")
        #expect(!output.contains("home\n"))
        #expect(process.runtimeAPIListener != nil)
    }

    @Test func aMissingEntryPointFailsBeforeAnythingIsBuilt() {
        #expect(throws: SandboxError.self) { try ProcessLauncher.launch(spec("/var/task/nothing-here")) }
        do {
            _ = try ProcessLauncher.launch(spec("/var/task/nothing-here"))
        } catch {
            #expect(error.errno == ENOENT)
        }
    }

    @Test func releaseRemovesTheCgroup() throws {
        let process = try ProcessLauncher.launch(spec())
        _ = TestProcess.finish(process)
        let directories = try #require(process.cgroup).directories.map(\.path)
        #expect(directories.allSatisfy { FileManager.default.fileExists(atPath: $0) })
        TestProcess.cleanUp(process)
        ProcessLauncher.waitForReleases()
        #expect(directories.allSatisfy { !FileManager.default.fileExists(atPath: $0) })
    }

    /// Teardown must leave nothing behind, however often it runs: no process, no
    /// cgroup, no loop device holding a /tmp image. SWIFTLET_SANDBOX_CYCLES sets the
    /// count (default 1,000).
    @Test func manyCreateDestroyCyclesLeaveNothingBehind() throws {
        let cycles = Int(ProcessInfo.processInfo.environment["SWIFTLET_SANDBOX_CYCLES"] ?? "") ?? 1000
        var pids: [pid_t] = []
        var cgroups: [String] = []
        for _ in 0..<cycles {
            let process = try ProcessLauncher.launch(spec())
            pids.append(process.pid)
            cgroups += process.cgroup?.directories.map(\.path) ?? []
            _ = TestProcess.finish(process)
            TestProcess.cleanUp(process)
        }
        ProcessLauncher.waitForReleases()
        #expect(cgroups.count >= cycles)
        #expect(cgroups.filter { FileManager.default.fileExists(atPath: $0) } == [])
        #expect(pids.filter { kill($0, 0) == 0 } == [])
        // The pool keeps `spares` formatted images attached for the next launches;
        // every image a finished environment used must be gone.
        let loops = try shell("/sbin/losetup", "-a")
        let attached = loops.split(separator: "\n").filter { $0.contains(scratchDirectory) }
        #expect(attached.count <= 2, "more /tmp images attached than the pool's spares:\n\(loops)")
    }

    /// A server killed while its environment was frozen leaves a frozen process in a
    /// cgroup named after a dead pid; the start-up sweep must thaw, kill and remove it.
    @Test func theStartUpSweepClearsAFrozenEnvironmentOfADeadServer() throws {
        let hierarchy = try #require(SandboxLauncher.hierarchy)
        guard case .v1(_, _, _, let freezer?) = hierarchy else { return }  // v1 with a freezer, as here
        let gone = Process()
        gone.executableURL = URL(fileURLWithPath: "/bin/true")
        try gone.run()
        gone.waitUntilExit()
        let name = "env-\(gone.processIdentifier)-1"
        let directories = hierarchy.bases.map { $0 + "/" + name }
        for directory in directories {
            try Kernel.makeDirectory(directory)
        }
        let sleeper = Process()
        sleeper.executableURL = URL(fileURLWithPath: "/bin/sleep")
        sleeper.arguments = ["600"]
        try sleeper.run()
        for directory in directories {
            try Kernel.write(String(sleeper.processIdentifier), to: directory + "/cgroup.procs")
        }
        try Kernel.write("FROZEN", to: freezer + "/" + name + "/freezer.state")

        hierarchy.removeStale()

        sleeper.waitUntilExit()
        #expect(sleeper.terminationReason == .uncaughtSignal)
        #expect(directories.filter { FileManager.default.fileExists(atPath: $0) } == [])
    }

    /// Runs a command and returns its standard output.
    func shell(_ executable: String, _ arguments: String...) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    /// Environment creation cost, sandbox against plain, printed for BENCHMARKS.md.
    /// Opt in with SWIFTLET_SANDBOX_BENCH=N (iterations).
    @Test(.enabled(if: ProcessInfo.processInfo.environment["SWIFTLET_SANDBOX_BENCH"] != nil))
    func creationCost() throws {
        let iterations = Int(ProcessInfo.processInfo.environment["SWIFTLET_SANDBOX_BENCH"] ?? "") ?? 200
        let pauseMicroseconds = Int(ProcessInfo.processInfo.environment["SWIFTLET_SANDBOX_BENCH_PAUSE_US"] ?? "") ?? 0
        var plainSpec = spec("/usr/bin/echo")
        plainSpec.sandbox = nil
        plainSpec.workingDirectory = "/"
        plainSpec.arguments = ["ready"]
        var sharedNetwork = spec("/usr/bin/echo")
        sharedNetwork.sandbox?.runtimeAPIPort = nil
        var memoryTmp = spec("/usr/bin/echo")
        memoryTmp.sandbox?.scratchDirectory = nil
        let variants = [
            ("plain", plainSpec), ("bubblewrap", spec("/usr/bin/echo")),
            ("bubblewrap, host network", sharedNetwork), ("bubblewrap, tmpfs /tmp", memoryTmp),
        ]
        for (label, launchSpec) in variants {
            var launchCall: [Double] = []
            var untilRunning: [Double] = []
            var untilExit: [Double] = []
            var teardown: [Double] = []
            for _ in 0..<iterations {
                // An environment a few milliseconds apart, not back to back: lets
                // the background refill of /tmp images keep up, as between cold starts.
                usleep(useconds_t(pauseMicroseconds))
                let start = ContinuousClock.now
                let process = try ProcessLauncher.launch(launchSpec)
                launchCall.append(milliseconds(since: start))
                // The first byte /usr/bin/echo writes: the runtime is running.
                var ready = pollfd(fd: process.outputDescriptors[0], events: Int16(POLLIN), revents: 0)
                _ = poll(&ready, 1, 10_000)
                untilRunning.append(milliseconds(since: start))
                _ = swiftlet_wait_pidfd(process.reapDescriptor)
                untilExit.append(milliseconds(since: start))
                let teardownStart = ContinuousClock.now
                TestProcess.cleanUp(process)
                ProcessLauncher.waitForReleases()
                teardown.append(milliseconds(since: teardownStart))
            }
            report("\(label): launch call (event loop)", launchCall)
            report("\(label): launch until the program runs", untilRunning)
            report("\(label): launch until it has exited", untilExit)
            report("\(label): teardown (off the loop)", teardown)
        }
    }

    func milliseconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
    }

    func report(_ label: String, _ samples: [Double]) {
        let sorted = samples.sorted()
        let p50 = sorted[sorted.count / 2]
        let p99 = sorted[min(sorted.count - 1, Int(Double(sorted.count) * 0.99))]
        print(String(format: "%@: p50 %.2f ms, p99 %.2f ms, n %d", label, p50, p99, sorted.count))
    }
}
