//! The connection pool against real HTTP/2 peers: overflow policy, preconnect, idle close,
//! LRU eviction, circuit breaker, PING health (soft then hard), idempotent retry opt-in.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use h2o_core::client::{block_on, Overflow, Request};
use h2o_core::{Client, Config, ErrorKind, Method};
use h2o_e2e::raw::RawServer;
use h2o_e2e::{fetch, get};
use h2o_testsupport::{Mode, TestServer, TestServerOptions};

fn limited_server(max: u32) -> TestServer {
    TestServer::with_options(
        Mode::H2c,
        TestServerOptions {
            max_concurrent_streams: Some(max),
            ..Default::default()
        },
    )
}

fn client(f: impl FnOnce(&mut Config)) -> Client {
    let mut cfg = Config::default();
    f(&mut cfg);
    Client::with_config(cfg).unwrap()
}

fn run_concurrent(client: &Client, url: &str, n: usize) {
    let futs: Vec<_> = (0..n)
        .map(|_| client.send(Request::get(url).unwrap()))
        .collect();
    for f in futs {
        let b = block_on(async { f.await.unwrap().bytes().await.unwrap() });
        assert_eq!(b.len(), 13);
    }
}

fn wait_for(mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

#[test]
fn queue_policy_keeps_one_connection_beyond_the_stream_limit() {
    let server = limited_server(10);
    let client = client(|_| {});
    get(&client, &server.url("/hello")).unwrap(); // learn the server's limit
    run_concurrent(&client, &server.url("/delay/100"), 50);
    assert_eq!(client.stats().connections_created, 1);
}

#[test]
fn open_more_policy_spreads_over_connections_up_to_the_limit() {
    let server = limited_server(10);
    let client = client(|c| {
        c.pool.overflow = Overflow::OpenMore;
        c.pool.max_connections_per_origin = 3;
    });
    get(&client, &server.url("/hello")).unwrap();
    run_concurrent(&client, &server.url("/delay/100"), 50);
    let s = client.stats();
    assert_eq!(s.connections_created, 3, "{s:?}");
    assert_eq!(s.requests_completed, 51);
}

#[test]
fn preconnect_opens_connections_and_requests_spread_over_them() {
    let server = TestServer::start();
    let client = client(|c| c.pool.max_connections_per_origin = 4);
    client.preconnect(&server.url("/"), 3).unwrap();
    assert!(wait_for(|| {
        let s = client.stats();
        s.connections.len() == 3 && s.connections.iter().all(|c| !c.connecting)
    }));
    run_concurrent(&client, &server.url("/delay/50"), 30);
    let s = client.stats();
    assert_eq!(s.connections_created, 3, "no extra connection: {s:?}");
    assert_eq!(s.acquisitions_hit, 30);
}

#[test]
fn idle_connections_close_after_the_idle_timeout() {
    let server = TestServer::start();
    let client = client(|c| c.pool.idle_timeout = Some(Duration::from_millis(200)));
    get(&client, &server.url("/hello")).unwrap();
    assert!(wait_for(|| client.stats().closed.idle == 1));
    assert!(wait_for(|| client.stats().connections.is_empty()));
    // The next request opens a fresh connection transparently.
    get(&client, &server.url("/hello")).unwrap();
    assert_eq!(client.stats().connections_created, 2);
}

#[test]
fn least_recently_used_idle_connection_is_evicted_beyond_the_total() {
    let servers: Vec<TestServer> = (0..3).map(|_| TestServer::start()).collect();
    let client = client(|c| c.pool.max_connections_total = 2);
    for s in &servers {
        get(&client, &s.url("/hello")).unwrap();
    }
    assert!(wait_for(|| client.stats().closed.evicted == 1));
    let s = client.stats();
    assert_eq!(s.connections_created, 3);
    assert!(wait_for(|| client.stats().connections.len() == 2));
    // The evicted one was the first (least recently used).
    let first_port = servers[0].port();
    assert!(!s
        .connections
        .iter()
        .any(|c| c.accepting && c.origin.ends_with(&format!(":{first_port}"))));
}

#[test]
fn circuit_breaker_fails_fast_then_probes_again() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let url = format!("http://127.0.0.1:{port}/");
    let client = client(|c| {
        // No retries: observe the breaker itself (retries wait out an open circuit).
        c.max_retries = 0;
        c.pool.breaker_threshold = 2;
        c.pool.backoff_base = Duration::from_millis(400);
        c.pool.backoff_max = Duration::from_millis(400);
    });
    for _ in 0..2 {
        let e = get(&client, &url).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Connect);
    }
    let t0 = Instant::now();
    let e = get(&client, &url).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Connect);
    assert!(e.message().contains("unreachable"), "{e}");
    assert!(e.is_unprocessed());
    assert!(t0.elapsed() < Duration::from_millis(50), "fail fast");
    assert_eq!(
        client.stats().connections_created,
        2,
        "no attempt while open"
    );
    std::thread::sleep(Duration::from_millis(450));
    // Half-open: the next request probes with a real attempt, and the caller hears the
    // real cause.
    let e = get(&client, &url).unwrap_err();
    assert!(e.message().contains("refused"), "{e}");
    assert_eq!(client.stats().connections_created, 3);
}

#[test]
fn connect_failures_are_retried_with_backoff_until_the_server_is_back() {
    // Nothing listens yet; the server appears 300 ms later on the same port.
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = probe.local_addr().unwrap();
    drop(probe);
    let client = client(|c| {
        c.max_retries = 5;
        c.pool.backoff_base = Duration::from_millis(100);
    });
    let fut = client.send(Request::get(&format!("http://{addr}/")).unwrap());
    std::thread::sleep(Duration::from_millis(300));
    let listener = std::net::TcpListener::bind(addr).unwrap();
    std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        use std::io::{Read, Write};
        // Minimal server: SETTINGS, ACK, then a 200 with END_STREAM for stream 1.
        s.write_all(&[0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 4, 1, 0, 0, 0, 0])
            .unwrap();
        s.write_all(&[0, 0, 1, 1, 5, 0, 0, 0, 1, 0x88]).unwrap();
        let mut buf = [0u8; 4096];
        while matches!(s.read(&mut buf), Ok(n) if n > 0) {}
    });
    let resp = block_on(fut).unwrap();
    assert_eq!(resp.status(), 200);
    assert!(client.stats().requests_retried >= 1);
}

#[test]
fn unanswered_ping_stops_new_requests_first_then_closes() {
    let conns = Arc::new(AtomicUsize::new(0));
    let c2 = conns.clone();
    let server = RawServer::start(move |mut c| {
        let n = c2.fetch_add(1, Ordering::SeqCst);
        c.handshake();
        if n == 0 {
            // Takes the request, then answers nothing, not even PING.
            while c.read_frame().is_some() {}
        } else {
            while let Some(f) = c.read_frame() {
                if let h2o_core::frame::Frame::Headers(h) = f {
                    c.respond(h.stream_id.value(), b"fresh");
                }
            }
        }
    });
    let client = client(|c| {
        c.keepalive_interval = Some(Duration::from_millis(100));
        c.ping_soft_timeout = Duration::from_millis(150);
        c.ping_timeout = Duration::from_secs(2);
    });
    let stuck = client.send(Request::get(&server.url("/stuck")).unwrap());
    std::thread::sleep(Duration::from_millis(400));
    // Soft limit passed: a new request goes to a new connection and succeeds at once.
    let f = get(&client, &server.url("/new")).unwrap();
    assert_eq!(f.len, 5);
    assert_eq!(conns.load(Ordering::SeqCst), 2);
    // Hard limit: the stuck one ends with PingTimeout.
    let e = block_on(stuck).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PingTimeout, "{e}");
}

fn drop_first_connection_server() -> (RawServer, Arc<AtomicUsize>) {
    let conns = Arc::new(AtomicUsize::new(0));
    let c2 = conns.clone();
    let server = RawServer::start(move |mut c| {
        let n = c2.fetch_add(1, Ordering::SeqCst);
        c.handshake();
        let ids = c.read_requests(1);
        if n == 0 {
            return; // the request reached us; the connection dies
        }
        c.respond(ids[0], b"ok");
        while c.read_frame().is_some() {}
    });
    (server, conns)
}

#[test]
fn idempotent_requests_are_retried_after_a_connection_loss_only_when_enabled() {
    let (server, _) = drop_first_connection_server();
    let off = client(|_| {});
    let e = get(&off, &server.url("/")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io);
    assert!(!e.is_unprocessed());

    let (server, conns) = drop_first_connection_server();
    let on = client(|c| c.pool.retry_idempotent = true);
    let f = get(&on, &server.url("/")).unwrap();
    assert_eq!(f.len, 2);
    assert_eq!(conns.load(Ordering::SeqCst), 2);
    assert_eq!(on.stats().requests_retried, 1);

    // POST is not idempotent: never replayed after it may have been processed.
    let (server, _) = drop_first_connection_server();
    let on = client(|c| c.pool.retry_idempotent = true);
    let req = Request::new(Method::POST, &server.url("/"))
        .unwrap()
        .body("x");
    let e = fetch(&on, req).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io);
    assert_eq!(on.stats().requests_retried, 0);
}

/// Connection 0 answers one request, then goes silent (no PING answers, no responses);
/// later connections answer everything.
fn goes_silent_server() -> (RawServer, Arc<AtomicUsize>) {
    let conns = Arc::new(AtomicUsize::new(0));
    let c2 = conns.clone();
    let server = RawServer::start(move |mut c| {
        let n = c2.fetch_add(1, Ordering::SeqCst);
        c.handshake();
        if n == 0 {
            let ids = c.read_requests(1);
            c.respond(ids[0], b"one");
            while c.read_frame().is_some() {}
            return;
        }
        while let Some(f) = c.read_frame() {
            match f {
                h2o_core::frame::Frame::Headers(h) => c.respond(h.stream_id.value(), b"two"),
                h2o_core::frame::Frame::Ping(p) if !p.ack => {
                    c.send(&[h2o_core::frame::Frame::Ping(h2o_core::frame::Ping {
                        ack: true,
                        payload: p.payload,
                    })])
                }
                _ => {}
            }
        }
    });
    (server, conns)
}

#[test]
fn a_silent_connection_is_checked_before_reuse_and_the_request_moves_without_error() {
    let (server, conns) = goes_silent_server();
    let client = client(|c| {
        c.keepalive_interval = None;
        c.pool.check_after_idle = Some(Duration::from_millis(100));
        c.ping_soft_timeout = Duration::from_millis(150);
        c.ping_timeout = Duration::from_secs(2);
    });
    assert_eq!(get(&client, &server.url("/a")).unwrap().len, 3);
    std::thread::sleep(Duration::from_millis(200));
    // Connection 0 is now dead but looks fine: the PING check finds out, and the request
    // goes to a new connection with no error.
    let t0 = Instant::now();
    let f = get(&client, &server.url("/b")).unwrap();
    assert_eq!(f.len, 3);
    assert!(t0.elapsed() < Duration::from_secs(1));
    assert_eq!(conns.load(Ordering::SeqCst), 2);
}

#[test]
fn a_healthy_silent_connection_is_reused_after_its_ping_check() {
    let server = TestServer::start();
    let client = client(|c| {
        c.keepalive_interval = None;
        c.pool.check_after_idle = Some(Duration::from_millis(100));
    });
    get(&client, &server.url("/hello")).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    get(&client, &server.url("/hello")).unwrap();
    let s = client.stats();
    assert_eq!(s.connections_created, 1);
    assert!(
        s.connections[0].rtt_us > 0,
        "the check measured the RTT: {s:?}"
    );
}
