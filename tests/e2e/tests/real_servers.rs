//! The client against real servers from Debian packages (nghttpd, the h2o server), h2c
//! prior knowledge, started on 127.0.0.1 by the project's scripts. A missing server is a
//! failure, not a skip (`make deps` installs them).

use h2o_core::client::{block_on, Request};
use h2o_core::{Client, Method};
use h2o_e2e::{closed_loop, fetch, get, hex, pattern_sha256};
use h2o_testsupport::{Mode, RealServer, ServerKind};
use sha2::{Digest, Sha256};

fn exercise(kind: ServerKind) {
    let server = RealServer::start(kind, Mode::H2c);
    let client = Client::new().unwrap();
    for (path, len) in [
        ("/0b", 0u64),
        ("/13b", 13),
        ("/1m", 1 << 20),
        ("/100m", 100 << 20),
    ] {
        let f = get(&client, &server.url(path))
            .unwrap_or_else(|e| panic!("{} {path}: {e}\n{}", kind.name(), server.logs()));
        assert_eq!((f.status, f.len), (200, len), "{} {path}", kind.name());
        let want = if path == "/13b" {
            hex(&Sha256::digest(b"Hello, world!"))
        } else {
            pattern_sha256(len)
        };
        assert_eq!(f.sha256, want, "{} {path}", kind.name());
    }
    // HEAD: headers only.
    let f = fetch(
        &client,
        Request::new(Method::HEAD, &server.url("/1m")).unwrap(),
    )
    .unwrap();
    assert_eq!((f.status, f.len), (200, 0));
    // 404 with a body.
    let f = get(&client, &server.url("/missing")).unwrap();
    assert_eq!(f.status, 404);
    // 1000 concurrent streams: the server allows 100 at a time; all complete on one
    // connection (the rest wait in our queue instead of failing).
    let futs: Vec<_> = (0..1000)
        .map(|_| client.send(Request::get(&server.url("/13b")).unwrap()))
        .collect();
    for f in futs {
        let body = block_on(async { f.await.unwrap().bytes().await.unwrap() });
        assert_eq!(&body[..], b"Hello, world!");
    }
    // A 1 MiB upload (the static server reads and discards it).
    let body = vec![7u8; 1 << 20];
    let f = fetch(
        &client,
        Request::post(&server.url("/13b")).unwrap().body(body),
    )
    .unwrap();
    assert!(f.status < 500, "{} POST status {}", kind.name(), f.status);
    client.close();
}

#[test]
fn nghttpd_h2c() {
    exercise(ServerKind::Nghttpd);
}

#[test]
fn h2o_server_h2c() {
    exercise(ServerKind::H2o);
}

#[test]
fn early_flush_writes_new_requests_mid_read_and_every_request_completes() {
    // nghttpd answers a burst of 100 requests with one write: each read then holds ~200
    // frames, and requests submitted by the first responses' callbacks go out before the
    // rest of the read is processed.
    let server = RealServer::start(ServerKind::Nghttpd, Mode::H2c);
    let url = server.url("/13b");
    let mut cfg = h2o_core::Config::default();
    cfg.proto.early_flush_frames = 16;
    let early = Client::with_config(cfg).unwrap();
    assert_eq!(
        closed_loop(&early, &url, 5000, 100, 13).ok,
        5000,
        "{}",
        server.logs()
    );
    let m = early.metrics();
    assert!(m.early_flushes > 0, "no early flush in 5000 requests");
    assert_eq!(m.stats.connections_created, 1);
    // Off by default: the same load writes only after each whole read.
    let plain = Client::new().unwrap();
    assert_eq!(closed_loop(&plain, &url, 5000, 100, 13).ok, 5000);
    assert_eq!(plain.metrics().early_flushes, 0);
    early.close();
    plain.close();
}
