import Testing

@testable import NotificationService

/// Which push target URLs and addresses are acceptable.
struct PushTargetRulesTests {
    @Test(arguments: [
        "127.0.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
        "224.0.0.1", "255.255.255.255", "192.0.2.1", "198.51.100.1", "203.0.113.1", "198.18.0.1",
        "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1", "2001:db8::1", "fec0::1",
        "::ffff:127.0.0.1", "::ffff:10.0.0.1", "64:ff9b::a9fe:a9fe", "::127.0.0.1", "::10.0.0.1", "2002:7f00:1::1",
        "2002:c0a8:101::1",
    ])
    func privateLoopbackLinkLocalAndReservedAddressesAreNotPublic(_ text: String) throws {
        #expect(try #require(IPAddress(text)).isPublic == false, "\(text)")
    }

    @Test(arguments: ["8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "2606:4700::1111", "::ffff:8.8.8.8", "2002:808:808::1"])
    func publicAddressesArePublic(_ text: String) throws {
        #expect(try #require(IPAddress(text)).isPublic, "\(text)")
    }

    @Test func urlsMustBeHTTPWithAHostAndNoUserInfo() async throws {
        for bad in [
            "ftp://example.com/x", "https://user:pw@example.com/x", "not a url", "https:///x", "http://localhost/x",
            "http://10.0.0.1/x", "http://[::1]/x", String(repeating: "a", count: 3000),
        ] {
            await #expect(throws: (any Error).self, "\(bad)") { try await PushTargetURL.validated(bad, allowPrivate: false) }
        }
        #expect(try await PushTargetURL.validated("HTTPS://Example.COM/Hook?x=1", allowPrivate: true) == "https://example.com/Hook?x=1")
        #expect(try await PushTargetURL.validated("http://127.0.0.1:9/hook", allowPrivate: true) == "http://127.0.0.1:9/hook")
        #expect(try await PushTargetURL.validated("https://8.8.8.8/hook", allowPrivate: false) == "https://8.8.8.8/hook")
    }
}
