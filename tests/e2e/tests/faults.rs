//! Fault injection with a TCP proxy between the client and a real HTTP/2 server (the
//! project's hyper test server): every request ends exactly once with the right error kind,
//! safe requests succeed through a new connection, and nothing leaks.

use std::time::Duration;

use h2o_core::client::Request;
use h2o_core::{Client, Config, ErrorKind, Method};
use h2o_e2e::proxy::{Fault, FaultProxy};
use h2o_e2e::{assert_no_leaks, fetch, get, pattern_sha256};
use h2o_testsupport::TestServer;

fn client(f: impl FnOnce(&mut Config)) -> Client {
    let mut cfg = Config::default();
    f(&mut cfg);
    Client::with_config(cfg).unwrap()
}

fn setup(faults: Vec<Fault>) -> (TestServer, FaultProxy) {
    let server = TestServer::start();
    let proxy = FaultProxy::start(server.addr(), faults);
    (server, proxy)
}

#[test]
fn drop_before_any_byte_then_a_safe_request_succeeds_on_a_new_connection() {
    let (_s, proxy) = setup(vec![Fault::DropBeforeAnyByte]);
    let client = client(|c| c.pool.retry_idempotent = true);
    let f = get(&client, &proxy.url("/hello")).unwrap();
    assert_eq!(f.len, 13);
    assert_eq!(proxy.accepted(), 2);
    assert_no_leaks(&client);
}

#[test]
fn drop_mid_headers() {
    // 60 KB of response headers: the drop lands inside the header block.
    let (_s, proxy) = setup(vec![Fault::DropAfter(5000), Fault::DropAfter(5000)]);
    let plain = client(|_| {});
    let e = get(&plain, &proxy.url("/headers/60000")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io, "{e}");
    assert!(!e.is_unprocessed(), "the server had the request");
    assert_no_leaks(&plain);
    // With idempotent retry on, the GET is replayed on a new connection (no response had
    // started: the head never completed).
    let retrying = client(|c| c.pool.retry_idempotent = true);
    let f = get(&retrying, &proxy.url("/headers/60000")).unwrap();
    assert_eq!(f.status, 200);
    assert_eq!(retrying.stats().requests_retried, 1);
    assert_no_leaks(&retrying);
}

#[test]
fn drop_mid_body_is_never_replayed() {
    let (_s, proxy) = setup(vec![Fault::DropAfter(50_000)]);
    let client = client(|c| c.pool.retry_idempotent = true);
    let e = get(&client, &proxy.url("/bytes/1000000")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io, "{e}");
    assert_eq!(client.stats().requests_retried, 0, "response had started");
    // The next request gets a new connection and the whole body.
    let f = get(&client, &proxy.url("/bytes/1000000")).unwrap();
    assert_eq!(f.sha256, pattern_sha256(1_000_000));
    assert_no_leaks(&client);
}

#[test]
fn delayed_bytes_still_complete() {
    let (_s, proxy) = setup(vec![Fault::DelayMs(20)]);
    let client = client(|_| {});
    let f = get(&client, &proxy.url("/bytes/100000")).unwrap();
    assert_eq!(f.sha256, pattern_sha256(100_000));
    assert_eq!(proxy.accepted(), 1);
    assert_no_leaks(&client);
}

#[test]
fn stall_before_settings_then_recovery() {
    let (_s, proxy) = setup(vec![Fault::StallAfter(0)]);
    let client = client(|c| c.settings_timeout = Duration::from_millis(300));
    let e = get(&client, &proxy.url("/hello")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::SettingsTimeout, "{e}");
    let f = get(&client, &proxy.url("/hello")).unwrap();
    assert_eq!(f.len, 13);
    assert_no_leaks(&client);
}

#[test]
fn stall_mid_body_gives_idle_timeout() {
    let (_s, proxy) = setup(vec![Fault::StallAfter(20_000)]);
    let client = client(|c| c.idle_timeout = Some(Duration::from_millis(300)));
    let e = get(&client, &proxy.url("/bytes/1000000")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::IdleTimeout, "{e}");
    assert_no_leaks(&client);
}

#[test]
fn half_close_towards_the_client() {
    let (_s, proxy) = setup(vec![Fault::HalfCloseAfter(0), Fault::HalfCloseAfter(0)]);
    let plain = client(|_| {});
    let e = fetch(
        &plain,
        Request::new(Method::POST, &proxy.url("/sha256"))
            .unwrap()
            .body("x"),
    )
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io, "{e}");
    assert_no_leaks(&plain);
    let retrying = client(|c| c.pool.retry_idempotent = true);
    let f = get(&retrying, &proxy.url("/hello")).unwrap();
    assert_eq!(f.len, 13);
    assert_no_leaks(&retrying);
}

#[test]
fn many_streams_through_a_dropped_connection_each_end_once() {
    let (_s, proxy) = setup(vec![Fault::DropAfter(3000)]);
    let client = client(|_| {});
    let futs: Vec<_> = (0..100)
        .map(|_| client.send(Request::get(&proxy.url("/bytes/1000")).unwrap()))
        .collect();
    let mut ok = 0;
    for f in futs {
        match h2o_core::client::block_on(async { f.await?.bytes().await }) {
            Ok(b) => {
                assert_eq!(b.len(), 1000);
                ok += 1
            }
            Err(e) => assert!(matches!(e.kind(), ErrorKind::Io), "{e}"),
        }
    }
    let s = client.stats();
    assert_eq!(s.requests_completed, ok);
    assert_eq!(s.requests_completed + s.requests_failed, 100);
    assert_no_leaks(&client);
}
