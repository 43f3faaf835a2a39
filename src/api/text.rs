//! Text from outside on its way to a terminal: one home for making it harmless.
//!
//! A server (or a proxy, or an attacker in between) controls `reason`, `exception_details`,
//! error bodies and every field of a customization. Printed raw, an `ESC ]0;…BEL` retitles
//! the terminal, `ESC [2J` clears it and OSC 52 writes the clipboard. Everything such a
//! string reaches a terminal through passes one of these two functions first. JSON written
//! to a pipe or a file does not: it stays exact.

use std::borrow::Cow;

/// Whether `c` may reach a terminal: every control character (C0, DEL, C1) but newline
/// and tab is dropped. Both are harmless to a terminal and keep multi-line text readable.
fn keep(c: char) -> bool {
    !c.is_control() || c == '\n' || c == '\t'
}

/// `s` without control characters (newline and tab stay). Borrows when nothing is dropped.
pub fn strip_controls(s: &str) -> Cow<'_, str> {
    if s.chars().all(keep) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.chars().filter(|c| keep(*c)).collect())
    }
}

/// Serialized JSON made safe for a terminal while staying the same JSON value: serde_json
/// already escapes C0 controls inside strings; this also escapes DEL and the C1 range
/// (U+0080..=U+009F, where U+009B is a one-character CSI for some terminals). Outside
/// strings JSON holds no such characters, so only string contents change, and only in
/// their escaping.
pub fn json_for_terminal(json: &str) -> Cow<'_, str> {
    let risky = |c: char| c.is_control() && !matches!(c, '\n' | '\t' | '\r' | ' ');
    if !json.chars().any(risky) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if risky(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &str =
        "Customization not found\u{1b}]0;pwned\u{7}\u{1b}[2J\u{1b}]52;c;aGk=\u{7}\u{9b}31m!\u{7f}";

    #[test]
    fn escape_sequences_lose_their_controls() {
        let s = strip_controls(HOSTILE);
        assert_eq!(s, "Customization not found]0;pwned[2J]52;c;aGk=31m!");
        assert!(!s.chars().any(char::is_control));
        assert_eq!(strip_controls("a\n\tb"), "a\n\tb");
        assert!(matches!(strip_controls("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn terminal_json_stays_the_same_value() {
        let v = serde_json::json!({"reason": HOSTILE, "n": [1, "x\u{85}y"]});
        let text = serde_json::to_string_pretty(&v).expect("json");
        let safe = json_for_terminal(&text);
        assert!(!safe.chars().any(|c| c.is_control() && c != '\n'), "{safe}");
        let back: serde_json::Value = serde_json::from_str(&safe).expect("still JSON");
        assert_eq!(back, v);
    }
}
