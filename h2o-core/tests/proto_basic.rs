//! Connection setup (RFC 9113 §3.4, §6.5), simple exchanges (§8.1, §8.3.1), PING (§6.7),
//! client shutdown and transport loss.

mod common;

use bytes::{Bytes, BytesMut};
use common::*;
use h2o_core::frame::{self, Data, ErrorCode, Frame, Settings, StreamId, PREFACE};
use h2o_core::proto::{Connection, Event, ProtoConfig, StreamState};
use h2o_core::{Error, ErrorKind, Headers, Origin, Priority, Processed, Scope};

#[test]
fn preface_settings_and_connection_window() {
    let mut p = Pair::new(ProtoConfig::default());
    // The preface itself is checked byte by byte by the peer.
    assert!(p.conn.poll_transmit().starts_with(PREFACE));
    let frames = p.read();
    let cfg = ProtoConfig::default();
    assert_eq!(
        frames,
        vec![
            F::Settings(Settings {
                enable_push: Some(false),
                max_concurrent_streams: Some(cfg.max_concurrent_streams),
                initial_window_size: Some(cfg.initial_window_size),
                max_header_list_size: Some(cfg.max_header_list_size),
                ..Settings::default()
            }),
            // §6.9.2: the connection window starts at 65535 whatever SETTINGS say.
            wu(0, cfg.connection_window_size - 65_535),
        ]
    );
    // Nothing more until the server speaks.
    p.expect_nothing();
    // §6.5.3: we ACK the server's SETTINGS.
    p.send(max_streams(10));
    p.expect(&[F::SettingsAck]);
    assert!(p.conn.has_peer_settings());
    assert_eq!(p.conn.peer_settings().max_concurrent_streams, 10);
    assert!(!p.conn.settings_acked());
    p.send(Settings::ack());
    assert!(p.conn.settings_acked());
    p.expect_nothing();
    assert!(p.conn.is_accepting());
}

#[test]
fn no_connection_window_update_when_window_is_default() {
    let mut p = Pair::new(ProtoConfig {
        connection_window_size: 65_535,
        ..ProtoConfig::default()
    });
    let frames = p.read();
    assert_eq!(frames.len(), 1, "{frames:?}");
    assert!(matches!(frames[0], F::Settings(_)));
}

#[test]
fn first_server_frame_must_be_settings() {
    // §3.4: the server preface is a SETTINGS frame; anything else is PROTOCOL_ERROR.
    let mut p = Pair::new(small_cfg());
    let id = p.submit_get("/");
    p.read();
    p.send_ping(false, *b"12345678");
    p.expect(&[goaway(0, ErrorCode::ProtocolError)]);
    let e = p.expect_failed(id);
    assert_eq!(shape(&e), local_conn_protocol(ErrorCode::ProtocolError));
    assert!(p.conn.is_closed());
    assert!(!p.conn.is_accepting());
    assert_eq!(p.conn.close_error().unwrap().kind(), ErrorKind::Protocol);
    p.assert_all_ended();
}

#[test]
fn settings_ack_first_is_not_a_server_preface() {
    let mut p = Pair::new(small_cfg());
    p.read();
    p.send(Settings::ack());
    p.expect(&[goaway(0, ErrorCode::ProtocolError)]);
    assert!(p.conn.is_closed());
}

#[test]
fn requests_before_server_settings_go_out_at_once() {
    // §3.4: the client may send frames right after its preface.
    let mut p = Pair::new(small_cfg());
    let id = p.submit_get("/early");
    let frames = p.read();
    assert_eq!(frames.len(), 2);
    assert_eq!(frames[1], get_headers(1, "/early"));
    p.send(server_settings());
    p.expect(&[F::SettingsAck]);
    p.complete(1, id);
}

#[test]
fn get_request_and_response() {
    let mut p = Pair::ready(small_cfg(), server_settings());
    let id = p.submit_get("/index.html?q=1");
    // §8.3.1: pseudo-headers first, in this order; END_STREAM on HEADERS (no body).
    p.expect(&[get_headers(1, "/index.html?q=1")]);
    assert_eq!(p.conn.stream_state(id), Some(StreamState::HalfClosedLocal));
    p.send_headers(
        1,
        &[(":status", "200"), ("content-type", "text/plain")],
        false,
    );
    p.send_data(1, Bytes::from_static(b"hello "), false);
    p.send_data(1, Bytes::from_static(b"world"), true);
    let mut h = Headers::new();
    h.append("content-type", "text/plain");
    p.expect_events(&[
        Event::Head {
            id,
            status: 200,
            headers: h,
        },
        data_ev(id, b"hello "),
        data_ev(id, b"world"),
        Event::Done { id },
    ]);
    assert_eq!(p.conn.open_streams(), 0);
    assert_eq!(p.conn.stream_state(id), None);
    p.assert_all_ended();
}

#[test]
fn post_with_body() {
    let mut p = Pair::ready(small_cfg(), server_settings());
    let id = p.submit(post("/upload"), Some(Bytes::from_static(b"abc")), true);
    // HEADERS without END_STREAM, then DATA carrying END_STREAM.
    p.expect(&[post_headers(1, "/upload", false), data(1, 3, true)]);
    assert_eq!(p.peer.body[&1], b"abc");
    p.complete(1, id);
    p.assert_all_ended();
}

#[test]
fn post_streamed_body() {
    let mut p = Pair::ready(small_cfg(), server_settings());
    let id = p.submit(post("/s"), None, false);
    p.expect(&[post_headers(1, "/s", false)]);
    assert_eq!(p.conn.stream_state(id), Some(StreamState::Open));
    assert!(p.conn.send_data(id, Bytes::from_static(b"one"), false));
    p.expect(&[data(1, 3, false)]);
    p.conn.send_data(id, Bytes::new(), true);
    // An empty DATA frame carries END_STREAM.
    p.expect(&[data(1, 0, true)]);
    assert_eq!(p.conn.stream_state(id), Some(StreamState::HalfClosedLocal));
    // No more data once the body is closed.
    assert!(!p.conn.send_data(id, Bytes::from_static(b"x"), false));
    p.expect_nothing();
    p.complete(1, id);
    p.assert_all_ended();
}

#[test]
fn response_before_request_body_finished() {
    // §8.1: the server may answer before the request is complete; the stream is then
    // half-closed (remote) and the body still goes out.
    let mut p = Pair::ready(small_cfg(), server_settings());
    let id = p.submit(post("/early"), None, false);
    p.expect(&[post_headers(1, "/early", false)]);
    p.complete(1, id);
    assert_eq!(p.conn.stream_state(id), Some(StreamState::HalfClosedRemote));
    assert_eq!(p.conn.open_streams(), 1);
    p.conn.send_data(id, Bytes::from_static(b"rest"), true);
    p.expect(&[data(1, 4, true)]);
    assert_eq!(p.conn.open_streams(), 0);
    p.expect_no_events();
}

#[test]
fn stream_ids_are_odd_and_increasing() {
    let mut p = Pair::ready(small_cfg(), server_settings());
    let ids: Vec<_> = (0..4).map(|i| p.submit_get(&format!("/{i}"))).collect();
    p.expect(&[
        get_headers(1, "/0"),
        get_headers(3, "/1"),
        get_headers(5, "/2"),
        get_headers(7, "/3"),
    ]);
    for (i, id) in ids.iter().enumerate() {
        assert_eq!(p.conn.stream_id(*id).unwrap().value(), 1 + 2 * i as u32);
    }
    // Responses in any order.
    for (sid, id) in [(5, ids[2]), (1, ids[0]), (7, ids[3]), (3, ids[1])] {
        p.complete(sid, id);
    }
    let id = p.submit_get("/next");
    p.expect(&[get_headers(9, "/next")]);
    p.complete(9, id);
    p.assert_all_ended();
}

#[test]
fn headers_split_into_continuation_by_peer_max_frame_size() {
    let mut p = Pair::ready(small_cfg(), server_settings());
    let mut head = get("/big");
    let big = "v".repeat(40_000);
    head.headers.append("x-big", big.clone());
    let id = p.submit(head, None, true);
    let frames = p.read();
    // The peer's decoder rejects any frame above 16384, and assembles the block.
    match &frames[..] {
        [F::Headers {
            sid: 1,
            end_stream: true,
            fields,
        }] => assert_eq!(fields[4], ("x-big".to_string(), big)),
        other => panic!("{other:?}"),
    }
    p.complete(1, id);
}

#[test]
fn request_over_server_max_header_list_size_is_not_sent() {
    let mut p = Pair::ready(
        small_cfg(),
        Settings {
            max_header_list_size: Some(200),
            ..Settings::default()
        },
    );
    let mut head = get("/");
    head.headers.append("x-big", "v".repeat(300));
    let id = p.submit(head, None, true);
    p.expect_nothing();
    let e = p.expect_failed(id);
    assert_eq!(e.kind(), ErrorKind::LimitExceeded);
    assert_eq!(e.processed(), Processed::No);
    // The stream id was not consumed.
    let id = p.submit_get("/");
    p.expect(&[get_headers(1, "/")]);
    p.complete(1, id);
}

#[test]
fn invalid_request_header_fails_unprocessed() {
    let mut p = Pair::ready(small_cfg(), server_settings());
    let mut head = get("/");
    head.headers.append("connection", "keep-alive");
    let id = p.submit(head, None, true);
    p.expect_nothing();
    let e = p.expect_failed(id);
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert_eq!(e.processed(), Processed::No);
}

#[test]
fn ping_is_acked_with_same_payload() {
    // §6.7: a PING without ACK gets a PING with ACK and the identical payload.
    let mut p = Pair::ready(small_cfg(), server_settings());
    p.send_ping(false, *b"\x01\x02\x03\x04\x05\x06\x07\x08");
    p.expect(&[F::Ping {
        ack: true,
        payload: *b"\x01\x02\x03\x04\x05\x06\x07\x08",
    }]);
    // An ACK we did not ask for is ignored (no response to a response).
    p.send_ping(true, *b"whatever");
    p.expect_nothing();
    p.expect_no_events();
}

#[test]
fn keepalive_ping_measures_rtt() {
    let mut p = Pair::ready(small_cfg(), server_settings());
    p.conn.send_ping(p.now);
    let frames = p.read();
    let payload = match &frames[..] {
        [F::Ping {
            ack: false,
            payload,
        }] => *payload,
        other => panic!("{other:?}"),
    };
    assert!(p.conn.ping_outstanding().is_some());
    // A second call while one is outstanding sends nothing.
    p.conn.send_ping(p.now);
    p.expect_nothing();
    p.advance(std::time::Duration::from_millis(30));
    p.send_ping(true, payload);
    assert_eq!(p.conn.rtt(), Some(std::time::Duration::from_millis(30)));
    assert!(p.conn.ping_outstanding().is_none());
}

#[test]
fn close_sends_goaway_and_cancels_everything() {
    let mut p = Pair::ready(small_cfg(), max_streams(1));
    let sent = p.submit_get("/a");
    p.read();
    let queued = p.submit_get("/b");
    p.conn.close();
    p.expect(&[goaway(0, ErrorCode::NoError)]);
    let evs = p.events();
    assert_eq!(evs.len(), 2);
    for ev in &evs {
        let Event::Failed { id, error } = ev else {
            panic!("{ev:?}")
        };
        assert_eq!(error.kind(), ErrorKind::Cancelled);
        assert_eq!(error.origin(), Origin::Local);
        // The server saw the first request's HEADERS: it may have acted on it.
        let want = if *id == sent {
            Processed::Maybe
        } else {
            assert_eq!(*id, queued);
            Processed::No
        };
        assert_eq!(error.processed(), want, "{id:?}");
    }
    assert!(p.conn.is_closed());
    assert!(!p.conn.is_accepting());
    // Late frames are not processed.
    p.send_ok(1, true);
    p.expect_no_events();
    p.expect_nothing();
    // New requests fail at once, unprocessed.
    let late = p.submit_get("/c");
    let e = p.expect_failed(late);
    assert_eq!(
        (e.kind(), e.processed()),
        (ErrorKind::Closed, Processed::No)
    );
    p.assert_all_ended();
}

#[test]
fn transport_closed_processed_depends_on_what_was_written() {
    let mut p = Pair::ready(small_cfg(), server_settings());
    let written = p.submit_get("/a");
    p.read();
    let unwritten = p.submit_get("/b");
    // HEADERS of /b are in the client's buffer but never reached the socket.
    let err = Error::new(ErrorKind::Io, "connection reset");
    p.conn.transport_closed(err);
    let evs = p.events();
    assert_eq!(evs.len(), 2);
    for ev in evs {
        let Event::Failed { id, error } = ev else {
            panic!("{ev:?}")
        };
        assert_eq!(error.kind(), ErrorKind::Io);
        let want = if id == written {
            Processed::Maybe
        } else {
            assert_eq!(id, unwritten);
            Processed::No
        };
        assert_eq!(error.processed(), want, "{id:?}");
    }
    assert!(p.conn.is_closed());
    assert_eq!(p.conn.close_error().unwrap().kind(), ErrorKind::Io);
    p.assert_all_ended();
}

#[test]
fn transport_closed_with_headers_partly_written_is_maybe() {
    let mut p = Pair::ready(small_cfg(), server_settings());
    let id = p.submit_get("/partial");
    // Only part of the HEADERS frame reached the socket before it broke.
    let total = p.conn.poll_transmit().len();
    p.read_partial(total - 1);
    p.conn
        .transport_closed(Error::new(ErrorKind::Io, "broken pipe"));
    let e = p.expect_failed(id);
    // The server never received the whole HEADERS frame: it cannot have processed it.
    assert_eq!(e.processed(), Processed::No);
    let id2 = {
        let mut q = Pair::ready(small_cfg(), server_settings());
        let id = q.submit_get("/whole");
        q.read();
        q.conn.transport_closed(Error::new(ErrorKind::Io, "eof"));
        q.expect_failed(id).processed()
    };
    assert_eq!(id2, Processed::Maybe);
}

#[test]
fn drain_finishes_in_flight_then_closes() {
    let mut p = Pair::ready(small_cfg(), server_settings());
    let id = p.submit_get("/a");
    p.read();
    p.conn.drain();
    assert!(!p.conn.is_accepting());
    assert!(!p.conn.is_closed());
    let late = p.submit_get("/b");
    let e = p.expect_failed(late);
    assert_eq!(
        (e.kind(), e.processed()),
        (ErrorKind::Closed, Processed::No)
    );
    p.expect_nothing();
    p.complete(1, id);
    assert!(p.conn.is_closed());
    p.expect(&[goaway(0, ErrorCode::NoError)]);
    p.assert_all_ended();
}

#[test]
fn drain_fails_queued_requests_unprocessed() {
    // Queued requests can never open a stream on a draining connection: they must end
    // (unprocessed, so the caller retries elsewhere) instead of waiting forever.
    let mut p = Pair::ready(small_cfg(), max_streams(1));
    let a = p.submit_get("/a");
    let b = p.submit_get("/b");
    p.expect(&[get_headers(1, "/a")]);
    p.conn.drain();
    let e = p.expect_failed(b);
    assert_eq!(
        (e.kind(), e.processed()),
        (ErrorKind::Closed, Processed::No)
    );
    p.complete(1, a);
    assert!(p.conn.is_closed());
    p.expect(&[goaway(0, ErrorCode::NoError)]);
    p.assert_all_ended();
}

#[test]
fn priority_header_sent_for_non_default_urgency() {
    // RFC 9218 §4, §5: the priority header carries urgency (default u=3 is omitted).
    let mut p = Pair::ready(small_cfg(), server_settings());
    let mut head = get("/urgent");
    head.priority = Priority::new(0, false);
    let id = p.submit(head, None, true);
    let mut head2 = get("/inc");
    head2.priority = Priority::new(3, true);
    let id2 = p.submit(head2, None, true);
    let id3 = p.submit_get("/default");
    let mut want = get_headers(1, "/urgent");
    if let F::Headers { fields, .. } = &mut want {
        fields.push(("priority".into(), "u=0".into()));
    }
    let mut want2 = get_headers(3, "/inc");
    if let F::Headers { fields, .. } = &mut want2 {
        fields.push(("priority".into(), "i".into()));
    }
    p.expect(&[want, want2, get_headers(5, "/default")]);
    p.complete(1, id);
    p.complete(3, id2);
    p.complete(5, id3);
}

#[test]
fn urgent_upload_data_goes_first() {
    // RFC 9218 §10: with two uploads pending, the more urgent one's DATA is sent first.
    let mut p = Pair::ready(small_cfg(), server_settings());
    let body = bytes_of(40_000);
    let slow = p.submit(post("/bulk"), Some(body.clone()), true);
    let mut head = post("/urgent");
    head.priority = Priority::new(0, false);
    let fast = p.submit(head, Some(body), true);
    let frames = p.read();
    let mut want_urgent = post_headers(3, "/urgent", false);
    if let F::Headers { fields, .. } = &mut want_urgent {
        fields.push(("priority".into(), "u=0".into()));
    }
    assert_eq!(frames[0], post_headers(1, "/bulk", false));
    assert_eq!(frames[1], want_urgent);
    // All of stream 3's DATA precedes stream 1's (connection window 65535 < 80000).
    let order: Vec<u32> = frames[2..]
        .iter()
        .map(|f| match f {
            F::Data { sid, .. } => *sid,
            other => panic!("{other:?}"),
        })
        .collect();
    let first_bulk = order.iter().position(|s| *s == 1).unwrap();
    assert!(order[..first_bulk].iter().all(|s| *s == 3));
    assert!(order[first_bulk..].iter().all(|s| *s == 1));
    assert_eq!(p.peer.body[&3].len(), 40_000);
    assert_eq!(p.peer.body[&1].len(), 65_535 - 40_000);
    p.send_wu(0, 40_000);
    p.send_wu(1, 40_000);
    p.read();
    assert_eq!(p.peer.body[&1].len(), 40_000);
    p.complete(3, fast);
    p.complete(1, slow);
    p.assert_all_ended();
}

#[test]
fn unknown_frames_and_priority_frames_are_ignored() {
    // §4.1, §5.5: unknown frame types are discarded; PRIORITY is ignored (§5.3.2).
    let mut p = Pair::ready(small_cfg(), server_settings());
    let id = p.submit_get("/");
    p.read();
    p.send(h2o_core::frame::UnknownFrame {
        kind: 0xfa,
        flags: 0xff,
        stream_id: h2o_core::frame::StreamId::new(1),
        payload: Bytes::from_static(b"ext"),
    });
    p.send(h2o_core::frame::Priority {
        stream_id: h2o_core::frame::StreamId::new(1),
        spec: h2o_core::frame::PrioritySpec {
            dependency: h2o_core::frame::StreamId::new(0),
            exclusive: false,
            weight: 20,
        },
    });
    p.expect_nothing();
    p.complete(1, id);
}

#[test]
fn connection_error_processed_flags() {
    // A connection error: GOAWAY goes out after whatever is already buffered. HEADERS in
    // the buffer cannot be dropped (the HPACK context has already changed), so the server
    // will see them: only requests still queued are provably unprocessed.
    let mut p = Pair::ready(small_cfg(), max_streams(2));
    let written = p.submit_get("/a");
    p.read();
    let buffered = p.submit_get("/b");
    let queued = p.submit_get("/c");
    p.send_rst(99, ErrorCode::Cancel); // RST_STREAM on an idle stream
    let evs = p.events();
    assert_eq!(evs.len(), 3);
    for ev in evs {
        let Event::Failed { id, error } = ev else {
            panic!()
        };
        assert_eq!(error.scope(), Scope::Connection);
        let want = if id == queued {
            Processed::No
        } else {
            assert!(id == written || id == buffered);
            Processed::Maybe
        };
        assert_eq!(error.processed(), want, "{id:?}");
    }
    p.expect(&[get_headers(3, "/b"), goaway(0, ErrorCode::ProtocolError)]);
    p.assert_all_ended();
}

#[test]
fn config_doc_example_constructs() {
    let _ = Connection::new(ProtoConfig::default(), std::time::Instant::now());
}

#[test]
fn connect_request_has_no_scheme_or_path() {
    // §8.5: CONNECT carries only :method and :authority.
    let mut p = Pair::ready(small_cfg(), server_settings());
    let head = h2o_core::RequestHead::new(h2o_core::Method::CONNECT, &url("/"));
    let id = p.submit(head, None, false);
    p.expect(&[F::Headers {
        sid: 1,
        end_stream: false,
        fields: fields(&[(":method", "CONNECT"), (":authority", "example.com")]),
    }]);
    p.send_ok(1, false);
    p.expect_events(&[head_ev(id, 200)]);
    assert!(p.conn.send_data(id, Bytes::from_static(b"tunnel"), false));
    p.expect(&[data(1, 6, false)]);
}

#[test]
fn host_header_becomes_authority_and_regular_headers_follow() {
    // §8.3.1: :authority replaces Host; regular fields come after the pseudo-headers.
    let mut p = Pair::ready(small_cfg(), server_settings());
    let mut head = get("/x");
    head.headers.append("Accept", "*/*");
    head.headers.append("host", "other.example:8443");
    head.headers.append("te", "trailers");
    let id = p.submit(head, None, true);
    p.expect(&[F::Headers {
        sid: 1,
        end_stream: true,
        fields: fields(&[
            (":method", "GET"),
            (":scheme", "https"),
            (":authority", "other.example:8443"),
            (":path", "/x"),
            ("accept", "*/*"),
            ("te", "trailers"),
        ]),
    }]);
    p.complete(1, id);
}

#[test]
fn process_some_stops_after_the_given_frames_and_process_finishes() {
    // The driver's early flush processes a read in slices: the rest stays buffered,
    // whole and in order, for the next call.
    let mut p = Pair::ready(small_cfg(), server_settings());
    let ids: Vec<_> = (0..3).map(|i| p.submit_get(&format!("/{i}"))).collect();
    p.read();
    let mut wire = BytesMut::new();
    for sid in [1u32, 3, 5] {
        let block = p.peer.encode_block(&[(":status", "200")]);
        frame::encode_header_block(StreamId::new(sid), &block, false, None, 16_384, &mut wire);
        Frame::from(Data::new(
            StreamId::new(sid),
            Bytes::from_static(b"hi"),
            true,
        ))
        .encode(&mut wire);
    }
    p.conn.read_buffer().extend_from_slice(&wire);
    let now = p.now;
    // Six frames: two per response.
    assert!(p.conn.process_some(now, 2), "stopped at the limit");
    let first = p.events();
    assert!(
        matches!(first.last(), Some(Event::Done { id }) if *id == ids[0]),
        "{first:?}"
    );
    assert!(!first
        .iter()
        .any(|e| matches!(e, Event::Head { id, .. } if *id != ids[0])));
    assert!(p.conn.process_some(now, 3), "three more frames, one left");
    assert!(
        !p.conn.process_some(now, 3),
        "the last frame: the buffer is done"
    );
    let rest = p.events();
    let done: Vec<_> = rest
        .iter()
        .filter_map(|e| match e {
            Event::Done { id } => Some(*id),
            _ => None,
        })
        .collect();
    assert_eq!(done, vec![ids[1], ids[2]], "{rest:?}");
    assert!(!p.conn.process_some(now, 1), "nothing left");
    // Stopping exactly at the end of the buffer is not "more left".
    let id = p.submit_get("/3");
    p.read();
    let mut wire = BytesMut::new();
    let block = p.peer.encode_block(&[(":status", "204")]);
    frame::encode_header_block(StreamId::new(7), &block, true, None, 16_384, &mut wire);
    p.conn.read_buffer().extend_from_slice(&wire);
    assert!(!p.conn.process_some(now, 1));
    assert!(matches!(p.events().last(), Some(Event::Done { id: d }) if *d == id));
}
