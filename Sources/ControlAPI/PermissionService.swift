import Foundation
import HTTP
import Store

/// AddPermission, RemovePermission and GetPolicy: a function's resource-based policy.
///
/// Each function has one policy per qualifier (the unqualified function, a version, an
/// alias). AddPermission turns its parameters into one statement as Lambda writes it;
/// the Authorizer evaluates the document alongside the caller's identity policies.
extension LambdaService {
    /// A policy document may be at most 20 KB, as on AWS.
    static let maximumPolicyBytes = 20_480

    func addPermission(_ request: HTTPRequest, _ context: RequestContext, name: String) throws(AWSError) -> HTTPResponse
    {
        let reader = try Self.reader(request)
        var validator = Validator()
        validator.required(reader.document["StatementId"], at: "statementId")
        validator.required(reader.document["Action"], at: "action")
        validator.required(reader.document["Principal"], at: "principal")
        validator.length(reader.string("StatementId"), at: "statementId", min: 1, max: 100)
        validator.pattern(reader.string("StatementId"), at: "statementId", #"([a-zA-Z0-9-_.]+)"#)
        validator.pattern(reader.string("Action"), at: "action", #"(lambda:[*]|lambda:[a-zA-Z]+|[*])"#)
        validator.pattern(reader.string("Principal"), at: "principal", #"[^\s]+"#)
        validator.oneOf(reader.string("FunctionUrlAuthType"), at: "functionUrlAuthType", ["NONE", "AWS_IAM"])
        try validator.check()
        let target = try policyTarget(request, context, name: name)
        let statement = try Self.statement(reader, resource: target.arn)
        let document = try mutatePolicy(target, expectedRevisionId: reader.string("RevisionId")) {
            (statements: inout [JSONValue]) throws(AWSError) in
            let sid = statement["Sid"]?.stringValue
            guard !statements.contains(where: { $0.objectValue?["Sid"]?.stringValue == sid }) else {
                throw AWSError.conflict(
                    "The statement id (\(sid ?? "")) provided already exists. Please provide a new statement id, "
                        + "or remove the existing statement.")
            }
            statements.append(.object(statement))
        }
        guard document != nil else { throw AWSError.service() }
        return Self.json(201, ["Statement": .string(JSONValue.object(statement).serializedString())], context)
    }

    func removePermission(
        _ request: HTTPRequest, _ context: RequestContext, name: String, statementId: String
    ) throws(AWSError) -> HTTPResponse {
        let target = try policyTarget(request, context, name: name)
        let expected = parseQuery(request.query)["RevisionId"]
        _ = try mutatePolicy(target, expectedRevisionId: expected) { (statements: inout [JSONValue]) throws(AWSError) in
            let before = statements.count
            statements.removeAll { $0.objectValue?["Sid"]?.stringValue == statementId }
            guard statements.count < before else {
                throw AWSError.resourceNotFound("Statement \(statementId) is not found in resource policy.")
            }
        }
        return HTTPResponse(status: 204, headers: ["X-Amzn-RequestId": context.requestId])
    }

    func getPolicy(_ request: HTTPRequest, _ context: RequestContext, name: String) throws(AWSError) -> HTTPResponse {
        let target = try policyTarget(request, context, name: name)
        guard let stored = try storedPolicy(target) else {
            throw AWSError.resourceNotFound("The resource you requested does not exist.")
        }
        return Self.json(200, ["Policy": .string(stored.document), "RevisionId": .string(stored.revisionId)], context)
    }

    /// The policy document that governs invocations of `name` with `qualifier`, if any.
    func resourcePolicy(functionName name: String, qualifier: String?) -> String? {
        try? store.functionPolicy(functionName: name, qualifier: qualifier ?? "")?.document
    }

    // MARK: Helpers

    /// Which policy a request addresses: the function's name, the qualifier ("" when none) and its ARN.
    struct PolicyTarget {
        let function: String
        let qualifier: String
        let arn: String
    }

    private func policyTarget(
        _ request: HTTPRequest, _ context: RequestContext, name: String
    ) throws(AWSError) -> PolicyTarget {
        let asked = parseQuery(request.query)["Qualifier"]
        let record = try lookup(name, qualifier: asked, context)
        let qualifier = asked ?? FunctionReference(parsing: name)?.qualifier
        let normalized = qualifier == "$LATEST" ? nil : qualifier
        return PolicyTarget(
            function: record.name, qualifier: normalized ?? "",
            arn: context.functionArn(record.name, qualifier: normalized))
    }

    private func storedPolicy(_ target: PolicyTarget) throws(AWSError) -> (document: String, revisionId: String)? {
        do {
            return try store.functionPolicy(functionName: target.function, qualifier: target.qualifier)
        } catch {
            throw AWSError.service()
        }
    }

    /// Applies `change` to the policy's statements and stores the result; an empty policy is deleted.
    private func mutatePolicy(
        _ target: PolicyTarget, expectedRevisionId: String?,
        _ change: (inout [JSONValue]) throws(AWSError) -> Void
    ) throws(AWSError) -> String? {
        let stored = try storedPolicy(target)
        if let expectedRevisionId, expectedRevisionId != stored?.revisionId {
            throw AWSError.preconditionFailed(
                "The Revision Id provided does not match the latest Revision Id. "
                    + "Call the GetPolicy API to retrieve the latest Revision Id")
        }
        var statements =
            stored.flatMap { try? JSONValue.parse(Array($0.document.utf8)) }?.objectValue?["Statement"]?.arrayValue
            ?? []
        try change(&statements)
        let document =
            statements.isEmpty
            ? nil
            : JSONValue.object([
                "Version": "2012-10-17", "Id": "default", "Statement": .array(statements),
            ]).serializedString()
        if let document, document.utf8.count > Self.maximumPolicyBytes {
            throw AWSError(
                status: 400, code: "PolicyLengthExceededException",
                message: "The final policy size (\(document.utf8.count)) is bigger than the limit "
                    + "(\(Self.maximumPolicyBytes)).")
        }
        do {
            try store.setFunctionPolicy(
                functionName: target.function, qualifier: target.qualifier, document: document,
                revisionId: UUID().uuidString.lowercased(), expectedRevisionId: stored?.revisionId)
        } catch {
            throw error.code == .preconditionFailed
                ? AWSError.preconditionFailed("The policy changed while this request ran. Retry the request.")
                : AWSError.service()
        }
        return document ?? ""
    }

    /// The statement AddPermission writes, as Lambda words it.
    static func statement(_ reader: RequestReader, resource: String) throws(AWSError) -> [String: JSONValue] {
        var statement: [String: JSONValue] = [
            "Sid": .string(reader.string("StatementId") ?? ""), "Effect": "Allow",
            "Principal": try principal(reader.string("Principal") ?? ""),
            "Action": .string(reader.string("Action") ?? ""), "Resource": .string(resource),
        ]
        var stringEquals: [String: JSONValue] = [:]
        if let account = reader.string("SourceAccount") {
            stringEquals["AWS:SourceAccount"] = .string(account)
        }
        if let token = reader.string("EventSourceToken") {
            stringEquals["lambda:EventSourceToken"] = .string(token)
        }
        if let organization = reader.string("PrincipalOrgID") {
            stringEquals["aws:PrincipalOrgID"] = .string(organization)
        }
        if let authType = reader.string("FunctionUrlAuthType") {
            stringEquals["lambda:FunctionUrlAuthType"] = .string(authType)
        }
        var condition: [String: JSONValue] = [:]
        if !stringEquals.isEmpty {
            condition["StringEquals"] = .object(stringEquals)
        }
        if let sourceArn = reader.string("SourceArn") {
            condition["ArnLike"] = ["AWS:SourceArn": .string(sourceArn)]
        }
        if !condition.isEmpty {
            statement["Condition"] = .object(condition)
        }
        return statement
    }

    /// `*`, an account id, an IAM ARN or a service principal, in the policy's Principal form.
    static func principal(_ text: String) throws(AWSError) -> JSONValue {
        if text == "*" {
            return "*"
        }
        if text.utf8.count == 12, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
            return ["AWS": .string("arn:aws:iam::\(text):root")]
        }
        if text.hasPrefix("arn:aws:iam::") || text.hasPrefix("arn:aws:sts::") {
            return ["AWS": .string(text)]
        }
        if text.hasSuffix(".amazonaws.com") || text.hasSuffix(".amazonaws.com.cn") {
            return ["Service": .string(text)]
        }
        throw AWSError.invalidParameter("The provided principal was invalid. Please check the principal and try again.")
    }
}
