import Testing

@testable import Sandbox

@Suite struct BubblewrapArgumentsTests {
    let launch = LaunchSpec(
        executable: "/var/task/bootstrap", arguments: ["--flag"], environment: [:], workingDirectory: "/var/task")
    let sandbox = SandboxSpec(
        codeDirectory: "/data/code/abc", runtimeDirectory: "/repo/runtimes/python",
        extraReadOnly: [ReadOnlyBind(source: "/repo/.venv", destination: "/opt/venv")],
        memoryMegabytes: 256, ephemeralStorageMegabytes: 512)
    let inputs = BubblewrapInputs(
        topLevel: ["/bin": .symlink(target: "usr/bin"), "/lib": .directory, "/lib64": .missing],
        codeSource: "/stage/0", runtimeSource: "/stage/1", extraSources: ["/stage/2"], seccompDescriptor: 7)

    var arguments: [String] { BubblewrapArguments.make(launch: launch, sandbox: sandbox, inputs: inputs) }

    /// The operand following each occurrence of `option`, as consecutive pairs.
    func pairs(_ option: String, width: Int = 2) -> [[String]] {
        let words = arguments
        return words.indices.filter { words[$0] == option }.map { Array(words[($0 + 1)...($0 + width)]) }
    }

    @Test func everyNamespaceButTheNetworkIsUnsharedByBubblewrap() {
        for option in ["--unshare-user", "--unshare-ipc", "--unshare-pid", "--unshare-uts", "--unshare-cgroup-try"] {
            #expect(arguments.contains(option))
        }
        // The network namespace is made before bubblewrap, with the Runtime API inside.
        #expect(!arguments.contains("--unshare-net"))
        #expect(!arguments.contains("--share-net"))
    }

    @Test func theRuntimeRunsUnprivilegedAndDiesWithItsParent() {
        #expect(pairs("--uid", width: 1) == [["990"]])
        #expect(pairs("--gid", width: 1) == [["990"]])
        for option in ["--disable-userns", "--die-with-parent", "--new-session"] {
            #expect(arguments.contains(option))
        }
        #expect(!arguments.contains("--cap-add"))
    }

    @Test func codeAndRuntimeAreReadOnlyAtLambdasPaths() {
        let binds = pairs("--ro-bind")
        #expect(binds.contains(["/stage/0", "/var/task"]))
        #expect(binds.contains(["/stage/1", "/var/runtime"]))
        #expect(binds.contains(["/stage/2", "/opt/venv"]))
        #expect(binds.contains(["/usr", "/usr"]))
        #expect(!arguments.contains("--bind"), "nothing is bound writable")
    }

    @Test func hostTopLevelDirectoriesAreMirrored() {
        #expect(pairs("--symlink").contains(["usr/bin", "/bin"]))
        #expect(pairs("--ro-bind").contains(["/lib", "/lib"]))
        #expect(!arguments.contains("/lib64"))
    }

    @Test(arguments: ["/root", "/home", "/tmp", "/data", "/repo", "/etc/shadow", "/etc/passwd", "/run"])
    func hostPathsWithStateAreNeverBound(path: String) {
        let sources = pairs("--ro-bind").map { $0[0] } + pairs("--ro-bind-try").map { $0[0] }
        #expect(!sources.contains { $0 == path || $0.hasPrefix(path + "/") })
    }

    @Test func tmpIsAPrivateFilesystemOfTheEphemeralStorageSize() {
        let words = arguments
        let tmpfs = try! #require(words.firstIndex(of: "--tmpfs"))
        #expect(words[tmpfs + 1] == "/tmp")
        #expect(words[tmpfs - 2] == "--size")
        #expect(words[tmpfs - 1] == String(512 * 1_048_576))
    }

    @Test func procDevAndTheFilterAreSetUpAndTheCommandComesLast() {
        #expect(pairs("--proc", width: 1) == [["/proc"]])
        #expect(pairs("--dev", width: 1) == [["/dev"]])
        #expect(pairs("--seccomp", width: 1) == [["7"]])
        #expect(pairs("--chdir", width: 1) == [["/var/task"]])
        #expect(Array(arguments.suffix(3)) == ["--", "/var/task/bootstrap", "--flag"])
    }

    @Test func aDiskBackedTmpIsTheOnlyWritableBind() {
        var disk = inputs
        disk.tmpSource = "/stage/tmp"
        let words = BubblewrapArguments.make(launch: launch, sandbox: sandbox, inputs: disk)
        let writable = words.indices.filter { words[$0] == "--bind" }.map { [words[$0 + 1], words[$0 + 2]] }
        #expect(writable == [["/stage/tmp", "/tmp"]])
        #expect(!words.contains("--tmpfs"))
    }

    @Test func layersAreReadOnlyAtOptAndAbsentWithoutThem() {
        var layered = sandbox
        layered.layersDirectory = "/data/layers/def"
        var staged = inputs
        staged.layersSource = "/stage/2"
        staged.extraSources = ["/stage/3"]
        let words = BubblewrapArguments.make(launch: launch, sandbox: layered, inputs: staged)
        let binds = words.indices.filter { words[$0] == "--ro-bind" }.map { [words[$0 + 1], words[$0 + 2]] }
        #expect(binds.contains(["/stage/2", "/opt"]))
        // Operator binds below /opt are mounted after the layers, so they stay visible.
        let layers = binds.firstIndex(of: ["/stage/2", "/opt"]) ?? 0
        #expect((binds.firstIndex(of: ["/stage/3", "/opt/venv"]) ?? 0) > layers)
        #expect(!arguments.contains("/opt"))
    }

    @Test func customRuntimesHaveNoRuntimeDirectory() {
        var custom = sandbox
        custom.runtimeDirectory = nil
        let plain = BubblewrapInputs(
            topLevel: [:], codeSource: "/stage/0", runtimeSource: nil, extraSources: [], seccompDescriptor: nil)
        let words = BubblewrapArguments.make(launch: launch, sandbox: custom, inputs: plain)
        #expect(!words.contains("/var/runtime"))
        #expect(!words.contains("--seccomp"))
    }
}

@Suite struct SandboxSpecTests {
    let spec = SandboxSpec(
        codeDirectory: "/data/code/abc", runtimeDirectory: "/runtimes/python",
        extraReadOnly: [ReadOnlyBind(source: "/venv", destination: "/opt/venv")], memoryMegabytes: 128,
        ephemeralStorageMegabytes: 512)

    @Test(arguments: [
        ("/var/task/bootstrap", "/data/code/abc/bootstrap"),
        ("/var/runtime/bootstrap", "/runtimes/python/bootstrap"),
        ("/opt/venv/bin/python", "/venv/bin/python"),
    ])
    func sandboxPathsMapToTheirHostFiles(inside: String, host: String) {
        #expect(spec.hostPath(of: inside) == host)
    }

    @Test func layersMapToTheirMergedTree() {
        var layered = spec
        layered.layersDirectory = "/data/layers/def"
        #expect(layered.hostPath(of: "/opt/bootstrap") == "/data/layers/def/bootstrap")
        #expect(spec.hostPath(of: "/opt/bootstrap") == nil)
    }

    @Test(arguments: ["/var/taskforce/bootstrap", "/usr/bin/python3", "/etc/passwd"])
    func pathsOutsideTheBoundTreesHaveNoHostFile(inside: String) {
        #expect(spec.hostPath(of: inside) == nil)
    }

    @Test func bindsParseWithAnOptionalDestination() {
        #expect(ReadOnlyBind(parsing: "/a/b") == ReadOnlyBind(source: "/a/b", destination: "/a/b"))
        #expect(ReadOnlyBind(parsing: "/a:/opt/a") == ReadOnlyBind(source: "/a", destination: "/opt/a"))
    }

    @Test(arguments: ["relative", "/a:relative", "/a:/opt/../etc", ""])
    func malformedBindsAreRefused(text: String) {
        #expect(ReadOnlyBind(parsing: text) == nil)
    }
}
