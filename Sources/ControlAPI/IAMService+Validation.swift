import Foundation
import Store

/// Collects violations of the IAM and STS models' constraints and words them as AWS does:
/// "1 validation error detected: Value 'a b' at 'userName' failed to satisfy constraint:
/// Member must satisfy regular expression pattern: [\w+=,.@-]+".
struct QueryValidator {
    private var validator = Validator()

    static let namePattern = #"[\w+=,.@-]+"#
    static let pathPattern = #"(\u002F)|(\u002F[\u0021-\u007E]+\u002F)"#
    static let pathPrefixPattern = #"\u002F[\u0021-\u007F]*"#
    static let policyPathPattern = #"((/[A-Za-z0-9\.,\+@=_-]+)*)/"#
    static let documentPattern = #"[\u0009\u000A\u000D\u0020-\u00FF]+"#
    static let versionPattern = #"v[1-9][0-9]*(\.[A-Za-z0-9-]*)?"#
    static let tagPattern = #"[\p{L}\p{Z}\p{N}_.:/=+\-@]+"#

    /// A member the request must carry.
    mutating func required(_ value: String?, at member: String) {
        if value == nil {
            validator.fail(nil, at: member, "Member must not be null")
        }
    }

    /// A user, role, policy or session name: `[\w+=,.@-]+`, or as `pattern` says when the
    /// model states it differently (session names may be empty by pattern, `*`).
    mutating func name(
        _ value: String?, at member: String, min: Int = 1, max: Int, required: Bool = true,
        pattern: String = namePattern
    ) {
        if required { self.required(value, at: member) }
        guard let value else { return }
        validator.length(value, at: member, min: min, max: max)
        if !value.isEmpty, !value.unicodeScalars.allSatisfy(Self.isNameCharacter) {
            self.pattern(value, at: member, pattern)
        }
    }

    /// An access key id: 16 to 128 of `[\w]`.
    mutating func accessKeyId(_ value: String?, at member: String) {
        required(value, at: member)
        guard let value else { return }
        validator.length(value, at: member, min: 16, max: 128)
        if !value.unicodeScalars.allSatisfy({ Self.isAlphanumeric($0) || $0 == "_" }) {
            pattern(value, at: member, #"[\w]+"#)
        }
    }

    /// An entity path: `/` or `/…/` in printable ASCII.
    mutating func path(_ value: String?, at member: String) {
        guard let value else { return }
        validator.length(value, at: member, min: 1, max: 512)
        let inner = value.dropFirst().dropLast().unicodeScalars
        let valid =
            value == "/"
            || (value.count >= 3 && value.hasPrefix("/") && value.hasSuffix("/")
                && inner.allSatisfy { (0x21...0x7E).contains($0.value) })
        if !valid { pattern(value, at: member, Self.pathPattern) }
    }

    /// A path prefix for ListUsers and ListRoles: `/` then printable ASCII.
    mutating func pathPrefix(_ value: String?, at member: String) {
        guard let value else { return }
        validator.length(value, at: member, min: 1, max: 512)
        let valid = value.hasPrefix("/") && value.unicodeScalars.allSatisfy { (0x21...0x7F).contains($0.value) }
        if !valid { pattern(value, at: member, Self.pathPrefixPattern) }
    }

    /// A managed policy's path, or a prefix of one: `/`-separated segments ending in `/`.
    mutating func policyPath(_ value: String?, at member: String) {
        guard let value else { return }
        validator.length(value, at: member, min: 1, max: 512)
        let segments = value.split(separator: "/", omittingEmptySubsequences: false)
        let valid =
            value.hasPrefix("/") && value.hasSuffix("/")
            && segments.dropFirst().dropLast().allSatisfy { segment in
                !segment.isEmpty && segment.unicodeScalars.allSatisfy(Self.isPolicyPathCharacter)
            }
        if !valid { pattern(value, at: member, Self.policyPathPattern) }
    }

    /// A policy document: 1 to 131,072 characters of tab, line breaks and Latin-1.
    mutating func document(_ value: String?, at member: String, required: Bool = true) {
        if required { self.required(value, at: member) }
        guard let value else { return }
        validator.length(value, at: member, min: 1, max: 131_072)
        let valid = value.unicodeScalars.allSatisfy { scalar in
            [0x09, 0x0A, 0x0D].contains(scalar.value) || (0x20...0xFF).contains(scalar.value)
        }
        if !value.isEmpty, !valid { pattern(value, at: member, Self.documentPattern) }
    }

    /// An ARN: 20 to 2,048 characters.
    mutating func arn(_ value: String?, at member: String) {
        required(value, at: member)
        validator.length(value, at: member, min: 20, max: 2_048)
    }

    /// A policy version id: `v1`, `v2`, …
    mutating func versionId(_ value: String?, at member: String) {
        required(value, at: member)
        guard let value, PolicyVersionId.number(value) == nil else { return }
        pattern(value, at: member, Self.versionPattern)
    }

    mutating func length(_ value: String?, at member: String, min: Int = 0, max: Int) {
        validator.length(value, at: member, min: min, max: max)
    }

    /// An integer member within `range`; a value that is not a number fails too.
    mutating func integer(_ value: Int??, at member: String, _ range: ClosedRange<Int>) {
        guard let value else { return }
        guard let number = value else {
            validator.fail(nil, at: member, "Member must be a number")
            return
        }
        validator.range(number, at: member, min: range.lowerBound, max: range.upperBound)
    }

    mutating func oneOf(_ value: String?, at member: String, _ allowed: [String]) {
        validator.oneOf(value, at: member, allowed)
    }

    /// Tags: at most 50, keys of 1 to 128 and values of up to 256 letters, digits, spaces and
    /// `_.:/=+-@`.
    mutating func tags(_ tags: [(key: String, value: String?)], at member: String) {
        if tags.count > IAMService.tagsPerEntity {
            validator.fail(
                "[…]", at: member, "Member must have length less than or equal to \(IAMService.tagsPerEntity)")
        }
        for (index, tag) in tags.enumerated() {
            let prefix = "\(member).\(index + 1).member"
            validator.length(tag.key, at: "\(prefix).key", min: 1, max: 128)
            if !tag.key.isEmpty, !tag.key.unicodeScalars.allSatisfy(Self.isTagCharacter) {
                pattern(tag.key, at: "\(prefix).key", Self.tagPattern)
            }
            required(tag.value, at: "\(prefix).value")
            validator.length(tag.value, at: "\(prefix).value", max: 256)
            if let value = tag.value, !value.unicodeScalars.allSatisfy(Self.isTagCharacter) {
                pattern(value, at: "\(prefix).value", Self.tagPattern.replacingOccurrences(of: "]+", with: "]*"))
            }
        }
    }

    private mutating func pattern(_ value: String, at member: String, _ pattern: String) {
        validator.fail(value, at: member, "Member must satisfy regular expression pattern: \(pattern)")
    }

    /// Throws a ValidationError listing every violation, if any.
    func check() throws(AWSError) {
        do {
            try validator.check()
        } catch {
            throw AWSError.validationError(error.message)
        }
    }

    /// `[\w+=,.@-]`, with `\w` as Java reads it: ASCII letters, digits and `_`.
    static func isNameCharacter(_ scalar: Unicode.Scalar) -> Bool {
        isAlphanumeric(scalar) || "_+=,.@-".unicodeScalars.contains(scalar)
    }

    private static func isPolicyPathCharacter(_ scalar: Unicode.Scalar) -> Bool {
        isAlphanumeric(scalar) || ".,+@=_-".unicodeScalars.contains(scalar)
    }

    static func isAlphanumeric(_ scalar: Unicode.Scalar) -> Bool {
        scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar))
    }

    private static func isTagCharacter(_ scalar: Unicode.Scalar) -> Bool {
        let properties = scalar.properties
        let isLetterSpaceOrNumber =
            properties.isAlphabetic || properties.numericType != nil
            || properties.generalCategory == .spaceSeparator
        return isLetterSpaceOrNumber || "_.:/=+-@".unicodeScalars.contains(scalar)
    }
}

/// Policy version ids as IAM writes them.
enum PolicyVersionId {
    /// The number in `vN`, or nil for anything else.
    static func number(_ versionId: String) -> Int? {
        guard versionId.hasPrefix("v"), let number = Int(versionId.dropFirst()), number > 0 else { return nil }
        return number
    }
}

// MARK: - Pagination

/// One page of an IAM list and the marker that fetches the next, if any.
struct IAMPage<Item> {
    var items: [Item]
    var marker: String?

    /// `<IsTruncated>` and, when there is more, `<Marker>`.
    func writeTruncation(_ writer: inout XMLWriter) {
        writer.element("IsTruncated", marker != nil)
        writer.element("Marker", marker)
    }
}

/// Marker and MaxItems pagination as IAM's list operations do it.
///
/// A marker carries the key of the last item handed out, base64-encoded so it is opaque. The
/// next page starts after the item with that key, or, when that item is gone, after the items
/// whose keys sort before it; lists are ordered by their keys except where noted.
enum IAMPagination {
    static let defaultMaxItems = 100

    static func page<Item>(
        _ items: [Item], _ request: QueryRequest, key: (Item) -> String
    ) throws(AWSError) -> IAMPage<Item> {
        var check = QueryValidator()
        check.integer(request.integer("MaxItems"), at: "maxItems", 1...1_000)
        check.length(request["Marker"], at: "marker", min: 1, max: 320)
        try check.check()
        let limit = (request.integer("MaxItems") ?? nil) ?? defaultMaxItems
        var rest = items[...]
        if let marker = request["Marker"] {
            guard let data = Data(base64Encoded: marker), let last = String(data: data, encoding: .utf8) else {
                throw AWSError.validationError("Invalid Marker.")
            }
            if let index = items.firstIndex(where: { key($0) == last }) {
                rest = items[(index + 1)...]
            } else {
                rest = items[...].drop(while: { key($0) <= last })
            }
        }
        let page = Array(rest.prefix(limit))
        let more = rest.count > limit
        return IAMPage(items: page, marker: more ? page.last.map { Data(key($0).utf8).base64EncodedString() } : nil)
    }
}
