/// A command line split into positional words and `--name value` options.
struct Arguments {
    private(set) var positional: [String] = []
    private var options: [String: String] = [:]
    private var flags: Set<String> = []

    /// Parses `words`; `flagNames` take no value.
    init(_ words: some Sequence<String>, flagNames: Set<String> = []) throws(UsageError) {
        var iterator = words.makeIterator()
        while let word = iterator.next() {
            guard word.hasPrefix("--") else {
                positional.append(word)
                continue
            }
            var name = String(word.dropFirst(2))
            if let equals = name.firstIndex(of: "=") {
                options[String(name[..<equals])] = String(name[name.index(after: equals)...])
                continue
            }
            if flagNames.contains(name) {
                flags.insert(name)
                continue
            }
            guard let value = iterator.next() else {
                throw UsageError("option --\(name) needs a value")
            }
            name = name.lowercased()
            options[name] = value
        }
    }

    func option(_ name: String) -> String? { options[name] }

    func flag(_ name: String) -> Bool { flags.contains(name) }

    func required(_ name: String) throws(UsageError) -> String {
        guard let value = options[name] else { throw UsageError("missing --\(name)") }
        return value
    }

    func integer(_ name: String) throws(UsageError) -> Int? {
        guard let text = options[name] else { return nil }
        guard let value = Int(text) else { throw UsageError("--\(name) takes a whole number, not '\(text)'") }
        return value
    }
}

/// A command line the user got wrong.
struct UsageError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
