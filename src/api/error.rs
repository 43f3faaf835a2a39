//! What can go wrong talking to the service, as data.

use std::fmt;
use std::time::Duration;

use serde_json::{Map, Value};

/// An error answer from the service (any status outside 2xx).
#[derive(Debug, Clone, PartialEq)]
pub struct StatusError {
    pub status: u16,
    pub method: String,
    /// The request path, without the query string.
    pub path: String,
    /// The body's `reason`, or the HTTP reason phrase when the body had none.
    pub reason: String,
    /// The body's `exception_details`: field path -> messages.
    pub details: Map<String, Value>,
    /// `Retry-After`, in seconds, when the server sent one.
    pub retry_after: Option<Duration>,
    /// The server's `Date` header, to compare clocks after a 401.
    pub server_date: Option<String>,
    /// What the client signed; holds no secret. Set on every request so a 401 can explain itself.
    pub string_to_sign: Option<String>,
    /// The body was not JSON (an HTML page from a proxy, say): its first characters.
    pub non_json_body: Option<String>,
}

impl StatusError {
    /// `(path, message)` pairs from `exception_details`, in order.
    pub fn detail_lines(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (k, v) in &self.details {
            match v {
                Value::Array(items) => {
                    for item in items {
                        match item {
                            Value::String(s) => out.push((k.clone(), s.clone())),
                            other => out.push((k.clone(), other.to_string())),
                        }
                    }
                }
                Value::String(s) => out.push((k.clone(), s.clone())),
                other => out.push((k.clone(), other.to_string())),
            }
        }
        out
    }
}

/// Everything the client can fail with.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApiError {
    /// The server answered with an error status.
    #[error("{}", status_summary(.0))]
    Status(Box<StatusError>),
    /// No connection could be made; nothing was sent.
    #[error("cannot connect to {url}: {message}")]
    Connect { url: String, message: String },
    /// The request timed out; it may or may not have been applied.
    #[error("{method} {path} timed out after {}s", .after.as_secs_f32())]
    Timeout {
        method: String,
        path: String,
        after: Duration,
    },
    /// The connection broke after the request was sent; it may or may not have been applied.
    #[error("{method} {path}: connection lost before the answer ({message})")]
    Network {
        method: String,
        path: String,
        message: String,
    },
    /// A success status with a body that is not what the contract says.
    #[error("{method} {path}: unexpected answer ({message})")]
    Decode {
        method: String,
        path: String,
        message: String,
    },
    /// The overall time limit of the command ran out (`--timeout`).
    #[error("{}", deadline_summary(*.after, .last.as_deref()))]
    Deadline {
        after: Duration,
        /// What failed before the time ran out, if anything.
        last: Option<String>,
        /// A request was under way when it ran out; it may or may not have been applied.
        in_flight: bool,
    },
    /// The client could not be set up (a bad host URL, plain http to a remote host).
    #[error("{0}")]
    Config(String),
}

fn deadline_summary(after: Duration, last: Option<&str>) -> String {
    let mut s = format!(
        "the time limit of {} ran out (--timeout, or timeout_secs in the config)",
        duration_words(after)
    );
    if let Some(last) = last {
        s.push_str(&format!("; last failure: {last}"));
    }
    s
}

/// `90s`, `5m`, `1h30m`.
pub fn duration_words(d: Duration) -> String {
    let secs = d.as_secs();
    if secs == 0 {
        return format!("{}ms", d.as_millis());
    }
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if s > 0 || out.is_empty() {
        out.push_str(&format!("{s}s"));
    }
    out
}

fn status_summary(e: &StatusError) -> String {
    match &e.non_json_body {
        Some(body) => format!(
            "{} {} (the answer was not JSON; it starts: {body})",
            e.status, e.reason
        ),
        None => format!("{} {}", e.status, e.reason),
    }
}

impl ApiError {
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Status(s) => Some(s.status),
            _ => None,
        }
    }

    pub fn as_status(&self) -> Option<&StatusError> {
        match self {
            ApiError::Status(s) => Some(s),
            _ => None,
        }
    }

    pub fn retry_after(&self) -> Option<Duration> {
        self.as_status().and_then(|s| s.retry_after)
    }

    /// `(path, message)` pairs from the answer's `exception_details`.
    pub fn detail_lines(&self) -> Vec<(String, String)> {
        self.as_status()
            .map(StatusError::detail_lines)
            .unwrap_or_default()
    }

    /// Whether the request may have been applied although no success was seen.
    pub fn may_have_been_applied(&self) -> bool {
        match self {
            ApiError::Timeout { .. } | ApiError::Network { .. } => true,
            ApiError::Deadline { in_flight, .. } => *in_flight,
            ApiError::Status(s) => matches!(s.status, 408 | 500 | 502 | 504),
            _ => false,
        }
    }

    /// Whether sending the same request again may succeed (for requests safe to repeat).
    pub fn is_transient(&self) -> bool {
        match self {
            ApiError::Status(s) => matches!(s.status, 408 | 429 | 502 | 503),
            ApiError::Connect { .. } | ApiError::Timeout { .. } | ApiError::Network { .. } => true,
            _ => false,
        }
    }

    /// A multi-line explanation for people: the summary, then one line per detail, then
    /// for a 401 what was signed and the usual causes.
    pub fn explain(&self) -> String {
        let mut out = self.to_string();
        if let ApiError::Status(s) = self {
            for (path, msg) in s.detail_lines() {
                out.push_str(&format!("\n  {path}: {msg}"));
            }
            if s.status == 401 {
                out.push_str(&explain_401(s));
            }
        }
        out
    }
}

fn explain_401(s: &StatusError) -> String {
    let mut out = String::new();
    if let Some(sts) = &s.string_to_sign {
        out.push_str("\n  the string that was signed (no secret in it):");
        for line in sts.split('\n') {
            out.push_str(&format!("\n    {line}"));
        }
    }
    let local = httpdate::fmt_http_date(std::time::SystemTime::now());
    match &s.server_date {
        Some(server) => {
            let skew = httpdate::parse_http_date(server).ok().map(|t| {
                match std::time::SystemTime::now().duration_since(t) {
                    Ok(d) => d.as_secs() as i64,
                    Err(e) => -(e.duration().as_secs() as i64),
                }
            });
            out.push_str(&format!(
                "\n  local clock: {local}\n  server clock: {server}"
            ));
            if let Some(skew) = skew {
                out.push_str(&format!(" (local is {skew:+}s off)"));
            }
        }
        None => out.push_str(&format!("\n  local clock: {local}")),
    }
    out.push_str(
        "\n  usual causes: the clock is more than 5s off (sync it with NTP), the private key \
         is wrong or for another tracker, the tracker id is wrong, or a proxy changed the \
         Content-Type",
    );
    out
}

impl fmt::Display for StatusError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&status_summary(self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn status(code: u16) -> StatusError {
        StatusError {
            status: code,
            method: "POST".into(),
            path: "/v1/recommender/pin/t/scope".into(),
            reason: "Invalid pin definition provided".into(),
            details: json!({"pin_definitions[0].position": ["Missing required field: position"]})
                .as_object()
                .cloned()
                .unwrap_or_default(),
            retry_after: None,
            server_date: None,
            string_to_sign: Some("POST\napplication/json; charset=utf-8\nD\n/p".into()),
            non_json_body: None,
        }
    }

    #[test]
    fn explains_details_and_401() {
        let e = ApiError::Status(Box::new(status(422)));
        assert_eq!(
            e.explain(),
            "422 Invalid pin definition provided\n  pin_definitions[0].position: Missing required field: position"
        );
        let mut s = status(401);
        s.details = Map::new();
        s.reason = "Signature mismatch".into();
        let text = ApiError::Status(Box::new(s)).explain();
        assert!(text.starts_with("401 Signature mismatch"));
        assert!(text.contains("    POST\n    application/json; charset=utf-8"));
        assert!(text.contains("clock"));
    }

    #[test]
    fn classification() {
        assert!(ApiError::Status(Box::new(status(503))).is_transient());
        assert!(!ApiError::Status(Box::new(status(422))).is_transient());
        assert!(
            ApiError::Network {
                method: "P".into(),
                path: "/".into(),
                message: "x".into()
            }
            .may_have_been_applied()
        );
        assert!(
            !ApiError::Connect {
                url: "u".into(),
                message: "x".into()
            }
            .may_have_been_applied()
        );
    }
}
