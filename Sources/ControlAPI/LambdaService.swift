import Foundation
import HTTP
import Invoker
import Store

/// The Lambda REST API (2015-03-31): function lifecycle and Invoke.
struct LambdaService: Sendable {
    static let maximumSyncPayloadBytes = 6 * 1024 * 1024
    static let maximumAsyncPayloadBytes = 1024 * 1024

    let store: any Store
    let code: CodeRepository
    let invoker: Invoker
    let queue: AsyncQueue
    let signer: CodeURLSigner
    let concurrency: any ConcurrencyStore
    /// Functions whose code is being made ready to run (Pending, InProgress).
    let preparations: Preparations

    // MARK: CreateFunction

    func createFunction(_ request: HTTPRequest, _ context: RequestContext) throws(AWSError) -> HTTPResponse {
        var reader = try Self.reader(request)
        let name = reader.string("FunctionName")
        reader.validator.required(reader.document["FunctionName"], at: "functionName")
        reader.validator.required(reader.document["Role"], at: "role")
        reader.validator.required(reader.document["Code"], at: "code")
        reader.validator.length(name, at: "functionName", min: 1, max: 140)
        reader.validator.pattern(name, at: "functionName", LambdaShapes.functionNamePattern)
        let settings = try FunctionSettings(&reader)
        try Self.refuseUnsupported(reader)
        guard let name, let reference = FunctionReference(parsing: name), reference.qualifier == nil else {
            throw AWSError.validation(
                "1 validation error detected: Value '\(name ?? "")' at 'functionName' failed "
                    + "to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9-_]+")
        }
        let packageType = reader.string("PackageType") ?? "Zip"
        guard packageType == "Zip" else {
            throw AWSError.invalidParameter("PackageType \(packageType) is not supported by this Swiftlet server.")
        }
        guard settings.runtime != nil, settings.handler != nil else {
            throw AWSError.invalidParameter(
                "Runtime and Handler are mandatory parameters for functions created with deployment packages.")
        }
        if (try? store.function(named: reference.name, version: "$LATEST")) != nil {
            throw AWSError.conflict("Function already exist: \(reference.name)")
        }
        let tags = try Self.validatedTags(reader.document["Tags"])
        let blob = try acceptCode(reader.object("Code") ?? [:])
        var record = FunctionRecord(
            name: reference.name, runtime: nil, role: settings.role ?? "", handler: nil,
            codeSha256Hex: blob.sha256Hex, codeSha256: blob.sha256Base64, codeSizeBytes: blob.size,
            lastModifiedMilliseconds: Self.now(), revisionId: UUID().uuidString.lowercased(),
            accountId: context.accountId, region: context.region)
        record.codeUnzippedBytes = blob.unzippedBytes
        settings.apply(to: &record)
        try applyLayers(reader.document["Layers"], to: &record, context)
        try checkUnzippedSize(record)
        let publish = reader.document["Publish"]?.boolValue == true
        if publish {
            // A version is a snapshot of code that runs: prepare it before publishing.
            _ = try invocationTarget(record, invokedFunctionArn: "")
        } else {
            Self.markPreparing(&record, isNew: true)
        }
        do {
            try store.createFunction(record)
        } catch let error where error.code == .conflict {
            throw AWSError.conflict("Function already exist: \(reference.name)")
        } catch {
            throw AWSError.service()
        }
        let response = try finishCreate(record, tags: tags, publish: publish, context)
        if !publish {
            startPreparing(record.name)
        }
        return response
    }

    // MARK: Reading

    /// The alias a request names, in its Qualifier or in the function ARN, if it names one.
    static func requestedAlias(_ name: String, _ qualifier: String?) -> String? {
        (qualifier ?? FunctionReference(parsing: name)?.qualifier).flatMap { isAliasName($0) ? $0 : nil }
    }

    func getFunction(_ request: HTTPRequest, _ context: RequestContext, name: String) throws(AWSError) -> HTTPResponse {
        let qualifier = parseQuery(request.query)["Qualifier"]
        let record = try lookup(name, qualifier: qualifier, context)
        let location = signer.location(context, path: "/_swiftlet/code/\(record.name)/\(record.codeSha256Hex).zip")
        var document: [String: JSONValue] = [
            "Configuration": FunctionConfiguration.json(record, alias: Self.requestedAlias(name, qualifier)),
            "Code": ["RepositoryType": "S3", "Location": .string(location)],
        ]
        let tags = try functionTags(record.name)
        if !tags.isEmpty {
            document["Tags"] = .object(tags.mapValues { .string($0) })
        }
        if let reserved = try? concurrency.reservedConcurrency(functionName: record.name) {
            document["Concurrency"] = ["ReservedConcurrentExecutions": .number(Double(reserved))]
        }
        return Self.json(200, .object(document), context)
    }

    func getFunctionConfiguration(
        _ request: HTTPRequest, _ context: RequestContext, name: String
    ) throws(AWSError) -> HTTPResponse {
        let qualifier = parseQuery(request.query)["Qualifier"]
        let record = try lookup(name, qualifier: qualifier, context)
        return Self.json(200, FunctionConfiguration.json(record, alias: Self.requestedAlias(name, qualifier)), context)
    }

    func listFunctions(_ request: HTTPRequest, _ context: RequestContext) throws(AWSError) -> HTTPResponse {
        let query = parseQuery(request.query)
        var validator = Validator()
        let maxItems = query["MaxItems"].map { Int($0) ?? 0 }
        validator.range(maxItems, at: "maxItems", min: 1, max: 10000)
        try validator.check()
        let limit = min(maxItems ?? 50, 50)
        let records: [FunctionRecord]
        do {
            records = try store.listFunctions(after: query["Marker"], limit: limit + 1)
        } catch {
            throw AWSError.service()
        }
        var document: [String: JSONValue] = [
            "Functions": .array(records.prefix(limit).map { FunctionConfiguration.json($0) })
        ]
        if records.count > limit {
            document["NextMarker"] = .string(records[limit - 1].name)
        }
        return Self.json(200, .object(document), context)
    }

    // MARK: Updating and deleting

    func updateFunctionCode(
        _ request: HTTPRequest, _ context: RequestContext, name: String
    ) throws(AWSError) -> HTTPResponse {
        let reader = try Self.reader(request)
        try Self.refuseUnsupported(reader)
        var record = try lookup(name, qualifier: nil, context)
        try checkRevision(reader.string("RevisionId"), record)
        let blob = try acceptCode(reader.document)
        try checkUnzippedSize(record, codeUnzippedBytes: blob.unzippedBytes)
        if reader.document["DryRun"]?.boolValue == true {
            return Self.json(200, FunctionConfiguration.json(record), context)
        }
        record.codeSha256Hex = blob.sha256Hex
        record.codeSha256 = blob.sha256Base64
        record.codeSizeBytes = blob.size
        record.codeUnzippedBytes = blob.unzippedBytes
        let publish = reader.document["Publish"]?.boolValue == true
        if publish {
            // A version is a snapshot of code that runs: prepare it before publishing.
            _ = try invocationTarget(record, invokedFunctionArn: "")
        }
        let response = try save(&record, prepared: publish, context)
        guard publish else { return response }
        return Self.json(200, FunctionConfiguration.json(try self.publish(record, description: nil, context)), context)
    }

    func updateFunctionConfiguration(
        _ request: HTTPRequest, _ context: RequestContext, name: String
    ) throws(AWSError) -> HTTPResponse {
        var reader = try Self.reader(request)
        let settings = try FunctionSettings(&reader)
        var record = try lookup(name, qualifier: nil, context)
        try checkRevision(reader.string("RevisionId"), record)
        settings.apply(to: &record)
        try applyLayers(reader.document["Layers"], to: &record, context)
        try checkUnzippedSize(record)
        return try save(&record, context)
    }

    func deleteFunction(
        _ request: HTTPRequest, _ context: RequestContext, name: String
    ) throws(AWSError) -> HTTPResponse {
        let qualifier = parseQuery(request.query)["Qualifier"]
        let record = try lookup(name, qualifier: qualifier, context)
        if let requested = qualifier ?? FunctionReference(parsing: name)?.qualifier, requested != "$LATEST" {
            return try deleteFunctionVersion(record, requested: requested, context)
        }
        do {
            _ = try store.deleteFunction(named: record.name)
        } catch {
            throw AWSError.service()
        }
        invoker.retire(functionName: record.name)
        return HTTPResponse(status: 204, headers: ["X-Amzn-RequestId": context.requestId])
    }

    func getAccountSettings(
        _ context: RequestContext, concurrencyLimit: Int, unreserved: Int
    ) throws(AWSError) -> HTTPResponse {
        let count = (try? store.listFunctions(after: nil, limit: 100_000).count) ?? 0
        let document: JSONValue = [
            "AccountLimit": [
                "TotalCodeSize": 80_530_636_800, "CodeSizeUnzipped": 262_144_000, "CodeSizeZipped": 52_428_800,
                "ConcurrentExecutions": .number(Double(concurrencyLimit)),
                "UnreservedConcurrentExecutions": .number(Double(unreserved)),
            ],
            "AccountUsage": ["TotalCodeSize": 0, "FunctionCount": .number(Double(count))],
        ]
        return Self.json(200, document, context)
    }

    // MARK: Invoke

    func invoke(_ request: HTTPRequest, _ context: RequestContext, name: String) async throws(AWSError) -> HTTPResponse
    {
        let invocationType = request.headers["X-Amz-Invocation-Type"] ?? "RequestResponse"
        guard ["RequestResponse", "Event", "DryRun"].contains(invocationType) else {
            throw AWSError.validation(
                "1 validation error detected: Value '\(invocationType)' at 'invocationType' failed to satisfy "
                    + "constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]"
            )
        }
        let logType = request.headers["X-Amz-Log-Type"] ?? "None"
        guard ["None", "Tail"].contains(logType) else {
            throw AWSError.validation(
                "1 validation error detected: Value '\(logType)' at 'logType' failed to "
                    + "satisfy constraint: Member must satisfy enum value set: [None, Tail]")
        }
        if invocationType == "Event", request.body.count > Self.maximumAsyncPayloadBytes {
            throw Self.tooLarge(limit: Self.maximumAsyncPayloadBytes)
        }
        let payload = request.body.isEmpty ? Array("{}".utf8) : request.body
        try Self.checkJSON(payload)
        let qualifier = parseQuery(request.query)["Qualifier"] ?? FunctionReference(parsing: name)?.qualifier
        let resolve = { () async throws(AWSError) -> (FunctionRecord, InvocationTarget?) in
            var record = try self.lookup(name, qualifier: qualifier, context, routing: true)
            if record.isBeingPrepared {
                // Checked on the record the invoke resolved anyway: a published version never waits.
                await self.ensurePrepared(record.name)
                record = try self.lookup(name, qualifier: qualifier, context, routing: true)
            }
            try Self.refuseUnready(record)
            guard invocationType == "RequestResponse" else { return (record, nil) }
            let arn = context.functionArn(record.name, qualifier: qualifier)
            return (record, try self.invocationTarget(record, invokedFunctionArn: arn))
        }
        let (record, target) =
            if context.servedOnEventLoop, !resolvesInMemory(name, qualifier: qualifier) {
                // The event loop must not wait for SQLite or the disk: resolve on the pool.
                try await withTaskExecutorPreference(globalConcurrentExecutor) { () async throws(AWSError) in
                    try await resolve()
                }
            } else {
                try await resolve()
            }
        var headers: HTTPHeaders = ["X-Amzn-RequestId": context.requestId]
        switch invocationType {
        case "DryRun":
            return HTTPResponse(status: 204, headers: headers)
        case "Event":
            try await enqueue(record.name, qualifier ?? "$LATEST", payload, context)
            return HTTPResponse(status: 202, headers: headers)
        default:
            guard let target else { throw AWSError.service() }
            let clientContext = request.headers["X-Amz-Client-Context"].flatMap(Self.decodeClientContext)
            let invocation = InvokeRequest(requestId: context.requestId, payload: payload, clientContext: clientContext)
            let result: InvokeResult
            do {
                result = try await invoker.invoke(target, invocation)
            } catch {
                throw Self.map(error)
            }
            headers.add("Content-Type", "application/json")
            headers.add("X-Amz-Executed-Version", result.executedVersion)
            if let functionError = result.functionError {
                headers.add("X-Amz-Function-Error", functionError)
            }
            if logType == "Tail" {
                headers.add("X-Amz-Log-Result", Data(Self.tail(result.log)).base64EncodedString())
            }
            return HTTPResponse(status: 200, headers: headers, body: result.payload)
        }
    }

    /// Whether resolving an invoke of `name` needs only memory: a function record the store
    /// has cached, ready, with code known to be unpacked and no layers, named without an
    /// alias (aliases are read from the store).
    private func resolvesInMemory(_ name: String, qualifier: String?) -> Bool {
        guard let reference = FunctionReference(parsing: name) else { return true }  // refused without reading
        let version = qualifier ?? reference.qualifier ?? "$LATEST"
        guard !Self.isAliasName(version), let record = store.cachedFunction(named: reference.name, version: version)
        else { return false }
        return !record.isBeingPrepared && code.isUnpacked(record.codeSha256Hex) && (record.layers ?? []).isEmpty
    }

    /// The legacy InvokeAsync: the body is the event; answers 202 `{"Status": 202}`.
    func invokeAsync(
        _ request: HTTPRequest, _ context: RequestContext, name: String
    ) async throws(AWSError) -> HTTPResponse {
        if request.body.count > 256 * 1024 {
            throw Self.tooLarge(limit: 256 * 1024)
        }
        let payload = request.body.isEmpty ? Array("{}".utf8) : request.body
        try Self.checkJSON(payload)
        var record = try lookup(name, qualifier: nil, context)
        if record.isBeingPrepared {
            await ensurePrepared(record.name)
            record = try lookup(name, qualifier: nil, context)
        }
        try Self.refuseUnready(record)
        try await enqueue(record.name, FunctionReference(parsing: name)?.qualifier ?? "$LATEST", payload, context)
        return Self.json(202, ["Status": 202], context)
    }

    /// Puts an event in the durable queue; returns once it is on disk.
    private func enqueue(
        _ function: String, _ qualifier: String, _ payload: [UInt8], _ context: RequestContext
    )
        async throws(AWSError)
    {
        let now = Self.now()
        let event = AsyncEvent(
            requestId: context.requestId, functionName: function, qualifier: qualifier, payload: payload,
            enqueuedMilliseconds: now, nextAttemptMilliseconds: now)
        do {
            _ = try await queue.enqueue(event)
        } catch {
            throw AWSError.service("The event could not be stored; it was not accepted.")
        }
    }

    /// What an asynchronous event of `function` and `qualifier` runs now, or nil if it is gone.
    /// An alias is resolved (with its routing weights) at each delivery, as on AWS.
    func asyncTarget(functionName: String, qualifier: String) -> InvocationTarget? {
        guard let latest = try? store.function(named: functionName) ?? nil else { return nil }
        let context = RequestContext(requestId: "", region: latest.region, accountId: latest.accountId)
        guard let record = try? lookup(functionName, qualifier: qualifier, context, routing: true) else { return nil }
        let invoked = context.functionArn(functionName, qualifier: qualifier == "$LATEST" ? nil : qualifier)
        return try? invocationTarget(record, invokedFunctionArn: invoked)
    }

    /// Serves the zip behind GetFunction's Code.Location.
    func downloadCode(name: String, file: String) -> HTTPResponse {
        let hex = file.hasSuffix(".zip") ? String(file.dropLast(4)) : file
        let hashes =
            name.hasPrefix("layer:")
            ? (try? store.layerVersions(layerName: String(name.dropFirst(6))))?.map(\.codeSha256Hex)
            : (try? store.functionVersions(named: name))?.map(\.codeSha256Hex)
        guard hashes?.contains(hex) == true, let bytes = try? store.readBlob(sha256Hex: hex)
        else {
            return HTTPResponse(status: 404, text: "Not found\n")
        }
        return HTTPResponse(status: 200, headers: ["Content-Type": "application/zip"], body: bytes)
    }

    // MARK: Helpers

    /// Members that would change how a function runs in ways Swiftlet cannot honour
    /// yet are refused by name, never silently ignored. Empty values (as tools send
    /// for "none") pass.
    static func refuseUnsupported(_ reader: RequestReader) throws(AWSError) {
        let document = reader.document
        var unsupported: [String] = []
        if document["PublishTo"] != nil { unsupported.append("PublishTo") }
        if document["CapacityProviderConfig"] != nil { unsupported.append("CapacityProviderConfig") }
        if document["FileSystemConfigs"]?.arrayValue?.isEmpty == false { unsupported.append("FileSystemConfigs") }
        if document["VpcConfig"]?["SubnetIds"]?.arrayValue?.isEmpty == false { unsupported.append("VpcConfig") }
        if let first = unsupported.first {
            throw AWSError.invalidParameter("Swiftlet does not support \(first) yet.")
        }
    }

    /// The function version `name` and `qualifier` name; an alias resolves to its primary
    /// version, or with `routing` to a version drawn by its weights.
    func lookup(
        _ name: String, qualifier: String?, _ context: RequestContext, routing: Bool = false
    ) throws(AWSError) -> FunctionRecord {
        guard let reference = FunctionReference(parsing: name) else {
            throw AWSError.validation(
                "1 validation error detected: Value '\(name)' at 'functionName' failed to "
                    + "satisfy constraint: Member must satisfy regular expression pattern: "
                    + LambdaShapes.functionNamePattern)
        }
        if let qualifier, let embedded = reference.qualifier, qualifier != embedded {
            throw AWSError.invalidParameter(
                "The derived qualifier from the function name does not match the specified qualifier.")
        }
        let version = qualifier ?? reference.qualifier ?? "$LATEST"
        if Self.isAliasName(version) {
            return try resolveAlias(functionName: reference.name, aliasName: version, context, routing: routing)
        }
        let record: FunctionRecord?
        do {
            record = try store.function(named: reference.name, version: version)
        } catch {
            throw AWSError.service()
        }
        guard let record else {
            let arn = context.functionArn(reference.name, qualifier: version == "$LATEST" ? nil : version)
            throw AWSError.resourceNotFound("Function not found: \(arn)")
        }
        return record
    }

    private func acceptCode(
        _ code: [String: JSONValue]
    ) throws(AWSError) -> CodeRepository.AcceptedZip {
        if code["S3Bucket"] != nil || code["ImageUri"] != nil {
            throw AWSError.invalidParameter("This Swiftlet server accepts function code as Code.ZipFile only.")
        }
        guard let zip = code["ZipFile"]?.stringValue else {
            throw AWSError.invalidParameter("Please provide a source for function code.")
        }
        return try self.code.accept(zipFileBase64: zip)
    }

    func checkRevision(_ revisionId: String?, _ record: FunctionRecord) throws(AWSError) {
        if let revisionId, revisionId != record.revisionId {
            throw Self.staleRevision()
        }
    }

    /// Stores a changed `$LATEST`: InProgress while it is prepared in the background, or
    /// Successful at once when the caller has `prepared` it.
    private func save(
        _ record: inout FunctionRecord, prepared: Bool = false, _ context: RequestContext
    ) throws(AWSError) -> HTTPResponse {
        guard record.version == FunctionRecord.latestVersion else {
            throw AWSError.invalidParameter(
                "Published versions cannot be changed. Update $LATEST and publish a new version instead.")
        }
        let previous = record.revisionId
        record.revisionId = UUID().uuidString.lowercased()
        record.lastModifiedMilliseconds = Self.now()
        if prepared {
            record.state = "Active"
            record.lastUpdateStatus = "Successful"
            record.lastUpdateStatusReason = nil
            record.lastUpdateStatusReasonCode = nil
        } else {
            Self.markPreparing(&record, isNew: false)
        }
        do {
            try store.updateFunction(record, expectedRevisionId: previous)
        } catch  where error.code == .preconditionFailed {
            throw Self.staleRevision()
        } catch  where error.code == .notFound {
            throw AWSError.resourceNotFound("Function not found: \(context.functionArn(record.name))")
        } catch {
            throw AWSError.service()
        }
        invoker.retire(functionName: record.name)
        if !prepared {
            startPreparing(record.name)
        }
        return Self.json(200, FunctionConfiguration.json(record), context)
    }

    static func reader(_ request: HTTPRequest) throws(AWSError) -> RequestReader {
        let body = request.body.isEmpty ? Array("{}".utf8) : request.body
        guard let document = (try? JSONValue.parse(body))?.objectValue else {
            throw AWSError(
                status: 400, code: "InvalidRequestContentException",
                message: "Could not parse request body into json: the body is not a JSON object")
        }
        return RequestReader(document)
    }

    private static func checkJSON(_ payload: [UInt8]) throws(AWSError) {
        guard JSONValue.isValid(payload) else {
            throw AWSError(
                status: 400, code: "InvalidRequestContentException",
                message: "Could not parse request body into json: Could not parse payload into json: "
                    + "Unexpected character or malformed JSON document")
        }
    }

    static func tooLarge(limit: Int) -> AWSError {
        AWSError(
            status: 413, code: "RequestTooLargeException",
            message: "Request must be smaller than \(limit) bytes for the InvokeFunction operation")
    }

    private static func map(_ error: InvokeError) -> AWSError {
        switch error.code {
        case .throttled:
            var aws = AWSError(status: 429, code: "TooManyRequestsException", message: error.message)
            aws.extra["Reason"] = .string(error.reason ?? "ConcurrentInvocationLimitExceeded")
            aws.headers.add("Retry-After", "1")
            return aws
        case .shuttingDown:
            return AWSError(status: 503, code: "ServiceException", message: error.message)
        case .environmentFailed:
            return AWSError.service(error.message)
        }
    }

    /// The last 4 KB of an invocation's log, cut at a character boundary.
    private static func tail(_ log: String) -> [UInt8] {
        let bytes = Array(log.utf8)
        guard bytes.count > 4096 else { return bytes }
        var start = bytes.count - 4096
        while start < bytes.count, bytes[start] & 0xC0 == 0x80 {
            start += 1
        }
        return Array(bytes[start...])
    }

    private static func decodeClientContext(_ base64: String) -> String? {
        Data(base64Encoded: base64).map { String(decoding: $0, as: UTF8.self) }
    }

    static func json(_ status: Int, _ document: JSONValue, _ context: RequestContext) -> HTTPResponse {
        HTTPResponse(
            status: status,
            headers: ["Content-Type": "application/json", "X-Amzn-RequestId": context.requestId],
            body: document.serialized())
    }

    static func now() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded())
    }
}
