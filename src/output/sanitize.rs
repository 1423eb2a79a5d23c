//! Escaping of untrusted text: anything that came from a process (its name,
//! command line, paths, environment) or from the system's user database.
//!
//! A process can call itself `\x1b]0;pwned\x07` and rewrite the title of the
//! terminal that lists it, or hide behind right-to-left overrides. Before
//! such text reaches a terminal or a pipe, control characters become `\n`,
//! `\t`, `\e` or `\xNN`, invalid UTF-8 bytes become `\xNN`, and bidirectional
//! formatting characters become `\u{202e}`. Everything else is kept.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Escape bytes that may not be UTF-8.
pub fn escape(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => escape_str(text),
        Err(_) => {
            let mut out = String::with_capacity(bytes.len() + 8);
            for chunk in bytes.utf8_chunks() {
                push_escaped(&mut out, chunk.valid());
                for byte in chunk.invalid() {
                    let _ = write!(out, "\\x{byte:02x}");
                }
            }
            Cow::Owned(out)
        }
    }
}

/// Escape a string; borrows when nothing needs escaping (the common case).
pub fn escape_str(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    push_escaped(&mut out, text);
    Cow::Owned(out)
}

/// For JSON: keep control characters (the JSON encoder escapes them as
/// `\u001b`, so they never reach a terminal raw) but make the text valid
/// UTF-8 by writing invalid bytes as `\xNN`.
pub fn to_json_string(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(_) => {
            let mut out = String::with_capacity(bytes.len() + 8);
            for chunk in bytes.utf8_chunks() {
                out.push_str(chunk.valid());
                for byte in chunk.invalid() {
                    let _ = write!(out, "\\x{byte:02x}");
                }
            }
            out
        }
    }
}

fn needs_escape(c: char) -> bool {
    c.is_control() || is_bidi_control(c)
}

/// Unicode bidirectional formatting characters (the "Trojan Source" set).
/// What JSON output writes as a `\u` escape although JSON allows it raw:
/// DEL, the C1 controls (U+0080 to U+009F, which some terminals obey as
/// ESC sequences) and bidirectional formatting characters. The string
/// decodes the same; `cat` of the output injects nothing.
pub fn json_escapes(c: char) -> bool {
    matches!(c, '\u{7f}'..='\u{9f}') || is_bidi_control(c)
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn push_escaped(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\x1b' => out.push_str("\\e"),
            c if (c as u32) < 0x80 && c.is_control() => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if needs_escape(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed() {
        assert!(matches!(escape(b"bash"), Cow::Borrowed("bash")));
        assert_eq!(escape("naïve ünïcode ✓".as_bytes()), "naïve ünïcode ✓");
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(escape(b"\x1b]0;pwned\x07"), "\\e]0;pwned\\x07");
        assert_eq!(escape(b"a\nb\tc\rd\x7f"), "a\\nb\\tc\\rd\\x7f");
        assert_eq!(escape_str("x\u{85}y"), "x\\u{85}y");
    }

    #[test]
    fn invalid_utf8_is_escaped() {
        assert_eq!(escape(b"ok\xff\xfe!"), "ok\\xff\\xfe!");
        assert_eq!(escape(b"\xe2\x82"), "\\xe2\\x82");
    }

    #[test]
    fn bidi_overrides_are_escaped() {
        assert_eq!(escape_str("evil\u{202e}txt"), "evil\\u{202e}txt");
    }

    #[test]
    fn json_strings_keep_controls_for_the_encoder() {
        let s = to_json_string(b"a\x1bb\xff");
        assert_eq!(s, "a\x1bb\\xff");
        let encoded = serde_json::to_string(&s).unwrap_or_default();
        assert!(!encoded.contains('\x1b'));
    }

    #[test]
    fn nothing_escaped_contains_a_control_byte() {
        let all: Vec<u8> = (0u8..=255).collect();
        let out = escape(&all);
        assert!(!out.chars().any(|c| c.is_control()), "{out}");
    }
}
