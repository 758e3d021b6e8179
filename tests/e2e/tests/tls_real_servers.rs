//! `https://` against real servers from Debian packages (nginx, the h2o server, nghttpd,
//! apache2) in TLS mode (ALPN h2) with the test PKI's `server.pem`, trusting the test CA
//! through `TlsConfig::ca_file`. A missing server is a failure, not a skip.

use h2o_core::client::block_on;
use h2o_core::{Client, Config, Request};
use h2o_e2e::{get, hex, pattern_sha256};
use h2o_testsupport::{Mode, RealServer, ServerKind};
use sha2::{Digest, Sha256};

fn exercise(kind: ServerKind) {
    let server = RealServer::start(kind, Mode::Tls);
    let mut cfg = Config::default();
    cfg.tls.ca_file = Some(server.ca_path());
    let client = Client::with_config(cfg).unwrap();
    for (path, len, want) in [
        ("/13b", 13u64, hex(&Sha256::digest(b"Hello, world!"))),
        ("/1m", 1 << 20, pattern_sha256(1 << 20)),
    ] {
        let f = get(&client, &server.url(path))
            .unwrap_or_else(|e| panic!("{} {path}: {e}\n{}", kind.name(), server.logs()));
        assert_eq!((f.status, f.len), (200, len), "{} {path}", kind.name());
        assert_eq!(f.sha256, want, "{} {path}", kind.name());
    }
    // Concurrent streams on the one TLS connection.
    let futs: Vec<_> = (0..300)
        .map(|_| client.send(Request::get(&server.url("/13b")).unwrap()))
        .collect();
    for f in futs {
        let body = block_on(async { f.await.unwrap().bytes().await.unwrap() });
        assert_eq!(&body[..], b"Hello, world!", "{}", kind.name());
    }
    // More connections (lanes) to the origin: TLS session resumption.
    for lane in 1..4 {
        let f = h2o_e2e::fetch(
            &client,
            Request::get(&server.url("/13b")).unwrap().lane(lane),
        )
        .unwrap_or_else(|e| panic!("{} lane {lane}: {e}", kind.name()));
        assert_eq!((f.status, f.len), (200, 13), "{} lane {lane}", kind.name());
    }
    // By name: SNI `localhost`.
    let url = format!("https://localhost:{}/13b", server.port());
    let f = get(&client, &url).unwrap_or_else(|e| panic!("{} {url}: {e}", kind.name()));
    assert_eq!(f.status, 200, "{}", kind.name());
    client.close();
}

#[test]
fn nginx_tls() {
    exercise(ServerKind::Nginx);
}

#[test]
fn h2o_server_tls() {
    exercise(ServerKind::H2o);
}

#[test]
fn nghttpd_tls() {
    exercise(ServerKind::Nghttpd);
}

#[test]
fn apache2_tls() {
    exercise(ServerKind::Apache2);
}
