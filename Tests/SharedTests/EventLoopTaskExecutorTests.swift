import Foundation
import NIOCore
import NIOPosix
import ServiceKit
import Testing

/// A task that prefers ``EventLoopTaskExecutor`` runs on the group's event loops: at its start, after a suspension
/// resumed from another thread, in its child tasks, and on the loop that resumed it.
struct EventLoopTaskExecutorTests {
    @Test func aTaskThatPrefersItRunsOnTheGroupsEventLoops() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let loops = Array(group.makeIterator())
        let onALoop = { @Sendable in loops.contains { $0.inEventLoop } }
        let seen = await withTaskExecutorPreference(EventLoopTaskExecutor(group)) {
            var seen = ["start": onALoop()]
            await withCheckedContinuation { continuation in Thread { continuation.resume() }.start() }
            seen["resumed by a thread of no loop"] = onALoop()
            await withCheckedContinuation { continuation in loops[1].execute { continuation.resume() } }
            seen["resumed by the second loop, on it"] = loops[1].inEventLoop
            seen["child tasks"] = await withTaskGroup(of: Bool.self) { children in
                for _ in 0..<4 { children.addTask { onALoop() } }
                return await children.allSatisfy { $0 }
            }
            return seen
        }
        #expect(!onALoop())
        #expect(seen.filter { !$0.value }.isEmpty, "not on a loop: \(seen.filter { !$0.value }.keys.sorted())")
        try await group.shutdownGracefully()
    }
}
