//! Requests the server provably did not process are retried transparently, each once, on a
//! fresh connection; requests it may have processed are not.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use h2o_core::client::{block_on, Request};
use h2o_core::frame::{ErrorCode, Frame, GoAway, RstStream, StreamId};
use h2o_core::{Client, ErrorKind};
use h2o_e2e::get;
use h2o_e2e::raw::RawServer;

/// Connection 1 takes 100 requests, sends GOAWAY(last = 99) and answers streams 1..=99;
/// streams 101..=199 were not processed. Connection 2 answers everything it gets.
#[test]
fn goaway_mid_flight_retries_exactly_the_unprocessed_once() {
    let conns = Arc::new(AtomicUsize::new(0));
    let seen = Arc::new(Mutex::new(Vec::<(usize, u32)>::new()));
    let (c2, s2) = (conns.clone(), seen.clone());
    let server = RawServer::start(move |mut c| {
        let n = c2.fetch_add(1, Ordering::SeqCst);
        c.handshake();
        if n == 0 {
            let ids = c.read_requests(100);
            s2.lock().unwrap().extend(ids.iter().map(|&i| (n, i)));
            c.send(&[Frame::GoAway(GoAway {
                last_stream_id: StreamId::new(99),
                code: ErrorCode::NoError,
                debug_data: Bytes::new(),
            })]);
            for &id in ids.iter().filter(|&&i| i <= 99) {
                c.respond(id, format!("first {id}").as_bytes());
            }
            while c.read_frame().is_some() {}
        } else {
            while let Some(f) = c.read_frame() {
                if let Frame::Headers(h) = f {
                    let id = h.stream_id.value();
                    s2.lock().unwrap().push((n, id));
                    c.respond(id, format!("second {id}").as_bytes());
                }
            }
        }
    });
    let client = Client::new().unwrap();
    let futs: Vec<_> = (0..100)
        .map(|i| client.send(Request::get(&server.url(&format!("/{i}"))).unwrap()))
        .collect();
    let bodies: Vec<String> = futs
        .into_iter()
        .map(|f| {
            let b = block_on(async { f.await.unwrap().bytes().await.unwrap() });
            String::from_utf8(b.to_vec()).unwrap()
        })
        .collect();
    // Requests 0..50 were streams 1..=99 on the first connection, answered there.
    for (i, body) in bodies.iter().enumerate() {
        if i < 50 {
            assert_eq!(body, &format!("first {}", 2 * i + 1));
        } else {
            assert!(body.starts_with("second "), "request {i}: {body}");
        }
    }
    let seen = seen.lock().unwrap();
    let retried: Vec<_> = seen.iter().filter(|(n, _)| *n == 1).collect();
    assert_eq!(
        retried.len(),
        50,
        "each unprocessed request retried exactly once"
    );
    assert_eq!(conns.load(Ordering::SeqCst), 2);
}

#[test]
fn refused_stream_is_retried_transparently() {
    let server = RawServer::start(|mut c| {
        c.handshake();
        let mut refused = false;
        while let Some(f) = c.read_frame() {
            if let Frame::Headers(h) = f {
                let id = h.stream_id.value();
                if !refused {
                    refused = true;
                    c.send(&[Frame::RstStream(RstStream {
                        stream_id: StreamId::new(id),
                        code: ErrorCode::RefusedStream,
                    })]);
                } else {
                    c.respond(id, b"ok");
                }
            }
        }
    });
    let client = Client::new().unwrap();
    let f = get(&client, &server.url("/")).unwrap();
    assert_eq!((f.status, f.len), (200, 2));
}

#[test]
fn a_server_that_refuses_everything_exhausts_the_retry_budget() {
    let attempts = Arc::new(AtomicUsize::new(0));
    let a2 = attempts.clone();
    let server = RawServer::start(move |mut c| {
        c.handshake();
        while let Some(f) = c.read_frame() {
            if let Frame::Headers(h) = f {
                a2.fetch_add(1, Ordering::SeqCst);
                c.send(&[Frame::RstStream(RstStream {
                    stream_id: h.stream_id,
                    code: ErrorCode::RefusedStream,
                })]);
            }
        }
    });
    let client = Client::new().unwrap();
    let e = get(&client, &server.url("/")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Refused);
    assert!(e.is_unprocessed());
    // The first try plus max_retries (3) retries, then the caller hears about it.
    assert_eq!(attempts.load(Ordering::SeqCst), 4);
}

#[test]
fn a_reset_after_the_response_started_is_not_replayed() {
    let attempts = Arc::new(AtomicUsize::new(0));
    let a2 = attempts.clone();
    let server = RawServer::start(move |mut c| {
        c.handshake();
        while let Some(f) = c.read_frame() {
            if let Frame::Headers(h) = f {
                a2.fetch_add(1, Ordering::SeqCst);
                let id = h.stream_id.value();
                let head = c.headers(id, &[(":status", "200")], false);
                c.send_raw(&head);
                c.send(&[Frame::RstStream(RstStream {
                    stream_id: StreamId::new(id),
                    code: ErrorCode::InternalError,
                })]);
            }
        }
    });
    let client = Client::new().unwrap();
    let e = get(&client, &server.url("/")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::StreamReset);
    assert_eq!(e.code(), Some(ErrorCode::InternalError));
    assert!(e.is_remote());
    assert_eq!(attempts.load(Ordering::SeqCst), 1);
}

#[test]
fn connection_killed_with_streams_in_flight_fails_each_within_a_second() {
    let server = RawServer::start(|mut c| {
        c.handshake();
        c.read_requests(100);
        // Drop the socket with 100 streams open.
    });
    let client = Client::new().unwrap();
    let t0 = std::time::Instant::now();
    let futs: Vec<_> = (0..100)
        .map(|_| client.send(Request::get(&server.url("/")).unwrap()))
        .collect();
    for f in futs {
        let e = block_on(f).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Io, "{e}");
        assert!(
            !e.is_unprocessed(),
            "the server had them: possibly processed"
        );
    }
    assert!(t0.elapsed() < std::time::Duration::from_secs(1));
}

#[test]
fn ipv6_literal_and_localhost_name() {
    let server = RawServer::start_on("[::1]:0", |mut c| {
        c.handshake();
        let ids = c.read_requests(1);
        c.respond(ids[0], b"v6");
        while c.read_frame().is_some() {}
    });
    let client = Client::new().unwrap();
    let f = get(&client, &format!("http://[::1]:{}/", server.port)).unwrap();
    assert_eq!(f.len, 2);
    let server = RawServer::start(|mut c| {
        c.handshake();
        let ids = c.read_requests(1);
        c.respond(ids[0], b"name");
        while c.read_frame().is_some() {}
    });
    let f = get(&client, &format!("http://localhost:{}/", server.port)).unwrap();
    assert_eq!(f.len, 4);
}

#[test]
fn early_response_during_an_upload_frees_the_stream() {
    use h2o_core::frame::Frame as F;
    let server = RawServer::start(|mut c| {
        c.handshake();
        let ids = c.read_requests(1);
        // Answer at once, before the request body ends, then watch for RST(CANCEL).
        c.respond(ids[0], b"early");
        let rst = c.read_until(|f| matches!(f, F::RstStream(_)));
        assert!(
            matches!(rst, Some(F::RstStream(r)) if r.code == ErrorCode::Cancel),
            "client should cancel the rest of its upload"
        );
        while c.read_frame().is_some() {}
    });
    let client = Client::new().unwrap();
    let (req, mut tx) = Request::post(&server.url("/up")).unwrap().body_stream();
    let fut = client.send(req);
    let body = block_on(async {
        tx.send(Bytes::from_static(b"part")).await.unwrap();
        let mut r = fut.await.unwrap();
        r.bytes().await.unwrap()
    });
    assert_eq!(&body[..], b"early");
    // The stream no longer holds a slot.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    while client.stats().open_streams() > 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(client.stats().open_streams(), 0);
    drop(tx);
}

#[test]
fn goaway_enhance_your_calm_on_every_attempt_ends_after_the_retry_budget() {
    let attempts = Arc::new(AtomicUsize::new(0));
    let a2 = attempts.clone();
    let server = RawServer::start(move |mut c| {
        c.handshake();
        c.read_requests(1);
        a2.fetch_add(1, Ordering::SeqCst);
        c.send(&[Frame::GoAway(GoAway {
            last_stream_id: StreamId::new(0),
            code: ErrorCode::EnhanceYourCalm,
            debug_data: Bytes::from_static(b"calm down"),
        })]);
        while c.read_frame().is_some() {}
    });
    let client = Client::new().unwrap();
    let t0 = std::time::Instant::now();
    let e = get(&client, &server.url("/")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::GoAway, "{e}");
    assert_eq!(e.code(), Some(ErrorCode::EnhanceYourCalm));
    assert!(e.is_unprocessed());
    // The first try plus max_retries (3): bounded, no endless loop.
    assert_eq!(attempts.load(Ordering::SeqCst), 4);
    assert_eq!(client.stats().requests_retried, 3);
    assert!(t0.elapsed() < std::time::Duration::from_secs(2));
}

#[test]
fn a_connection_that_refuses_too_often_is_retired_and_retries_move_on() {
    let conns = Arc::new(AtomicUsize::new(0));
    let c2 = conns.clone();
    let server = RawServer::start(move |mut c| {
        let n = c2.fetch_add(1, Ordering::SeqCst);
        c.handshake();
        while let Some(f) = c.read_frame() {
            if let Frame::Headers(h) = f {
                if n == 0 {
                    c.send(&[Frame::RstStream(RstStream {
                        stream_id: h.stream_id,
                        code: ErrorCode::RefusedStream,
                    })]);
                } else {
                    c.respond(h.stream_id.value(), b"ok");
                }
            }
        }
    });
    let mut cfg = h2o_core::Config::default();
    cfg.pool.connection_retry_budget = 2;
    cfg.max_retries = 5;
    let client = Client::with_config(cfg).unwrap();
    let futs: Vec<_> = (0..4)
        .map(|_| client.send(Request::get(&server.url("/")).unwrap()))
        .collect();
    for f in futs {
        let b = block_on(async { f.await.unwrap().bytes().await.unwrap() });
        assert_eq!(&b[..], b"ok");
    }
    assert!(conns.load(Ordering::SeqCst) >= 2);
}
