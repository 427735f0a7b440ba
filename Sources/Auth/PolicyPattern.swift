import Foundation

/// A policy variable, `${key}` or `${key, 'default'}`, resolved from the request context at evaluation.
///
/// Only policies whose `Version` is `2012-10-17` have variables; in older policies `${…}` is literal text.
struct PolicyVariable: Sendable, Equatable {
    /// The context key as written in the policy.
    let key: String
    /// The value to use when the key is absent (or multi-valued); nil when the policy gives none.
    let fallback: String?
}

/// What supplies the values of policy variables: the request being evaluated.
protocol VariableResolver {
    /// The variable's value, or nil when it has none (and no default).
    func resolve(_ variable: PolicyVariable) -> String?
}

/// The resolver for patterns that have no variables, such as actions.
struct NoVariables: VariableResolver {
    func resolve(_ variable: PolicyVariable) -> String? { variable.fallback }
}

/// A compiled string pattern: literal text, `*` and `?` wildcards, and policy variables.
///
/// Patterns are compiled once when a policy is parsed. Matching works on the UTF-8 bytes of the
/// input and allocates nothing: `*` matches any run of characters (colons included), `?` one
/// character. A variable expands to literal text, so `${*}` in a policy matches a real asterisk.
struct PolicyPattern: Sendable {
    enum Piece: Sendable {
        case literal([UInt8])
        case anyCharacter
        case variable(PolicyVariable)
    }

    /// The runs of pieces between `*` wildcards; a single run means the pattern has no `*`.
    let runs: [[Piece]]
    /// Whether ASCII letters compare without regard to case (action names, `…IgnoreCase` operators).
    let ignoresCase: Bool
    let hasVariables: Bool

    /// Compiles `text`; `wildcards` makes `*` and `?` special, `variables` makes `${…}` special.
    init(_ text: String, wildcards: Bool, variables: Bool, ignoresCase: Bool = false) {
        var builder = Builder(ignoresCase: ignoresCase)
        let bytes = Array(text.utf8)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if variables, byte == UInt8(ascii: "$"), let (piece, end) = Self.variable(in: bytes, at: index) {
                builder.append(piece)
                index = end
                continue
            }
            if wildcards, byte == UInt8(ascii: "*") {
                builder.breakRun()
            } else if wildcards, byte == UInt8(ascii: "?") {
                builder.append(.anyCharacter)
            } else {
                builder.append(byte)
            }
            index += 1
        }
        runs = builder.finish()
        self.ignoresCase = ignoresCase
        hasVariables = builder.sawVariable
    }

    /// Whether the pattern is a lone `*`, which matches every input.
    var matchesEverything: Bool {
        runs.count == 2 && runs[0].isEmpty && runs[1].isEmpty
    }

    /// Matches the whole of `input`; nil when a variable has no value (the policy element cannot apply).
    func matches(_ input: String, resolver: some VariableResolver) -> Bool? {
        if matchesEverything { return true }
        if hasVariables, !allVariablesResolve(resolver) { return nil }
        return withUTF8(input) { matches(bytes: $0, resolver: resolver) }
    }

    /// Matches the whole of `bytes`; every variable must already be known to resolve.
    func matches(bytes: UnsafeBufferPointer<UInt8>, resolver: some VariableResolver) -> Bool {
        if matchesEverything { return true }
        let end = bytes.count
        guard var position = match(runs[0], in: bytes, at: 0, resolver: resolver) else { return false }
        if runs.count == 1 { return position == end }
        for run in runs.dropFirst().dropLast() {
            guard let next = firstMatch(of: run, in: bytes, from: position, resolver: resolver) else { return false }
            position = next
        }
        return matchesSuffix(runs[runs.count - 1], in: bytes, from: position, resolver: resolver)
    }

    func allVariablesResolve(_ resolver: some VariableResolver) -> Bool {
        for run in runs {
            for case .variable(let variable) in run where resolver.resolve(variable) == nil {
                return false
            }
        }
        return true
    }

    // MARK: Matching

    /// The leftmost placement of `run` at or after `start`, as the position just past it.
    private func firstMatch(
        of run: [Piece], in bytes: UnsafeBufferPointer<UInt8>, from start: Int, resolver: some VariableResolver
    ) -> Int? {
        var candidate = start
        while candidate <= bytes.count {
            if let end = match(run, in: bytes, at: candidate, resolver: resolver) { return end }
            candidate = nextCharacter(in: bytes, after: candidate)
        }
        return nil
    }

    /// Whether `run` can be placed at or after `start` so that it ends exactly at the end of `bytes`.
    private func matchesSuffix(
        _ run: [Piece], in bytes: UnsafeBufferPointer<UInt8>, from start: Int, resolver: some VariableResolver
    ) -> Bool {
        var candidate = start
        while candidate <= bytes.count {
            if match(run, in: bytes, at: candidate, resolver: resolver) == bytes.count { return true }
            candidate = nextCharacter(in: bytes, after: candidate)
        }
        return false
    }

    /// Matches the pieces of one run starting exactly at `start`; the position after them, or nil.
    private func match(
        _ run: [Piece], in bytes: UnsafeBufferPointer<UInt8>, at start: Int, resolver: some VariableResolver
    ) -> Int? {
        var position = start
        for piece in run {
            switch piece {
            case .literal(let literal):
                guard let end = compare(literal, to: bytes, at: position) else { return nil }
                position = end
            case .anyCharacter:
                guard position < bytes.count else { return nil }
                position = nextCharacter(in: bytes, after: position)
            case .variable(let variable):
                guard let value = resolver.resolve(variable), let end = compare(value.utf8, to: bytes, at: position)
                else {
                    return nil
                }
                position = end
            }
        }
        return position
    }

    private func compare<Literal: Sequence<UInt8>>(
        _ literal: Literal, to bytes: UnsafeBufferPointer<UInt8>, at start: Int
    ) -> Int? {
        var position = start
        for expected in literal {
            guard position < bytes.count else { return nil }
            let actual = bytes[position]
            if actual != expected, !(ignoresCase && ASCII.lower(actual) == ASCII.lower(expected)) { return nil }
            position += 1
        }
        return position
    }

    /// The start of the character after the one at `position` (UTF-8 continuation bytes are skipped).
    private func nextCharacter(in bytes: UnsafeBufferPointer<UInt8>, after position: Int) -> Int {
        var next = position + 1
        while next < bytes.count, bytes[next] & 0xC0 == 0x80 { next += 1 }
        return next
    }

    // MARK: Variables

    /// The piece for a `${…}` at `start` and the index after its `}`; nil when it is not a variable.
    private static func variable(in bytes: [UInt8], at start: Int) -> (Piece, Int)? {
        guard start + 1 < bytes.count, bytes[start + 1] == UInt8(ascii: "{"),
            let close = bytes[(start + 2)...].firstIndex(of: UInt8(ascii: "}"))
        else { return nil }
        let body = String(decoding: bytes[(start + 2)..<close], as: UTF8.self)
        switch body {
        case "*", "?", "$": return (.literal(Array(body.utf8)), close + 1)
        default: break
        }
        guard let variable = parseVariable(body) else { return nil }
        return (.variable(variable), close + 1)
    }

    /// Parses `key` or `key, 'default'` (a quote inside the default is written `''`).
    private static func parseVariable(_ body: String) -> PolicyVariable? {
        guard let comma = body.firstIndex(of: ",") else {
            let key = body.trimmingSpaces
            return key.isEmpty ? nil : PolicyVariable(key: key, fallback: nil)
        }
        let key = body[..<comma].trimmingSpaces
        let quoted = body[body.index(after: comma)...].trimmingSpaces
        guard !key.isEmpty, quoted.count >= 2, quoted.hasPrefix("'"), quoted.hasSuffix("'") else { return nil }
        let fallback = quoted.dropFirst().dropLast().replacingOccurrences(of: "''", with: "'")
        return PolicyVariable(key: key, fallback: fallback)
    }

    /// Accumulates pieces, merging adjacent literal bytes.
    private struct Builder {
        let ignoresCase: Bool
        var runs: [[Piece]] = []
        var current: [Piece] = []
        var pending: [UInt8] = []
        var sawVariable = false

        init(ignoresCase: Bool) { self.ignoresCase = ignoresCase }

        mutating func append(_ byte: UInt8) {
            pending.append(ignoresCase ? ASCII.lower(byte) : byte)
        }

        mutating func append(_ piece: Piece) {
            if case .literal(let bytes) = piece {
                for byte in bytes { append(byte) }
                return
            }
            flush()
            if case .variable = piece { sawVariable = true }
            current.append(piece)
        }

        mutating func breakRun() {
            flush()
            runs.append(current)
            current = []
        }

        mutating func finish() -> [[Piece]] {
            breakRun()
            return runs
        }

        private mutating func flush() {
            guard !pending.isEmpty else { return }
            current.append(.literal(pending))
            pending = []
        }
    }
}

/// Byte-level helpers for ASCII text, which is what IAM names, keys and ARNs are made of.
enum ASCII {
    @inline(__always)
    static func lower(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte
    }

    /// Whether `a` and `b` are equal when ASCII letters are compared without regard to case.
    static func equalIgnoringCase(_ a: String, _ b: String) -> Bool {
        guard a.utf8.count == b.utf8.count else { return false }
        return a.utf8.elementsEqual(b.utf8) { lower($0) == lower($1) }
    }

    /// Whether `text` starts with `prefix` when ASCII letters are compared without regard to case.
    static func hasPrefixIgnoringCase(_ text: String, _ prefix: String) -> Bool {
        guard text.utf8.count >= prefix.utf8.count else { return false }
        return zip(text.utf8, prefix.utf8).allSatisfy { lower($0) == lower($1) }
    }
}

/// Calls `body` with the UTF-8 bytes of `text`, copying only when the string is not stored contiguously.
func withUTF8<Result>(_ text: String, _ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
    if let result = text.utf8.withContiguousStorageIfAvailable(body) { return result }
    return Array(text.utf8).withUnsafeBufferPointer(body)
}

extension StringProtocol {
    /// The text without leading and trailing spaces.
    var trimmingSpaces: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
