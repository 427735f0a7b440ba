import Archive
import Crypto
import Foundation
import Invoker
import Store

#if canImport(Glibc)
    import Glibc
#endif

/// A function's layers as its environments see them: merged in order into one
/// read-only tree, shown at `/opt`.
extension CodeRepository {
    /// The merged tree of `layers`, built once per distinct ordered list of layer
    /// zips under `DATA_DIR/layers/<sha256 of the list>`; nil without layers.
    ///
    /// Each zip is extracted safely on its own, then moved over the tree so far:
    /// a later layer's file replaces an earlier one's, directories are merged.
    /// The tree is made read-only and renamed into place only when complete.
    func layersDirectory(for layers: [FunctionLayer]?) throws(AWSError) -> String? {
        guard let layers, !layers.isEmpty else { return nil }
        let hashes = layers.map(\.codeSha256Hex)
        let key = SHA256.hash(Array(hashes.joined(separator: "\n").utf8)).hexString
        let destination = layersRoot + "/" + key
        if FileManager.default.fileExists(atPath: destination) {
            return destination
        }
        try merge(hashes, into: destination)
        return destination
    }

    private func merge(_ hashes: [String], into destination: String) throws(AWSError) {
        let manager = FileManager.default
        let staging = layersRoot + "/.staging-" + UUID().uuidString
        let tree = staging + "/tree"
        defer { try? manager.removeItem(atPath: staging) }
        do {
            try manager.createDirectory(atPath: tree, withIntermediateDirectories: true)
            for (index, hash) in hashes.enumerated() {
                let part = staging + "/\(index)"
                let bytes = try store.readBlob(sha256Hex: hash)
                try ZipArchive.extract(bytes, to: part, maxUncompressedBytes: Self.maximumUnzippedBytes)
                try Self.overlay(part, onto: tree)
            }
        } catch {
            throw AWSError.service("Could not unpack the function's layers")
        }
        Self.makeReadOnly(tree)
        // Another request may have merged the same list meanwhile: its tree is as good.
        if rename(tree, destination) != 0, !manager.fileExists(atPath: destination) {
            throw AWSError.service("Could not unpack the function's layers")
        }
    }

    /// Moves everything under `source` onto `destination`, never following a link:
    /// directories in both are merged; anything else from `source` replaces what is there.
    private static func overlay(_ source: String, onto destination: String) throws {
        for name in try FileManager.default.contentsOfDirectory(atPath: source) {
            let from = source + "/" + name
            let to = destination + "/" + name
            var fromStatus = stat()
            var toStatus = stat()
            guard lstat(from, &fromStatus) == 0 else { throw OverlayError(path: from) }
            let toExists = lstat(to, &toStatus) == 0
            if isDirectory(fromStatus), toExists, isDirectory(toStatus) {
                // Both are real directories of this staging tree: entries move out of and into them.
                chmod(from, (fromStatus.st_mode & 0o7777) | S_IWUSR | S_IXUSR)
                chmod(to, (toStatus.st_mode & 0o7777) | S_IWUSR | S_IXUSR)
                try overlay(from, onto: to)
                chmod(to, (toStatus.st_mode | fromStatus.st_mode) & 0o7777)
                continue
            }
            if toExists {
                try FileManager.default.removeItem(atPath: to)
            }
            guard rename(from, to) == 0 else { throw OverlayError(path: to) }
        }
    }

    private static func isDirectory(_ status: stat) -> Bool {
        status.st_mode & S_IFMT == S_IFDIR
    }

    private struct OverlayError: Error {
        var path: String
    }
}

extension LambdaService {
    /// What invoking `record` runs: its unpacked code and, when it has layers, their merged tree.
    func invocationTarget(_ record: FunctionRecord, invokedFunctionArn: String) throws(AWSError) -> InvocationTarget {
        InvocationTarget(
            function: record, invokedFunctionArn: invokedFunctionArn,
            codeDirectory: try code.directory(sha256Hex: record.codeSha256Hex),
            layersDirectory: try code.layersDirectory(for: record.layers))
    }

    /// Lambda's limit on a function's code and layers unzipped together; `codeUnzippedBytes`
    /// stands for the record's own when its code is being replaced.
    func checkUnzippedSize(_ record: FunctionRecord, codeUnzippedBytes: Int64? = nil) throws(AWSError) {
        guard let layers = record.layers, !layers.isEmpty else { return }
        var total = try unzippedBytes(codeUnzippedBytes ?? record.codeUnzippedBytes, record.codeSha256Hex)
        for layer in layers {
            total += try unzippedBytes(layer.unzippedBytes, layer.codeSha256Hex)
        }
        if total > CodeRepository.maximumUnzippedBytes {
            throw AWSError.invalidParameter(
                "Function code combined with layers exceeds the maximum allowed size of "
                    + "\(CodeRepository.maximumUnzippedBytes) bytes. The actual size is \(total) bytes.")
        }
    }

    /// A stored size, or for records kept before sizes were stored, the zip's counted again.
    private func unzippedBytes(_ stored: Int64?, _ sha256Hex: String) throws(AWSError) -> Int64 {
        if let stored {
            return stored
        }
        return try code.unzippedBytes(sha256Hex: sha256Hex)
    }
}
