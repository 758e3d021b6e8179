//! Flow control (RFC 9113 §5.2, §6.9, §6.9.2), SETTINGS_MAX_FRAME_SIZE (§4.2, §6.5.2),
//! receive-side backpressure and the adaptive (BDP) receive window.

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::*;
use h2o_core::frame::{ErrorCode, Settings, StreamId};
use h2o_core::proto::{Event, ProtoConfig, RequestId};

fn window(n: u32) -> Settings {
    Settings {
        initial_window_size: Some(n),
        ..Settings::default()
    }
}

/// DATA frames of `frames`, as (stream, len, end_stream).
fn data_frames(frames: &[F]) -> Vec<(u32, usize, bool)> {
    frames
        .iter()
        .map(|f| match f {
            F::Data {
                sid,
                len,
                end_stream,
            } => (*sid, *len, *end_stream),
            other => panic!("expected only DATA, got {other:?}"),
        })
        .collect()
}

// ----- sending --------------------------------------------------------------------------

#[test]
fn upload_stops_at_stream_window_and_resumes_on_window_update() {
    let mut p = Pair::ready(small_cfg(), window(1000));
    let body = bytes_of(3000);
    let id = p.submit(post("/up"), Some(body.clone()), true);
    p.expect(&[post_headers(1, "/up", false), data(1, 1000, false)]);
    p.expect_nothing();
    assert!(!p.conn.wants_write());
    p.send_wu(1, 600);
    p.expect(&[data(1, 600, false)]);
    p.send_wu(1, 5000);
    p.expect(&[data(1, 1400, true)]);
    assert_eq!(p.peer.body[&1], body);
    p.complete(1, id);
    p.assert_all_ended();
}

#[test]
fn upload_stops_at_connection_window() {
    // §6.9.2: the connection window is 65535 whatever SETTINGS say.
    let mut p = Pair::ready(small_cfg(), window(1 << 20));
    let body = bytes_of(100_000);
    let id = p.submit(post("/up"), Some(body.clone()), true);
    let frames = p.read();
    assert_eq!(frames[0], post_headers(1, "/up", false));
    assert_eq!(
        data_frames(&frames[1..]),
        vec![
            (1, 16_384, false),
            (1, 16_384, false),
            (1, 16_384, false),
            (1, 16_383, false)
        ]
    );
    // A stream WINDOW_UPDATE does not help.
    p.send_wu(1, 10_000);
    p.expect_nothing();
    p.send_wu(0, 30_000);
    assert_eq!(
        data_frames(&p.read()),
        vec![(1, 16_384, false), (1, 13_616, false)]
    );
    p.send_wu(0, 10_000);
    p.expect(&[data(1, 4_465, true)]);
    assert_eq!(p.peer.body[&1], body);
    p.complete(1, id);
}

#[test]
fn data_frames_respect_peer_max_frame_size() {
    // §4.2: never exceed the peer's SETTINGS_MAX_FRAME_SIZE (default 16384).
    let mut p = Pair::ready(
        small_cfg(),
        Settings {
            max_frame_size: Some(20_000),
            initial_window_size: Some(1 << 20),
            ..Settings::default()
        },
    );
    p.peer.max_frame_size = 20_000;
    let id = p.submit(post("/up"), Some(bytes_of(50_000)), true);
    let frames = p.read();
    assert_eq!(
        data_frames(&frames[1..]),
        vec![(1, 20_000, false), (1, 20_000, false), (1, 10_000, true)]
    );
    p.complete(1, id);
}

#[test]
fn initial_window_decrease_makes_windows_negative() {
    // §6.9.2: a SETTINGS_INITIAL_WINDOW_SIZE change adjusts every stream window by the
    // difference, possibly below zero; nothing is sent until WINDOW_UPDATEs bring it back.
    let mut p = Pair::ready(small_cfg(), window(1000));
    let id = p.submit(post("/up"), Some(bytes_of(600)), false);
    p.expect(&[post_headers(1, "/up", false), data(1, 600, false)]);
    // Window 400; the server lowers the initial window to 200: 400 - 800 = -400.
    p.send(window(200));
    p.expect(&[F::SettingsAck]);
    p.conn.send_data(id, bytes_of(1000), true);
    p.expect_nothing();
    p.send_wu(1, 400); // back to 0
    p.expect_nothing();
    p.send_wu(1, 100);
    p.expect(&[data(1, 100, false)]);
    // An increase applies to open streams too: +300.
    p.send(window(500));
    p.expect(&[F::SettingsAck, data(1, 300, false)]);
    p.send_wu(1, 10_000);
    p.expect(&[data(1, 600, true)]);
    p.complete(1, id);
    // New streams start with the new initial window.
    let id2 = p.submit(post("/b"), Some(bytes_of(800)), true);
    p.expect(&[post_headers(3, "/b", false), data(3, 500, false)]);
    p.send_wu(3, 300);
    p.expect(&[data(3, 300, true)]);
    p.complete(3, id2);
    p.assert_all_ended();
}

#[test]
fn window_update_overflow_on_stream_is_stream_error() {
    // §6.9.1: a window above 2^31-1 is FLOW_CONTROL_ERROR; on a stream, a stream error.
    let mut p = Pair::ready(small_cfg(), server_settings());
    let id = p.submit(post("/up"), None, false);
    p.read();
    p.send_wu(1, (1 << 31) - 1 - 65_535);
    p.expect_nothing();
    p.send_wu(1, 1);
    p.expect(&[rst(1, ErrorCode::FlowControlError)]);
    let e = p.expect_failed(id);
    assert_eq!(
        shape(&e),
        local_stream_protocol(ErrorCode::FlowControlError)
    );
    assert!(p.conn.is_accepting());
    p.assert_all_ended();
}

#[test]
fn window_update_overflow_on_connection_is_connection_error() {
    let mut p = Pair::ready(small_cfg(), server_settings());
    let id = p.submit_get("/");
    p.read();
    p.send_wu(0, (1 << 31) - 1 - 65_535);
    p.expect_nothing();
    p.send_wu(0, 1);
    p.expect(&[goaway(0, ErrorCode::FlowControlError)]);
    let e = p.expect_failed(id);
    assert_eq!(shape(&e), local_conn_protocol(ErrorCode::FlowControlError));
    assert!(p.conn.is_closed());
}

#[test]
fn settings_initial_window_overflow_is_connection_error() {
    // §6.9.2: a SETTINGS_INITIAL_WINDOW_SIZE change that makes a stream window exceed
    // 2^31-1 is a connection error of type FLOW_CONTROL_ERROR.
    let mut p = Pair::ready(small_cfg(), server_settings());
    let id = p.submit(post("/up"), None, false);
    p.read();
    p.send_wu(1, (1 << 31) - 1 - 65_535);
    p.send(window(65_536));
    let frames = p.read();
    assert_eq!(frames.last(), Some(&goaway(0, ErrorCode::FlowControlError)));
    let e = p.expect_failed(id);
    assert_eq!(shape(&e), local_conn_protocol(ErrorCode::FlowControlError));
}

#[test]
fn zero_window_increment_on_stream_is_stream_error() {
    // §6.9: increment 0 is PROTOCOL_ERROR: a stream error on a stream...
    let mut p = Pair::ready(small_cfg(), server_settings());
    let id = p.submit(post("/up"), None, false);
    p.read();
    p.send_raw(&[0, 0, 4, 0x8, 0, 0, 0, 0, 1, 0, 0, 0, 0]);
    p.expect(&[rst(1, ErrorCode::ProtocolError)]);
    assert_eq!(
        shape(&p.expect_failed(id)),
        local_stream_protocol(ErrorCode::ProtocolError)
    );
    assert!(p.conn.is_accepting());
}

#[test]
fn zero_window_increment_on_connection_is_connection_error() {
    // ... and a connection error on stream 0.
    let mut p = Pair::ready(small_cfg(), server_settings());
    p.send_raw(&[0, 0, 4, 0x8, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    p.expect(&[goaway(0, ErrorCode::ProtocolError)]);
    assert!(p.conn.is_closed());
}

#[test]
fn streamed_upload_backpressure_send_ready() {
    let mut p = Pair::ready(
        ProtoConfig {
            send_buffer_size: 10_000,
            ..small_cfg()
        },
        window(1000),
    );
    let id = p.submit(post("/up"), None, false);
    p.read();
    // Buffer fills: the caller is told to wait.
    assert!(p.conn.send_data(id, bytes_of(6000), false));
    assert!(!p.conn.send_data(id, bytes_of(6000), false));
    p.expect(&[data(1, 1000, false)]);
    p.expect_no_events();
    // The server drains it; below half the buffer the caller may send again.
    p.send_wu(1, 6000);
    // (A DATA frame never spans two of the caller's chunks.)
    p.expect(&[data(1, 5000, false), data(1, 1000, false)]);
    p.expect_events(&[Event::SendReady { id }]);
    assert!(p.conn.send_data(id, Bytes::new(), true));
    p.send_wu(1, 6000);
    p.expect(&[data(1, 5000, true)]);
    p.complete(1, id);
}

#[test]
fn upload_to_slow_server_completes() {
    // A body far larger than the peer's windows, a server that grants credit in small
    // steps, and a caller that obeys SendReady: everything arrives, no deadlock.
    let mut p = Pair::ready(
        ProtoConfig {
            send_buffer_size: 8192,
            ..small_cfg()
        },
        window(1000),
    );
    let total = 200_000usize;
    let body = bytes_of(total);
    let id = p.submit(post("/slow"), None, false);
    let mut offset = 0usize;
    let mut may_send = true;
    let mut done = false;
    for _round in 0..10_000 {
        while may_send && offset < total {
            let n = 3000.min(total - offset);
            let end = offset + n == total;
            may_send = p.conn.send_data(id, body.slice(offset..offset + n), end);
            offset += n;
        }
        for ev in p.events() {
            match ev {
                Event::SendReady { .. } => may_send = true,
                other => panic!("{other:?}"),
            }
        }
        let frames = p.read();
        let mut got = 0u32;
        for f in &frames {
            match f {
                F::Data {
                    len, end_stream, ..
                } => {
                    got += *len as u32;
                    done |= *end_stream;
                }
                F::Headers { .. } => {}
                other => panic!("{other:?}"),
            }
        }
        if done {
            break;
        }
        // The slow reader returns what it consumed, 700 bytes at a time.
        p.send_wu(1, 700);
        p.send_wu(0, 700 + got);
    }
    assert!(done, "upload did not finish");
    assert_eq!(p.peer.body[&1].len(), total);
    assert_eq!(p.peer.body[&1], body);
    p.complete(1, id);
    p.assert_all_ended();
}

// ----- receiving ------------------------------------------------------------------------

/// Stream window 65535, connection window 1 MiB (so stream-level updates are isolated).
fn recv_cfg() -> ProtoConfig {
    ProtoConfig {
        initial_window_size: 65_535,
        connection_window_size: 1 << 20,
        adaptive_window: false,
        max_buffered_per_connection: 0,
        ..ProtoConfig::default()
    }
}

fn open_get(p: &mut Pair) -> RequestId {
    let id = p.submit_get("/down");
    p.read();
    p.send_ok(1, false);
    assert_eq!(p.events(), vec![head_ev(id, 200)]);
    id
}

#[test]
fn no_window_update_until_release_and_then_batched() {
    let mut p = Pair::ready(recv_cfg(), server_settings());
    let id = open_get(&mut p);
    // The server fills the stream window.
    for _ in 0..3 {
        p.send_data(1, bytes_of(16_384), false);
    }
    p.send_data(1, bytes_of(16_383), false);
    assert_eq!(p.events().len(), 4);
    p.expect_nothing();
    // Consumption returned in small pieces is batched: nothing below half a window...
    p.conn.take_credit_queued();
    for _ in 0..32 {
        p.conn.release(id, 1000);
        p.expect_nothing();
        assert!(!p.conn.take_credit_queued(), "no credit queued yet");
    }
    // ... then exactly one WINDOW_UPDATE for everything owed, flagged for a prompt write.
    p.conn.release(id, 1000);
    assert!(p.conn.take_credit_queued());
    assert!(!p.conn.take_credit_queued(), "the flag clears when taken");
    p.expect(&[wu(1, 33_000)]);
    // The window is 33000 again: exactly that much more is fine.
    p.send_data(1, bytes_of(16_384), false);
    p.send_data(1, bytes_of(16_384), false);
    p.send_data(1, bytes_of(232), true);
    p.expect_nothing();
    assert_eq!(p.events().len(), 4);
    p.assert_all_ended();
}

#[test]
fn connection_window_update_batched_at_half() {
    let mut p = Pair::ready(small_cfg(), server_settings());
    let id = open_get(&mut p);
    p.send_data(1, bytes_of(16_384), false);
    p.send_data(1, bytes_of(16_384), false);
    p.events();
    p.conn.release(id, 16_384);
    p.expect_nothing();
    // 32768 owed on both: the stream and the connection get their update.
    p.conn.release(id, 16_384);
    p.expect(&[wu(1, 32_768), wu(0, 32_768)]);
}

#[test]
fn data_beyond_stream_window_is_flow_control_error() {
    // §6.9.1: a sender MUST NOT exceed the window; the receiver may answer with a stream
    // error of type FLOW_CONTROL_ERROR.
    let mut p = Pair::ready(recv_cfg(), server_settings());
    let id = open_get(&mut p);
    for _ in 0..3 {
        p.send_data(1, bytes_of(16_384), false);
    }
    p.send_data(1, bytes_of(16_383), false);
    p.events();
    p.send_data(1, bytes_of(1), false);
    p.expect(&[rst(1, ErrorCode::FlowControlError)]);
    assert_eq!(
        shape(&p.expect_failed(id)),
        local_stream_protocol(ErrorCode::FlowControlError)
    );
    assert!(p.conn.is_accepting());
    p.assert_all_ended();
}

#[test]
fn data_beyond_connection_window_is_connection_error() {
    let mut p = Pair::ready(
        ProtoConfig {
            initial_window_size: 1 << 20,
            connection_window_size: 65_535,
            adaptive_window: false,
            max_buffered_per_connection: 0,
            ..ProtoConfig::default()
        },
        server_settings(),
    );
    let id = open_get(&mut p);
    for _ in 0..3 {
        p.send_data(1, bytes_of(16_384), false);
    }
    p.send_data(1, bytes_of(16_383), false);
    p.events();
    p.send_data(1, bytes_of(1), false);
    p.expect(&[goaway(0, ErrorCode::FlowControlError)]);
    assert_eq!(
        shape(&p.expect_failed(id)),
        local_conn_protocol(ErrorCode::FlowControlError)
    );
}

#[test]
fn padding_counts_against_the_window_and_is_returned() {
    // §6.1: the whole DATA payload, padding included, is flow-controlled; padding is
    // never delivered, so it is credited back without waiting for the caller.
    let mut p = Pair::ready(small_cfg(), server_settings());
    let id = open_get(&mut p);
    // 3 data bytes, a pad length octet and 255 octets of padding: 259 flow-controlled.
    let padded = h2o_core::frame::Data {
        stream_id: StreamId::new(1),
        end_stream: false,
        data: Bytes::from_static(b"abc"),
        flow_len: 259,
    };
    for i in 0..128 {
        p.send(padded.clone());
        if i < 127 {
            p.expect_nothing();
        }
    }
    assert_eq!(p.events(), vec![data_ev(id, b"abc"); 128]);
    // 128 * 256 octets of padding are owed to the connection without waiting for the
    // caller (above half of 65535).
    p.expect(&[wu(0, 32_768)]);
    // The stream-level credit for the padding goes out with the caller's next release.
    p.conn.release(id, 384);
    p.expect(&[wu(1, 32_768 + 384)]);
}

#[test]
fn connection_credit_never_exceeds_consumption_on_end_stream() {
    // Bytes released by the caller are credited to the connection once. A stream that
    // ends with stream-level credit still owed must not credit the connection again.
    let mut p = Pair::ready(small_cfg(), server_settings());
    let id = open_get(&mut p);
    p.send_body(1, 20_000, false);
    p.events();
    p.conn.release(id, 20_000); // below both thresholds (32767)
    p.expect_nothing();
    p.send_data(1, Bytes::new(), true);
    p.expect_events(&[Event::Done { id }]);
    // Only 20000 bytes were ever consumed: no connection WINDOW_UPDATE yet.
    p.expect_nothing();
    // 12767 more consumed on another stream reaches the threshold with exactly the sum.
    let id2 = p.submit_get("/2");
    p.read();
    p.send_ok(3, false);
    p.send_data(3, bytes_of(12_767), false);
    p.events();
    p.conn.release(id2, 12_767);
    p.expect(&[wu(0, 32_767)]);
}

#[test]
fn connection_credit_never_exceeds_consumption_on_cancel() {
    let mut p = Pair::ready(small_cfg(), server_settings());
    let id = open_get(&mut p);
    p.send_body(1, 20_000, false);
    p.events();
    p.conn.release(id, 20_000);
    p.conn.cancel(id);
    p.expect(&[rst(1, ErrorCode::Cancel)]);
    p.events();
}

#[test]
fn connection_credit_never_exceeds_consumption_on_stream_error() {
    let mut p = Pair::ready(small_cfg(), server_settings());
    let id = open_get(&mut p);
    p.send_body(1, 20_000, false);
    p.events();
    p.conn.release(id, 20_000);
    // A malformed trailer section resets the stream.
    p.send_headers(1, &[("x", "1")], false);
    p.expect(&[rst(1, ErrorCode::ProtocolError)]);
    p.events();
}

/// A server that respects the client's windows: it sends as much as it may and learns
/// the client's credit from its WINDOW_UPDATEs.
struct Sender {
    stream: i64,
    conn: i64,
    sent: usize,
}

impl Sender {
    fn pump(&mut self, p: &mut Pair, sid: u32, total: usize) {
        loop {
            let n = (total - self.sent)
                .min(self.stream.max(0) as usize)
                .min(self.conn.max(0) as usize)
                .min(16_384);
            if n == 0 {
                break;
            }
            self.sent += n;
            self.stream -= n as i64;
            self.conn -= n as i64;
            p.send_data(sid, bytes_of(n), self.sent == total);
        }
    }

    fn credit(&mut self, frames: &[F], sid: u32) {
        for f in frames {
            match f {
                F::WindowUpdate { sid: 0, inc } => self.conn += *inc as i64,
                F::WindowUpdate { sid: s, inc } if *s == sid => self.stream += *inc as i64,
                other => panic!("{other:?}"),
            }
        }
    }
}

#[test]
fn slow_consumer_bounds_buffered_memory() {
    let cfg = ProtoConfig {
        initial_window_size: 65_535,
        connection_window_size: 100_000,
        adaptive_window: false,
        max_buffered_per_connection: 0,
        ..ProtoConfig::default()
    };
    let mut p = Pair::ready(cfg, server_settings());
    let id = open_get(&mut p);
    let total = 1_000_000;
    let mut s = Sender {
        stream: 65_535,
        conn: 100_000,
        sent: 0,
    };
    let mut unconsumed = 0usize;
    let mut received = 0usize;
    let mut done = false;
    for _ in 0..10_000 {
        s.pump(&mut p, 1, total);
        for ev in p.events() {
            match ev {
                Event::Data { data, .. } => {
                    unconsumed += data.len();
                    received += data.len();
                }
                Event::Done { .. } => done = true,
                other => panic!("{other:?}"),
            }
        }
        // Never more than one stream window is buffered, whatever the server wants.
        assert!(unconsumed <= 65_535, "{unconsumed} bytes buffered");
        if done {
            break;
        }
        // The server is now blocked until the consumer catches up.
        let before = s.sent;
        s.pump(&mut p, 1, total);
        assert_eq!(s.sent, before);
        // The slow consumer takes 10000 bytes per round.
        let n = unconsumed.min(10_000);
        p.conn.release(id, n);
        unconsumed -= n;
        let frames = p.read();
        s.credit(&frames, 1);
    }
    assert!(done);
    assert_eq!(received, total);
    p.assert_all_ended();
}

// ----- adaptive window ------------------------------------------------------------------

fn bdp_cfg(cap: u32) -> ProtoConfig {
    ProtoConfig {
        initial_window_size: 65_535,
        connection_window_size: 65_535,
        adaptive_window: true,
        max_adaptive_window: cap,
        max_buffered_per_connection: 0,
        ..ProtoConfig::default()
    }
}

const BDP_PING: [u8; 8] = *b"h2o-bdp\0";

/// Fills most of the window so the client probes, then sends `more` within the RTT.
fn run_bdp(p: &mut Pair, id: RequestId, more: usize) {
    for _ in 0..3 {
        p.send_data(1, bytes_of(16_384), false);
    }
    // Below half the stream window left: the client starts a BDP probe.
    p.expect(&[F::Ping {
        ack: false,
        payload: BDP_PING,
    }]);
    p.events();
    p.conn.release(id, 49_152);
    p.expect(&[wu(1, 49_152), wu(0, 49_152)]);
    let mut left = more;
    while left > 0 {
        let n = left.min(16_384);
        p.send_data(1, bytes_of(n), false);
        left -= n;
    }
    // No second probe while one is outstanding.
    p.expect_nothing();
    p.events();
    p.advance(Duration::from_millis(50));
    p.send_ping(true, BDP_PING);
}

#[test]
fn adaptive_window_grows_on_bdp_ping_ack() {
    let mut p = Pair::ready(bdp_cfg(16 << 20), server_settings());
    let id = open_get(&mut p);
    run_bdp(&mut p, id, 32_768);
    // 49152 bytes arrived in one round trip (> 2/3 of the window): the windows double it.
    p.expect(&[
        F::Settings(Settings {
            initial_window_size: Some(98_304),
            ..Settings::default()
        }),
        wu(0, 196_608 - 65_535),
    ]);
    assert_eq!(p.conn.receive_windows(), (98_304, 196_608));
    assert_eq!(p.conn.rtt(), Some(Duration::from_millis(50)));
    // The open stream got the extra credit too: its window was 65535 - 32768 and grew by
    // 98304 - 65535, so exactly 65536 more bytes are allowed.
    for _ in 0..4 {
        p.send_data(1, bytes_of(16_384), false);
    }
    // (The bigger window is still below the cap: pressure starts the next probe.)
    p.expect(&[F::Ping {
        ack: false,
        payload: BDP_PING,
    }]);
    p.send_data(1, bytes_of(1), false);
    p.expect(&[rst(1, ErrorCode::FlowControlError)]);
    assert_eq!(p.events().len(), 5); // 4 Data + Failed
}

#[test]
fn adaptive_window_is_capped() {
    let mut p = Pair::ready(bdp_cfg(80_000), server_settings());
    let id = open_get(&mut p);
    run_bdp(&mut p, id, 32_768);
    p.expect(&[
        F::Settings(Settings {
            initial_window_size: Some(80_000),
            ..Settings::default()
        }),
        wu(0, 80_000 - 65_535),
    ]);
    assert_eq!(p.conn.receive_windows(), (80_000, 80_000));
    // At the cap: no more probes.
    p.conn.release(id, 16_384 + 32_768);
    let frames = p.read();
    assert!(
        frames.iter().all(|f| matches!(f, F::WindowUpdate { .. })),
        "{frames:?}"
    );
    for _ in 0..4 {
        p.send_data(1, bytes_of(16_384), false);
    }
    assert!(p.read().iter().all(|f| !matches!(f, F::Ping { .. })));
}

#[test]
fn slow_round_trip_does_not_grow_the_window() {
    let mut p = Pair::ready(bdp_cfg(16 << 20), server_settings());
    let id = open_get(&mut p);
    // Only 16384 + 8000 bytes per round trip: below 2/3 of the window.
    run_bdp(&mut p, id, 8_000);
    p.expect_nothing();
    assert_eq!(p.conn.receive_windows(), (65_535, 65_535));
}

#[test]
fn small_responses_never_probe() {
    let mut p = Pair::ready(bdp_cfg(16 << 20), server_settings());
    for i in 0..50u32 {
        let id = p.submit_get("/small");
        let sid = 1 + 2 * i;
        p.expect(&[get_headers(sid, "/small")]);
        p.send_ok(sid, false);
        p.send_data(sid, bytes_of(1000), true);
        let evs = p.events();
        assert_eq!(evs.len(), 3);
        p.conn.release(id, 1000);
        for f in p.read() {
            assert!(matches!(f, F::WindowUpdate { sid: 0, .. }), "{f:?}");
        }
    }
    assert_eq!(p.conn.receive_windows(), (65_535, 65_535));
    p.assert_all_ended();
}

#[test]
fn end_stream_is_not_blocked_behind_connection_window() {
    // An empty DATA frame with END_STREAM consumes no flow-control credit (§6.9.1): a
    // stream finishing its body must not wait behind another stream that is blocked on
    // the connection window.
    let mut p = Pair::ready(small_cfg(), window(1 << 20));
    let b = p.submit(post("/b"), None, false);
    let a = p.submit(post("/a"), Some(bytes_of(100_000)), true);
    let frames = p.read();
    assert_eq!(
        frames[..2],
        [post_headers(1, "/b", false), post_headers(3, "/a", false)]
    );
    assert_eq!(p.peer.body[&3].len(), 65_535);
    assert!(!p.conn.wants_write());
    p.conn.send_data(b, Bytes::new(), true);
    assert!(p.conn.wants_write());
    p.expect(&[data(1, 0, true)]);
    p.complete(1, b);
    p.send_wu(0, 40_000);
    assert_eq!(
        data_frames(&p.read()),
        vec![(3, 16_384, false), (3, 16_384, false), (3, 1_697, true)]
    );
    p.complete(3, a);
    p.assert_all_ended();
}

/// The DATA frames of one `poll_transmit` (one flush), written in full.
fn one_flush(p: &mut Pair) -> Vec<(u32, usize, bool)> {
    let buf = p.conn.poll_transmit().to_vec();
    p.conn.advance_transmit(buf.len());
    let frames = p.peer.absorb(&buf);
    data_frames(
        &frames
            .into_iter()
            .filter(|f| matches!(f, F::Data { .. }))
            .collect::<Vec<_>>(),
    )
}

#[test]
fn flushes_carry_a_quarter_of_a_small_peer_window() {
    // The peer's connection window is the default 65535 (nghttpd's): each flush carries at
    // most a quarter of it (one 16 KiB frame), so the peer can return credit for the first
    // frame while the rest is on the way.
    let mut p = Pair::ready(small_cfg(), window(1 << 20));
    p.submit(post("/up"), Some(bytes_of(100_000)), true);
    assert_eq!(one_flush(&mut p), vec![(1, 16_384, false)]);
    assert_eq!(one_flush(&mut p), vec![(1, 16_384, false)]);
    // A peer that opened a large window gets large flushes (up to write_high_water).
    let mut q = Pair::ready(small_cfg(), window(1 << 20));
    q.send_wu(0, 1 << 20);
    q.submit(post("/up"), Some(bytes_of(100_000)), true);
    let first = one_flush(&mut q);
    assert_eq!(first.len(), 7, "one flush carried {first:?}");
    assert_eq!(first.iter().map(|f| f.1).sum::<usize>(), 100_000);
}

fn two_uploads(prio: h2o_core::Priority) -> Vec<(u32, usize, bool)> {
    let mut p = Pair::ready(small_cfg(), window(1 << 20));
    p.send_wu(0, 1 << 20);
    let mut a = post("/a");
    a.priority = prio;
    let mut b = post("/b");
    b.priority = prio;
    p.submit(a, Some(bytes_of(40_000)), true);
    p.submit(b, Some(bytes_of(40_000)), true);
    let frames = p.read();
    data_frames(&frames[2..])
}

#[test]
fn sequential_uploads_go_one_after_the_other() {
    // RFC 9218 §4.2: non-incremental responses (and, in our scheduler, request bodies)
    // of the same urgency are served one at a time, in order.
    assert_eq!(
        two_uploads(h2o_core::Priority::default()),
        vec![
            (1, 16_384, false),
            (1, 16_384, false),
            (1, 7_232, true),
            (3, 16_384, false),
            (3, 16_384, false),
            (3, 7_232, true)
        ]
    );
}

#[test]
fn incremental_uploads_take_turns() {
    assert_eq!(
        two_uploads(h2o_core::Priority::new(3, true)),
        vec![
            (1, 16_384, false),
            (3, 16_384, false),
            (1, 16_384, false),
            (3, 16_384, false),
            (1, 7_232, true),
            (3, 7_232, true)
        ]
    );
}

#[test]
fn stream_blocked_on_its_window_does_not_block_others() {
    let mut p = Pair::ready(small_cfg(), window(1000));
    let a = p.submit(post("/a"), Some(bytes_of(5000)), true);
    let b = p.submit(post("/b"), Some(bytes_of(5000)), true);
    let frames = p.read();
    assert_eq!(
        data_frames(&frames[2..]),
        vec![(1, 1000, false), (3, 1000, false)]
    );
    p.send_wu(3, 4000);
    p.expect(&[data(3, 4000, true)]);
    p.send_wu(1, 4000);
    p.expect(&[data(1, 4000, true)]);
    p.complete(1, a);
    p.complete(3, b);
}

#[test]
fn no_stream_window_update_after_the_response_ended() {
    // §6.9: once the server sent END_STREAM it sends no more DATA on the stream, so credit
    // released afterwards goes to the connection only.
    let mut p = Pair::ready(small_cfg(), server_settings());
    let id = open_get(&mut p);
    p.send_body(1, 40_000, true);
    p.events();
    p.conn.release(id, 40_000);
    p.expect(&[wu(0, 40_000)]);
}
