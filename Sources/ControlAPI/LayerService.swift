import Foundation
import HTTP
import Store

/// PublishLayerVersion, GetLayerVersion(ByArn), ListLayers, ListLayerVersions,
/// DeleteLayerVersion and the layer version policy operations.
///
/// Layers are stored and served here; LayerTrees.swift merges a function's layers for `/opt`.
extension LambdaService {
    /// A function may use at most this many layers.
    static let maximumLayers = 5

    func publishLayerVersion(
        _ request: HTTPRequest, _ context: RequestContext, layer: String
    ) throws(AWSError) -> HTTPResponse {
        var reader = try Self.reader(request)
        reader.validator.required(reader.document["Content"], at: "content")
        let description = reader.string("Description")
        let license = reader.string("LicenseInfo")
        let runtimes = reader.document["CompatibleRuntimes"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let architectures = reader.document["CompatibleArchitectures"]?.arrayValue?.compactMap(\.stringValue) ?? []
        reader.validator.length(description, at: "description", max: 256)
        reader.validator.length(license, at: "licenseInfo", max: 512)
        for runtime in runtimes {
            reader.validator.oneOf(runtime, at: "compatibleRuntimes.member", LambdaShapes.runtimes)
        }
        for architecture in architectures {
            reader.validator.oneOf(architecture, at: "compatibleArchitectures.member", LambdaShapes.architectures)
        }
        if runtimes.count > 15 {
            reader.validator.fail(nil, at: "compatibleRuntimes", "Member must have length less than or equal to 15")
        }
        if architectures.count > 2 {
            reader.validator.fail(nil, at: "compatibleArchitectures", "Member must have length less than or equal to 2")
        }
        let name = try Self.layerName(layer, context, &reader.validator)
        try reader.validator.check()
        let content = reader.object("Content") ?? [:]
        if content["S3Bucket"] != nil {
            throw AWSError.invalidParameter("This Swiftlet server accepts layer content as Content.ZipFile only.")
        }
        guard let zip = content["ZipFile"]?.stringValue else {
            throw AWSError.invalidParameter("Please provide a source for layer content.")
        }
        let blob = try code.accept(zipFileBase64: zip)
        var record = LayerVersionRecord(
            layerName: name, version: 0, description: description ?? "", licenseInfo: license,
            compatibleRuntimes: runtimes, compatibleArchitectures: architectures, codeSha256Hex: blob.sha256Hex,
            codeSha256: blob.sha256Base64, codeSizeBytes: blob.size, createdMilliseconds: Self.now(),
            policyRevisionId: UUID().uuidString.lowercased(), accountId: context.accountId, region: context.region)
        record.unzippedBytes = blob.unzippedBytes
        let published: LayerVersionRecord
        do {
            published = try store.publishLayerVersion(record)
        } catch {
            throw AWSError.service()
        }
        return Self.json(201, Self.layerVersionJSON(published, context, signer: signer), context)
    }

    func getLayerVersion(
        _ request: HTTPRequest, _ context: RequestContext, layer: String, version: String
    ) throws(AWSError) -> HTTPResponse {
        let record = try storedLayerVersion(layer, version, context)
        return Self.json(200, Self.layerVersionJSON(record, context, signer: signer), context)
    }

    func getLayerVersionByArn(_ request: HTTPRequest, _ context: RequestContext) throws(AWSError) -> HTTPResponse {
        let arn = parseQuery(request.query)["Arn"] ?? ""
        let parts = arn.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 8, parts[0] == "arn", parts[2] == "lambda", parts[5] == "layer" else {
            throw AWSError.validation(
                "1 validation error detected: Value '\(arn)' at 'arn' failed to satisfy constraint: Member must "
                    + "satisfy regular expression pattern: "
                    + #"arn:(aws[a-zA-Z-]*)?:lambda:[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:\d{12}:layer:"#
                    + "[a-zA-Z0-9-_]+:[0-9]+")
        }
        let record = try storedLayerVersion(String(parts[6]), String(parts[7]), context)
        return Self.json(200, Self.layerVersionJSON(record, context, signer: signer), context)
    }

    func listLayers(_ request: HTTPRequest, _ context: RequestContext) throws(AWSError) -> HTTPResponse {
        let query = parseQuery(request.query)
        let maxItems = try Self.layerMaxItems(query)
        let records: [LayerVersionRecord]
        do {
            records = try store.latestLayerVersions()
        } catch {
            throw AWSError.service()
        }
        // LatestMatchingVersion is the newest version that matches the filters, so filter per layer.
        var matching: [LayerVersionRecord] = []
        for newest in records {
            if Self.matches(newest, query) {
                matching.append(newest)
            } else if let older = try? store.layerVersions(layerName: newest.layerName).first(where: {
                Self.matches($0, query)
            }) {
                matching.append(older)
            }
        }
        let page = Pagination.page(
            matching, marker: query["Marker"], maxItems: maxItems, key: \.layerName, isAfter: { $0.layerName > $1 })
        let items: [JSONValue] = page.items.map { record in
            [
                "LayerName": .string(record.layerName),
                "LayerArn": .string(Self.layerArn(record.layerName, context)),
                "LatestMatchingVersion": Self.layerVersionJSON(record, context, signer: nil),
            ]
        }
        var document: [String: JSONValue] = ["Layers": .array(items)]
        if let marker = page.nextMarker {
            document["NextMarker"] = .string(marker)
        }
        return Self.json(200, .object(document), context)
    }

    func listLayerVersions(
        _ request: HTTPRequest, _ context: RequestContext, layer: String
    ) throws(AWSError) -> HTTPResponse {
        let query = parseQuery(request.query)
        let maxItems = try Self.layerMaxItems(query)
        var validator = Validator()
        let name = try Self.layerName(layer, context, &validator)
        try validator.check()
        let records: [LayerVersionRecord]
        do {
            records = try store.layerVersions(layerName: name).filter { Self.matches($0, query) }
        } catch {
            throw AWSError.service()
        }
        let page = Pagination.page(
            records, marker: query["Marker"], maxItems: maxItems, key: { String($0.version) },
            isAfter: { $0.version < Int($1) ?? Int.max })
        var document: [String: JSONValue] = [
            "LayerVersions": .array(page.items.map { Self.layerVersionJSON($0, context, signer: nil) })
        ]
        if let marker = page.nextMarker {
            document["NextMarker"] = .string(marker)
        }
        return Self.json(200, .object(document), context)
    }

    /// Deleting a version that does not exist succeeds, as on Lambda.
    func deleteLayerVersion(
        _ request: HTTPRequest, _ context: RequestContext, layer: String, version: String
    ) throws(AWSError) -> HTTPResponse {
        var validator = Validator()
        let name = try Self.layerName(layer, context, &validator)
        try validator.check()
        let number = try Self.layerVersionNumber(version)
        do {
            try store.deleteLayerVersion(layerName: name, version: number)
        } catch {
            throw AWSError.service()
        }
        return HTTPResponse(status: 204, headers: ["X-Amzn-RequestId": context.requestId])
    }

    // MARK: Policy

    func addLayerVersionPermission(
        _ request: HTTPRequest, _ context: RequestContext, layer: String, version: String
    ) throws(AWSError) -> HTTPResponse {
        var reader = try Self.reader(request)
        for member in ["StatementId", "Action", "Principal"] {
            reader.validator.required(reader.document[member], at: member.prefix(1).lowercased() + member.dropFirst())
        }
        let statementId = reader.string("StatementId")
        let action = reader.string("Action")
        let principal = reader.string("Principal")
        let organization = reader.string("OrganizationId")
        reader.validator.length(statementId, at: "statementId", min: 1, max: 100)
        reader.validator.pattern(statementId, at: "statementId", "([a-zA-Z0-9-_]+)")
        reader.validator.pattern(action, at: "action", "lambda:GetLayerVersion")
        reader.validator.pattern(principal, at: "principal", #"\d{12}|\*|arn:(aws[a-zA-Z-]*):iam::\d{12}:root"#)
        reader.validator.pattern(organization, at: "organizationId", "o-[a-z0-9]{10,32}")
        try reader.validator.check()
        var record = try storedLayerVersion(layer, version, context)
        try checkPolicyRevision(request, record)
        guard let statementId, let action, let principal else { throw AWSError.service() }
        if record.policyStatements[statementId] != nil {
            throw AWSError.conflict(
                "The statement id (\(statementId)) provided already exists. Please provide a new statement id, or "
                    + "remove the existing statement.")
        }
        var statement: [String: JSONValue] = [
            "Sid": .string(statementId),
            "Effect": "Allow",
            "Principal": principal == "*" ? "*" : ["AWS": .string(Self.principalArn(principal))],
            "Action": .string(action),
            "Resource": .string(Self.layerVersionArn(record, context)),
        ]
        if let organization {
            statement["Condition"] = ["StringEquals": ["aws:PrincipalOrgID": .string(organization)]]
        }
        let text = String(decoding: JSONValue.object(statement).serialized(), as: UTF8.self)
        record.policyStatements[statementId] = text
        record.policyRevisionId = UUID().uuidString.lowercased()
        try saveLayerVersion(record)
        return Self.json(201, ["Statement": .string(text), "RevisionId": .string(record.policyRevisionId)], context)
    }

    func getLayerVersionPolicy(
        _ request: HTTPRequest, _ context: RequestContext, layer: String, version: String
    ) throws(AWSError) -> HTTPResponse {
        let record = try storedLayerVersion(layer, version, context)
        guard !record.policyStatements.isEmpty else {
            throw AWSError.resourceNotFound("No policy is associated with the given resource.")
        }
        let statements = record.policyStatements.keys.sorted().compactMap { key in
            record.policyStatements[key].flatMap { try? JSONValue.parse(Array($0.utf8)) }
        }
        let policy: JSONValue = [
            "Version": "2012-10-17", "Id": "default", "Statement": .array(statements),
        ]
        let text = String(decoding: policy.serialized(), as: UTF8.self)
        return Self.json(200, ["Policy": .string(text), "RevisionId": .string(record.policyRevisionId)], context)
    }

    func removeLayerVersionPermission(
        _ request: HTTPRequest, _ context: RequestContext, layer: String, version: String, statementId: String
    ) throws(AWSError) -> HTTPResponse {
        var record = try storedLayerVersion(layer, version, context)
        try checkPolicyRevision(request, record)
        guard record.policyStatements.removeValue(forKey: statementId) != nil else {
            throw AWSError.resourceNotFound("Statement \(statementId) is not found in resource policy.")
        }
        record.policyRevisionId = UUID().uuidString.lowercased()
        try saveLayerVersion(record)
        return HTTPResponse(status: 204, headers: ["X-Amzn-RequestId": context.requestId])
    }

    // MARK: Layers on functions

    /// Resolves a function's Layers member to stored layer versions, in order.
    func functionLayers(_ arns: [String], _ context: RequestContext) throws(AWSError) -> [FunctionLayer] {
        if arns.count > Self.maximumLayers {
            throw AWSError.invalidParameter("Cannot reference more than \(Self.maximumLayers) layers.")
        }
        var layers: [FunctionLayer] = []
        for arn in arns {
            let parts = arn.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 8, parts[0] == "arn", parts[5] == "layer", let number = Int(parts[7]),
                let record = try? store.layerVersion(layerName: String(parts[6]), version: number)
            else {
                throw AWSError.invalidParameter("Layer version \(arn) does not exist.")
            }
            layers.append(
                FunctionLayer(
                    arn: arn, codeSizeBytes: record.codeSizeBytes, codeSha256Hex: record.codeSha256Hex,
                    unzippedBytes: record.unzippedBytes))
        }
        return layers
    }

    // MARK: Helpers

    private func storedLayerVersion(
        _ layer: String, _ version: String, _ context: RequestContext
    ) throws(AWSError) -> LayerVersionRecord {
        var validator = Validator()
        let name = try Self.layerName(layer, context, &validator)
        try validator.check()
        let number = try Self.layerVersionNumber(version)
        let record: LayerVersionRecord?
        do {
            record = try store.layerVersion(layerName: name, version: number)
        } catch {
            throw AWSError.service()
        }
        guard let record else {
            throw AWSError.resourceNotFound("The resource you requested does not exist.")
        }
        return record
    }

    private func saveLayerVersion(_ record: LayerVersionRecord) throws(AWSError) {
        do {
            try store.updateLayerVersion(record)
        } catch  where error.code == .notFound {
            throw AWSError.resourceNotFound("The resource you requested does not exist.")
        } catch {
            throw AWSError.service()
        }
    }

    private func checkPolicyRevision(_ request: HTTPRequest, _ record: LayerVersionRecord) throws(AWSError) {
        if let revision = parseQuery(request.query)["RevisionId"], revision != record.policyRevisionId {
            throw Self.staleRevision()
        }
    }

    /// A layer's name from a LayerName path member: the name itself or the layer's ARN.
    static func layerName(
        _ text: String, _ context: RequestContext, _ validator: inout Validator
    ) throws(AWSError) -> String {
        let name = text.hasPrefix("arn:") ? String(text.split(separator: ":").last ?? "") : text
        let valid =
            text.hasPrefix("arn:") ? text.split(separator: ":", omittingEmptySubsequences: false).count == 7 : true
        if !valid || name.isEmpty || name.utf8.count > 140
            || !name.utf8.allSatisfy({ byte in
                (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7a) || byte == 0x2d
                    || byte == 0x5f
            })
        {
            validator.fail(
                text, at: "layerName",
                "Member must satisfy regular expression pattern: "
                    + #"(arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\d{12}:layer:[a-zA-Z0-9-_]+)|[a-zA-Z0-9-_]+"#)
        }
        return name
    }

    private static func layerVersionNumber(_ text: String) throws(AWSError) -> Int {
        guard let number = Int(text), number >= 1 else {
            throw AWSError.invalidParameter("Layer version \(text) is not a valid version number.")
        }
        return number
    }

    private static func layerMaxItems(_ query: [String: String]) throws(AWSError) -> Int? {
        var validator = Validator()
        let maxItems = query["MaxItems"].map { Int($0) ?? 0 }
        validator.range(maxItems, at: "maxItems", min: 1, max: 50)
        validator.oneOf(query["CompatibleRuntime"], at: "compatibleRuntime", LambdaShapes.runtimes)
        validator.oneOf(query["CompatibleArchitecture"], at: "compatibleArchitecture", LambdaShapes.architectures)
        try validator.check()
        return maxItems
    }

    private static func matches(_ record: LayerVersionRecord, _ query: [String: String]) -> Bool {
        if let runtime = query["CompatibleRuntime"], !record.compatibleRuntimes.contains(runtime) {
            return false
        }
        if let architecture = query["CompatibleArchitecture"], !record.compatibleArchitectures.contains(architecture) {
            return false
        }
        return true
    }

    private static func principalArn(_ principal: String) -> String {
        principal.hasPrefix("arn:") ? principal : "arn:aws:iam::\(principal):root"
    }

    static func layerArn(_ name: String, _ context: RequestContext) -> String {
        "arn:aws:lambda:\(context.region):\(context.accountId):layer:\(name)"
    }

    static func layerVersionArn(_ record: LayerVersionRecord, _ context: RequestContext) -> String {
        "arn:aws:lambda:\(record.region):\(record.accountId):layer:\(record.layerName):\(record.version)"
    }

    /// GetLayerVersion's shape (its Content.Location presigned by `signer`), or without a
    /// signer a LayerVersionsListItem.
    static func layerVersionJSON(
        _ record: LayerVersionRecord, _ context: RequestContext, signer: CodeURLSigner?
    ) -> JSONValue {
        var members: [String: JSONValue] = [
            "LayerVersionArn": .string(layerVersionArn(record, context)),
            "Version": .number(Double(record.version)),
            "Description": .string(record.description),
            "CreatedDate": .string(FunctionConfiguration.lastModified(record.createdMilliseconds)),
            "CompatibleRuntimes": .array(record.compatibleRuntimes.map { .string($0) }),
            "CompatibleArchitectures": .array(record.compatibleArchitectures.map { .string($0) }),
        ]
        if let license = record.licenseInfo {
            members["LicenseInfo"] = .string(license)
        }
        if let signer {
            members["LayerArn"] = .string(layerArn(record.layerName, context))
            let location = signer.location(
                context, path: "/_swiftlet/code/layer:\(record.layerName)/\(record.codeSha256Hex).zip")
            members["Content"] = [
                "Location": .string(location), "CodeSha256": .string(record.codeSha256),
                "CodeSize": .number(Double(record.codeSizeBytes)),
            ]
        }
        return .object(members)
    }
}

extension LambdaService {
    /// Dispatches the layer operations by name with their path members.
    func performLayerOperation(
        _ operation: String, _ parameters: [String: String], _ request: HTTPRequest, _ context: RequestContext
    ) throws(AWSError) -> HTTPResponse {
        let layer = parameters["LayerName"] ?? ""
        let version = parameters["VersionNumber"] ?? ""
        switch operation {
        case "PublishLayerVersion": return try publishLayerVersion(request, context, layer: layer)
        case "GetLayerVersion": return try getLayerVersion(request, context, layer: layer, version: version)
        case "GetLayerVersionByArn": return try getLayerVersionByArn(request, context)
        case "ListLayers": return try listLayers(request, context)
        case "ListLayerVersions": return try listLayerVersions(request, context, layer: layer)
        case "DeleteLayerVersion": return try deleteLayerVersion(request, context, layer: layer, version: version)
        case "AddLayerVersionPermission":
            return try addLayerVersionPermission(request, context, layer: layer, version: version)
        case "GetLayerVersionPolicy": return try getLayerVersionPolicy(request, context, layer: layer, version: version)
        default:
            return try removeLayerVersionPermission(
                request, context, layer: layer, version: version, statementId: parameters["StatementId"] ?? "")
        }
    }
}

extension LambdaService {
    /// Sets `record`'s layers from a request's Layers member, when present.
    func applyLayers(_ member: JSONValue?, to record: inout FunctionRecord, _ context: RequestContext) throws(AWSError)
    {
        guard let arns = member?.arrayValue?.compactMap(\.stringValue) else { return }
        record.layers = arns.isEmpty ? nil : try functionLayers(arns, context)
    }
}
