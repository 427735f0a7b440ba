import Foundation

extension SQLiteStore {
    @discardableResult
    public func putBlob(_ bytes: [UInt8]) throws(StoreError) -> BlobInfo {
        try blobs.put(bytes)
    }

    public func blobPath(sha256Hex: String) -> String {
        blobs.path(for: sha256Hex)
    }

    public func readBlob(sha256Hex: String) throws(StoreError) -> [UInt8] {
        try blobs.read(sha256Hex)
    }

    @discardableResult
    public func deleteUnreferencedBlobs(minimumAgeSeconds: Int) throws(StoreError) -> Int {
        // The lock is held across the sweep so no function version can start referencing
        // a blob between reading the references and deleting the files.
        try withDatabase { database throws(StoreError) in
            let referenced = try referencedBlobs(database)
            // File times are wall-clock times, whatever clock the store was given.
            let nowSeconds = Int(Date().timeIntervalSince1970)
            return try blobs.sweep(
                keeping: referenced, minimumAgeSeconds: minimumAgeSeconds, nowSeconds: nowSeconds)
        }
    }
}
