import Archive
import Foundation
import Store
import Synchronization

/// Accepts function code: checks a zip as Lambda does, keeps it content-addressed
/// in the store, and unpacks each distinct zip once into a read-only tree.
struct CodeRepository: Sendable {
    /// Lambda's limits for a zip uploaded in the request, and for its contents.
    static let maximumZipBytes = 50 * 1024 * 1024
    static let maximumUnzippedBytes: Int64 = 262_144_000

    /// A zip accepted into the store: its identity and what it unpacks to.
    struct AcceptedZip: Sendable {
        var sha256Hex: String
        var sha256Base64: String
        var size: Int
        var unzippedBytes: Int64
    }

    let store: any Store
    let root: String
    /// Where each distinct ordered list of layer zips is merged into one tree.
    let layersRoot: String
    /// Zips known to be unpacked under `root`: trees are never removed, so a hash seen once
    /// needs no `stat` on the next invoke's path.
    private let unpacked = UnpackedTrees()

    private final class UnpackedTrees: Sendable {
        let hashes = Mutex<Set<String>>([])
    }

    init(store: any Store, dataDirectory: String) {
        self.store = store
        self.root = dataDirectory + "/code"
        self.layersRoot = dataDirectory + "/layers"
    }

    /// Validates a base64 `ZipFile` (its structure, names and sizes) and stores it; returns the
    /// stored blob's identity. The contents are unpacked later, by `directory(sha256Hex:)`.
    func accept(zipFileBase64: String) throws(AWSError) -> AcceptedZip {
        guard let data = Data(base64Encoded: zipFileBase64, options: [.ignoreUnknownCharacters]) else {
            throw AWSError.invalidParameter(
                "Could not unzip uploaded file. Please check your file, then try to upload again.")
        }
        let bytes = [UInt8](data)
        guard bytes.count <= Self.maximumZipBytes else {
            throw AWSError.invalidParameter(
                "Unzipped size must be smaller than \(Self.maximumUnzippedBytes) bytes; zipped size must be smaller "
                    + "than \(Self.maximumZipBytes) bytes (got \(bytes.count) bytes zipped)")
        }
        let unzippedBytes = try inspect(bytes)
        let blob: (sha256Hex: String, sha256Base64: String, size: Int)
        do {
            blob = try store.putBlob(bytes)
        } catch {
            throw AWSError.service("Could not store the function's code")
        }
        // Unpacking is left to the function's preparation (Pending, then Active).
        return AcceptedZip(
            sha256Hex: blob.sha256Hex, sha256Base64: blob.sha256Base64, size: blob.size,
            unzippedBytes: unzippedBytes)
    }

    /// A stored zip's unzipped size, for records kept before the size was stored.
    func unzippedBytes(sha256Hex: String) throws(AWSError) -> Int64 {
        let bytes: [UInt8]
        do {
            bytes = try store.readBlob(sha256Hex: sha256Hex)
        } catch {
            throw AWSError.service("The code is missing from the store")
        }
        return try inspect(bytes)
    }

    /// Whether `sha256Hex`'s tree is known to be unpacked, so `directory` touches nothing.
    func isUnpacked(_ sha256Hex: String) -> Bool {
        unpacked.hashes.withLock { $0.contains(sha256Hex) }
    }

    /// The unpacked tree of a stored zip, unpacking it first if needed (after a restart).
    func directory(sha256Hex: String) throws(AWSError) -> String {
        let path = root + "/" + sha256Hex
        if isUnpacked(sha256Hex) {
            return path
        }
        if !FileManager.default.fileExists(atPath: path) {
            let bytes: [UInt8]
            do {
                bytes = try store.readBlob(sha256Hex: sha256Hex)
            } catch {
                throw AWSError.service("The function's code is missing from the store")
            }
            try unpack(sha256Hex: sha256Hex, bytes: bytes)
        }
        unpacked.hashes.withLock { _ = $0.insert(sha256Hex) }
        return path
    }

    private func inspect(_ bytes: [UInt8]) throws(AWSError) -> Int64 {
        do {
            return try ZipArchive.inspect(bytes, maxUncompressedBytes: Self.maximumUnzippedBytes).uncompressedBytes
        } catch {
            switch error.code {
            case .tooLarge:
                throw AWSError.invalidParameter(
                    "Unzipped size must be smaller than \(Self.maximumUnzippedBytes) bytes")
            case .unsafeEntry:
                throw AWSError.invalidParameter(
                    "Could not unzip uploaded file. Please check your file, then try to upload again. "
                        + "(\(error.message))"
                )
            default:
                throw AWSError.invalidParameter(
                    "Could not unzip uploaded file. Please check your file, then try to upload again.")
            }
        }
    }

    /// Removes every write bit below `root`: code is read-only, as on AWS.
    static func makeReadOnly(_ root: String) {
        let manager = FileManager.default
        let paths = (manager.enumerator(atPath: root)?.allObjects as? [String] ?? []).map { root + "/" + $0 }
        for path in paths + [root] {
            var status = stat()
            if lstat(path, &status) == 0, status.st_mode & S_IFMT != S_IFLNK {
                chmod(path, status.st_mode & ~(S_IWUSR | S_IWGRP | S_IWOTH) & 0o7777)
            }
        }
    }

    /// Unpacks into a temporary directory and renames it into place, so a
    /// half-unpacked tree is never visible under its final name.
    private func unpack(sha256Hex: String, bytes: [UInt8]) throws(AWSError) {
        let destination = root + "/" + sha256Hex
        let manager = FileManager.default
        if manager.fileExists(atPath: destination) {
            return
        }
        let staging = root + "/.staging-" + UUID().uuidString
        do {
            try manager.createDirectory(atPath: root, withIntermediateDirectories: true)
            _ = try ZipArchive.extract(bytes, to: staging, maxUncompressedBytes: Self.maximumUnzippedBytes)
            Self.makeReadOnly(staging)
            if rename(staging, destination) != 0 {
                try? manager.removeItem(atPath: staging)
                if !manager.fileExists(atPath: destination) {
                    throw AWSError.service("Could not unpack the function's code")
                }
            }
        } catch let error as AWSError {
            throw error
        } catch {
            try? manager.removeItem(atPath: staging)
            throw AWSError.invalidParameter(
                "Could not unzip uploaded file. Please check your file, then try to upload again.")
        }
    }
}
