import CSandbox
import Foundation
import Testing

@testable import Sandbox

/// Specialising a running sandbox: trees mounted in from the host, the cgroup resized.
/// Needs root, bubblewrap and a writable cgroup hierarchy, like SandboxLaunchTests.
@Suite(.enabled(if: canSandbox, "needs root, /usr/bin/bwrap and a writable cgroup hierarchy"))
final class SpecializationTests {
    let parent: String
    let placeholder: String
    let codeDirectory: String
    let runtimeDirectory: String

    init() throws {
        parent = NSTemporaryDirectory() + "swiftlet-specialization-test-\(UUID().uuidString)"
        placeholder = parent + "/placeholder"
        codeDirectory = parent + "/code"
        runtimeDirectory = parent + "/runtime"
        for directory in [placeholder, codeDirectory, runtimeDirectory] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        chmod(parent, 0o700)
        try "from the function\n".write(toFile: codeDirectory + "/marker", atomically: true, encoding: .utf8)
        chmod(codeDirectory + "/marker", 0o644)
        // Waits for the function's code to appear, then reports what it sees and tries to write.
        let bootstrap = """
            #!/bin/sh
            while [ ! -f /var/task/marker ]; do sleep 0.01; done
            cat /var/task/marker
            if echo x > /var/task/written 2>/dev/null; then echo "write: allowed"; else echo "write: refused"; fi
            exit 0

            """
        try bootstrap.write(toFile: runtimeDirectory + "/bootstrap", atomically: true, encoding: .utf8)
        chmod(runtimeDirectory + "/bootstrap", 0o755)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: parent)
    }

    func stemSpec() -> LaunchSpec {
        LaunchSpec(
            executable: "/var/runtime/bootstrap", arguments: [], environment: ["PATH": "/usr/bin:/bin"],
            workingDirectory: "/var/task",
            sandbox: SandboxSpec(
                codeDirectory: placeholder, runtimeDirectory: runtimeDirectory, memoryMegabytes: 128,
                ephemeralStorageMegabytes: 512))
    }

    func waitForSandboxedChild(_ process: LaunchedProcess) throws {
        // Generous: the whole suite runs at once on two cores, the leak test's thousand
        // sandboxes among it, and bubblewrap can take seconds to start then.
        let deadline = ContinuousClock.now + .seconds(60)
        while (try? ProcessLauncher.sandboxedChild(of: process.pid)) == nil, ContinuousClock.now < deadline {
            usleep(1000)
        }
        let child = try ProcessLauncher.sandboxedChild(of: process.pid)
        // bubblewrap's child must also have finished building the root before a mount lands in it.
        usleep(100_000)
        if (try? ProcessLauncher.sandboxedChild(of: process.pid)) != child {
            // Gone: say what the sandbox printed, which is why.
            let (status, output) = TestProcess.finish(process)
            throw SandboxError(step: "the sandbox ended before the mount (status \(status)): \(output)", errno: ESRCH)
        }
    }

    @Test func aTreeMountedIntoARunningSandboxIsSeenThereReadOnly() throws {
        let process = try ProcessLauncher.launch(stemSpec())
        defer { TestProcess.cleanUp(process) }
        try waitForSandboxedChild(process)

        try ProcessLauncher.mount([(codeDirectory, "/var/task")], in: process)

        let (status, text) = TestProcess.finish(process)
        #expect(status == 0, "\(text)")
        #expect(text.contains("from the function"))
        #expect(text.contains("write: refused"))
        #expect(!FileManager.default.fileExists(atPath: codeDirectory + "/written"))
    }

    @Test func theMountStaysInsideTheSandbox() throws {
        let process = try ProcessLauncher.launch(stemSpec())
        defer { TestProcess.cleanUp(process) }
        try waitForSandboxedChild(process)

        try ProcessLauncher.mount([(codeDirectory, "/var/task")], in: process)

        let hostMounts = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
        #expect(!hostMounts.contains(" /var/task "), "nothing propagates to the host")
        #expect(!FileManager.default.fileExists(atPath: placeholder + "/marker"), "the placeholder is not written")
    }

    @Test func aMissingSourceOrTargetFailsNamingTheStep() throws {
        let process = try ProcessLauncher.launch(stemSpec())
        defer { TestProcess.cleanUp(process) }
        try waitForSandboxedChild(process)

        #expect(throws: SandboxError.self) {
            try ProcessLauncher.mount([(parent + "/missing", "/var/task")], in: process)
        }
        do {
            try ProcessLauncher.mount([(placeholder, "/opt"), (codeDirectory, "/no/such/place")], in: process)
            Issue.record("a mount onto a missing path succeeded")
        } catch {
            #expect(error.step.contains("move_mount"), "\(error)")
            #expect(error.errno == ENOENT)
        }
    }

    @Test func aPlainProcessCannotBeSpecialised() throws {
        var spec = stemSpec()
        spec.sandbox = nil
        spec.executable = "/bin/sleep"
        spec.arguments = ["5"]
        spec.workingDirectory = "/"
        let process = try ProcessLauncher.launch(spec)
        defer { TestProcess.cleanUp(process) }

        #expect(throws: SandboxError.self) { try ProcessLauncher.mount([(codeDirectory, "/var/task")], in: process) }
    }

    @Test func aProcessThatIsNotTheSandboxesChildIsRefused() throws {
        let process = try ProcessLauncher.launch(stemSpec())
        defer { TestProcess.cleanUp(process) }
        try waitForSandboxedChild(process)
        let inside = try ProcessLauncher.sandboxedChild(of: process.pid)
        var step: UnsafePointer<CChar>?

        // The right process named with the wrong parent, as a reused pid would be.
        let result = CStrings.with([codeDirectory]) { sources in
            CStrings.with(["var/task"]) { targets in
                swiftlet_mount_into(
                    getpid(), inside, UnsafeRawPointer(sources).assumingMemoryBound(to: UnsafePointer<CChar>?.self),
                    UnsafeRawPointer(targets).assumingMemoryBound(to: UnsafePointer<CChar>?.self), 1, &step)
            }
        }

        #expect(result == ESRCH)
        #expect(step.map { String(cString: $0) }?.contains("the sandbox's") == true)
    }

    /// From 128 MB up to each size, then from 1,024 MB down to it (on v1 the memory+swap
    /// limit must be written in a different order each way).
    @Test func aProcessInTheServersOwnMountNamespaceIsRefused() throws {
        // A harmless target: if the guard ever failed, the code would cover this empty directory.
        let target = parent + "/target"
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        var step: UnsafePointer<CChar>?

        let result = CStrings.with([codeDirectory]) { sources in
            CStrings.with([String(target.dropFirst())]) { targets in
                swiftlet_mount_into(
                    getppid(), getpid(), UnsafeRawPointer(sources).assumingMemoryBound(to: UnsafePointer<CChar>?.self),
                    UnsafeRawPointer(targets).assumingMemoryBound(to: UnsafePointer<CChar>?.self), 1, &step)
            }
        }

        let covered = FileManager.default.fileExists(atPath: target + "/marker")
        if covered { umount2(target, Int32(MNT_DETACH)) }
        #expect(result == EPERM)
        #expect(!covered)
        #expect(step.map { String(cString: $0) }?.contains("mount namespace of its own") == true)
    }

    @Test(arguments: [10240, 256, 128])
    func resizingSetsTheMemoryLimitUpOrDown(megabytes: Int) throws {
        let process = try ProcessLauncher.launch(stemSpec())
        defer { TestProcess.cleanUp(process) }
        let cgroup = try #require(process.cgroup)

        try ProcessLauncher.resize(process, memoryMegabytes: megabytes)
        try ProcessLauncher.resize(process, memoryMegabytes: 1024)
        try ProcessLauncher.resize(process, memoryMegabytes: megabytes)

        let memory = try #require(cgroup.directories.first { $0.controller == "memory" || $0.controller == "" })
        let file = memory.controller.isEmpty ? "/memory.max" : "/memory.limit_in_bytes"
        let limit = try String(contentsOfFile: memory.path + file, encoding: .utf8)
        #expect(limit.trimmingCharacters(in: .whitespacesAndNewlines) == String(megabytes * 1_048_576))
    }
}
