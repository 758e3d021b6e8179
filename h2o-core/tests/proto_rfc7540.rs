//! The optional RFC 7540 priority scheme: weights signalled in HEADERS and used by the DATA
//! scheduler (off by default; RFC 9218 urgency is the default scheme).

mod common;

use bytes::BytesMut;
use common::*;
use h2o_core::frame::{Frame, FrameDecoder, Settings, StreamId};
use h2o_core::proto::ProtoConfig;
use h2o_core::Priority;

fn raw_frames(p: &mut Pair) -> Vec<Frame> {
    let mut buf = BytesMut::from(p.conn.poll_transmit());
    let n = buf.len();
    p.conn.advance_transmit(n);
    let mut dec = FrameDecoder::new();
    let mut out = Vec::new();
    while let Some(f) = dec.decode(&mut buf).unwrap() {
        out.push(f);
    }
    out
}

#[test]
fn headers_carry_weight_and_exclusive_when_enabled() {
    let cfg = ProtoConfig {
        rfc7540_priorities: true,
        ..small_cfg()
    };
    let mut p = Pair::ready(cfg, Settings::default());
    let mut head = get("/w");
    head.priority = Priority::default().with_weight(200);
    head.priority.exclusive = true;
    p.submit(head, None, true);
    let frames = raw_frames(&mut p);
    let Some(Frame::Headers(h)) = frames.first() else {
        panic!("expected HEADERS, got {frames:?}");
    };
    let spec = h.priority.expect("PRIORITY flag set");
    assert_eq!(spec.weight, 199, "wire weight is weight - 1");
    assert!(spec.exclusive);
    assert_eq!(spec.dependency, StreamId::ZERO);
}

#[test]
fn headers_carry_no_priority_fields_by_default() {
    let mut p = Pair::ready(small_cfg(), Settings::default());
    p.submit(get("/"), None, true);
    let frames = raw_frames(&mut p);
    let Some(Frame::Headers(h)) = frames.first() else {
        panic!("expected HEADERS");
    };
    assert_eq!(h.priority, None);
}

#[test]
fn uploads_share_the_connection_by_weight() {
    let cfg = ProtoConfig {
        rfc7540_priorities: true,
        ..small_cfg()
    };
    // Large stream windows so only the scheduler decides the order.
    let mut p = Pair::ready(
        cfg,
        Settings {
            initial_window_size: Some(1 << 20),
            ..Settings::default()
        },
    );
    let mut heavy = post("/heavy");
    heavy.priority = Priority::default().with_weight(64);
    let mut light = post("/light");
    light.priority = Priority::default().with_weight(16);
    // 40 frames' worth each; the 65535-byte connection window lets ~4 frames through.
    p.submit(heavy, Some(bytes_of(16_384 * 40)), true);
    p.submit(light, Some(bytes_of(16_384 * 40)), true);
    let mut counts = (0, 0);
    // Measure while both still have data (the heavy one needs 40 frames).
    for _ in 0..5 {
        p.send_wu(0, 16_384 * 5);
        for f in raw_frames(&mut p) {
            if let Frame::Data(d) = f {
                match d.stream_id.value() {
                    1 => counts.0 += 1,
                    3 => counts.1 += 1,
                    _ => {}
                }
            }
        }
    }
    // Weight 64 vs 16: four frames for every one.
    let ratio = counts.0 as f64 / counts.1.max(1) as f64;
    assert!((3.0..=5.0).contains(&ratio), "frames sent {counts:?}");
}
