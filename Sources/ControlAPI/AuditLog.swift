import Foundation
import Synchronization

/// The control plane's decisions, one JSON object per line, appended to a file only
/// the server's user can read: who asked, for what, on what, and the answer with its reason.
///
/// Each entry is one `write(2)` on a descriptor opened with `O_APPEND`, so lines from
/// concurrent requests never interleave and an entry is in the kernel when the request
/// is answered. Secrets never appear: callers are named by ARN and access key id.
final class AuditLog: Sendable {
    struct Entry {
        var requestId: String
        var principal: String
        var accessKeyId: String?
        var action: String
        var resource: String
        var allowed: Bool
        var reason: String
    }

    private let descriptor: Mutex<Int32>

    /// Opens (creating with mode 0600) the log at `path`; nil when the file cannot be opened.
    init?(path: String) {
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { return nil }
        self.descriptor = Mutex(descriptor)
    }

    deinit {
        descriptor.withLock { _ = close($0) }
    }

    func record(_ entry: Entry) {
        var members: [String: JSONValue] = [
            "time": .string(Self.timestamp()), "requestId": .string(entry.requestId),
            "principal": .string(entry.principal), "action": .string(entry.action),
            "resource": .string(entry.resource), "decision": .string(entry.allowed ? "Allow" : "Deny"),
            "reason": .string(entry.reason),
        ]
        if let accessKeyId = entry.accessKeyId {
            members["accessKeyId"] = .string(accessKeyId)
        }
        var line = JSONValue.object(members).serialized()
        line.append(UInt8(ascii: "\n"))
        descriptor.withLock { descriptor in
            line.withUnsafeBytes { bytes in
                var offset = 0
                while offset < bytes.count {
                    let written = write(descriptor, bytes.baseAddress.map { $0 + offset }, bytes.count - offset)
                    if written < 0, errno == EINTR { continue }
                    guard written > 0 else { return }
                    offset += written
                }
            }
        }
    }

    /// Milliseconds-precision UTC, as CloudTrail writes eventTime.
    private static func timestamp() -> String {
        let now = Date().timeIntervalSince1970
        var seconds = time_t(now)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let milliseconds = Int((now - Double(seconds)) * 1000)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
            Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), milliseconds)
    }
}
