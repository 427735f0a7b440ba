import HTTP
import Store

/// Put/GetRuntimeManagementConfig and Put/GetFunctionRecursionConfig.
///
/// Swiftlet runs each runtime on the host's one installation, so the runtime
/// update mode and the recursion setting are stored and reported as AWS does;
/// they do not change how a function runs yet.
extension LambdaService {
    static let runtimeUpdateModes = ["Auto", "Manual", "FunctionUpdate"]
    static let recursiveLoopSettings = ["Allow", "Terminate"]

    func putRuntimeManagementConfig(
        _ request: HTTPRequest, _ context: RequestContext, name: String
    ) throws(AWSError) -> HTTPResponse {
        var reader = try Self.reader(request)
        let mode = reader.string("UpdateRuntimeOn")
        let versionArn = reader.string("RuntimeVersionArn")
        reader.validator.required(reader.document["UpdateRuntimeOn"], at: "updateRuntimeOn")
        reader.validator.oneOf(mode, at: "updateRuntimeOn", Self.runtimeUpdateModes)
        reader.validator.length(versionArn, at: "runtimeVersionArn", min: 26, max: 2048)
        try reader.validator.check()
        if mode == "Manual", versionArn == nil {
            throw AWSError.invalidParameter("RuntimeVersionArn is required when UpdateRuntimeOn is Manual.")
        }
        if mode != "Manual", versionArn != nil {
            throw AWSError.invalidParameter("RuntimeVersionArn can be set only when UpdateRuntimeOn is Manual.")
        }
        let qualifier = parseQuery(request.query)["Qualifier"]
        var record = try lookup(name, qualifier: qualifier, context)
        record.runtimeUpdateMode = mode
        record.runtimeVersionArn = versionArn
        try saveSetting(record)
        var document: [String: JSONValue] = [
            "UpdateRuntimeOn": .string(mode ?? "Auto"),
            "FunctionArn": .string(context.functionArn(record.name, qualifier: record.version)),
        ]
        if let versionArn {
            document["RuntimeVersionArn"] = .string(versionArn)
        }
        return Self.json(200, .object(document), context)
    }

    func getRuntimeManagementConfig(
        _ request: HTTPRequest, _ context: RequestContext, name: String
    ) throws(AWSError) -> HTTPResponse {
        let qualifier = parseQuery(request.query)["Qualifier"]
        let record = try lookup(name, qualifier: qualifier, context)
        var document: [String: JSONValue] = [
            "UpdateRuntimeOn": .string(record.runtimeUpdateMode ?? "Auto"),
            "FunctionArn": .string(context.functionArn(record.name, qualifier: record.version)),
        ]
        if let versionArn = record.runtimeVersionArn {
            document["RuntimeVersionArn"] = .string(versionArn)
        }
        return Self.json(200, .object(document), context)
    }

    func putFunctionRecursionConfig(
        _ request: HTTPRequest, _ context: RequestContext, name: String
    ) throws(AWSError) -> HTTPResponse {
        var reader = try Self.reader(request)
        let setting = reader.string("RecursiveLoop")
        reader.validator.required(reader.document["RecursiveLoop"], at: "recursiveLoop")
        reader.validator.oneOf(setting, at: "recursiveLoop", Self.recursiveLoopSettings)
        try reader.validator.check()
        var record = try lookup(name, qualifier: nil, context)
        record.recursiveLoop = setting
        try saveSetting(record)
        return Self.json(200, ["RecursiveLoop": .string(setting ?? "Terminate")], context)
    }

    func getFunctionRecursionConfig(
        _ request: HTTPRequest, _ context: RequestContext, name: String
    ) throws(AWSError) -> HTTPResponse {
        let record = try lookup(name, qualifier: nil, context)
        return Self.json(200, ["RecursiveLoop": .string(record.recursiveLoop ?? "Terminate")], context)
    }

    /// Stores a setting that does not change the function's code or configuration,
    /// so its revision (and its warm environments) stay as they are.
    private func saveSetting(_ record: FunctionRecord) throws(AWSError) {
        do {
            try store.updateFunction(record, expectedRevisionId: record.revisionId)
        } catch  where error.code == .preconditionFailed {
            throw AWSError.conflict("The function changed while the setting was saved; try again.")
        } catch {
            throw AWSError.service()
        }
    }
}
