import ServiceKit
import Testing

@Suite struct TraceParentTests {
    @Test func readsAW3CTraceparent() throws {
        let parsed = try #require(TraceParent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"))
        #expect(parsed.traceId == "0af7651916cd43dd8448eb211c80319c")
        #expect(parsed.parentId == "b7ad6b7169203331")
        #expect(parsed.isSampled)
        let unsampled = try #require(TraceParent(bytes: Array("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00".utf8)))
        #expect(!unsampled.isSampled)
        #expect(unsampled.sampled.description == "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
    }

    @Test func refusesWhatIsNotOne() {
        for value in [
            "", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331", "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            "00-00000000000000000000000000000000-b7ad6b7169203331-01", "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
            "00-0af7651916cd43dd8448eb211c80319z-b7ad6b7169203331-01", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-1",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01, 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203332-01",
        ] {
            #expect(TraceParent(value) == nil, "\(value)")
        }
    }
}
