//! Thread-heavy use of one shared `Client` (the ThreadSanitizer target of `make tsan`, and a
//! normal test otherwise): many caller threads submit, read, cancel and read statistics at
//! the same time on a two-thread runtime, against the in-process test server and a scripted
//! server that resets and GOAWAYs; the client is closed while requests are in flight. Every
//! request ends exactly once and nothing leaks.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use h2o_core::client::{block_on, Request};
use h2o_core::{Client, Config, ErrorKind};
use h2o_e2e::conformance::{goaway, response, rst};
use h2o_e2e::raw::RawServer;
use h2o_e2e::{assert_no_leaks, get};
use h2o_testsupport::TestServer;

const THREADS: usize = 8;
const PER_THREAD: usize = 40;

fn client() -> Client {
    Client::with_config(Config {
        runtime_threads: 2,
        ..Config::default()
    })
    .unwrap()
}

#[test]
fn many_threads_share_one_client() {
    let server = TestServer::start();
    let client = Arc::new(client());
    let ok = Arc::new(AtomicUsize::new(0));
    let cancelled = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let (client, ok, cancelled) = (client.clone(), ok.clone(), cancelled.clone());
            let url = server.url(&format!("/bytes/{}", 1000 + t * 997));
            std::thread::spawn(move || {
                for i in 0..PER_THREAD {
                    let fut = client.send(Request::get(&url).unwrap());
                    if i % 7 == 3 {
                        // Cancel from this thread while the runtime threads work on it.
                        if let Some(h) = fut.handle() {
                            h.cancel();
                        }
                        match block_on(fut) {
                            Err(e) if e.kind() == ErrorKind::Cancelled => {
                                cancelled.fetch_add(1, Ordering::Relaxed);
                            }
                            Ok(_) => {
                                ok.fetch_add(1, Ordering::Relaxed);
                            }
                            Err(e) => panic!("unexpected {e}"),
                        }
                        continue;
                    }
                    let n = block_on(async {
                        let mut r = fut.await?;
                        let mut n = 0;
                        while let Some(c) = r.chunk().await? {
                            n += c.len();
                        }
                        Ok::<_, h2o_core::Error>(n)
                    })
                    .unwrap();
                    assert_eq!(n, 1000 + t * 997);
                    ok.fetch_add(1, Ordering::Relaxed);
                    let _ = client.stats();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(
        ok.load(Ordering::Relaxed) + cancelled.load(Ordering::Relaxed),
        THREADS * PER_THREAD
    );
    assert_no_leaks(&client);
}

#[test]
fn threads_race_resets_goaways_and_close() {
    // Each connection: answers the first request, resets the second, then GOAWAY(1).
    let server = RawServer::start(|mut c| {
        c.handshake();
        let ids = c.read_requests(2);
        if ids.len() == 2 {
            c.send_raw(&response(ids[0], b"ok"));
            c.send_raw(&rst(ids[1], h2o_core::frame::ErrorCode::InternalError));
            c.send_raw(&goaway(ids[0], h2o_core::frame::ErrorCode::NoError, b""));
        }
        while c.read_frame().is_some() {}
    });
    let client = Arc::new(client());
    let ended = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..THREADS)
        .map(|_| {
            let (client, ended, url) = (client.clone(), ended.clone(), server.url("/"));
            std::thread::spawn(move || {
                for _ in 0..10 {
                    // Any outcome is fine; each must arrive exactly once and never hang.
                    let _ = get(&client, &url);
                    ended.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    // Close the client while the threads are still submitting.
    std::thread::sleep(Duration::from_millis(200));
    let closer = {
        let client = client.clone();
        std::thread::spawn(move || client.close())
    };
    for t in threads {
        t.join().unwrap();
    }
    closer.join().unwrap();
    assert_eq!(ended.load(Ordering::Relaxed), THREADS * 10);
    assert!(client.is_closed());
}
