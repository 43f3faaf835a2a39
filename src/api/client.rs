//! The HTTP client for all eight endpoints. Every request is signed; errors come back as
//! [`ApiError`] values carrying the status, `reason`, `exception_details` and `Retry-After`.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, DATE, HeaderMap, RETRY_AFTER};
use reqwest::{Method, Url};
use serde_json::{Map, Value};

use crate::api::error::{ApiError, StatusError};
use crate::api::model::{ConflictStrategy, Customization, Page, Summary};
use crate::api::sign::{JSON_CONTENT_TYPE, NDJSON_CONTENT_TYPE, Secret, sign_request};

/// The vendor's production host.
pub const DEFAULT_HOST: &str = "https://live.luigisbox.com";

/// How long the first bytes of a non-JSON error body may be when quoted.
const SNIPPET_CHARS: usize = 160;

/// A clock, so tests can sign with a stale date.
pub type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// Called before each retry with the attempt number (1-based), the delay and the error.
pub type RetryHook = Arc<dyn Fn(u32, Duration, &ApiError) + Send + Sync>;

/// How requests that are safe to repeat are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt; 0 turns retrying off.
    pub max_retries: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl RetryPolicy {
    pub const NONE: RetryPolicy = RetryPolicy {
        max_retries: 0,
        base_delay: Duration::ZERO,
        max_delay: Duration::ZERO,
    };

    /// The delay before retry `attempt` (1-based): `Retry-After` when the server gave one
    /// (capped at `max_delay`), else exponential backoff.
    pub fn delay(&self, attempt: u32, err: &ApiError) -> Duration {
        if let Some(after) = err.retry_after() {
            return after.min(self.max_delay.max(Duration::from_secs(1)));
        }
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(10),
        }
    }
}

/// Where and as whom the client talks.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// `https://live.luigisbox.com`, or the emulator's `http://127.0.0.1:PORT`.
    pub host: String,
    pub tracker_id: String,
    pub key: Secret,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    /// Allows plain `http://` to a host that is not loopback.
    pub allow_insecure_http: bool,
    pub retry: RetryPolicy,
}

impl ClientConfig {
    pub fn new(host: impl Into<String>, tracker_id: impl Into<String>, key: Secret) -> Self {
        ClientConfig {
            host: host.into(),
            tracker_id: tracker_id.into(),
            key,
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(60),
            allow_insecure_http: false,
            retry: RetryPolicy::default(),
        }
    }
}

/// List filters; repeated values of one key are OR-ed, keys are AND-ed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListQuery {
    pub models: Vec<String>,
    pub tags: Vec<String>,
    pub target_types: Vec<String>,
    pub target_identities: Vec<String>,
    /// `field:asc|desc`.
    pub sort: Option<String>,
    pub limit: Option<u32>,
    pub offset: Option<u64>,
    /// Elements of the optional `{"criteria": [...]}` body.
    pub criteria: Vec<Map<String, Value>>,
}

/// Export filters; single-valued.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExportQuery {
    pub model: Option<String>,
    pub tag: Option<String>,
    pub target_type: Option<String>,
    pub target_identity: Option<String>,
    pub remove_expired_pins: bool,
    pub remove_nonexisting_item_pins: bool,
}

/// How many times the usual request timeout a streamed export may take.
pub const EXPORT_TIMEOUT_FACTOR: u32 = 20;

/// The body of an export answer, read a chunk at a time.
pub struct ExportStream {
    resp: reqwest::Response,
    client: Client,
    method: String,
    path: String,
}

impl std::fmt::Debug for ExportStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExportStream")
            .field("path", &self.path)
            .finish()
    }
}

impl ExportStream {
    /// The next chunk of the body; `None` at its end. A cut connection is an error.
    pub async fn chunk(&mut self) -> Result<Option<bytes::Bytes>, ApiError> {
        self.resp
            .chunk()
            .await
            .map_err(|e| self.client.transport_error(e, &self.method, &self.path))
    }
}

/// The largest page the list endpoint serves.
pub const MAX_PAGE: u32 = 1000;

/// A signed client for one tracker.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: Url,
    tracker_id: String,
    key: Secret,
    timeout: Duration,
    retry: RetryPolicy,
    clock: Clock,
    on_retry: Option<RetryHook>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base.as_str())
            .field("tracker_id", &self.tracker_id)
            .field("key", &self.key)
            .finish()
    }
}

/// Whether a URL's host is on this machine.
pub fn is_loopback_host(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out: String = flat.chars().take(SNIPPET_CHARS).collect();
    if flat.chars().count() > SNIPPET_CHARS {
        out.push('…');
    }
    out
}

fn header_str(h: &HeaderMap, name: reqwest::header::HeaderName) -> Option<String> {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// One request before it is signed.
struct Req<'a> {
    method: Method,
    /// Path below the tracker base, e.g. `/scope`.
    sub: &'a str,
    query: Vec<(&'static str, String)>,
    content_type: &'static str,
    body: Option<Vec<u8>>,
    /// Safe to send again after a transient failure.
    idempotent: bool,
}

/// A success answer: its status and body.
struct Answer {
    status: u16,
    body: Vec<u8>,
}

impl Client {
    pub fn new(cfg: ClientConfig) -> Result<Client, ApiError> {
        let base = Url::parse(cfg.host.trim_end_matches('/')).map_err(|e| {
            ApiError::Config(format!(
                "invalid host URL {:?}: {e}",
                super::host::redacted(&cfg.host)
            ))
        })?;
        match base.scheme() {
            "https" => {}
            "http" if cfg.allow_insecure_http || is_loopback_host(&base) => {}
            "http" => {
                return Err(ApiError::Config(format!(
                    "refusing plain http to {}: the signature and data would cross the network \
                     unencrypted; use https, or allow it explicitly",
                    base.host_str().unwrap_or("?")
                )));
            }
            other => {
                return Err(ApiError::Config(format!(
                    "unsupported URL scheme {other:?} in host {:?}",
                    super::host::redacted(&cfg.host)
                )));
            }
        }
        // No credentials, no path prefix: the config checks the same (api::host).
        super::host::parse(&cfg.host, cfg.allow_insecure_http)
            .map_err(|m| ApiError::Config(format!("host: {m}")))?;
        if !super::ids::path_safe_tracker(&cfg.tracker_id) {
            return Err(ApiError::Config(format!(
                "invalid tracker id {:?}",
                cfg.tracker_id
            )));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(cfg.connect_timeout)
            .timeout(cfg.request_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("pinscope/", env!("CARGO_PKG_VERSION")))
            // Plain http (the emulator) never needs the system's root certificates, and
            // loading them reads the whole certificate directory.
            .tls_built_in_root_certs(base.scheme() == "https")
            .build()
            .map_err(|e| ApiError::Config(format!("cannot set up HTTP: {e}")))?;
        Ok(Client {
            http,
            base,
            tracker_id: cfg.tracker_id,
            key: cfg.key,
            timeout: cfg.request_timeout,
            retry: cfg.retry,
            clock: Arc::new(SystemTime::now),
            on_retry: None,
        })
    }

    /// Signs with this clock instead of the system's.
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    pub fn with_retry_hook(mut self, hook: RetryHook) -> Self {
        self.on_retry = Some(hook);
        self
    }

    pub fn tracker_id(&self) -> &str {
        &self.tracker_id
    }

    pub fn host(&self) -> &str {
        self.base.as_str().trim_end_matches('/')
    }

    /// `/v1/recommender/pin/{TRACKER_ID}` followed by `sub`.
    pub fn path(&self, sub: &str) -> String {
        format!("/v1/recommender/pin/{}{}", self.tracker_id, sub)
    }

    async fn send(&self, req: Req<'_>) -> Result<Answer, ApiError> {
        let mut attempt = 0;
        loop {
            match self.send_once(&req).await {
                Ok(a) => return Ok(a),
                Err(e) => {
                    if !req.idempotent || !e.is_transient() || attempt >= self.retry.max_retries {
                        return Err(e);
                    }
                    attempt += 1;
                    let delay = self.retry.delay(attempt, &e);
                    if let Some(hook) = &self.on_retry {
                        hook(attempt, delay, &e);
                    }
                    tracing::debug!(attempt, ?delay, error = %e, "retrying");
                    tokio::time::sleep(delay).await;
                }
            }
        }
    }

    async fn send_once(&self, req: &Req<'_>) -> Result<Answer, ApiError> {
        let (resp, method, path) = self.open_once(req, None).await?;
        let status = resp.status().as_u16();
        let body = resp
            .bytes()
            .await
            .map_err(|e| self.transport_error(e, &method, &path))?;
        Ok(Answer {
            status,
            body: body.to_vec(),
        })
    }

    /// Sends one request and waits for the head of a 2xx answer (the body is left to read);
    /// any other status is read whole and returned as an error. `timeout` overrides the
    /// client's whole-request timeout.
    async fn open_once(
        &self,
        req: &Req<'_>,
        timeout: Option<Duration>,
    ) -> Result<(reqwest::Response, String, String), ApiError> {
        let path = self.path(req.sub);
        let mut url = self.base.clone();
        url.set_path(&path);
        if !req.query.is_empty() {
            let mut q = url.query_pairs_mut();
            for (k, v) in &req.query {
                q.append_pair(k, v);
            }
        }
        let method = req.method.as_str().to_string();
        let signed = sign_request(
            &self.tracker_id,
            &self.key,
            &method,
            req.content_type,
            &path,
            (self.clock)(),
        );
        let mut builder = self
            .http
            .request(req.method.clone(), url)
            .header(CONTENT_TYPE, signed.content_type)
            .header(DATE, &signed.date)
            .header(AUTHORIZATION, &signed.authorization);
        if let Some(body) = &req.body {
            builder = builder.body(body.clone());
        }
        if let Some(t) = timeout {
            builder = builder.timeout(t);
        }
        let started = Instant::now();
        let resp = builder
            .send()
            .await
            .map_err(|e| self.transport_error(e, &method, &path))?;
        let status = resp.status().as_u16();
        tracing::debug!(%method, %path, status, latency_ms = started.elapsed().as_millis() as u64, "request");
        if (200..300).contains(&status) {
            return Ok((resp, method, path));
        }
        let headers = resp.headers().clone();
        let body = resp
            .bytes()
            .await
            .map_err(|e| self.transport_error(e, &method, &path))?;
        Err(ApiError::Status(Box::new(status_error(
            status,
            &method,
            &path,
            &headers,
            &body,
            signed.string_to_sign,
        ))))
    }

    fn transport_error(&self, e: reqwest::Error, method: &str, path: &str) -> ApiError {
        // reqwest's message may name the URL, which carries no secret; the key never
        // reaches reqwest except inside the signature.
        let mut message = e.to_string();
        let mut src = std::error::Error::source(&e);
        while let Some(s) = src {
            message.push_str(": ");
            message.push_str(&s.to_string());
            src = s.source();
        }
        if e.is_timeout() {
            ApiError::Timeout {
                method: method.to_string(),
                path: path.to_string(),
                after: self.timeout,
            }
        } else if e.is_connect() {
            ApiError::Connect {
                url: self.host().to_string(),
                message,
            }
        } else {
            ApiError::Network {
                method: method.to_string(),
                path: path.to_string(),
                message,
            }
        }
    }

    fn json_body<T: serde::de::DeserializeOwned>(
        &self,
        a: &Answer,
        method: &str,
        sub: &str,
    ) -> Result<T, ApiError> {
        serde_json::from_slice(&a.body).map_err(|e| ApiError::Decode {
            method: method.to_string(),
            path: self.path(sub),
            message: format!(
                "status {}: {e}; body starts: {}",
                a.status,
                snippet(&a.body)
            ),
        })
    }

    /// `POST /scope`: creates one customization (server-set fields are left out of the
    /// body). Never retried: a lost answer may mean it was created.
    pub async fn create(&self, c: &Customization) -> Result<Customization, ApiError> {
        let body = to_json(&c.without_server_fields())?;
        let a = self
            .send(Req {
                method: Method::POST,
                sub: "/scope",
                query: Vec::new(),
                content_type: JSON_CONTENT_TYPE,
                body: Some(body),
                idempotent: false,
            })
            .await?;
        self.json_body(&a, "POST", "/scope")
    }

    /// `POST /scopes/_bulk`: `ndjson` is the body as it goes on the wire. Not retried here:
    /// the import engine decides what is safe to resend.
    pub async fn bulk_create(
        &self,
        ndjson: Vec<u8>,
        strategy: ConflictStrategy,
    ) -> Result<(), ApiError> {
        self.send(Req {
            method: Method::POST,
            sub: "/scopes/_bulk",
            query: vec![("conflict_strategy", strategy.as_str().to_string())],
            content_type: NDJSON_CONTENT_TYPE,
            body: Some(ndjson),
            idempotent: false,
        })
        .await
        .map(|_| ())
    }

    /// `GET /scope/{id}`.
    pub async fn get(&self, id: &str) -> Result<Customization, ApiError> {
        let sub = scope_sub(id)?;
        let a = self
            .send(Req {
                method: Method::GET,
                sub: &sub,
                query: Vec::new(),
                content_type: JSON_CONTENT_TYPE,
                body: None,
                idempotent: true,
            })
            .await?;
        self.json_body(&a, "GET", &sub)
    }

    /// `POST /scopes`: one page.
    pub async fn list(&self, q: &ListQuery) -> Result<Page, ApiError> {
        let mut query = Vec::new();
        if let Some(limit) = q.limit {
            query.push(("limit", limit.to_string()));
        }
        if let Some(offset) = q.offset {
            query.push(("offset", offset.to_string()));
        }
        for (key, values) in [
            ("model", &q.models),
            ("tag", &q.tags),
            ("target_type", &q.target_types),
            ("target_identity", &q.target_identities),
        ] {
            for v in values {
                query.push((key, v.clone()));
            }
        }
        if let Some(sort) = &q.sort {
            query.push(("sort", sort.clone()));
        }
        let body = if q.criteria.is_empty() {
            None
        } else {
            let criteria: Vec<Value> = q.criteria.iter().cloned().map(Value::Object).collect();
            Some(to_json(&serde_json::json!({ "criteria": criteria }))?)
        };
        let a = self
            .send(Req {
                method: Method::POST,
                sub: "/scopes",
                query,
                content_type: JSON_CONTENT_TYPE,
                body,
                idempotent: true,
            })
            .await?;
        let v: Value = self.json_body(&a, "POST", "/scopes")?;
        parse_page(v).map_err(|message| ApiError::Decode {
            method: "POST".into(),
            path: self.path("/scopes"),
            message,
        })
    }

    /// Walks every page of `q` (from its offset, `MAX_PAGE` rows a request) and returns all
    /// rows, each once even if rows move between pages.
    pub async fn list_all(&self, q: &ListQuery) -> Result<Vec<Customization>, ApiError> {
        let mut out: Vec<Customization> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut offset = q.offset.unwrap_or(0);
        let limit = q.limit.unwrap_or(MAX_PAGE).clamp(1, MAX_PAGE);
        loop {
            let page = self
                .list(&ListQuery {
                    limit: Some(limit),
                    offset: Some(offset),
                    ..q.clone()
                })
                .await?;
            let n = page.results.len() as u64;
            for c in page.results {
                let fresh = match c.id() {
                    Some(id) => seen.insert(id.to_string()),
                    None => true,
                };
                if fresh {
                    out.push(c);
                }
            }
            offset += n;
            if n < u64::from(limit) || offset >= page.total {
                return Ok(out);
            }
        }
    }

    /// `PUT /scope/{id}`: replaces the whole definition (server-set fields are left out).
    pub async fn update(&self, id: &str, c: &Customization) -> Result<(), ApiError> {
        let sub = scope_sub(id)?;
        let body = to_json(&c.without_server_fields())?;
        self.send(Req {
            method: Method::PUT,
            sub: &sub,
            query: Vec::new(),
            content_type: JSON_CONTENT_TYPE,
            body: Some(body),
            idempotent: true,
        })
        .await
        .map(|_| ())
    }

    /// `DELETE /scope/{id}`.
    pub async fn delete(&self, id: &str) -> Result<(), ApiError> {
        let sub = scope_sub(id)?;
        self.send(Req {
            method: Method::DELETE,
            sub: &sub,
            query: Vec::new(),
            content_type: JSON_CONTENT_TYPE,
            body: None,
            idempotent: true,
        })
        .await
        .map(|_| ())
    }

    /// `GET /summary`.
    pub async fn summary(&self) -> Result<Summary, ApiError> {
        let a = self
            .send(Req {
                method: Method::GET,
                sub: "/summary",
                query: Vec::new(),
                content_type: JSON_CONTENT_TYPE,
                body: None,
                idempotent: true,
            })
            .await?;
        self.json_body(&a, "GET", "/summary")
    }

    /// `POST /scopes/export`.
    pub async fn export(&self, q: &ExportQuery) -> Result<Vec<Customization>, ApiError> {
        let query = export_query(q);
        let a = self
            .send(Req {
                method: Method::POST,
                sub: "/scopes/export",
                query,
                content_type: JSON_CONTENT_TYPE,
                body: None,
                idempotent: true,
            })
            .await?;
        let v: Value = self.json_body(&a, "POST", "/scopes/export")?;
        match v {
            Value::Object(mut m) => match m.shift_remove("results") {
                Some(Value::Array(rows)) => rows
                    .into_iter()
                    .map(|r| {
                        Customization::from_value(r).ok_or_else(|| ApiError::Decode {
                            method: "POST".into(),
                            path: self.path("/scopes/export"),
                            message: "a result is not an object".into(),
                        })
                    })
                    .collect(),
                _ => Err(ApiError::Decode {
                    method: "POST".into(),
                    path: self.path("/scopes/export"),
                    message: "no `results` array".into(),
                }),
            },
            _ => Err(ApiError::Decode {
                method: "POST".into(),
                path: self.path("/scopes/export"),
                message: "the answer is not an object".into(),
            }),
        }
    }

    /// `POST /scopes/export` with the body left to stream: the mirror reads it a chunk at a
    /// time instead of holding the whole tracker. Retried like any safe request until the
    /// answer's head arrives; a cut after that is the caller's to report. The whole-request
    /// timeout is [`EXPORT_TIMEOUT_FACTOR`] times the usual one, as a large tracker takes long.
    pub async fn export_stream(&self, q: &ExportQuery) -> Result<ExportStream, ApiError> {
        let req = Req {
            method: Method::POST,
            sub: "/scopes/export",
            query: export_query(q),
            content_type: JSON_CONTENT_TYPE,
            body: None,
            idempotent: true,
        };
        let timeout = self.timeout.saturating_mul(EXPORT_TIMEOUT_FACTOR);
        let mut attempt = 0;
        loop {
            match self.open_once(&req, Some(timeout)).await {
                Ok((resp, method, path)) => {
                    return Ok(ExportStream {
                        resp,
                        client: self.clone(),
                        method,
                        path,
                    });
                }
                Err(e) => {
                    if !e.is_transient() || attempt >= self.retry.max_retries {
                        return Err(e);
                    }
                    attempt += 1;
                    let delay = self.retry.delay(attempt, &e);
                    if let Some(hook) = &self.on_retry {
                        hook(attempt, delay, &e);
                    }
                    tokio::time::sleep(delay).await;
                }
            }
        }
    }
}

fn export_query(q: &ExportQuery) -> Vec<(&'static str, String)> {
    let mut query = Vec::new();
    for (key, value) in [
        ("model", &q.model),
        ("tag", &q.tag),
        ("target_type", &q.target_type),
        ("target_identity", &q.target_identity),
    ] {
        if let Some(v) = value {
            query.push((key, v.clone()));
        }
    }
    if q.remove_expired_pins {
        query.push(("remove_expired_pins", "true".to_string()));
    }
    if q.remove_nonexisting_item_pins {
        query.push(("remove_nonexisting_item_pins", "true".to_string()));
    }
    query
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<Vec<u8>, ApiError> {
    serde_json::to_vec(v).map_err(|e| ApiError::Config(format!("cannot encode the body: {e}")))
}

/// `/scope/{id}` for a customization id, which must be a UUID: anything else is refused
/// before it is sent.
fn scope_sub(id: &str) -> Result<String, ApiError> {
    let id = super::ids::customization_id(id).map_err(ApiError::Config)?;
    Ok(format!("/scope/{id}"))
}

fn parse_page(v: Value) -> Result<Page, String> {
    let Value::Object(mut m) = v else {
        return Err("the answer is not an object".into());
    };
    let total = m
        .get("pagination")
        .and_then(|p| p.get("total"))
        .and_then(Value::as_u64)
        .ok_or("no pagination.total")?;
    let Some(Value::Array(rows)) = m.shift_remove("results") else {
        return Err("no `results` array".into());
    };
    let results = rows
        .into_iter()
        .map(|r| Customization::from_value(r).ok_or("a result is not an object"))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page { total, results })
}

/// Builds the error for a non-2xx answer; a body that is not JSON is quoted, not parsed.
fn status_error(
    status: u16,
    method: &str,
    path: &str,
    headers: &HeaderMap,
    body: &[u8],
    string_to_sign: String,
) -> StatusError {
    let retry_after = header_str(headers, RETRY_AFTER).and_then(|v| {
        v.trim()
            .parse::<u64>()
            .ok()
            .map(Duration::from_secs)
            .or_else(|| {
                httpdate::parse_http_date(v.trim())
                    .ok()
                    .map(|t| t.duration_since(SystemTime::now()).unwrap_or_default())
            })
    });
    let phrase = reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("")
        .to_string();
    let mut err = StatusError {
        status,
        method: method.to_string(),
        path: path.to_string(),
        reason: phrase,
        details: Map::new(),
        retry_after,
        server_date: header_str(headers, DATE),
        string_to_sign: Some(string_to_sign),
        non_json_body: None,
    };
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => {
            if let Some(reason) = m.get("reason").and_then(Value::as_str) {
                err.reason = reason.to_string();
            }
            if let Some(Value::Object(d)) = m.get("exception_details") {
                err.details = d.clone();
            }
        }
        Ok(_) => err.non_json_body = Some(snippet(body)),
        Err(_) if body.iter().all(u8::is_ascii_whitespace) => {}
        Err(_) => err.non_json_body = Some(snippet(body)),
    }
    err
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(host: &str) -> ClientConfig {
        ClientConfig::new(host, "1234-5678", Secret::new("k"))
    }

    #[test]
    fn plain_http_only_to_loopback() {
        assert!(Client::new(cfg("http://127.0.0.1:7700")).is_ok());
        assert!(Client::new(cfg("http://localhost:7700")).is_ok());
        assert!(Client::new(cfg("http://[::1]:7700")).is_ok());
        assert!(Client::new(cfg("https://live.luigisbox.com")).is_ok());
        let err = Client::new(cfg("http://live.luigisbox.com")).expect_err("refused");
        assert!(err.to_string().contains("refusing plain http"));
        let mut allowed = cfg("http://10.0.0.1");
        allowed.allow_insecure_http = true;
        assert!(Client::new(allowed).is_ok());
        assert!(Client::new(cfg("ftp://x")).is_err());
        assert!(Client::new(cfg("not a url")).is_err());
        for bad in [
            "http://user:pw-xyz@127.0.0.1:7700",
            "http://127.0.0.1:7700/prefix",
        ] {
            let e = Client::new(cfg(bad)).expect_err(bad).to_string();
            assert!(!e.contains("pw-xyz"), "{e}");
        }
    }

    #[test]
    fn debug_hides_the_key() {
        let c = Client::new(ClientConfig::new(
            "https://live.luigisbox.com",
            "t",
            Secret::new("hunter2"),
        ))
        .expect("client");
        assert!(!format!("{c:?}").contains("hunter2"));
    }

    #[test]
    fn non_json_error_bodies_are_quoted() {
        let e = status_error(
            502,
            "GET",
            "/p",
            &HeaderMap::new(),
            b"<html>\n<body>Bad gateway</body></html>",
            String::new(),
        );
        assert_eq!(e.reason, "Bad Gateway");
        assert_eq!(
            e.non_json_body.as_deref(),
            Some("<html> <body>Bad gateway</body></html>")
        );
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, "7".parse().expect("header"));
        let e = status_error(
            429,
            "GET",
            "/p",
            &h,
            br#"{"reason":"Too many requests","exception_details":{}}"#,
            String::new(),
        );
        assert_eq!(e.retry_after, Some(Duration::from_secs(7)));
        assert_eq!(e.reason, "Too many requests");
        assert!(e.non_json_body.is_none());
    }

    #[test]
    fn backoff() {
        let p = RetryPolicy::default();
        let e = ApiError::Connect {
            url: String::new(),
            message: String::new(),
        };
        assert_eq!(p.delay(1, &e), Duration::from_millis(250));
        assert_eq!(p.delay(3, &e), Duration::from_secs(1));
        assert_eq!(p.delay(30, &e), Duration::from_secs(10));
    }

    #[test]
    fn only_a_uuid_reaches_a_scope_path() {
        assert_eq!(
            scope_sub("199620B4-df1a-46e8-ab59-9e9ed9af7106")
                .ok()
                .as_deref(),
            Some("/scope/199620b4-df1a-46e8-ab59-9e9ed9af7106")
        );
        for bad in ["..", "../../summary", "a/b?c", ""] {
            assert!(
                matches!(scope_sub(bad), Err(ApiError::Config(_))),
                "{bad:?}"
            );
        }
    }
}
