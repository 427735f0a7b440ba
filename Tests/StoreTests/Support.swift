import Foundation
import Store
import Synchronization

/// A fresh data directory under the system's temporary directory.
struct TemporaryDirectory {
    let path: String

    init() throws {
        path =
            FileManager.default.temporaryDirectory
            .appendingPathComponent("swiftlet-store-tests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// A clock the test moves by hand.
final class TestClock: Sendable {
    private let milliseconds = Mutex<Int64>(1_700_000_000_000)

    var now: Int64 { milliseconds.withLock { $0 } }

    func advance(byMilliseconds delta: Int64) {
        milliseconds.withLock { $0 += delta }
    }
}

/// Opens a store on a new temporary directory and removes the directory afterwards.
func withStore<T>(
    clock: TestClock = TestClock(), _ body: (SQLiteStore, TemporaryDirectory) throws -> T
) throws -> T {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let store = try SQLiteStore(dataDirectory: directory.path) { clock.now }
    return try body(store, directory)
}

/// A function record with defaults that tests override field by field.
func makeFunction(
    _ name: String, version: String = "$LATEST", revision: String = "r1",
    code: String = String(repeating: "a", count: 64)
) -> FunctionRecord {
    FunctionRecord(
        name: name, version: version, runtime: "python3.11", role: "arn:aws:iam::123456789012:role/test",
        handler: "app.handler", environment: ["KEY": "value"], codeSha256Hex: code, codeSha256: "base64",
        codeSizeBytes: 10, lastModifiedMilliseconds: 1_700_000_000_000, revisionId: revision,
        accountId: "123456789012", region: "us-east-1"
    )
}
