#if canImport(Glibc)
    import Glibc
#endif

/// The Sandbox module's one door to the kernel for files: each call retries
/// on EINTR and fails with the step and path it was doing.
enum Kernel {
    static func write(_ text: String, to path: String) throws(SandboxError) {
        let descriptor = try open(path, O_WRONLY | O_CLOEXEC, step: "open")
        defer { close(descriptor) }
        var bytes = Array(text.utf8)
        let count = retrying { bytes.withUnsafeMutableBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) } }
        guard count == bytes.count else { throw SandboxError(step: "write \(path)", errno: errno) }
    }

    /// The file's text, or nil if it cannot be read (a missing knob is not an error).
    static func read(_ path: String) -> String? {
        let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var text: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = retrying { chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) } }
            guard count > 0 else { break }
            text += chunk[0..<count]
        }
        return String(decoding: text, as: UTF8.self)
    }

    static func open(_ path: String, _ flags: Int32, step: String) throws(SandboxError) -> Int32 {
        let descriptor = retrying { Glibc.open(path, flags) }
        guard descriptor >= 0 else { throw SandboxError(step: "\(step) \(path)", errno: errno) }
        return descriptor
    }

    /// mkdir; an existing directory is fine when `existingIsFine`.
    static func makeDirectory(_ path: String, existingIsFine: Bool = false) throws(SandboxError) {
        guard mkdir(path, 0o755) == 0 || (existingIsFine && errno == EEXIST) else {
            throw SandboxError(step: "mkdir \(path)", errno: errno)
        }
    }

    /// The names in a directory (without . and ..); empty if it cannot be read.
    static func entries(of path: String) -> [String] {
        guard let directory = opendir(path) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." {
                names.append(name)
            }
        }
        return names
    }

    static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    static func retrying<T: BinaryInteger>(_ call: () -> T) -> T {
        while true {
            let result = call()
            if result >= 0 || errno != EINTR {
                return result
            }
        }
    }
}
