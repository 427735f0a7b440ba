import Foundation

/// Lines for the person running the server, on standard error: a constant
/// message plus dotted metadata keys. Never payloads, never secrets.
enum OperatorLog {
    static func warning(_ message: String, _ metadata: [String: String] = [:]) {
        write("warning", message, metadata)
    }

    static func info(_ message: String, _ metadata: [String: String] = [:]) {
        write("info", message, metadata)
    }

    private static func write(_ level: String, _ message: String, _ metadata: [String: String]) {
        let fields = metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let line = "swiftlet: \(level): \(message)" + (fields.isEmpty ? "" : " \(fields)") + "\n"
        FileHandle.standardError.write(Data(line.utf8))
    }
}
