/// Where a policy is attached, which decides whether its statements name principals.
public enum PolicyKind: Sendable {
    /// Attached to a user or role; statements must not have `Principal` or `NotPrincipal`.
    case identity
    /// Attached to a resource (a function's policy); every statement names its principals.
    case resource
    /// A role's trust policy; every statement names its principals and none has `Resource`.
    case trust
}

/// A policy document IAM would refuse, with IAM's wording where it is known (see `PolicyMessage`).
public struct MalformedPolicy: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String

    public init(message: String) {
        self.message = message
    }

    public var description: String { message }
}

/// The effect of a statement that applies to a request.
public enum PolicyEffect: String, Sendable, Equatable {
    case allow = "Allow"
    case deny = "Deny"
}

/// One entry of a `Principal` or `NotPrincipal` element.
public enum PolicyPrincipal: Sendable, Equatable {
    /// `"*"` or `{"AWS": "*"}`: every caller.
    case anyone
    /// `{"AWS": "123456789012"}` or `{"AWS": "arn:aws:iam::123456789012:root"}`, as the account id.
    case account(String)
    /// A user, role or assumed-role session ARN.
    case arn(String)
    /// `{"Service": "s3.amazonaws.com"}`: an AWS service calling on a resource owner's behalf.
    case service(String)
    /// `{"Federated": …}`: accepted, never matched (Swiftlet has no identity federation).
    case federated(String)
    /// `{"CanonicalUser": …}`: accepted, never matched (an S3 identifier).
    case canonicalUser(String)
}

/// A parsed policy: parse once, evaluate many times with `PolicyEvaluator`.
public struct PolicyDocument: Sendable {
    /// Where the policy is attached.
    public let kind: PolicyKind
    /// `2012-10-17`, `2008-10-17`, or nil (which IAM reads as `2008-10-17`).
    public let version: String?
    public let id: String?
    /// The statements; each keeps what it was compiled with (the version's policy variables).
    public var statements: [PolicyStatement]

    /// The versions IAM accepts; only the newer one has policy variables.
    static let versions: Set<String> = ["2012-10-17", "2008-10-17"]

    /// Parses and checks a policy document as IAM does when it is attached.
    ///
    /// Wildcards, policy variables and condition values are compiled here, so that evaluation
    /// parses nothing of the policy. JSON objects with a repeated member name are refused, where
    /// IAM silently keeps one of the values: a policy must not read differently to different readers.
    ///
    /// - Throws: `MalformedPolicy` naming the first problem found (see `PolicyMessage`).
    public static func parse(_ json: String, kind: PolicyKind) throws(MalformedPolicy) -> PolicyDocument {
        guard case .object(let root) = JSONParser.parse(json) else {
            throw MalformedPolicy(message: PolicyMessage.syntax)
        }
        guard root.keys.allSatisfy(["Version", "Id", "Statement"].contains) else {
            throw MalformedPolicy(message: PolicyMessage.syntax)
        }

        let version = try optionalString(root["Version"])
        if let version, !versions.contains(version) { throw MalformedPolicy(message: PolicyMessage.legacyParsing) }
        let id = try optionalString(root["Id"])

        let objects = try statementObjects(root["Statement"])
        let variables = version == "2012-10-17"
        var statements: [PolicyStatement] = []
        var sids: Set<String> = []
        for object in objects {
            let statement = try PolicyStatement(object, kind: kind, variables: variables)
            if let sid = statement.sid, !sid.isEmpty, !sids.insert(sid).inserted {
                throw MalformedPolicy(message: PolicyMessage.duplicateSid)
            }
            statements.append(statement)
        }
        return PolicyDocument(kind: kind, version: version, id: id, statements: statements)
    }

    /// `Statement` is one object or a non-empty array of objects.
    private static func statementObjects(_ value: JSONValue?) throws(MalformedPolicy) -> [[String: JSONValue]] {
        switch value {
        case .object(let object):
            return [object]
        case .array(let items) where !items.isEmpty:
            var objects: [[String: JSONValue]] = []
            for item in items {
                guard case .object(let object) = item else { throw MalformedPolicy(message: PolicyMessage.syntax) }
                objects.append(object)
            }
            return objects
        default:
            throw MalformedPolicy(message: PolicyMessage.syntax)
        }
    }
}

/// IAM's `MalformedPolicyDocument` messages, worded as IAM words them where that is known.
///
/// IAM words some problems differently for identity policies (`CreatePolicy`, `PutUserPolicy`)
/// than for trust and resource policies (`CreateRole`, `UpdateAssumeRolePolicy`); `PolicyKind`
/// picks the wording. Messages IAM is not known to have are precise and name the element.
enum PolicyMessage {
    static let syntax = "Syntax errors in policy."
    static let legacyParsing = "The policy failed legacy parsing"
    static let duplicateSid = "Statement IDs (SID) in a single policy must be unique."
    static let sidNotAlphanumeric =
        "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*"
    static let principalInIdentityPolicy = "Policy document should not specify a principal."
    static let missingEffect = "Missing required field Effect"
    static let missingPrincipal = "Missing required field Principal"
    static let emptyPrincipal = "Missing required field Principal cannot be empty!"
    static let missingVendor = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."

    static func invalidEffect(_ effect: String) -> String { "Invalid effect: \(effect)" }

    static func missingActions(_ kind: PolicyKind) -> String {
        kind == .identity ? "Policy statement must contain actions." : "Missing required field Action"
    }

    static func missingResources(_ kind: PolicyKind) -> String {
        kind == .identity ? "Policy statement must contain resources." : "Missing required field Resource"
    }

    static func prohibited(_ element: String) -> String { "Has prohibited field \(element)" }

    static func both(_ element: String) -> String {
        "Statement must not contain both \(element) and Not\(element)."
    }

    static func invalidVendor(_ vendor: String) -> String { "Vendor \(vendor) is not valid" }

    static func resourceNotArn(_ resource: String) -> String {
        "Resource \(resource) must be in ARN format or \"*\"."
    }

    static func invalidPrincipal(_ detail: String) -> String { "Invalid principal in policy: \(detail)" }

    static func invalidConditionType(_ name: String) -> String { "Invalid Condition type : \(name)" }

    /// A condition value its operator cannot read, e.g. `Invalid value for NumericEquals on s3:max-keys: "ten"…`.
    static func invalidConditionValue(_ value: String, _ test: String, expected: String) -> String {
        "Invalid value for \(test): \"\(value)\" is not \(expected)"
    }
}

/// A string, or nil when absent; anything else is a syntax error.
func optionalString(_ value: JSONValue?) throws(MalformedPolicy) -> String? {
    switch value {
    case nil: return nil
    case .string(let string): return string
    default: throw MalformedPolicy(message: PolicyMessage.syntax)
    }
}

/// A string or an array of strings; an absent element or an empty array is nil.
func stringList(_ value: JSONValue?) throws(MalformedPolicy) -> [String]? {
    switch value {
    case nil: return nil
    case .string(let string): return [string]
    case .array(let items):
        var strings: [String] = []
        for item in items {
            guard case .string(let string) = item else { throw MalformedPolicy(message: PolicyMessage.syntax) }
            strings.append(string)
        }
        return strings.isEmpty ? nil : strings
    default: throw MalformedPolicy(message: PolicyMessage.syntax)
    }
}
