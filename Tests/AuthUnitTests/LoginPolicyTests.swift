import Testing

@testable import AuthService

/// The login throttle's decisions, from the failure counts an attempt's reservation produced.
struct LoginPolicyTests {
    let policy = LoginPolicy(pairLimit: 10)

    @Test func aPairIsRefusedPastItsLimitAndAnAddressPastFiveTimesIt() {
        #expect(policy.decide(address: 1, pair: 10, username: 1) == .proceed(delay: .zero))
        #expect(policy.decide(address: 11, pair: 11, username: 11) == .refuse(.pair))
        #expect(policy.decide(address: 50, pair: 1, username: 1) == .proceed(delay: .zero))
        #expect(policy.decide(address: 51, pair: 1, username: 1) == .refuse(.address))
    }

    @Test func aUsernameIsSlowedPastTwiceTheLimitButNeverRefused() {
        #expect(policy.decide(address: 1, pair: 1, username: 20) == .proceed(delay: .zero))
        #expect(policy.decide(address: 1, pair: 1, username: 21) == .proceed(delay: .milliseconds(250)))
        #expect(policy.decide(address: 1, pair: 1, username: 31) == .proceed(delay: .milliseconds(500)))
        #expect(policy.decide(address: 1, pair: 1, username: 51) == .proceed(delay: .seconds(2)))
        #expect(policy.decide(address: 1, pair: 1, username: 100_000) == .proceed(delay: LoginPolicy.maximumDelay))
    }
}

/// The network a sign-up counts against.
struct ClientNetworkTests {
    @Test func ipv4StaysAndIPv6IsReducedToItsSlash64() {
        #expect(ClientNetwork.of("203.0.113.7") == "203.0.113.7")
        #expect(ClientNetwork.of("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64")
        #expect(ClientNetwork.of("2001:db8:1:2::ffff") == ClientNetwork.of("2001:0db8:0001:0002:aaaa::1"))
        #expect(ClientNetwork.of("::ffff:198.51.100.9") == "198.51.100.9")
        #expect(ClientNetwork.of("not an address") == "not an address")
    }
}
