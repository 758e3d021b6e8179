//! Hostile servers: floods of frames that cost work but carry nothing are bounded and
//! answered with GOAWAY(ENHANCE_YOUR_CALM); the caller sees a protocol error naming the
//! flood; a cancellation storm never makes the client reset streams faster than its budget.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use h2o_core::client::Request;
use h2o_core::frame::{
    self, Continuation, ErrorCode, Frame, Ping, RstStream, Settings, StreamId, WindowUpdate,
};
use h2o_core::{Client, ErrorKind};
use h2o_e2e::get;
use h2o_e2e::raw::{RawConn, RawServer};

/// Runs `flood` after the handshake and the first request, and returns the GOAWAY code the
/// client answered with and the error the caller saw.
fn flood_case(
    flood: impl Fn(&mut RawConn) + Send + Sync + 'static,
) -> (Option<ErrorCode>, h2o_core::Error) {
    let goaway = Arc::new(Mutex::new(None));
    let g2 = goaway.clone();
    let server = RawServer::start(move |mut c| {
        c.handshake();
        c.read_requests(1);
        flood(&mut c);
        if let Some(Frame::GoAway(g)) = c.read_until(|f| matches!(f, Frame::GoAway(_))) {
            *g2.lock().unwrap() = Some(g.code);
        }
    });
    let client = Client::new().unwrap();
    let t0 = Instant::now();
    let e = get(&client, &server.url("/")).unwrap_err();
    assert!(
        t0.elapsed() < Duration::from_secs(5),
        "flood not stopped quickly"
    );
    std::thread::sleep(Duration::from_millis(50));
    let code = *goaway.lock().unwrap();
    (code, e)
}

fn repeat(c: &mut RawConn, n: usize, f: Frame) {
    let mut out = BytesMut::new();
    for _ in 0..n {
        f.encode(&mut out);
        if out.len() > 64 << 10 {
            c.send_raw(&out);
            out.clear();
        }
    }
    c.send_raw(&out);
}

fn assert_calm((code, e): (Option<ErrorCode>, h2o_core::Error), what: &str) {
    assert_eq!(
        code,
        Some(ErrorCode::EnhanceYourCalm),
        "{what}: GOAWAY code"
    );
    assert_eq!(e.kind(), ErrorKind::Protocol, "{what}: {e}");
    assert_eq!(e.code(), Some(ErrorCode::EnhanceYourCalm), "{what}: {e}");
    assert!(!e.is_remote());
    assert!(e.message().contains(what), "{what}: {e}");
}

#[test]
fn settings_flood() {
    assert_calm(
        flood_case(|c| repeat(c, 10_000, Frame::Settings(Settings::default()))),
        "SETTINGS flood",
    );
}

#[test]
fn ping_flood() {
    assert_calm(
        flood_case(|c| {
            repeat(
                c,
                50_000,
                Frame::Ping(Ping {
                    ack: false,
                    payload: [1; 8],
                }),
            )
        }),
        "PING flood",
    );
}

#[test]
fn window_update_flood() {
    assert_calm(
        flood_case(|c| {
            repeat(
                c,
                300_000,
                Frame::WindowUpdate(WindowUpdate {
                    stream_id: StreamId::new(1),
                    increment: 1,
                }),
            )
        }),
        "WINDOW_UPDATE flood",
    );
}

#[test]
fn rst_stream_flood_on_closed_streams() {
    let goaway = Arc::new(Mutex::new(None));
    let g2 = goaway.clone();
    let server = RawServer::start(move |mut c| {
        c.handshake();
        let ids = c.read_requests(2);
        c.respond(ids[0], b"done");
        // Stream 1 is closed now: flood resets for it while stream 3 waits.
        repeat(
            &mut c,
            30_000,
            Frame::RstStream(RstStream {
                stream_id: StreamId::new(ids[0]),
                code: ErrorCode::NoError,
            }),
        );
        if let Some(Frame::GoAway(g)) = c.read_until(|f| matches!(f, Frame::GoAway(_))) {
            *g2.lock().unwrap() = Some(g.code);
        }
    });
    let client = Client::new().unwrap();
    let first = client.send(Request::get(&server.url("/1")).unwrap());
    let second = client.send(Request::get(&server.url("/2")).unwrap());
    let body = h2o_core::client::block_on(async { first.await.unwrap().bytes().await.unwrap() });
    assert_eq!(&body[..], b"done");
    let e = h2o_core::client::block_on(second).unwrap_err();
    std::thread::sleep(Duration::from_millis(50));
    assert_calm((*goaway.lock().unwrap(), e), "RST_STREAM flood");
}

#[test]
fn empty_data_flood() {
    assert_calm(
        flood_case(|c| {
            let head = c.headers(1, &[(":status", "200")], false);
            c.send_raw(&head);
            let mut out = BytesMut::new();
            for _ in 0..10_000 {
                frame::encode_data_head(StreamId::new(1), 0, false, &mut out);
            }
            c.send_raw(&out);
        }),
        "empty DATA",
    );
}

#[test]
fn unknown_frame_flood() {
    assert_calm(
        flood_case(|c| {
            let mut out = BytesMut::new();
            for _ in 0..10_000 {
                out.extend_from_slice(&[0, 0, 0, 0xfa, 0, 0, 0, 0, 0]);
            }
            c.send_raw(&out);
        }),
        "ignored frames",
    );
}

#[test]
fn empty_continuation_flood_is_cut_by_the_frame_count() {
    let (code, e) = flood_case(|c| {
        let mut out = BytesMut::new();
        // HEADERS without END_HEADERS, then endless empty CONTINUATIONs (CVE-2024-27316).
        let block = c.headers(1, &[(":status", "200")], false);
        let mut open = block.to_vec();
        open[4] &= !0x4; // clear END_HEADERS
        out.extend_from_slice(&open);
        for _ in 0..100_000 {
            Frame::Continuation(Continuation {
                stream_id: StreamId::new(1),
                end_headers: false,
                fragment: Bytes::new(),
            })
            .encode(&mut out);
        }
        c.send_raw(&out);
    });
    assert_eq!(code, Some(ErrorCode::EnhanceYourCalm));
    assert_eq!(e.code(), Some(ErrorCode::EnhanceYourCalm), "{e}");
}

#[test]
fn hpack_bomb_is_a_limit_error_and_the_connection_survives() {
    let server = RawServer::start(|mut c| {
        c.handshake();
        let ids = c.read_requests(1);
        // One 4000-byte header indexed, then referenced 20 000 times: 80 MB if expanded.
        let mut block = BytesMut::new();
        block.extend_from_slice(&[0x88]); // :status 200
        block.extend_from_slice(&[0x40, 0x01, b'x', 0x7f, 0x81, 0x1e]); // literal, 4000 bytes
        block.extend_from_slice(&vec![b'a'; 4000]);
        block.extend_from_slice(&vec![0xbe; 20_000]); // dynamic index 62, repeated
        let mut out = BytesMut::new();
        frame::encode_header_block(StreamId::new(ids[0]), &block, true, None, 16_384, &mut out);
        c.send_raw(&out);
        let more = c.read_requests(1);
        c.respond(more[0], b"fine");
        while c.read_frame().is_some() {}
    });
    let client = Client::new().unwrap();
    let e = get(&client, &server.url("/bomb")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::LimitExceeded, "{e}");
    let f = get(&client, &server.url("/next")).unwrap();
    assert_eq!(f.len, 4);
    assert_eq!(client.stats().connections_created, 1);
}

#[test]
fn cancellation_storm_is_rate_bounded() {
    let resets = Arc::new(AtomicUsize::new(0));
    let r2 = resets.clone();
    let first_second = Arc::new(AtomicUsize::new(0));
    let f2 = first_second.clone();
    let server = RawServer::start(move |mut c| {
        c.handshake();
        let t0 = Instant::now();
        while let Some(f) = c.read_frame() {
            if let Frame::RstStream(_) = f {
                r2.fetch_add(1, Ordering::SeqCst);
                if t0.elapsed() < Duration::from_millis(900) {
                    f2.fetch_add(1, Ordering::SeqCst);
                }
            }
        }
    });
    let mut cfg = h2o_core::Config::default();
    cfg.proto.flood.local_resets_per_sec = 200;
    cfg.proto.max_concurrent_streams = 1000;
    let client = Client::with_config(cfg).unwrap();
    // 1000 requests opened and cancelled at once (dropping the futures cancels them).
    for _ in 0..1000 {
        let fut = client.send(Request::get(&server.url("/slow")).unwrap());
        drop(fut);
    }
    std::thread::sleep(Duration::from_millis(1500));
    let in_first = first_second.load(Ordering::SeqCst);
    assert!(
        in_first <= 200,
        "{in_first} resets in the first second, budget 200"
    );
    // Every request still ended exactly once (none left in flight).
    let deadline = Instant::now() + Duration::from_secs(10);
    while client.stats().requests_in_flight() > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(client.stats().requests_in_flight(), 0);
}
