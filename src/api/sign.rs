//! Request signing: pure functions, the clock passed in.
//!
//! `SIGNATURE = base64(HMAC-SHA256(key, METHOD \n CONTENT_TYPE \n DATE \n PATH))`, where
//! `PATH` never includes the query string.

use std::fmt;
use std::time::SystemTime;

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The content type of every JSON endpoint, GET and DELETE included.
pub const JSON_CONTENT_TYPE: &str = "application/json; charset=utf-8";
/// The content type of bulk create.
pub const NDJSON_CONTENT_TYPE: &str = "application/x-ndjson";

/// A private key. It prints as `***` in every format, so it cannot leak through a log line,
/// an error or a panic message by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(key: impl Into<String>) -> Self {
        Secret(key.into())
    }

    /// The key itself, for the HMAC and nothing else.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// The string that is signed. It holds no secret and may be shown to explain a 401.
pub fn string_to_sign(method: &str, content_type: &str, date: &str, path: &str) -> String {
    let path = path.split('?').next().unwrap_or(path);
    format!("{method}\n{content_type}\n{date}\n{path}")
}

/// `base64(HMAC-SHA256(key, string_to_sign))`, standard alphabet with padding.
pub fn signature(key: &Secret, string_to_sign: &str) -> String {
    // HMAC accepts a key of any length, so this cannot fail.
    let mut mac = match Hmac::<Sha256>::new_from_slice(key.expose().as_bytes()) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    };
    mac.update(string_to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// An IMF-fixdate (`Thu, 29 Jun 2017 12:11:16 GMT`).
pub fn http_date(now: SystemTime) -> String {
    httpdate::fmt_http_date(now)
}

/// The headers of one signed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeaders {
    pub content_type: &'static str,
    pub date: String,
    pub authorization: String,
    /// What was signed, kept to explain a 401.
    pub string_to_sign: String,
}

/// Signs one request made at `now`.
pub fn sign_request(
    tracker_id: &str,
    key: &Secret,
    method: &str,
    content_type: &'static str,
    path: &str,
    now: SystemTime,
) -> SignedHeaders {
    let date = http_date(now);
    let sts = string_to_sign(method, content_type, &date, path);
    let sig = signature(key, &sts);
    SignedHeaders {
        content_type,
        date,
        authorization: format!("ApiAuth {tracker_id}:{sig}"),
        string_to_sign: sts,
    }
}

/// Compares two signatures in time that does not depend on where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    const DATE: &str = "Thu, 29 Jun 2017 12:11:16 GMT";

    #[test]
    fn contract_vectors() {
        let key = Secret::new("secret");
        let sts = string_to_sign(
            "GET",
            JSON_CONTENT_TYPE,
            DATE,
            "/v1/recommender/pin/1234-5678/summary",
        );
        assert_eq!(
            signature(&key, &sts),
            "PyohugGMkfVhquQRYxD0NloJ7Xh+9WBikEwdiXrFj7A="
        );
        let sts = string_to_sign(
            "POST",
            NDJSON_CONTENT_TYPE,
            DATE,
            "/v1/recommender/pin/1234-5678/scopes/_bulk?conflict_strategy=override",
        );
        assert_eq!(
            signature(&key, &sts),
            "8eucwFLF10weam8JH5J6/jlemhE7cutk8IEM6w3qWKY="
        );
    }

    /// Computed with
    /// `printf 'PUT\napplication/json; charset=utf-8\nMon, 20 Jan 2025 12:00:00 GMT\n/v1/recommender/pin/1234-5678/scope/199620b4-df1a-46e8-ab59-9e9ed9af7106' | openssl dgst -sha256 -hmac your_private_api_key -binary | base64`
    /// and likewise for the others.
    #[test]
    fn openssl_vectors() {
        let cases = [
            (
                "your_private_api_key",
                "PUT",
                JSON_CONTENT_TYPE,
                "Mon, 20 Jan 2025 12:00:00 GMT",
                "/v1/recommender/pin/1234-5678/scope/199620b4-df1a-46e8-ab59-9e9ed9af7106",
                "MvcWrLm1j3Q/NjPN/pT6zmVY9rYJeq0iasJN5qr6FiQ=",
            ),
            (
                "k\u{e9}y with spaces",
                "POST",
                JSON_CONTENT_TYPE,
                "Mon, 20 Jan 2025 12:00:00 GMT",
                "/v1/recommender/pin/demo/scopes",
                "13vQjGt3RDUaN6urCPWoeuJDQiS5Bn+Kx0DmchWPrPg=",
            ),
            (
                "your_private_api_key",
                "DELETE",
                JSON_CONTENT_TYPE,
                "Sat, 01 Feb 2025 00:00:05 GMT",
                "/v1/recommender/pin/1234-5678/scope/199620b4-df1a-46e8-ab59-9e9ed9af7106",
                "IfFK0lkzpMLMIn3Cl3UAjIf2XxvELFx4cVSm9vVCeyo=",
            ),
        ];
        for (key, method, ct, date, path, want) in cases {
            let got = signature(&Secret::new(key), &string_to_sign(method, ct, date, path));
            assert_eq!(got, want, "{method} {path}");
        }
    }

    #[test]
    fn date_and_headers() {
        let now = UNIX_EPOCH + Duration::from_secs(1_498_738_276);
        assert_eq!(http_date(now), DATE);
        let h = sign_request(
            "1234-5678",
            &Secret::new("secret"),
            "GET",
            JSON_CONTENT_TYPE,
            "/v1/recommender/pin/1234-5678/summary?x=1",
            now,
        );
        assert_eq!(
            h.authorization,
            "ApiAuth 1234-5678:PyohugGMkfVhquQRYxD0NloJ7Xh+9WBikEwdiXrFj7A="
        );
        assert!(!h.string_to_sign.contains('?'));
    }

    #[test]
    fn secret_never_prints() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s} {s:?} {:?}", Some(&s)), "*** *** Some(***)");
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "ab"));
    }
}
