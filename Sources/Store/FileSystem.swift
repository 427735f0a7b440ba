import Foundation
import Glibc

/// The store's one door to the kernel for blob files: every call retries on EINTR and
/// fails with an error naming the call, the path and the OS's reason.
enum FileSystem {
    /// Creates `path` and missing parents; an existing directory is fine.
    ///
    /// - Returns: Whether `path` itself had to be created.
    @discardableResult
    static func makeDirectories(_ path: String) throws(StoreError) -> Bool {
        if isDirectory(path) { return false }
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty && parent != path {
            try makeDirectories(parent)
        }
        guard mkdir(path, 0o755) == 0 else {
            if errno == EEXIST && isDirectory(path) { return false }
            throw failure("mkdir", path)
        }
        return true
    }

    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// The size and modification time of the file at `path`, or nil when there is none.
    static func attributes(_ path: String) throws(StoreError) -> (size: Int64, modificationSeconds: Int)? {
        var info = stat()
        guard stat(path, &info) == 0 else {
            if errno == ENOENT { return nil }
            throw failure("stat", path)
        }
        return (Int64(info.st_size), Int(info.st_mtim.tv_sec))
    }

    /// Sets the modification time of `path` to now.
    static func touch(_ path: String) throws(StoreError) {
        guard utimensat(AT_FDCWD, path, nil, 0) == 0 else { throw failure("utimensat", path) }
    }

    /// Writes `bytes` to `path` so that readers see either the old file or the whole new
    /// one, and the new one survives a crash once this returns: a temporary file beside
    /// it is written and fsynced, renamed over `path`, then the directory is fsynced.
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws(StoreError) {
        let directory = (path as NSString).deletingLastPathComponent
        let temporary = directory + "/" + temporaryPrefix + UUID().uuidString
        do throws(StoreError) {
            try writeDurably(bytes, to: temporary)
            guard rename(temporary, path) == 0 else { throw failure("rename", temporary) }
        } catch {
            _ = unlink(temporary)
            throw error
        }
        try syncDirectory(directory)
    }

    /// Names of files that `writeAtomically` has not yet renamed into place.
    static let temporaryPrefix = ".tmp-"

    private static func writeDurably(_ bytes: [UInt8], to path: String) throws(StoreError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw failure("open", path) }
        defer { close(descriptor) }
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { buffer in
                write(descriptor, buffer.baseAddress.map { $0 + written }, buffer.count - written)
            }
            if result < 0 && errno == EINTR { continue }
            guard result > 0 else { throw failure("write", path) }
            written += result
        }
        guard fsync(descriptor) == 0 else { throw failure("fsync", path) }
    }

    /// Makes a directory's entries (a rename, a new file) durable.
    static func syncDirectory(_ path: String) throws(StoreError) {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure("open", path) }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw failure("fsync", path) }
    }

    /// The whole file at `path`, or nil when there is none.
    static func read(_ path: String) throws(StoreError) -> [UInt8]? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ENOENT { return nil }
            throw failure("open", path)
        }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 256 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw failure("read", path) }
            if count == 0 { return bytes }
            bytes.append(contentsOf: chunk[..<count])
        }
    }

    /// The names in directory `path` without "." and ".."; none when it does not exist.
    static func names(inDirectory path: String) throws(StoreError) -> [String] {
        guard let directory = opendir(path) else {
            if errno == ENOENT { return [] }
            throw failure("opendir", path)
        }
        defer { closedir(directory) }
        var names: [String] = []
        while true {
            errno = 0
            guard let entry = readdir(directory) else {
                if errno != 0 { throw failure("readdir", path) }
                return names
            }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
                String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
    }

    /// Removes the file at `path`; a file that is already gone is fine.
    static func remove(_ path: String) throws(StoreError) {
        guard unlink(path) == 0 || errno == ENOENT else { throw failure("unlink", path) }
    }

    private static func failure(_ call: String, _ path: String) -> StoreError {
        StoreError(.io, "\(call)(\(path)) failed: \(String(cString: strerror(errno))).")
    }
}
