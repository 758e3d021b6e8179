//! Response validation (RFC 9113 §8.1, §8.1.1, §8.2, §8.3.2), header block assembly
//! (§4.3, §6.10), header list limits (§6.5.2, §10.5.1) and HPACK bombs (RFC 7541 §7.3).

mod common;

use bytes::{Bytes, BytesMut};
use common::*;
use h2o_core::frame::ErrorCode;
use h2o_core::hpack::IndexMode;
use h2o_core::proto::{Event, ProtoConfig, RequestId};
use h2o_core::{ErrorKind, Headers, Origin, Processed, Scope};

fn ready() -> (Pair, RequestId) {
    let mut p = Pair::ready(small_cfg(), server_settings());
    let id = p.submit_get("/");
    p.expect(&[get_headers(1, "/")]);
    (p, id)
}

/// Asserts the stream was reset with PROTOCOL_ERROR and the request failed as a local
/// stream error, then checks the connection still works.
#[track_caller]
fn assert_malformed(p: &mut Pair, id: RequestId, events_before: &[Event]) {
    p.expect(&[rst(1, ErrorCode::ProtocolError)]);
    let evs = p.events();
    let (last, before) = evs.split_last().expect("no events");
    assert_eq!(before, events_before);
    match last {
        Event::Failed { id: got, error } => {
            assert_eq!(*got, id);
            assert_eq!(
                shape(error),
                local_stream_protocol(ErrorCode::ProtocolError)
            );
        }
        other => panic!("{other:?}"),
    }
    // Frames the server sent before seeing our RST_STREAM are dropped quietly.
    p.send_data(1, Bytes::from_static(b"late"), true);
    p.expect_nothing();
    p.expect_no_events();
    // The connection is still usable.
    assert!(p.conn.is_accepting());
    let next = p.submit_get("/next");
    p.expect(&[get_headers(3, "/next")]);
    p.complete(3, next);
    p.assert_all_ended();
}

fn hdrs(list: &[(&str, &str)]) -> Headers {
    list.iter().map(|(n, v)| (*n, v.to_string())).collect()
}

#[test]
fn missing_status() {
    let (mut p, id) = ready();
    p.send_headers(1, &[("content-type", "text/plain")], true);
    assert_malformed(&mut p, id, &[]);
}

#[test]
fn duplicate_status() {
    let (mut p, id) = ready();
    p.send_headers(1, &[(":status", "200"), (":status", "204")], true);
    assert_malformed(&mut p, id, &[]);
}

#[test]
fn invalid_status_value() {
    let (mut p, id) = ready();
    p.send_headers(1, &[(":status", "20")], true);
    assert_malformed(&mut p, id, &[]);
}

#[test]
fn request_pseudo_header_in_response() {
    // §8.3: only :status is defined for responses.
    let (mut p, id) = ready();
    p.send_headers(1, &[(":status", "200"), (":path", "/")], true);
    assert_malformed(&mut p, id, &[]);
}

#[test]
fn uppercase_field_name() {
    // §8.2.1: field names must not contain uppercase characters.
    let (mut p, id) = ready();
    p.send_headers(
        1,
        &[(":status", "200"), ("Content-Type", "text/plain")],
        true,
    );
    assert_malformed(&mut p, id, &[]);
}

#[test]
fn connection_specific_field() {
    // §8.2.2
    let (mut p, id) = ready();
    p.send_headers(1, &[(":status", "200"), ("connection", "keep-alive")], true);
    assert_malformed(&mut p, id, &[]);
}

#[test]
fn transfer_encoding_field() {
    let (mut p, id) = ready();
    p.send_headers(
        1,
        &[(":status", "200"), ("transfer-encoding", "chunked")],
        false,
    );
    assert_malformed(&mut p, id, &[]);
}

#[test]
fn pseudo_header_after_regular_field() {
    // §8.3: pseudo-header fields come before regular fields.
    let (mut p, id) = ready();
    p.send_headers(1, &[("server", "x"), (":status", "200")], true);
    assert_malformed(&mut p, id, &[]);
}

#[test]
fn field_value_with_newline() {
    // §8.2.1: NUL, CR and LF are never allowed in values.
    let (mut p, id) = ready();
    p.send_headers(1, &[(":status", "200"), ("x-a", "a\r\nb")], true);
    assert_malformed(&mut p, id, &[]);
}

#[test]
fn content_length_body_too_short() {
    // §8.1.1: a content-length that does not match the DATA payload sum is malformed.
    let (mut p, id) = ready();
    p.send_headers(1, &[(":status", "200"), ("content-length", "10")], false);
    p.send_data(1, Bytes::from_static(b"12345"), true);
    assert_malformed(
        &mut p,
        id,
        &[
            Event::Head {
                id,
                status: 200,
                headers: hdrs(&[("content-length", "10")]),
            },
            data_ev(id, b"12345"),
        ],
    );
}

#[test]
fn content_length_body_too_long() {
    let (mut p, id) = ready();
    p.send_headers(1, &[(":status", "200"), ("content-length", "3")], false);
    p.send_data(1, Bytes::from_static(b"12345"), false);
    assert_malformed(
        &mut p,
        id,
        &[Event::Head {
            id,
            status: 200,
            headers: hdrs(&[("content-length", "3")]),
        }],
    );
}

#[test]
fn content_length_matching_body_across_frames() {
    let (mut p, id) = ready();
    p.send_headers(1, &[(":status", "200"), ("content-length", "6")], false);
    p.send_data(1, Bytes::from_static(b"abc"), false);
    p.send_data(1, Bytes::from_static(b"def"), false);
    p.send_data(1, Bytes::new(), true);
    let evs = p.events();
    assert_eq!(evs.len(), 4);
    assert_eq!(evs[3], Event::Done { id });
    p.expect_nothing();
}

#[test]
fn data_on_head_response() {
    // §8.1.1: a response to HEAD has no content, whatever content-length says.
    let mut p = Pair::ready(small_cfg(), server_settings());
    let id = p.submit(head_req("/"), None, true);
    p.read();
    p.send_headers(1, &[(":status", "200"), ("content-length", "5")], false);
    p.send_data(1, Bytes::from_static(b"12345"), true);
    assert_malformed(
        &mut p,
        id,
        &[Event::Head {
            id,
            status: 200,
            headers: hdrs(&[("content-length", "5")]),
        }],
    );
}

#[test]
fn head_response_with_content_length_and_no_data_is_fine() {
    let mut p = Pair::ready(small_cfg(), server_settings());
    let id = p.submit(head_req("/"), None, true);
    p.read();
    p.send_headers(1, &[(":status", "200"), ("content-length", "5")], true);
    let evs = p.events();
    assert_eq!(evs.last(), Some(&Event::Done { id }));
    p.expect_nothing();
}

#[test]
fn data_on_204_response() {
    let (mut p, id) = ready();
    p.send_headers(1, &[(":status", "204")], false);
    p.send_data(1, Bytes::from_static(b"x"), true);
    assert_malformed(&mut p, id, &[head_ev(id, 204)]);
}

#[test]
fn data_before_headers() {
    // §8.1: a response starts with a HEADERS frame.
    let (mut p, id) = ready();
    p.send_data(1, Bytes::from_static(b"x"), false);
    assert_malformed(&mut p, id, &[]);
}

#[test]
fn informational_responses_before_final() {
    // §8.1: zero or more 1xx heads (each HEADERS without END_STREAM), then the final one.
    let (mut p, id) = ready();
    p.send_headers(1, &[(":status", "100")], false);
    p.send_headers(
        1,
        &[(":status", "103"), ("link", "</s.css>; rel=preload")],
        false,
    );
    p.send_headers(1, &[(":status", "200")], false);
    p.send_data(1, Bytes::from_static(b"ok"), true);
    p.expect_events(&[
        Event::Informational {
            id,
            status: 100,
            headers: Headers::new(),
        },
        Event::Informational {
            id,
            status: 103,
            headers: hdrs(&[("link", "</s.css>; rel=preload")]),
        },
        head_ev(id, 200),
        data_ev(id, b"ok"),
        Event::Done { id },
    ]);
    p.expect_nothing();
    p.assert_all_ended();
}

#[test]
fn endless_informational_responses_are_a_stream_error() {
    // Found by the conformance catalogue (9113-10.5-informational-flood): every 1xx is kept
    // for the caller, so 100000 Early Hints grew the client by ~60 MB. Beyond
    // MAX_INFORMATIONAL per request: RST_STREAM(ENHANCE_YOUR_CALM) and a protocol error.
    let (mut p, id) = ready();
    let max = h2o_core::proto::MAX_INFORMATIONAL as usize;
    for _ in 0..max {
        p.send_headers(1, &[(":status", "103")], false);
    }
    let evs = p.events();
    assert_eq!(evs.len(), max);
    assert!(evs
        .iter()
        .all(|e| matches!(e, Event::Informational { status: 103, .. })));
    p.expect_nothing();
    p.send_headers(1, &[(":status", "103")], false);
    p.expect(&[rst(1, ErrorCode::EnhanceYourCalm)]);
    match &p.events()[..] {
        [Event::Failed { id: got, error }] => {
            assert_eq!(*got, id);
            assert_eq!(
                shape(error),
                local_stream_protocol(ErrorCode::EnhanceYourCalm)
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(p.conn.is_accepting());
    p.assert_all_ended();
}

#[test]
fn status_101_is_rejected() {
    // §8.6: HTTP/2 removes 101 Switching Protocols.
    let (mut p, id) = ready();
    p.send_headers(1, &[(":status", "101")], false);
    assert_malformed(&mut p, id, &[]);
}

#[test]
fn informational_with_end_stream_is_rejected() {
    // §8.1: an informational response cannot end the stream.
    let (mut p, id) = ready();
    p.send_headers(1, &[(":status", "103")], true);
    assert_malformed(&mut p, id, &[]);
}

#[test]
fn trailers_are_delivered() {
    let (mut p, id) = ready();
    p.send_ok(1, false);
    p.send_data(1, Bytes::from_static(b"body"), false);
    p.send_headers(1, &[("grpc-status", "0"), ("x-checksum", "abc")], true);
    p.expect_events(&[
        head_ev(id, 200),
        data_ev(id, b"body"),
        Event::Trailers {
            id,
            headers: hdrs(&[("grpc-status", "0"), ("x-checksum", "abc")]),
        },
        Event::Done { id },
    ]);
    p.expect_nothing();
    p.assert_all_ended();
}

#[test]
fn trailers_right_after_head() {
    let (mut p, id) = ready();
    p.send_ok(1, false);
    p.send_headers(1, &[("x-t", "1")], true);
    p.expect_events(&[
        head_ev(id, 200),
        Event::Trailers {
            id,
            headers: hdrs(&[("x-t", "1")]),
        },
        Event::Done { id },
    ]);
}

#[test]
fn trailers_without_end_stream_are_rejected() {
    // §8.1: a trailer section ends the stream.
    let (mut p, id) = ready();
    p.send_ok(1, false);
    p.send_headers(1, &[("x-t", "1")], false);
    assert_malformed(&mut p, id, &[head_ev(id, 200)]);
}

#[test]
fn trailers_with_pseudo_header_are_rejected() {
    // §8.1: trailers must not include pseudo-header fields.
    let (mut p, id) = ready();
    p.send_ok(1, false);
    p.send_headers(1, &[(":status", "200")], true);
    assert_malformed(&mut p, id, &[head_ev(id, 200)]);
}

// ----- header block assembly ------------------------------------------------------------

#[test]
fn continuation_assembly_across_frames() {
    let (mut p, id) = ready();
    let block = p.peer.encode_block(&[
        (":status", "200"),
        ("x-one", "1111111111"),
        ("x-two", "2222222222"),
    ]);
    let (a, rest) = block.split_at(3);
    let (b, c) = rest.split_at(5);
    p.send_headers_open(1, a, true);
    p.expect_no_events();
    p.send_continuation(1, b, false);
    p.send_continuation(1, &[], false); // empty fragments are legal
    p.send_continuation(1, c, true);
    p.expect_events(&[
        Event::Head {
            id,
            status: 200,
            headers: hdrs(&[("x-one", "1111111111"), ("x-two", "2222222222")]),
        },
        Event::Done { id },
    ]);
    p.expect_nothing();
}

#[test]
fn other_frame_inside_header_block_is_connection_error() {
    // §6.10: a HEADERS without END_HEADERS must be followed by CONTINUATION frames for the
    // same stream; anything else is a connection error of type PROTOCOL_ERROR.
    let (mut p, id) = ready();
    let block = p.peer.encode_block(&[(":status", "200")]);
    p.send_headers_open(1, &block, false);
    p.send_ping(false, *b"interrup");
    p.expect(&[goaway(0, ErrorCode::ProtocolError)]);
    assert_eq!(
        shape(&p.expect_failed(id)),
        local_conn_protocol(ErrorCode::ProtocolError)
    );
}

#[test]
fn continuation_on_other_stream_is_connection_error() {
    let (mut p, _id) = ready();
    let block = p.peer.encode_block(&[(":status", "200")]);
    p.send_headers_open(1, &block, false);
    p.send_continuation(3, &[], true);
    p.expect(&[goaway(0, ErrorCode::ProtocolError)]);
}

#[test]
fn unknown_frame_inside_header_block_is_connection_error() {
    // §5.5: extension frames in the middle of a field block are not permitted.
    let (mut p, _id) = ready();
    let block = p.peer.encode_block(&[(":status", "200")]);
    p.send_headers_open(1, &block, false);
    p.send(h2o_core::frame::UnknownFrame {
        kind: 0xf0,
        flags: 0,
        stream_id: h2o_core::frame::StreamId::new(0),
        payload: Bytes::new(),
    });
    p.expect(&[goaway(0, ErrorCode::ProtocolError)]);
}

#[test]
fn continuation_without_headers_is_connection_error() {
    let (mut p, _id) = ready();
    p.send_continuation(1, &[0x88], true);
    p.expect(&[goaway(0, ErrorCode::ProtocolError)]);
}

fn flood_cfg() -> ProtoConfig {
    ProtoConfig {
        max_continuation_frames: 8,
        ..small_cfg()
    }
}

#[test]
fn eight_continuations_are_accepted() {
    let mut p = Pair::ready(flood_cfg(), server_settings());
    let id = p.submit_get("/");
    p.read();
    let block = p.peer.encode_block(&[(":status", "200")]);
    p.send_headers_open(1, &[], true);
    for _ in 0..7 {
        p.send_continuation(1, &[], false);
    }
    p.send_continuation(1, &block, true);
    p.expect_events(&[head_ev(id, 200), Event::Done { id }]);
    p.expect_nothing();
}

#[test]
fn continuation_flood_is_enhance_your_calm() {
    // CVE-2024-27316-style flood: empty CONTINUATION frames are counted, so the 9th one is
    // refused even though the block stays tiny.
    let mut p = Pair::ready(flood_cfg(), server_settings());
    let id = p.submit_get("/");
    p.read();
    p.send_headers_open(1, &[0x88], true);
    for _ in 0..8 {
        p.send_continuation(1, &[], false);
    }
    p.expect_nothing();
    p.expect_no_events();
    p.send_continuation(1, &[], false);
    p.expect(&[goaway(0, ErrorCode::EnhanceYourCalm)]);
    assert_eq!(
        shape(&p.expect_failed(id)),
        local_conn_protocol(ErrorCode::EnhanceYourCalm)
    );
    assert!(p.conn.is_closed());
}

fn limited_cfg() -> ProtoConfig {
    ProtoConfig {
        max_header_list_size: 1024,
        ..small_cfg()
    }
}

fn limit_shape() -> (ErrorKind, Origin, Scope, Processed) {
    (
        ErrorKind::LimitExceeded,
        Origin::Local,
        Scope::Stream,
        Processed::Maybe,
    )
}

#[test]
fn header_list_over_limit_fails_the_request_only() {
    // §6.5.2 / §10.5.1: we advertised MAX_HEADER_LIST_SIZE; a larger response is dropped
    // (the block is still decoded to keep HPACK in sync) and the stream cancelled.
    let mut p = Pair::ready(limited_cfg(), server_settings());
    let id = p.submit_get("/");
    p.read();
    let big = "v".repeat(2000);
    p.peer.henc.set_index_mode(IndexMode::Always);
    p.send_headers(1, &[(":status", "200"), ("x-big", &big)], false);
    p.expect(&[rst(1, ErrorCode::Cancel)]);
    let e = p.expect_failed(id);
    assert_eq!(
        (e.kind(), e.origin(), e.scope(), e.processed()),
        limit_shape()
    );
    // The HPACK context is intact: the next response references the table.
    p.peer.henc.set_index_mode(IndexMode::Auto);
    let id2 = p.submit_get("/2");
    p.read();
    p.send_headers(3, &[(":status", "200"), ("x-small", "1")], true);
    p.expect_events(&[
        Event::Head {
            id: id2,
            status: 200,
            headers: hdrs(&[("x-small", "1")]),
        },
        Event::Done { id: id2 },
    ]);
    p.assert_all_ended();
}

#[test]
fn header_block_bytes_far_over_limit_is_connection_error() {
    // A block whose encoded size alone is far beyond the limit is not buffered: the
    // connection is closed (CONTINUATION frames would otherwise grow memory unboundedly).
    let mut p = Pair::ready(limited_cfg(), server_settings());
    let id = p.submit_get("/");
    p.read();
    // Up to max_header_list_size plus one frame of encoded bytes is buffered...
    let chunk = vec![0x88u8; 16_384];
    p.send_headers_open(1, &chunk, true);
    p.send_continuation(1, &chunk[..1024], false);
    p.expect_nothing();
    // ... one byte more is refused.
    p.send_continuation(1, &[0x88], false);
    p.expect(&[goaway(0, ErrorCode::EnhanceYourCalm)]);
    assert_eq!(
        shape(&p.expect_failed(id)),
        local_conn_protocol(ErrorCode::EnhanceYourCalm)
    );
}

#[test]
fn hpack_bomb_is_limited_and_connection_survives() {
    // RFC 7541 §7.3: one large dynamic-table entry referenced thousands of times decodes
    // to megabytes. The request fails; the decoder stays in sync; the connection lives.
    let mut p = Pair::ready(small_cfg(), server_settings());
    let id = p.submit_get("/");
    p.read();
    let big = "b".repeat(4000);
    p.peer.henc.set_index_mode(IndexMode::Always);
    let mut block = BytesMut::new();
    block.extend_from_slice(&p.peer.encode_block(&[(":status", "200"), ("x-bomb", &big)]));
    // Indexed field 62 (the newest dynamic entry, x-bomb) 3000 times: ~12 MB decoded.
    block.extend_from_slice(&vec![0x80 | 62; 3000]);
    p.send_block(1, &block, true);
    p.expect(&[rst(1, ErrorCode::Cancel)]);
    let e = p.expect_failed(id);
    assert_eq!(
        (e.kind(), e.origin(), e.scope(), e.processed()),
        limit_shape()
    );
    assert!(p.conn.is_accepting());
    // The next request succeeds, and its response may reference the entry.
    let id2 = p.submit_get("/again");
    p.expect(&[get_headers(3, "/again")]);
    p.send_headers(3, &[(":status", "200"), ("x-bomb", &big)], true);
    p.expect_events(&[
        Event::Head {
            id: id2,
            status: 200,
            headers: hdrs(&[("x-bomb", &big)]),
        },
        Event::Done { id: id2 },
    ]);
    p.assert_all_ended();
}

#[test]
fn hpack_garbage_is_compression_error() {
    // RFC 9113 §4.3: a block that cannot be decoded is a COMPRESSION_ERROR.
    let (mut p, id) = ready();
    p.send_block(1, &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], true);
    p.expect(&[goaway(0, ErrorCode::CompressionError)]);
    assert_eq!(
        shape(&p.expect_failed(id)),
        local_conn_protocol(ErrorCode::CompressionError)
    );
}

#[test]
fn self_dependent_priority_fields_are_ignored() {
    // RFC 9113 drops RFC 7540's self-dependency rule: the response proceeds normally.
    let (mut p, id) = ready();
    p.send(h2o_core::frame::Priority {
        stream_id: h2o_core::frame::StreamId::new(1),
        spec: h2o_core::frame::PrioritySpec {
            dependency: h2o_core::frame::StreamId::new(1),
            exclusive: false,
            weight: 16,
        },
    });
    let block = p.peer.encode_block(&[(":status", "200")]);
    p.send(h2o_core::frame::Headers {
        stream_id: h2o_core::frame::StreamId::new(1),
        end_stream: true,
        end_headers: true,
        priority: Some(h2o_core::frame::PrioritySpec {
            dependency: h2o_core::frame::StreamId::new(1),
            exclusive: false,
            weight: 16,
        }),
        fragment: block,
    });
    p.expect_nothing();
    let evs = p.events();
    assert!(
        matches!(evs.last(), Some(Event::Done { id: done }) if *done == id),
        "{evs:?}"
    );
}

#[test]
fn indexed_reference_to_a_rejected_field_is_rejected_again() {
    // The decoder remembers which dynamic-table entries passed the per-field checks, so an
    // indexed reference skips them; an entry added by a malformed response never passed.
    let (mut p, id) = ready();
    // :status 200 (static 8), then `X-Up: 1` as a literal with incremental indexing.
    let mut first = vec![0x88, 0x40, 4];
    first.extend_from_slice(b"X-Up");
    first.extend_from_slice(&[1, b'1']);
    p.send_block(1, &first, true);
    p.expect(&[rst(1, ErrorCode::ProtocolError)]);
    assert!(matches!(p.events().last(), Some(Event::Failed { .. })));
    // The same field again, now as an indexed reference (62: the newest dynamic entry).
    let next = p.submit_get("/next");
    p.expect(&[get_headers(3, "/next")]);
    p.send_block(3, &[0x88, 0xbe], true);
    p.expect(&[rst(3, ErrorCode::ProtocolError)]);
    match p.events().last() {
        Some(Event::Failed { id: got, error }) => {
            assert_eq!(*got, next);
            assert_eq!(
                shape(error),
                local_stream_protocol(ErrorCode::ProtocolError)
            );
        }
        other => panic!("{other:?}"),
    }
    let _ = id;
}

#[test]
fn indexed_reference_to_a_good_field_is_delivered() {
    let (mut p, id) = ready();
    let mut first = vec![0x88, 0x40, 4];
    first.extend_from_slice(b"x-ok");
    first.extend_from_slice(&[1, b'1']);
    p.send_block(1, &first, true);
    let next = p.submit_get("/next");
    p.expect(&[get_headers(3, "/next")]);
    p.send_block(3, &[0x88, 0xbe], true);
    let evs = p.events();
    for want in [id, next] {
        let headers = evs.iter().find_map(|e| match e {
            Event::Head { id, headers, .. } if *id == want => Some(headers.clone()),
            _ => None,
        });
        let headers = headers.expect("a head for each request");
        assert_eq!(headers.get("x-ok"), Some(&b"1"[..]));
    }
}
