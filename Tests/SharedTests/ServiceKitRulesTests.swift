import Foundation
import HTTPTypes
import ServiceKit
import Testing

/// Small rules of ServiceKit: bounded caches, what text may hold, service credentials.
struct ServiceKitRulesTests {
    @Test func aBoundedCacheForgetsOldEntriesAndKeepsItsSize() {
        let cache = BoundedCache<Int, String>(capacity: 4, maximumAge: .seconds(10))
        let start = ContinuousClock.now
        for key in 0..<4 { cache.store("v\(key)", for: key, now: start + .seconds(key)) }
        #expect(cache.value(for: 0, now: start + .seconds(5)) == "v0")
        // Over capacity: the newer half stays.
        cache.store("v4", for: 4, now: start + .seconds(4))
        #expect(cache.count == 2)
        #expect(cache.value(for: 4, now: start + .seconds(5)) == "v4" && cache.value(for: 3, now: start + .seconds(5)) == "v3")
        #expect(cache.value(for: 1, now: start + .seconds(5)) == nil)
        // Too old: not served.
        #expect(cache.value(for: 3, now: start + .seconds(13)) == nil)
        cache.remove(4)
        #expect(cache.value(for: 4, now: start + .seconds(5)) == nil)
    }

    @Test func trimmingRemovesTheWhiteSpaceFoundationWouldAndNothingElse() {
        let samples = [
            "  hello  ", "\t\n line \r\n", "\u{00A0}\u{2003}wide\u{3000}", "\u{2028}para\u{2029}", "\u{0085}next", "inner  space",
            "   ", "", "😀 ", " Zoë", "\u{200B}zero-width space\u{200B}", "\u{200C}joiners stay\u{200D}", "e\u{301} ",
        ]
        let everyScalar = (UInt32(0)...0xFFFF).compactMap(Unicode.Scalar.init).map { "\($0)x\($0)" }
        for sample in samples + everyScalar where TextRules.trimmed(sample) != sample.trimmingCharacters(in: .whitespacesAndNewlines) {
            Issue.record("trimmed differently: \(sample.unicodeScalars.map(\.value))")
        }
    }

    @Test func randomUUIDsAreVersion4AndDistinct() {
        let ids = (0..<1000).map { _ in UUID.random() }
        #expect(Set(ids).count == 1000)
        for id in ids {
            #expect(id.uuid.6 >> 4 == 4 && id.uuid.8 >> 6 == 0b10, "\(id)")
            #expect(UUID(uuidString: id.uuidString) == id)
        }
    }

    @Test func hiddenCharactersAreFoundAndOrdinaryTextPasses() {
        for hidden in ["a\u{202E}b", "a\u{200B}b", "a\u{0}b", "a\u{7}b", "\u{2066}x", "a\u{FEFF}", "a\u{200D}b", "tab\there"] {
            #expect(TextRules.hasHiddenCharacters(hidden), "\(hidden.unicodeScalars.map { $0.value })")
        }
        for plain in ["Zoë Ñandú", "日本語", "emoji 😀", "Ahmad أحمد"] { #expect(!TextRules.hasHiddenCharacters(plain)) }
        #expect(TextRules.hasControlCharacters("id\u{0}"))
        #expect(!TextRules.hasControlCharacters("line\nbreak", allowingLineBreaks: true))
    }

    @Test func aReactionIsExactlyOneEmoji() {
        for emoji in ["👍", "❤️", "👍🏽", "👨‍👩‍👧", "🇫🇷", "1️⃣", "🏳️‍🌈"] { #expect(TextRules.isSingleEmoji(emoji), "\(emoji)") }
        for other in ["", "a", "1", "👍👍", "ok", "❤", "#", "👍 ", "\u{200D}"] { #expect(!TextRules.isSingleEmoji(other), "\(other)") }
    }

    @Test func aServiceCredentialOpensOnlyTheRequestItWasMadeFor() throws {
        let signer = try IdentitySigner(secret: String(repeating: "s", count: 32))
        let credential = ServiceCredential(signer: signer)
        let now = Date()
        let value = credential.sign(.chat, method: .post, path: "/internal/v1/relations", now: now)
        #expect(credential.verify(value, method: .post, path: "/internal/v1/relations", now: now) == .chat)
        #expect(credential.verify(value, method: .get, path: "/internal/v1/relations", now: now) == nil)
        #expect(credential.verify(value, method: .post, path: "/internal/v1/usernames", now: now) == nil)
        #expect(credential.verify(value, method: .post, path: "/internal/v1/relations", now: now + 120) == nil)
        let other = ServiceCredential(signer: try IdentitySigner(secret: String(repeating: "t", count: 32)))
        #expect(other.verify(value, method: .post, path: "/internal/v1/relations", now: now) == nil)
        #expect(
            credential.verify(value.replacingOccurrences(of: ".chat.", with: ".auth."), method: .post, path: "/internal/v1/relations", now: now)
                == nil)
    }
}
