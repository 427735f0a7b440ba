import CArchive

/// File types in an entry's mode, as libarchive reports them (AE_IF* in archive_entry.h,
/// whose cast macros Swift does not import).
enum FileType {
    static let mask: UInt32 = 0o170000
    static let regular: UInt32 = 0o100000
    static let directory: UInt32 = 0o040000
    static let symlink: UInt32 = 0o120000
}

/// A libarchive reader over a zip archive held in memory.
///
/// It owns the libarchive handle and frees it when it goes away; the memory it reads
/// must outlive it, so it lives only inside a `withUnsafeBytes` scope.
struct ZipReader: ~Copyable {
    private let archive: OpaquePointer

    /// Opens the zip in `buffer`.
    init(_ buffer: UnsafeRawBufferPointer) throws(ArchiveError) {
        guard let base = buffer.baseAddress, !buffer.isEmpty else {
            throw ArchiveError(.corrupt, "The zip file is corrupt. It has no bytes.")
        }
        guard let archive = archive_read_new() else {
            throw ArchiveError(.io, "Could not allocate a zip reader.")
        }
        guard archive_read_support_format_zip(archive) == ARCHIVE_OK,
            archive_read_open_memory(archive, base, buffer.count) == ARCHIVE_OK
        else {
            let error = Self.corrupt(archive, "Could not open the zip file")
            archive_read_free(archive)
            throw error
        }
        self.archive = archive
    }

    deinit {
        archive_read_free(archive)
    }

    /// Reads the next entry's header. The entry is valid until the next call.
    ///
    /// - Returns: The entry, or nil after the last one.
    mutating func nextEntry() throws(ArchiveError) -> Entry? {
        var entry: OpaquePointer?
        let status = archive_read_next_header(archive, &entry)
        if status == ARCHIVE_EOF { return nil }
        // ARCHIVE_WARN covers recoverable oddities such as a name in an unexpected charset.
        guard status == ARCHIVE_OK || status == ARCHIVE_WARN, let entry else {
            throw corrupt("Could not read an entry header")
        }
        return Entry(handle: entry)
    }

    /// Decompresses the current entry's data block by block, handing each block to `body`.
    ///
    /// - Returns: The number of bytes decompressed.
    func readData(
        _ body: (UnsafeRawBufferPointer, Int64) throws(ArchiveError) -> Void
    ) throws(ArchiveError) -> Int64 {
        var total: Int64 = 0
        while true {
            var block: UnsafeRawPointer?
            var size = 0
            var offset: Int64 = 0
            let status = archive_read_data_block(archive, &block, &size, &offset)
            if status == ARCHIVE_EOF { return total }
            // libarchive reports a CRC mismatch as ARCHIVE_WARN: for data that is corruption.
            guard status == ARCHIVE_OK else {
                throw corrupt("Could not decompress an entry")
            }
            total += Int64(size)
            try body(UnsafeRawBufferPointer(start: block, count: size), offset)
        }
    }

    private func corrupt(_ what: String) -> ArchiveError {
        Self.corrupt(archive, what)
    }

    /// An error of kind `.corrupt` carrying libarchive's own reason.
    private static func corrupt(_ archive: OpaquePointer, _ what: String) -> ArchiveError {
        ArchiveError(.corrupt, "The zip file is corrupt. \(what): \(libarchiveMessage(archive)).")
    }
}

/// libarchive's description of the last failure on `archive`.
func libarchiveMessage(_ archive: OpaquePointer) -> String {
    guard let message = archive_error_string(archive) else { return "unknown libarchive error" }
    return String(cString: message)
}

/// A borrowed view of one entry header inside a reader.
struct Entry {
    let handle: OpaquePointer

    /// The entry's name as stored, preferring its UTF-8 form; nil when libarchive could not
    /// convert it (an entry whose name cannot be read must not be skipped silently).
    var rawPath: String? {
        if let utf8 = archive_entry_pathname_utf8(handle) { return String(cString: utf8) }
        return archive_entry_pathname(handle).map { String(cString: $0) }
    }

    var fileType: UInt32 { UInt32(archive_entry_filetype(handle)) & FileType.mask }

    /// The permission bits, without set-id and sticky bits.
    var permissions: UInt32 { UInt32(archive_entry_perm(handle)) & 0o777 }

    var symlinkTarget: String? {
        if let utf8 = archive_entry_symlink_utf8(handle) { return String(cString: utf8) }
        return archive_entry_symlink(handle).map { String(cString: $0) }
    }

    var hardlinkTarget: String? {
        if let utf8 = archive_entry_hardlink_utf8(handle) { return String(cString: utf8) }
        return archive_entry_hardlink(handle).map { String(cString: $0) }
    }

    /// The normalised path and kind, refusing names and types extraction must not write.
    func classify() throws(ArchiveError) -> (path: String, kind: EntryKind) {
        guard let raw = rawPath else {
            throw ArchiveError(.corrupt, "The zip file is corrupt. An entry's name cannot be decoded.")
        }
        let path = try EntryPath.normalise(raw)
        if let target = hardlinkTarget {
            if target.hasPrefix("/") { throw .unsafe(raw, "is a hard link to an absolute path") }
            return (path, .hardlink(target: try EntryPath.normalise(target)))
        }
        switch fileType {
        case FileType.regular: return (path, .file)
        case FileType.directory: return (path, .directory)
        case FileType.symlink: return (path, .symlink(target: symlinkTarget ?? ""))
        default: throw .unsafe(raw, "is a special file, which a code archive may not contain")
        }
    }
}
