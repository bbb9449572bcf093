import Synchronization

/// A boolean shared between a polling thread and the task that controls it.
final class AtomicFlag: Sendable {
    private let value: Atomic<Bool>

    init(_ initial: Bool) { self.value = Atomic(initial) }

    var isSet: Bool { value.load(ordering: .acquiring) }

    func set(_ newValue: Bool) { value.store(newValue, ordering: .releasing) }
}
