//! Connections: idle ones are closed, a cap keeps one client from starving the others;
//! one data file, one emulator.

use std::time::Duration;

use pinscope::emulator::{EmulatorError, start};
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

use crate::helpers::*;

/// Reads until the server closes the connection; `true` when it did (EOF or reset) within
/// a minute, a bound that only keeps a broken build from hanging the suite.
async fn closed_by_server(s: &mut TcpStream) -> bool {
    let mut buf = [0u8; 64];
    matches!(
        tokio::time::timeout(Duration::from_secs(60), s.read(&mut buf)).await,
        Ok(Ok(0) | Err(_))
    )
}

#[tokio::test]
async fn an_idle_connection_is_closed() {
    let mut cfg = config();
    cfg.idle_timeout = Duration::from_millis(200);
    let r = start(cfg).await.expect("start");
    let mut idle = TcpStream::connect(r.addr).await.expect("connect");
    assert!(
        closed_by_server(&mut idle).await,
        "the idle connection stays open"
    );
    // Half a request is no better than none.
    let mut half = TcpStream::connect(r.addr).await.expect("connect");
    tokio::io::AsyncWriteExt::write_all(&mut half, b"GET /v1/recommender/pin/")
        .await
        .expect("write");
    assert!(
        closed_by_server(&mut half).await,
        "the half request stays open"
    );
    // After an answer, a kept-alive connection is idle again, and closed in its turn.
    let mut answered = TcpStream::connect(r.addr).await.expect("connect");
    tokio::io::AsyncWriteExt::write_all(
        &mut answered,
        b"GET /v1/recommender/pin/1234-5678/summary HTTP/1.1\r\nhost: x\r\n\r\n",
    )
    .await
    .expect("write");
    let mut got = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(60), answered.read_to_end(&mut got)).await;
    assert!(read.is_ok(), "the answered connection stays open");
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("HTTP/1.1 401"), "{text}");
    // Requests still work.
    client(&r).summary().await.expect("summary");
    r.shutdown().await;
}

#[tokio::test]
async fn at_the_cap_the_longest_idle_connection_makes_room() {
    let mut cfg = config();
    cfg.max_connections = 3;
    let r = start(cfg).await.expect("start");
    let mut idle = Vec::new();
    for _ in 0..3 {
        idle.push(TcpStream::connect(r.addr).await.expect("connect"));
    }
    // More idle connections than the cap: each new one pushes out the oldest idle one.
    for _ in 0..5 {
        idle.push(TcpStream::connect(r.addr).await.expect("connect"));
    }
    assert!(
        closed_by_server(&mut idle[0]).await,
        "the first idle connection was not closed"
    );
    // A client with real work is served while the idle ones hold every slot.
    let c = client(&r);
    c.create(&item("m", "/p/1")).await.expect("create");
    assert_eq!(r.count(TRACKER), Some(1));
    assert!(
        r.connections() <= 3,
        "{} connections open, the cap is 3",
        r.connections()
    );
    r.shutdown().await;
}

#[tokio::test]
async fn two_emulators_cannot_share_a_data_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("store.ndjson");
    let mut cfg = config();
    cfg.data = Some(path.clone());
    let first = start(cfg.clone()).await.expect("first");
    match start(cfg.clone()).await {
        Err(EmulatorError::Locked(e)) => {
            let m = e.to_string();
            assert!(m.contains("in use by another pinscope process"), "{m}");
        }
        Err(e) => panic!("expected Locked, got {e}"),
        Ok(_) => panic!("a second emulator started on the same data file"),
    }
    first.shutdown().await;
    let again = start(cfg).await.expect("free once the first stopped");
    again.shutdown().await;
}
