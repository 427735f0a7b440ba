import CArchive
import Foundation

/// Builds a zip in memory with libarchive, entry by entry.
final class ZipWriter {
    /// Where libarchive's write callback appends the archive's bytes.
    private final class Output {
        var bytes: [UInt8] = []
    }

    private let archive: OpaquePointer
    private let output = Output()
    private var entryCount = 0

    /// Zips everything beneath `directory`, in byte order of names, depth first.
    static func zip(directory: String) throws(ArchiveError) -> [UInt8] {
        let writer = try ZipWriter()
        try writer.addChildren(of: directory, relativePath: "")
        guard writer.entryCount > 0 else {
            throw ArchiveError(.empty, "The directory \(directory) holds nothing to zip.")
        }
        return try writer.finish()
    }

    private init() throws(ArchiveError) {
        guard let archive = archive_write_new() else {
            throw ArchiveError(.io, "Could not allocate a zip writer.")
        }
        self.archive = archive
        let client = Unmanaged.passUnretained(output).toOpaque()
        let opened =
            archive_write_set_format_zip(archive) == ARCHIVE_OK
            && archive_write_set_bytes_in_last_block(archive, 1) == ARCHIVE_OK
            && archive_write_open2(
                archive, client, nil,
                { _, client, buffer, length in
                    guard let client, let buffer else { return 0 }
                    // The writer owns `output` and outlives the archive handle that calls back.
                    let output = Unmanaged<Output>.fromOpaque(client).takeUnretainedValue()
                    output.bytes.append(contentsOf: UnsafeRawBufferPointer(start: buffer, count: length))
                    return la_ssize_t(length)
                }, nil, nil) == ARCHIVE_OK
        guard opened else {
            throw ArchiveError(.io, "Could not start a zip: \(libarchiveMessage(archive)).")
        }
    }

    deinit {
        archive_write_free(archive)
    }

    private func addChildren(of directory: String, relativePath: String) throws(ArchiveError) {
        for name in try FileSystem.sortedNames(inDirectory: directory) {
            let path = directory + "/" + name
            let relative = relativePath.isEmpty ? name : relativePath + "/" + name
            let status = try FileSystem.status(path)
            switch status.fileType {
            case FileType.directory:
                try add(relative, status)
                try addChildren(of: path, relativePath: relative)
            case FileType.regular:
                try add(relative, status, contentsOf: path)
            case FileType.symlink:
                try add(relative, status, linkTarget: try FileSystem.readLink(path))
            default:
                throw .unsafe(path, "is a special file, which a code archive may not contain")
            }
        }
    }

    /// Writes one entry: its header, then a regular file's contents.
    private func add(
        _ relativePath: String, _ status: FileSystem.Status, contentsOf file: String? = nil,
        linkTarget: String? = nil
    ) throws(ArchiveError) {
        guard let entry = archive_entry_new() else {
            throw ArchiveError(.io, "Could not allocate a zip entry.")
        }
        defer { archive_entry_free(entry) }
        archive_entry_set_pathname_utf8(entry, relativePath)
        archive_entry_set_filetype(entry, status.fileType)
        archive_entry_set_perm(entry, mode_t(status.permissions & 0o777))
        archive_entry_set_mtime(entry, time_t(status.modificationSeconds), 0)
        archive_entry_set_size(entry, file == nil ? 0 : status.size)
        if let linkTarget { archive_entry_set_symlink_utf8(entry, linkTarget) }
        try check(archive_write_header(archive, entry), relativePath)
        if let file { try copyContents(of: file, size: status.size, entry: relativePath) }
        try check(archive_write_finish_entry(archive), relativePath)
        entryCount += 1
    }

    private func copyContents(of file: String, size: Int64, entry: String) throws(ArchiveError) {
        try FileSystem.readFile(file, expectedSize: size) { chunk throws(ArchiveError) in
            guard let base = chunk.baseAddress else { return }
            let written = archive_write_data(archive, base, chunk.count)
            guard written == chunk.count else {
                throw ArchiveError(.io, "Could not zip \(entry): \(libarchiveMessage(archive)).")
            }
        }
    }

    /// Writes the central directory and returns the finished archive.
    private func finish() throws(ArchiveError) -> [UInt8] {
        try check(archive_write_close(archive), "the central directory")
        return output.bytes
    }

    private func check(_ status: Int32, _ what: String) throws(ArchiveError) {
        guard status < ARCHIVE_WARN else { return }
        throw ArchiveError(.io, "Could not zip \(what): \(libarchiveMessage(archive)).")
    }
}
