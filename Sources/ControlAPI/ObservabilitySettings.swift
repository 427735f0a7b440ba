import Store

/// TracingConfig, DeadLetterConfig, KMSKeyArn and LoggingConfig of CreateFunction and
/// UpdateFunctionConfiguration. Swiftlet stores and reports them; see
/// docs/COMPATIBILITY.md for which of them change how a function runs.
struct ObservabilitySettings {
    static let resourceArnPattern = #"(arn:(aws[a-zA-Z-]*)?:[a-z0-9-.]+:.*)|()"#
    static let logGroupPattern = #"[\.\-_/#A-Za-z0-9]+"#

    var tracingMode: String?
    /// Empty when the request clears the dead-letter target.
    var deadLetterTargetArn: String?
    /// Empty when the request clears the key.
    var kmsKeyArn: String?
    var logging: [String: JSONValue]?

    init() {}

    init(_ reader: inout RequestReader) {
        tracingMode = reader.object("TracingConfig")?["Mode"]?.stringValue
        deadLetterTargetArn = reader.object("DeadLetterConfig").map { $0["TargetArn"]?.stringValue ?? "" }
        kmsKeyArn = reader.string("KMSKeyArn")
        logging = reader.object("LoggingConfig")

        reader.validator.oneOf(tracingMode, at: "tracingConfig.mode", ["Active", "PassThrough"])
        reader.validator.pattern(deadLetterTargetArn, at: "deadLetterConfig.targetArn", Self.resourceArnPattern)
        reader.validator.pattern(kmsKeyArn, at: "kMSKeyArn", Self.resourceArnPattern)
        guard let logging else { return }
        reader.validator.oneOf(logging["LogFormat"]?.stringValue, at: "loggingConfig.logFormat", ["JSON", "Text"])
        reader.validator.oneOf(
            logging["ApplicationLogLevel"]?.stringValue, at: "loggingConfig.applicationLogLevel",
            ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"])
        reader.validator.oneOf(
            logging["SystemLogLevel"]?.stringValue, at: "loggingConfig.systemLogLevel", ["DEBUG", "INFO", "WARN"])
        let group = logging["LogGroup"]?.stringValue
        reader.validator.length(group, at: "loggingConfig.logGroup", min: 1, max: 512)
        reader.validator.pattern(group, at: "loggingConfig.logGroup", Self.logGroupPattern)
    }

    /// Log levels only apply to JSON logs, as on Lambda.
    func checkLambdaRules() throws(AWSError) {
        guard let logging else { return }
        let format = logging["LogFormat"]?.stringValue
        let levels = logging["ApplicationLogLevel"] != nil || logging["SystemLogLevel"] != nil
        if levels, format != "JSON" {
            throw AWSError.invalidParameter(
                "To set ApplicationLogLevel or SystemLogLevel, you must set LogFormat to JSON.")
        }
    }

    func apply(to record: inout FunctionRecord) {
        if let tracingMode {
            record.tracingMode = tracingMode == "PassThrough" ? nil : tracingMode
        }
        if let deadLetterTargetArn {
            record.deadLetterTargetArn = deadLetterTargetArn.isEmpty ? nil : deadLetterTargetArn
        }
        if let kmsKeyArn {
            record.kmsKeyArn = kmsKeyArn.isEmpty ? nil : kmsKeyArn
        }
        if let logging {
            let format = logging["LogFormat"]?.stringValue ?? record.logFormat ?? "Text"
            record.logFormat = format == "Text" ? nil : format
            if let group = logging["LogGroup"]?.stringValue {
                record.logGroup = group
            }
            record.applicationLogLevel =
                format == "JSON"
                ? logging["ApplicationLogLevel"]?.stringValue ?? record.applicationLogLevel : nil
            record.systemLogLevel =
                format == "JSON"
                ? logging["SystemLogLevel"]?.stringValue ?? record.systemLogLevel : nil
        }
    }

    /// Lambda's LoggingConfig shape for `record`: JSON logs report their levels (INFO by default).
    static func loggingJSON(_ record: FunctionRecord) -> JSONValue {
        var members: [String: JSONValue] = [
            "LogFormat": .string(record.logFormat ?? "Text"),
            "LogGroup": .string(record.logGroup ?? "/aws/lambda/\(record.name)"),
        ]
        if record.logFormat == "JSON" {
            members["ApplicationLogLevel"] = .string(record.applicationLogLevel ?? "INFO")
            members["SystemLogLevel"] = .string(record.systemLogLevel ?? "INFO")
        }
        return .object(members)
    }
}
