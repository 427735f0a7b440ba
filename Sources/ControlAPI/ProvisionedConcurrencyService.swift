import Foundation
import HTTP
import Invoker
import Store

/// Put/Get/Delete/ListProvisionedConcurrencyConfigs: environments of a version or alias
/// initialised ahead of invocations, so those invocations have no Init Duration.
///
/// Configurations are stored, and the invoker keeps that many environments initialised
/// (started again after a restart, or when one is lost). Status is IN_PROGRESS until all
/// of them have finished initialising, then READY.
struct ProvisionedConcurrencyService: Sendable {
    let lambda: LambdaService
    let store: any Store & ConcurrencyStore
    let invoker: Invoker
    let accountLimit: Int

    func put(_ request: HTTPRequest, _ context: RequestContext, name: String) async throws(AWSError) -> HTTPResponse {
        var reader = try LambdaService.reader(request)
        let requested = reader.integer("ProvisionedConcurrentExecutions")
        reader.validator.required(
            reader.document["ProvisionedConcurrentExecutions"], at: "provisionedConcurrentExecutions")
        reader.validator.range(requested, at: "provisionedConcurrentExecutions", min: 1)
        let qualifier = try Self.qualifier(request, name, &reader.validator)
        try reader.validator.check()
        let record = try lambda.lookup(name, qualifier: qualifier, context)
        guard let requested else { throw AWSError.service() }
        try checkLimits(function: record.name, qualifier: qualifier, requested: requested)
        let now = LambdaService.now()
        do {
            try store.setProvisionedConcurrency(
                functionName: record.name, qualifier: qualifier, requested: requested, lastModifiedMilliseconds: now)
        } catch {
            throw AWSError.service()
        }
        try provision(record, qualifier: qualifier, requested: requested, context)
        let configuration = ProvisionedConcurrency(
            functionName: record.name, qualifier: qualifier, requested: requested, lastModifiedMilliseconds: now)
        return LambdaService.json(202, await document(configuration, context, withArn: false), context)
    }

    func get(_ request: HTTPRequest, _ context: RequestContext, name: String) async throws(AWSError) -> HTTPResponse {
        var validator = Validator()
        let qualifier = try Self.qualifier(request, name, &validator)
        try validator.check()
        let record = try lambda.lookup(name, qualifier: qualifier, context)
        let configuration = try stored(record.name).first { $0.qualifier == qualifier }
        guard let configuration else { throw Self.notFound }
        return LambdaService.json(200, await document(configuration, context, withArn: false), context)
    }

    func delete(_ request: HTTPRequest, _ context: RequestContext, name: String) throws(AWSError) -> HTTPResponse {
        var validator = Validator()
        let qualifier = try Self.qualifier(request, name, &validator)
        try validator.check()
        let record = try lambda.lookup(name, qualifier: qualifier, context)
        guard try stored(record.name).contains(where: { $0.qualifier == qualifier }) else { throw Self.notFound }
        do {
            try store.setProvisionedConcurrency(
                functionName: record.name, qualifier: qualifier, requested: nil, lastModifiedMilliseconds: 0)
        } catch {
            throw AWSError.service()
        }
        invoker.provision(key: Self.key(record.name, qualifier), target: nil, count: 0)
        return HTTPResponse(status: 204, headers: ["X-Amzn-RequestId": context.requestId])
    }

    func list(_ request: HTTPRequest, _ context: RequestContext, name: String) async throws(AWSError) -> HTTPResponse {
        let query = parseQuery(request.query)
        var validator = Validator()
        let limit = query["MaxItems"].map { Int($0) ?? 0 }
        validator.range(limit, at: "maxItems", min: 1, max: 50)
        try validator.check()
        let record = try lambda.lookup(name, qualifier: nil, context)
        let all = try stored(record.name)
        let page = Array(all.drop { query["Marker"] != nil && $0.qualifier <= query["Marker"] ?? "" })
        let shown = page.prefix(limit ?? 50)
        var items: [JSONValue] = []
        for configuration in shown {
            items.append(await document(configuration, context, withArn: true))
        }
        var document: [String: JSONValue] = ["ProvisionedConcurrencyConfigs": .array(items)]
        if page.count > shown.count, let last = shown.last {
            document["NextMarker"] = .string(last.qualifier)
        }
        return LambdaService.json(200, .object(document), context)
    }

    /// Provisions every stored configuration (at start), and after a function, version or alias
    /// changed, lets go of configurations that no longer exist and moves aliases to their version.
    func refresh(functionName: String? = nil, _ context: RequestContext) {
        guard let all = try? store.provisionedConcurrency() else { return }
        let configurations = all.filter { functionName == nil || $0.functionName == functionName }
        for configuration in configurations {
            guard
                let record = try? lambda.lookup(
                    configuration.functionName, qualifier: configuration.qualifier, context)
            else { continue }
            try? provision(record, qualifier: configuration.qualifier, requested: configuration.requested, context)
        }
        if let functionName {
            let keys = Set(configurations.map { Self.key($0.functionName, $0.qualifier) })
            invoker.unprovision(functionName: functionName, keeping: keys)
        }
    }

    // MARK: Helpers

    static let notFound = AWSError(
        status: 404, code: "ProvisionedConcurrencyConfigNotFoundException",
        message: "No Provisioned Concurrency Config found for this function")

    static func key(_ function: String, _ qualifier: String) -> String { "\(function):\(qualifier)" }

    /// The version or alias a request names; `$LATEST` cannot be provisioned, as on AWS.
    private static func qualifier(
        _ request: HTTPRequest, _ name: String, _ validator: inout Validator
    ) throws(AWSError) -> String {
        let qualifier = parseQuery(request.query)["Qualifier"] ?? FunctionReference(parsing: name)?.qualifier
        guard let qualifier else {
            validator.fail(nil, at: "qualifier", "Member must not be null")
            try validator.check()
            return ""
        }
        guard qualifier != FunctionRecord.latestVersion else {
            throw AWSError.invalidParameter(
                "Provisioned Concurrency Configs cannot be applied to unpublished function versions.")
        }
        return qualifier
    }

    private func provision(
        _ record: FunctionRecord, qualifier: String, requested: Int, _ context: RequestContext
    ) throws(AWSError) {
        let target = try lambda.invocationTarget(
            record, invokedFunctionArn: context.functionArn(record.name, qualifier: qualifier))
        invoker.provision(key: Self.key(record.name, qualifier), target: target, count: requested)
    }

    /// Provisioned concurrency comes out of the function's reservation when it has one, else
    /// out of what the account leaves unreserved, keeping AWS's 100 unreserved.
    private func checkLimits(function: String, qualifier: String, requested: Int) throws(AWSError) {
        let others = try stored(function).filter { $0.qualifier != qualifier }.map(\.requested).reduce(0, +)
        let reserved: [String: Int]
        do {
            reserved = try store.allReservedConcurrency()
        } catch {
            throw AWSError.service()
        }
        if let limit = reserved[function] {
            guard others + requested <= limit else {
                throw AWSError.invalidParameter(
                    "Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution "
                        + "for function")
            }
            return
        }
        let unreserved = accountLimit - reserved.values.reduce(0, +)
        let provisionedElsewhere = ((try? store.provisionedConcurrency()) ?? [])
            .filter { reserved[$0.functionName] == nil && !($0.functionName == function) }
            .map(\.requested).reduce(0, +)
        guard unreserved - provisionedElsewhere - others - requested >= ConcurrencyService.minimumUnreserved else {
            throw AWSError.invalidParameter(
                "Specified ConcurrentExecutions for function is greater than account's unreserved concurrency "
                    + "[\(unreserved - provisionedElsewhere - others - ConcurrencyService.minimumUnreserved)].")
        }
    }

    private func stored(_ function: String) throws(AWSError) -> [ProvisionedConcurrency] {
        do {
            return try store.provisionedConcurrency().filter { $0.functionName == function }
        } catch {
            throw AWSError.service()
        }
    }

    private func document(
        _ configuration: ProvisionedConcurrency, _ context: RequestContext, withArn: Bool
    ) async -> JSONValue {
        let ready = min(
            configuration.requested,
            await invoker.provisionedReady(key: Self.key(configuration.functionName, configuration.qualifier)))
        var members: [String: JSONValue] = [
            "RequestedProvisionedConcurrentExecutions": .number(Double(configuration.requested)),
            "AvailableProvisionedConcurrentExecutions": .number(Double(ready)),
            "AllocatedProvisionedConcurrentExecutions": .number(Double(ready)),
            "Status": .string(ready >= configuration.requested ? "READY" : "IN_PROGRESS"),
            "LastModified": .string(FunctionConfiguration.lastModified(configuration.lastModifiedMilliseconds)),
        ]
        if withArn {
            members["FunctionArn"] = .string(
                context.functionArn(configuration.functionName, qualifier: configuration.qualifier))
        }
        return .object(members)
    }
}
