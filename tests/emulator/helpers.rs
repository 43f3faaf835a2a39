//! Shared set-up: an emulator on a free loopback port, clients, raw signed requests.

#![allow(dead_code)]

use std::time::SystemTime;

use pinscope::api::sign::{JSON_CONTENT_TYPE, signature, string_to_sign};
use pinscope::api::{ApiError, Client, ClientConfig, Customization, RetryPolicy, Secret};
use pinscope::emulator::{EmulatorConfig, Running, start};
use serde_json::{Value, json};

pub const TRACKER: &str = "1234-5678";
pub const KEY: &str = "test-private-key-1";
pub const OTHER_TRACKER: &str = "8765-4321";
pub const OTHER_KEY: &str = "test-private-key-2";

pub fn config() -> EmulatorConfig {
    EmulatorConfig::new(
        "127.0.0.1:0".parse().expect("address"),
        vec![
            (TRACKER.to_string(), Secret::new(KEY)),
            (OTHER_TRACKER.to_string(), Secret::new(OTHER_KEY)),
        ],
    )
}

pub async fn emulator() -> Running {
    start(config()).await.expect("emulator starts")
}

pub fn client_for(r: &Running, tracker: &str, key: &str) -> Client {
    Client::new(ClientConfig::new(r.url(), tracker, Secret::new(key)))
        .expect("client")
        .with_retry(RetryPolicy::NONE)
}

/// A client for the first tracker, without retries.
pub fn client(r: &Running) -> Client {
    client_for(r, TRACKER, KEY)
}

pub fn cust(v: Value) -> Customization {
    Customization::from_value(v).expect("an object")
}

/// A valid item customization with one pin.
pub fn item(model: &str, identity: &str) -> Customization {
    cust(json!({
        "model": model,
        "target_type": "item",
        "target_identity": identity,
        "pin_definitions": [{"position": 1, "pin_type": "item", "pin_identity": "/p/pinned"}]
    }))
}

pub fn ndjson(lines: &[Value]) -> Vec<u8> {
    let mut out = Vec::new();
    for l in lines {
        out.extend_from_slice(l.to_string().as_bytes());
        out.push(b'\n');
    }
    out
}

pub fn status(e: &ApiError) -> u16 {
    e.status()
        .unwrap_or_else(|| panic!("expected a status error, got {e:?}"))
}

pub fn reason(e: &ApiError) -> String {
    e.as_status()
        .unwrap_or_else(|| panic!("expected a status error, got {e:?}"))
        .reason
        .clone()
}

pub fn details(e: &ApiError) -> Value {
    Value::Object(
        e.as_status()
            .unwrap_or_else(|| panic!("expected a status error, got {e:?}"))
            .details
            .clone(),
    )
}

/// A request built by hand, to send what the client never would.
#[derive(Clone, Debug)]
pub struct Raw {
    pub method: &'static str,
    /// Path and query as sent.
    pub target: String,
    pub key: String,
    pub tracker: String,
    /// The Content-Type sent (`None`: no header).
    pub content_type: Option<String>,
    /// The Content-Type signed.
    pub signed_content_type: String,
    /// What is signed as the path (the default: `target` without its query).
    pub signed_path: Option<String>,
    pub date: Option<String>,
    /// Replaces the whole Authorization header (`Some("")`: no header).
    pub authorization: Option<String>,
    pub body: Vec<u8>,
}

impl Raw {
    pub fn new(method: &'static str, target: impl Into<String>) -> Raw {
        Raw {
            method,
            target: target.into(),
            key: KEY.to_string(),
            tracker: TRACKER.to_string(),
            content_type: Some(JSON_CONTENT_TYPE.to_string()),
            signed_content_type: JSON_CONTENT_TYPE.to_string(),
            signed_path: None,
            date: Some(httpdate::fmt_http_date(SystemTime::now())),
            authorization: None,
            body: Vec::new(),
        }
    }

    /// `/v1/recommender/pin/{TRACKER}` + `sub`.
    pub fn api(method: &'static str, sub: &str) -> Raw {
        Raw::new(method, format!("/v1/recommender/pin/{TRACKER}{sub}"))
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Raw {
        self.body = body.into();
        self
    }

    pub fn content_type(mut self, ct: &str) -> Raw {
        self.content_type = Some(ct.to_string());
        self.signed_content_type = ct.to_string();
        self
    }

    pub fn expected_signature(&self) -> String {
        let path = self
            .signed_path
            .clone()
            .unwrap_or_else(|| self.target.split('?').next().unwrap_or("").to_string());
        let sts = format!(
            "{}\n{}\n{}\n{}",
            self.method,
            self.signed_content_type,
            self.date.clone().unwrap_or_default(),
            path
        );
        signature(&Secret::new(self.key.clone()), &sts)
    }

    pub async fn send(&self, r: &Running) -> (u16, reqwest::header::HeaderMap, Value) {
        pinscope::api::client::install_tls_provider();
        let http = reqwest::Client::new();
        let method = reqwest::Method::from_bytes(self.method.as_bytes()).expect("method");
        let mut b = http.request(method, format!("{}{}", r.url(), self.target));
        if let Some(ct) = &self.content_type {
            b = b.header("Content-Type", ct);
        }
        if let Some(d) = &self.date {
            b = b.header("Date", d);
        }
        match &self.authorization {
            Some(a) if a.is_empty() => {}
            Some(a) => b = b.header("Authorization", a),
            None => {
                b = b.header(
                    "Authorization",
                    format!("ApiAuth {}:{}", self.tracker, self.expected_signature()),
                )
            }
        }
        let resp = b.body(self.body.clone()).send().await.expect("answer");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.expect("body");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&bytes)))
        };
        (status, headers, body)
    }
}

/// `string_to_sign` re-exported for tests that build their own.
pub fn sts(method: &str, ct: &str, date: &str, path: &str) -> String {
    string_to_sign(method, ct, date, path)
}
