import Foundation
import Testing

/// A fresh directory under the system's temporary directory, removed by `remove()`.
struct TemporaryDirectory {
    let path: String

    init() throws {
        path =
            FileManager.default.temporaryDirectory
            .appendingPathComponent("swiftlet-archive-tests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }

    func child(_ name: String) -> String { path + "/" + name }

    func write(_ relativePath: String, _ contents: String, permissions: Int = 0o644) throws {
        let file = child(relativePath)
        try FileManager.default.createDirectory(
            atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(contents.utf8).write(to: URL(fileURLWithPath: file))
        try FileManager.default.setAttributes([.posixPermissions: permissions], ofItemAtPath: file)
    }

    func permissions(_ relativePath: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: child(relativePath))
        return (attributes[.posixPermissions] as? Int) ?? -1
    }
}

/// Runs a tool to completion and returns its exit status.
@discardableResult
func run(_ executable: String, _ arguments: [String], in directory: String? = nil) throws -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    try process.run()
    process.waitUntilExit()
    return process.terminationStatus
}

/// One entry for `pythonZip`: a name, contents repeated `repeat` times, the Unix mode
/// stored in the external attributes (0 for none), the DOS attributes in their low byte
/// (0x10 directory, 0x20 archive) and the "made by" system (3 Unix, 0 DOS).
struct ZipSpecEntry: Encodable {
    var name: String
    var data: String = ""
    var `repeat`: Int = 1
    var mode: Int = 0
    var dos: Int = 0
    var system: Int = 3

    static func file(_ name: String, _ data: String = "x", mode: Int = 0o100644) -> Self {
        Self(name: name, data: data, mode: mode)
    }

    static func symlink(_ name: String, to target: String) -> Self {
        Self(name: name, data: target, mode: 0o120777)
    }
}

/// Builds a zip with Python's zipfile, which writes whatever names and modes it is given,
/// so tests can craft archives that well-behaved tools refuse to make.
func pythonZip(_ entries: [ZipSpecEntry]) throws -> [UInt8] {
    let scratch = try TemporaryDirectory()
    defer { scratch.remove() }
    let output = scratch.child("out.zip")
    let spec = String(decoding: try JSONEncoder().encode(entries), as: UTF8.self)
    let script = """
        import json, sys, warnings, zipfile
        warnings.simplefilter("ignore")  # duplicate names are made on purpose
        with zipfile.ZipFile(sys.argv[2], "w", zipfile.ZIP_DEFLATED) as archive:
            for entry in json.loads(sys.argv[1]):
                info = zipfile.ZipInfo(entry["name"])
                info.create_system = entry["system"]
                # zipfile turns an all-zero attribute into 0600; DOS bits keep it from doing so.
                info.external_attr = entry["mode"] << 16 | entry["dos"]
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, entry["data"].encode() * entry["repeat"])
        """
    let status = try run("/usr/bin/python3", ["-c", script, spec, output])
    try #require(status == 0)
    return Array(try Data(contentsOf: URL(fileURLWithPath: output)))
}

/// Zips `directory` with Info-ZIP's `zip`, storing links as links.
func infoZip(_ directory: String) throws -> [UInt8] {
    let output = directory + ".zip"
    defer { try? FileManager.default.removeItem(atPath: output) }
    let status = try run("/usr/bin/zip", ["-q", "-r", "-y", "-X", output, "."], in: directory)
    try #require(status == 0)
    return Array(try Data(contentsOf: URL(fileURLWithPath: output)))
}
