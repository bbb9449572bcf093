/// What user-supplied text may contain, as contract v1.1 limits it.
public enum TextRules {
    /// Whether `text` holds a character that hides or reorders what a reader sees: a control character (C0, DEL, C1),
    /// a bidirectional embedding, override or isolate, or a zero-width character. Refused in display names, titles
    /// and file names, where one could pose as another name.
    public static func hasHiddenCharacters(_ text: String) -> Bool {
        text.unicodeScalars.contains { scalar in
            switch scalar.value {
            case 0x00...0x1F, 0x7F...0x9F: true  // control characters
            case 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F, 0x061C: true  // bidi embeddings, overrides, isolates, marks
            case 0x200B...0x200D, 0x2060, 0xFEFF: true  // zero-width space, non-joiner, joiner, word joiner, BOM
            default: false
            }
        }
    }

    /// Whether `text` holds a control character other than line breaks and tabs (identifiers, message bodies hold NUL
    /// never: a database would cut the text there or refuse it).
    public static func hasControlCharacters(_ text: String, allowingLineBreaks: Bool = false) -> Bool {
        text.unicodeScalars.contains { scalar in
            if allowingLineBreaks, scalar == "\n" || scalar == "\r" || scalar == "\t" { return false }
            return scalar.properties.generalCategory == .control
        }
    }

    /// `text` without leading and trailing white space: Unicode's White_Space (spaces of every width, tabs, line and
    /// paragraph breaks) and the zero-width space, the set of Foundation's `.whitespacesAndNewlines`, without its
    /// string bridging, which showed in the profile of the send path.
    public static func trimmed(_ text: String) -> String {
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !isTrimmed($0) }) else { return "" }
        let last = scalars.lastIndex { !isTrimmed($0) } ?? first
        if first == scalars.startIndex && last == scalars.index(before: scalars.endIndex) { return text }
        return String(scalars[first...last])
    }

    private static func isTrimmed(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isWhitespace || scalar.value == 0x200B
    }

    /// Whether `text` is exactly one emoji: one grapheme cluster drawn as an emoji (an emoji-presentation character,
    /// one with the emoji variation selector, a keycap, a flag, or a sequence of those joined and modified).
    public static func isSingleEmoji(_ text: String) -> Bool {
        guard text.count == 1, let first = text.unicodeScalars.first else { return false }
        let scalars = Array(text.unicodeScalars)
        let allowed = scalars.allSatisfy { scalar in
            scalar.properties.isEmoji || scalar.properties.isEmojiModifier || scalar.value == 0x200D  // joiner
                || scalar.value == 0xFE0F || scalar.value == 0x20E3 || (0xE0020...0xE007F).contains(scalar.value)  // selector, keycap, tags
        }
        guard allowed else { return false }
        let drawnAsEmoji =
            first.properties.isEmojiPresentation || scalars.contains { $0.value == 0xFE0F }
            || scalars.contains { $0.value == 0x20E3 } || (scalars.count == 2 && scalars.allSatisfy { (0x1F1E6...0x1F1FF).contains($0.value) })
        return drawnAsEmoji
    }
}
