import Auth
import Foundation
import Synchronization

/// Decides whether a verified caller may perform an action on a resource, with IAM's
/// evaluation: the caller's identity policies together with the resource's own policy.
/// Every decision goes to the audit log.
///
/// Root is the account itself and is allowed everything, as on AWS. Parsed policy
/// documents are cached by their text, so a policy is parsed once, not per request.
final class Authorizer: Sendable {
    /// The policy documents that apply to a principal: inline and attached, in JSON.
    typealias IdentityPolicies = @Sendable (Principal) -> [String]

    private let identityPolicies: IdentityPolicies
    private let audit: AuditLog?
    private let parsed = Mutex<[String: PolicyDocument]>([:])
    /// Bound on cached documents; the cache is emptied when it grows past this.
    private static let cacheLimit = 4096

    init(identityPolicies: @escaping IdentityPolicies, audit: AuditLog?) {
        self.identityPolicies = identityPolicies
        self.audit = audit
    }

    /// Throws AccessDenied in `wire`'s dialect unless `caller` may do `action` on `resource`.
    ///
    /// - Parameters:
    ///   - resourcePolicy: The resource's own policy document, if it has one.
    ///   - resourcePolicyKind: `.resource` for a resource-based policy, `.trust` for a role's trust policy.
    ///   - conditions: Request-specific condition keys, on top of the caller's global ones.
    func authorize(
        _ caller: Caller, action: String, resource: String, resourcePolicy: String? = nil,
        resourcePolicyKind: PolicyKind = .resource, conditions: [String: [String]] = [:], wire: WireProtocol,
        requestId: String
    ) throws(AWSError) {
        let (allowed, reason) = decide(
            caller, action: action, resource: resource, resourcePolicy: resourcePolicy.map { ($0, resourcePolicyKind) },
            conditions: conditions)
        audit?.record(
            AuditLog.Entry(
                requestId: requestId, principal: caller.principal.arn, accessKeyId: caller.accessKeyId,
                action: action, resource: resource, allowed: allowed, reason: reason))
        guard allowed else {
            throw AWSError(
                status: wire == .json ? 400 : 403, code: wire == .query ? "AccessDenied" : "AccessDeniedException",
                message: "User: \(caller.principal.arn) is not authorized to perform: \(action) on resource: "
                    + "\(resource) because \(reason)")
        }
    }

    /// Records an authentication failure, which never reaches a policy.
    func recordRefusal(claimedAccessKeyId: String?, error: AWSError, requestId: String) {
        audit?.record(
            AuditLog.Entry(
                requestId: requestId, principal: "anonymous", accessKeyId: claimedAccessKeyId, action: "",
                resource: "", allowed: false, reason: error.code))
    }

    private func decide(
        _ caller: Caller, action: String, resource: String, resourcePolicy: (text: String, kind: PolicyKind)?,
        conditions: [String: [String]]
    ) -> (allowed: Bool, reason: String) {
        if caller.principal.kind == .root {
            return (true, "the caller is the account's root")
        }
        let identity = identityPolicies(caller.principal).compactMap { document($0, kind: .identity) }
        let resourceDocument = resourcePolicy.flatMap { document($0.text, kind: $0.kind) }
        let request = AuthorizationRequest(
            principal: caller.principal, action: action, resource: resource,
            context: Self.globalConditions(caller).merging(conditions) { _, specific in specific })
        let decision =
            if let trust = resourceDocument, trust.kind == .trust {
                PolicyEvaluator.evaluateAssumeRole(request, identityPolicies: identity, trustPolicy: trust)
            } else {
                PolicyEvaluator.evaluate(request, identityPolicies: identity, resourcePolicy: resourceDocument)
            }
        switch decision {
        case .allow:
            return (true, "a policy allows it")
        case .explicitDeny(let source):
            return (false, "with an explicit deny in \(source == .identity ? "an" : "a") \(source.rawValue)")
        case .implicitDeny:
            return (false, "no identity-based policy allows the \(action) action")
        }
    }

    /// The global `aws:` keys of a request that its principal does not already say (the
    /// evaluator derives aws:username, aws:userid and the aws:Principal* keys itself).
    private static func globalConditions(_ caller: Caller) -> [String: [String]] {
        let now = LambdaService.now()
        return [
            "aws:CurrentTime": [UTCTimestamp.iso8601(now)],
            "aws:EpochTime": [String(now / 1_000)],
            "aws:SecureTransport": ["false"],
            "aws:RequestedRegion": [caller.region],
        ]
    }

    private func document(_ text: String, kind: PolicyKind) -> PolicyDocument? {
        let key = "\(kind)\u{0}\(text)"
        if let cached = parsed.withLock({ $0[key] }) {
            return cached
        }
        // Stored documents were validated when written; one that no longer parses grants nothing.
        guard let document = try? PolicyDocument.parse(text, kind: kind) else { return nil }
        parsed.withLock { cache in
            if cache.count >= Self.cacheLimit {
                cache.removeAll()
            }
            cache[key] = document
        }
        return document
    }
}
