//! The connection's own counters (metrics) and snapshot (debug dump), driven in memory
//! with a deterministic clock.

mod common;

use std::time::Duration;

use common::*;
use h2o_core::frame::Settings;
use h2o_core::proto::StreamState;

fn window(n: u32) -> Settings {
    Settings {
        initial_window_size: Some(n),
        ..Settings::default()
    }
}

#[test]
fn flow_control_stall_is_counted_and_timed() {
    let mut p = Pair::ready(small_cfg(), window(1000));
    let id = p.submit(post("/up"), Some(bytes_of(3000)), true);
    p.expect(&[post_headers(1, "/up", false), data(1, 1000, false)]);
    assert_eq!(p.conn.metrics().stalls, 1);
    assert_eq!(p.conn.metrics().stalled_ns, 0, "still stalled");

    // The snapshot shows the stall in progress.
    p.advance(Duration::from_millis(30));
    let snap = p.conn.snapshot(p.now);
    assert_eq!(snap.state, "open");
    assert_eq!(snap.peer_settings.initial_window_size, 1000);
    assert!(snap.peer_settings_received && snap.settings_acked);
    let s = &snap.streams[0];
    assert_eq!(
        (s.stream_id, s.request, s.state),
        (1, id, StreamState::Open)
    );
    assert_eq!((s.send_window, s.send_buffered), (0, 2000));
    assert_eq!(s.stalled_for, Some(Duration::from_millis(30)));
    assert_eq!(s.age, Duration::from_millis(30));
    assert!(snap.queued.is_empty());

    p.advance(Duration::from_millis(20));
    p.send_wu(1, 5000);
    p.expect(&[data(1, 2000, true)]);
    let m = *p.conn.metrics();
    assert_eq!(m.stalls, 1);
    assert_eq!(m.stalled_ns, 50_000_000);
    assert_eq!(m.data_bytes_sent, 3000);
    p.complete(1, id);
}

#[test]
fn a_stream_reset_while_stalled_ends_its_stall() {
    let mut p = Pair::ready(small_cfg(), window(100));
    let id = p.submit(post("/up"), Some(bytes_of(500)), true);
    p.read();
    p.advance(Duration::from_millis(7));
    p.send_rst(1, h2o_core::frame::ErrorCode::Cancel);
    let _ = p.events();
    let m = *p.conn.metrics();
    assert_eq!((m.stalls, m.stalled_ns), (1, 7_000_000));
    assert!(p.conn.snapshot(p.now).streams.is_empty());
    let _ = id;
}

#[test]
fn body_and_header_bytes_are_counted() {
    let mut p = Pair::ready(small_cfg(), Settings::default());
    let a = p.submit_get("/same/path");
    p.read();
    let first = *p.conn.metrics();
    assert!(first.header_bytes_sent_plain > 0);
    assert!(first.header_bytes_sent_encoded > 0);
    let b = p.submit_get("/same/path");
    p.read();
    let second = *p.conn.metrics();
    let plain = second.header_bytes_sent_plain - first.header_bytes_sent_plain;
    let enc = second.header_bytes_sent_encoded - first.header_bytes_sent_encoded;
    assert_eq!(plain, first.header_bytes_sent_plain, "same fields");
    assert!(enc < first.header_bytes_sent_encoded / 2, "indexed: {enc}");

    p.send_ok(1, false);
    p.send_body(1, 40_000, true);
    p.send_ok(3, true);
    let _ = p.events();
    let m = *p.conn.metrics();
    assert_eq!(m.data_bytes_received, 40_000);
    assert_eq!(m.header_bytes_received_plain, 2 * ":status200".len() as u64);
    assert!(m.header_bytes_received_encoded > 0);
    let _ = (a, b);
}

#[test]
fn snapshot_lists_queued_requests_and_settings() {
    let server = Settings {
        max_concurrent_streams: Some(1),
        ..Settings::default()
    };
    let mut p = Pair::ready(small_cfg(), server);
    let a = p.submit_get("/a");
    let b = p.submit(post("/b"), Some(bytes_of(10)), true);
    p.read();
    let s = p.conn.snapshot(p.now);
    assert_eq!(s.streams.len(), 1);
    assert_eq!(s.streams[0].request, a);
    assert_eq!(s.streams[0].state, StreamState::HalfClosedLocal);
    assert_eq!(s.queued.len(), 1);
    assert_eq!((s.queued[0].request, s.queued[0].body_len), (b, 10));
    assert_eq!(s.peer_settings.max_concurrent_streams, 1);
    assert_eq!(s.local_settings.initial_window_size, 65_535);
    assert_eq!(s.next_stream_id, 3);
    p.conn.drain();
    assert_eq!(p.conn.snapshot(p.now).state, "draining");
}
