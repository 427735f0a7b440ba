#if canImport(Glibc)
    import Glibc
#endif

/// An operating-system call that failed: its name and errno.
public struct SystemCallError: Error, CustomStringConvertible, Sendable {
    /// The system call that failed, such as `bind` or `epoll_ctl`.
    public let call: String
    /// The errno it set.
    public let errno: Int32

    public var description: String {
        "\(call) failed: \(String(cString: strerror(errno))) (errno \(errno))"
    }
}

/// The HTTP module's one door to the kernel: runs `body`, retrying on EINTR,
/// and turns a `-1` result into a `SystemCallError` naming the call.
@discardableResult
@inline(__always)
func systemCall<T: FixedWidthInteger>(
    _ name: String, _ body: () -> T
) throws(SystemCallError) -> T {
    while true {
        let result = body()
        if result != -1 {
            return result
        }
        let code = Glibc.errno
        if code == EINTR {
            continue
        }
        throw SystemCallError(call: name, errno: code)
    }
}
