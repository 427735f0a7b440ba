import HTTP

/// Calls back when a descriptor registered on the event loop becomes ready.
final class DescriptorWatcher: EventLoopHandler {
    let descriptor: Int32
    private let onReady: (UInt32) -> Void

    init(descriptor: Int32, onReady: @escaping (UInt32) -> Void) {
        self.descriptor = descriptor
        self.onReady = onReady
    }

    func handleEvents(_ events: UInt32) {
        onReady(events)
    }
}
