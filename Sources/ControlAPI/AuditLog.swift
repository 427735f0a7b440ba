import Foundation
import HTTP
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
        // Written by hand: this runs on every request, and JSONSerialization would cost more
        // than verifying the request's signature.
        var line = "{\"time\":\"" + UTCTimestamp.iso8601(LambdaService.now(), fractional: true) + "\""
        Self.append(&line, "requestId", entry.requestId)
        Self.append(&line, "principal", entry.principal)
        if let accessKeyId = entry.accessKeyId, !accessKeyId.isEmpty {
            Self.append(&line, "accessKeyId", accessKeyId)
        }
        Self.append(&line, "action", entry.action)
        Self.append(&line, "resource", entry.resource)
        Self.append(&line, "decision", entry.allowed ? "Allow" : "Deny")
        Self.append(&line, "reason", entry.reason)
        line += "}\n"
        descriptor.withLock { descriptor in
            let bytes = Array(line.utf8)
            bytes.withUnsafeBytes { buffer in
                var offset = 0
                while offset < buffer.count {
                    let written = write(descriptor, buffer.baseAddress.map { $0 + offset }, buffer.count - offset)
                    if written < 0, errno == EINTR { continue }
                    guard written > 0 else { return }
                    offset += written
                }
            }
        }
    }

    /// `,"name":"value"` with the value escaped as JSON requires.
    static func append(_ line: inout String, _ name: String, _ value: String) {
        line += ",\"" + name + "\":"
        JSONText.appendQuoted(value, to: &line)
    }
}
