import Foundation
import Store

/// Maps store records to Lambda's FunctionConfiguration wire shape.
enum FunctionConfiguration {
    /// - Parameter alias: The alias the caller asked through: the ARN is then the alias's, as on
    ///   AWS, while Version still names the version it points to.
    static func json(_ record: FunctionRecord, alias: String? = nil) -> JSONValue {
        let arn = "arn:aws:lambda:\(record.region):\(record.accountId):function:\(record.name)"
        let qualifier = alias ?? (record.version == "$LATEST" ? nil : record.version)
        var members: [String: JSONValue] = [
            "FunctionName": .string(record.name),
            "FunctionArn": .string(qualifier.map { "\(arn):\($0)" } ?? arn),
            "Role": .string(record.role),
            "CodeSize": .number(Double(record.codeSizeBytes)),
            "Description": .string(record.description),
            "Timeout": .number(Double(record.timeoutSeconds)),
            "MemorySize": .number(Double(record.memoryMegabytes)),
            "LastModified": .string(lastModified(record.lastModifiedMilliseconds)),
            "CodeSha256": .string(record.codeSha256),
            "Version": .string(record.version),
            "TracingConfig": ["Mode": .string(record.tracingMode ?? "PassThrough")],
            "RevisionId": .string(record.revisionId),
            "State": .string(record.state),
            "LastUpdateStatus": .string(record.lastUpdateStatus),
            "PackageType": .string(record.packageType),
            "Architectures": .array(record.architectures.map { .string($0) }),
            "EphemeralStorage": ["Size": .number(Double(record.ephemeralStorageMegabytes))],
            "SnapStart": ["ApplyOn": "None", "OptimizationStatus": "Off"],
            "LoggingConfig": ObservabilitySettings.loggingJSON(record),
        ]
        if let target = record.deadLetterTargetArn {
            members["DeadLetterConfig"] = ["TargetArn": .string(target)]
        }
        if let key = record.kmsKeyArn {
            members["KMSKeyArn"] = .string(key)
        }
        if let layers = record.layers, !layers.isEmpty {
            members["Layers"] = .array(
                layers.map { ["Arn": .string($0.arn), "CodeSize": .number(Double($0.codeSizeBytes))] })
        }
        if let runtime = record.runtime {
            members["Runtime"] = .string(runtime)
        }
        if let handler = record.handler {
            members["Handler"] = .string(handler)
        }
        if !record.environment.isEmpty {
            members["Environment"] = ["Variables": .object(record.environment.mapValues { .string($0) })]
        }
        if let reason = record.stateReason {
            members["StateReason"] = .string(reason)
        }
        if let code = record.stateReasonCode {
            members["StateReasonCode"] = .string(code)
        }
        if let reason = record.lastUpdateStatusReason {
            members["LastUpdateStatusReason"] = .string(reason)
        }
        if let code = record.lastUpdateStatusReasonCode {
            members["LastUpdateStatusReasonCode"] = .string(code)
        }
        return .object(members)
    }

    /// Lambda's LastModified format: `2026-12-03T16:00:00.000+0000`.
    static func lastModified(_ milliseconds: Int64) -> String {
        UTCTimestamp.iso8601(milliseconds, fractional: true, zone: "+0000")
    }
}
