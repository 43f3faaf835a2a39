//! The service's host: one set of rules for the config, `--host` and the client.
//!
//! A host is `https://NAME[:PORT]` (plain `http` only to this machine, or when allowed):
//! - no user name or password: the request is signed, credentials in a URL would be sent as
//!   a second `Authorization` and echoed in messages; they are refused, and never shown;
//! - not empty: an empty `--host` is an error, never the default host;
//! - no path, query or fragment: the API's paths start at the host's root (a path prefix
//!   would be dropped, or would change the signed path), so `https://h/prefix` is refused.

use url::Url;

use super::client::is_loopback_host;

/// What to show of a host in a message: the text with any `user:password@` taken out.
pub fn redacted(text: &str) -> String {
    let (scheme, rest) = match text.find("://") {
        Some(i) => (&text[..i + 3], &text[i + 3..]),
        None => ("", text),
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    match authority.rfind('@') {
        Some(at) => format!("{scheme}***@{}{tail}", &authority[at + 1..]),
        None => text.to_string(),
    }
}

/// Parses and checks a host (see the module's rules); the message never holds a password.
pub fn parse(text: &str, allow_insecure_http: bool) -> Result<Url, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("must not be empty (leave it out for the default host)".into());
    }
    let url = Url::parse(t.trim_end_matches('/'))
        .map_err(|e| format!("not a URL: {:?} ({e})", redacted(t)))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!(
            "must not hold a user name or password ({}): requests are signed with the \
             profile's key",
            redacted(t)
        ));
    }
    match url.scheme() {
        "https" => {}
        "http" if allow_insecure_http || is_loopback_host(&url) => {}
        "http" => {
            return Err(format!(
                "plain http to {} would send the data unencrypted; use https, or set \
                 allow_insecure_http = true",
                url.host_str().unwrap_or("?")
            ));
        }
        other => return Err(format!("unsupported scheme {other:?}; use https")),
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("no host name in {:?}", redacted(t)));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("must not have a query or fragment".into());
    }
    if url.path() != "/" && !url.path().is_empty() {
        return Err(format!(
            "must not have a path ({}): the service's paths start at the host, e.g. \
             https://live.luigisbox.com",
            url.path()
        ));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_is_refused_and_never_shown() {
        for bad in [
            "https://user:s3cret@live.luigisbox.com",
            "https://user@live.luigisbox.com",
            "http://u:s3cret@127.0.0.1:7700/",
            "https://:s3cret@live.luigisbox.com",
        ] {
            let e = parse(bad, false).expect_err(bad);
            assert!(e.contains("user name or password"), "{e}");
            assert!(!e.contains("s3cret") && !e.contains("user:"), "{e}");
        }
        assert_eq!(
            redacted("https://u:p@h.example:8/x"),
            "https://***@h.example:8/x"
        );
        assert_eq!(redacted("https://h.example"), "https://h.example");
    }

    #[test]
    fn empty_and_paths_are_refused() {
        assert!(parse("", false).is_err());
        assert!(parse("  ", false).is_err());
        let e = parse("http://127.0.0.1:7700/prefix", false).expect_err("path");
        assert!(e.contains("/prefix"), "{e}");
        assert!(parse("https://h.example/?a=1", false).is_err());
        assert!(parse("https://live.luigisbox.com/", false).is_ok());
        assert!(parse("http://127.0.0.1:7700", false).is_ok());
        assert!(parse("http://example.com", false).is_err());
        assert!(parse("http://example.com", true).is_ok());
    }
}
