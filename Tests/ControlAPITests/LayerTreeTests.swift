import Foundation
import Store
import Testing

@testable import ControlAPI

/// Merging a function's layers into the tree shown at `/opt`.
@Suite("Layer trees")
struct LayerTreeTests {
    /// A data directory with a store and a code repository, removed afterwards.
    func withRepository(_ body: (CodeRepository, String) throws -> Void) throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("swiftlet-layer-tests-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try SQLiteStore(dataDirectory: directory)
        try body(CodeRepository(store: store, dataDirectory: directory), directory)
    }

    /// Zips `files` with the system's zip tool, as a user would, and accepts it.
    func accept(_ files: [String: String], _ repository: CodeRepository) throws -> FunctionLayer {
        let source = FileManager.default.temporaryDirectory.appendingPathComponent("layer-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: source) }
        for (path, text) in files {
            let file = source.appendingPathComponent(path)
            try FileManager.default.createDirectory(
                at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: file)
        }
        let zip = try SystemZip.zipped(source.path)
        let accepted = try repository.accept(zipFileBase64: zip.base64EncodedString())
        return FunctionLayer(
            arn: "arn:aws:lambda:us-east-1:123456789012:layer:test:1", codeSizeBytes: accepted.size,
            codeSha256Hex: accepted.sha256Hex, unzippedBytes: accepted.unzippedBytes)
    }

    @Test("later layers replace earlier files, directories merge, and the tree is read-only")
    func mergeOrder() throws {
        try withRepository { repository, directory in
            let first = try accept(["python/shared.py": "first", "python/a.py": "a"], repository)
            let second = try accept(["python/shared.py": "second", "bin/tool": "tool"], repository)
            let merged = try #require(try repository.layersDirectory(for: [first, second]))
            #expect(merged.hasPrefix(directory + "/layers/"))
            let read = { (path: String) in try String(contentsOfFile: merged + "/" + path, encoding: .utf8) }
            #expect(try read("python/shared.py") == "second")
            #expect(try read("python/a.py") == "a")
            #expect(try read("bin/tool") == "tool")
            let attributes = try FileManager.default.attributesOfItem(atPath: merged + "/python/shared.py")
            #expect(((attributes[.posixPermissions] as? Int) ?? 0o777) & 0o222 == 0)

            let reversed = try #require(try repository.layersDirectory(for: [second, first]))
            #expect(reversed != merged)
            #expect(try String(contentsOfFile: reversed + "/python/shared.py", encoding: .utf8) == "first")
            #expect(try repository.layersDirectory(for: [first, second]) == merged)
        }
    }

    @Test("a function without layers has no tree")
    func noLayers() throws {
        try withRepository { repository, _ throws in
            #expect(try repository.layersDirectory(for: nil) == nil)
            #expect(try repository.layersDirectory(for: []) == nil)
        }
    }
}

/// Zips with Info-ZIP's `zip`, independent of the code under test.
enum SystemZip {
    static func zipped(_ directory: String) throws -> Data {
        let output = directory + ".zip"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/zip")
        process.arguments = ["-q", "-r", output, "."]
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        try process.run()
        process.waitUntilExit()
        defer { try? FileManager.default.removeItem(atPath: output) }
        return try Data(contentsOf: URL(fileURLWithPath: output))
    }
}
