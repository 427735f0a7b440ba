import Foundation
import HTTP
import Store

/// Put/Update/Get/Delete/ListFunctionEventInvokeConfigs: how asynchronous
/// invocations of a function, version or alias are retried and where their
/// outcomes go.
struct EventInvokeConfigService: Sendable {
    let store: any Store
    let asyncStore: any AsyncEventStore

    func put(
        _ request: HTTPRequest, _ context: RequestContext, name: String, merging: Bool
    ) throws(AWSError) -> HTTPResponse {
        var reader = try LambdaService.reader(request)
        let (function, qualifier) = try resolve(name, request, context)
        let retries = reader.integer("MaximumRetryAttempts")
        let age = reader.integer("MaximumEventAgeInSeconds")
        reader.validator.range(retries, at: "maximumRetryAttempts", min: 0, max: 2)
        reader.validator.range(age, at: "maximumEventAgeInSeconds", min: 60, max: 21_600)
        let destinations = reader.object("DestinationConfig")
        let onSuccess = destinations?["OnSuccess"]?["Destination"]?.stringValue
        let onFailure = destinations?["OnFailure"]?["Destination"]?.stringValue
        reader.validator.length(onSuccess, at: "destinationConfig.onSuccess.destination", max: 350)
        reader.validator.length(onFailure, at: "destinationConfig.onFailure.destination", max: 350)
        try reader.validator.check()
        try Self.checkDestination(onSuccess)
        try Self.checkDestination(onFailure)

        let existing = try stored(function, qualifier)
        if merging, existing == nil {
            throw notFound(context.functionArn(function, qualifier: qualifier))
        }
        // Put replaces every setting (those left out are removed); Update changes only those given.
        var config =
            existing
            ?? EventInvokeConfigRecord(
                functionName: function, qualifier: qualifier, lastModifiedMilliseconds: 0)
        if !merging || reader.document["MaximumRetryAttempts"] != nil { config.maximumRetryAttempts = retries }
        if !merging || reader.document["MaximumEventAgeInSeconds"] != nil { config.maximumEventAgeSeconds = age }
        if !merging || destinations?["OnSuccess"] != nil { config.onSuccessDestination = Self.nonEmpty(onSuccess) }
        if !merging || destinations?["OnFailure"] != nil { config.onFailureDestination = Self.nonEmpty(onFailure) }
        config.lastModifiedMilliseconds = LambdaService.now()
        do {
            try asyncStore.putEventInvokeConfig(config)
        } catch {
            throw AWSError.service()
        }
        return LambdaService.json(200, Self.json(config, context), context)
    }

    func get(_ request: HTTPRequest, _ context: RequestContext, name: String) throws(AWSError) -> HTTPResponse {
        let (function, qualifier) = try resolve(name, request, context)
        guard let config = try stored(function, qualifier) else {
            throw notFound(context.functionArn(function, qualifier: qualifier))
        }
        return LambdaService.json(200, Self.json(config, context), context)
    }

    func delete(_ request: HTTPRequest, _ context: RequestContext, name: String) throws(AWSError) -> HTTPResponse {
        let (function, qualifier) = try resolve(name, request, context)
        let deleted: Bool
        do {
            deleted = try asyncStore.deleteEventInvokeConfig(functionName: function, qualifier: qualifier)
        } catch {
            throw AWSError.service()
        }
        guard deleted else {
            throw notFound(context.functionArn(function, qualifier: qualifier))
        }
        return HTTPResponse(status: 204, headers: ["X-Amzn-RequestId": context.requestId])
    }

    func list(_ request: HTTPRequest, _ context: RequestContext, name: String) throws(AWSError) -> HTTPResponse {
        let query = parseQuery(request.query)
        var validator = Validator()
        let maxItems = query["MaxItems"].map { Int($0) ?? 0 }
        validator.range(maxItems, at: "maxItems", min: 1, max: 50)
        try validator.check()
        guard let reference = FunctionReference(parsing: name), (try? store.function(named: reference.name)) != nil
        else {
            throw AWSError.resourceNotFound("Function not found: \(context.functionArn(name))")
        }
        let all: [EventInvokeConfigRecord]
        do {
            all = try asyncStore.eventInvokeConfigs(functionName: reference.name)
        } catch {
            throw AWSError.service()
        }
        let marker = query["Marker"]
        let remaining = all.filter { marker == nil || $0.qualifier > marker ?? "" }
        let limit = maxItems ?? 50
        var document: [String: JSONValue] = [
            "FunctionEventInvokeConfigs": .array(remaining.prefix(limit).map { Self.json($0, context) })
        ]
        if remaining.count > limit {
            document["NextMarker"] = .string(remaining[limit - 1].qualifier)
        }
        return LambdaService.json(200, .object(document), context)
    }

    // MARK: Helpers

    /// The function name and qualifier a request addresses; the function must exist.
    private func resolve(
        _ name: String, _ request: HTTPRequest, _ context: RequestContext
    ) throws(AWSError) -> (String, String) {
        guard let reference = FunctionReference(parsing: name) else {
            throw AWSError.validation(
                "1 validation error detected: Value '\(name)' at 'functionName' failed to "
                    + "satisfy constraint: Member must satisfy regular expression pattern: "
                    + LambdaShapes.functionNamePattern)
        }
        let qualifier = parseQuery(request.query)["Qualifier"] ?? reference.qualifier ?? "$LATEST"
        guard (try? store.function(named: reference.name)) ?? nil != nil else {
            throw AWSError.resourceNotFound("Function not found: \(context.functionArn(reference.name))")
        }
        return (reference.name, qualifier)
    }

    private func stored(_ function: String, _ qualifier: String) throws(AWSError) -> EventInvokeConfigRecord? {
        do {
            return try asyncStore.eventInvokeConfig(functionName: function, qualifier: qualifier)
        } catch {
            throw AWSError.service()
        }
    }

    private func notFound(_ arn: String) -> AWSError {
        AWSError.resourceNotFound("The function \(arn) doesn't have an EventInvokeConfig")
    }

    /// Swiftlet delivers destination records to Lambda functions; the queue, topic and
    /// bus services AWS also offers are not part of Swiftlet yet.
    static func checkDestination(_ arn: String?) throws(AWSError) {
        guard let arn, !arn.isEmpty else { return }
        let parts = arn.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 7, parts[0] == "arn", parts[2] == "lambda", parts[5] == "function",
            FunctionReference(parsing: arn) != nil
        else {
            throw AWSError.invalidParameter(
                "The destination ARN \(arn) is not supported: this Swiftlet server delivers destination records to "
                    + "Lambda functions only.")
        }
    }

    private static func nonEmpty(_ text: String?) -> String? {
        text.flatMap { $0.isEmpty ? nil : $0 }
    }

    static func json(_ config: EventInvokeConfigRecord, _ context: RequestContext) -> JSONValue {
        var members: [String: JSONValue] = [
            "FunctionArn": .string(context.functionArn(config.functionName, qualifier: config.qualifier)),
            "LastModified": .number(Double(config.lastModifiedMilliseconds) / 1000),
        ]
        if let retries = config.maximumRetryAttempts {
            members["MaximumRetryAttempts"] = .number(Double(retries))
        }
        if let age = config.maximumEventAgeSeconds {
            members["MaximumEventAgeInSeconds"] = .number(Double(age))
        }
        var destinations: [String: JSONValue] = [:]
        if let success = config.onSuccessDestination {
            destinations["OnSuccess"] = ["Destination": .string(success)]
        }
        if let failure = config.onFailureDestination {
            destinations["OnFailure"] = ["Destination": .string(failure)]
        }
        members["DestinationConfig"] = .object(destinations)
        return .object(members)
    }
}
