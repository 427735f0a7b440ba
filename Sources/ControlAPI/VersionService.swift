import Foundation
import HTTP
import Store

/// PublishVersion, ListVersionsByFunction and deleting one version.
extension LambdaService {
    func publishVersion(
        _ request: HTTPRequest, _ context: RequestContext, name: String
    ) throws(AWSError) -> HTTPResponse {
        var reader = try Self.reader(request)
        let description = reader.string("Description")
        reader.validator.length(description, at: "description", max: 256)
        try reader.validator.check()
        let latest = try lookup(name, qualifier: nil, context)
        guard latest.version == FunctionRecord.latestVersion else {
            throw AWSError.invalidParameter("Versions can only be published from $LATEST.")
        }
        if let sha256 = reader.string("CodeSha256"), sha256 != latest.codeSha256 {
            throw AWSError.invalidParameter(
                "CodeSHA256 (\(sha256)) is different from current CodeSHA256 in $LATEST (\(latest.codeSha256)). "
                    + "Please try again")
        }
        try checkRevision(reader.string("RevisionId"), latest)
        let published = try publish(latest, description: description, context)
        return Self.json(201, FunctionConfiguration.json(published), context)
    }

    /// Publishes `latest` as a new version, or returns the newest version when nothing
    /// has changed since it was published.
    func publish(
        _ latest: FunctionRecord, description: String?, _ context: RequestContext
    ) throws(AWSError) -> FunctionRecord {
        let versions: [FunctionRecord]
        do {
            versions = try store.functionVersions(named: latest.name)
        } catch {
            throw AWSError.service()
        }
        let newest = versions.filter { $0.version != FunctionRecord.latestVersion }
            .max { Pagination.versionRank($0.version) < Pagination.versionRank($1.version) }
        if let newest, VersionSnapshot.isUnchanged(latest, since: newest) {
            return newest
        }
        var snapshot = latest
        snapshot.revisionId = UUID().uuidString.lowercased()
        snapshot.lastModifiedMilliseconds = Self.now()
        if let description {
            snapshot.description = description
        }
        do {
            return try store.publishFunctionVersion(snapshot, expectedLatestRevisionId: latest.revisionId)
        } catch  where error.code == .preconditionFailed {
            throw Self.staleRevision()
        } catch  where error.code == .notFound {
            throw AWSError.resourceNotFound("Function not found: \(context.functionArn(latest.name))")
        } catch {
            throw AWSError.service()
        }
    }

    func listVersionsByFunction(
        _ request: HTTPRequest, _ context: RequestContext, name: String
    ) throws(AWSError) -> HTTPResponse {
        let query = parseQuery(request.query)
        let maxItems = try Pagination.maxItems(query)
        let latest = try lookup(name, qualifier: nil, context)
        let versions: [FunctionRecord]
        do {
            versions = try store.functionVersions(named: latest.name)
        } catch {
            throw AWSError.service()
        }
        let page = Pagination.page(
            versions, marker: query["Marker"], maxItems: maxItems, key: \.version,
            isAfter: { Pagination.versionRank($0.version) > Pagination.versionRank($1) })
        var document: [String: JSONValue] = ["Versions": .array(page.items.map { FunctionConfiguration.json($0) })]
        if let marker = page.nextMarker {
            document["NextMarker"] = .string(marker)
        }
        return Self.json(200, .object(document), context)
    }

    /// DeleteFunction with a version as Qualifier: refused while an alias routes to it.
    func deleteFunctionVersion(
        _ record: FunctionRecord, requested qualifier: String, _ context: RequestContext
    ) throws(AWSError) -> HTTPResponse {
        if Self.isAliasName(qualifier) {
            throw AWSError.invalidParameter("Deletion of aliases is not supported. Use DeleteAlias instead.")
        }
        let users: [AliasRecord]
        do {
            users = try store.aliases(functionName: record.name).filter {
                $0.referencedVersions.contains(record.version)
            }
        } catch {
            throw AWSError.service()
        }
        if !users.isEmpty {
            let names = users.map(\.name).joined(separator: ", ")
            throw AWSError.conflict("Unable to delete version because the following aliases reference it: [\(names)]")
        }
        do {
            try store.deleteFunctionVersion(named: record.name, version: record.version)
        } catch {
            throw AWSError.service()
        }
        invoker.retire(functionName: record.name)
        return HTTPResponse(status: 204, headers: ["X-Amzn-RequestId": context.requestId])
    }

    /// The end of CreateFunction once `record` is stored: tags, then `Publish`.
    func finishCreate(
        _ record: FunctionRecord, tags: [String: String]?, publish: Bool, _ context: RequestContext
    ) throws(AWSError) -> HTTPResponse {
        if let tags, !tags.isEmpty {
            do {
                try store.tagFunction(record.name, tags: tags)
            } catch {
                throw AWSError.service()
            }
        }
        let reply = publish ? try self.publish(record, description: nil, context) : record
        return Self.json(201, FunctionConfiguration.json(reply), context)
    }

    static func staleRevision() -> AWSError {
        AWSError.preconditionFailed(
            "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to "
                + "retrieve the latest Revision Id")
    }
}

/// Whether publishing would make a version different from the newest one.
enum VersionSnapshot {
    /// True when `latest` has the code and configuration `published` was made from, so
    /// publishing again returns `published` instead of a new number.
    static func isUnchanged(_ latest: FunctionRecord, since published: FunctionRecord) -> Bool {
        normalized(latest) == normalized(published)
    }

    /// `record` without what differs between a version and the `$LATEST` it was taken from.
    private static func normalized(_ record: FunctionRecord) -> FunctionRecord {
        var record = record
        record.version = FunctionRecord.latestVersion
        record.revisionId = ""
        record.lastModifiedMilliseconds = 0
        record.description = ""
        record.lastUpdateStatus = "Successful"
        record.lastUpdateStatusReason = nil
        record.lastUpdateStatusReasonCode = nil
        return record
    }
}
