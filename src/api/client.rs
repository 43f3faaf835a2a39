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
use crate::api::text::strip_controls;

/// The vendor's production host.
pub const DEFAULT_HOST: &str = "https://live.luigisbox.com";

/// How long the first bytes of a non-JSON error body may be when quoted.
const SNIPPET_CHARS: usize = 160;

/// The most one object may take on the wire: a get, a create, the summary, an error body,
/// one row of an export.
pub const MAX_OBJECT_BYTES: usize = 4 << 20;
/// The most one page of a list may take (up to [`MAX_PAGE`] rows).
pub const MAX_PAGE_BYTES: usize = 64 << 20;

/// How much of an answer is read before the client refuses the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// One object (see [`MAX_OBJECT_BYTES`]).
    pub object_bytes: usize,
    /// One list page (see [`MAX_PAGE_BYTES`]).
    pub page_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            object_bytes: MAX_OBJECT_BYTES,
            page_bytes: MAX_PAGE_BYTES,
        }
    }
}

/// An overall time limit: no request starts, and no retry waits, past it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    pub at: Instant,
    /// The limit as given, for messages.
    pub total: Duration,
}

impl Deadline {
    /// A limit of `total` from now.
    pub fn after(total: Duration) -> Deadline {
        Deadline {
            at: Instant::now() + total,
            total,
        }
    }

    pub fn remaining(&self) -> Duration {
        self.at.saturating_duration_since(Instant::now())
    }

    /// The error for a limit that ran out; `last` is what failed before, `in_flight` says a
    /// request was cut off without its answer.
    pub fn expired(&self, last: Option<&ApiError>, in_flight: bool) -> ApiError {
        ApiError::Deadline {
            after: self.total,
            last: last.map(|e| e.to_string()),
            in_flight,
        }
    }
}

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
    /// (capped at `max_delay`, at least a second, so a server cannot park the client), else
    /// exponential backoff.
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

/// The body of an export answer, read a chunk at a time. A chunk that does not come within
/// the request timeout is an error (a body that trickles to a stop), and the whole body is
/// bounded by [`EXPORT_TIMEOUT_FACTOR`] and the command's deadline.
pub struct ExportStream {
    resp: reqwest::Response,
    client: Client,
    method: String,
    path: String,
    idle: Duration,
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
        let timeout = ApiError::Timeout {
            method: self.method.clone(),
            path: self.path.clone(),
            after: self.idle,
        };
        match tokio::time::timeout(self.idle, self.resp.chunk()).await {
            Err(_) => Err(timeout),
            Ok(r) => r.map_err(|e| {
                let e = self
                    .client
                    .transport_error(e, &self.method, &self.path, self.idle);
                self.client.deadline_cut(e)
            }),
        }
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
    limits: Limits,
    deadline: Option<Deadline>,
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
    let text = strip_controls(&text);
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
    /// Changes nothing: also safe to send again after a 500 or 504.
    read: bool,
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
            limits: Limits::default(),
            deadline: None,
        })
    }

    /// Reads at most this much of an answer.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Gives every request of this client an overall time limit (a command's `--timeout`).
    pub fn with_deadline(mut self, deadline: Deadline) -> Self {
        self.deadline = Some(deadline);
        self
    }

    pub fn deadline(&self) -> Option<Deadline> {
        self.deadline
    }

    pub fn retry_policy(&self) -> RetryPolicy {
        self.retry
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

    /// How long the next attempt may take: the request timeout, or less when the overall
    /// deadline is nearer. An expired deadline is an error.
    fn attempt_budget(&self, last: Option<&ApiError>) -> Result<Duration, ApiError> {
        match self.deadline {
            None => Ok(self.timeout),
            Some(d) => {
                let left = d.remaining();
                if left.is_zero() {
                    Err(d.expired(last, false))
                } else {
                    Ok(self.timeout.min(left))
                }
            }
        }
    }

    /// A timeout caused by the deadline (not by the request timeout) becomes the deadline's
    /// error, so the message names the limit that ran out.
    fn deadline_cut(&self, e: ApiError) -> ApiError {
        match (&e, self.deadline) {
            (ApiError::Timeout { .. }, Some(d)) if d.remaining() < Duration::from_millis(50) => {
                d.expired(Some(&e), true)
            }
            _ => e,
        }
    }

    fn retryable(req: &Req<'_>, e: &ApiError) -> bool {
        req.idempotent && (e.is_transient() || (req.read && matches!(e.status(), Some(500 | 504))))
    }

    /// Waits before retry `attempt`, or says the deadline would pass first.
    async fn back_off(&self, attempt: u32, e: &ApiError) -> Result<(), ApiError> {
        let delay = self.retry.delay(attempt, e);
        if let Some(d) = self.deadline
            && delay >= d.remaining()
        {
            return Err(d.expired(Some(e), false));
        }
        if let Some(hook) = &self.on_retry {
            hook(attempt, delay, e);
        }
        tracing::debug!(attempt, ?delay, error = %e, "retrying");
        tokio::time::sleep(delay).await;
        Ok(())
    }

    /// Sends `req` (retrying what is safe to retry) and reads at most `limit` bytes of the
    /// answer.
    async fn send(&self, req: Req<'_>, limit: usize) -> Result<Answer, ApiError> {
        let mut attempt = 0;
        let mut last: Option<ApiError> = None;
        loop {
            let budget = self.attempt_budget(last.as_ref())?;
            let result = match self.send_once(&req, budget).await {
                Ok(resp) => self.read_body(resp, &req, limit, budget).await,
                Err(e) => Err(e),
            };
            match result {
                Ok(a) => return Ok(a),
                Err(e) => {
                    let e = self.deadline_cut(e);
                    if !Self::retryable(&req, &e) || attempt >= self.retry.max_retries {
                        return Err(e);
                    }
                    attempt += 1;
                    self.back_off(attempt, &e).await?;
                    last = Some(e);
                }
            }
        }
    }

    /// One attempt: a 2xx answer's response, its body unread, or the error it is.
    async fn send_once(
        &self,
        req: &Req<'_>,
        budget: Duration,
    ) -> Result<reqwest::Response, ApiError> {
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
            .timeout(budget)
            .header(CONTENT_TYPE, signed.content_type)
            .header(DATE, &signed.date)
            .header(AUTHORIZATION, &signed.authorization);
        if let Some(body) = &req.body {
            builder = builder.body(body.clone());
        }
        let started = Instant::now();
        let mut resp = builder
            .send()
            .await
            .map_err(|e| self.transport_error(e, &method, &path, budget))?;
        let status = resp.status().as_u16();
        tracing::debug!(%method, %path, status, latency_ms = started.elapsed().as_millis() as u64, "request");
        if (200..300).contains(&status) {
            return Ok(resp);
        }
        let headers = resp.headers().clone();
        // An error body is read up to the object limit; past it, what came is quoted.
        let mut body = Vec::new();
        let limit = self.limits.object_bytes;
        loop {
            match resp.chunk().await {
                Ok(Some(c)) => {
                    let room = limit.saturating_sub(body.len());
                    body.extend_from_slice(&c[..c.len().min(room)]);
                    if c.len() > room {
                        break;
                    }
                }
                Ok(None) => break,
                Err(e) => return Err(self.transport_error(e, &method, &path, budget)),
            }
        }
        Err(ApiError::Status(Box::new(status_error(
            status,
            &method,
            &path,
            &headers,
            &body,
            signed.string_to_sign,
        ))))
    }

    /// Reads a success body, refusing more than `limit` bytes. A body that trickles is cut by
    /// the attempt's timeout.
    async fn read_body(
        &self,
        mut resp: reqwest::Response,
        req: &Req<'_>,
        limit: usize,
        budget: Duration,
    ) -> Result<Answer, ApiError> {
        let status = resp.status().as_u16();
        let method = req.method.as_str();
        let too_large = || ApiError::Decode {
            method: method.to_string(),
            path: self.path(req.sub),
            message: format!(
                "status {status}: the answer is larger than the {} allowed; not read further",
                size_words(limit)
            ),
        };
        if resp.content_length().is_some_and(|n| n > limit as u64) {
            return Err(too_large());
        }
        let mut body = Vec::new();
        loop {
            match resp.chunk().await {
                Ok(Some(c)) => {
                    if body.len() + c.len() > limit {
                        return Err(too_large());
                    }
                    body.extend_from_slice(&c);
                }
                Ok(None) => return Ok(Answer { status, body }),
                Err(e) => {
                    return Err(self.transport_error(e, method, &self.path(req.sub), budget));
                }
            }
        }
    }

    fn transport_error(
        &self,
        e: reqwest::Error,
        method: &str,
        path: &str,
        after: Duration,
    ) -> ApiError {
        // reqwest's message may name the URL, which carries no secret; the key never
        // reaches reqwest except inside the signature.
        let mut message = e.to_string();
        let mut src = std::error::Error::source(&e);
        while let Some(s) = src {
            message.push_str(": ");
            message.push_str(&s.to_string());
            src = s.source();
        }
        let message = strip_controls(&message).into_owned();
        if e.is_timeout() {
            ApiError::Timeout {
                method: method.to_string(),
                path: path.to_string(),
                after,
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
            .send(
                Req {
                    method: Method::POST,
                    sub: "/scope",
                    query: Vec::new(),
                    content_type: JSON_CONTENT_TYPE,
                    body: Some(body),
                    idempotent: false,
                    read: false,
                },
                self.limits.object_bytes,
            )
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
        self.send(
            Req {
                method: Method::POST,
                sub: "/scopes/_bulk",
                query: vec![("conflict_strategy", strategy.as_str().to_string())],
                content_type: NDJSON_CONTENT_TYPE,
                body: Some(ndjson),
                idempotent: false,
                read: false,
            },
            self.limits.object_bytes,
        )
        .await
        .map(|_| ())
    }

    /// `GET /scope/{id}`.
    pub async fn get(&self, id: &str) -> Result<Customization, ApiError> {
        let sub = scope_sub(id)?;
        let a = self
            .send(
                Req {
                    method: Method::GET,
                    sub: &sub,
                    query: Vec::new(),
                    content_type: JSON_CONTENT_TYPE,
                    body: None,
                    idempotent: true,
                    read: true,
                },
                self.limits.object_bytes,
            )
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
            .send(
                Req {
                    method: Method::POST,
                    sub: "/scopes",
                    query,
                    content_type: JSON_CONTENT_TYPE,
                    body,
                    idempotent: true,
                    read: true,
                },
                self.limits.page_bytes,
            )
            .await?;
        let v: Value = self.json_body(&a, "POST", "/scopes")?;
        parse_page(v).map_err(|message| ApiError::Decode {
            method: "POST".into(),
            path: self.path("/scopes"),
            message,
        })
    }

    /// Walks every page of `q` (from its offset, `MAX_PAGE` rows a request) and returns all
    /// rows, each once even if rows move between pages. A server whose pages contradict
    /// themselves (see [`Paging`]) stops the walk with an error.
    pub async fn list_all(&self, q: &ListQuery) -> Result<Vec<Customization>, ApiError> {
        let mut out: Vec<Customization> = Vec::new();
        let mut paging = Paging::new(q);
        while let Some(next) = paging.next_query() {
            let page = self.list(&next).await?;
            out.extend(paging.take(page).map_err(|m| self.paging_error(m))?);
        }
        Ok(out)
    }

    /// The error for a page that contradicts the walk so far.
    pub fn paging_error(&self, message: String) -> ApiError {
        ApiError::Decode {
            method: "POST".into(),
            path: self.path("/scopes"),
            message,
        }
    }

    /// `PUT /scope/{id}`: replaces the whole definition (server-set fields are left out).
    pub async fn update(&self, id: &str, c: &Customization) -> Result<(), ApiError> {
        let sub = scope_sub(id)?;
        let body = to_json(&c.without_server_fields())?;
        self.send(
            Req {
                method: Method::PUT,
                sub: &sub,
                query: Vec::new(),
                content_type: JSON_CONTENT_TYPE,
                body: Some(body),
                idempotent: true,
                read: false,
            },
            self.limits.object_bytes,
        )
        .await
        .map(|_| ())
    }

    /// `DELETE /scope/{id}`.
    pub async fn delete(&self, id: &str) -> Result<(), ApiError> {
        let sub = scope_sub(id)?;
        self.send(
            Req {
                method: Method::DELETE,
                sub: &sub,
                query: Vec::new(),
                content_type: JSON_CONTENT_TYPE,
                body: None,
                idempotent: true,
                read: false,
            },
            self.limits.object_bytes,
        )
        .await
        .map(|_| ())
    }

    /// `GET /summary`.
    pub async fn summary(&self) -> Result<Summary, ApiError> {
        let a = self
            .send(
                Req {
                    method: Method::GET,
                    sub: "/summary",
                    query: Vec::new(),
                    content_type: JSON_CONTENT_TYPE,
                    body: None,
                    idempotent: true,
                    read: true,
                },
                self.limits.object_bytes,
            )
            .await?;
        self.json_body(&a, "GET", "/summary")
    }

    /// `POST /scopes/export`, every row in memory. Retried from the start (within the
    /// retry policy) when the answer breaks off; large exports should use
    /// [`Client::export_rows`].
    pub async fn export(&self, q: &ExportQuery) -> Result<Vec<Customization>, ApiError> {
        let mut attempt = 0;
        loop {
            let mut rows = Vec::new();
            let mut stream = self.export_rows(q).await?;
            let failed = loop {
                match stream.next().await {
                    Ok(Some(c)) => rows.push(c),
                    Ok(None) => return Ok(rows),
                    Err(e) => break e,
                }
            };
            if !failed.is_transient() || attempt >= self.retry.max_retries {
                return Err(failed);
            }
            attempt += 1;
            self.back_off(attempt, &failed).await?;
        }
    }

    /// Sends an export and waits for the head of its answer, retrying what is safe to
    /// retry; the body may take up to `whole` (and never past the deadline).
    async fn open_export(
        &self,
        q: &ExportQuery,
        whole: Duration,
    ) -> Result<reqwest::Response, ApiError> {
        let req = Req {
            method: Method::POST,
            sub: "/scopes/export",
            query: export_query(q),
            content_type: JSON_CONTENT_TYPE,
            body: None,
            idempotent: true,
            read: true,
        };
        let mut attempt = 0;
        let mut last: Option<ApiError> = None;
        loop {
            let budget = self.attempt_budget(last.as_ref())?;
            let whole = match self.deadline {
                Some(d) => whole.min(d.remaining()),
                None => whole,
            };
            match self.send_once(&req, whole.max(budget)).await {
                Ok(resp) => return Ok(resp),
                Err(e) => {
                    let e = self.deadline_cut(e);
                    if !Self::retryable(&req, &e) || attempt >= self.retry.max_retries {
                        return Err(e);
                    }
                    attempt += 1;
                    self.back_off(attempt, &e).await?;
                    last = Some(e);
                }
            }
        }
    }

    /// `POST /scopes/export`, its rows read and parsed as they arrive: at most one object's
    /// limit per row, and a row must complete within the request timeout (a body that
    /// trickles is cut). Failures before the body are retried; after it, the caller decides.
    pub async fn export_rows(&self, q: &ExportQuery) -> Result<ExportRows, ApiError> {
        // The whole body may take long; the deadline bounds it, and trickling is caught
        // row by row.
        let resp = self
            .open_export(q, Duration::from_secs(7 * 24 * 3600))
            .await?;
        Ok(ExportRows {
            resp,
            scan: RowScanner::new(self.limits.object_bytes),
            row_timeout: self.timeout,
            row_started: tokio::time::Instant::now(),
            path: self.path("/scopes/export"),
            deadline: self.deadline,
            done: false,
        })
    }

    /// `POST /scopes/export` with the body left to stream: the mirror reads it a chunk at a
    /// time instead of holding the whole tracker. Retried like any safe request until the
    /// answer's head arrives; a cut after that is the caller's to report. The whole-request
    /// timeout is [`EXPORT_TIMEOUT_FACTOR`] times the usual one, as a large tracker takes long
    /// (and never past the deadline); each chunk must come within the usual one.
    pub async fn export_stream(&self, q: &ExportQuery) -> Result<ExportStream, ApiError> {
        let timeout = self.timeout.saturating_mul(EXPORT_TIMEOUT_FACTOR);
        let resp = self.open_export(q, timeout).await?;
        Ok(ExportStream {
            resp,
            client: self.clone(),
            method: "POST".into(),
            path: self.path("/scopes/export"),
            idle: self.timeout,
        })
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

/// `4 MiB`, `512 KiB`, `100 bytes`.
fn size_words(n: usize) -> String {
    if n >= 1 << 20 && n.is_multiple_of(1 << 20) {
        format!("{} MiB", n >> 20)
    } else if n >= 1 << 10 && n.is_multiple_of(1 << 10) {
        format!("{} KiB", n >> 10)
    } else {
        format!("{n} bytes")
    }
}

/// Checks each page of a walk over a list against the pages before it, so that a server
/// whose `total` lies, or that ignores `offset`, cannot make the walk run forever: a page
/// that is empty while the total says more rows remain, that only repeats rows already
/// received, that holds more rows than asked, or that takes the count past the total
/// stops the walk with an error.
#[derive(Debug)]
pub struct Paging {
    query: ListQuery,
    offset: u64,
    limit: u32,
    seen: std::collections::HashSet<String>,
    done: bool,
}

impl Paging {
    /// A walk over `q` from its offset, `q.limit` (at most [`MAX_PAGE`]) rows a request.
    pub fn new(q: &ListQuery) -> Paging {
        Paging {
            query: q.clone(),
            offset: q.offset.unwrap_or(0),
            limit: q.limit.unwrap_or(MAX_PAGE).clamp(1, MAX_PAGE),
            seen: std::collections::HashSet::new(),
            done: false,
        }
    }

    /// Where the walk stands: the offset of the next page.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The next page to ask for, or `None` when the walk is over.
    pub fn next_query(&self) -> Option<ListQuery> {
        (!self.done).then(|| ListQuery {
            limit: Some(self.limit),
            offset: Some(self.offset),
            ..self.query.clone()
        })
    }

    /// Takes the page answered to [`Paging::next_query`]: the rows not received before, or
    /// why the page cannot be believed.
    pub fn take(&mut self, page: Page) -> Result<Vec<Customization>, String> {
        let n = page.results.len() as u64;
        let at = self.offset;
        if n > u64::from(self.limit) {
            return Err(format!(
                "the page at offset {at} holds {n} rows although {} were asked for",
                self.limit
            ));
        }
        if n == 0 {
            if at < page.total {
                return Err(format!(
                    "the page at offset {at} is empty although the total is {}",
                    page.total
                ));
            }
            self.done = true;
            return Ok(Vec::new());
        }
        let fresh: Vec<Customization> = page
            .results
            .into_iter()
            .filter(|c| c.id().is_none_or(|id| self.seen.insert(id.to_string())))
            .collect();
        if fresh.is_empty() {
            return Err(format!(
                "the page at offset {at} only repeats rows already received (is the offset \
                 ignored?)"
            ));
        }
        self.offset += n;
        if self.offset > page.total {
            return Err(format!(
                "{} rows received although the total is {}",
                self.offset, page.total
            ));
        }
        self.done = n < u64::from(self.limit) || self.offset >= page.total;
        Ok(fresh)
    }
}

/// The rows of an export as they arrive (see [`Client::export_rows`]).
pub struct ExportRows {
    resp: reqwest::Response,
    scan: RowScanner,
    row_timeout: Duration,
    row_started: tokio::time::Instant,
    path: String,
    deadline: Option<Deadline>,
    done: bool,
}

impl std::fmt::Debug for ExportRows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExportRows")
            .field("path", &self.path)
            .finish()
    }
}

impl ExportRows {
    fn decode(&self, message: String) -> ApiError {
        ApiError::Decode {
            method: "POST".into(),
            path: self.path.clone(),
            message,
        }
    }

    /// The next row; `None` after the last.
    pub async fn next(&mut self) -> Result<Option<Customization>, ApiError> {
        loop {
            if self.done {
                return Ok(None);
            }
            match self.scan.next_row().map_err(|m| self.decode(m))? {
                Scanned::Row(bytes) => {
                    self.row_started = tokio::time::Instant::now();
                    let value: Value = serde_json::from_slice(&bytes).map_err(|e| {
                        self.decode(format!(
                            "a row is not JSON: {e}; it starts: {}",
                            snippet(&bytes)
                        ))
                    })?;
                    return Customization::from_value(value)
                        .map(Some)
                        .ok_or_else(|| self.decode("a result is not an object".into()));
                }
                Scanned::End => {
                    self.done = true;
                    return Ok(None);
                }
                Scanned::More => {}
            }
            let until = self.row_started + self.row_timeout;
            let chunk = match tokio::time::timeout_at(until, self.resp.chunk()).await {
                Err(_) => {
                    return Err(ApiError::Timeout {
                        method: "POST".into(),
                        path: self.path.clone(),
                        after: self.row_timeout,
                    });
                }
                Ok(Err(e)) => {
                    return Err(if e.is_timeout() {
                        match self.deadline {
                            Some(d) => d.expired(None, false),
                            None => ApiError::Timeout {
                                method: "POST".into(),
                                path: self.path.clone(),
                                after: self.row_timeout,
                            },
                        }
                    } else {
                        ApiError::Network {
                            method: "POST".into(),
                            path: self.path.clone(),
                            message: strip_controls(&e.to_string()).into_owned(),
                        }
                    });
                }
                Ok(Ok(c)) => c,
            };
            match chunk {
                Some(c) => self.scan.feed(&c).map_err(|m| self.decode(m))?,
                None => {
                    return Err(ApiError::Network {
                        method: "POST".into(),
                        path: self.path.clone(),
                        message: "the answer ended before its `results` array did".into(),
                    });
                }
            }
        }
    }
}

/// What the scanner found in the bytes so far.
enum Scanned {
    Row(Vec<u8>),
    /// The `results` array is closed.
    End,
    /// More bytes are needed.
    More,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Before the `results` array: inside the top object.
    Head,
    /// Between rows of the array.
    Between,
    /// Inside a row.
    Row,
    Ended,
}

/// Finds the elements of the top object's `results` array in a body that arrives in
/// pieces, so that each row is parsed alone and no more than one row is held. Hand-written:
/// serde_json parses only whole values, and the rows sit inside an object.
struct RowScanner {
    buf: Vec<u8>,
    /// Scanned up to here.
    pos: usize,
    phase: Phase,
    /// Nesting depth: 1 inside the top object, 2 inside `results`, 3 inside a row.
    depth: usize,
    in_str: bool,
    esc: bool,
    /// In the head: a string at depth 1 being read, and the last one read.
    key: Option<Vec<u8>>,
    last_key: Option<Vec<u8>>,
    /// Bytes seen before the array.
    head_bytes: usize,
    limit: usize,
}

impl RowScanner {
    fn new(limit: usize) -> RowScanner {
        RowScanner {
            buf: Vec::new(),
            pos: 0,
            phase: Phase::Head,
            depth: 0,
            in_str: false,
            esc: false,
            key: None,
            last_key: None,
            head_bytes: 0,
            limit,
        }
    }

    fn feed(&mut self, bytes: &[u8]) -> Result<(), String> {
        // A row in the making may hold up to the limit; bytes past it are refused.
        if self.buf.len() > self.limit {
            return Err(format!(
                "a row is larger than the {} allowed",
                size_words(self.limit)
            ));
        }
        self.buf.extend_from_slice(bytes);
        Ok(())
    }

    /// Drops everything scanned so far.
    fn consume(&mut self) {
        self.buf.drain(..self.pos);
        self.pos = 0;
    }

    fn next_row(&mut self) -> Result<Scanned, String> {
        if self.phase == Phase::Ended {
            return Ok(Scanned::End);
        }
        while self.pos < self.buf.len() {
            let b = self.buf[self.pos];
            self.pos += 1;
            if self.phase == Phase::Head {
                self.head_bytes += 1;
                if self.head_bytes > self.limit {
                    return Err(format!(
                        "no `results` array in the first {}",
                        size_words(self.limit)
                    ));
                }
            }
            if self.in_str {
                if self.esc {
                    self.esc = false;
                } else if b == b'\\' {
                    self.esc = true;
                } else if b == b'"' {
                    self.in_str = false;
                    if let Some(k) = self.key.take() {
                        self.last_key = Some(k);
                    }
                    continue;
                }
                if let Some(k) = &mut self.key {
                    k.push(b);
                }
                continue;
            }
            match self.phase {
                Phase::Head => match b {
                    b'"' => {
                        self.in_str = true;
                        if self.depth == 1 {
                            self.key = Some(Vec::new());
                        }
                    }
                    b'[' if self.depth == 1
                        && self.last_key.as_deref() == Some(b"results".as_slice()) =>
                    {
                        self.depth = 2;
                        self.phase = Phase::Between;
                    }
                    b'{' | b'[' => {
                        if self.depth == 0 && b != b'{' {
                            return Err("the answer is not an object".into());
                        }
                        self.depth += 1;
                    }
                    b'}' | b']' => {
                        self.depth = self.depth.saturating_sub(1);
                        if self.depth == 0 {
                            return Err("no `results` array".into());
                        }
                    }
                    b',' if self.depth == 1 => self.last_key = None,
                    b if b.is_ascii_whitespace() || self.depth > 0 => {}
                    _ => return Err("the answer is not an object".into()),
                },
                Phase::Between => match b {
                    b']' => {
                        self.phase = Phase::Ended;
                        self.buf = Vec::new();
                        self.pos = 0;
                        return Ok(Scanned::End);
                    }
                    b',' => {}
                    b if b.is_ascii_whitespace() => {}
                    b'{' => {
                        // The row starts here: keep it from its first byte.
                        self.pos -= 1;
                        self.consume();
                        self.pos = 1;
                        self.depth = 3;
                        self.phase = Phase::Row;
                    }
                    _ => return Err("a result is not an object".into()),
                },
                Phase::Row => match b {
                    b'"' => self.in_str = true,
                    b'{' | b'[' => self.depth += 1,
                    b'}' | b']' => {
                        self.depth -= 1;
                        if self.depth == 2 {
                            let row = self.buf[..self.pos].to_vec();
                            self.consume();
                            self.phase = Phase::Between;
                            return Ok(Scanned::Row(row));
                        }
                    }
                    _ => {}
                },
                Phase::Ended => return Ok(Scanned::End),
            }
        }
        if self.phase != Phase::Row {
            self.consume();
        }
        Ok(Scanned::More)
    }
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

/// `v` with control characters stripped from every string, keys included.
fn strip_value_controls(v: Value) -> Value {
    match v {
        Value::String(s) => Value::String(strip_controls(&s).into_owned()),
        Value::Array(a) => Value::Array(a.into_iter().map(strip_value_controls).collect()),
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| (strip_controls(&k).into_owned(), strip_value_controls(v)))
                .collect(),
        ),
        other => other,
    }
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
        server_date: header_str(headers, DATE).map(|d| strip_controls(&d).into_owned()),
        string_to_sign: Some(string_to_sign),
        non_json_body: None,
    };
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => {
            // What the server wrote is shown to people: no control character survives.
            if let Some(reason) = m.get("reason").and_then(Value::as_str) {
                err.reason = strip_controls(reason).into_owned();
            }
            if let Some(Value::Object(d)) = m.get("exception_details") {
                err.details = strip_value_controls(Value::Object(d.clone()))
                    .as_object()
                    .cloned()
                    .unwrap_or_default();
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
