import Foundation
import Store

/// The record Lambda sends to an asynchronous invocation's destination.
enum DestinationRecord {
    enum Condition: String {
        case success = "Success"
        case retriesExhausted = "RetriesExhausted"
        case eventAgeExceeded = "EventAgeExceeded"
    }

    /// The record's JSON: version, timestamp, requestContext, requestPayload, and
    /// responseContext / responsePayload when the function ran.
    static func make(
        event: AsyncEvent, functionArn: String, condition: Condition, result: InvokeResult?
    ) -> [UInt8] {
        var record: [String: Any] = [
            "version": "1.0",
            "timestamp": timestamp(),
            "requestContext": [
                "requestId": event.requestId,
                "functionArn": functionArn,
                "condition": condition.rawValue,
                "approximateInvokeCount": event.attempts,
            ] as [String: Any],
            "requestPayload": jsonValue(event.payload),
        ]
        if let result {
            var context: [String: Any] = ["statusCode": 200, "executedVersion": result.executedVersion]
            if let error = result.functionError {
                context["functionError"] = error
            }
            record["responseContext"] = context
            record["responsePayload"] = jsonValue(result.payload)
        }
        let data = (try? JSONSerialization.data(withJSONObject: record, options: [.sortedKeys])) ?? Data()
        return Array(data)
    }

    /// The payload as a JSON value when it parses, else as a string.
    private static func jsonValue(_ bytes: [UInt8]) -> Any {
        if let value = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]) {
            return value
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func timestamp() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date())
    }
}
