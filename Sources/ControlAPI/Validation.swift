/// Collects model-constraint violations and words them as Lambda does:
/// "2 validation errors detected: Value '64' at 'memorySize' failed to
/// satisfy constraint: Member must have value greater than or equal to 128; ...".
struct Validator {
    private(set) var violations: [String] = []

    mutating func fail(_ value: String?, at member: String, _ constraint: String) {
        let shown = value.map { "'\($0)'" } ?? "null"
        violations.append("Value \(shown) at '\(member)' failed to satisfy constraint: \(constraint)")
    }

    mutating func required(_ value: JSONValue?, at member: String) {
        if value == nil || value == .null {
            fail(nil, at: member, "Member must not be null")
        }
    }

    mutating func length(_ value: String?, at member: String, min: Int = 0, max: Int) {
        guard let value else { return }
        if value.count < min {
            fail(value, at: member, "Member must have length greater than or equal to \(min)")
        } else if value.count > max {
            fail(value, at: member, "Member must have length less than or equal to \(max)")
        }
    }

    mutating func pattern(_ value: String?, at member: String, _ pattern: String) {
        guard let value else { return }
        guard let regex = try? Regex(pattern), (try? regex.wholeMatch(in: value)) != nil else {
            fail(value, at: member, "Member must satisfy regular expression pattern: \(pattern)")
            return
        }
    }

    mutating func range(_ value: Int?, at member: String, min: Int? = nil, max: Int? = nil) {
        guard let value else { return }
        if let min, value < min {
            fail(String(value), at: member, "Member must have value greater than or equal to \(min)")
        } else if let max, value > max {
            fail(String(value), at: member, "Member must have value less than or equal to \(max)")
        }
    }

    mutating func oneOf(_ value: String?, at member: String, _ allowed: [String]) {
        guard let value, !allowed.contains(value) else { return }
        fail(value, at: member, "Member must satisfy enum value set: [\(allowed.joined(separator: ", "))]")
    }

    /// Throws a ValidationException listing every violation, if any.
    func check() throws(AWSError) {
        guard !violations.isEmpty else { return }
        let count = violations.count
        let noun = count == 1 ? "validation error" : "validation errors"
        throw AWSError.validation("\(count) \(noun) detected: \(violations.joined(separator: "; "))")
    }
}

/// Reads typed members out of a request document, remembering type errors.
struct RequestReader {
    let document: [String: JSONValue]
    var validator = Validator()

    init(_ document: [String: JSONValue]) {
        self.document = document
    }

    func string(_ key: String) -> String? { document[key]?.stringValue }

    func integer(_ key: String) -> Int? {
        guard let number = document[key]?.numberValue, number.rounded() == number, abs(number) < 1e15 else {
            return nil
        }
        return Int(number)
    }

    func object(_ key: String) -> [String: JSONValue]? { document[key]?.objectValue }

    func stringMap(_ value: JSONValue?) -> [String: String]? {
        guard let members = value?.objectValue else { return nil }
        return members.compactMapValues(\.stringValue)
    }
}

/// Model constraints of the Lambda shapes Swiftlet validates.
enum LambdaShapes {
    static let functionNamePattern =
        #"(arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?(\d{12}:)?"#
        + #"(function:)?([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?"#
    static let rolePattern = #"arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+"#
    static let handlerPattern = #"[^\s]+"#
    static let environmentKeyPattern = #"[a-zA-Z]([a-zA-Z0-9_])+"#
    static let architectures = ["x86_64", "arm64"]
    /// The Runtime enum of the model, for the ValidationException message.
    static let runtimes = [
        "nodejs", "nodejs4.3", "nodejs6.10", "nodejs8.10", "nodejs10.x", "nodejs12.x", "nodejs14.x", "nodejs16.x",
        "nodejs18.x", "nodejs20.x", "nodejs22.x", "nodejs24.x", "java8", "java8.al2", "java11", "java17", "java21",
        "java25", "python2.7", "python3.6", "python3.7", "python3.8", "python3.9", "python3.10", "python3.11",
        "python3.12", "python3.13", "python3.14", "dotnetcore1.0", "dotnetcore2.0", "dotnetcore2.1",
        "dotnetcore3.1", "dotnet6", "dotnet8", "dotnet10", "nodejs4.3-edge", "go1.x", "ruby2.5", "ruby2.7",
        "ruby3.2", "ruby3.3", "ruby3.4", "ruby4.0", "provided", "provided.al2", "provided.al2023", "nodejs26.x",
        "python3.15", "java8.al2023", "java11.al2023", "java17.al2023", "custom",
    ]
    /// Environment variable names Lambda reserves for itself.
    static let reservedEnvironmentKeys: Set<String> = [
        "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
    ]
}
