//! Signature failures: each is a 401 that says what failed and never what was expected.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use pinscope::api::ListQuery;
use pinscope::api::sign::NDJSON_CONTENT_TYPE;
use serde_json::Value;

use crate::helpers::*;

fn reason_of(v: &Value) -> String {
    v["reason"].as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn wrong_key_is_a_signature_mismatch() {
    let r = emulator().await;
    let e = client_for(&r, TRACKER, "not-the-key")
        .list(&ListQuery::default())
        .await
        .expect_err("refused");
    assert_eq!(status(&e), 401);
    assert!(reason(&e).starts_with("Signature mismatch"), "{e}");
    // The key of another tracker is wrong too.
    let e = client_for(&r, TRACKER, OTHER_KEY)
        .summary()
        .await
        .expect_err("refused");
    assert_eq!(status(&e), 401);

    // The answer never carries what the signature should have been.
    let raw = Raw::api("POST", "/scopes");
    let expected = raw.expected_signature();
    let mut wrong = raw.clone();
    wrong.authorization = Some(format!("ApiAuth {TRACKER}:AAAA{}", &expected[4..]));
    let (s, headers, v) = wrong.send(&r).await;
    assert_eq!(s, 401);
    let everything = format!("{v} {headers:?}");
    assert!(!everything.contains(&expected), "{everything}");
    assert!(!everything.contains(KEY), "{everything}");
}

#[tokio::test]
async fn stale_or_future_dates_are_refused_with_a_clock_hint() {
    let r = emulator().await;
    for offset in [-60i64, 60, -3600] {
        let clock = Arc::new(move || {
            if offset < 0 {
                SystemTime::now() - Duration::from_secs(offset.unsigned_abs())
            } else {
                SystemTime::now() + Duration::from_secs(offset as u64)
            }
        });
        let e = client(&r)
            .with_clock(clock)
            .list(&ListQuery::default())
            .await
            .expect_err("refused");
        assert_eq!(status(&e), 401, "{offset}");
        assert!(reason(&e).contains("check the clock"), "{e}");
        assert!(
            reason(&e).contains(if offset < 0 { "behind" } else { "ahead" }),
            "{e}"
        );
        // The client can show both clocks: the server sends its Date.
        assert!(e.as_status().and_then(|s| s.server_date.clone()).is_some());
    }
    // A few seconds off is within the tolerance.
    let clock = Arc::new(|| SystemTime::now() - Duration::from_secs(2));
    client(&r)
        .with_clock(clock)
        .list(&ListQuery::default())
        .await
        .expect("within the skew");
}

#[tokio::test]
async fn the_content_type_is_signed_byte_for_byte() {
    let r = emulator().await;
    // Signed one way, sent another.
    for sent in [
        "application/json",
        "application/json;charset=utf-8",
        "application/json; charset=UTF-8",
    ] {
        let mut raw = Raw::api("POST", "/scopes");
        raw.content_type = Some(sent.to_string());
        let (s, _, v) = raw.send(&r).await;
        assert_eq!(s, 401, "{sent}");
        assert!(reason_of(&v).starts_with("Signature mismatch"), "{v}");
    }
    // Whatever is sent and signed alike is accepted.
    let (s, _, v) = Raw::api("POST", "/scopes")
        .content_type("application/json")
        .send(&r)
        .await;
    assert_eq!(s, 200, "{v}");
    // Bulk with the JSON content type signed as NDJSON.
    let mut raw = Raw::api("POST", "/scopes/_bulk").body(ndjson(&[item("m", "x").into_value()]));
    raw.signed_content_type = NDJSON_CONTENT_TYPE.to_string();
    let (s, _, _) = raw.send(&r).await;
    assert_eq!(s, 401);
    // No Content-Type at all.
    let mut raw = Raw::api("POST", "/scopes");
    raw.content_type = None;
    let (s, _, v) = raw.send(&r).await;
    assert_eq!(s, 401);
    assert!(reason_of(&v).contains("Content-Type"), "{v}");
}

#[tokio::test]
async fn the_path_is_signed_without_its_query_string() {
    let r = emulator().await;
    let target = "/v1/recommender/pin/1234-5678/scopes?limit=5&model=basket";
    let mut raw = Raw::new("POST", target);
    raw.signed_path = Some(target.to_string());
    let (s, _, v) = raw.send(&r).await;
    assert_eq!(s, 401, "{v}");
    assert!(reason_of(&v).starts_with("Signature mismatch"), "{v}");
    let (s, _, v) = Raw::new("POST", target).send(&r).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["pagination"]["total"], 0);
    // Another path signed than the one requested.
    let mut raw = Raw::api("GET", "/summary");
    raw.signed_path = Some("/v1/recommender/pin/1234-5678/scopes".into());
    assert_eq!(raw.send(&r).await.0, 401);
    // And the method is signed.
    let mut raw = Raw::api("GET", "/summary");
    let sig = {
        let mut post = raw.clone();
        post.method = "POST";
        post.expected_signature()
    };
    raw.authorization = Some(format!("ApiAuth {TRACKER}:{sig}"));
    assert_eq!(raw.send(&r).await.0, 401);
}

#[tokio::test]
async fn missing_and_malformed_headers_name_what_failed() {
    let r = emulator().await;
    let mut raw = Raw::api("GET", "/summary");
    raw.authorization = Some(String::new());
    let (s, _, v) = raw.send(&r).await;
    assert_eq!(
        (s, reason_of(&v).as_str()),
        (401, "Missing Authorization header")
    );

    for bad in [
        "ApiAuth",
        "ApiAuth 1234-5678",
        "ApiAuth :sig",
        "ApiAuth 1234-5678:",
        "garbage",
    ] {
        let mut raw = Raw::api("GET", "/summary");
        raw.authorization = Some(bad.to_string());
        let (s, _, v) = raw.send(&r).await;
        assert_eq!(s, 401, "{bad}");
        assert!(
            reason_of(&v).starts_with("Malformed Authorization header"),
            "{bad}: {v}"
        );
    }

    let mut raw = Raw::api("GET", "/summary");
    raw.date = None;
    let (s, _, v) = raw.send(&r).await;
    assert_eq!((s, reason_of(&v).as_str()), (401, "Missing Date header"));

    for bad in [
        "yesterday",
        "2025-01-20T12:00:00Z",
        "Mon, 32 Jan 2025 12:00:00 GMT",
    ] {
        let mut raw = Raw::api("GET", "/summary");
        raw.date = Some(bad.to_string());
        let (s, _, v) = raw.send(&r).await;
        assert_eq!(s, 401, "{bad}");
        assert!(
            reason_of(&v).starts_with("Unparsable Date header"),
            "{bad}: {v}"
        );
    }
}

#[tokio::test]
async fn the_tracker_in_the_header_must_be_the_one_in_the_path() {
    let r = emulator().await;
    let mut raw = Raw::api("GET", "/summary");
    raw.tracker = OTHER_TRACKER.to_string();
    raw.key = OTHER_KEY.to_string();
    let (s, _, v) = raw.send(&r).await;
    assert_eq!(s, 401);
    assert!(reason_of(&v).starts_with("Tracker mismatch"), "{v}");
    assert!(reason_of(&v).contains(OTHER_TRACKER), "{v}");
}

#[tokio::test]
async fn the_word_before_the_tracker_is_not_checked() {
    let r = emulator().await;
    for word in ["ApiAuth", "HMAC", "x"] {
        let mut raw = Raw::api("GET", "/summary");
        raw.authorization = Some(format!("{word} {TRACKER}:{}", raw.expected_signature()));
        let (s, _, v) = raw.send(&r).await;
        assert_eq!(s, 200, "{word}: {v}");
    }
}

#[tokio::test]
async fn every_endpoint_is_signed() {
    let r = emulator().await;
    let id = "199620b4-df1a-46e8-ab59-9e9ed9af7106";
    for (method, sub) in [
        ("POST", "/scope".to_string()),
        ("POST", "/scopes/_bulk".to_string()),
        ("GET", format!("/scope/{id}")),
        ("POST", "/scopes".to_string()),
        ("PUT", format!("/scope/{id}")),
        ("DELETE", format!("/scope/{id}")),
        ("GET", "/summary".to_string()),
        ("POST", "/scopes/export".to_string()),
    ] {
        let mut raw = Raw::api(method, &sub);
        raw.key = "wrong".into();
        let (s, _, v) = raw.send(&r).await;
        assert_eq!(s, 401, "{method} {sub}: {v}");
        let mut raw = Raw::api(method, &sub);
        raw.authorization = Some(String::new());
        assert_eq!(raw.send(&r).await.0, 401, "{method} {sub}");
    }
}

#[tokio::test]
async fn the_vendor_test_vector_key_signs_for_the_emulator() {
    // The contract's vector: key `secret`, GET summary.
    let r = pinscope::emulator::start(pinscope::emulator::EmulatorConfig::new(
        "127.0.0.1:0".parse().expect("addr"),
        vec![("1234-5678".into(), pinscope::api::Secret::new("secret"))],
    ))
    .await
    .expect("start");
    let date = httpdate::fmt_http_date(SystemTime::now());
    let sig = pinscope::api::sign::signature(
        &pinscope::api::Secret::new("secret"),
        &sts(
            "GET",
            "application/json; charset=utf-8",
            &date,
            "/v1/recommender/pin/1234-5678/summary",
        ),
    );
    pinscope::api::client::install_tls_provider();
    let resp = reqwest::Client::new()
        .get(format!("{}/v1/recommender/pin/1234-5678/summary", r.url()))
        .header("Content-Type", "application/json; charset=utf-8")
        .header("Date", &date)
        .header("Authorization", format!("ApiAuth 1234-5678:{sig}"))
        .send()
        .await
        .expect("answer");
    assert_eq!(resp.status().as_u16(), 200);
}
