import Crypto
import Foundation
import Store
import Testing

@Suite("Code blobs in the store")
struct BlobStoreTests {
    @Test(
        "a blob is stored under its SHA-256",
        arguments: [[], Array("hello".utf8), [UInt8](repeating: 7, count: 300_000)]
    )
    func contentAddressed(bytes: [UInt8]) throws {
        try withStore { store, directory in
            let info = try store.putBlob(bytes)

            let digest = SHA256.hash(bytes)
            #expect(info.sha256Hex == digest.hexString)
            #expect(info.sha256Base64 == Data(digest).base64EncodedString())
            #expect(info.size == bytes.count)
            let path = store.blobPath(sha256Hex: info.sha256Hex)
            #expect(path == "\(directory.path)/blobs/\(info.sha256Hex.prefix(2))/\(info.sha256Hex)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(bytes))
            #expect(try store.readBlob(sha256Hex: info.sha256Hex) == bytes)
        }
    }

    @Test("putting the same bytes twice keeps one file and leaves no temporary files")
    func idempotent() throws {
        try withStore { store, directory in
            let first = try store.putBlob(Array("code".utf8))
            let second = try store.putBlob(Array("code".utf8))

            #expect(first == second)
            let shard = "\(directory.path)/blobs/\(first.sha256Hex.prefix(2))"
            #expect(try FileManager.default.contentsOfDirectory(atPath: shard) == [first.sha256Hex])
        }
    }

    @Test(
        "reading a missing or malformed key is not found",
        arguments: [
            String(repeating: "0", count: 64), "../../store.sqlite", "", String(repeating: "A", count: 64),
        ])
    func missing(key: String) throws {
        try withStore { store, directory in
            let error = #expect(throws: StoreError.self) { try store.readBlob(sha256Hex: key) }
            #expect(error?.code == .notFound)
            #expect(store.blobPath(sha256Hex: key).hasPrefix(directory.path + "/blobs/"))
        }
    }

    @Test("a blob whose bytes changed on disk reads as corrupt")
    func corrupt() throws {
        try withStore { store, _ in
            let info = try store.putBlob(Array("original".utf8))
            let path = store.blobPath(sha256Hex: info.sha256Hex)
            try Data("tampered".utf8).write(to: URL(fileURLWithPath: path))

            let error = #expect(throws: StoreError.self) { try store.readBlob(sha256Hex: info.sha256Hex) }
            #expect(error?.code == .corrupt)
        }
    }

    @Test("sweeping removes only unreferenced blobs and stale temporary files")
    func sweep() throws {
        try withStore { store, _ in
            let kept = try store.putBlob(Array("kept".utf8))
            let dropped = try store.putBlob(Array("dropped".utf8))
            try store.createFunction(makeFunction("f", code: kept.sha256Hex))
            let shard = (store.blobPath(sha256Hex: kept.sha256Hex) as NSString).deletingLastPathComponent
            #expect(FileManager.default.createFile(atPath: shard + "/.tmp-abandoned", contents: Data([1])))

            #expect(try store.deleteUnreferencedBlobs(minimumAgeSeconds: 0) == 2)

            #expect(try store.readBlob(sha256Hex: kept.sha256Hex) == Array("kept".utf8))
            #expect(!FileManager.default.fileExists(atPath: store.blobPath(sha256Hex: dropped.sha256Hex)))
            #expect(!FileManager.default.fileExists(atPath: shard + "/.tmp-abandoned"))
        }
    }

    @Test("sweeping spares fresh blobs that no function references yet")
    func sweepGracePeriod() throws {
        try withStore { store, _ in
            let fresh = try store.putBlob(Array("just uploaded".utf8))

            #expect(try store.deleteUnreferencedBlobs() == 0)
            #expect(try store.readBlob(sha256Hex: fresh.sha256Hex) == Array("just uploaded".utf8))
        }
    }

    @Test("blobs survive reopening the store")
    func persistence() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let info = try SQLiteStore(dataDirectory: directory.path).putBlob(Array("zip".utf8))

        let reopened = try SQLiteStore(dataDirectory: directory.path)

        #expect(try reopened.readBlob(sha256Hex: info.sha256Hex) == Array("zip".utf8))
    }
}
