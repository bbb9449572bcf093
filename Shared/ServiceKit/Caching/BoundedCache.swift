import Synchronization

/// A thread-safe cache bounded in size and in age: an entry older than `maximumAge` is not served, and when more than
/// `capacity` entries are held the older half is dropped (amortised: one sort per `capacity / 2` insertions).
public final class BoundedCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    public let capacity: Int
    public let maximumAge: Duration
    private let entries = Mutex<[Key: (value: Value, stored: ContinuousClock.Instant)]>([:])

    public init(capacity: Int, maximumAge: Duration) {
        precondition(capacity >= 2, "a cache holds at least two entries")
        self.capacity = capacity
        self.maximumAge = maximumAge
    }

    /// The value stored for `key` within `maximumAge` of `now`.
    public func value(for key: Key, now: ContinuousClock.Instant = .now) -> Value? {
        entries.withLock { entries in
            guard let entry = entries[key] else { return nil }
            guard now - entry.stored < maximumAge else {
                entries[key] = nil
                return nil
            }
            return entry.value
        }
    }

    /// Stores `value` for `key`.
    public func store(_ value: Value, for key: Key, now: ContinuousClock.Instant = .now) {
        entries.withLock { entries in
            entries[key] = (value, now)
            guard entries.count > capacity else { return }
            let newest = entries.sorted { $0.value.stored > $1.value.stored }.prefix(capacity / 2)
            entries = Dictionary(uniqueKeysWithValues: newest.map { ($0.key, $0.value) })
        }
    }

    /// Forgets `key`.
    public func remove(_ key: Key) { entries.withLock { $0[key] = nil } }

    /// How many entries are held (some may be too old to be served).
    public var count: Int { entries.withLock { $0.count } }
}
