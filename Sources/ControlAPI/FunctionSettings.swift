import Invoker
import Store

/// The configuration members shared by CreateFunction and
/// UpdateFunctionConfiguration, validated against the model and then
/// against Lambda's own rules.
struct FunctionSettings {
    var runtime: String?
    var role: String?
    var handler: String?
    var description: String?
    var timeoutSeconds: Int?
    var memoryMegabytes: Int?
    var ephemeralStorageMegabytes: Int?
    var environment: [String: String]?
    var architectures: [String]?
    var observability = ObservabilitySettings()

    /// Reads and checks the members of `reader`'s document.
    init(_ reader: inout RequestReader) throws(AWSError) {
        runtime = reader.string("Runtime")
        role = reader.string("Role")
        handler = reader.string("Handler")
        description = reader.string("Description")
        timeoutSeconds = reader.integer("Timeout")
        memoryMegabytes = reader.integer("MemorySize")
        ephemeralStorageMegabytes = reader.object("EphemeralStorage").flatMap { RequestReader($0).integer("Size") }
        if let environment = reader.object("Environment") {
            self.environment = reader.stringMap(environment["Variables"]) ?? [:]
        }
        architectures = reader.document["Architectures"]?.arrayValue?.compactMap(\.stringValue)

        reader.validator.oneOf(runtime, at: "runtime", LambdaShapes.runtimes)
        reader.validator.pattern(role, at: "role", LambdaShapes.rolePattern)
        reader.validator.length(handler, at: "handler", max: 128)
        reader.validator.pattern(handler, at: "handler", LambdaShapes.handlerPattern)
        reader.validator.length(description, at: "description", max: 256)
        reader.validator.range(timeoutSeconds, at: "timeout", min: 1, max: 5400)
        reader.validator.range(memoryMegabytes, at: "memorySize", min: 128, max: 32768)
        reader.validator.range(ephemeralStorageMegabytes, at: "ephemeralStorage.size", min: 512, max: 32768)
        for key in (environment ?? [:]).keys.sorted() {
            reader.validator.pattern(key, at: "environment.variables", LambdaShapes.environmentKeyPattern)
        }
        for architecture in architectures ?? [] {
            reader.validator.oneOf(architecture, at: "architectures.member", LambdaShapes.architectures)
        }
        if let count = architectures?.count, count != 1 {
            reader.validator.fail(
                String(count), at: "architectures", "Member must have length less than or equal to 1")
        }
        observability = ObservabilitySettings(&reader)
        try reader.validator.check()
        try checkLambdaRules()
        try observability.checkLambdaRules()
    }

    /// Rules the model does not express but Lambda enforces.
    private func checkLambdaRules() throws(AWSError) {
        if let timeoutSeconds, timeoutSeconds > 900 {
            throw AWSError.invalidParameter(
                "Timeout must be between 1 and 900 seconds; \(timeoutSeconds) is out of range.")
        }
        if let memoryMegabytes, memoryMegabytes > 10240 {
            throw AWSError.invalidParameter(
                "'MemorySize' value failed to satisfy constraint: Member must have value "
                    + "less than or equal to 10240")
        }
        if let size = ephemeralStorageMegabytes, size > 10240 {
            throw AWSError.invalidParameter(
                "'EphemeralStorage.Size' value failed to satisfy constraint: Member must "
                    + "have value less than or equal to 10240")
        }
        if let runtime {
            try Self.checkRuntime(runtime)
        }
        if let architecture = architectures?.first, architecture != "x86_64" {
            throw AWSError.invalidParameter(
                "Architecture \(architecture) cannot run on this Swiftlet host, which runs x86_64 functions only.")
        }
        if let environment {
            try Self.checkEnvironment(environment)
        }
    }

    static func checkRuntime(_ runtime: String) throws(AWSError) {
        if RuntimeCatalog.deprecated.contains(runtime) {
            throw AWSError.invalidParameter(
                "The runtime parameter of \(runtime) is no longer supported for creating or updating AWS Lambda "
                    + "functions. We recommend you use a supported runtime while creating or updating functions.")
        }
        guard RuntimeCatalog.supported.contains(runtime) else {
            let supported = RuntimeCatalog.supported.sorted().joined(separator: ", ")
            throw AWSError.invalidParameter(
                "The runtime parameter of \(runtime) is not supported by this Swiftlet server. Supported runtimes: "
                    + supported)
        }
    }

    static func checkEnvironment(_ variables: [String: String]) throws(AWSError) {
        let reserved = variables.keys.filter { LambdaShapes.reservedEnvironmentKeys.contains($0) }.sorted()
        if !reserved.isEmpty {
            throw AWSError.invalidParameter(
                "Lambda was unable to configure your environment variables because the environment variables you "
                    + "have provided contains reserved keys that are currently not supported for modification. "
                    + "Reserved keys used in this request: \(reserved.joined(separator: ", "))")
        }
        let size = variables.reduce(0) { $0 + $1.key.utf8.count + $1.value.utf8.count }
        if size > 4096 {
            throw AWSError.invalidParameter(
                "Lambda was unable to configure your environment variables because the environment variables you "
                    + "have provided exceeded the 4KB limit. String measured: \(size) bytes")
        }
    }

    /// Applies every member that was present to `record`.
    func apply(to record: inout FunctionRecord) {
        if let runtime { record.runtime = runtime }
        if let role { record.role = role }
        if let handler { record.handler = handler }
        if let description { record.description = description }
        if let timeoutSeconds { record.timeoutSeconds = timeoutSeconds }
        if let memoryMegabytes { record.memoryMegabytes = memoryMegabytes }
        if let ephemeralStorageMegabytes { record.ephemeralStorageMegabytes = ephemeralStorageMegabytes }
        if let environment { record.environment = environment }
        if let architectures { record.architectures = architectures }
        observability.apply(to: &record)
    }
}
