import Foundation

/// Zip archives of function code: validated before anything is trusted, unpacked
/// without leaving the target directory, and built from a directory tree.
///
/// Every entry is checked: no absolute paths, no ".." components, no symbolic link
/// that resolves outside the root (following the archive's own links), no entry
/// beneath a link, no hard link to anything but a file in the archive, no special files.
/// Sizes are counted by decompressing, never taken from headers, and work stops as
/// soon as the limit is passed, so a zip bomb costs bounded time.
public enum ZipArchive {
    /// Validates a zip held in memory and summarises its files.
    ///
    /// - Parameters:
    ///   - data: The zip's bytes.
    ///   - maxUncompressedBytes: The most file data the archive may unpack to.
    /// - Returns: The regular files' count, paths and total uncompressed size.
    /// - Throws: `.corrupt` with libarchive's reason, `.empty` for an archive with no entries,
    ///   `.tooLarge`, or `.unsafeEntry` naming the offending entry.
    public static func inspect(
        _ data: some ContiguousBytes, maxUncompressedBytes: Int64
    ) throws(ArchiveError) -> ZipSummary {
        try withBytes(data) { buffer throws(ArchiveError) in
            try scan(buffer, maxUncompressedBytes: maxUncompressedBytes)
        }
    }

    /// Validates a zip held in memory, then unpacks it into `directory`.
    ///
    /// The tree is built in a hidden sibling directory and renamed into place only when
    /// complete, so `directory` either receives the whole archive or is left as it was;
    /// on failure nothing partial remains. `directory` is created if missing (with its
    /// parents) and, if it exists, must be an empty directory.
    ///
    /// Files keep their permission bits from the zip (so an executable `bootstrap` stays
    /// executable) without set-id, sticky, group-write or world-write bits; entries that
    /// carry no permissions get 0644 for files and 0755 for directories. Links are never
    /// followed while writing.
    ///
    /// - Returns: The same summary as `inspect`.
    /// - Throws: Everything `inspect` throws, and `.io` when the file system refuses.
    @discardableResult
    public static func extract(
        _ data: some ContiguousBytes, to directory: String, maxUncompressedBytes: Int64
    ) throws(ArchiveError) -> ZipSummary {
        try withBytes(data) { buffer throws(ArchiveError) in
            let summary = try scan(buffer, maxUncompressedBytes: maxUncompressedBytes)
            try ZipExtractor.extract(buffer, to: directory, maxUncompressedBytes: maxUncompressedBytes)
            return summary
        }
    }

    /// Zips the tree under `directory`: every file, directory and symbolic link beneath
    /// it (hidden ones too), in byte order of their names, keeping permission bits and
    /// modification times. Links are stored as links, not followed.
    ///
    /// - Returns: The zip's bytes.
    /// - Throws: `.empty` when there is nothing beneath `directory`, `.unsafeEntry` for a
    ///   special file (device, socket, FIFO), `.io` when reading fails.
    public static func create(fromDirectory directory: String) throws(ArchiveError) -> [UInt8] {
        try FileSystem.withUTF8Names { () throws(ArchiveError) -> [UInt8] in
            try ZipWriter.zip(directory: directory)
        }
    }

    /// Reads every entry, enforcing the size limit as data is decompressed, then checks
    /// the rules that need the whole archive.
    static func scan(
        _ buffer: UnsafeRawBufferPointer, maxUncompressedBytes limit: Int64
    ) throws(ArchiveError) -> ZipSummary {
        var reader = try ZipReader(buffer)
        var table = EntryTable()
        var total: Int64 = 0
        while let entry = try reader.nextEntry() {
            let (path, kind) = try entry.classify()
            try table.add(path, kind)
            guard kind == .file else { continue }
            _ = try reader.readData { block, _ throws(ArchiveError) in
                total += Int64(block.count)
                if total > limit { throw .tooLarge(limit: limit) }
            }
        }
        guard table.entryCount > 0 else {
            throw ArchiveError(.empty, "The zip file has no entries.")
        }
        try table.validate()
        let paths = table.filePaths
        return ZipSummary(fileCount: paths.count, uncompressedBytes: total, paths: paths)
    }

    /// Runs `body` over `data`'s bytes with UTF-8 entry names, carrying the typed error
    /// out of the untyped `withUnsafeBytes`.
    private static func withBytes<R>(
        _ data: some ContiguousBytes, _ body: (UnsafeRawBufferPointer) throws(ArchiveError) -> R
    ) throws(ArchiveError) -> R {
        let result = data.withUnsafeBytes { buffer in
            Result { () throws(ArchiveError) -> R in
                try FileSystem.withUTF8Names { () throws(ArchiveError) -> R in try body(buffer) }
            }
        }
        return try result.get()
    }
}
