//! Graceful server shutdown: nginx quits (SIGQUIT: GOAWAY, finish in-flight requests, exit)
//! while 100 downloads are in flight; none of them sees an error.

use std::time::Duration;

use h2o_core::client::{block_on, Request};
use h2o_core::Client;
use h2o_e2e::pattern_sha256;
use h2o_testsupport::{Mode, RealServer, ServerKind};
use sha2::{Digest, Sha256};

#[test]
fn nginx_graceful_quit_with_downloads_in_flight() {
    let server = RealServer::start(ServerKind::Nginx, Mode::H2c);
    let client = Client::new().unwrap();
    let futs: Vec<_> = (0..100)
        .map(|_| client.send(Request::get(&server.url("/1m")).unwrap()))
        .collect();
    // Let the responses start, then ask nginx to quit gracefully.
    std::thread::sleep(Duration::from_millis(100));
    server.signal(libc::SIGQUIT).unwrap();
    let want = pattern_sha256(1 << 20);
    for f in futs {
        let body = block_on(async {
            let mut r = f.await?;
            let mut h = Sha256::new();
            while let Some(c) = r.chunk().await? {
                h.update(&c);
            }
            Ok::<_, h2o_core::Error>(h2o_e2e::hex(&h.finalize()))
        })
        .expect("no error reaches the caller on a graceful shutdown");
        assert_eq!(body, want);
    }
}
