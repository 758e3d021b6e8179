//! Round trips for every frame type and byte-exact encodings written out from the RFC 9113
//! layouts (§4.1, §6.x).

use bytes::{Bytes, BytesMut};
use h2o_core::frame::*;

fn sid(v: u32) -> StreamId {
    StreamId::new(v)
}

/// Encodes, checks the bytes, decodes, checks the frame and that everything was consumed.
fn assert_wire(frame: Frame, wire: &[u8]) {
    let mut buf = BytesMut::new();
    frame.encode(&mut buf);
    assert_eq!(&buf[..], wire, "encoding of {frame:?}");
    let mut dec = FrameDecoder::new();
    assert_eq!(dec.decode(&mut buf).unwrap(), Some(frame));
    assert!(buf.is_empty());
}

fn roundtrip(frame: Frame) {
    let mut buf = BytesMut::new();
    frame.encode(&mut buf);
    let head = FrameHeader::parse(buf.first_chunk::<9>().unwrap());
    assert_eq!(
        head.length as usize,
        buf.len() - 9,
        "length field of {frame:?}"
    );
    assert_eq!(head.kind, frame.kind());
    assert_eq!(head.stream_id, frame.stream_id());
    let mut dec = FrameDecoder::new();
    assert_eq!(dec.decode(&mut buf).unwrap(), Some(frame));
    assert!(buf.is_empty());
    assert_eq!(dec.decode(&mut buf).unwrap(), None);
}

fn decode_one(wire: &[u8]) -> Frame {
    let mut buf = BytesMut::from(wire);
    let f = FrameDecoder::new().decode(&mut buf).unwrap().unwrap();
    assert!(buf.is_empty());
    f
}

#[test]
fn header_parse_and_encode() {
    let raw = [0x00, 0x40, 0x00, 0x01, 0x25, 0x80, 0x00, 0x00, 0x07];
    let h = FrameHeader::parse(&raw);
    assert_eq!(h.length, 16_384);
    assert_eq!(h.kind, FrameType::Headers);
    assert_eq!(h.flags, 0x25);
    // Reserved bit is ignored on receipt.
    assert_eq!(h.stream_id, sid(7));
    let mut out = BytesMut::new();
    h.encode(&mut out);
    // ... and never sent.
    assert_eq!(
        &out[..],
        &[0x00, 0x40, 0x00, 0x01, 0x25, 0x00, 0x00, 0x00, 0x07]
    );
    let max = FrameHeader::parse(&[0xff; 9]);
    assert_eq!(max.length, MAX_MAX_FRAME_SIZE);
    assert_eq!(max.kind, FrameType::Unknown(0xff));
    assert_eq!(max.stream_id, StreamId::MAX);
}

#[test]
fn frame_type_and_error_code_tables() {
    for v in 0..=255u8 {
        assert_eq!(FrameType::from_u8(v).to_u8(), v);
    }
    assert_eq!(FrameType::from_u8(9), FrameType::Continuation);
    assert_eq!(FrameType::from_u8(10), FrameType::Unknown(10));
    for v in 0..=0x20u32 {
        assert_eq!(ErrorCode::from_u32(v).to_u32(), v);
        assert_eq!(u32::from(ErrorCode::from(v)), v);
    }
    assert_eq!(ErrorCode::from_u32(0xd), ErrorCode::Http11Required);
    assert_eq!(ErrorCode::ProtocolError.to_string(), "PROTOCOL_ERROR");
    assert_eq!(ErrorCode::Http11Required.name(), "HTTP_1_1_REQUIRED");
    assert_eq!(ErrorCode::Unknown(0xabc).to_string(), "UNKNOWN(0xabc)");
}

#[test]
fn stream_id_basics() {
    assert_eq!(StreamId::MAX.value(), (1 << 31) - 1);
    assert_eq!(StreamId::from(u32::MAX), StreamId::MAX);
    assert!(StreamId::ZERO.is_zero());
    assert!(sid(1).is_client_initiated());
    assert!(!sid(2).is_client_initiated());
    assert_eq!(sid(42).to_string(), "42");
    assert_eq!(PREFACE.len(), 24);
}

#[test]
fn data_exact() {
    // DATA, END_STREAM, stream 1, "hello"
    assert_wire(
        Data::new(sid(1), Bytes::from_static(b"hello"), true).into(),
        b"\x00\x00\x05\x00\x01\x00\x00\x00\x01hello",
    );
    // flow_len > data.len() is sent as PADDED: pad length 2 => 1 + 2 + 2 = 5 octets.
    assert_wire(
        Frame::Data(Data {
            stream_id: sid(3),
            end_stream: false,
            data: Bytes::from_static(b"hi"),
            flow_len: 5,
        }),
        b"\x00\x00\x05\x00\x08\x00\x00\x00\x03\x02hi\x00\x00",
    );
}

#[test]
fn data_padded_decode_strips_padding_and_counts_flow() {
    let f = decode_one(b"\x00\x00\x08\x00\x09\x00\x00\x00\x05\x03abcd\x00\x00\x00");
    assert_eq!(
        f,
        Frame::Data(Data {
            stream_id: sid(5),
            end_stream: true,
            data: Bytes::from_static(b"abcd"),
            flow_len: 8
        })
    );
    // All padding, no data: pad length = payload - 1 is the largest legal value.
    let f = decode_one(b"\x00\x00\x03\x00\x08\x00\x00\x00\x05\x02\x00\x00");
    assert_eq!(
        f,
        Frame::Data(Data {
            stream_id: sid(5),
            end_stream: false,
            data: Bytes::new(),
            flow_len: 3
        })
    );
}

#[test]
fn data_payload_is_zero_copy() {
    let mut buf = BytesMut::new();
    Data::new(sid(1), Bytes::from(vec![7u8; 1000]), false).encode(&mut buf);
    let base = buf.as_ptr() as usize;
    let Frame::Data(d) = FrameDecoder::new().decode(&mut buf).unwrap().unwrap() else {
        panic!("not DATA")
    };
    // The payload points into the original read buffer, right after the 9-octet header.
    assert_eq!(d.data.as_ptr() as usize, base + 9);
}

#[test]
fn encode_data_head_exact() {
    let mut buf = BytesMut::new();
    encode_data_head(sid(0x0102_0304), 0x01_0203, false, &mut buf);
    assert_eq!(
        &buf[..],
        &[0x01, 0x02, 0x03, 0x00, 0x00, 0x01, 0x02, 0x03, 0x04]
    );
}

#[test]
fn headers_exact() {
    // HEADERS, END_STREAM|END_HEADERS|PRIORITY, stream 3, exclusive on 1, weight 15, fragment 0x82
    assert_wire(
        Frame::Headers(Headers {
            stream_id: sid(3),
            end_stream: true,
            end_headers: true,
            priority: Some(PrioritySpec {
                dependency: sid(1),
                exclusive: true,
                weight: 15,
            }),
            fragment: Bytes::from_static(&[0x82]),
        }),
        &[0, 0, 6, 1, 0x25, 0, 0, 0, 3, 0x80, 0, 0, 1, 15, 0x82],
    );
    assert_wire(
        Frame::Headers(Headers {
            stream_id: sid(1),
            end_stream: false,
            end_headers: false,
            priority: None,
            fragment: Bytes::from_static(&[0x82, 0x86]),
        }),
        &[0, 0, 2, 1, 0, 0, 0, 0, 1, 0x82, 0x86],
    );
}

#[test]
fn headers_padded_with_priority_decode() {
    // PADDED|PRIORITY|END_HEADERS, pad 2, dep 0 weight 255, fragment 0x82, 2 pad octets
    let f = decode_one(&[0, 0, 9, 1, 0x2c, 0, 0, 0, 1, 2, 0, 0, 0, 0, 255, 0x82, 0, 0]);
    assert_eq!(
        f,
        Frame::Headers(Headers {
            stream_id: sid(1),
            end_stream: false,
            end_headers: true,
            priority: Some(PrioritySpec {
                dependency: sid(0),
                exclusive: false,
                weight: 255
            }),
            fragment: Bytes::from_static(&[0x82]),
        })
    );
}

#[test]
fn priority_exact() {
    assert_wire(
        Frame::Priority(Priority {
            stream_id: sid(5),
            spec: PrioritySpec {
                dependency: sid(3),
                exclusive: false,
                weight: 200,
            },
        }),
        &[0, 0, 5, 2, 0, 0, 0, 0, 5, 0, 0, 0, 3, 200],
    );
}

#[test]
fn rst_stream_exact() {
    assert_wire(
        Frame::RstStream(RstStream {
            stream_id: sid(1),
            code: ErrorCode::Cancel,
        }),
        &[0, 0, 4, 3, 0, 0, 0, 0, 1, 0, 0, 0, 8],
    );
    assert_wire(
        Frame::RstStream(RstStream {
            stream_id: sid(9),
            code: ErrorCode::Unknown(0xdead_beef),
        }),
        &[0, 0, 4, 3, 0, 0, 0, 0, 9, 0xde, 0xad, 0xbe, 0xef],
    );
}

#[test]
fn settings_exact() {
    assert_wire(Settings::default().into(), &[0, 0, 0, 4, 0, 0, 0, 0, 0]);
    assert_wire(Settings::ack().into(), &[0, 0, 0, 4, 1, 0, 0, 0, 0]);
    assert_wire(
        Settings {
            max_concurrent_streams: Some(100),
            initial_window_size: Some(65_535),
            ..Settings::default()
        }
        .into(),
        &[
            0, 0, 12, 4, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 100, 0, 4, 0, 0, 0xff, 0xff,
        ],
    );
}

#[test]
fn settings_all_parameters_roundtrip() {
    roundtrip(
        Settings {
            ack: false,
            header_table_size: Some(0),
            enable_push: Some(false),
            max_concurrent_streams: Some(u32::MAX),
            initial_window_size: Some(MAX_WINDOW_SIZE),
            max_frame_size: Some(MAX_MAX_FRAME_SIZE),
            max_header_list_size: Some(8192),
            enable_connect_protocol: Some(true),
            no_rfc7540_priorities: Some(true),
        }
        .into(),
    );
}

#[test]
fn settings_last_value_wins_and_unknown_ignored() {
    let f = decode_one(&[
        0, 0, 24, 4, 0, 0, 0, 0, 0, //
        0, 1, 0, 0, 0x10, 0, // HEADER_TABLE_SIZE 4096
        0x12, 0x34, 0xff, 0xff, 0xff, 0xff, // unknown id 0x1234: ignored
        0, 1, 0, 0, 0, 0, // HEADER_TABLE_SIZE 0 (wins)
        0, 7, 0, 0, 0, 9, // id 7 is unassigned: ignored
    ]);
    assert_eq!(
        f,
        Frame::Settings(Settings {
            header_table_size: Some(0),
            ..Settings::default()
        })
    );
}

#[test]
fn push_promise_exact() {
    assert_wire(
        Frame::PushPromise(PushPromise {
            stream_id: sid(1),
            end_headers: true,
            promised_id: sid(2),
            fragment: Bytes::from_static(&[0x82]),
        }),
        &[0, 0, 5, 5, 4, 0, 0, 0, 1, 0, 0, 0, 2, 0x82],
    );
    // Padded, reserved bit on the promised id ignored.
    let f = decode_one(&[0, 0, 7, 5, 0x0c, 0, 0, 0, 1, 1, 0x80, 0, 0, 4, 0x84, 0]);
    assert_eq!(
        f,
        Frame::PushPromise(PushPromise {
            stream_id: sid(1),
            end_headers: true,
            promised_id: sid(4),
            fragment: Bytes::from_static(&[0x84]),
        })
    );
}

#[test]
fn ping_exact() {
    assert_wire(
        Frame::Ping(Ping {
            ack: true,
            payload: *b"\x01\x02\x03\x04\x05\x06\x07\x08",
        }),
        &[0, 0, 8, 6, 1, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8],
    );
}

#[test]
fn go_away_exact() {
    assert_wire(
        Frame::GoAway(GoAway {
            last_stream_id: sid(5),
            code: ErrorCode::ProtocolError,
            debug_data: Bytes::from_static(b"hi"),
        }),
        &[
            0, 0, 10, 7, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 1, b'h', b'i',
        ],
    );
    // Reserved bit of Last-Stream-ID ignored.
    let f = decode_one(&[
        0, 0, 8, 7, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0,
    ]);
    assert_eq!(
        f,
        Frame::GoAway(GoAway {
            last_stream_id: StreamId::MAX,
            code: ErrorCode::NoError,
            debug_data: Bytes::new()
        })
    );
}

#[test]
fn window_update_exact() {
    assert_wire(
        Frame::WindowUpdate(WindowUpdate {
            stream_id: sid(0),
            increment: MAX_WINDOW_SIZE,
        }),
        &[0, 0, 4, 8, 0, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff],
    );
    // Reserved bit of the increment ignored.
    let f = decode_one(&[0, 0, 4, 8, 0, 0, 0, 0, 1, 0x80, 0, 0, 1]);
    assert_eq!(
        f,
        Frame::WindowUpdate(WindowUpdate {
            stream_id: sid(1),
            increment: 1
        })
    );
}

#[test]
fn continuation_exact() {
    assert_wire(
        Frame::Continuation(Continuation {
            stream_id: sid(3),
            end_headers: true,
            fragment: Bytes::from_static(b"abc"),
        }),
        &[0, 0, 3, 9, 4, 0, 0, 0, 3, b'a', b'b', b'c'],
    );
}

#[test]
fn unknown_frame_passed_through() {
    assert_wire(
        Frame::Unknown(UnknownFrame {
            kind: 0x10,
            flags: 0xff,
            stream_id: sid(7),
            payload: Bytes::from_static(b"xyz"),
        }),
        &[0, 0, 3, 0x10, 0xff, 0, 0, 0, 7, b'x', b'y', b'z'],
    );
    let f = decode_one(&[0, 0, 0, 0xfa, 0, 0, 0, 0, 0]);
    assert_eq!(f.kind(), FrameType::Unknown(0xfa));
    assert_eq!(f.stream_id(), sid(0));
}

#[test]
fn unknown_flags_ignored() {
    // PING with every flag bit set: only ACK means something.
    let f = decode_one(&[0, 0, 8, 6, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(
        f,
        Frame::Ping(Ping {
            ack: true,
            payload: [0; 8]
        })
    );
    // RST_STREAM, WINDOW_UPDATE, PRIORITY, GOAWAY define no flags.
    let f = decode_one(&[0, 0, 4, 3, 0xff, 0, 0, 0, 1, 0, 0, 0, 0]);
    assert_eq!(
        f,
        Frame::RstStream(RstStream {
            stream_id: sid(1),
            code: ErrorCode::NoError
        })
    );
    // DATA with all flags but PADDED set: END_STREAM only.
    let f = decode_one(&[0, 0, 1, 0, 0xf7, 0, 0, 0, 1, b'x']);
    assert_eq!(
        f,
        Frame::Data(Data::new(sid(1), Bytes::from_static(b"x"), true))
    );
    // CONTINUATION with PADDED set: CONTINUATION has no padding, so the flag is meaningless.
    let f = decode_one(&[0, 0, 1, 9, 0x08, 0, 0, 0, 1, 5]);
    assert_eq!(
        f,
        Frame::Continuation(Continuation {
            stream_id: sid(1),
            end_headers: false,
            fragment: Bytes::from_static(&[5])
        })
    );
}

#[test]
fn roundtrip_every_type() {
    let frames: Vec<Frame> = vec![
        Data::new(sid(1), Bytes::from_static(b"body"), false).into(),
        Data {
            stream_id: sid(1),
            end_stream: true,
            data: Bytes::new(),
            flow_len: 256,
        }
        .into(),
        Headers {
            stream_id: sid(1),
            end_stream: true,
            end_headers: true,
            priority: None,
            fragment: Bytes::from_static(b"\x82\x84"),
        }
        .into(),
        Priority {
            stream_id: sid(3),
            spec: PrioritySpec {
                dependency: sid(1),
                exclusive: true,
                weight: 0,
            },
        }
        .into(),
        RstStream {
            stream_id: sid(1),
            code: ErrorCode::RefusedStream,
        }
        .into(),
        Settings {
            enable_push: Some(false),
            ..Settings::default()
        }
        .into(),
        Settings::ack().into(),
        PushPromise {
            stream_id: sid(1),
            end_headers: false,
            promised_id: sid(2),
            fragment: Bytes::new(),
        }
        .into(),
        Ping {
            ack: false,
            payload: [9; 8],
        }
        .into(),
        GoAway {
            last_stream_id: sid(0),
            code: ErrorCode::EnhanceYourCalm,
            debug_data: Bytes::from_static(b"calm"),
        }
        .into(),
        WindowUpdate {
            stream_id: sid(7),
            increment: 1,
        }
        .into(),
        Continuation {
            stream_id: sid(1),
            end_headers: false,
            fragment: Bytes::from_static(b"c"),
        }
        .into(),
        UnknownFrame {
            kind: 0xa,
            flags: 0,
            stream_id: sid(0),
            payload: Bytes::new(),
        }
        .into(),
    ];
    for f in frames {
        roundtrip(f);
    }
}

#[test]
fn max_size_frame_accepted_and_larger_after_setting() {
    let mut buf = BytesMut::new();
    Data::new(sid(1), Bytes::from(vec![0u8; 16_384]), false).encode(&mut buf);
    assert!(matches!(
        FrameDecoder::new().decode(&mut buf),
        Ok(Some(Frame::Data(_)))
    ));

    let mut dec = FrameDecoder::new();
    dec.set_max_frame_size(1 << 20);
    assert_eq!(dec.max_frame_size(), 1 << 20);
    Data::new(sid(1), Bytes::from(vec![0u8; 1 << 20]), false).encode(&mut buf);
    assert!(matches!(dec.decode(&mut buf), Ok(Some(Frame::Data(_)))));
    // Out-of-range values are clamped to the legal range.
    dec.set_max_frame_size(1);
    assert_eq!(dec.max_frame_size(), DEFAULT_MAX_FRAME_SIZE);
    dec.set_max_frame_size(u32::MAX);
    assert_eq!(dec.max_frame_size(), MAX_MAX_FRAME_SIZE);
    assert_eq!(
        FrameDecoder::default().max_frame_size(),
        DEFAULT_MAX_FRAME_SIZE
    );
}

#[test]
fn frame_error_display() {
    let e = FrameError::stream(sid(3), ErrorCode::ProtocolError, "bad");
    assert_eq!(
        e.to_string(),
        "stream error PROTOCOL_ERROR on stream 3: bad"
    );
    assert!(!e.is_connection_error());
    let boxed: Box<dyn std::error::Error> = Box::new(e);
    assert!(boxed.to_string().contains("bad"));
}
