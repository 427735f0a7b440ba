import Foundation
import Glibc

/// The module's one door to the kernel: every file system call the archive code
/// makes goes through here, retries on EINTR, and fails with an error that names
/// the call, the path and the OS's reason.
enum FileSystem {
    /// What `lstat` says about a path, without following a final symbolic link.
    struct Status {
        var fileType: UInt32
        var permissions: UInt32
        var size: Int64
        var modificationSeconds: Int

        var isDirectory: Bool { fileType == FileType.directory }
    }

    static func status(_ path: String) throws(ArchiveError) -> Status {
        var info = stat()
        guard lstat(path, &info) == 0 else { throw failure("lstat", path) }
        return Status(
            fileType: UInt32(info.st_mode) & FileType.mask,
            permissions: UInt32(info.st_mode) & 0o7777,
            size: Int64(info.st_size),
            modificationSeconds: Int(info.st_mtim.tv_sec)
        )
    }

    /// Whether anything, even a dangling link, exists at `path`.
    static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    static func readLink(_ path: String) throws(ArchiveError) -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink(path, &buffer, buffer.count - 1)
        guard length >= 0 else { throw failure("readlink", path) }
        return String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The names in directory `path`, without "." and "..", in byte order so that
    /// archives built from the same tree are laid out the same way.
    static func sortedNames(inDirectory path: String) throws(ArchiveError) -> [String] {
        guard let directory = opendir(path) else { throw failure("opendir", path) }
        defer { closedir(directory) }
        var names: [String] = []
        while true {
            errno = 0
            guard let entry = readdir(directory) else {
                if errno != 0 { throw failure("readdir", path) }
                break
            }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
                String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    static func isEmptyDirectory(_ path: String) throws(ArchiveError) -> Bool {
        try sortedNames(inDirectory: path).isEmpty
    }

    /// Creates `path` and any missing parents with `permissions`; an existing directory is fine.
    static func makeDirectories(_ path: String, permissions: mode_t = 0o755) throws(ArchiveError) {
        if let existing = try? status(path), existing.isDirectory { return }
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty && parent != path {
            try makeDirectories(parent, permissions: permissions)
        }
        guard mkdir(path, permissions) == 0 || errno == EEXIST else { throw failure("mkdir", path) }
    }

    /// The canonical absolute form of existing `path`, with every link resolved.
    static func canonicalPath(_ path: String) throws(ArchiveError) -> String {
        guard let resolved = realpath(path, nil) else { throw failure("realpath", path) }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    static func rename(_ source: String, to destination: String) throws(ArchiveError) {
        guard Glibc.rename(source, destination) == 0 else {
            throw failure("rename", "\(source) to \(destination)")
        }
    }

    static func setPermissions(_ path: String, _ permissions: mode_t) throws(ArchiveError) {
        guard chmod(path, permissions) == 0 else { throw failure("chmod", path) }
    }

    /// Removes `path` and, for a directory, everything beneath it, never following links.
    static func removeTree(_ path: String) {
        // Best effort: this cleans up after another failure, which is the one to report.
        guard let existing = try? status(path) else { return }
        if existing.isDirectory {
            _ = chmod(path, 0o700)
            for name in (try? sortedNames(inDirectory: path)) ?? [] {
                removeTree(path + "/" + name)
            }
            _ = rmdir(path)
        } else {
            _ = unlink(path)
        }
    }

    /// Calls `body` with successive chunks of the regular file at `path`, reading exactly
    /// `expectedSize` bytes and refusing a file that shrank meanwhile.
    static func readFile(
        _ path: String, expectedSize: Int64, _ body: (UnsafeRawBufferPointer) throws(ArchiveError) -> Void
    ) throws(ArchiveError) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard descriptor >= 0 else { throw failure("open", path) }
        defer { close(descriptor) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 1)
        defer { buffer.deallocate() }
        var remaining = expectedSize
        while remaining > 0 {
            let wanted = Int(min(Int64(buffer.count), remaining))
            let count = try readRetrying(descriptor, buffer.baseAddress, wanted, path: path)
            guard count > 0 else { throw ArchiveError(.io, "The file \(path) shrank while it was read.") }
            try body(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
            remaining -= Int64(count)
        }
    }

    private static func readRetrying(
        _ descriptor: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int, path: String
    ) throws(ArchiveError) -> Int {
        while true {
            let result = read(descriptor, buffer, count)
            if result >= 0 { return result }
            if errno != EINTR { throw failure("read", path) }
        }
    }

    /// Runs `body` with the calling thread's character type set to UTF-8, so libarchive
    /// converts entry names to and from UTF-8 rather than failing on any non-ASCII name
    /// in the process's default "C" locale. Only this thread is affected (uselocale).
    static func withUTF8Names<R>(_ body: () throws(ArchiveError) -> R) throws(ArchiveError) -> R {
        guard let utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", nil) else { return try body() }
        let previous = uselocale(utf8)
        defer {
            uselocale(previous)
            freelocale(utf8)
        }
        return try body()
    }

    /// An `.io` error for the system call `call` on `path`, with the current errno's text.
    static func failure(_ call: String, _ path: String) -> ArchiveError {
        let reason = String(cString: strerror(errno))
        return ArchiveError(.io, "\(call)(\(path)) failed: \(reason).")
    }
}
