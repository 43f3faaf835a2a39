//! The client against a server that misbehaves on purpose: huge bodies, bodies that
//! trickle, a `Retry-After` of thirty years, no answer at all, pages that lie, escape
//! sequences in error text.

#[path = "../common/hostile.rs"]
mod server;

use std::time::Duration;

use pinscope::api::client::{Deadline, Limits};
use pinscope::api::{ApiError, Client, ClientConfig, ExportQuery, ListQuery, RetryPolicy, Secret};
use serde_json::json;
use server::{Hostile, Reply, Request};

const ID: &str = "0f8fad5b-d9cb-469f-a165-70867728950e";

fn client(h: &Hostile) -> Client {
    Client::new(ClientConfig::new(h.url(), "1234-5678", Secret::new("k")))
        .expect("client")
        .with_retry(RetryPolicy::NONE)
}

fn quick_retry(max_retries: u32) -> RetryPolicy {
    RetryPolicy {
        max_retries,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(20),
    }
}

fn row(id: &str) -> serde_json::Value {
    json!({"id": id, "model": "m", "target_type": "all", "pin_definitions": []})
}

#[tokio::test]
async fn an_object_larger_than_the_limit_is_not_read() {
    // Announced: 2 GB.
    let h = Hostile::always(Reply::Flood {
        status: 200,
        prefix: b"{\"model\":\"".to_vec(),
        filler: b"x".to_vec(),
        total: Some(2 << 30),
        announce: true,
    });
    let e = client(&h).get(ID).await.expect_err("too large");
    assert!(matches!(e, ApiError::Decode { .. }), "{e:?}");
    assert!(
        e.to_string().contains("larger than the 4 MiB allowed"),
        "{e}"
    );
    // Not announced: read up to the limit, then refused.
    let h = Hostile::always(Reply::Flood {
        status: 200,
        prefix: b"{\"model\":\"".to_vec(),
        filler: b"x".to_vec(),
        total: None,
        announce: false,
    });
    let e = client(&h).summary().await.expect_err("too large");
    assert!(
        e.to_string().contains("larger than the 4 MiB allowed"),
        "{e}"
    );
}

#[tokio::test]
async fn a_list_page_larger_than_the_page_limit_is_refused() {
    let h = Hostile::always(Reply::Flood {
        status: 200,
        prefix: b"{\"pagination\":{\"total\":1},\"results\":[{\"model\":\"".to_vec(),
        filler: b"y".to_vec(),
        total: None,
        announce: false,
    });
    let c = client(&h).with_limits(Limits {
        object_bytes: 64 << 10,
        page_bytes: 1 << 20,
    });
    let e = c.list(&ListQuery::default()).await.expect_err("too large");
    assert!(
        e.to_string().contains("larger than the 1 MiB allowed"),
        "{e}"
    );
}

#[tokio::test]
async fn an_export_streams_its_rows_and_refuses_a_row_over_the_limit() {
    let rows: Vec<_> = (0..50).map(|i| row(&format!("id-{i}"))).collect();
    let body = json!({"pagination": {"x": [1, {"results": 2}]}, "results": rows, "after": "]"});
    let h = Hostile::always(Reply::json(200, &body));
    let c = client(&h).with_limits(Limits {
        object_bytes: 1024,
        page_bytes: 1 << 20,
    });
    let mut stream = c
        .export_rows(&ExportQuery::default())
        .await
        .expect("export");
    let mut got = Vec::new();
    while let Some(r) = stream.next().await.expect("row") {
        got.push(r.id().unwrap_or_default().to_string());
    }
    assert_eq!(got.len(), 50);
    assert_eq!(got[49], "id-49");
    assert_eq!(
        c.export(&ExportQuery::default()).await.expect("all").len(),
        50
    );

    let h = Hostile::always(Reply::Flood {
        status: 200,
        prefix: b"{\"results\":[{\"model\":\"m\"},{\"model\":\"".to_vec(),
        filler: b"z".to_vec(),
        total: None,
        announce: false,
    });
    let c = client(&h).with_limits(Limits {
        object_bytes: 64 << 10,
        page_bytes: 1 << 20,
    });
    let mut stream = c
        .export_rows(&ExportQuery::default())
        .await
        .expect("export");
    assert!(stream.next().await.expect("first row").is_some());
    let e = stream.next().await.expect_err("second row too large");
    assert!(
        e.to_string()
            .contains("a row is larger than the 64 KiB allowed"),
        "{e}"
    );
}

#[tokio::test]
async fn a_body_that_trickles_times_out() {
    let body = serde_json::to_vec(&row(ID)).expect("json");
    let h = Hostile::always(Reply::Trickle {
        status: 200,
        prefix: body[..5].to_vec(),
        rest: body[5..].to_vec(),
        every: Duration::from_millis(400),
    });
    let mut cfg = ClientConfig::new(h.url(), "1234-5678", Secret::new("k"));
    cfg.request_timeout = Duration::from_secs(1);
    cfg.retry = RetryPolicy::NONE;
    let c = Client::new(cfg).expect("client");
    let e = c.get(ID).await.expect_err("trickle");
    assert!(matches!(e, ApiError::Timeout { .. }), "{e:?}");

    // An export row that does not complete within the request timeout.
    let export = br#"{"results":[{"model":"m","target_type":"all","pin_definitions":[]}]}"#;
    let h = Hostile::always(Reply::Trickle {
        status: 200,
        prefix: export[..12].to_vec(),
        rest: export[12..].to_vec(),
        every: Duration::from_millis(400),
    });
    let mut cfg = ClientConfig::new(h.url(), "1234-5678", Secret::new("k"));
    cfg.request_timeout = Duration::from_secs(1);
    cfg.retry = RetryPolicy::NONE;
    let c = Client::new(cfg).expect("client");
    let mut rows = c.export_rows(&ExportQuery::default()).await.expect("head");
    let e = rows.next().await.expect_err("trickle");
    assert!(matches!(e, ApiError::Timeout { .. }), "{e:?}");
}

#[tokio::test]
async fn a_huge_retry_after_meets_the_deadline_instead_of_waiting() {
    let h = Hostile::always(
        Reply::json(429, &json!({"reason": "Too many requests"}))
            .with_header("Retry-After", "1000000000"),
    );
    let c = client(&h)
        .with_retry(RetryPolicy::default())
        .with_deadline(Deadline::after(Duration::from_secs(3)));
    let e = c.get(ID).await.expect_err("deadline");
    assert!(matches!(e, ApiError::Deadline { .. }), "{e:?}");
    let text = e.to_string();
    assert!(text.contains("time limit of 3s ran out"), "{text}");
    assert!(text.contains("429"), "{text}");
    // The capped wait (10 s) is longer than what is left: no second request.
    assert_eq!(h.count(), 1);
    // The cap itself.
    assert_eq!(
        RetryPolicy::default().delay(1, &e_with_retry_after()),
        Duration::from_secs(10)
    );
}

fn e_with_retry_after() -> ApiError {
    ApiError::Status(Box::new(pinscope::api::StatusError {
        status: 429,
        method: "GET".into(),
        path: "/".into(),
        reason: String::new(),
        details: Default::default(),
        retry_after: Some(Duration::from_secs(1_000_000_000)),
        server_date: None,
        string_to_sign: None,
        non_json_body: None,
    }))
}

#[tokio::test]
async fn a_server_that_never_answers_meets_the_deadline() {
    let h = Hostile::always(Reply::Silent);
    // The request timeout alone would wait 60 s four times.
    let c = client(&h)
        .with_retry(RetryPolicy::default())
        .with_deadline(Deadline::after(Duration::from_secs(1)));
    let e = c.get(ID).await.expect_err("deadline");
    assert!(
        matches!(
            e,
            ApiError::Deadline {
                in_flight: true,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("time limit of 1s ran out"), "{e}");
}

#[tokio::test]
async fn reads_are_retried_after_a_500_and_creates_are_not() {
    let h = Hostile::start(|r: &Request| {
        if r.method == "GET" && r.path().ends_with("/summary") {
            // Fails twice, then answers.
            static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
            if N.fetch_add(1, std::sync::atomic::Ordering::SeqCst) < 2 {
                return Reply::json(500, &json!({"reason": "Internal server error"}));
            }
            return Reply::json(200, &json!({"scope_counts": {"m": 1}, "user_tags": []}));
        }
        Reply::json(500, &json!({"reason": "Internal server error"}))
    });
    let c = client(&h).with_retry(quick_retry(3));
    c.summary().await.expect("retried past two 500s");
    assert_eq!(h.count(), 3);
    let created = c
        .create(&pinscope::api::Customization::from_value(row(ID)).expect("object"))
        .await;
    assert_eq!(created.expect_err("500").status(), Some(500));
    assert_eq!(h.count(), 4, "a create is never repeated after a 500");
}

/// Answers list requests with `page(offset, limit)`.
fn lister(page: impl Fn(u64, u64) -> serde_json::Value + Send + Sync + 'static) -> Hostile {
    Hostile::start(move |r: &Request| {
        let offset = r.query("offset").and_then(|v| v.parse().ok()).unwrap_or(0);
        let limit = r.query("limit").and_then(|v| v.parse().ok()).unwrap_or(10);
        Reply::json(200, &page(offset, limit))
    })
}

fn rows(from: u64, n: u64) -> Vec<serde_json::Value> {
    (from..from + n).map(|i| row(&format!("id-{i}"))).collect()
}

#[tokio::test]
async fn lying_pages_stop_a_walk() {
    let q = ListQuery {
        limit: Some(5),
        ..ListQuery::default()
    };
    // Ignores the offset: the first page again and again.
    let h = lister(|_, _| json!({"pagination": {"total": 1_000_000}, "results": rows(0, 5)}));
    let e = client(&h).list_all(&q).await.expect_err("repeats");
    assert!(e.to_string().contains("only repeats rows"), "{e}");
    assert_eq!(h.count(), 2);

    // Empty pages while the total promises more.
    let h = lister(|o, _| {
        let r = if o == 0 { rows(0, 5) } else { Vec::new() };
        json!({"pagination": {"total": 300}, "results": r})
    });
    let e = client(&h).list_all(&q).await.expect_err("empty");
    assert!(
        e.to_string().contains("is empty although the total is 300"),
        "{e}"
    );

    // Fresh rows forever, past the total it gives.
    let h = lister(|o, l| json!({"pagination": {"total": 7}, "results": rows(o, l)}));
    let e = client(&h).list_all(&q).await.expect_err("past total");
    assert!(
        e.to_string()
            .contains("10 rows received although the total is 7"),
        "{e}"
    );

    // More rows than asked for.
    let h = lister(|o, l| json!({"pagination": {"total": 100}, "results": rows(o, l + 1)}));
    let e = client(&h).list_all(&q).await.expect_err("too many");
    assert!(
        e.to_string()
            .contains("holds 6 rows although 5 were asked for"),
        "{e}"
    );

    // An honest server still works.
    let h = lister(
        |o, l| json!({"pagination": {"total": 12}, "results": rows(o, l.min(12u64.saturating_sub(o)))}),
    );
    assert_eq!(client(&h).list_all(&q).await.expect("all").len(), 12);
}

#[tokio::test]
async fn escape_sequences_in_error_text_are_stripped() {
    let reason =
        "Customization not found\u{1b}]0;pwned\u{7}\u{1b}[2J\u{1b}]52;c;aGVsbG8=\u{7}\u{9b}1m";
    let h = Hostile::always(Reply::json(
        404,
        &json!({"reason": reason, "exception_details": {"id\u{1b}[31m": ["bad\u{1b}]0;x\u{7}"]}}),
    ));
    let e = client(&h).get(ID).await.expect_err("404");
    let text = e.explain();
    assert!(
        !text.chars().any(|c| c.is_control() && c != '\n'),
        "{text:?}"
    );
    assert!(
        text.contains("Customization not found]0;pwned[2J]52;c;aGVsbG8=1m"),
        "{text}"
    );
    // A body that is not JSON is quoted without its controls too.
    let h = Hostile::always(Reply::Full {
        status: 502,
        headers: Vec::new(),
        body: b"<html>\x1b]0;pwned\x07bad gateway</html>".to_vec(),
    });
    let text = client(&h).get(ID).await.expect_err("502").explain();
    assert!(!text.chars().any(char::is_control), "{text:?}");
}
