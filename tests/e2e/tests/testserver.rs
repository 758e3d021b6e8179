//! The client against the project's hyper test server (an independent HTTP/2
//! implementation): bodies of every size with checksums, uploads, streaming both ways,
//! multiplexing, concurrency limits, HEAD, 204/304, trailers, large headers.

use bytes::Bytes;
use h2o_core::client::{block_on, Request};
use h2o_core::{Client, Method};
use h2o_e2e::{fetch, get, hex, pattern_sha256};
use h2o_testsupport::{Mode, TestServer, TestServerOptions};
use sha2::{Digest, Sha256};

#[test]
fn get_bodies_of_every_size_with_checksums() {
    let server = TestServer::start();
    let client = Client::new().unwrap();
    for len in [0u64, 13, 1 << 20, 100 << 20] {
        let f = get(&client, &server.url(&format!("/bytes/{len}"))).unwrap();
        assert_eq!((f.status, f.len), (200, len), "/bytes/{len}");
        assert_eq!(f.sha256, pattern_sha256(len), "/bytes/{len}");
    }
    let f = get(&client, &server.url("/hello")).unwrap();
    assert_eq!(f.len, 13);
}

#[test]
fn upload_whole_body_and_streamed_body() {
    let server = TestServer::start();
    let client = Client::new().unwrap();
    let body: Vec<u8> = (0..(3u32 << 20) + 7).map(|i| (i * 7 % 256) as u8).collect();
    let want = hex(&Sha256::digest(&body));
    let expect = format!("{{\"len\":{},\"sha256\":\"{want}\"}}", body.len());

    let req = Request::post(&server.url("/sha256"))
        .unwrap()
        .body(body.clone());
    let got = block_on(async {
        let mut r = client.send(req).await.unwrap();
        r.bytes().await.unwrap()
    });
    assert_eq!(String::from_utf8_lossy(&got).trim(), expect);

    // Streamed in 64 KiB chunks, PUT, no content-length.
    let req = Request::new(Method::PUT, &server.url("/sha256")).unwrap();
    let (req, mut tx) = req.body_stream();
    let fut = client.send(req);
    let got = block_on(async {
        for chunk in body.chunks(64 << 10) {
            tx.send(Bytes::copy_from_slice(chunk)).await.unwrap();
        }
        tx.finish();
        let mut r = fut.await.unwrap();
        r.bytes().await.unwrap()
    });
    assert_eq!(String::from_utf8_lossy(&got).trim(), expect);
}

#[test]
fn echo_streams_both_ways_with_trailers() {
    let server = TestServer::start();
    let client = Client::new().unwrap();
    let (req, mut tx) = Request::post(&server.url("/echo")).unwrap().body_stream();
    let fut = client.send(req);
    block_on(async {
        tx.send(Bytes::from_static(b"ping ")).await.unwrap();
        let mut resp = fut.await.unwrap();
        assert_eq!(resp.status(), 200);
        // The first chunk comes back before the body is finished: true streaming.
        let first = resp.chunk().await.unwrap().unwrap();
        assert_eq!(&first[..], b"ping ");
        tx.send(Bytes::from_static(b"pong")).await.unwrap();
        drop(tx);
        let rest = resp.bytes().await.unwrap();
        assert_eq!(&rest[..], b"pong");
        let trailers = resp.trailers().expect("echo sends trailers");
        assert_eq!(trailers.get_str("x-received-bytes"), Some("9"));
    });
}

#[test]
fn thousand_concurrent_streams_on_one_connection() {
    let server = TestServer::with_options(
        Mode::H2c,
        TestServerOptions {
            max_concurrent_streams: Some(1000),
            ..Default::default()
        },
    );
    let client = Client::new().unwrap();
    let futs: Vec<_> = (0..1000)
        .map(|i| client.send(Request::get(&server.url(&format!("/bytes/{i}"))).unwrap()))
        .collect();
    for (i, f) in futs.into_iter().enumerate() {
        let body = block_on(async { f.await.unwrap().bytes().await.unwrap() });
        assert_eq!(body.len(), i);
    }
}

#[test]
fn requests_beyond_the_servers_stream_limit_all_complete() {
    let server = TestServer::with_options(
        Mode::H2c,
        TestServerOptions {
            max_concurrent_streams: Some(10),
            ..Default::default()
        },
    );
    let client = Client::new().unwrap();
    let futs: Vec<_> = (0..500)
        .map(|_| client.send(Request::get(&server.url("/delay/1")).unwrap()))
        .collect();
    for f in futs {
        let r = block_on(async { f.await.unwrap().bytes().await.unwrap() });
        assert_eq!(r.len(), 13);
    }
}

#[test]
fn head_204_304_trailers_and_large_headers() {
    let server = TestServer::start();
    let client = Client::new().unwrap();
    let head = fetch(
        &client,
        Request::new(Method::HEAD, &server.url("/bytes/1000")).unwrap(),
    )
    .unwrap();
    assert_eq!((head.status, head.len), (200, 0));
    assert_eq!(
        head.response.headers().get_str("content-length"),
        Some("1000")
    );
    for code in [204u16, 304] {
        let f = get(&client, &server.url(&format!("/status/{code}"))).unwrap();
        assert_eq!((f.status, f.len), (code, 0));
    }
    let f = get(&client, &server.url("/status/503")).unwrap();
    assert_eq!(f.status, 503);
    let f = get(&client, &server.url("/trailers")).unwrap();
    let t = f.response.trailers().expect("trailers");
    assert_eq!(t.get_str("x-trailer"), Some("done"));
    assert_eq!(t.get_str("grpc-status"), Some("0"));
    let f = get(&client, &server.url("/headers/65536")).unwrap();
    let extra: usize = f
        .response
        .headers()
        .iter()
        .filter(|(n, _)| n.starts_with(b"x-h-"))
        .map(|(n, v)| n.len() + v.len())
        .sum();
    assert_eq!(extra, 65536);
}

#[test]
fn bad_urls_and_refused_connections_fail_clearly() {
    let client = Client::new().unwrap();
    let e = Request::get("ftp://127.0.0.1/").unwrap_err();
    assert_eq!(e.kind(), h2o_core::ErrorKind::InvalidUrl);
    // A port nobody listens on: Connect error, marked unprocessed.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let e = get(&client, &format!("http://127.0.0.1:{port}/")).unwrap_err();
    assert_eq!(e.kind(), h2o_core::ErrorKind::Connect);
    assert!(e.is_unprocessed());
    let e = get(&client, "http://127.0.0.1:1/").unwrap_err();
    assert_eq!(e.kind(), h2o_core::ErrorKind::Connect);
    let req = Request::get("http://127.0.0.1:1/")
        .unwrap()
        .header("connection", "close");
    let e = fetch(&client, req).unwrap_err();
    assert_eq!(e.kind(), h2o_core::ErrorKind::InvalidArgument);
}

#[test]
fn close_cancels_in_flight_requests_exactly_once() {
    let server = TestServer::start();
    let client = Client::new().unwrap();
    let futs: Vec<_> = (0..50)
        .map(|_| client.send(Request::get(&server.url("/delay/5000")).unwrap()))
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(100));
    let t0 = std::time::Instant::now();
    client.close();
    assert!(t0.elapsed() < std::time::Duration::from_secs(3));
    for f in futs {
        let e = block_on(f).unwrap_err();
        assert_eq!(e.kind(), h2o_core::ErrorKind::Cancelled);
    }
    let e = get(&client, &server.url("/hello")).unwrap_err();
    assert_eq!(e.kind(), h2o_core::ErrorKind::Closed);
}

#[test]
fn stats_count_requests_connections_and_close_reasons_exactly() {
    let server = TestServer::start();
    let client = Client::new().unwrap();
    for _ in 0..25 {
        let f = get(&client, &server.url("/hello")).unwrap();
        assert_eq!(f.len, 13);
    }
    let _ = get(&client, &server.url("/status/404")).unwrap();
    let e = fetch(
        &client,
        Request::get(&server.url("/"))
            .unwrap()
            .header("bad name", "x"),
    )
    .unwrap_err();
    assert_eq!(e.kind(), h2o_core::ErrorKind::InvalidArgument);
    let s = client.stats();
    assert_eq!(s.requests_submitted, 27);
    assert_eq!(s.requests_completed, 26);
    assert_eq!(s.requests_failed, 1);
    assert_eq!(s.requests_in_flight(), 0);
    assert_eq!((s.acquisitions_miss, s.acquisitions_hit), (1, 25));
    assert_eq!(s.connections_created, 1);
    assert_eq!(s.connections.len(), 1);
    let c = &s.connections[0];
    assert!(c.accepting && !c.connecting);
    assert_eq!((c.open_streams, c.queued), (0, 0));
    assert!(c.origin.starts_with("http://127.0.0.1:"));
    client.close();
    let s = client.stats();
    assert_eq!(s.closed.client, 1);
    assert_eq!(s.open_streams(), 0);
}

/// Credit for bodies the caller reads only after the response ended (a poll-mode caller
/// releasing a batch) is pooled per connection and returned by one command. With the
/// connection window replenished only on consumption and 37× less than what the requests
/// carry in total, any credit left behind in the pool would stall the connection: the
/// request deadline would end the run with a timeout.
#[test]
fn credit_released_after_the_response_ended_is_never_left_behind() {
    let server = TestServer::start();
    let mut cfg = h2o_core::Config::default();
    cfg.proto.connection_window_size = 65_535;
    cfg.proto.initial_window_size = 65_535;
    cfg.proto.adaptive_window = false;
    cfg.proto.max_buffered_per_connection = 0;
    cfg.request_timeout = Some(std::time::Duration::from_secs(10));
    let client = Client::with_config(cfg).unwrap();
    let url = server.url("/bytes/12288");
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..50 {
                    let f = get(&client, &url).unwrap();
                    assert_eq!((f.status, f.len), (200, 12288));
                    assert_eq!(f.sha256, pattern_sha256(12288));
                }
            });
        }
    });
    let stats = client.stats();
    assert_eq!(stats.connections_created, 1);
    assert_eq!(stats.requests_completed, 200);
}
