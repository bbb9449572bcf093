import NIOCore
import NIOPosix

/// Runs the jobs of the tasks that prefer it on NIO's event loops instead of Swift's global pool: on the loop of the
/// thread that enqueues a job when that thread is one of the group's (a task resumed by a channel handler goes on
/// where the handler ran, without a thread switch), otherwise on the group's next loop.
///
/// Only for tasks that never block: the product's blocking calls (libpq, libmongoc, librdkafka's control calls,
/// password hashing) run on thread pools of their own.
public final class EventLoopTaskExecutor: TaskExecutor {
    private let group: MultiThreadedEventLoopGroup

    /// An executor for the loops of `group`.
    public init(_ group: MultiThreadedEventLoopGroup) { self.group = group }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        group.any().execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
