/// One page of a list operation and the marker that fetches the next.
struct Page<Item> {
    var items: [Item]
    var nextMarker: String?
}

/// Marker/MaxItems pagination as Lambda's list operations do it, over an ordered list.
///
/// A marker is the key of the last item of the previous page, so pages stay correct
/// when items before the marker are deleted between calls.
enum Pagination {
    /// Lambda hands out at most this many items per page, whatever MaxItems asks for.
    static let largestPage = 50

    /// Reads and checks the MaxItems query member (1...10000).
    static func maxItems(_ query: [String: String]) throws(AWSError) -> Int? {
        var validator = Validator()
        let maxItems = query["MaxItems"].map { Int($0) ?? 0 }
        validator.range(maxItems, at: "maxItems", min: 1, max: 10000)
        try validator.check()
        return maxItems
    }

    /// The page of `items` after `marker`.
    ///
    /// - Parameters:
    ///   - key: The marker an item is known by.
    ///   - isAfter: Whether an item comes after a marker, for markers whose item is gone.
    static func page<Item>(
        _ items: [Item], marker: String?, maxItems: Int?, key: (Item) -> String,
        isAfter: (Item, String) -> Bool
    ) -> Page<Item> {
        let limit = min(maxItems ?? largestPage, largestPage)
        let rest = marker.map { marker in items.filter { isAfter($0, marker) } } ?? items
        let items = Array(rest.prefix(limit))
        let nextMarker = rest.count > limit ? items.last.map(key) : nil
        return Page(items: items, nextMarker: nextMarker)
    }

    /// Orders versions as Lambda lists them: `$LATEST`, then by number.
    static func versionRank(_ version: String) -> Int {
        version == "$LATEST" ? -1 : Int(version) ?? Int.max
    }
}
