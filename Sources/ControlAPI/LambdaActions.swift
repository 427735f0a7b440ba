/// The IAM action and resource ARN that AWS authorises for each Lambda operation,
/// as the service authorization reference lists them.
///
/// Most operations authorise `lambda:OPERATION`; the exceptions are spelled out.
/// Function operations name the function's ARN, qualified when the request names
/// a version or alias, so `function:NAME` in a policy does not grant `NAME:1`.
enum LambdaActions {
    /// Operations whose action is not `lambda:` plus the operation name.
    private static let renamed: [String: String] = [
        "Invoke": "InvokeFunction",
        "GetLayerVersionByArn": "GetLayerVersion",
    ]

    /// Operations AWS authorises on `*`: they name no single resource.
    private static let accountWide: Set<String> = [
        "ListFunctions", "GetAccountSettings", "ListLayers", "ListEventSourceMappings",
        "ListCodeSigningConfigs", "CreateEventSourceMapping", "CreateCodeSigningConfig",
    ]

    /// Tagging operations name the tagged resource's ARN in the path.
    private static let tagging: Set<String> = ["TagResource", "UntagResource", "ListTags"]

    /// `(action, resource)` for `operation` with its path `parameters` and `query`.
    static func authorization(
        operation: String, parameters: [String: String], query: [String: String], context: RequestContext
    ) -> (action: String, resource: String) {
        let action = "lambda:" + (renamed[operation] ?? operation)
        if accountWide.contains(operation) {
            return (action, "*")
        }
        if tagging.contains(operation) {
            return (action, parameters["Resource"] ?? "*")
        }
        if operation == "GetLayerVersionByArn" {
            return (action, query["Arn"] ?? "*")
        }
        if let layer = parameters["LayerName"] {
            return (action, layerArn(layer, version: parameters["VersionNumber"], context))
        }
        if let function = parameters["FunctionName"] {
            return (action, functionArn(function, qualifier: query["Qualifier"], context))
        }
        return (action, "*")
    }

    /// The function's ARN from a name, partial ARN or ARN, with the qualifier it or the query carries.
    static func functionArn(_ name: String, qualifier: String?, _ context: RequestContext) -> String {
        guard let reference = FunctionReference(parsing: name) else {
            return context.functionArn(name)
        }
        return context.functionArn(reference.name, qualifier: qualifier ?? reference.qualifier)
    }

    private static func layerArn(_ layer: String, version: String?, _ context: RequestContext) -> String {
        let base =
            layer.hasPrefix("arn:") ? layer : "arn:aws:lambda:\(context.region):\(context.accountId):layer:\(layer)"
        return version.map { "\(base):\($0)" } ?? base
    }
}
