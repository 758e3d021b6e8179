//! Property tests: arbitrary frames round-trip; arbitrary bytes never panic.

use bytes::{Bytes, BytesMut};
use h2o_core::frame::*;
use proptest::prelude::*;

fn any_sid() -> impl Strategy<Value = StreamId> {
    prop_oneof![Just(0u32), 1..=10u32, any::<u32>()].prop_map(StreamId::new)
}

fn nonzero_sid() -> impl Strategy<Value = StreamId> {
    prop_oneof![1..=10u32, 1..=MAX_WINDOW_SIZE].prop_map(StreamId::new)
}

fn bytes(max: usize) -> impl Strategy<Value = Bytes> {
    proptest::collection::vec(any::<u8>(), 0..max).prop_map(Bytes::from)
}

fn priority_spec() -> impl Strategy<Value = PrioritySpec> {
    (any_sid(), any::<bool>(), any::<u8>()).prop_map(|(dependency, exclusive, weight)| {
        PrioritySpec {
            dependency,
            exclusive,
            weight,
        }
    })
}

fn settings() -> impl Strategy<Value = Settings> {
    let values = (
        proptest::option::of(any::<u32>()),
        proptest::option::of(any::<bool>()),
        proptest::option::of(any::<u32>()),
        proptest::option::of(0..=MAX_WINDOW_SIZE),
        proptest::option::of(DEFAULT_MAX_FRAME_SIZE..=MAX_MAX_FRAME_SIZE),
        proptest::option::of(any::<u32>()),
        proptest::option::of(any::<bool>()),
        proptest::option::of(any::<bool>()),
    )
        .prop_map(|(a, b, c, d, e, f, g, h)| Settings {
            ack: false,
            header_table_size: a,
            enable_push: b,
            max_concurrent_streams: c,
            initial_window_size: d,
            max_frame_size: e,
            max_header_list_size: f,
            enable_connect_protocol: g,
            no_rfc7540_priorities: h,
        });
    prop_oneof![Just(Settings::ack()), values]
}

fn frame() -> impl Strategy<Value = Frame> {
    prop_oneof![
        (
            nonzero_sid(),
            any::<bool>(),
            bytes(64),
            proptest::option::of(any::<u8>())
        )
            .prop_map(|(stream_id, end_stream, data, pad)| {
                let flow_len = data.len() as u32 + pad.map_or(0, |p| 1 + p as u32);
                Frame::Data(Data {
                    stream_id,
                    end_stream,
                    data,
                    flow_len,
                })
            }),
        (
            nonzero_sid(),
            any::<bool>(),
            any::<bool>(),
            proptest::option::of(priority_spec()),
            bytes(64)
        )
            .prop_map(|(stream_id, end_stream, end_headers, priority, fragment)| {
                Frame::Headers(Headers {
                    stream_id,
                    end_stream,
                    end_headers,
                    priority,
                    fragment,
                })
            }),
        (nonzero_sid(), priority_spec())
            .prop_map(|(stream_id, spec)| Frame::Priority(Priority { stream_id, spec })),
        (nonzero_sid(), any::<u32>()).prop_map(|(stream_id, c)| Frame::RstStream(RstStream {
            stream_id,
            code: c.into()
        })),
        settings().prop_map(Frame::Settings),
        (nonzero_sid(), any::<bool>(), nonzero_sid(), bytes(64)).prop_map(
            |(stream_id, end_headers, promised_id, fragment)| {
                Frame::PushPromise(PushPromise {
                    stream_id,
                    end_headers,
                    promised_id,
                    fragment,
                })
            }
        ),
        (any::<bool>(), any::<[u8; 8]>())
            .prop_map(|(ack, payload)| Frame::Ping(Ping { ack, payload })),
        (any_sid(), any::<u32>(), bytes(64)).prop_map(|(last_stream_id, c, debug_data)| {
            Frame::GoAway(GoAway {
                last_stream_id,
                code: c.into(),
                debug_data,
            })
        }),
        (any_sid(), 1..=MAX_WINDOW_SIZE).prop_map(|(stream_id, increment)| Frame::WindowUpdate(
            WindowUpdate {
                stream_id,
                increment
            }
        )),
        (nonzero_sid(), any::<bool>(), bytes(64)).prop_map(|(stream_id, end_headers, fragment)| {
            Frame::Continuation(Continuation {
                stream_id,
                end_headers,
                fragment,
            })
        }),
        (10..=255u8, any::<u8>(), any_sid(), bytes(64)).prop_map(
            |(kind, flags, stream_id, payload)| {
                Frame::Unknown(UnknownFrame {
                    kind,
                    flags,
                    stream_id,
                    payload,
                })
            }
        ),
    ]
}

/// Feeds `wire` in chunks of the given sizes (cycled), decoding everything possible.
fn decode_chunked(wire: &[u8], chunks: &[usize]) -> Vec<Frame> {
    let mut dec = FrameDecoder::new();
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    let mut pos = 0;
    let mut i = 0;
    while pos < wire.len() {
        let n = chunks[i % chunks.len()].max(1).min(wire.len() - pos);
        i += 1;
        buf.extend_from_slice(&wire[pos..pos + n]);
        pos += n;
        while let Some(f) = dec.decode(&mut buf).unwrap() {
            out.push(f);
        }
    }
    assert!(buf.is_empty());
    out
}

/// Decodes until `None` or a connection error; returns the frames decoded.
fn decode_until_stop(dec: &mut FrameDecoder, buf: &mut BytesMut) -> Vec<Frame> {
    let mut out = Vec::new();
    loop {
        let before = buf.len();
        match dec.decode(buf) {
            Ok(Some(f)) => {
                assert!(
                    buf.len() < before,
                    "a decoded frame consumes at least its header"
                );
                out.push(f);
            }
            Ok(None) => {
                assert_eq!(buf.len(), before);
                return out;
            }
            Err(e) if e.is_connection_error() => return out,
            Err(e) => {
                assert!(buf.len() < before, "stream errors consume the frame: {e}");
            }
        }
    }
}

proptest! {
    #[test]
    fn header_parse_matches_layout(raw in any::<[u8; 9]>()) {
        let h = FrameHeader::parse(&raw);
        prop_assert_eq!(h.length, u32::from_be_bytes([0, raw[0], raw[1], raw[2]]));
        prop_assert_eq!(h.kind.to_u8(), raw[3]);
        prop_assert_eq!(h.flags, raw[4]);
        prop_assert_eq!(
            h.stream_id.value(),
            u32::from_be_bytes([raw[5], raw[6], raw[7], raw[8]]) & 0x7fff_ffff
        );
        let mut out = BytesMut::new();
        h.encode(&mut out);
        let mut expect = raw;
        expect[5] &= 0x7f; // reserved bit is never sent
        prop_assert_eq!(&out[..], &expect[..]);
    }

    #[test]
    fn single_frame_roundtrip(f in frame()) {
        let mut buf = BytesMut::new();
        f.encode(&mut buf);
        let mut dec = FrameDecoder::new();
        prop_assert_eq!(dec.decode(&mut buf).unwrap(), Some(f));
        prop_assert!(buf.is_empty());
    }

    #[test]
    fn frame_sequence_roundtrip_in_chunks(
        frames in proptest::collection::vec(frame(), 0..12),
        chunks in proptest::collection::vec(1usize..40, 1..8),
    ) {
        let mut wire = BytesMut::new();
        for f in &frames {
            f.encode(&mut wire);
        }
        prop_assert_eq!(decode_chunked(&wire, &chunks), frames);
    }

    #[test]
    fn header_block_roundtrip(
        block in proptest::collection::vec(any::<u8>(), 0..300),
        end_stream in any::<bool>(),
        priority in proptest::option::of(priority_spec()),
        max in 1u32..100,
    ) {
        let priority = priority.filter(|p| p.dependency.value() != 9);
        let mut buf = BytesMut::new();
        encode_header_block(StreamId::new(9), &block, end_stream, priority, max, &mut buf);
        let frames = decode_chunked(&buf, &[7]);
        let mut joined = Vec::new();
        for (i, f) in frames.iter().enumerate() {
            let last = i + 1 == frames.len();
            match f {
                Frame::Headers(h) if i == 0 => {
                    prop_assert_eq!(h.end_headers, last);
                    prop_assert_eq!(h.end_stream, end_stream);
                    prop_assert_eq!(h.priority, priority);
                    prop_assert!(h.fragment.len() + priority.map_or(0, |_| 5) <= max.max(5) as usize);
                    joined.extend_from_slice(&h.fragment);
                }
                Frame::Continuation(c) if i > 0 => {
                    prop_assert_eq!(c.end_headers, last);
                    prop_assert!(c.fragment.len() <= max as usize);
                    joined.extend_from_slice(&c.fragment);
                }
                other => prop_assert!(false, "unexpected frame {:?}", other),
            }
        }
        prop_assert_eq!(joined, block);
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..512), max in any::<u32>()) {
        let mut dec = FrameDecoder::new();
        dec.set_max_frame_size(max);
        let mut buf = BytesMut::from(&data[..]);
        decode_until_stop(&mut dec, &mut buf);
    }

    /// Well-formed headers around random payloads reach every per-type parser; whatever
    /// decodes must re-encode to something that decodes to the same frame.
    #[test]
    fn random_payloads_never_panic_and_reencode(
        raw in proptest::collection::vec(
            (0u8..=11, any::<u8>(), prop_oneof![Just(0u32), 1..=4u32, any::<u32>()],
             proptest::collection::vec(any::<u8>(), 0..48)),
            1..8),
    ) {
        let mut wire = BytesMut::new();
        for (kind, flags, sid, payload) in &raw {
            FrameHeader { length: payload.len() as u32, kind: FrameType::from_u8(*kind), flags: *flags,
                          stream_id: StreamId::new(*sid) }.encode(&mut wire);
            wire.extend_from_slice(payload);
        }
        let mut dec = FrameDecoder::new();
        let frames = decode_until_stop(&mut dec, &mut wire);
        for f in frames {
            let mut again = BytesMut::new();
            f.encode(&mut again);
            prop_assert_eq!(FrameDecoder::new().decode(&mut again).unwrap(), Some(f));
            prop_assert!(again.is_empty());
        }
    }
}
