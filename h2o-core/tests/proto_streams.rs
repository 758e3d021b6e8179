//! Stream lifecycle (RFC 9113 §5.1), concurrency (§5.1.2), GOAWAY (§6.8), RST_STREAM
//! (§6.4), REFUSED_STREAM (§8.7), cancel, PUSH_PROMISE with push disabled (§6.6, §8.4),
//! stream id exhaustion (§5.1.1).

mod common;

use bytes::Bytes;
use common::*;
use h2o_core::frame::{ErrorCode, PushPromise, Settings, StreamId};
use h2o_core::proto::{Event, ProtoConfig, RequestId, StreamState};
use h2o_core::{ErrorKind, Origin, Processed, Scope};

fn goaway_shape(code: ErrorCode) -> Shape {
    Shape {
        kind: ErrorKind::GoAway,
        code: Some(code),
        origin: Origin::Remote,
        scope: Scope::Connection,
        processed: Processed::No,
    }
}

#[test]
fn max_concurrent_streams_is_honoured() {
    let mut p = Pair::ready(small_cfg(), max_streams(2));
    let ids: Vec<RequestId> = (0..5).map(|i| p.submit_get(&format!("/{i}"))).collect();
    p.expect(&[get_headers(1, "/0"), get_headers(3, "/1")]);
    assert_eq!((p.conn.open_streams(), p.conn.queued()), (2, 3));
    p.complete(1, ids[0]);
    p.expect(&[get_headers(5, "/2")]);
    p.complete(3, ids[1]);
    p.expect(&[get_headers(7, "/3")]);
    p.expect_nothing();
    p.complete(5, ids[2]);
    p.expect(&[get_headers(9, "/4")]);
    p.complete(7, ids[3]);
    p.complete(9, ids[4]);
    p.expect_nothing();
    assert_eq!((p.conn.open_streams(), p.conn.queued()), (0, 0));
    p.assert_all_ended();
}

#[test]
fn half_closed_remote_stream_still_counts() {
    // §5.1.2: open and both half-closed states count toward the limit.
    let mut p = Pair::ready(small_cfg(), max_streams(1));
    let a = p.submit(post("/a"), None, false);
    let b = p.submit_get("/b");
    p.expect(&[post_headers(1, "/a", false)]);
    p.complete(1, a); // response done, request body still open
    assert_eq!(p.conn.stream_state(a), Some(StreamState::HalfClosedRemote));
    p.expect_nothing();
    p.conn.send_data(a, Bytes::new(), true);
    p.expect(&[data(1, 0, true), get_headers(3, "/b")]);
    p.complete(3, b);
    p.assert_all_ended();
}

#[test]
fn settings_change_of_max_concurrent_streams() {
    let mut p = Pair::ready(small_cfg(), max_streams(1));
    let a = p.submit_get("/a");
    let b = p.submit_get("/b");
    let c = p.submit_get("/c");
    p.expect(&[get_headers(1, "/a")]);
    // Raised: queued requests go out right away.
    p.send(max_streams(3));
    p.expect(&[F::SettingsAck, get_headers(3, "/b"), get_headers(5, "/c")]);
    // Lowered below the open count: open streams finish, nothing new opens.
    p.send(max_streams(0));
    p.expect(&[F::SettingsAck]);
    let d = p.submit_get("/d");
    p.complete(1, a);
    p.complete(3, b);
    p.complete(5, c);
    p.expect_nothing();
    assert_eq!(p.conn.queued(), 1);
    p.send(max_streams(1));
    p.expect(&[F::SettingsAck, get_headers(7, "/d")]);
    p.complete(7, d);
    p.assert_all_ended();
}

#[test]
fn queue_overflow_is_limit_exceeded_unprocessed() {
    let mut p = Pair::ready(
        ProtoConfig {
            max_pending_requests: 2,
            ..small_cfg()
        },
        max_streams(1),
    );
    let a = p.submit_get("/a");
    let b = p.submit_get("/b");
    let c = p.submit_get("/c");
    let d = p.submit_get("/d");
    let e = p.expect_failed(d);
    assert_eq!(e.kind(), ErrorKind::LimitExceeded);
    assert_eq!(e.processed(), Processed::No);
    p.expect(&[get_headers(1, "/a")]);
    p.complete(1, a);
    p.expect(&[get_headers(3, "/b")]);
    p.complete(3, b);
    p.expect(&[get_headers(5, "/c")]);
    p.complete(5, c);
    p.assert_all_ended();
}

#[test]
fn goaway_fails_streams_above_last_stream_id() {
    // §6.8: streams above last_stream_id were not processed and may be retried; those at or
    // below may still complete.
    let mut p = Pair::ready(small_cfg(), max_streams(4));
    let ids: Vec<RequestId> = (0..6).map(|i| p.submit_get(&format!("/{i}"))).collect();
    p.read(); // streams 1, 3, 5, 7; two queued
    p.send_goaway(3, ErrorCode::NoError);
    let evs = p.events();
    let failed: Vec<RequestId> = evs
        .iter()
        .map(|ev| match ev {
            Event::Failed { id, error } => {
                assert_eq!(shape(error), goaway_shape(ErrorCode::NoError), "{id:?}");
                *id
            }
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(failed, vec![ids[2], ids[3], ids[4], ids[5]]);
    assert!(!p.conn.is_accepting());
    assert!(!p.conn.is_closed());
    // Nothing is reset (the server already ignores those streams) and nothing new opens.
    p.expect_nothing();
    let late = p.submit_get("/late");
    let e = p.expect_failed(late);
    assert_eq!(
        (e.kind(), e.processed()),
        (ErrorKind::Closed, Processed::No)
    );
    p.complete(1, ids[0]);
    assert!(!p.conn.is_closed());
    p.send_headers(3, &[(":status", "200")], false);
    p.send_data(3, Bytes::from_static(b"ok"), true);
    p.expect_events(&[
        head_ev(ids[1], 200),
        data_ev(ids[1], b"ok"),
        Event::Done { id: ids[1] },
    ]);
    // The last stream completed: the connection is done.
    assert!(p.conn.is_closed());
    let why = p.conn.close_error().unwrap();
    assert_eq!(
        (why.kind(), why.origin()),
        (ErrorKind::GoAway, Origin::Remote)
    );
    p.expect_nothing();
    p.assert_all_ended();
}

#[test]
fn goaway_with_error_code_and_no_streams_closes_at_once() {
    let mut p = Pair::ready(small_cfg(), server_settings());
    p.send_goaway(0, ErrorCode::EnhanceYourCalm);
    assert!(p.conn.is_closed());
    assert_eq!(
        p.conn.close_error().unwrap().code(),
        Some(ErrorCode::EnhanceYourCalm)
    );
    p.expect_nothing();
}

#[test]
fn goaway_last_stream_id_may_only_decrease() {
    let mut p = Pair::ready(small_cfg(), server_settings());
    let ids: Vec<RequestId> = (0..3).map(|i| p.submit_get(&format!("/{i}"))).collect();
    p.read(); // 1, 3, 5
              // Graceful shutdown notice first (§6.8: 2^31-1), then the real last stream id.
    p.send_goaway(StreamId::MAX.value(), ErrorCode::NoError);
    p.expect_no_events();
    assert!(!p.conn.is_accepting());
    p.send_goaway(3, ErrorCode::NoError);
    let e = p.expect_failed(ids[2]);
    assert_eq!(shape(&e), goaway_shape(ErrorCode::NoError));
    // An increase is not honoured: stream 3 stays, stream 1 stays.
    p.send_goaway(1, ErrorCode::NoError);
    let e = p.expect_failed(ids[1]);
    assert_eq!(shape(&e), goaway_shape(ErrorCode::NoError));
    p.send_goaway(5, ErrorCode::NoError);
    p.expect_no_events();
    p.complete(1, ids[0]);
    assert!(p.conn.is_closed());
    p.assert_all_ended();
}

#[test]
fn refused_stream_is_unprocessed() {
    let mut p = Pair::ready(small_cfg(), max_streams(1));
    let a = p.submit(post("/a"), Some(bytes_of(10)), false);
    let b = p.submit_get("/b");
    p.expect(&[post_headers(1, "/a", false), data(1, 10, false)]);
    p.send_rst(1, ErrorCode::RefusedStream);
    let e = p.expect_failed(a);
    assert_eq!(
        shape(&e),
        Shape {
            kind: ErrorKind::Refused,
            code: Some(ErrorCode::RefusedStream),
            origin: Origin::Remote,
            scope: Scope::Stream,
            processed: Processed::No,
        }
    );
    // The slot is free again; the reset stream's body stops.
    assert!(!p.conn.send_data(a, bytes_of(5), true));
    p.expect(&[get_headers(3, "/b")]);
    p.complete(3, b);
    p.assert_all_ended();
}

#[test]
fn server_reset_is_stream_reset_maybe_processed() {
    let mut p = Pair::ready(small_cfg(), server_settings());
    let a = p.submit_get("/a");
    p.read();
    p.send_ok(1, false);
    p.send_rst(1, ErrorCode::InternalError);
    let evs = p.events();
    assert_eq!(evs[0], head_ev(a, 200));
    let Event::Failed { error, .. } = &evs[1] else {
        panic!("{evs:?}")
    };
    assert_eq!(
        shape(error),
        Shape {
            kind: ErrorKind::StreamReset,
            code: Some(ErrorCode::InternalError),
            origin: Origin::Remote,
            scope: Scope::Stream,
            processed: Processed::Maybe,
        }
    );
    // No RST_STREAM back (§5.4.2: never answer RST_STREAM with RST_STREAM).
    p.expect_nothing();
    // Late frames on the reset stream are dropped.
    p.send_data(1, bytes_of(10), true);
    p.expect_no_events();
    p.assert_all_ended();
}

#[test]
fn rst_no_error_after_response_stops_the_upload() {
    // §8.1: after a complete response the server may stop the request body with
    // RST_STREAM(NO_ERROR); the client must not treat it as a failure.
    let mut p = Pair::ready(small_cfg(), server_settings());
    let a = p.submit(post("/a"), Some(bytes_of(100)), false);
    p.expect(&[post_headers(1, "/a", false), data(1, 100, false)]);
    p.complete(1, a);
    p.send_rst(1, ErrorCode::NoError);
    p.expect_no_events();
    assert_eq!(p.conn.open_streams(), 0);
    assert!(!p.conn.send_data(a, bytes_of(100), true));
    p.expect_nothing();
    p.assert_all_ended();
}

#[test]
fn cancel_sends_rst_cancel() {
    let mut p = Pair::ready(small_cfg(), server_settings());
    let a = p.submit_get("/a");
    p.read();
    p.conn.cancel(a);
    p.expect(&[rst(1, ErrorCode::Cancel)]);
    let e = p.expect_failed(a);
    assert_eq!(e.kind(), ErrorKind::Cancelled);
    assert_eq!(e.origin(), Origin::Local);
    assert_eq!(e.processed(), Processed::Maybe);
    // Cancelling again, or after the end, does nothing.
    p.conn.cancel(a);
    p.expect_nothing();
    p.expect_no_events();
    p.assert_all_ended();
}

#[test]
fn cancel_of_queued_request_writes_nothing() {
    let mut p = Pair::ready(small_cfg(), max_streams(1));
    let a = p.submit_get("/a");
    let b = p.submit_get("/b");
    p.read();
    p.conn.cancel(b);
    let e = p.expect_failed(b);
    assert_eq!(
        (e.kind(), e.processed()),
        (ErrorKind::Cancelled, Processed::No)
    );
    p.expect_nothing();
    p.complete(1, a);
    p.expect_nothing();
    p.assert_all_ended();
}

#[test]
fn cancel_before_headers_written_still_resets() {
    // The HEADERS are encoded (HPACK state changed) so they must be written; the RST
    // follows, and the server may already have acted on the request.
    let mut p = Pair::ready(small_cfg(), server_settings());
    let a = p.submit_get("/a");
    p.conn.cancel(a);
    p.expect(&[get_headers(1, "/a"), rst(1, ErrorCode::Cancel)]);
    let e = p.expect_failed(a);
    assert_eq!(e.kind(), ErrorKind::Cancelled);
    assert_eq!(e.processed(), Processed::Maybe);
}

#[test]
fn cancel_after_done_does_nothing() {
    let mut p = Pair::ready(small_cfg(), server_settings());
    let a = p.submit_get("/a");
    p.read();
    p.complete(1, a);
    p.conn.cancel(a);
    p.expect_nothing();
    p.expect_no_events();
}

#[test]
fn late_frames_after_cancel_are_dropped_but_credit_the_connection() {
    // §5.1 closed: after sending RST_STREAM, frames the peer already sent must be minimally
    // processed and discarded: HPACK state updated, DATA counted against the connection
    // window.
    let mut p = Pair::ready(small_cfg(), server_settings());
    let a = p.submit_get("/a");
    p.read();
    p.send_ok(1, false);
    p.events();
    p.conn.cancel(a);
    p.expect(&[rst(1, ErrorCode::Cancel)]);
    p.events();
    // 40000 late bytes: no RST_STREAM for them, but the connection window (65535) is
    // returned in a batch once half of it is owed.
    for _ in 0..2 {
        p.send_data(1, bytes_of(16_384), false);
    }
    p.send_data(1, bytes_of(7_232), false);
    p.expect(&[wu(0, 32_768)]);
    // Late trailers go through HPACK (a dynamic-table insert the next response uses).
    p.peer
        .henc
        .set_index_mode(h2o_core::hpack::IndexMode::Always);
    p.send_headers(1, &[("x-late", "trailer")], true);
    p.expect_nothing();
    p.expect_no_events();
    let b = p.submit_get("/b");
    p.expect(&[get_headers(3, "/b")]);
    p.send_headers(3, &[(":status", "200"), ("x-late", "trailer")], true);
    let evs = p.events();
    match &evs[..] {
        [Event::Head { id, headers, .. }, Event::Done { .. }] => {
            assert_eq!(*id, b);
            assert_eq!(headers.get("x-late"), Some(&b"trailer"[..]));
        }
        other => panic!("{other:?}"),
    }
    p.assert_all_ended();
}

#[test]
fn data_on_idle_stream_is_connection_error() {
    // §5.1 idle: anything but HEADERS/PRIORITY is PROTOCOL_ERROR; a client never receives
    // HEADERS on a stream it did not open.
    let mut p = Pair::ready(small_cfg(), server_settings());
    let a = p.submit_get("/a");
    p.read();
    p.send_data(3, bytes_of(1), false);
    p.expect(&[goaway(0, ErrorCode::ProtocolError)]);
    let e = p.expect_failed(a);
    assert_eq!(shape(&e), local_conn_protocol(ErrorCode::ProtocolError));
    assert!(p.conn.is_closed());
    p.assert_all_ended();
}

#[test]
fn headers_on_idle_stream_is_connection_error() {
    let mut p = Pair::ready(small_cfg(), server_settings());
    let a = p.submit_get("/a");
    p.read();
    p.send_ok(5, false);
    p.expect(&[goaway(0, ErrorCode::ProtocolError)]);
    assert_eq!(
        shape(&p.expect_failed(a)),
        local_conn_protocol(ErrorCode::ProtocolError)
    );
}

#[test]
fn headers_on_server_initiated_stream_is_connection_error() {
    let mut p = Pair::ready(small_cfg(), server_settings());
    p.send_ok(2, false);
    p.expect(&[goaway(0, ErrorCode::ProtocolError)]);
}

#[test]
fn rst_stream_on_idle_stream_is_connection_error() {
    let mut p = Pair::ready(small_cfg(), server_settings());
    p.send_rst(1, ErrorCode::Cancel);
    p.expect(&[goaway(0, ErrorCode::ProtocolError)]);
    assert!(p.conn.is_closed());
}

#[test]
fn window_update_on_idle_stream_is_connection_error() {
    let mut p = Pair::ready(small_cfg(), server_settings());
    p.send_wu(7, 100);
    p.expect(&[goaway(0, ErrorCode::ProtocolError)]);
}

#[test]
fn frames_on_closed_streams() {
    let mut p = Pair::ready(small_cfg(), server_settings());
    let a = p.submit_get("/a");
    p.read();
    p.complete(1, a);
    // WINDOW_UPDATE and RST_STREAM may legitimately arrive after the close (§5.1).
    p.send_wu(1, 10);
    p.send_rst(1, ErrorCode::NoError);
    p.expect_nothing();
    // DATA after END_STREAM: STREAM_CLOSED (a stream error here; §5.1 allows either).
    p.send_data(1, bytes_of(3), false);
    p.expect(&[rst(1, ErrorCode::StreamClosed)]);
    // Answered once.
    p.send_data(1, bytes_of(3), false);
    p.expect_nothing();
    p.expect_no_events();
    assert!(p.conn.is_accepting());
}

#[test]
fn frames_after_end_stream_on_half_closed_remote() {
    // §5.1 half-closed (remote): frames other than WINDOW_UPDATE, PRIORITY, RST_STREAM are
    // a stream error of type STREAM_CLOSED.
    let mut p = Pair::ready(small_cfg(), server_settings());
    let a = p.submit(post("/a"), None, false);
    p.read();
    p.complete(1, a);
    p.send_wu(1, 100);
    p.expect_nothing();
    p.send_ok(1, false);
    p.expect(&[rst(1, ErrorCode::StreamClosed)]);
    // The request already ended with Done: no second terminal event.
    p.expect_no_events();
    assert_eq!(p.conn.open_streams(), 0);
    assert!(!p.conn.send_data(a, bytes_of(1), true));
    p.assert_all_ended();
}

fn push_promise(sid: u32, promised: u32, block: Bytes) -> PushPromise {
    PushPromise {
        stream_id: StreamId::new(sid),
        end_headers: true,
        promised_id: StreamId::new(promised),
        fragment: block,
    }
}

#[test]
fn push_promise_after_settings_ack_is_connection_error() {
    // §6.6 / §8.4: we sent ENABLE_PUSH=0; once acknowledged a PUSH_PROMISE is PROTOCOL_ERROR.
    let mut p = Pair::ready(small_cfg(), server_settings());
    let a = p.submit_get("/a");
    p.read();
    let block = p.peer.encode_block(&[
        (":method", "GET"),
        (":scheme", "https"),
        (":authority", "example.com"),
        (":path", "/pushed"),
    ]);
    p.send(push_promise(1, 2, block));
    p.expect(&[goaway(0, ErrorCode::ProtocolError)]);
    assert_eq!(
        shape(&p.expect_failed(a)),
        local_conn_protocol(ErrorCode::ProtocolError)
    );
    p.assert_all_ended();
}

#[test]
fn push_promise_before_settings_ack_is_refused() {
    // Before the server has our SETTINGS it may still push: refuse the promised stream.
    // Frames it already sent on that stream are discarded (§5.1 closed), not errors.
    let mut p = Pair::new(small_cfg());
    p.read();
    p.send(server_settings());
    p.expect(&[F::SettingsAck]);
    let a = p.submit_get("/a");
    p.expect(&[get_headers(1, "/a")]);
    p.peer
        .henc
        .set_index_mode(h2o_core::hpack::IndexMode::Always);
    let block = p.peer.encode_block(&[
        (":method", "GET"),
        (":scheme", "https"),
        (":authority", "example.com"),
        (":path", "/pushed"),
    ]);
    p.send(push_promise(1, 2, block));
    p.expect(&[rst(2, ErrorCode::RefusedStream)]);
    p.expect_no_events();
    // The server had already started the pushed response.
    p.send_headers(2, &[(":status", "200"), ("x-pushed", "1")], false);
    p.send_data(2, bytes_of(100), true);
    p.expect_nothing();
    assert!(!p.conn.is_closed());
    // The HPACK context stayed in sync (the promise's block was decoded).
    p.send(Settings::ack());
    p.send_headers(1, &[(":status", "200"), ("x-pushed", "1")], true);
    let mut h = h2o_core::Headers::new();
    h.append("x-pushed", "1");
    p.expect_events(&[
        Event::Head {
            id: a,
            status: 200,
            headers: h,
        },
        Event::Done { id: a },
    ]);
    p.assert_all_ended();
}

#[test]
fn stream_id_exhaustion_drains() {
    // §5.1.1: ids cannot be reused; after 2^31-1 the client needs a new connection.
    let mut p = Pair::ready(small_cfg(), max_streams(1));
    p.conn.set_next_stream_id(StreamId::MAX.value() - 2);
    let a = p.submit_get("/a");
    let b = p.submit_get("/b");
    let c = p.submit_get("/c");
    let frames = p.read();
    assert_eq!(frames, vec![get_headers(StreamId::MAX.value() - 2, "/a")]);
    assert!(p.conn.is_accepting());
    p.send_ok(StreamId::MAX.value() - 2, true);
    // b takes the last id; c can never get one.
    let evs = p.events();
    assert_eq!(evs[..2], [head_ev(a, 200), Event::Done { id: a }]);
    match &evs[2..] {
        [Event::Failed { id, error }] => {
            assert_eq!(*id, c);
            assert_eq!(
                (error.kind(), error.processed()),
                (ErrorKind::Closed, Processed::No)
            );
        }
        other => panic!("{other:?}"),
    }
    p.expect(&[get_headers(StreamId::MAX.value(), "/b")]);
    assert!(!p.conn.is_accepting());
    let d = p.submit_get("/d");
    let e = p.expect_failed(d);
    assert_eq!(
        (e.kind(), e.processed()),
        (ErrorKind::Closed, Processed::No)
    );
    assert!(!p.conn.is_closed());
    p.complete(StreamId::MAX.value(), b);
    assert!(p.conn.is_closed());
    p.expect(&[goaway(0, ErrorCode::NoError)]);
    p.assert_all_ended();
}

#[test]
fn upload_continues_after_early_response() {
    // §8.1: a complete response may arrive before the request body is finished; the body
    // keeps flowing (SendReady may follow Done) until the caller ends it.
    let mut p = Pair::ready(
        ProtoConfig {
            send_buffer_size: 4000,
            ..small_cfg()
        },
        Settings {
            initial_window_size: Some(1000),
            ..Settings::default()
        },
    );
    let a = p.submit(post("/a"), None, false);
    p.read();
    assert!(!p.conn.send_data(a, bytes_of(5000), false));
    p.expect(&[data(1, 1000, false)]);
    p.complete(1, a);
    p.send_wu(1, 4000);
    p.expect(&[data(1, 4000, false)]);
    p.expect_events(&[Event::SendReady { id: a }]);
    p.conn.send_data(a, bytes_of(10), true);
    p.expect_nothing(); // the stream window is used up
    p.send_wu(1, 100);
    p.expect(&[data(1, 10, true)]);
    assert_eq!(p.conn.open_streams(), 0);
    p.assert_all_ended();
}

#[test]
fn cancel_after_early_response_frees_the_slot() {
    // An owner that stops the body after Done must cancel, or the half-closed (remote)
    // stream would hold a concurrency slot forever.
    let mut p = Pair::ready(small_cfg(), max_streams(1));
    let a = p.submit(post("/a"), None, false);
    let b = p.submit_get("/b");
    p.expect(&[post_headers(1, "/a", false)]);
    p.complete(1, a);
    p.expect_nothing();
    p.conn.cancel(a);
    p.expect(&[rst(1, ErrorCode::Cancel), get_headers(3, "/b")]);
    p.expect_no_events(); // a already ended with Done
    p.complete(3, b);
    p.assert_all_ended();
}

#[test]
fn stream_error_on_idle_stream_is_connection_error() {
    // §6.4: RST_STREAM MUST NOT be sent for an idle stream, and §5.1 makes WINDOW_UPDATE on
    // an idle stream a connection error: a zero increment there closes the connection
    // (§5.4.1 allows treating any stream error as a connection error).
    let mut p = Pair::ready(small_cfg(), server_settings());
    let id = p.submit_get("/");
    p.read();
    p.send_raw(&[0, 0, 4, 0x8, 0, 0, 0, 0, 99, 0, 0, 0, 0]);
    p.expect(&[goaway(0, ErrorCode::ProtocolError)]);
    assert_eq!(
        shape(&p.expect_failed(id)),
        local_conn_protocol(ErrorCode::ProtocolError)
    );
}

#[test]
fn malformed_priority_on_idle_stream_sends_no_rst() {
    // A PRIORITY frame may name an idle stream (§6.3); if it is malformed (wrong length:
    // a stream error, FRAME_SIZE_ERROR) there is no stream to reset.
    let mut p = Pair::ready(small_cfg(), server_settings());
    p.send_raw(&[0, 0, 4, 0x2, 0, 0, 0, 0, 7, 0, 0, 0, 0]);
    p.expect_nothing();
    assert!(p.conn.is_accepting());
    let id = p.submit_get("/");
    p.expect(&[get_headers(1, "/")]);
    p.complete(1, id);
}

#[test]
fn refused_stream_after_a_response_head_is_not_unprocessed() {
    // §8.7: REFUSED_STREAM promises no processing happened; a server that already sent a
    // response head broke that promise, so the request must not be reported retryable.
    let mut p = Pair::ready(small_cfg(), server_settings());
    let id = p.submit_get("/");
    p.read();
    p.send_ok(1, false);
    p.send_rst(1, ErrorCode::RefusedStream);
    let evs = p.events();
    assert_eq!(evs[0], head_ev(id, 200));
    let Event::Failed { error, .. } = &evs[1] else {
        panic!("{evs:?}")
    };
    assert_eq!(
        shape(error),
        Shape {
            kind: ErrorKind::StreamReset,
            code: Some(ErrorCode::RefusedStream),
            origin: Origin::Remote,
            scope: Scope::Stream,
            processed: Processed::Maybe,
        }
    );
}

#[test]
fn goaway_below_a_stream_that_already_has_a_response_is_maybe() {
    // §6.8 says streams above last_stream_id were not processed; a response head on one
    // contradicts that, and the conservative answer wins.
    let mut p = Pair::ready(small_cfg(), server_settings());
    let a = p.submit_get("/a");
    let b = p.submit_get("/b");
    p.read();
    p.send_ok(3, false);
    p.expect_events(&[head_ev(b, 200)]);
    p.send_goaway(1, ErrorCode::NoError);
    let e = p.expect_failed(b);
    assert_eq!(
        (e.kind(), e.processed()),
        (ErrorKind::GoAway, Processed::Maybe)
    );
    p.complete(1, a);
    assert!(p.conn.is_closed());
    p.assert_all_ended();
}
