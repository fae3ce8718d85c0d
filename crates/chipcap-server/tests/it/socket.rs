//! Over a real socket on 127.0.0.1 (port 0): a determination, and a graceful shutdown that
//! finishes a ledger write in flight.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::*;

type Started = (
    SocketAddr,
    std::sync::Arc<chipcap_server::AppState>,
    Tokens,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
);

async fn start() -> Started {
    start_with(chipcap_server::ServeOptions::default()).await
}

async fn start_with(opts: chipcap_server::ServeOptions) -> Started {
    let (st, t) = state_with(Config::default(), true);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let app = chipcap_server::router(st.clone());
    let h = tokio::spawn(async move {
        chipcap_server::serve_with(
            listener,
            app,
            async {
                let _ = rx.await;
            },
            opts,
        )
        .await
        .unwrap();
    });
    (addr, st, t, tx, h)
}

fn status_and_body(raw: &str) -> (u16, String) {
    let status = raw
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = raw
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

async fn roundtrip(addr: SocketAddr, raw: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(raw.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    status_and_body(&String::from_utf8_lossy(&out))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_determinations_over_tcp() {
    let (addr, _, _, tx, h) = start().await;
    let body = std::fs::read_to_string(root().join("examples/tier2-licence.json")).unwrap();
    let req = format!(
        "POST /v1/determinations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let (status, text) = roundtrip(addr, &req).await;
    assert_eq!(status, 200, "{text}");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["decision"], "license_required");
    let (status, _) = roundtrip(
        addr,
        "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(status, 200);
    tx.send(()).unwrap();
    h.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_finishes_a_write_in_flight() {
    let (addr, st, t, tx, h) = start().await;
    let body =
        r#"{"id":"p-inflight","date":"2025-01-15","name":"Gulf Compute","headquarters":"AE"}"#;
    let (head, tail) = body.split_at(20);
    let mut s = TcpStream::connect(addr).await.unwrap();
    let req = format!(
        "POST /v1/ledger/parties HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{head}",
        t.officer,
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    // Wait (on the server's own gauge, no sleep) until the request is being served.
    let wait = async {
        while st.metrics.in_flight() < 1 {
            tokio::task::yield_now().await;
        }
    };
    tokio::time::timeout(Duration::from_secs(10), wait)
        .await
        .unwrap();
    tx.send(()).unwrap();
    s.write_all(tail.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    let (status, text) = status_and_body(&String::from_utf8_lossy(&out));
    assert_eq!(status, 201, "{text}");
    tokio::time::timeout(Duration::from_secs(10), h)
        .await
        .unwrap()
        .unwrap();
    let parties = st.with_ledger(|l| l.entries()).await.unwrap();
    assert_eq!(parties.len(), 1, "the write was kept");
    // The listener is closed: new connections are refused.
    assert!(TcpStream::connect(addr).await.is_err());
}

/// 64 clients at once apply LPP orders for one consignee: the ledger thread group-commits them, and
/// exactly what fits the LPP limit is recorded (never more), each client answered after its commit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_applies_are_group_committed_without_overdrawing() {
    let (addr, st, t, tx, h) = start().await;
    let mut tasks = Vec::new();
    for i in 0..64 {
        let token = t.officer.clone();
        tasks.push(tokio::spawn(async move {
            // 50 H100 each: 33 fit the 26,900,000 TPP limit (33 x 791,600 = 26,122,800), 34 do not.
            let body = format!(
                r#"{{"id":"c-{i}","date":"2025-06-15","rule_set":"ai-diffusion-2025","destination":"IN","items":[{{"chip":"nvidia-h100-sxm","quantity":50}}],"consignee":{{"name":"Crowd AI","headquarters":"IN"}}}}"#
            );
            let req = format!(
                "POST /v1/ledger/apply HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            roundtrip(addr, &req).await
        }));
    }
    let mut recorded = 0;
    for task in tasks {
        let (status, text) = task.await.unwrap();
        assert!(status == 200 || status == 201, "{status} {text}");
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        if v["recorded"] == true {
            recorded += 1;
        } else {
            assert_eq!(v["decision"], "license_required", "{v}");
        }
    }
    assert_eq!(recorded, 33);
    let rows = st
        .with_ledger(|l| l.balances("2025-12-31".parse().unwrap()))
        .await
        .unwrap();
    let lpp = rows
        .iter()
        .find(|r| r.allowance == "lpp" && r.entity.as_deref() == Some("Crowd AI"))
        .unwrap();
    assert_eq!(lpp.used, 33 * 50 * 15_832_000);
    let v = st.with_ledger(|l| l.verify()).await.unwrap();
    assert!(v.problems.is_empty(), "{:?}", v.problems);
    tx.send(()).unwrap();
    h.await.unwrap();
}

fn short() -> chipcap_server::ServeOptions {
    chipcap_server::ServeOptions {
        header_read_timeout: Duration::from_millis(300),
        shutdown_grace: Duration::from_millis(300),
    }
}

/// Reads until the server closes the connection; fails if it is still open after `within`.
async fn closed_within(s: &mut TcpStream, within: Duration) -> Vec<u8> {
    let mut out = Vec::new();
    tokio::time::timeout(within, s.read_to_end(&mut out))
        .await
        .expect("the server kept the connection open")
        .ok();
    out
}

/// Regression (issue 12): a client sending a header byte every so often held its connection for
/// minutes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trickled_header_is_cut_off_by_the_header_read_timeout() {
    let (addr, _, _, tx, h) = start_with(short()).await;
    let s = TcpStream::connect(addr).await.unwrap();
    let (mut r, mut w) = s.into_split();
    // The attacker: one header byte every 50 ms, for as long as the server listens.
    let trickle = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(50));
        for b in b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: "
            .iter()
            .chain(std::iter::repeat(&b'a'))
        {
            tick.tick().await;
            if w.write_all(&[*b]).await.is_err() {
                break;
            }
        }
    });
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), r.read_to_end(&mut out))
        .await
        .expect("the server kept the trickling connection open")
        .ok();
    trickle.abort();
    tx.send(()).unwrap();
    h.await.unwrap();
}

/// Regression (issue 12): an idle kept-alive connection stayed open.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_connection_is_closed_by_the_idle_timeout() {
    let (addr, _, _, tx, h) = start_with(short()).await;
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    // Kept alive after its answer, then idle: closed by the server.
    let out = closed_within(&mut s, Duration::from_secs(5)).await;
    assert!(String::from_utf8_lossy(&out).starts_with("HTTP/1.1 200"));
    tx.send(()).unwrap();
    h.await.unwrap();
}

/// Regression (issue 12): a tiny body announced as 100 GB waited for the request timeout (408)
/// instead of 413 at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_content_length_is_refused_at_once() {
    let (addr, _, _, tx, h) = start().await;
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(
        b"POST /v1/determinations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000000000\r\n\r\n{}",
    )
    .await
    .unwrap();
    // Well inside the 10 s request timeout.
    let out = closed_within(&mut s, Duration::from_secs(3)).await;
    let (status, body) = status_and_body(&String::from_utf8_lossy(&out));
    assert_eq!(status, 413, "{body}");
    assert!(body.contains("payload_too_large"), "{body}");
    tx.send(()).unwrap();
    h.await.unwrap();
}

/// Regression (issue 12): a half-sent request delayed shutdown; it now waits at most the grace.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_does_not_wait_for_a_half_sent_request() {
    let (addr, st, _, tx, h) = start_with(chipcap_server::ServeOptions {
        header_read_timeout: Duration::from_secs(60),
        shutdown_grace: Duration::from_millis(300),
    })
    .await;
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"POST /v1/determinations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"date\"")
        .await
        .unwrap();
    let wait = async {
        while st.metrics.in_flight() < 1 {
            tokio::task::yield_now().await;
        }
    };
    tokio::time::timeout(Duration::from_secs(10), wait)
        .await
        .unwrap();
    tx.send(()).unwrap();
    // Far less than the 10 s request timeout the half-sent request would otherwise hold it for.
    tokio::time::timeout(Duration::from_secs(3), h)
        .await
        .expect("shutdown waited for a half-sent request")
        .unwrap();
    let _ = closed_within(&mut s, Duration::from_secs(3)).await;
}
