import HTTP
import Store

/// TagResource, UntagResource and ListTags on functions.
extension LambdaService {
    /// A function may carry at most this many tags.
    static let maximumTags = 50

    func tagResource(
        _ request: HTTPRequest, _ context: RequestContext, resource: String
    ) throws(AWSError) -> HTTPResponse {
        let reader = try Self.reader(request)
        var validator = Validator()
        validator.required(reader.document["Tags"], at: "tags")
        try validator.check()
        let tags = try Self.validatedTags(reader.document["Tags"]) ?? [:]
        let function = try taggedFunction(resource, context)
        do {
            let existing = try store.tags(functionName: function)
            if existing.merging(tags, uniquingKeysWith: { _, new in new }).count > Self.maximumTags {
                throw AWSError.invalidParameter(
                    "Number of tags exceeds resource tag limit. A resource can have at most \(Self.maximumTags) tags.")
            }
            try store.tagFunction(function, tags: tags)
        } catch let error as AWSError {
            throw error
        } catch {
            throw AWSError.service()
        }
        return HTTPResponse(status: 204, headers: ["X-Amzn-RequestId": context.requestId])
    }

    func untagResource(
        _ request: HTTPRequest, _ context: RequestContext, resource: String
    ) throws(AWSError) -> HTTPResponse {
        let keys = Self.queryValues(request.query, "tagKeys")
        var validator = Validator()
        if keys.isEmpty {
            validator.fail(nil, at: "tagKeys", "Member must not be null")
        }
        for key in keys {
            validator.length(key, at: "tagKeys.member", min: 1, max: 128)
        }
        try validator.check()
        let function = try taggedFunction(resource, context)
        do {
            try store.untagFunction(function, keys: keys)
        } catch {
            throw AWSError.service()
        }
        return HTTPResponse(status: 204, headers: ["X-Amzn-RequestId": context.requestId])
    }

    func listTags(_ request: HTTPRequest, _ context: RequestContext, resource: String) throws(AWSError) -> HTTPResponse
    {
        let function = try taggedFunction(resource, context)
        return Self.json(200, ["Tags": .object(try functionTags(function).mapValues { .string($0) })], context)
    }

    /// The tags of function `name`.
    func functionTags(_ name: String) throws(AWSError) -> [String: String] {
        do {
            return try store.tags(functionName: name)
        } catch {
            throw AWSError.service()
        }
    }

    /// The name of the function a taggable resource ARN names; Lambda tags whole functions only.
    private func taggedFunction(_ resource: String, _ context: RequestContext) throws(AWSError) -> String {
        guard resource.hasPrefix("arn:"), let reference = FunctionReference(parsing: resource) else {
            throw AWSError.validation(
                "1 validation error detected: Value '\(resource)' at 'resource' failed to satisfy constraint: "
                    + "Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*):lambda:"
                    + #"[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:\d{12}:function:[a-zA-Z0-9-_]+"#)
        }
        if reference.qualifier != nil {
            throw AWSError.invalidParameter(
                "Tags on function aliases and versions are not supported. Please specify a function ARN.")
        }
        return try lookup(reference.name, qualifier: nil, context).name
    }

    /// Reads a Tags map, checking keys and values as Lambda does; nil when absent.
    static func validatedTags(_ value: JSONValue?) throws(AWSError) -> [String: String]? {
        guard let value, value != .null else { return nil }
        guard let members = value.objectValue else {
            throw AWSError.invalidParameter("Tags must be a map of strings to strings.")
        }
        var validator = Validator()
        var tags: [String: String] = [:]
        for (key, member) in members.sorted(by: { $0.key < $1.key }) {
            guard let text = member.stringValue else {
                validator.fail(nil, at: "tags.\(key).member.value", "Member must not be null")
                continue
            }
            validator.length(key, at: "tags.\(key).member.key", min: 1, max: 128)
            validator.length(text, at: "tags.\(key).member.value", max: 256)
            tags[key] = text
        }
        try validator.check()
        if let reserved = tags.keys.sorted().first(where: { $0.lowercased().hasPrefix("aws:") }) {
            throw AWSError.invalidParameter("Tag keys starting with 'aws:' are reserved for system use: \(reserved)")
        }
        if tags.count > maximumTags {
            throw AWSError.invalidParameter(
                "Number of tags exceeds resource tag limit. A resource can have at most \(maximumTags) tags.")
        }
        return tags
    }

    /// Every value of `key` in a query string, where a key may repeat (`tagKeys=a&tagKeys=b`).
    static func queryValues(_ query: Substring, _ key: String) -> [String] {
        query.split(separator: "&").compactMap { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard String(parts[0]).percentDecoded == key else { return nil }
            return parts.count > 1 ? String(parts[1]).replacingOccurrences(of: "+", with: " ").percentDecoded : ""
        }
    }
}
