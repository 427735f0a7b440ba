import Foundation
import HTTP
import Store

/// CreateAlias, GetAlias, UpdateAlias, DeleteAlias and ListAliases, and resolving an
/// alias to the version an invocation runs.
extension LambdaService {
    /// A qualifier that names an alias rather than `$LATEST` or a version number.
    static func isAliasName(_ qualifier: String) -> Bool {
        qualifier != FunctionRecord.latestVersion && !qualifier.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    /// The version alias `aliasName` of `functionName` runs: its primary version, or with
    /// `routing` a version drawn by the alias's weights.
    func resolveAlias(
        functionName: String, aliasName: String, _ context: RequestContext, routing: Bool
    ) throws(AWSError) -> FunctionRecord {
        let arn = context.functionArn(functionName, qualifier: aliasName)
        let alias: AliasRecord?
        do {
            alias = try store.alias(functionName: functionName, name: aliasName)
        } catch {
            throw AWSError.service()
        }
        guard let alias else {
            throw AWSError.resourceNotFound("Function not found: \(arn)")
        }
        let version =
            routing
            ? AliasRouting.version(
                primary: alias.functionVersion, weights: alias.additionalVersionWeights, roll: Double.random(in: 0..<1))
            : alias.functionVersion
        let record: FunctionRecord?
        do {
            record = try store.function(named: functionName, version: version)
        } catch {
            throw AWSError.service()
        }
        guard let record else {
            throw AWSError.resourceNotFound(
                "Function not found: \(context.functionArn(functionName, qualifier: version))")
        }
        return record
    }

    func createAlias(_ request: HTTPRequest, _ context: RequestContext, name: String) throws(AWSError) -> HTTPResponse {
        var reader = try Self.reader(request)
        reader.validator.required(reader.document["Name"], at: "name")
        reader.validator.required(reader.document["FunctionVersion"], at: "functionVersion")
        let settings = try AliasSettings(&reader)
        let function = try lookup(name, qualifier: nil, context)
        guard let aliasName = settings.name, let version = settings.functionVersion else {
            throw AWSError.service()
        }
        let weights = settings.weights ?? [:]
        try checkRouting(function.name, primary: version, weights: weights, context)
        let alias = AliasRecord(
            functionName: function.name, name: aliasName, functionVersion: version,
            description: settings.description ?? "", additionalVersionWeights: weights,
            revisionId: UUID().uuidString.lowercased())
        do {
            try store.createAlias(alias)
        } catch  where error.code == .conflict {
            throw AWSError.conflict("Alias already exists: \(context.functionArn(function.name, qualifier: aliasName))")
        } catch {
            throw AWSError.service()
        }
        return Self.json(201, Self.aliasJSON(alias, context), context)
    }

    func getAlias(
        _ request: HTTPRequest, _ context: RequestContext, name: String, aliasName: String
    ) throws(AWSError) -> HTTPResponse {
        let alias = try storedAlias(name, aliasName, context)
        return Self.json(200, Self.aliasJSON(alias, context), context)
    }

    func updateAlias(
        _ request: HTTPRequest, _ context: RequestContext, name: String, aliasName: String
    ) throws(AWSError) -> HTTPResponse {
        var reader = try Self.reader(request)
        let settings = try AliasSettings(&reader)
        var alias = try storedAlias(name, aliasName, context)
        let revisionId = reader.string("RevisionId")
        if let revisionId, revisionId != alias.revisionId {
            throw Self.staleRevision()
        }
        if let version = settings.functionVersion {
            alias.functionVersion = version
        }
        if let description = settings.description {
            alias.description = description
        }
        if let weights = settings.weights {
            alias.additionalVersionWeights = weights
        }
        try checkRouting(
            alias.functionName, primary: alias.functionVersion, weights: alias.additionalVersionWeights,
            context, checkingPrimary: settings.functionVersion != nil)
        alias.revisionId = UUID().uuidString.lowercased()
        do {
            try store.updateAlias(alias, expectedRevisionId: revisionId)
        } catch  where error.code == .preconditionFailed {
            throw Self.staleRevision()
        } catch  where error.code == .notFound {
            throw Self.aliasNotFound(alias.functionName, aliasName, context)
        } catch {
            throw AWSError.service()
        }
        return Self.json(200, Self.aliasJSON(alias, context), context)
    }

    func deleteAlias(
        _ request: HTTPRequest, _ context: RequestContext, name: String, aliasName: String
    ) throws(AWSError) -> HTTPResponse {
        let alias = try storedAlias(name, aliasName, context)
        do {
            try store.deleteAlias(functionName: alias.functionName, name: alias.name)
        } catch {
            throw AWSError.service()
        }
        return HTTPResponse(status: 204, headers: ["X-Amzn-RequestId": context.requestId])
    }

    func listAliases(_ request: HTTPRequest, _ context: RequestContext, name: String) throws(AWSError) -> HTTPResponse {
        let query = parseQuery(request.query)
        let maxItems = try Pagination.maxItems(query)
        var validator = Validator()
        validator.pattern(query["FunctionVersion"], at: "functionVersion", AliasSettings.versionPattern)
        try validator.check()
        let function = try lookup(name, qualifier: nil, context)
        var aliases: [AliasRecord]
        do {
            aliases = try store.aliases(functionName: function.name)
        } catch {
            throw AWSError.service()
        }
        if let version = query["FunctionVersion"] {
            aliases = aliases.filter { $0.referencedVersions.contains(version) }
        }
        let page = Pagination.page(
            aliases, marker: query["Marker"], maxItems: maxItems, key: \.name, isAfter: { $0.name > $1 })
        var document: [String: JSONValue] = ["Aliases": .array(page.items.map { Self.aliasJSON($0, context) })]
        if let marker = page.nextMarker {
            document["NextMarker"] = .string(marker)
        }
        return Self.json(200, .object(document), context)
    }

    // MARK: Helpers

    private func storedAlias(
        _ name: String, _ aliasName: String, _ context: RequestContext
    ) throws(AWSError) -> AliasRecord {
        var validator = Validator()
        AliasSettings.checkName(aliasName, &validator)
        try validator.check()
        let function = try lookup(name, qualifier: nil, context)
        let alias: AliasRecord?
        do {
            alias = try store.alias(functionName: function.name, name: aliasName)
        } catch {
            throw AWSError.service()
        }
        guard let alias else {
            throw Self.aliasNotFound(function.name, aliasName, context)
        }
        return alias
    }

    /// Checks that the versions an alias names exist and that its routing is one Lambda allows.
    private func checkRouting(
        _ functionName: String, primary: String, weights: [String: Double], _ context: RequestContext,
        checkingPrimary: Bool = true
    ) throws(AWSError) {
        if weights.count > 1 {
            throw AWSError.invalidParameter(
                "Number of items in AdditionalVersionWeights cannot be greater than 1")
        }
        if !weights.isEmpty, primary == FunctionRecord.latestVersion {
            throw AWSError.invalidParameter(
                "$LATEST is not supported for an alias pointing to more than 1 version")
        }
        if let additional = weights.keys.first, additional == primary {
            throw AWSError.invalidParameter(
                "Invalid function version \(additional). Function version \(additional) is already included in "
                    + "routing configuration.")
        }
        let versions = (checkingPrimary ? [primary] : []) + weights.keys.sorted()
        for version in versions {
            let record: FunctionRecord?
            do {
                record = try store.function(named: functionName, version: version)
            } catch {
                throw AWSError.service()
            }
            if record == nil {
                throw AWSError.resourceNotFound(
                    "Function not found: \(context.functionArn(functionName, qualifier: version))")
            }
        }
    }

    static func aliasNotFound(_ functionName: String, _ aliasName: String, _ context: RequestContext) -> AWSError {
        AWSError.resourceNotFound("Alias not found: \(context.functionArn(functionName, qualifier: aliasName))")
    }

    /// Lambda's AliasConfiguration shape.
    static func aliasJSON(_ alias: AliasRecord, _ context: RequestContext) -> JSONValue {
        var members: [String: JSONValue] = [
            "AliasArn": .string(context.functionArn(alias.functionName, qualifier: alias.name)),
            "Name": .string(alias.name),
            "FunctionVersion": .string(alias.functionVersion),
            "Description": .string(alias.description),
            "RevisionId": .string(alias.revisionId),
        ]
        if !alias.additionalVersionWeights.isEmpty {
            members["RoutingConfig"] = [
                "AdditionalVersionWeights": .object(alias.additionalVersionWeights.mapValues { .number($0) })
            ]
        }
        return .object(members)
    }
}

/// The members of CreateAlias and UpdateAlias, checked against the model.
struct AliasSettings {
    static let versionPattern = #"(\$LATEST|[0-9]+)"#
    var name: String?
    var functionVersion: String?
    var description: String?
    /// nil when the request has no RoutingConfig; empty when it clears the routing.
    var weights: [String: Double]?

    init(_ reader: inout RequestReader) throws(AWSError) {
        name = reader.string("Name")
        functionVersion = reader.string("FunctionVersion")
        description = reader.string("Description")
        if let routing = reader.object("RoutingConfig") {
            let members = routing["AdditionalVersionWeights"]?.objectValue ?? [:]
            weights = members.compactMapValues(\.numberValue)
            let shown = members.keys.sorted().map { "\($0)=\(members[$0]?.numberValue.map { String($0) } ?? "null")" }
            let outOfRange = members.values.contains { value in
                guard let weight = value.numberValue else { return true }
                return weight < 0 || weight > 1
            }
            if outOfRange {
                reader.validator.fail(
                    "{\(shown.joined(separator: ", "))}", at: "routingConfig.additionalVersionWeights",
                    "Map value must satisfy constraint: [Member must have value less than or equal to 1.0, Member "
                        + "must have value greater than or equal to 0.0, Member must not be null]")
            }
            for key in members.keys.sorted() {
                reader.validator.pattern(key, at: "routingConfig.additionalVersionWeights", #"[0-9]+"#)
            }
        }
        if let name {
            Self.checkName(name, &reader.validator)
        }
        reader.validator.length(functionVersion, at: "functionVersion", min: 1, max: 1024)
        reader.validator.pattern(functionVersion, at: "functionVersion", Self.versionPattern)
        reader.validator.length(description, at: "description", max: 256)
        try reader.validator.check()
    }

    /// Alias names: 1 to 128 of `[a-zA-Z0-9-_]`, and not all digits (that would be a version).
    static func checkName(_ name: String, _ validator: inout Validator) {
        let allowed = name.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7a) || byte == 0x2d
                || byte == 0x5f
        }
        if name.isEmpty || name.count > 128 {
            validator.length(name, at: "name", min: 1, max: 128)
        } else if !allowed || !LambdaService.isAliasName(name) {
            validator.fail(
                name, at: "name", #"Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)"#)
        }
    }
}

/// Picks the version an invocation through an alias runs.
enum AliasRouting {
    /// The version for a uniform `roll` in 0..<1: each additional version takes its weight's
    /// share of the range, in version order, and the primary version takes the rest.
    static func version(primary: String, weights: [String: Double], roll: Double) -> String {
        var threshold = 0.0
        for (version, weight) in weights.sorted(by: { $0.key < $1.key }) {
            threshold += weight
            if roll < threshold {
                return version
            }
        }
        return primary
    }
}
