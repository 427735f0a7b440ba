import Crypto
import Foundation

/// Content-addressed files: each blob lives at `<root>/<first two hex digits>/<hex SHA-256>`.
struct BlobDirectory: Sendable {
    let root: String

    init(root: String) throws(StoreError) {
        self.root = root
        if try FileSystem.makeDirectories(root) {
            try FileSystem.syncDirectory((root as NSString).deletingLastPathComponent)
        }
    }

    /// Whether `key` is a hex SHA-256 as the store writes them: 64 lowercase hex digits.
    static func isValidKey(_ key: String) -> Bool {
        key.utf8.count == 64
            && key.utf8.allSatisfy {
                (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
                    || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0)
            }
    }

    func path(for key: String) -> String {
        // A malformed key maps to a name no blob can have, so opening it fails cleanly
        // and no key can reach outside the blob directory.
        guard Self.isValidKey(key) else { return root + "/invalid/invalid" }
        return root + "/" + key.prefix(2) + "/" + key
    }

    func put(_ bytes: [UInt8]) throws(StoreError) -> BlobInfo {
        let digest = SHA256.hash(bytes)
        let key = digest.hexString
        let info = (sha256Hex: key, sha256Base64: Data(digest).base64EncodedString(), size: bytes.count)
        let path = path(for: key)
        if let existing = try FileSystem.attributes(path), existing.size == Int64(bytes.count) {
            // Fresh again, so a concurrent sweep's grace period protects it as a new blob.
            try FileSystem.touch(path)
            return info
        }
        let shard = (path as NSString).deletingLastPathComponent
        if try FileSystem.makeDirectories(shard) {
            try FileSystem.syncDirectory(root)
        }
        try FileSystem.writeAtomically(bytes, to: path)
        return info
    }

    func read(_ key: String) throws(StoreError) -> [UInt8] {
        guard Self.isValidKey(key), let bytes = try FileSystem.read(path(for: key)) else {
            throw StoreError(.notFound, "No blob has the SHA-256 \(key).")
        }
        guard SHA256.hash(bytes).hexString == key else {
            throw StoreError(.corrupt, "The blob \(key) does not match its SHA-256.")
        }
        return bytes
    }

    /// Removes blobs not in `referenced`, and abandoned temporary files, last modified
    /// at least `minimumAgeSeconds` before `nowSeconds`.
    func sweep(
        keeping referenced: Set<String>, minimumAgeSeconds: Int, nowSeconds: Int
    ) throws(StoreError) -> Int {
        var removed = 0
        for shard in try FileSystem.names(inDirectory: root) {
            let shardPath = root + "/" + shard
            guard FileSystem.isDirectory(shardPath) else { continue }
            for name in try FileSystem.names(inDirectory: shardPath) where !referenced.contains(name) {
                let path = shardPath + "/" + name
                guard let attributes = try FileSystem.attributes(path),
                    nowSeconds - attributes.modificationSeconds >= minimumAgeSeconds
                else { continue }
                try FileSystem.remove(path)
                removed += 1
            }
        }
        return removed
    }
}
