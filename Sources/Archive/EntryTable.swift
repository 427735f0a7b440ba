/// The kind of an archive entry, as far as extraction cares.
enum EntryKind: Equatable {
    case file
    case directory
    /// A symbolic link and its raw target.
    case symlink(target: String)
    /// A hard link to another entry's normalised path.
    case hardlink(target: String)
}

/// Every entry of one archive, checked as a whole once all are known, because a
/// link may point at, or sit above, an entry that comes later in the archive.
struct EntryTable {
    private var kinds: [String: EntryKind] = [:]
    private var links: [String: String] = [:]
    private(set) var entryCount = 0

    /// Regular files' normalised paths, hard links included.
    var filePaths: Set<String> {
        Set(
            kinds.compactMap { path, kind in
                switch kind {
                case .file, .hardlink: path
                case .directory, .symlink: nil
                }
            })
    }

    /// Records one entry; refuses a path seen before as a different kind of entry.
    mutating func add(_ path: String, _ kind: EntryKind) throws(ArchiveError) {
        entryCount += 1
        guard !path.isEmpty else { return }
        // Repeated entries are tolerated (the last one wins) only when nothing changes
        // kind, so a later duplicate can never turn a checked directory into a link.
        if let previous = kinds[path], previous != kind {
            throw .unsafe(path, "appears twice as different kinds of entry")
        }
        kinds[path] = kind
        if case .symlink(let target) = kind {
            links[path] = target
        }
    }

    /// Checks the rules that need the whole archive: no entry beneath a link or a
    /// file, every link resolving inside the root, every hard link to a file.
    func validate() throws(ArchiveError) {
        for (path, kind) in kinds {
            try checkAncestors(of: path)
            switch kind {
            case .symlink:
                _ = try EntryPath.resolveLink(at: path, links: links)
            case .hardlink(let target):
                guard kinds[target] == .file else {
                    throw .unsafe(path, "is a hard link to '\(target)', which is not a file in the archive")
                }
            case .file, .directory:
                break
            }
        }
    }

    private func checkAncestors(of path: String) throws(ArchiveError) {
        for ancestor in EntryPath.ancestors(of: path) {
            switch kinds[ancestor] {
            case nil, .directory:
                continue
            case .symlink:
                throw .unsafe(path, "lies beneath the link '\(ancestor)'")
            case .file, .hardlink:
                throw .unsafe(path, "lies beneath the file '\(ancestor)'")
            }
        }
    }
}
