/// Pure path rules for archive entries: what a safe entry name is, and where a
/// symbolic link inside the archive points. No I/O, so every rule is testable alone.
enum EntryPath {
    /// Returns `raw` as a normalised relative path ("" for the root itself).
    ///
    /// Empty and "." components are dropped; absolute paths and ".." components are refused.
    static func normalise(_ raw: String) throws(ArchiveError) -> String {
        if raw.hasPrefix("/") {
            throw .unsafe(raw, "has an absolute path")
        }
        let components = try components(of: raw, entry: raw)
        return components.joined(separator: "/")
    }

    /// The non-empty, non-"." components of `path`, refusing "..".
    private static func components(of path: String, entry: String) throws(ArchiveError) -> [Substring] {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).filter { $0 != "." }
        if parts.contains("..") {
            throw .unsafe(entry, "has a '..' path component")
        }
        return parts
    }

    /// The proper ancestors of a normalised path, nearest to the root first: "a/b/c" gives "a", "a/b".
    static func ancestors(of path: String) -> [String] {
        var result: [String] = []
        var prefix = ""
        for component in path.split(separator: "/").dropLast() {
            prefix = prefix.isEmpty ? String(component) : prefix + "/" + component
            result.append(prefix)
        }
        return result
    }

    /// The most symbolic links followed while resolving one target, as Linux allows (MAXSYMLINKS).
    static let maximumLinkHops = 40

    /// Resolves the target of the link at `linkPath` against the archive's own links
    /// and refuses it when it would leave the root.
    ///
    /// - Parameters:
    ///   - linkPath: The link's normalised path.
    ///   - links: Every link in the archive, normalised path to raw target.
    /// - Returns: The normalised path the link points at, which need not exist.
    static func resolveLink(at linkPath: String, links: [String: String]) throws(ArchiveError) -> String {
        var hops = 0
        let resolved = try resolve(linkPath, from: [], links: links, hops: &hops, entry: linkPath)
        return resolved.joined(separator: "/")
    }

    /// Walks `path` component by component from `base`, replacing each archive link met on
    /// the way by its target, the way the kernel would once the tree is on disk.
    private static func resolve(
        _ path: String, from base: [String], links: [String: String], hops: inout Int, entry: String
    ) throws(ArchiveError) -> [String] {
        var resolved = base
        for component in path.split(separator: "/", omittingEmptySubsequences: true) {
            if component == "." { continue }
            if component == ".." {
                guard !resolved.isEmpty else {
                    throw .unsafe(entry, "is a link that points outside the archive")
                }
                resolved.removeLast()
                continue
            }
            resolved.append(String(component))
            guard let target = links[resolved.joined(separator: "/")] else { continue }
            resolved.removeLast()
            resolved = try follow(target, from: resolved, links: links, hops: &hops, entry: entry)
        }
        return resolved
    }

    /// Follows one link's `target`, found in directory `directory`.
    private static func follow(
        _ target: String, from directory: [String], links: [String: String], hops: inout Int, entry: String
    ) throws(ArchiveError) -> [String] {
        hops += 1
        guard hops <= maximumLinkHops else {
            throw .unsafe(entry, "is a link in a chain of more than \(maximumLinkHops) links")
        }
        guard !target.isEmpty else { throw .unsafe(entry, "is a link with an empty target") }
        guard !target.hasPrefix("/") else { throw .unsafe(entry, "is a link to an absolute path") }
        return try resolve(target, from: directory, links: links, hops: &hops, entry: entry)
    }
}
