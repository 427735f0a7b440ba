import CSandbox
import CSystem
import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Disk-backed `/tmp` for environments: sparse ext4 images of EphemeralStorage
/// size, formatted ahead of time off the event loop and kept ready per size.
///
/// Each image is attached to a loop device that frees itself when its last
/// user goes (the sandbox's mount), and its file is unlinked at once: nothing
/// is left on disk when the environment ends, even if the server dies.
/// Unlike a tmpfs, the files live on disk, so they do not count against the
/// environment's memory limit beyond reclaimable page cache.
public final class ScratchImages: Sendable {
    /// Where images are made; must be on a real disk and readable only by root.
    public let directory: String
    /// Ready images kept per size.
    let spares: Int
    /// Images already attached to loop devices, per size in megabytes.
    private let ready = Mutex<[Int: [Device]]>([:])
    private let counter = Atomic<Int>(0)
    private let queue = DispatchQueue(label: "swiftlet.sandbox.scratch-images")

    static let mkfs = "/usr/sbin/mkfs.ext4"

    /// One pool per directory, shared by every launch of the process.
    private static let pools = Mutex<[String: ScratchImages]>([:])

    static func pool(directory: String) -> ScratchImages {
        pools.withLock { pools in
            if let pool = pools[directory] {
                return pool
            }
            let pool = ScratchImages(directory: directory, spares: 2)
            pool.removeStale()
            pools[directory] = pool
            return pool
        }
    }

    init(directory: String, spares: Int) {
        self.directory = directory
        self.spares = spares
    }

    /// An open loop device and its path.
    struct Device: Sendable {
        var descriptor: Int32
        var path: String
    }

    /// An attached loop device holding a fresh filesystem of `megabytes` (one
    /// kept ready if there is one, else made now); a replacement is queued.
    /// The caller closes the descriptor once the device is mounted.
    func attach(megabytes: Int) throws(SandboxError) -> (descriptor: Int32, path: String) {
        let taken = ready.withLock { ready in ready[megabytes]?.popLast() }
        queue.async { [self] in refill(megabytes: megabytes) }
        if let taken {
            return (taken.descriptor, taken.path)
        }
        let device = try makeDevice(megabytes: megabytes)
        return (device.descriptor, device.path)
    }

    private func refill(megabytes: Int) {
        while ready.withLock({ $0[megabytes, default: []].count }) < spares {
            guard let device = try? makeDevice(megabytes: megabytes) else { return }
            ready.withLock { $0[megabytes, default: []].append(device) }
        }
    }

    /// Makes an image and attaches it; the file is unlinked at once, since the
    /// loop device keeps it alive and frees it when the last user goes.
    private func makeDevice(megabytes: Int) throws(SandboxError) -> Device {
        let image = try make(megabytes: megabytes)
        defer { unlink(image) }
        let file = try Kernel.open(image, O_RDWR | O_CLOEXEC, step: "open")
        defer { close(file) }
        var descriptor: Int32 = -1
        var path = [CChar](repeating: 0, count: 64)
        let result = swiftlet_loop_attach(file, &descriptor, &path, Int32(path.count))
        guard result == 0 else { throw SandboxError(step: "attach \(image) to a loop device", errno: result) }
        return Device(
            descriptor: descriptor,
            path: String(decoding: path.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }

    /// Creates and formats a sparse image; blocks for the mkfs run.
    func make(megabytes: Int) throws(SandboxError) -> String {
        try Kernel.makeDirectory(directory, existingIsFine: true)
        chmod(directory, 0o700)
        let path = "\(directory)/tmp-\(getpid())-\(counter.add(1, ordering: .relaxed).newValue).img"
        let file = try Kernel.open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, step: "create")
        let sized = ftruncate(file, off_t(megabytes) * 1_048_576)
        let code = errno
        close(file)
        guard sized == 0 else {
            unlink(path)
            throw SandboxError(step: "size \(path)", errno: code)
        }
        // No journal (nothing survives the environment anyway), no reserved
        // blocks, root of the filesystem owned by the sandbox user.
        let uid = SandboxSpec.sandboxUser
        let arguments = [
            Self.mkfs, "-q", "-F", "-O", "^has_journal,^resize_inode", "-m", "0",
            "-E", "nodiscard,lazy_itable_init=1,root_owner=\(uid):\(uid)", path,
        ]
        do {
            try run(arguments)
        } catch {
            unlink(path)
            throw error
        }
        return path
    }

    private func run(_ arguments: [String]) throws(SandboxError) {
        let null = try Kernel.open("/dev/null", O_RDWR | O_CLOEXEC, step: "open")
        defer { close(null) }
        var pid: pid_t = 0
        let result = CStrings.with(arguments) { argv in
            CStrings.with(["PATH=/usr/sbin:/usr/bin:/sbin:/bin"]) { envp in
                swiftlet_spawn(arguments[0], argv, envp, "/", null, null, null, &pid)
            }
        }
        guard result == 0 else { throw SandboxError(step: "spawn \(arguments[0])", errno: result) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        guard status == 0 else { throw SandboxError(step: "\(arguments[0]) exited with \(status)", errno: EIO) }
    }

    /// Deletes the ready images of every pool (at server shutdown).
    static func discardSpares() {
        for pool in pools.withLock({ Array($0.values) }) {
            pool.queue.sync {}
            // Closing the last descriptor detaches the device and frees the image.
            for device in pool.ready.withLock({ ready in ready.values.flatMap { $0 } }) {
                close(device.descriptor)
            }
            pool.ready.withLock { $0.removeAll() }
        }
    }

    /// Deletes images a dead server left (named after its pid).
    private func removeStale() {
        for name in Kernel.entries(of: directory) {
            let parts = name.split(separator: "-")
            guard parts.count == 3, parts[0] == "tmp", let pid = pid_t(parts[1]) else { continue }
            if pid == getpid() || (kill(pid, 0) != 0 && errno == ESRCH) {
                unlink(directory + "/" + name)
            }
        }
    }
}
