//! One malformed-input test per validation rule, asserting the exact scope and RFC code.

use bytes::{BufMut, BytesMut};
use h2o_core::frame::*;

const CONN: ErrorScope = ErrorScope::Connection;

fn stream(v: u32) -> ErrorScope {
    ErrorScope::Stream(StreamId::new(v))
}

/// A raw frame whose length field matches the payload.
fn raw(kind: u8, flags: u8, stream_id: u32, payload: &[u8]) -> BytesMut {
    let mut b = BytesMut::new();
    b.put_uint(payload.len() as u64, 3);
    b.put_u8(kind);
    b.put_u8(flags);
    b.put_u32(stream_id);
    b.put_slice(payload);
    b
}

fn settings(params: &[(u16, u32)]) -> BytesMut {
    let mut p = BytesMut::new();
    for &(id, v) in params {
        p.put_u16(id);
        p.put_u32(v);
    }
    raw(4, 0, 0, &p)
}

#[track_caller]
fn expect_err(mut buf: BytesMut, scope: ErrorScope, code: ErrorCode) -> FrameError {
    let err = FrameDecoder::new()
        .decode(&mut buf)
        .expect_err("frame should be rejected");
    assert_eq!((err.scope, err.code), (scope, code), "{err}");
    assert!(!err.reason.is_empty());
    err
}

/// Stream errors must consume the bad frame so that the next one decodes.
#[track_caller]
fn expect_stream_err_then_continue(mut buf: BytesMut, id: u32, code: ErrorCode) {
    buf.extend_from_slice(&raw(6, 0, 0, &[1; 8]));
    let mut dec = FrameDecoder::new();
    let err = dec.decode(&mut buf).expect_err("frame should be rejected");
    assert_eq!((err.scope, err.code), (stream(id), code), "{err}");
    assert_eq!(
        dec.decode(&mut buf).unwrap(),
        Some(Frame::Ping(Ping {
            ack: false,
            payload: [1; 8]
        }))
    );
    assert!(buf.is_empty());
}

fn ok(mut buf: BytesMut) -> Frame {
    let f = FrameDecoder::new().decode(&mut buf).unwrap().unwrap();
    assert!(buf.is_empty());
    f
}

// --- §4.2: length above SETTINGS_MAX_FRAME_SIZE ---

#[test]
fn length_above_max_frame_size() {
    expect_err(raw(0, 0, 1, &[0; 16_385]), CONN, ErrorCode::FrameSizeError);
    // Reported from the header alone: no need to buffer a 16 MB payload first.
    let mut head = BytesMut::from(&[0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 1][..]);
    let err = FrameDecoder::new().decode(&mut head).unwrap_err();
    assert_eq!((err.scope, err.code), (CONN, ErrorCode::FrameSizeError));
    // Applies to unknown frame types too.
    expect_err(
        raw(0x42, 0, 0, &[0; 16_385]),
        CONN,
        ErrorCode::FrameSizeError,
    );
    // Raised limit.
    let mut dec = FrameDecoder::new();
    dec.set_max_frame_size(20_000);
    assert!(dec
        .decode(&mut raw(0, 0, 1, &[0; 20_000]))
        .unwrap()
        .is_some());
    let err = dec.decode(&mut raw(0, 0, 1, &[0; 20_001])).unwrap_err();
    assert_eq!((err.scope, err.code), (CONN, ErrorCode::FrameSizeError));
}

// --- stream identifier must be non-zero ---

#[test]
fn data_on_stream_zero() {
    expect_err(raw(0, 0, 0, b"x"), CONN, ErrorCode::ProtocolError);
}

#[test]
fn headers_on_stream_zero() {
    expect_err(raw(1, 4, 0, &[0x82]), CONN, ErrorCode::ProtocolError);
}

#[test]
fn priority_on_stream_zero() {
    expect_err(
        raw(2, 0, 0, &[0, 0, 0, 1, 16]),
        CONN,
        ErrorCode::ProtocolError,
    );
    // Connection error wins over the stream-level size error.
    expect_err(raw(2, 0, 0, &[0, 0, 0, 1]), CONN, ErrorCode::ProtocolError);
}

#[test]
fn rst_stream_on_stream_zero() {
    expect_err(raw(3, 0, 0, &[0, 0, 0, 8]), CONN, ErrorCode::ProtocolError);
}

#[test]
fn push_promise_on_stream_zero() {
    expect_err(raw(5, 4, 0, &[0, 0, 0, 2]), CONN, ErrorCode::ProtocolError);
}

#[test]
fn continuation_on_stream_zero() {
    expect_err(raw(9, 4, 0, &[0x82]), CONN, ErrorCode::ProtocolError);
}

// --- stream identifier must be zero ---

#[test]
fn settings_on_stream() {
    expect_err(raw(4, 0, 1, &[]), CONN, ErrorCode::ProtocolError);
    expect_err(raw(4, 1, 3, &[]), CONN, ErrorCode::ProtocolError);
}

#[test]
fn ping_on_stream() {
    expect_err(raw(6, 0, 1, &[0; 8]), CONN, ErrorCode::ProtocolError);
}

#[test]
fn go_away_on_stream() {
    expect_err(raw(7, 0, 1, &[0; 8]), CONN, ErrorCode::ProtocolError);
}

#[test]
fn reserved_bit_alone_is_stream_zero() {
    // 0x80000000 is stream 0 once the reserved bit is ignored.
    expect_err(raw(0, 0, 0x8000_0000, b"x"), CONN, ErrorCode::ProtocolError);
    assert!(matches!(
        ok(raw(6, 0, 0x8000_0000, &[0; 8])),
        Frame::Ping(_)
    ));
}

// --- fixed payload lengths ---

#[test]
fn ping_wrong_length() {
    for n in [0, 7, 9, 16] {
        expect_err(raw(6, 0, 0, &vec![0; n]), CONN, ErrorCode::FrameSizeError);
    }
}

#[test]
fn window_update_wrong_length() {
    for (n, id) in [(3, 0), (5, 0), (0, 1), (8, 1)] {
        // Connection error even when it targets a stream (§6.9).
        expect_err(raw(8, 0, id, &vec![0; n]), CONN, ErrorCode::FrameSizeError);
    }
}

#[test]
fn rst_stream_wrong_length() {
    for n in [0, 3, 5] {
        expect_err(raw(3, 0, 1, &vec![0; n]), CONN, ErrorCode::FrameSizeError);
    }
}

#[test]
fn priority_wrong_length_is_stream_error() {
    for n in [0, 4, 6] {
        expect_stream_err_then_continue(raw(2, 0, 7, &vec![0; n]), 7, ErrorCode::FrameSizeError);
    }
}

#[test]
fn settings_length_not_multiple_of_six() {
    for n in [1, 5, 7, 13] {
        expect_err(raw(4, 0, 0, &vec![0; n]), CONN, ErrorCode::FrameSizeError);
    }
}

#[test]
fn settings_ack_with_payload() {
    expect_err(
        raw(4, 1, 0, &[0, 1, 0, 0, 0, 0]),
        CONN,
        ErrorCode::FrameSizeError,
    );
    expect_err(raw(4, 1, 0, &[0]), CONN, ErrorCode::FrameSizeError);
}

#[test]
fn go_away_too_short() {
    for n in [0, 4, 7] {
        expect_err(raw(7, 0, 0, &vec![0; n]), CONN, ErrorCode::FrameSizeError);
    }
}

#[test]
fn headers_priority_fields_truncated() {
    expect_err(
        raw(1, 0x24, 1, &[0, 0, 0, 3]),
        CONN,
        ErrorCode::FrameSizeError,
    );
    // Padding leaves too little room for the priority fields.
    expect_err(
        raw(1, 0x2c, 1, &[2, 0, 0, 0, 3, 16, 0]),
        CONN,
        ErrorCode::FrameSizeError,
    );
    // Exactly enough room: pad length octet + 5 priority octets + 1 padding octet.
    assert!(matches!(
        ok(raw(1, 0x2c, 1, &[1, 0, 0, 0, 3, 16, 0])),
        Frame::Headers(_)
    ));
}

#[test]
fn push_promise_too_short_for_promised_id() {
    expect_err(raw(5, 4, 1, &[0, 0, 2]), CONN, ErrorCode::FrameSizeError);
    expect_err(
        raw(5, 0x0c, 1, &[2, 0, 0, 0, 0, 0]),
        CONN,
        ErrorCode::FrameSizeError,
    );
}

#[test]
fn push_promise_promises_stream_zero() {
    expect_err(
        raw(5, 4, 1, &[0x80, 0, 0, 0, 0x82]),
        CONN,
        ErrorCode::ProtocolError,
    );
}

// --- padding ---

#[test]
fn padded_frame_without_pad_length_octet() {
    expect_err(raw(0, 0x08, 1, &[]), CONN, ErrorCode::FrameSizeError);
    expect_err(raw(1, 0x0c, 1, &[]), CONN, ErrorCode::FrameSizeError);
    expect_err(raw(5, 0x0c, 1, &[]), CONN, ErrorCode::FrameSizeError);
}

#[test]
fn data_padding_too_long() {
    // Pad length equal to the payload length, and greater.
    expect_err(
        raw(0, 0x08, 1, &[3, b'a', 0]),
        CONN,
        ErrorCode::ProtocolError,
    );
    expect_err(raw(0, 0x08, 1, &[1]), CONN, ErrorCode::ProtocolError);
    expect_err(
        raw(0, 0x08, 1, &[255, 0, 0]),
        CONN,
        ErrorCode::ProtocolError,
    );
    // pad length = payload - 1 is fine.
    assert!(matches!(ok(raw(0, 0x08, 1, &[2, 0, 0])), Frame::Data(_)));
}

#[test]
fn headers_padding_too_long() {
    expect_err(raw(1, 0x0c, 1, &[2, 0x82]), CONN, ErrorCode::ProtocolError);
    assert!(matches!(ok(raw(1, 0x0c, 1, &[1, 0])), Frame::Headers(_)));
}

#[test]
fn push_promise_padding_too_long() {
    expect_err(
        raw(5, 0x0c, 1, &[5, 0, 0, 0, 2]),
        CONN,
        ErrorCode::ProtocolError,
    );
}

// --- WINDOW_UPDATE increment ---

#[test]
fn window_update_zero_increment_on_stream() {
    expect_stream_err_then_continue(raw(8, 0, 5, &[0, 0, 0, 0]), 5, ErrorCode::ProtocolError);
    // Only the reserved bit set: still an increment of 0.
    expect_stream_err_then_continue(raw(8, 0, 5, &[0x80, 0, 0, 0]), 5, ErrorCode::ProtocolError);
}

#[test]
fn window_update_zero_increment_on_connection() {
    expect_err(raw(8, 0, 0, &[0, 0, 0, 0]), CONN, ErrorCode::ProtocolError);
}

// --- SETTINGS values ---

#[test]
fn settings_enable_push_not_boolean() {
    expect_err(settings(&[(2, 2)]), CONN, ErrorCode::ProtocolError);
    expect_err(settings(&[(2, u32::MAX)]), CONN, ErrorCode::ProtocolError);
    for v in [0, 1] {
        assert!(matches!(ok(settings(&[(2, v)])), Frame::Settings(_)));
    }
}

#[test]
fn settings_enable_connect_protocol_not_boolean() {
    expect_err(settings(&[(8, 2)]), CONN, ErrorCode::ProtocolError);
}

#[test]
fn settings_no_rfc7540_priorities_not_boolean() {
    expect_err(settings(&[(9, 7)]), CONN, ErrorCode::ProtocolError);
}

#[test]
fn settings_initial_window_size_too_large() {
    expect_err(settings(&[(4, 1 << 31)]), CONN, ErrorCode::FlowControlError);
    expect_err(
        settings(&[(4, u32::MAX)]),
        CONN,
        ErrorCode::FlowControlError,
    );
    let f = ok(settings(&[(4, MAX_WINDOW_SIZE)]));
    assert_eq!(
        f,
        Frame::Settings(Settings {
            initial_window_size: Some(MAX_WINDOW_SIZE),
            ..Settings::default()
        })
    );
}

#[test]
fn settings_max_frame_size_out_of_range() {
    for v in [0, 16_383, 16_777_216, u32::MAX] {
        expect_err(settings(&[(5, v)]), CONN, ErrorCode::ProtocolError);
    }
    for v in [16_384, 16_777_215] {
        assert_eq!(
            ok(settings(&[(5, v)])),
            Frame::Settings(Settings {
                max_frame_size: Some(v),
                ..Settings::default()
            })
        );
    }
}

#[test]
fn settings_bad_value_after_good_ones() {
    expect_err(
        settings(&[(1, 0), (3, 100), (5, 1)]),
        CONN,
        ErrorCode::ProtocolError,
    );
}

// --- self-dependency: an RFC 7540 rule that RFC 9113 dropped ---

#[test]
fn self_dependent_priority_is_not_an_error() {
    let mut buf = raw(2, 0, 3, &[0x80, 0, 0, 3, 16]);
    let f = FrameDecoder::new().decode(&mut buf).unwrap().unwrap();
    assert!(matches!(f, Frame::Priority(p) if p.spec.dependency == StreamId::new(3)));
    // HEADERS keeps its field block (HPACK state must see every block).
    let mut buf = raw(1, 0x24, 3, &[0, 0, 0, 3, 16, 0x82]);
    let f = FrameDecoder::new().decode(&mut buf).unwrap().unwrap();
    assert!(matches!(f, Frame::Headers(h) if h.fragment[..] == [0x82]));
}

// --- things that must NOT be errors ---

#[test]
fn unknown_type_on_any_stream_with_any_flags() {
    for (kind, id) in [(0x0a, 0), (0x10, 1), (0xff, 0x7fff_ffff)] {
        let f = ok(raw(kind, 0xff, id, b"payload"));
        assert_eq!(f.kind(), FrameType::Unknown(kind));
    }
}

#[test]
fn empty_payloads_where_allowed() {
    assert!(matches!(ok(raw(0, 1, 1, &[])), Frame::Data(_)));
    assert!(matches!(ok(raw(1, 4, 1, &[])), Frame::Headers(_)));
    assert!(matches!(ok(raw(9, 4, 1, &[])), Frame::Continuation(_)));
    assert!(matches!(ok(raw(4, 0, 0, &[])), Frame::Settings(_)));
}
