import Dispatch
import Store
import Synchronization

/// Writes environment log lines to the store in batches, off the invoke path.
///
/// Lines reach the store within about 20 ms; `flush()` waits for everything
/// accepted so far (used at shutdown and by tests through the Logs API).
public final class StoreLogSink: LogSink {
    private struct Batch {
        var group: String
        var stream: String
        var events: [LogEvent]
    }

    private let store: any Store
    private let queue = DispatchQueue(label: "swiftlet.logs")
    private let pending = Mutex<[Batch]>([])

    public init(store: any Store) {
        self.store = store
    }

    public func append(group: String, stream: String, events: [(timestampMilliseconds: Int64, message: String)]) {
        let batch = Batch(
            group: group, stream: stream,
            events: events.map { LogEvent(timestampMilliseconds: $0.timestampMilliseconds, message: $0.message) })
        let first = pending.withLock { queue in
            queue.append(batch)
            return queue.count == 1
        }
        if first {
            queue.asyncAfter(deadline: .now() + .milliseconds(20)) { [self] in write() }
        }
    }

    /// Blocks until every batch accepted so far is in the store.
    public func flush() {
        queue.sync { write() }
    }

    private func write() {
        let batches = pending.withLock { queue -> [Batch] in
            defer { queue.removeAll() }
            return queue
        }
        var merged: [String: Batch] = [:]
        var order: [String] = []
        for batch in batches {
            let key = batch.group + "\n" + batch.stream
            if merged[key] == nil {
                order.append(key)
                merged[key] = batch
            } else {
                merged[key]?.events.append(contentsOf: batch.events)
            }
        }
        for key in order {
            guard let batch = merged[key] else { continue }
            // A failed write loses only log lines, never an acknowledged invocation.
            try? store.appendLogEvents(group: batch.group, stream: batch.stream, events: batch.events)
        }
    }
}
