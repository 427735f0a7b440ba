import Auth
import Foundation
import HTTP
import Invoker
import Store

/// Settings of the AWS-compatible front door.
public struct ControlAPIConfiguration: Sendable {
    /// The 12-digit account every resource belongs to.
    public var accountId = "123456789012"
    /// The region used when a request carries no SigV4 credential scope.
    public var defaultRegion = "us-east-1"
    /// The data directory (code trees live under it).
    public var dataDirectory: String
    /// The root credentials; code download URLs are presigned with them when set.
    public var rootCredentials: Credentials?
    /// Reported as the account's concurrency limit.
    public var accountConcurrencyLimit = 1000
    /// How long the credentials of a function's execution role last (`--execution-credential-seconds`).
    public var executionCredentialSeconds: TimeInterval = 3600

    public init(dataDirectory: String) {
        self.dataDirectory = dataDirectory
    }
}

/// Lets the queue call back into the Lambda service created after it.
private final class AsyncResolver: @unchecked Sendable {
    // @unchecked: written once in ControlAPI.init before the queue can call it, then only read.
    var service: LambdaService?
}

/// Routes every request on the API listener: the Lambda REST API, CloudWatch
/// Logs (JSON 1.1 with `X-Amz-Target`), IAM and STS (the query protocol, a form
/// `POST /` with an `Action`), `/health`, and code downloads.
///
/// Operations run as tasks off the event loop; the loop only parses and writes.
public final class ControlAPI: HTTPHandler {
    /// Largest request body for CreateFunction and UpdateFunctionCode (a 50 MB zip in base64, as AWS allows).
    static let maximumCodeRequestBytes = 70_167_211
    static let maximumOtherRequestBytes = 10 * 1024 * 1024

    private let configuration: ControlAPIConfiguration
    private let lambda: LambdaService
    private let logs: LogsService
    private let eventInvokeConfigs: EventInvokeConfigService
    private let concurrency: ConcurrencyService
    private let provisionedConcurrency: ProvisionedConcurrencyService
    private let concurrencyStore: any ConcurrencyStore
    private let ready: @Sendable () -> Bool
    private let security: Security
    /// The asynchronous invocation queue behind `InvocationType: Event` and InvokeAsync.
    public let asyncQueue: AsyncQueue
    private let invoker: Invoker

    public init(
        configuration: ControlAPIConfiguration, store: any Store & AsyncEventStore & ConcurrencyStore & IAMStore,
        invoker: Invoker,
        asyncConfiguration: AsyncQueueConfiguration = .init(), flushLogs: @escaping @Sendable () -> Void = {},
        ready: @escaping @Sendable () -> Bool = { true }
    ) {
        self.configuration = configuration
        let code = CodeRepository(store: store, dataDirectory: configuration.dataDirectory)
        let resolver = AsyncResolver()
        let queue = AsyncQueue(
            store: store, invoker: invoker, configuration: asyncConfiguration, flushLogs: flushLogs
        ) {
            resolver.service?.asyncTarget(functionName: $0, qualifier: $1)
        }
        let signer = CodeURLSigner(credentials: configuration.rootCredentials)
        let lambda = LambdaService(
            store: store, code: code, invoker: invoker, queue: queue, signer: signer, concurrency: store,
            preparations: Preparations())
        resolver.service = lambda
        self.lambda = lambda
        self.asyncQueue = queue
        self.invoker = invoker
        self.logs = LogsService(store: store)
        self.eventInvokeConfigs = EventInvokeConfigService(store: store, asyncStore: store)
        self.concurrency = ConcurrencyService(
            store: store, concurrency: store, invoker: invoker, accountLimit: configuration.accountConcurrencyLimit)
        self.concurrencyStore = store
        self.provisionedConcurrency = ProvisionedConcurrencyService(
            lambda: lambda, store: store, invoker: invoker, accountLimit: configuration.accountConcurrencyLimit)
        self.ready = ready
        self.security = Security(configuration: configuration, store: store)
    }

    /// Hands the stored reservations to the invoker, recovers the queued events of an
    /// earlier run and starts delivering.
    public func start() throws {
        for (function, value) in try concurrencyStore.allReservedConcurrency() {
            invoker.setReservedConcurrency(value, for: function)
        }
        try asyncQueue.start()
        lambda.resumePreparations()
        provisionedConcurrency.refresh(
            RequestContext(
                requestId: "start", region: configuration.defaultRegion, accountId: configuration.accountId))
    }

    public func handle(_ request: HTTPRequest, responder: HTTPResponder) {
        if request.path == "/metrics" {
            Task {
                let text = await metricsText()
                responder.respond(
                    HTTPResponse(status: 200, headers: ["Content-Type": "text/plain; version=0.0.4"], text: text))
            }
            return
        }
        if request.path == "/health" {
            let healthy = ready()
            return responder.respond(
                HTTPResponse(
                    status: healthy ? 200 : 503, headers: ["Content-Type": "application/json"],
                    text: healthy ? "{\"status\":\"ok\"}" : "{\"status\":\"starting\"}"))
        }
        var context = RequestContext(
            request: request, accountId: configuration.accountId, defaultRegion: configuration.defaultRegion)
        context.servedOnEventLoop = Self.runsOnLoop(
            request, claimedAccessKeyId: context.claimedAccessKeyId,
            rootAccessKeyId: configuration.rootCredentials?.accessKeyId)
        let executor: (any TaskExecutor)? = context.servedOnEventLoop ? responder.loop : nil
        Task(executorPreference: executor) { [context] in
            responder.respond(await self.authenticateAndRoute(request, context))
        }
    }

    /// The largest synchronous invoke whose signature is checked on the event loop: hashing
    /// it takes well under a tenth of a millisecond.
    static let largestInvokeOnLoop = 64 * 1024

    /// Whether a request is served on the event loop instead of the shared thread pool.
    ///
    /// A small synchronous invoke is almost all loop work already (placement, the Runtime
    /// API exchange and the reply happen there), and what it adds (the signature over a
    /// small body, the root's policy decision, one audit `write`) takes microseconds; staying
    /// on the loop saves four thread hand-offs per invoke, which is most of a warm invoke's
    /// latency beyond the HTTP exchanges. Only the account root's requests qualify: an IAM
    /// caller's key and policies are read from the store, which may wait behind a commit's
    /// fsync. What the invoke itself might read from the store or the disk (a function
    /// record not yet cached, an alias, code not yet unpacked, layers) is resolved on the
    /// pool (`LambdaService.invoke`). Everything else (large bodies, code uploads, store
    /// writes, asynchronous invokes, which wait for an fsync) runs on the pool, where it
    /// cannot hold up the environments the loop serves.
    static func runsOnLoop(
        _ request: HTTPRequest, claimedAccessKeyId: Substring?, rootAccessKeyId: String?
    ) -> Bool {
        guard let rootAccessKeyId, let claimedAccessKeyId, claimedAccessKeyId == rootAccessKeyId,
            request.method == "POST", request.body.count <= largestInvokeOnLoop, request.path.hasSuffix("/invocations")
        else { return false }
        switch request.headers["X-Amz-Invocation-Type"] {
        case nil, "RequestResponse", "DryRun": return true
        default: return false
        }
    }

    /// Verifies the request's signature (off the event loop: it hashes the whole body), then routes it.
    private func authenticateAndRoute(_ request: HTTPRequest, _ context: RequestContext) async -> HTTPResponse {
        if request.method == "GET", request.path.hasPrefix("/_swiftlet/code/") {
            return route(codeDownload: request)
        }
        let wire = WireProtocol(request)
        // The signature covers the normalized path; routing sees the raw one. Refuse the paths where they differ.
        let segments = request.path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        if segments.dropLast().contains(where: \.isEmpty) || segments.contains(where: { $0 == "." || $0 == ".." }) {
            return AWSError(status: 400, code: "InvalidRequestException", message: "The request path is not canonical")
                .response(wire, requestId: context.requestId)
        }
        do {
            let caller = try security.authenticator.authenticate(request, as: wire)
            return await route(request, context, caller)
        } catch {
            let claimed = SigV4Verifier.claimedAccessKeyId(
                SigV4.Request(
                    method: request.method, path: String(request.path), query: String(request.query),
                    headers: request.headers.fields, body: []))
            security.authorizer.recordRefusal(claimedAccessKeyId: claimed, error: error, requestId: context.requestId)
            return error.response(wire, requestId: context.requestId)
        }
    }

    /// Code downloads carry their own presigned signature (GetFunction's `Code.Location`).
    private func route(codeDownload request: HTTPRequest) -> HTTPResponse {
        let segments = request.path.split(separator: "/").map { String($0).percentDecoded }
        guard segments.count == 4 else {
            return AWSError(status: 404, code: "ResourceNotFoundException", message: "No such code object")
                .restResponse(requestId: UUID().uuidString.lowercased())
        }
        if let refusal = lambda.signer.refusal(for: request) {
            return refusal
        }
        return lambda.downloadCode(name: segments[2], file: segments[3])
    }

    public func maximumBodyBytes(method: String, target: String, headers: HTTPHeaders) -> Int? {
        let path = target.split(separator: "?", maxSplits: 1).first ?? ""
        if path.hasSuffix("/invocations") {
            return LambdaService.maximumSyncPayloadBytes
        }
        if path == "/2015-03-31/functions" || path == "/2015-03-31/functions/" || path.hasSuffix("/code") {
            return Self.maximumCodeRequestBytes
        }
        return Self.maximumOtherRequestBytes
    }

    public func payloadTooLargeResponse(method: String, target: String, limit: Int) -> HTTPResponse {
        let requestId = UUID().uuidString.lowercased()
        if target.split(separator: "?").first?.hasSuffix("/invocations") == true {
            return LambdaService.tooLarge(limit: limit).restResponse(requestId: requestId)
        }
        return AWSError(
            status: 413, code: "RequestEntityTooLargeException",
            message: "Request must be smaller than \(limit) bytes for this operation"
        )
        .restResponse(requestId: requestId)
    }

    private func route(_ request: HTTPRequest, _ context: RequestContext, _ caller: Caller) async -> HTTPResponse {
        if let response = security.queryResponse(request, context, caller) {
            return response
        }
        if let target = request.headers["X-Amz-Target"], target.hasPrefix("Logs_20140328.") {
            let operation = String(target.dropFirst("Logs_20140328.".count))
            do {
                let (action, resource) = LogsService.authorization(operation: operation, request, context)
                try security.authorizer.authorize(
                    caller, action: action, resource: resource, wire: .json, requestId: context.requestId)
            } catch {
                return error.jsonProtocolResponse(requestId: context.requestId)
            }
            return logs.handle(operation: operation, request, context)
        }
        let segments = request.path.split(separator: "/").map { String($0).percentDecoded }
        let query = parseQuery(request.query)
        guard let (operation, parameters) = Self.match(method: request.method, segments: segments, query: query) else {
            return AWSError(status: 404, code: "UnknownOperationException", message: "Unknown operation")
                .restResponse(requestId: context.requestId)
        }
        do {
            try authorizeLambda(operation, parameters, query, request, context, caller)
            let response = try await perform(operation, parameters, request, context)
            if Self.operationsMovingProvisionedConcurrency.contains(operation),
                let function = parameters["FunctionName"].flatMap(FunctionReference.init(parsing:))
            {
                provisionedConcurrency.refresh(functionName: function.name, context)
            }
            return response
        } catch {
            return error.restResponse(requestId: context.requestId)
        }
    }

    /// IAM's check for a Lambda operation: its action on its resource, with the function's own policy,
    /// and `iam:PassRole` on the execution role a request hands to a function.
    private func authorizeLambda(
        _ operation: String, _ parameters: [String: String], _ query: [String: String], _ request: HTTPRequest,
        _ context: RequestContext, _ caller: Caller
    ) throws(AWSError) {
        var (action, resource) = LambdaActions.authorization(
            operation: operation, parameters: parameters, query: query, context: context)
        var body: [String: JSONValue]?
        if operation == "CreateFunction" || operation == "UpdateFunctionConfiguration" {
            body = (try? JSONValue.parse(request.body))?.objectValue
        }
        if operation == "CreateFunction", let name = body?["FunctionName"]?.stringValue {
            resource = LambdaActions.functionArn(name, qualifier: nil, context)
        }
        var resourcePolicy: String?
        if caller.principal.kind != .root, resource.contains(":function:"),
            let function = parameters["FunctionName"].flatMap(FunctionReference.init(parsing:))
        {
            resourcePolicy = lambda.resourcePolicy(
                functionName: function.name, qualifier: query["Qualifier"] ?? function.qualifier)
        }
        try security.authorizer.authorize(
            caller, action: action, resource: resource, resourcePolicy: resourcePolicy, wire: .rest,
            requestId: context.requestId)
        // Tags on create need tagging permission too, as on AWS.
        if operation == "CreateFunction", body?["Tags"]?.objectValue?.isEmpty == false {
            try security.authorizer.authorize(
                caller, action: "lambda:TagResource", resource: resource, wire: .rest, requestId: context.requestId)
        }
        if let role = body?["Role"]?.stringValue {
            try security.authorizer.authorize(
                caller, action: "iam:PassRole", resource: role, wire: .rest, requestId: context.requestId)
            try security.checkExecutionRole(role)
        }
    }

    private func perform(
        _ operation: String, _ parameters: [String: String], _ request: HTTPRequest, _ context: RequestContext
    ) async throws(AWSError) -> HTTPResponse {
        let name = parameters["FunctionName"] ?? ""
        if Self.operationsNeedingPreparedCode.contains(operation), let function = FunctionReference(parsing: name) {
            await lambda.ensurePrepared(function.name)
        }
        switch operation {
        case "CreateFunction": return try lambda.createFunction(request, context)
        case "GetFunction": return try lambda.getFunction(request, context, name: name)
        case "GetFunctionConfiguration": return try lambda.getFunctionConfiguration(request, context, name: name)
        case "ListFunctions": return try lambda.listFunctions(request, context)
        case "UpdateFunctionCode": return try lambda.updateFunctionCode(request, context, name: name)
        case "UpdateFunctionConfiguration": return try lambda.updateFunctionConfiguration(request, context, name: name)
        case "DeleteFunction": return try lambda.deleteFunction(request, context, name: name)
        case "Invoke": return try await lambda.invoke(request, context, name: name)
        case "InvokeAsync": return try await lambda.invokeAsync(request, context, name: name)
        case "PutFunctionEventInvokeConfig":
            return try eventInvokeConfigs.put(request, context, name: name, merging: false)
        case "UpdateFunctionEventInvokeConfig":
            return try eventInvokeConfigs.put(request, context, name: name, merging: true)
        case "GetFunctionEventInvokeConfig": return try eventInvokeConfigs.get(request, context, name: name)
        case "DeleteFunctionEventInvokeConfig": return try eventInvokeConfigs.delete(request, context, name: name)
        case "ListFunctionEventInvokeConfigs": return try eventInvokeConfigs.list(request, context, name: name)
        case "PublishVersion": return try lambda.publishVersion(request, context, name: name)
        case "ListVersionsByFunction": return try lambda.listVersionsByFunction(request, context, name: name)
        case "CreateAlias": return try lambda.createAlias(request, context, name: name)
        case "GetAlias": return try lambda.getAlias(request, context, name: name, aliasName: parameters["Name"] ?? "")
        case "UpdateAlias":
            return try lambda.updateAlias(request, context, name: name, aliasName: parameters["Name"] ?? "")
        case "DeleteAlias":
            return try lambda.deleteAlias(request, context, name: name, aliasName: parameters["Name"] ?? "")
        case "ListAliases": return try lambda.listAliases(request, context, name: name)
        case "TagResource": return try lambda.tagResource(request, context, resource: parameters["Resource"] ?? "")
        case "UntagResource": return try lambda.untagResource(request, context, resource: parameters["Resource"] ?? "")
        case "ListTags": return try lambda.listTags(request, context, resource: parameters["Resource"] ?? "")
        case "PublishLayerVersion", "GetLayerVersion", "GetLayerVersionByArn", "ListLayers", "ListLayerVersions",
            "DeleteLayerVersion", "AddLayerVersionPermission", "GetLayerVersionPolicy", "RemoveLayerVersionPermission":
            return try lambda.performLayerOperation(operation, parameters, request, context)
        case "GetAccountSettings":
            return try lambda.getAccountSettings(
                context, concurrencyLimit: configuration.accountConcurrencyLimit,
                unreserved: concurrency.unreservedConcurrency())
        case "PutRuntimeManagementConfig": return try lambda.putRuntimeManagementConfig(request, context, name: name)
        case "GetRuntimeManagementConfig": return try lambda.getRuntimeManagementConfig(request, context, name: name)
        case "PutFunctionRecursionConfig": return try lambda.putFunctionRecursionConfig(request, context, name: name)
        case "GetFunctionRecursionConfig": return try lambda.getFunctionRecursionConfig(request, context, name: name)
        case "AddPermission": return try lambda.addPermission(request, context, name: name)
        case "RemovePermission":
            return try lambda.removePermission(
                request, context, name: name, statementId: parameters["StatementId"] ?? "")
        case "GetPolicy": return try lambda.getPolicy(request, context, name: name)
        case "PutProvisionedConcurrencyConfig":
            return try await provisionedConcurrency.put(request, context, name: name)
        case "GetProvisionedConcurrencyConfig":
            return try await provisionedConcurrency.get(request, context, name: name)
        case "DeleteProvisionedConcurrencyConfig":
            return try provisionedConcurrency.delete(request, context, name: name)
        case "ListProvisionedConcurrencyConfigs":
            return try await provisionedConcurrency.list(request, context, name: name)
        case "PutFunctionConcurrency": return try concurrency.put(request, context, name: name)
        case "GetFunctionConcurrency": return try concurrency.get(context, name: name)
        case "DeleteFunctionConcurrency": return try concurrency.delete(context, name: name)
        default:
            throw AWSError(
                status: 501, code: "NotImplementedException",
                message: "Swiftlet does not implement the Lambda operation \(operation) yet.")
        }
    }

    /// Credentials for a new environment of `function`, for its execution role; nil when the role is gone.
    public func issueFunctionCredentials(_ function: FunctionRecord) -> FunctionCredentials? {
        security.sessions.issue(for: function)
    }

    /// Operations that wait for a function's preparation (Pending or InProgress) to finish;
    /// reads never wait, so clients can watch the state change. Invoke and InvokeAsync check
    /// the record they resolve instead, so the invoke path pays no extra lookup.
    private static let operationsNeedingPreparedCode: Set<String> = [
        "UpdateFunctionCode", "UpdateFunctionConfiguration", "PublishVersion", "CreateAlias", "UpdateAlias",
        "DeleteFunction",
    ]

    /// Operations after which provisioned environments may belong elsewhere: an alias moved,
    /// or a function, version or alias is gone.
    private static let operationsMovingProvisionedConcurrency: Set<String> = [
        "UpdateAlias", "DeleteAlias", "DeleteFunction", "UpdateFunctionCode", "UpdateFunctionConfiguration",
    ]

    /// The model's operations with their path templates split once, at first use.
    /// Operations whose request URI carries a literal query come first, so they win over the
    /// operation that shares their path without it.
    private static let routes: [(name: String, method: String, template: [String], query: [String: String])] =
        LambdaOperations.all
        .map { operation in
            (
                name: operation.name, method: operation.method,
                template: operation.path.split(separator: "/").map(String.init),
                query: parseQuery(Substring(operation.query))
            )
        }
        .sorted { !$0.query.isEmpty && $1.query.isEmpty }

    /// Counters in Prometheus text format.
    private func metricsText() async -> String {
        let queue = asyncQueue.currentMetrics()
        let environments = await invoker.environmentCounts()
        let counters: [(String, String, Int)] = [
            ("swiftlet_async_events_accepted_total", "Asynchronous events accepted (answered 202).", queue.accepted),
            (
                "swiftlet_async_events_succeeded_total", "Asynchronous events whose invocation succeeded.",
                queue.succeeded
            ),
            ("swiftlet_async_events_retried_total", "Asynchronous delivery attempts scheduled again.", queue.retried),
            (
                "swiftlet_async_events_destination_total", "Asynchronous events sent to a failure destination.",
                queue.sentToDestination
            ),
            (
                "swiftlet_async_events_dropped_total", "Asynchronous events dropped: failed with no destination.",
                queue.dropped
            ),
        ]
        var text = ""
        for (name, help, value) in counters {
            text += "# HELP \(name) \(help)\n# TYPE \(name) counter\n\(name) \(value)\n"
        }
        text += "# HELP swiftlet_environments Execution environments alive.\n# TYPE swiftlet_environments gauge\n"
        text += "swiftlet_environments \(environments.total)\n"
        text += "# HELP swiftlet_environments_idle Execution environments idle and reusable.\n"
        text += "# TYPE swiftlet_environments_idle gauge\nswiftlet_environments_idle \(environments.idle)\n"
        text += "# HELP swiftlet_environments_memory_bytes Memory charged to environments against the budget.\n"
        text += "# TYPE swiftlet_environments_memory_bytes gauge\n"
        text += "swiftlet_environments_memory_bytes \(environments.memoryBytes)\n"
        text += "# HELP swiftlet_environments_reclaimed_total Idle environments stopped to make room in memory.\n"
        text += "# TYPE swiftlet_environments_reclaimed_total counter\n"
        text += "swiftlet_environments_reclaimed_total \(environments.reclaimed)\n"
        text += "# HELP swiftlet_stem_cells_ready Stem cells waiting for a function.\n"
        text += "# TYPE swiftlet_stem_cells_ready gauge\nswiftlet_stem_cells_ready \(environments.stemCellsReady)\n"
        text += "# HELP swiftlet_stem_cells_starting Stem cells being built.\n"
        text += "# TYPE swiftlet_stem_cells_starting gauge\n"
        text += "swiftlet_stem_cells_starting \(environments.stemCellsStarting)\n"
        text += "# HELP swiftlet_environments_specialized_total Environments made from stem cells.\n"
        text += "# TYPE swiftlet_environments_specialized_total counter\n"
        text += "swiftlet_environments_specialized_total \(environments.specialized)\n"
        text += "# HELP swiftlet_async_events_queued Asynchronous events waiting or being delivered.\n"
        text += "# TYPE swiftlet_async_events_queued gauge\nswiftlet_async_events_queued \(queue.queued)\n"
        return text
    }

    /// Finds the Lambda operation whose method, path template and literal query match.
    static func match(method: String, segments: [String], query: [String: String] = [:]) -> (String, [String: String])?
    {
        for route in routes where route.method == method && route.template.count <= segments.count {
            guard route.query.allSatisfy({ query[$0.key] == $0.value }) else { continue }
            if let parameters = bind(route.template, to: segments) {
                return (route.name, parameters)
            }
        }
        return nil
    }

    private static func bind(_ template: [String], to segments: [String]) -> [String: String]? {
        var parameters: [String: String] = [:]
        for (index, part) in template.enumerated() {
            if part.hasPrefix("{"), part.hasSuffix("+}") {
                guard index < segments.count else { return nil }
                parameters[String(part.dropFirst().dropLast(2))] = segments[index...].joined(separator: "/")
                return parameters
            }
            guard index < segments.count else { return nil }
            if part.hasPrefix("{"), part.hasSuffix("}") {
                parameters[String(part.dropFirst().dropLast())] = segments[index]
            } else if part != segments[index] {
                return nil
            }
        }
        return template.count == segments.count ? parameters : nil
    }
}
