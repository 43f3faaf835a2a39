//! The eight endpoints, the signature check, fault injection and the request log.

use std::sync::{Arc, PoisonError, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant, SystemTime};

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, DATE, RETRY_AFTER};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures::StreamExt;
use jiff::Timestamp;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::api::json::{Doc, Json, Spare};
use crate::api::model::{ConflictStrategy, TargetType};
use crate::api::sign::{constant_time_eq, signature, string_to_sign};
use crate::api::validate::{INVALID_REASON, Violation, to_details};
use crate::emulator::faults::Fault;
use crate::emulator::store::{ExportFilter, Filter, PreparedLine, Sort, Store, now_seconds};
use crate::emulator::{App, Tracker};

/// The most customizations one bulk request may carry.
pub const MAX_BULK_LINES: usize = 5000;
/// The largest page of a list.
pub const MAX_LIMIT: usize = 1000;
/// The page size of a list without `limit`.
pub const DEFAULT_LIMIT: usize = 10;
/// How far the `Date` header may be from the server's clock.
pub const MAX_SKEW: Duration = Duration::from_secs(5);
/// The largest request body read.
pub const MAX_BODY: usize = 64 << 20;

/// Closes the connection a request came on, without an answer (the `drop` fault).
#[derive(Clone, Debug)]
pub(crate) struct Cutoff(pub Arc<tokio::sync::Notify>);

type Shared = State<Arc<App>>;

const JSON: &str = "application/json";

pub(crate) fn router(app: Arc<App>) -> Router {
    let base = "/v1/recommender/pin/{tracker}";
    Router::new()
        .route(&format!("{base}/scope"), post(create))
        .route(
            &format!("{base}/scope/{{id}}"),
            get(get_one).put(update).delete(delete),
        )
        .route(&format!("{base}/scopes"), post(list))
        .route(&format!("{base}/scopes/_bulk"), post(bulk))
        .route(&format!("{base}/scopes/export"), post(export))
        .route(&format!("{base}/summary"), get(summary))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(app.clone(), outer))
        .with_state(app)
}

/// An error answer: status, `reason` and `exception_details`.
#[derive(Debug)]
pub(crate) struct Fail(Box<(StatusCode, String, Map<String, Value>)>);

impl IntoResponse for Fail {
    fn into_response(self) -> Response {
        let (status, reason, details) = *self.0;
        let body = json!({"reason": reason, "exception_details": details}).to_string();
        (status, [(CONTENT_TYPE, JSON)], body).into_response()
    }
}

type Reply = Result<Response, Fail>;

fn fail(status: StatusCode, reason: impl Into<String>, details: Map<String, Value>) -> Fail {
    Fail(Box::new((status, reason.into(), details)))
}

fn error(status: StatusCode, reason: &str, details: Map<String, Value>) -> Response {
    fail(status, reason, details).into_response()
}

fn plain_error(status: StatusCode, reason: &str) -> Response {
    error(status, reason, Map::new())
}

fn plain_fail(status: StatusCode, reason: impl Into<String>) -> Fail {
    fail(status, reason, Map::new())
}

fn ok_json(status: StatusCode, body: String) -> Reply {
    Ok((status, [(CONTENT_TYPE, JSON)], body).into_response())
}

async fn not_found() -> Response {
    plain_error(StatusCode::NOT_FOUND, "Not found")
}

async fn method_not_allowed() -> Response {
    plain_error(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed")
}

fn read<'a>(t: &'a Tracker) -> RwLockReadGuard<'a, Store> {
    t.store.read().unwrap_or_else(PoisonError::into_inner)
}

fn write<'a>(t: &'a Tracker) -> RwLockWriteGuard<'a, Store> {
    t.store.write().unwrap_or_else(PoisonError::into_inner)
}

/// Faults, delay and the request log, around every request.
async fn outer(State(app): Shared, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let (fault, delay) = app.roll();
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let cutoff = req.extensions().get::<Cutoff>().cloned();
    let resp = match fault {
        Fault::Reject(429) => {
            let mut r = plain_error(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many requests (injected fault)",
            );
            r.headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from_static("1"));
            r
        }
        Fault::Reject(503) => plain_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "Service unavailable (injected fault)",
        ),
        Fault::Reject(_) => plain_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal server error (injected fault)",
        ),
        Fault::Drop | Fault::None => next.run(req).await,
    };
    let status = resp.status().as_u16();
    if fault == Fault::Drop
        && let Some(cutoff) = cutoff
    {
        app.log(
            &method,
            &path,
            &format!("{status}, dropped (fault)"),
            started,
        );
        cutoff.0.notify_one();
        // The connection task drops the connection; this answer is never sent.
        std::future::pending::<()>().await;
    }
    let note = match fault {
        Fault::Reject(_) => format!("{status} (fault)"),
        _ => status.to_string(),
    };
    app.log(&method, &path, &note, started);
    resp
}

fn unauthorized(reason: String) -> Fail {
    plain_fail(StatusCode::UNAUTHORIZED, reason)
}

fn header(parts: &Parts, name: axum::http::HeaderName) -> Result<Option<&str>, ()> {
    match parts.headers.get(name) {
        None => Ok(None),
        Some(v) => v.to_str().map(Some).map_err(|_| ()),
    }
}

/// Checks the signature. Every failure is a 401 whose reason names what failed (never
/// what the signature should have been), except an unknown tracker: 404.
fn authorize<'a>(app: &'a App, parts: &Parts, tracker: &str) -> Result<&'a Tracker, Fail> {
    const FORMAT: &str = "expected `ApiAuth TRACKER_ID:SIGNATURE`";
    let auth = match header(parts, AUTHORIZATION) {
        Ok(Some(a)) => a.trim(),
        Ok(None) => return Err(unauthorized("Missing Authorization header".into())),
        Err(()) => {
            return Err(unauthorized(format!(
                "Malformed Authorization header: {FORMAT}"
            )));
        }
    };
    // The word before the tracker is not checked.
    let Some((auth_tracker, sig)) = auth
        .split_once(char::is_whitespace)
        .and_then(|(_, rest)| rest.trim().rsplit_once(':'))
        .filter(|(t, s)| !t.is_empty() && !s.is_empty())
    else {
        return Err(unauthorized(format!(
            "Malformed Authorization header: {FORMAT}"
        )));
    };
    let date = match header(parts, DATE) {
        Ok(Some(d)) => d,
        Ok(None) => return Err(unauthorized("Missing Date header".into())),
        Err(()) => return Err(unauthorized("Unparsable Date header".into())),
    };
    let Ok(sent) = httpdate::parse_http_date(date) else {
        return Err(unauthorized(format!(
            "Unparsable Date header {date:?}: expected an HTTP date such as `Mon, 20 Jan 2025 12:00:00 GMT`"
        )));
    };
    let now = SystemTime::now();
    let (skew, ahead) = match sent.duration_since(now) {
        Ok(d) => (d, true),
        Err(e) => (e.duration(), false),
    };
    if skew > MAX_SKEW {
        return Err(unauthorized(format!(
            "Date header is {}s {} the server clock (at most {}s allowed); check the clock",
            skew.as_secs(),
            if ahead { "ahead of" } else { "behind" },
            MAX_SKEW.as_secs()
        )));
    }
    if auth_tracker != tracker {
        return Err(unauthorized(format!(
            "Tracker mismatch: the Authorization header names tracker {auth_tracker:?} but the path names {tracker:?}"
        )));
    }
    let Some(t) = app.trackers.get(tracker) else {
        return Err(plain_fail(StatusCode::NOT_FOUND, "Tracker not found"));
    };
    let content_type = match header(parts, CONTENT_TYPE) {
        Ok(Some(c)) => c,
        Ok(None) => {
            return Err(unauthorized(
                "Missing Content-Type header (it is part of the signed string)".into(),
            ));
        }
        Err(()) => return Err(unauthorized("Unreadable Content-Type header".into())),
    };
    let sts = string_to_sign(parts.method.as_str(), content_type, date, parts.uri.path());
    if !constant_time_eq(&signature(&t.key, &sts), sig) {
        return Err(unauthorized(
            "Signature mismatch: the signature is not HMAC-SHA256 of METHOD, Content-Type, Date \
             and the path (without query string) under this tracker's key"
                .into(),
        ));
    }
    Ok(t)
}

fn body_too_large() -> Fail {
    plain_fail(
        StatusCode::PAYLOAD_TOO_LARGE,
        "Request body too large (at most 64 MiB) or cut short",
    )
}

async fn read_body(body: Body) -> Result<axum::body::Bytes, Fail> {
    axum::body::to_bytes(body, MAX_BODY)
        .await
        .map_err(|_| body_too_large())
}

fn bad_request(message: String) -> Fail {
    let mut d = Map::new();
    d.insert("body".into(), json!([message]));
    fail(StatusCode::BAD_REQUEST, "Invalid configuration provided", d)
}

/// The body as a JSON object: 400 when it is not JSON or not an object.
fn parse_object(bytes: &[u8]) -> Result<Map<String, Value>, Fail> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(bad_request("Must be a JSON object".into())),
        Err(e) => Err(bad_request(format!("Not valid JSON: {e}"))),
    }
}

/// One bulk line read, validated and prepared, or what is wrong with it.
fn prepare_line(line: &[u8], spare: &mut Spare) -> Result<PreparedLine, Vec<Violation>> {
    let whole_line = |message: String| {
        vec![Violation {
            path: String::new(),
            message,
        }]
    };
    let Ok(text) = std::str::from_utf8(line) else {
        // serde_json's own words for where the bytes go wrong.
        return Err(whole_line(match serde_json::from_slice::<Value>(line) {
            Err(e) => format!("Not valid JSON: {e}"),
            Ok(_) => "Not valid UTF-8".into(),
        }));
    };
    let doc =
        Doc::parse_reusing(text, spare).map_err(|e| whole_line(format!("Not valid JSON: {e}")))?;
    let prepared = match doc.root().as_object() {
        Some(m) => PreparedLine::from_body_text(m, Some(text)),
        None => Err(whole_line("Must be a JSON object".into())),
    };
    doc.recycle(spare);
    prepared
}

fn invalid(violations: &[Violation]) -> Fail {
    fail(
        StatusCode::UNPROCESSABLE_ENTITY,
        INVALID_REASON,
        to_details(violations),
    )
}

fn invalid_params(details: Map<String, Value>) -> Fail {
    fail(
        StatusCode::UNPROCESSABLE_ENTITY,
        "Invalid query parameters",
        details,
    )
}

fn customization_not_found() -> Fail {
    plain_fail(StatusCode::NOT_FOUND, "Customization not found")
}

fn query_pairs(parts: &Parts) -> Vec<(String, String)> {
    parts
        .uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default()
}

fn add_detail(details: &mut Map<String, Value>, key: &str, message: String) {
    if let Value::Array(a) = details
        .entry(key.to_string())
        .or_insert_with(|| Value::Array(Vec::new()))
    {
        a.push(Value::String(message));
    }
}

async fn create(State(app): Shared, Path(tracker): Path<String>, req: Request) -> Reply {
    let (parts, body) = req.into_parts();
    let t = authorize(&app, &parts, &tracker)?;
    let bytes = read_body(body).await?;
    let map = parse_object(&bytes)?;
    let p = PreparedLine::from_body_text(&map, std::str::from_utf8(&bytes).ok())
        .map_err(|v| invalid(&v))?;
    let json = {
        let mut s = write(t);
        let id = s.insert(p, now_seconds());
        s.get(&id).map(|r| r.to_json(Timestamp::now()))
    };
    app.changed();
    match json {
        Some(j) => ok_json(StatusCode::CREATED, j),
        None => Err(plain_fail(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Lost the new row",
        )),
    }
}

async fn get_one(
    State(app): Shared,
    Path((tracker, id)): Path<(String, String)>,
    req: Request,
) -> Reply {
    let (parts, _) = req.into_parts();
    let t = authorize(&app, &parts, &tracker)?;
    let id = Uuid::parse_str(&id).map_err(|_| customization_not_found())?;
    let json = read(t).get(&id).map(|r| r.to_json(Timestamp::now()));
    match json {
        Some(j) => ok_json(StatusCode::OK, j),
        None => Err(customization_not_found()),
    }
}

async fn update(
    State(app): Shared,
    Path((tracker, id)): Path<(String, String)>,
    req: Request,
) -> Reply {
    let (parts, body) = req.into_parts();
    let t = authorize(&app, &parts, &tracker)?;
    let id = Uuid::parse_str(&id).map_err(|_| customization_not_found())?;
    if read(t).get(&id).is_none() {
        return Err(customization_not_found());
    }
    let bytes = read_body(body).await?;
    let map = parse_object(&bytes)?;
    let p = PreparedLine::from_body_text(&map, std::str::from_utf8(&bytes).ok())
        .map_err(|v| invalid(&v))?;
    let replaced = write(t).replace(&id, p);
    if !replaced {
        return Err(customization_not_found());
    }
    app.changed();
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn delete(
    State(app): Shared,
    Path((tracker, id)): Path<(String, String)>,
    req: Request,
) -> Reply {
    let (parts, _) = req.into_parts();
    let t = authorize(&app, &parts, &tracker)?;
    let id = Uuid::parse_str(&id).map_err(|_| customization_not_found())?;
    let removed = write(t).remove(&id);
    if !removed {
        return Err(customization_not_found());
    }
    app.changed();
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn summary(State(app): Shared, Path(tracker): Path<String>, req: Request) -> Reply {
    let (parts, _) = req.into_parts();
    let t = authorize(&app, &parts, &tracker)?;
    let json = read(t).summary_json();
    ok_json(StatusCode::OK, json)
}

fn parse_target_type(v: &str, details: &mut Map<String, Value>) -> Option<TargetType> {
    let t = TargetType::parse(v);
    if t.is_none() {
        add_detail(
            details,
            "target_type",
            crate::api::validate::TARGET_TYPES_MSG.to_string(),
        );
    }
    t
}

fn parse_count(key: &str, v: &str, details: &mut Map<String, Value>) -> Option<usize> {
    match v.trim().parse::<usize>() {
        Ok(n) => Some(n),
        Err(_) => {
            add_detail(
                details,
                key,
                format!("Must be a whole number >= 0, not {v:?}"),
            );
            None
        }
    }
}

async fn list(State(app): Shared, Path(tracker): Path<String>, req: Request) -> Reply {
    let (parts, body) = req.into_parts();
    let t = authorize(&app, &parts, &tracker)?;
    let mut details = Map::new();
    let mut filter = Filter::default();
    let mut sort = Sort::default();
    let mut limit = DEFAULT_LIMIT;
    let mut offset = 0;
    for (k, v) in query_pairs(&parts) {
        match k.as_str() {
            "model" => filter.models.push(v),
            "tag" => filter.tags.push(v),
            "target_type" => {
                if let Some(tt) = parse_target_type(&v, &mut details) {
                    filter.target_types.push(tt);
                }
            }
            "target_identity" => filter.target_identities.push(v),
            "sort" => match Sort::parse(&v) {
                Some(s) => sort = s,
                None => add_detail(
                    &mut details,
                    "sort",
                    "Must be one of: created_at, model, target_type, followed by :asc or :desc"
                        .to_string(),
                ),
            },
            "limit" => {
                if let Some(n) = parse_count("limit", &v, &mut details) {
                    if n > MAX_LIMIT {
                        add_detail(
                            &mut details,
                            "limit",
                            format!("Must be at most {MAX_LIMIT}"),
                        );
                    }
                    limit = n;
                }
            }
            "offset" => {
                if let Some(n) = parse_count("offset", &v, &mut details) {
                    offset = n;
                }
            }
            _ => {}
        }
    }
    let bytes = read_body(body).await?;
    if !bytes.iter().all(u8::is_ascii_whitespace) {
        let m = parse_object(&bytes)?;
        match m.get("criteria") {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                for (i, c) in items.iter().enumerate() {
                    match c {
                        Value::Object(o) => filter.criteria.push(o.clone()),
                        _ => add_detail(
                            &mut details,
                            &format!("criteria[{i}]"),
                            "Must be an object".to_string(),
                        ),
                    }
                }
            }
            Some(_) => add_detail(
                &mut details,
                "criteria",
                "Must be an array of objects".to_string(),
            ),
        }
    }
    if !details.is_empty() {
        return Err(invalid_params(details));
    }
    let json = read(t).list_json(&filter, sort, offset, limit, Timestamp::now());
    ok_json(StatusCode::OK, json)
}

fn parse_flag(key: &str, v: &str, details: &mut Map<String, Value>) -> bool {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => true,
        "false" | "0" | "no" | "" => false,
        _ => {
            add_detail(details, key, "Must be true or false".to_string());
            false
        }
    }
}

async fn export(State(app): Shared, Path(tracker): Path<String>, req: Request) -> Reply {
    let (parts, _) = req.into_parts();
    let t = authorize(&app, &parts, &tracker)?;
    let mut details = Map::new();
    let mut f = ExportFilter::default();
    let mut seen: Vec<String> = Vec::new();
    for (k, v) in query_pairs(&parts) {
        let known = matches!(
            k.as_str(),
            "model"
                | "tag"
                | "target_type"
                | "target_identity"
                | "remove_expired_pins"
                | "remove_nonexisting_item_pins"
        );
        if known {
            if seen.contains(&k) {
                add_detail(&mut details, &k, "Must be given at most once".to_string());
                continue;
            }
            seen.push(k.clone());
        }
        match k.as_str() {
            "model" => f.model = Some(v),
            "tag" => f.tag = Some(v),
            "target_type" => f.target_type = parse_target_type(&v, &mut details),
            "target_identity" => f.target_identity = Some(v),
            "remove_expired_pins" => f.remove_expired_pins = parse_flag(&k, &v, &mut details),
            "remove_nonexisting_item_pins" => {
                f.remove_nonexisting_item_pins = parse_flag(&k, &v, &mut details)
            }
            _ => {}
        }
    }
    if !details.is_empty() {
        return Err(invalid_params(details));
    }
    // The rows are taken as handles under the lock and written out a chunk at a time, so
    // a 100k-row answer never sits in memory whole.
    let mut snap = read(t).export_snapshot(&f, Timestamp::now());
    let chunks = std::iter::from_fn(move || {
        let mut out = String::with_capacity(EXPORT_CHUNK + 4096);
        snap.next_chunk(EXPORT_CHUNK, &mut out)
            .then(|| Ok::<_, std::convert::Infallible>(axum::body::Bytes::from(out)))
    });
    Ok((
        StatusCode::OK,
        [(CONTENT_TYPE, JSON)],
        Body::from_stream(futures::stream::iter(chunks)),
    )
        .into_response())
}

/// How many bytes of an export answer are written at a time.
const EXPORT_CHUNK: usize = 64 * 1024;

/// Splits an NDJSON body that arrives in pieces into lines, each handed on as soon as it
/// is whole, so the body is never held in one buffer: only a line cut between two pieces
/// is copied. Lines are numbered from 1 over every line of the body; blank lines are
/// skipped (but counted), `\r\n` is accepted.
#[derive(Debug, Default)]
struct NdjsonLines {
    /// Lines seen so far.
    number: usize,
    /// The start of a line whose end has not arrived yet.
    partial: Vec<u8>,
}

impl NdjsonLines {
    /// Takes the next piece of the body.
    fn feed(&mut self, mut piece: &[u8], f: &mut impl FnMut(usize, &[u8])) {
        while let Some(end) = memchr::memchr(b'\n', piece) {
            if self.partial.is_empty() {
                emit(&mut self.number, &piece[..end], f);
            } else {
                self.partial.extend_from_slice(&piece[..end]);
                emit(&mut self.number, &self.partial, f);
                self.partial.clear();
            }
            piece = &piece[end + 1..];
        }
        self.partial.extend_from_slice(piece);
    }

    /// The body has ended: the last line needs no `\n`.
    fn finish(mut self, f: &mut impl FnMut(usize, &[u8])) {
        emit(&mut self.number, &self.partial, f);
    }
}

fn emit(number: &mut usize, line: &[u8], f: &mut impl FnMut(usize, &[u8])) {
    *number += 1;
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if !line.iter().all(u8::is_ascii_whitespace) {
        f(*number, line);
    }
}

async fn bulk(State(app): Shared, Path(tracker): Path<String>, req: Request) -> Reply {
    let (parts, body) = req.into_parts();
    let t = authorize(&app, &parts, &tracker)?;
    let mut strategy = ConflictStrategy::Raise;
    for (k, v) in query_pairs(&parts) {
        if k == "conflict_strategy" {
            match ConflictStrategy::parse(&v) {
                Some(s) => strategy = s,
                None => {
                    let mut d = Map::new();
                    add_detail(
                        &mut d,
                        "conflict_strategy",
                        "Must be one of: raise, ignore, override".to_string(),
                    );
                    return Err(invalid_params(d));
                }
            }
        }
    }
    // Each line is read and validated as soon as it has arrived. Past the limit, lines are
    // only counted: the body is still read to its end, so the client gets the answer
    // instead of a connection closed while it sends.
    let mut details = Map::new();
    // Room for the lines the body can hold (a valid line has over 50 bytes), so the list
    // is not copied as it grows.
    let room = parts
        .headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
        .map_or(0, |len| (len / 50 + 1).min(MAX_BULK_LINES));
    let mut items = Vec::with_capacity(room);
    let mut count = 0usize;
    let mut spare = Spare::default();
    let mut take = |n: usize, line: &[u8]| {
        count += 1;
        if count > MAX_BULK_LINES {
            return;
        }
        match prepare_line(line, &mut spare) {
            Ok(p) => items.push((n, p)),
            Err(violations) => {
                for v in violations {
                    let key = if v.path.is_empty() {
                        format!("line {n}")
                    } else {
                        format!("line {n}: {}", v.path)
                    };
                    add_detail(&mut details, &key, v.message);
                }
            }
        }
    };
    let mut lines = NdjsonLines::default();
    let mut stream = body.into_data_stream();
    let mut received = 0usize;
    while let Some(piece) = stream.next().await {
        let piece = piece.map_err(|_| body_too_large())?;
        received += piece.len();
        if received > MAX_BODY {
            return Err(body_too_large());
        }
        lines.feed(&piece, &mut take);
    }
    lines.finish(&mut take);
    if count > MAX_BULK_LINES {
        return Err(plain_fail(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("Too many customizations in one request: {count} (at most {MAX_BULK_LINES})"),
        ));
    }
    if !details.is_empty() {
        return Err(fail(
            StatusCode::UNPROCESSABLE_ENTITY,
            INVALID_REASON,
            details,
        ));
    }
    let outcome = write(t).bulk(items, strategy, now_seconds());
    match outcome {
        Ok(report) => {
            if report.created + report.replaced > 0 {
                app.changed();
            }
            ok_json(StatusCode::OK, "{}".to_string())
        }
        Err(details) => Err(fail(
            StatusCode::CONFLICT,
            "Conflicting customizations (conflict_strategy=raise); nothing was written",
            details,
        )),
    }
}

impl App {
    pub(crate) fn log(&self, method: &Method, path: &str, status: &str, started: Instant) {
        if self.log_requests {
            let ms = started.elapsed().as_secs_f64() * 1000.0;
            eprintln!("{method} {path} {status} {ms:.1}ms");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The lines of `body` when it arrives in pieces cut at `cuts`.
    fn lines_of(body: &[u8], cuts: &[usize]) -> Vec<(usize, Vec<u8>)> {
        let mut out = Vec::new();
        let mut f = |n: usize, l: &[u8]| out.push((n, l.to_vec()));
        let mut lines = NdjsonLines::default();
        let mut from = 0;
        for &c in cuts.iter().chain([&body.len()]) {
            lines.feed(&body[from..c], &mut f);
            from = c;
        }
        lines.finish(&mut f);
        out
    }

    #[test]
    fn ndjson_lines_count_blank_lines_and_accept_crlf() {
        let body = b"a\r\n\n  \r\nb\nc";
        let want = vec![(1, b"a".to_vec()), (4, b"b".to_vec()), (5, b"c".to_vec())];
        assert_eq!(lines_of(body, &[]), want);
        // Wherever the body is cut, and into however many pieces, the lines are the same.
        for i in 0..=body.len() {
            assert_eq!(lines_of(body, &[i]), want, "cut at {i}");
            for j in i..=body.len() {
                assert_eq!(lines_of(body, &[i, j]), want, "cut at {i} and {j}");
            }
        }
        let every_byte: Vec<usize> = (1..body.len()).collect();
        assert_eq!(lines_of(body, &every_byte), want);
        assert!(lines_of(b"", &[]).is_empty());
        assert!(lines_of(b"\n\n", &[1]).is_empty());
        assert_eq!(lines_of(b"\n\nx\n", &[]), [(3, b"x".to_vec())]);
    }
}
