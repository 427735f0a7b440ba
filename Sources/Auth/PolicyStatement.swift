/// One statement of a policy, with its patterns compiled for evaluation.
///
/// Exactly one of `actions` and `notActions` is non-empty, and likewise for resources, except in
/// trust policies, which have no `Resource` (both lists are empty and every resource matches).
/// Principals are empty in identity policies; in other kinds one of the two lists is non-empty.
public struct PolicyStatement: Sendable {
    /// The parsed elements, shared by copies, so evaluation retains one object per statement.
    let elements: StatementElements

    public var sid: String? { elements.sid }
    public var effect: PolicyEffect { elements.effect }
    public var actions: [String] { elements.actions }
    public var notActions: [String] { elements.notActions }
    public var resources: [String] { elements.resources }
    public var notResources: [String] { elements.notResources }
    public var principals: [PolicyPrincipal] { elements.principals }
    public var notPrincipals: [PolicyPrincipal] { elements.notPrincipals }
    /// The tests of the `Condition` block, ordered by operator and then key; all must hold.
    public var conditions: [PolicyCondition] { elements.conditions }

    init(_ json: [String: JSONValue], kind: PolicyKind, variables: Bool) throws(MalformedPolicy) {
        elements = try StatementElements(json, kind: kind, variables: variables)
    }
}

/// A statement's elements as parsed and compiled; see `PolicyStatement`.
final class StatementElements: Sendable {
    let sid: String?
    let effect: PolicyEffect
    let actions: [String]
    let notActions: [String]
    let resources: [String]
    let notResources: [String]
    let principals: [PolicyPrincipal]
    let notPrincipals: [PolicyPrincipal]
    /// The tests of the `Condition` block, ordered by operator and then key; all must hold.
    let conditions: [PolicyCondition]

    /// Action patterns, lowercased, with `*` and `?` wildcards.
    let actionScope: Scope<PolicyPattern>
    let resourceScope: Scope<PolicyPattern>
    let principalScope: Scope<PolicyPrincipal>

    /// The statement elements IAM's grammar defines.
    private static let elements: Set<String> = [
        "Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition",
    ]

    init(_ json: [String: JSONValue], kind: PolicyKind, variables: Bool) throws(MalformedPolicy) {
        guard json.keys.allSatisfy(Self.elements.contains) else { throw MalformedPolicy(message: PolicyMessage.syntax) }
        sid = try Self.sid(json["Sid"], kind: kind)
        effect = try Self.effect(json["Effect"])

        let (named, excepted) = try Self.principals(json, kind: kind)
        principals = named
        notPrincipals = excepted
        principalScope = Scope(only: named, except: excepted)

        let actionList = try Self.actions(json, kind: kind)
        actions = actionList.listed
        notActions = actionList.excepted
        actionScope = actionList.scope { PolicyPattern($0, wildcards: true, variables: false, ignoresCase: true) }

        let resourceList = try Self.resources(json, kind: kind)
        resources = resourceList?.listed ?? []
        notResources = resourceList?.excepted ?? []
        resourceScope = resourceList?.scope { PolicyPattern($0, wildcards: true, variables: variables) } ?? .any

        conditions = try Self.conditions(json["Condition"], variables: variables)
    }

    // MARK: Elements

    /// IAM requires alphanumeric Sids in identity policies; services choose their own rules for theirs.
    private static func sid(_ value: JSONValue?, kind: PolicyKind) throws(MalformedPolicy) -> String? {
        let sid = try optionalString(value)
        if kind == .identity, let sid, !sid.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) {
            throw MalformedPolicy(message: PolicyMessage.sidNotAlphanumeric)
        }
        return sid
    }

    private static func effect(_ value: JSONValue?) throws(MalformedPolicy) -> PolicyEffect {
        guard let value else { throw MalformedPolicy(message: PolicyMessage.missingEffect) }
        guard case .string(let text) = value else { throw MalformedPolicy(message: PolicyMessage.syntax) }
        guard let effect = PolicyEffect(rawValue: text) else {
            throw MalformedPolicy(message: PolicyMessage.invalidEffect(text))
        }
        return effect
    }

    /// `Element` or `NotElement` (never both, and not an empty list); nil when neither is present.
    private static func either(
        _ json: [String: JSONValue], _ element: String, missing: String
    ) throws(MalformedPolicy) -> ElementList? {
        let plain = json[element]
        let negated = json["Not" + element]
        if plain != nil, negated != nil { throw MalformedPolicy(message: PolicyMessage.both(element)) }
        guard let value = plain ?? negated else { return nil }
        guard let values = try stringList(value) else { throw MalformedPolicy(message: missing) }
        return ElementList(values: values, negated: plain == nil)
    }

    /// Actions are required in every kind of policy.
    private static func actions(_ json: [String: JSONValue], kind: PolicyKind) throws(MalformedPolicy) -> ElementList {
        let missing = PolicyMessage.missingActions(kind)
        guard let list = try either(json, "Action", missing: missing) else { throw MalformedPolicy(message: missing) }
        for action in list.values { try checkAction(action) }
        return list
    }

    /// Resources are required except in trust policies, where IAM prohibits them.
    private static func resources(_ json: [String: JSONValue], kind: PolicyKind) throws(MalformedPolicy) -> ElementList?
    {
        if kind == .trust {
            for element in ["Resource", "NotResource"] where json[element] != nil {
                throw MalformedPolicy(message: PolicyMessage.prohibited(element))
            }
            return nil
        }
        let missing = PolicyMessage.missingResources(kind)
        guard let list = try either(json, "Resource", missing: missing) else { throw MalformedPolicy(message: missing) }
        for resource in list.values { try checkResource(resource) }
        return list
    }

    /// An action is `*` or `service:pattern`, the service made of letters, digits and hyphens.
    private static func checkAction(_ action: String) throws(MalformedPolicy) {
        if action == "*" { return }
        guard let colon = action.firstIndex(of: ":") else {
            throw MalformedPolicy(message: PolicyMessage.missingVendor)
        }
        let vendor = action[..<colon]
        guard !vendor.isEmpty, vendor.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else {
            throw MalformedPolicy(message: PolicyMessage.invalidVendor(String(vendor)))
        }
    }

    /// A resource is `*` or ARN-shaped (has a colon); wildcards may stand for any part of it.
    private static func checkResource(_ resource: String) throws(MalformedPolicy) {
        guard resource == "*" || resource.contains(":") else {
            throw MalformedPolicy(message: PolicyMessage.resourceNotArn(resource))
        }
    }

    // MARK: Principals

    private static func principals(
        _ json: [String: JSONValue], kind: PolicyKind
    ) throws(MalformedPolicy) -> ([PolicyPrincipal], [PolicyPrincipal]) {
        let plain = json["Principal"]
        let negated = json["NotPrincipal"]
        if kind == .identity {
            if plain != nil || negated != nil {
                throw MalformedPolicy(message: PolicyMessage.principalInIdentityPolicy)
            }
            return ([], [])
        }
        if plain != nil, negated != nil { throw MalformedPolicy(message: PolicyMessage.both("Principal")) }
        if let plain { return (try principalList(plain), []) }
        if let negated { return ([], try principalList(negated)) }
        throw MalformedPolicy(message: PolicyMessage.missingPrincipal)
    }

    /// `"*"` or an object mapping `AWS`, `Service`, `Federated` or `CanonicalUser` to names.
    private static func principalList(_ value: JSONValue) throws(MalformedPolicy) -> [PolicyPrincipal] {
        switch value {
        case .string("*"):
            return [.anyone]
        case .string(let text):
            throw MalformedPolicy(message: PolicyMessage.invalidPrincipal("\"\(text)\""))
        case .object(let object):
            guard !object.isEmpty else { throw MalformedPolicy(message: PolicyMessage.emptyPrincipal) }
            var principals: [PolicyPrincipal] = []
            for (type, names) in object.sorted(by: { $0.key < $1.key }) {
                guard let names = try stringList(names) else {
                    throw MalformedPolicy(message: PolicyMessage.emptyPrincipal)
                }
                for name in names { principals.append(try principal(type: type, name: name)) }
            }
            return principals
        default:
            throw MalformedPolicy(message: PolicyMessage.syntax)
        }
    }

    private static func principal(type: String, name: String) throws(MalformedPolicy) -> PolicyPrincipal {
        switch type {
        case "AWS":
            if name == "*" { return .anyone }
            if let principal = awsPrincipal(name) { return principal }
            throw MalformedPolicy(message: PolicyMessage.invalidPrincipal("\"AWS\":\"\(name)\""))
        case "Service" where !name.isEmpty: return .service(name)
        case "Federated" where !name.isEmpty: return .federated(name)
        case "CanonicalUser" where !name.isEmpty: return .canonicalUser(name)
        default: throw MalformedPolicy(message: PolicyMessage.invalidPrincipal("\"\(type)\""))
        }
    }

    /// An account id, `arn:PARTITION:iam::ACCOUNT:root|user/…|role/…`, or an STS session ARN.
    private static func awsPrincipal(_ name: String) -> PolicyPrincipal? {
        if isAccountId(name) { return .account(name) }
        let parts = name.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "arn", !parts[1].isEmpty, parts[3].isEmpty, isAccountId(parts[4]) else {
            return nil
        }
        switch (parts[2], parts[5]) {
        case ("iam", "root"): return .account(String(parts[4]))
        case ("iam", let rest) where rest.hasPrefix("user/") || rest.hasPrefix("role/"): return .arn(name)
        case ("sts", let rest) where rest.hasPrefix("assumed-role/") || rest.hasPrefix("federated-user/"):
            return .arn(name)
        default: return nil
        }
    }

    private static func isAccountId(_ text: some StringProtocol) -> Bool {
        text.utf8.count == 12 && text.allSatisfy { $0.isASCII && $0.isNumber }
    }

    // MARK: Conditions

    /// `{"Operator": {"key": value-or-values}}`, with string, number or boolean values.
    private static func conditions(_ value: JSONValue?, variables: Bool) throws(MalformedPolicy) -> [PolicyCondition] {
        guard let value else { return [] }
        guard case .object(let block) = value else { throw MalformedPolicy(message: PolicyMessage.syntax) }
        var conditions: [PolicyCondition] = []
        for (operatorName, tests) in block.sorted(by: { $0.key < $1.key }) {
            guard case .object(let keys) = tests else { throw MalformedPolicy(message: PolicyMessage.syntax) }
            for (key, values) in keys.sorted(by: { $0.key < $1.key }) {
                let texts = try conditionValues(values)
                conditions.append(
                    try PolicyCondition(operatorName: operatorName, key: key, values: texts, variables: variables))
            }
        }
        return conditions
    }

    private static func conditionValues(_ value: JSONValue) throws(MalformedPolicy) -> [String] {
        if let text = value.scalarText { return [text] }
        guard case .array(let items) = value else { throw MalformedPolicy(message: PolicyMessage.syntax) }
        var texts: [String] = []
        for item in items {
            guard let text = item.scalarText else { throw MalformedPolicy(message: PolicyMessage.syntax) }
            texts.append(text)
        }
        return texts
    }
}

/// The values of `Action`/`NotAction` or `Resource`/`NotResource`, and which of the pair held them.
struct ElementList {
    let values: [String]
    let negated: Bool

    var listed: [String] { negated ? [] : values }
    var excepted: [String] { negated ? values : [] }

    func scope(_ compile: (String) -> PolicyPattern) -> Scope<PolicyPattern> {
        let patterns = values.map(compile)
        return negated ? .except(patterns) : .only(patterns)
    }
}

/// Which values an element covers: all of them, those listed, or all but those listed.
enum Scope<Item: Sendable>: Sendable {
    case any
    case only([Item])
    case except([Item])

    /// `Principal` / `NotPrincipal`; neither (an identity policy) covers any caller.
    init(only: [Item], except: [Item]) {
        if !only.isEmpty {
            self = .only(only)
        } else if !except.isEmpty {
            self = .except(except)
        } else {
            self = .any
        }
    }
}
