import Foundation

/// One test of a statement's `Condition` block: an operator applied to one context key and its values.
///
/// A block holds any number of these; all of them must hold for the statement to apply. Within one
/// test the policy values are alternatives (any may match), except that a negated operator such
/// as `StringNotEquals` requires the request value to match none of them.
public final class PolicyCondition: Sendable {
    /// The operator as written, qualifiers included, e.g. `ForAnyValue:StringLikeIfExists`.
    public let operatorName: String
    /// The context key as written; keys are compared without regard to case.
    public let key: String
    /// The policy's values, as text (JSON numbers and booleans are written out).
    public let values: [String]

    let condition: ConditionOperator
    let compiled: ConditionValues
    let hasVariables: Bool

    /// Compiles one test; `variables` says whether the policy's version has policy variables.
    init(operatorName: String, key: String, values: [String], variables: Bool) throws(MalformedPolicy) {
        guard let condition = ConditionOperator(operatorName) else {
            throw MalformedPolicy(message: PolicyMessage.invalidConditionType(operatorName))
        }
        guard key.contains(":") else { throw MalformedPolicy(message: PolicyMessage.missingVendor) }
        self.operatorName = operatorName
        self.key = key
        self.values = values
        self.condition = condition
        compiled = try ConditionValues(
            condition.family, values: values, variables: variables, describe: "\(operatorName) on \(key)")
        hasVariables = compiled.hasVariables
    }

    /// Whether the test holds for the request.
    func holds(in context: RequestContext) -> Bool {
        let present = context.values(forKey: key)
        if case .null(let expectations) = compiled {
            return expectations.contains(present == nil)
        }
        guard let present else { return condition.resultWhenKeyIsMissing }
        if hasVariables, !compiled.variablesResolve(in: context) { return false }

        var anyPasses = false
        var allPass = true
        for value in present {
            let passes = compiled.matches(value, in: context) != condition.negated
            anyPasses = anyPasses || passes
            allPass = allPass && passes
        }
        switch condition.qualifier {
        case .forAllValues: return allPass
        case .forAnyValue: return anyPasses
        case nil: return condition.negated ? allPass : anyPasses
        }
    }
}

/// A condition operator name taken apart: its family, whether it is negated, and its qualifiers.
struct ConditionOperator: Sendable, Equatable {
    enum Family: Sendable, Equatable {
        case string(ignoresCase: Bool, wildcards: Bool)
        case numeric(Comparison)
        case date(Comparison)
        case bool
        case binary
        case ipAddress
        case arn
        case null
    }

    enum Comparison: Sendable, Equatable {
        case equal, less, lessOrEqual, greater, greaterOrEqual

        func holds(_ request: Double, _ policy: Double) -> Bool {
            switch self {
            case .equal: return request == policy
            case .less: return request < policy
            case .lessOrEqual: return request <= policy
            case .greater: return request > policy
            case .greaterOrEqual: return request >= policy
            }
        }
    }

    /// `ForAllValues:` and `ForAnyValue:`, for context keys with several values.
    enum SetQualifier: Sendable, Equatable { case forAllValues, forAnyValue }

    let family: Family
    let negated: Bool
    let ifExists: Bool
    let qualifier: SetQualifier?

    /// Parses a name such as `ForAllValues:StringNotLikeIfExists`; nil when IAM has no such operator.
    ///
    /// Names are case-sensitive. `Null` takes neither `IfExists` nor a set qualifier, as IAM documents.
    init?(_ name: String) {
        var base = Substring(name)
        var qualifier: SetQualifier?
        if base.hasPrefix("ForAllValues:") {
            qualifier = .forAllValues
            base = base.dropFirst("ForAllValues:".count)
        } else if base.hasPrefix("ForAnyValue:") {
            qualifier = .forAnyValue
            base = base.dropFirst("ForAnyValue:".count)
        }
        let ifExists = base.hasSuffix("IfExists")
        if ifExists { base = base.dropLast("IfExists".count) }
        guard let (family, negated) = Self.operators[String(base)] else { return nil }
        if family == .null, ifExists || qualifier != nil { return nil }
        self.family = family
        self.negated = negated
        self.ifExists = ifExists
        self.qualifier = qualifier
    }

    /// The result when the request has no value for the key.
    ///
    /// IAM: a missing key fails an operator and satisfies a negated one; `…IfExists` is satisfied;
    /// `ForAllValues` holds over an empty set and `ForAnyValue` does not.
    var resultWhenKeyIsMissing: Bool {
        if ifExists { return true }
        switch qualifier {
        case .forAllValues: return true
        case .forAnyValue: return false
        case nil: return negated
        }
    }

    private static let operators: [String: (Family, negated: Bool)] = [
        "StringEquals": (.string(ignoresCase: false, wildcards: false), false),
        "StringNotEquals": (.string(ignoresCase: false, wildcards: false), true),
        "StringEqualsIgnoreCase": (.string(ignoresCase: true, wildcards: false), false),
        "StringNotEqualsIgnoreCase": (.string(ignoresCase: true, wildcards: false), true),
        "StringLike": (.string(ignoresCase: false, wildcards: true), false),
        "StringNotLike": (.string(ignoresCase: false, wildcards: true), true),
        "NumericEquals": (.numeric(.equal), false),
        "NumericNotEquals": (.numeric(.equal), true),
        "NumericLessThan": (.numeric(.less), false),
        "NumericLessThanEquals": (.numeric(.lessOrEqual), false),
        "NumericGreaterThan": (.numeric(.greater), false),
        "NumericGreaterThanEquals": (.numeric(.greaterOrEqual), false),
        "DateEquals": (.date(.equal), false),
        "DateNotEquals": (.date(.equal), true),
        "DateLessThan": (.date(.less), false),
        "DateLessThanEquals": (.date(.lessOrEqual), false),
        "DateGreaterThan": (.date(.greater), false),
        "DateGreaterThanEquals": (.date(.greaterOrEqual), false),
        "Bool": (.bool, false),
        "BinaryEquals": (.binary, false),
        "IpAddress": (.ipAddress, false),
        "NotIpAddress": (.ipAddress, true),
        "ArnEquals": (.arn, false),
        "ArnLike": (.arn, false),
        "ArnNotEquals": (.arn, true),
        "ArnNotLike": (.arn, true),
        "Null": (.null, false),
    ]
}

/// A condition's policy values, parsed for their operator's family when the policy is parsed.
enum ConditionValues: Sendable {
    case patterns([PolicyPattern])
    case arns([ArnPattern])
    case numbers([Double], ConditionOperator.Comparison)
    case dates([Double], ConditionOperator.Comparison)
    case networks([IPNetwork])
    case binaries([[UInt8]])
    /// For `Null`: each value says whether the key must be absent (`true`) or present (`false`).
    case null([Bool])

    /// Parses `values` for `family`; IAM substitutes policy variables only for string, ARN and Bool.
    init(
        _ family: ConditionOperator.Family, values: [String], variables: Bool, describe: String
    ) throws(MalformedPolicy) {
        func parseAll<Value>(_ kind: String, _ parse: (String) -> Value?) throws(MalformedPolicy) -> [Value] {
            var parsed: [Value] = []
            for value in values {
                guard let one = parse(value) else {
                    throw MalformedPolicy(message: PolicyMessage.invalidConditionValue(value, describe, expected: kind))
                }
                parsed.append(one)
            }
            return parsed
        }
        switch family {
        case .string(let ignoresCase, let wildcards):
            self = .patterns(
                values.map {
                    PolicyPattern($0, wildcards: wildcards, variables: variables, ignoresCase: ignoresCase)
                })
        case .bool:
            self = .patterns(
                values.map { PolicyPattern($0, wildcards: false, variables: variables, ignoresCase: true) })
        case .arn:
            self = .arns(values.map { ArnPattern($0, variables: variables) })
        case .numeric(let comparison):
            self = .numbers(try parseAll("a number", PolicyNumber.parse), comparison)
        case .date(let comparison):
            self = .dates(try parseAll("an ISO 8601 date or epoch seconds", PolicyDate.parse), comparison)
        case .ipAddress:
            self = .networks(try parseAll("an IP address or CIDR block", IPNetwork.parse))
        case .binary:
            self = .binaries(try parseAll("base64") { Data(base64Encoded: $0).map { Array($0) } })
        case .null:
            self = .null(try parseAll("true or false") { Bool($0.lowercased()) })
        }
    }

    var hasVariables: Bool {
        switch self {
        case .patterns(let patterns): return patterns.contains { $0.hasVariables }
        case .arns(let arns): return arns.contains { $0.hasVariables }
        default: return false
        }
    }

    /// Whether every variable in the values has a value; if one has none, IAM treats the test as failed.
    func variablesResolve(in context: RequestContext) -> Bool {
        switch self {
        case .patterns(let patterns):
            for pattern in patterns where !pattern.allVariablesResolve(context) { return false }
        case .arns(let arns):
            for arn in arns where !arn.allVariablesResolve(context) { return false }
        default:
            break
        }
        return true
    }

    /// Whether one request value matches any of the policy values (before negation).
    func matches(_ value: String, in context: RequestContext) -> Bool {
        switch self {
        case .patterns(let patterns):
            return withUTF8(value) { bytes in
                for pattern in patterns where pattern.matches(bytes: bytes, resolver: context) { return true }
                return false
            }
        case .arns(let arns):
            return withUTF8(value) { bytes in
                for arn in arns where arn.matches(bytes: bytes, resolver: context) { return true }
                return false
            }
        case .numbers(let numbers, let comparison):
            guard let number = PolicyNumber.parse(value) else { return false }
            return numbers.contains { comparison.holds(number, $0) }
        case .dates(let dates, let comparison):
            guard let date = PolicyDate.parse(value) else { return false }
            return dates.contains { comparison.holds(date, $0) }
        case .networks(let networks):
            guard let address = IPAddress.parse(value) else { return false }
            return networks.contains { $0.contains(address) }
        case .binaries(let binaries):
            guard let data = Data(base64Encoded: value) else { return false }
            return binaries.contains { $0.elementsEqual(data) }
        case .null:
            return false
        }
    }
}

/// An ARN pattern for the ARN operators, which match each of an ARN's six colon-separated parts
/// separately: a `*` in the region part cannot swallow the account part.
///
/// A policy value with fewer than six parts (such as a lone `*`) is matched as one string.
struct ArnPattern: Sendable {
    let parts: [PolicyPattern]

    init(_ text: String, variables: Bool) {
        let pieces = Self.split(text, variables: variables)
        let sources = pieces.count == 6 ? pieces : [text]
        parts = sources.map { PolicyPattern($0, wildcards: true, variables: variables) }
    }

    var hasVariables: Bool { parts.contains { $0.hasVariables } }

    func allVariablesResolve(_ resolver: some VariableResolver) -> Bool {
        for part in parts where !part.allVariablesResolve(resolver) { return false }
        return true
    }

    func matches(bytes: UnsafeBufferPointer<UInt8>, resolver: some VariableResolver) -> Bool {
        if parts.count == 1 { return parts[0].matches(bytes: bytes, resolver: resolver) }
        var start = 0
        for (index, part) in parts.enumerated() {
            var end = bytes.count
            if index < 5 {
                guard let colon = bytes[start...].firstIndex(of: UInt8(ascii: ":")) else { return false }
                end = colon
            }
            guard part.matches(bytes: UnsafeBufferPointer(rebasing: bytes[start..<end]), resolver: resolver) else {
                return false
            }
            start = end + 1
        }
        return true
    }

    /// Splits at the first five colons that are not inside a `${…}` variable.
    private static func split(_ text: String, variables: Bool) -> [String] {
        var pieces: [String] = []
        var current = ""
        var insideVariable = false
        var previous: Character?
        for character in text {
            if variables, previous == "$", character == "{" { insideVariable = true }
            if insideVariable, character == "}" { insideVariable = false }
            if character == ":", !insideVariable, pieces.count < 5 {
                pieces.append(current)
                current = ""
            } else {
                current.append(character)
            }
            previous = character
        }
        pieces.append(current)
        return pieces
    }
}
