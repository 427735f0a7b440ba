import Foundation

/// The baseline `swiftlet bench` sets beside its cold starts: what a local emulator without
/// warm pools does, a fresh interpreter per invocation that imports the handler, runs it on
/// the event and exits. No sandbox and no HTTP, so it is a floor for that approach: anything
/// such an emulator adds comes on top.
enum NaiveBaseline {
    static let interpreter = "/usr/bin/python3.11"

    /// Runs `count` invocations of an echo handler, each in a new process; returns each one's
    /// milliseconds from spawn to the result read back.
    static func measure(count: Int) throws -> [Double] {
        guard FileManager.default.isExecutableFile(atPath: interpreter) else { return [] }
        let directory = NSTemporaryDirectory() + "swiftlet-naive-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Bench.echoHandler.write(toFile: directory + "/app.py", atomically: true, encoding: .utf8)
        let runner = """
            import importlib, json, sys
            sys.path.insert(0, sys.argv[1])
            print(json.dumps(importlib.import_module("app").handler(json.load(sys.stdin), None)))
            """
        let event = Array(#"{"hello":"world"}"#.utf8)
        return try Bench.measure(count) {
            let result = try run([interpreter, "-c", runner, directory], input: event)
            guard result.first == UInt8(ascii: "{") else {
                throw ServerError(description: "the naive baseline's interpreter failed")
            }
        }
    }

    /// Spawns `arguments` with `input` on its standard input; returns its standard output.
    /// posix_spawn directly: Foundation's Process adds tens of milliseconds per spawn here,
    /// which would flatter everything compared with it.
    private static func run(_ arguments: [String], input: [UInt8]) throws -> [UInt8] {
        var stdin: [Int32] = [0, 0]
        var stdout: [Int32] = [0, 0]
        guard pipe(&stdin) == 0, pipe(&stdout) == 0 else { throw ServerError(description: "pipe failed") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdin[0], 0)
        posix_spawn_file_actions_adddup2(&actions, stdout[1], 1)
        for descriptor in stdin + stdout {
            posix_spawn_file_actions_addclose(&actions, descriptor)
        }
        let argv = arguments.map { strdup($0) } + [nil]
        defer {
            for argument in argv { free(argument) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, arguments[0], &actions, nil, argv, environ)
        close(stdin[0])
        close(stdout[1])
        defer { close(stdout[0]) }
        guard spawned == 0 else {
            close(stdin[1])
            throw ServerError(description: "posix_spawn \(arguments[0]) failed with errno \(spawned)")
        }
        _ = input.withUnsafeBytes { write(stdin[1], $0.baseAddress, $0.count) }
        close(stdin[1])
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(stdout[0], $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            output += chunk[0..<count]
        }
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        guard status == 0 else { throw ServerError(description: "the naive baseline's interpreter exited \(status)") }
        return output
    }
}
