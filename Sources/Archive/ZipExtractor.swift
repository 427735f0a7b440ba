import CArchive
import Foundation

/// Unpacks an already validated zip into a staging directory and moves it into place.
enum ZipExtractor {
    static func extract(
        _ buffer: UnsafeRawBufferPointer, to directory: String, maxUncompressedBytes: Int64
    ) throws(ArchiveError) {
        let destination = try prepareDestination(directory)
        let staging = stagingPath(for: destination)
        do {
            try FileSystem.makeDirectories(staging)
            try FileSystem.setPermissions(staging, 0o755)
            try write(buffer, into: staging, maxUncompressedBytes: maxUncompressedBytes)
            // Renaming over an empty directory is atomic; a non-empty one makes it fail.
            try FileSystem.rename(staging, to: destination)
        } catch {
            FileSystem.removeTree(staging)
            throw error
        }
    }

    /// Resolves `directory` to a canonical absolute path (links in its parent resolved, so
    /// libarchive's link checks see none) and refuses an existing non-empty destination.
    private static func prepareDestination(_ directory: String) throws(ArchiveError) -> String {
        let absolute =
            directory.hasPrefix("/")
            ? directory : FileManager.default.currentDirectoryPath + "/" + directory
        let url = URL(fileURLWithPath: absolute).standardized
        let name = url.lastPathComponent
        guard !name.isEmpty, name != "/", name != ".", name != ".." else {
            throw ArchiveError(.io, "Cannot extract into \(directory): it names no directory.")
        }
        let parent = url.deletingLastPathComponent().path
        try FileSystem.makeDirectories(parent)
        let destination = try FileSystem.canonicalPath(parent) + "/" + name
        guard FileSystem.exists(destination) else { return destination }
        guard try FileSystem.status(destination).isDirectory,
            try FileSystem.isEmptyDirectory(destination)
        else {
            throw ArchiveError(
                .io, "Cannot extract into \(directory): it exists and is not an empty directory.")
        }
        return destination
    }

    private static func stagingPath(for destination: String) -> String {
        let url = URL(fileURLWithPath: destination)
        let name = ".\(url.lastPathComponent).partial-\(UUID().uuidString)"
        return url.deletingLastPathComponent().appendingPathComponent(name).path
    }

    /// Writes every entry beneath `root`, counting decompressed bytes again as a second guard.
    private static func write(
        _ buffer: UnsafeRawBufferPointer, into root: String, maxUncompressedBytes limit: Int64
    ) throws(ArchiveError) {
        var reader = try ZipReader(buffer)
        let disk = try DiskWriter()
        var total: Int64 = 0
        while let entry = try reader.nextEntry() {
            let (path, kind) = try entry.classify()
            guard !path.isEmpty else { continue }
            prepare(entry, path: path, kind: kind, root: root)
            try disk.writeHeader(entry, path: path)
            if kind == .file {
                _ = try reader.readData { block, offset throws(ArchiveError) in
                    total += Int64(block.count)
                    if total > limit { throw .tooLarge(limit: limit) }
                    try disk.writeBlock(block, offset: offset, path: path)
                }
            }
            try disk.finishEntry(path: path)
        }
        try disk.close()
    }

    /// Points the entry at its place under `root` and settles its permission bits.
    private static func prepare(_ entry: Entry, path: String, kind: EntryKind, root: String) {
        archive_entry_copy_pathname(entry.handle, root + "/" + path)
        switch kind {
        case .file:
            archive_entry_set_perm(entry.handle, mode_t(filePermissions(entry.permissions)))
        case .directory:
            archive_entry_set_perm(entry.handle, mode_t(directoryPermissions(entry.permissions)))
        case .hardlink(let target):
            archive_entry_copy_hardlink(entry.handle, root + "/" + target)
        case .symlink:
            break
        }
    }

    /// The zip's bits, owner-readable, never group- or world-writable; 0644 when the zip
    /// carries none. Zips made on Windows get 0664 from libarchive and so end up 0644 too.
    static func filePermissions(_ zipPermissions: UInt32) -> UInt32 {
        zipPermissions == 0 ? 0o644 : (zipPermissions | 0o400) & ~0o022
    }

    /// The zip's bits, owner-traversable (so the tree can be removed), never group- or
    /// world-writable; 0755 when the zip carries none, which libarchive reports as 0111.
    static func directoryPermissions(_ zipPermissions: UInt32) -> UInt32 {
        zipPermissions & ~0o111 == 0 ? 0o755 : (zipPermissions | 0o700) & ~0o022
    }
}

/// libarchive's disk writer, set to refuse writing through links or ".." even though
/// entries were validated already: a second, independent guard.
///
/// Absolute paths must stay allowed (no ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS) because
/// entries are written as the canonical staging directory plus a validated relative path,
/// which avoids changing the process-wide working directory.
private struct DiskWriter: ~Copyable {
    private let archive: OpaquePointer

    init() throws(ArchiveError) {
        guard let archive = archive_write_disk_new() else {
            throw ArchiveError(.io, "Could not allocate a disk writer.")
        }
        let options =
            ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT
            | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME
        guard archive_write_disk_set_options(archive, options) == ARCHIVE_OK else {
            archive_write_free(archive)
            throw ArchiveError(.io, "Could not configure the disk writer.")
        }
        self.archive = archive
    }

    deinit {
        archive_write_free(archive)
    }

    func writeHeader(_ entry: Entry, path: String) throws(ArchiveError) {
        try check(archive_write_header(archive, entry.handle), path)
    }

    func writeBlock(_ block: UnsafeRawBufferPointer, offset: Int64, path: String) throws(ArchiveError) {
        guard let base = block.baseAddress, !block.isEmpty else { return }
        try check(Int32(clamping: archive_write_data_block(archive, base, block.count, offset)), path)
    }

    func finishEntry(path: String) throws(ArchiveError) {
        try check(archive_write_finish_entry(archive), path)
    }

    /// Applies deferred directory permissions and times.
    func close() throws(ArchiveError) {
        try check(archive_write_close(archive), "the extracted tree")
    }

    /// Treats ARCHIVE_WARN (such as a time that could not be set) as success.
    private func check(_ status: Int32, _ path: String) throws(ArchiveError) {
        guard status < ARCHIVE_WARN else { return }
        throw ArchiveError(.io, "Could not write \(path): \(libarchiveMessage(archive)).")
    }
}
