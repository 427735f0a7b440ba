import Foundation

@testable import Sandbox

/// Helpers the sandbox suites share for processes they start.
enum TestProcess {
    /// Waits (up to 10 seconds) for `process` to exit; returns its wait status and everything
    /// it wrote to stdout and stderr, including what was still in the pipes when it exited.
    static func finish(_ process: LaunchedProcess) -> (Int32, String) {
        var output: [UInt8] = []
        var status: Int32?
        let deadline = ContinuousClock.now + .seconds(10)
        while status == nil, ContinuousClock.now < deadline {
            let count = drain(process, into: &output)
            if count == 0 { usleep(1000) }
            status = ProcessLauncher.reap(process)
        }
        _ = drain(process, into: &output)
        return (status ?? -1, String(decoding: output, as: UTF8.self))
    }

    /// Kills `process` and frees what it holds.
    static func cleanUp(_ process: LaunchedProcess) {
        ProcessLauncher.kill(process)
        for descriptor in process.outputDescriptors + [process.exitDescriptor] { close(descriptor) }
        if let listener = process.runtimeAPIListener { close(listener) }
        ProcessLauncher.release(process)
    }

    /// Reads whatever the (non-blocking) output pipes hold now; returns how many bytes.
    private static func drain(_ process: LaunchedProcess, into output: inout [UInt8]) -> Int {
        var total = 0
        var chunk = [UInt8](repeating: 0, count: 4096)
        for descriptor in process.outputDescriptors {
            while case let count = chunk.withUnsafeMutableBytes({ read(descriptor, $0.baseAddress, $0.count) }),
                count > 0
            {
                output += chunk[0..<count]
                total += count
            }
        }
        return total
    }
}
