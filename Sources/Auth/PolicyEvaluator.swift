/// A request to authorize: who asks to do what to which resource, and the request's context.
public struct AuthorizationRequest: Sendable {
    public var principal: Principal
    /// The action, `service:Name`, e.g. `lambda:InvokeFunction`; compared without regard to case.
    public var action: String
    /// The resource's ARN, or `*` for actions that name no resource.
    public var resource: String
    /// Condition keys and their values, e.g. `aws:SourceArn`, `aws:CurrentTime`, `aws:SourceIp`.
    ///
    /// Keys are looked up without regard to case. `aws:username`, `aws:userid`, `aws:PrincipalArn`,
    /// `aws:PrincipalAccount` and `aws:PrincipalType` are derived from `principal` unless given here.
    /// A key with an empty list of values counts as absent.
    public var context: [String: [String]]

    public init(principal: Principal, action: String, resource: String, context: [String: [String]] = [:]) {
        self.principal = principal
        self.action = action
        self.resource = resource
        self.context = context
    }
}

/// Which kind of policy decided an explicit deny.
public enum PolicySource: String, Sendable {
    case identity = "identity-based policy"
    case resource = "resource-based policy"
}

/// The outcome of evaluating a request against its policies.
public enum Decision: Sendable, Equatable {
    case allow
    /// A statement with `"Effect": "Deny"` applies; nothing can override it.
    case explicitDeny(PolicySource)
    /// No statement allows the request (and none denies it).
    case implicitDeny
}

/// IAM's policy evaluation logic for identity-based and resource-based policies.
///
/// An explicit deny in any policy wins. Otherwise, within one account, the request is allowed when
/// an identity-based policy or the resource-based policy allows it; across accounts (the resource's
/// ARN names an account other than the principal's), both must allow it. Anything else is an
/// implicit deny. A statement applies when its action, resource, principal and every condition match.
public enum PolicyEvaluator {
    /// Decides `request` against the principal's identity policies and the resource's policy.
    ///
    /// - Parameters:
    ///   - identityPolicies: The policies attached to the principal (or to its role).
    ///   - resourcePolicy: The resource-based policy, or the role's trust policy for `sts:AssumeRole`.
    /// - Returns: The decision; a deny found in identity policies is reported before one in the resource policy.
    public static func evaluate(
        _ request: AuthorizationRequest, identityPolicies: [PolicyDocument], resourcePolicy: PolicyDocument?
    ) -> Decision {
        let context = RequestContext(request: request)
        var identityAllows = false
        for policy in identityPolicies {
            switch effect(of: policy, in: context) {
            case .deny: return .explicitDeny(.identity)
            case .allow: identityAllows = true
            case nil: break
            }
        }
        var resourceAllows = false
        if let resourcePolicy {
            switch effect(of: resourcePolicy, in: context) {
            case .deny: return .explicitDeny(.resource)
            case .allow: resourceAllows = true
            case nil: break
            }
        }
        let allowed = context.isCrossAccount ? identityAllows && resourceAllows : identityAllows || resourceAllows
        return allowed ? .allow : .implicitDeny
    }

    /// `sts:AssumeRole` as IAM decides it within one account. The role's trust policy must allow
    /// the caller. When it names the caller itself, its role or everyone, that is enough; when it
    /// names only the caller's account, it delegates to the account, and the caller's identity
    /// policies must allow the action too. An explicit deny in either refuses.
    public static func evaluateAssumeRole(
        _ request: AuthorizationRequest, identityPolicies: [PolicyDocument], trustPolicy: PolicyDocument
    ) -> Decision {
        let identity = evaluate(request, identityPolicies: identityPolicies, resourcePolicy: nil)
        if case .explicitDeny = identity { return identity }
        let context = RequestContext(request: request)
        var trusted = false
        var named = false
        for statement in trustPolicy.statements where statement.elements.applies(in: context, kind: .trust) {
            if statement.effect == .deny { return .explicitDeny(.resource) }
            trusted = true
            switch statement.elements.principalScope {
            case .only(let entries): named = named || NamedLinks(entries, context: context).caller
            case .any, .except: named = true
            }
        }
        guard trusted else { return .implicitDeny }
        return named || identity == .allow ? .allow : .implicitDeny
    }

    /// Whether `policy` has a statement with `effect` that applies to `request`.
    public static func hasStatement(
        in policy: PolicyDocument, effect: PolicyEffect, matching request: AuthorizationRequest
    ) -> Bool {
        let context = RequestContext(request: request)
        return policy.statements.contains { $0.effect == effect && $0.elements.applies(in: context, kind: policy.kind) }
    }

    /// Deny when a deny statement applies, else allow when an allow statement does, else nil.
    private static func effect(of policy: PolicyDocument, in context: RequestContext) -> PolicyEffect? {
        var allowed = false
        for statement in policy.statements {
            if statement.effect == .allow, allowed { continue }
            guard statement.elements.applies(in: context, kind: policy.kind) else { continue }
            if statement.effect == .deny { return .deny }
            allowed = true
        }
        return allowed ? .allow : nil
    }
}

extension StatementElements {
    /// Whether the statement covers the request; the cheapest tests come first.
    func applies(in context: RequestContext, kind: PolicyKind) -> Bool {
        guard coversAction(context.request.action), coversResource(in: context),
            coversPrincipal(in: context, kind: kind)
        else { return false }
        for condition in conditions where !condition.holds(in: context) { return false }
        return true
    }

    private func coversAction(_ action: String) -> Bool {
        guard case .only(let patterns) = actionScope else {
            guard case .except(let patterns) = actionScope else { return true }
            return !Self.anyMatches(patterns, action, NoVariables())
        }
        return Self.anyMatches(patterns, action, NoVariables())
    }

    /// An entry whose variable has no value matches nothing, and makes a `NotResource` statement not apply.
    private func coversResource(in context: RequestContext) -> Bool {
        let resource = context.request.resource
        switch resourceScope {
        case .any:
            return true
        case .only(let patterns):
            for pattern in patterns where pattern.matches(resource, resolver: context) == true { return true }
            return false
        case .except(let patterns):
            for pattern in patterns where pattern.matches(resource, resolver: context) != false { return false }
            return true
        }
    }

    private static func anyMatches(
        _ patterns: [PolicyPattern], _ text: String, _ resolver: some VariableResolver
    ) -> Bool {
        withUTF8(text) { bytes in
            for pattern in patterns where pattern.matches(bytes: bytes, resolver: resolver) { return true }
            return false
        }
    }

    /// Principal matching follows the principal's chain: its account, its role (for a session), itself.
    ///
    /// - An allow applies when the caller or its role is named. Naming an account delegates to the
    ///   account: within the account it grants only to the root user (other principals get access from
    ///   their identity policies, which the evaluator already consults); across accounts, and in trust
    ///   policies, it covers every principal of the account.
    /// - A deny applies when any link of the chain is named, so denying an account denies everyone in it.
    /// - `NotPrincipal` with deny spares a caller only when every link is named (IAM's advice to list
    ///   the account, the role and the session); with allow, it covers callers no link of which is named.
    private func coversPrincipal(in context: RequestContext, kind: PolicyKind) -> Bool {
        switch principalScope {
        case .any:
            return true
        case .only(let entries):
            let links = NamedLinks(entries, context: context)
            if links.caller { return true }
            if effect == .deny { return links.account }
            return links.account
                && (context.request.principal.kind == .root || kind == .trust || context.isCrossAccount)
        case .except(let entries):
            let links = NamedLinks(entries, context: context)
            return effect == .deny ? !links.everyLink(of: context.request.principal) : !links.anyLink
        }
    }
}

/// Which links of the caller's chain a list of principals names.
private struct NamedLinks {
    /// `*`, or the service the request comes from.
    var everyone = false
    var account = false
    var role = false
    var own = false

    init(_ entries: [PolicyPrincipal], context: RequestContext) {
        let principal = context.request.principal
        for entry in entries {
            switch entry {
            case .anyone:
                everyone = true
            case .account(let id):
                account = account || id == principal.accountId
            case .arn(let arn):
                own = own || arn == principal.arn
                role = role || (principal.kind == .assumedRole && arn == principal.roleArn)
            case .service(let name):
                everyone = everyone || context.values(forKey: "aws:PrincipalServiceName")?.contains(name) == true
            case .federated, .canonicalUser:
                break
            }
        }
    }

    /// Whether the caller itself (or its role, or everyone) is named.
    var caller: Bool { everyone || own || role }

    var anyLink: Bool { caller || account }

    /// Whether the account, the role (for a session) and the caller are all named.
    func everyLink(of principal: Principal) -> Bool {
        if everyone { return true }
        switch principal.kind {
        case .root: return account
        case .user: return account && own
        case .assumedRole: return account && role && own
        }
    }
}

/// The request as conditions and policy variables read it.
struct RequestContext: VariableResolver {
    let request: AuthorizationRequest
    /// Whether the resource's ARN names an account other than the principal's.
    let isCrossAccount: Bool

    init(request: AuthorizationRequest) {
        self.request = request
        let account = Self.account(ofArn: request.resource)
        isCrossAccount = account.map { $0 != request.principal.accountId } ?? false
    }

    /// The account field of an ARN (`arn:partition:service:region:account:…`), when it has one.
    private static func account(ofArn arn: String) -> Substring? {
        guard arn.hasPrefix("arn:") else { return nil }
        var colons = 0
        var start = arn.startIndex
        for index in arn.utf8.indices where arn.utf8[index] == UInt8(ascii: ":") {
            colons += 1
            if colons == 4 { start = arn.utf8.index(after: index) }
            if colons == 5 { return start < index ? arn[start..<index] : nil }
        }
        return nil
    }

    /// The values of a context key, found without regard to case; nil when absent or empty.
    func values(forKey key: String) -> [String]? {
        if let values = given(key) { return values.isEmpty ? nil : values }
        return derived(key).map { [$0] }
    }

    /// A variable's value: a single-valued key's value, else the variable's default, else nil.
    func resolve(_ variable: PolicyVariable) -> String? {
        guard let values = given(variable.key) else { return derived(variable.key) ?? variable.fallback }
        return values.count == 1 ? values[0] : variable.fallback
    }

    /// The request's own values for a key; an exact match first, as callers mostly spell keys as IAM does.
    private func given(_ key: String) -> [String]? {
        if let values = request.context[key] { return values }
        for (candidate, values) in request.context where ASCII.equalIgnoringCase(candidate, key) {
            return values
        }
        return nil
    }

    /// The keys IAM fills in from the principal itself.
    private func derived(_ key: String) -> String? {
        let principal = request.principal
        guard ASCII.hasPrefixIgnoringCase(key, "aws:") else { return nil }
        if ASCII.equalIgnoringCase(key, "aws:username") { return principal.kind == .user ? principal.name : nil }
        if ASCII.equalIgnoringCase(key, "aws:userid") { return principal.userId }
        if ASCII.equalIgnoringCase(key, "aws:PrincipalArn") {
            return principal.kind == .assumedRole ? principal.roleArn ?? principal.arn : principal.arn
        }
        if ASCII.equalIgnoringCase(key, "aws:PrincipalAccount") { return principal.accountId }
        if ASCII.equalIgnoringCase(key, "aws:PrincipalType") { return principal.kind.rawValue }
        return nil
    }
}
