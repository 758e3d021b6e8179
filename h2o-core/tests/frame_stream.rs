//! Partial input handling and header-block splitting.

use bytes::{Bytes, BytesMut};
use h2o_core::frame::*;

fn sid(v: u32) -> StreamId {
    StreamId::new(v)
}

/// One of every frame type, some padded, plus an unknown one.
fn sample_frames() -> Vec<Frame> {
    vec![
        Settings {
            max_concurrent_streams: Some(100),
            ..Settings::default()
        }
        .into(),
        Settings::ack().into(),
        Headers {
            stream_id: sid(1),
            end_stream: false,
            end_headers: false,
            priority: Some(PrioritySpec {
                dependency: sid(0),
                exclusive: false,
                weight: 15,
            }),
            fragment: Bytes::from_static(b"\x88\x5f\x8b"),
        }
        .into(),
        Continuation {
            stream_id: sid(1),
            end_headers: true,
            fragment: Bytes::from_static(b"\x1d\x75"),
        }
        .into(),
        Data {
            stream_id: sid(1),
            end_stream: false,
            data: Bytes::from_static(b"hello "),
            flow_len: 10,
        }
        .into(),
        Data::new(sid(1), Bytes::from_static(b"world"), true).into(),
        Ping {
            ack: true,
            payload: *b"pingpong",
        }
        .into(),
        WindowUpdate {
            stream_id: sid(0),
            increment: 1 << 20,
        }
        .into(),
        Priority {
            stream_id: sid(3),
            spec: PrioritySpec {
                dependency: sid(1),
                exclusive: true,
                weight: 1,
            },
        }
        .into(),
        RstStream {
            stream_id: sid(3),
            code: ErrorCode::Cancel,
        }
        .into(),
        PushPromise {
            stream_id: sid(1),
            end_headers: true,
            promised_id: sid(2),
            fragment: Bytes::from_static(b"\x82"),
        }
        .into(),
        UnknownFrame {
            kind: 0x10,
            flags: 3,
            stream_id: sid(1),
            payload: Bytes::from_static(b"??"),
        }
        .into(),
        GoAway {
            last_stream_id: sid(1),
            code: ErrorCode::NoError,
            debug_data: Bytes::from_static(b"bye"),
        }
        .into(),
    ]
}

fn encode_all(frames: &[Frame]) -> (Bytes, Vec<usize>) {
    let mut buf = BytesMut::new();
    let mut ends = Vec::new();
    for f in frames {
        f.encode(&mut buf);
        ends.push(buf.len());
    }
    (buf.freeze(), ends)
}

#[test]
fn every_prefix_is_none_and_untouched() {
    let frames = sample_frames();
    let (wire, ends) = encode_all(&frames);
    for cut in 0..wire.len() {
        let mut buf = BytesMut::from(&wire[..cut]);
        let mut dec = FrameDecoder::new();
        let mut got = Vec::new();
        loop {
            let before = buf.clone();
            match dec.decode(&mut buf).unwrap() {
                Some(f) => got.push(f),
                None => {
                    assert_eq!(
                        buf, before,
                        "Ok(None) must leave the buffer intact (cut {cut})"
                    );
                    break;
                }
            }
        }
        // Exactly the complete frames came out; the partial tail is still there.
        let complete = ends.iter().filter(|&&e| e <= cut).count();
        assert_eq!(got, frames[..complete], "cut {cut}");
        let consumed = if complete == 0 { 0 } else { ends[complete - 1] };
        assert_eq!(&buf[..], &wire[consumed..cut], "cut {cut}");
    }
    // Then the full buffer decodes.
    let mut buf = BytesMut::from(&wire[..]);
    let mut dec = FrameDecoder::new();
    let mut got = Vec::new();
    while let Some(f) = dec.decode(&mut buf).unwrap() {
        got.push(f);
    }
    assert_eq!(got, frames);
    assert!(buf.is_empty());
}

#[test]
fn byte_by_byte_feed() {
    let frames = sample_frames();
    let (wire, _) = encode_all(&frames);
    let mut buf = BytesMut::new();
    let mut dec = FrameDecoder::new();
    let mut got = Vec::new();
    for &b in wire.iter() {
        buf.extend_from_slice(&[b]);
        while let Some(f) = dec.decode(&mut buf).unwrap() {
            got.push(f);
        }
    }
    assert_eq!(got, frames);
}

/// Decodes a header block written by `encode_header_block`, checking frame sizes and flags.
fn split_and_check(
    block: &[u8],
    end_stream: bool,
    priority: Option<PrioritySpec>,
    max: u32,
) -> usize {
    let mut buf = BytesMut::new();
    encode_header_block(sid(5), block, end_stream, priority, max, &mut buf);
    let mut dec = FrameDecoder::new();
    dec.set_max_frame_size(max);
    let mut frames = Vec::new();
    let mut rest = buf.clone();
    while rest.len() >= 9 {
        let head = FrameHeader::parse(rest.first_chunk::<9>().unwrap());
        assert!(
            head.length <= max,
            "frame of {} exceeds max {max}",
            head.length
        );
        frames.push(dec.decode(&mut rest).unwrap().unwrap());
    }
    assert!(rest.is_empty());
    let n = frames.len();
    let mut joined = Vec::new();
    for (i, f) in frames.into_iter().enumerate() {
        let last = i + 1 == n;
        match f {
            Frame::Headers(h) => {
                assert_eq!(i, 0, "HEADERS must come first");
                assert_eq!(h.stream_id, sid(5));
                assert_eq!(h.end_stream, end_stream);
                assert_eq!(h.end_headers, last);
                assert_eq!(h.priority, priority);
                joined.extend_from_slice(&h.fragment);
            }
            Frame::Continuation(c) => {
                assert!(i > 0);
                assert_eq!(c.stream_id, sid(5));
                assert_eq!(c.end_headers, last);
                assert!(!c.fragment.is_empty());
                joined.extend_from_slice(&c.fragment);
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(joined, block);
    n
}

#[test]
fn header_block_split_at_max_frame_size() {
    let block: Vec<u8> = (0..100_000u32).map(|i| i as u8).collect();
    let m = DEFAULT_MAX_FRAME_SIZE as usize;
    // Boundaries: empty, exactly one frame, one over, exactly two frames, two plus one.
    assert_eq!(split_and_check(&[], true, None, 16_384), 1);
    assert_eq!(split_and_check(&block[..m], false, None, 16_384), 1);
    assert_eq!(split_and_check(&block[..m + 1], false, None, 16_384), 2);
    assert_eq!(split_and_check(&block[..2 * m], true, None, 16_384), 2);
    assert_eq!(split_and_check(&block[..2 * m + 1], true, None, 16_384), 3);
    assert_eq!(split_and_check(&block, true, None, 16_384), 7);
    // Larger peer limit.
    assert_eq!(split_and_check(&block, false, None, 65_536), 2);
}

#[test]
fn header_block_split_with_priority_counts_the_five_octets() {
    let block = vec![0xaa; 40_000];
    let p = Some(PrioritySpec {
        dependency: sid(1),
        exclusive: true,
        weight: 42,
    });
    let m = DEFAULT_MAX_FRAME_SIZE as usize;
    assert_eq!(split_and_check(&block[..m - 5], true, p, 16_384), 1);
    assert_eq!(split_and_check(&block[..m - 4], true, p, 16_384), 2);
    assert_eq!(split_and_check(&block, false, p, 16_384), 3);
}

#[test]
fn header_block_split_exact_layout_small_frames() {
    // With a (test-only) tiny limit the layout is easy to spell out.
    let mut buf = BytesMut::new();
    encode_header_block(sid(1), b"abcdefg", true, None, 3, &mut buf);
    assert_eq!(
        &buf[..],
        &b"\x00\x00\x03\x01\x01\x00\x00\x00\x01abc\
           \x00\x00\x03\x09\x00\x00\x00\x00\x01def\
           \x00\x00\x01\x09\x04\x00\x00\x00\x01g"[..]
    );
    // Degenerate limits still make progress and never exceed the limit.
    for max in [0, 1, 2, 5, 6, 7] {
        let p = Some(PrioritySpec {
            dependency: sid(0),
            exclusive: false,
            weight: 0,
        });
        let mut out = BytesMut::new();
        encode_header_block(sid(1), b"abcdefghij", false, p, max, &mut out);
        assert!(!out.is_empty());
    }
    for max in [1, 2, 7] {
        split_and_check(b"abcdefghij", false, None, max);
    }
    for max in [6, 7, 10] {
        split_and_check(
            b"abcdefghij",
            false,
            Some(PrioritySpec {
                dependency: sid(0),
                exclusive: false,
                weight: 0,
            }),
            max,
        );
    }
}
