import Foundation

/// The platform's own log lines, worded as Lambda writes them.
enum LogFormat {
    static func start(requestId: String, version: String) -> String {
        "START RequestId: \(requestId) Version: \(version)"
    }

    static func end(requestId: String) -> String {
        "END RequestId: \(requestId)"
    }

    static func report(
        requestId: String, durationMilliseconds: Double, memoryMegabytes: Int, maxMemoryUsedMegabytes: Int,
        initDurationMilliseconds: Double?, status: String? = nil
    ) -> String {
        var line = "REPORT RequestId: \(requestId)\tDuration: \(twoDecimals(durationMilliseconds)) ms"
        line += "\tBilled Duration: \(Int(durationMilliseconds.rounded(.up))) ms"
        line += "\tMemory Size: \(memoryMegabytes) MB\tMax Memory Used: \(maxMemoryUsedMegabytes) MB"
        if let initDuration = initDurationMilliseconds {
            line += "\tInit Duration: \(twoDecimals(initDuration)) ms"
        }
        if let status {
            line += "\tStatus: \(status)"
        }
        return line + "\t"
    }

    /// `platform.start` of the JSON log format.
    static func jsonStart(requestId: String, version: String) -> String {
        json(type: "platform.start", record: ["requestId": requestId, "version": version])
    }

    /// `platform.report` of the JSON log format.
    static func jsonReport(
        requestId: String, durationMilliseconds: Double, memoryMegabytes: Int, maxMemoryUsedMegabytes: Int,
        initDurationMilliseconds: Double?, status: String?
    ) -> String {
        var metrics: [String: Any] = [
            "durationMs": (durationMilliseconds * 100).rounded() / 100,
            "billedDurationMs": Int(durationMilliseconds.rounded(.up)),
            "memorySizeMB": memoryMegabytes, "maxMemoryUsedMB": maxMemoryUsedMegabytes,
        ]
        if let initDuration = initDurationMilliseconds {
            metrics["initDurationMs"] = (initDuration * 100).rounded() / 100
        }
        let record: [String: Any] = ["requestId": requestId, "metrics": metrics, "status": status ?? "success"]
        return json(type: "platform.report", record: record)
    }

    private static func json(type: String, record: [String: Any]) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let object: [String: Any] = ["time": formatter.string(from: Date()), "type": type, "record": record]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// A log stream name as Lambda makes it: `YYYY/MM/DD/[VERSION]<32 hex digits>`.
    static func streamName(version: String, now: Date = Date()) -> String {
        let components = Calendar(identifier: .gregorian).dateComponents(
            in: TimeZone(secondsFromGMT: 0) ?? .current, from: now)
        let date = String(format: "%04d/%02d/%02d", components.year ?? 1970, components.month ?? 1, components.day ?? 1)
        let hex = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        return "\(date)/[\(version)]\(hex)"
    }

    /// `value` rounded to hundredths and written with two decimals, without `String(format:)`:
    /// a REPORT line is written after every invocation.
    static func twoDecimals(_ value: Double) -> String {
        let scaled = value.magnitude * 100
        // Within a hair of a half, the product's rounding error could tip it the other way
        // than `%.2f`, which rounds the exact binary value: let it decide those.
        guard value.isFinite, value.magnitude < 1e15, ((scaled - scaled.rounded(.down)) - 0.5).magnitude > 1e-6 else {
            return String(format: "%.2f", value)
        }
        let hundredths = Int(scaled.rounded())
        let sign = value < 0 && hundredths != 0 ? "-" : ""
        let fraction = hundredths % 100
        return sign + String(hundredths / 100) + (fraction < 10 ? ".0" : ".") + String(fraction)
    }
}

/// Wall-clock milliseconds since the Unix epoch.
func epochMilliseconds() -> Int64 {
    Int64((Date().timeIntervalSince1970 * 1000).rounded())
}
