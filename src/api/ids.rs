//! The forms of the ids that go into a request's path, checked before anything is sent, so
//! that a stray `..` or `/` can never turn a request into one for another path.
//!
//! - A customization id is a UUID (API.md: "`id` is a UUID"); it is sent in its lowercase
//!   hyphenated form.
//! - A tracker id has the service's form: two groups of ASCII digits joined by one hyphen, as
//!   in the vendor's examples (`1234-5678`). [`tracker_id`] checks ids that a person typed or
//!   configured; the client itself only refuses what could leave the tracker's path
//!   ([`path_safe_tracker`]), so the emulator's own named trackers (`demo`) keep working.

/// The canonical form of a customization id, or why it is not one.
pub fn customization_id(text: &str) -> Result<String, String> {
    let t = text.trim();
    match uuid::Uuid::try_parse(t) {
        Ok(u) if t.len() == 36 => Ok(u.hyphenated().to_string()),
        _ => Err(format!(
            "not a customization id: {:?} (expected a UUID such as \
             199620b4-df1a-46e8-ab59-9e9ed9af7106)",
            shorten(t)
        )),
    }
}

/// Checks a tracker id a person gave: digits, a hyphen, digits (`1234-5678`).
pub fn tracker_id(text: &str) -> Result<(), String> {
    let ok = text.split_once('-').is_some_and(|(a, b)| {
        !a.is_empty()
            && !b.is_empty()
            && a.bytes().all(|c| c.is_ascii_digit())
            && b.bytes().all(|c| c.is_ascii_digit())
    });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "not a tracker id: {:?} (expected digits-digits, such as 1234-5678)",
            shorten(text)
        ))
    }
}

/// Whether a tracker id stays one path segment: non-empty, no `/`, `?`, `#`, `%`, `\`,
/// whitespace or control characters, and not `.` or `..`.
pub fn path_safe_tracker(text: &str) -> bool {
    !text.is_empty()
        && text != "."
        && text != ".."
        && !text.chars().any(|c| {
            matches!(c, '/' | '?' | '#' | '%' | '\\') || c.is_whitespace() || c.is_control()
        })
}

/// At most 60 characters of what was given, for a message.
fn shorten(t: &str) -> String {
    let mut s: String = t.chars().take(60).collect();
    if t.chars().count() > 60 {
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn customization_ids_are_uuids() {
        assert_eq!(
            customization_id(" 199620B4-DF1A-46E8-AB59-9E9ED9AF7106 ").as_deref(),
            Ok("199620b4-df1a-46e8-ab59-9e9ed9af7106")
        );
        for bad in [
            "",
            "..",
            "../summary",
            "1234-5678",
            "199620b4",
            "199620b4df1a46e8ab599e9ed9af7106",
            "{199620b4-df1a-46e8-ab59-9e9ed9af7106}",
            "199620b4-df1a-46e8-ab59-9e9ed9af7106/../x",
        ] {
            assert!(customization_id(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn tracker_ids_have_the_service_form() {
        assert!(tracker_id("1234-5678").is_ok());
        assert!(tracker_id("179075-204259").is_ok());
        for bad in [
            "",
            "..",
            "-",
            "1234-",
            "-5678",
            "12a4-5678",
            "1234-5678-9",
            "1234/5678",
        ] {
            assert!(tracker_id(bad).is_err(), "{bad:?}");
        }
        assert!(path_safe_tracker("demo"));
        for bad in ["", ".", "..", "a/b", "a b", "a%2e", "a\u{1b}"] {
            assert!(!path_safe_tracker(bad), "{bad:?}");
        }
    }
}
