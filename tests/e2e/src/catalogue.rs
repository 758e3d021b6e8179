//! The scenario catalogue (see [`crate::conformance`] for the runner). Each entry: name =
//! RFC section + what, the server script as raw frames, what the caller sees, and what the
//! client writes. Stream 1 is the first request's stream, 3 the second's.

use std::time::Duration;

use bytes::BytesMut;
use h2o_core::frame::{ErrorCode, Frame};
use h2o_core::{Config, ErrorKind};

use crate::conformance::*;
use ErrorCode::*;
use Group::*;
use Step::*;

const MS: fn(u64) -> Duration = Duration::from_millis;

fn head200() -> Vec<u8> {
    headers(1, 0, &[(":status", "200")])
}

fn ok_resp() -> Vec<u8> {
    response(1, b"ok")
}

fn status_block(extra: &[u8]) -> Vec<u8> {
    let mut b = vec![0x88]; // :status 200 (static index 8)
    b.extend_from_slice(extra);
    b
}

/// HEADERS(1, END_HEADERS|END_STREAM) with a raw HPACK block.
fn raw_block(b: &[u8]) -> Vec<u8> {
    frame(ty::HEADERS, fl::END_HEADERS | fl::END_STREAM, 1, b)
}

/// A literal field without indexing, new name, with a Huffman-coded value of raw bits.
fn huff_field(name: &str, huff: &[u8]) -> Vec<u8> {
    let mut b = vec![0];
    hpack_str(name.as_bytes(), &mut b);
    hpack_int(0x80, 7, huff.len(), &mut b);
    b.extend_from_slice(huff);
    b
}

fn push_promise(sid: u32, promised: u32) -> Vec<u8> {
    let mut p = promised.to_be_bytes().to_vec();
    p.extend_from_slice(&[0x82, 0x86, 0x84]); // GET http /
    p.push(0x41); // :authority, incremental indexing
    hpack_str(b"127.0.0.1", &mut p);
    frame(ty::PUSH_PROMISE, fl::END_HEADERS, sid, &p)
}

fn hpack_bomb() -> Vec<u8> {
    // One 4000-byte entry inserted into the dynamic table, then referenced 12000 times by
    // one-byte indices: a 16 KB block that would decode to ~48 MB of header list.
    let mut b = vec![0x88, 0x40];
    hpack_str(b"x-bomb", &mut b);
    hpack_str(&[b'a'; 4000], &mut b);
    b.extend(std::iter::repeat_n(0xbe, 12_000));
    b
}

fn eviction_block(extra: &[u8]) -> Vec<u8> {
    // Three 1536-byte entries (1500 + 4 + 32) into a 4096-byte table: the first is evicted.
    let mut b = vec![0x88];
    for name in ["x-e1", "x-e2", "x-e3"] {
        b.push(0x40);
        hpack_str(name.as_bytes(), &mut b);
        hpack_str(&[b'v'; 1500], &mut b);
    }
    b.extend_from_slice(extra);
    b
}

fn big_literal_in_continuations(value_len: usize) -> Vec<u8> {
    let mut b = vec![0x88, 0];
    hpack_str(b"x-big", &mut b);
    hpack_str(&vec![b'v'; value_len], &mut b);
    let chunks: Vec<&[u8]> = b.chunks(16_384).collect();
    let mut out = Vec::new();
    for (i, c) in chunks.iter().enumerate() {
        let last = i + 1 == chunks.len();
        let flags = if last { fl::END_HEADERS } else { 0 };
        if i == 0 {
            out.extend(frame(ty::HEADERS, flags | fl::END_STREAM, 1, c));
        } else {
            out.extend(frame(ty::CONTINUATION, flags, 1, c));
        }
    }
    out
}

fn encoder_block() -> Vec<u8> {
    let mut enc = h2o_core::hpack::Encoder::new();
    let mut out = BytesMut::new();
    let fields: [(&[u8], &[u8]); 4] = [
        (b":status", b"200"),
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"x-repeat", b"the quick brown fox jumps over the lazy dog"),
        (b"x-repeat", b"the quick brown fox jumps over the lazy dog"),
    ];
    enc.encode(fields, &mut out);
    raw_block(&out)
}

// ----- custom steps -----------------------------------------------------------------------

fn window_negative_and_back(srv: &mut Srv) -> Result<(), String> {
    let sid = *srv.requests.first().ok_or("no request")?;
    let (n, end) = srv.read_data(sid, MS(400));
    if n != 65_535 || end {
        return Err(format!(
            "first flight: {n} bytes (expected the 65535-byte window)"
        ));
    }
    // 1000 - 65535: the stream window goes negative; connection credit is plentiful.
    srv.send(&settings(&[(4, 1000)]));
    srv.send(&window_update(0, 1 << 20));
    let (n, _) = srv.read_data(sid, MS(300));
    if n != 0 {
        return Err(format!("{n} DATA bytes sent with a negative window"));
    }
    srv.send(&window_update(sid, 64_535 + 500)); // back to +500
    let (n, _) = srv.read_data(sid, MS(300));
    if n != 500 {
        return Err(format!("{n} DATA bytes sent with a 500-byte window"));
    }
    srv.send(&settings(&[(4, 65_535)])); // +64535: 65035 available, 33965 left to send
    let (n, end) = srv.read_data(sid, MS(400));
    if n != 100_000 - 65_535 - 500 || !end {
        return Err(format!("last flight: {n} bytes, END_STREAM {end}"));
    }
    srv.send(&response(sid, b"ok"));
    Ok(())
}

fn one_stream_at_a_time(srv: &mut Srv) -> Result<(), String> {
    for _ in 0..3 {
        let sid = srv.await_request()?;
        while let Some(f) = srv.next(MS(400)) {
            if let Frame::Headers(h) = f {
                return Err(format!(
                    "stream {} opened while {sid} is open and MAX_CONCURRENT_STREAMS=1",
                    h.stream_id.value()
                ));
            }
        }
        srv.send(&response(sid, b"ok"));
    }
    Ok(())
}

fn encoder_honours_table_size_0(srv: &mut Srv) -> Result<(), String> {
    // Requests 2 and 3 are submitted after the client saw HEADER_TABLE_SIZE=0 (staggered):
    // decode every request block with a decoder that allows no dynamic table from then on.
    let mut dec = h2o_core::hpack::Decoder::new(4096);
    for i in 0..3 {
        let h = loop {
            match srv.next(Duration::from_secs(5)) {
                Some(Frame::Headers(h)) => break h,
                Some(_) => {}
                None => return Err(format!("request {i} never arrived")),
            }
        };
        if i == 1 {
            dec.set_max_table_size(0);
        }
        let mut n = 0;
        dec.decode(&h.fragment, usize::MAX, |_| n += 1)
            .map_err(|e| format!("request {i}: client's header block does not decode: {e:?}"))?;
        if i > 0 && dec.dynamic_table_size() != 0 {
            return Err(format!(
                "request {i}: the client inserted into a table of size 0"
            ));
        }
        srv.send(&response(h.stream_id.value(), b"ok"));
    }
    Ok(())
}

fn no_data_after_rst(srv: &mut Srv) -> Result<(), String> {
    let sid = *srv.requests.first().ok_or("no request")?;
    srv.send(&response(sid, b"ok"));
    srv.send(&rst(sid, NoError));
    // Let frames already in flight arrive, then nothing more may come for the stream.
    std::thread::sleep(MS(100));
    while srv.next(Duration::ZERO).is_some() {}
    while let Some(f) = srv.next(MS(300)) {
        if let Frame::Data(d) = f {
            if d.stream_id.value() == sid {
                return Err("DATA after RST_STREAM(NO_ERROR)".into());
            }
        }
    }
    Ok(())
}

fn discarded_data_is_credited(srv: &mut Srv) -> Result<(), String> {
    // Request 1 timed out and was reset; the server had already sent (legally, before seeing
    // the RST) 60000 bytes on it. Those bytes consumed connection credit: the client must
    // give it back, or the connection starves.
    srv.send(&headers(1, 0, &[(":status", "200")]));
    for _ in 0..4 {
        srv.send(&data(1, 0, &[b'z'; 15_000]));
    }
    // Then a 60000-byte response on the next request, sent strictly within the credit the
    // client grants (it may batch WINDOW_UPDATEs; it must not withhold the discarded bytes).
    let mut window: i64 = 65_535 - 60_000;
    let sid = loop {
        match srv.next(Duration::from_secs(5)) {
            Some(Frame::WindowUpdate(w)) if w.stream_id.value() == 0 => {
                window += w.increment as i64
            }
            Some(Frame::Headers(h)) => break h.stream_id.value(),
            Some(_) => {}
            None => return Err("no second request".into()),
        }
    };
    srv.send(&headers(
        sid,
        0,
        &[(":status", "200"), ("content-length", "60000")],
    ));
    let mut left = 60_000i64;
    while left > 0 {
        while window <= 0 {
            match srv.next(Duration::from_secs(2)) {
                Some(Frame::WindowUpdate(w)) if w.stream_id.value() == 0 => {
                    window += w.increment as i64
                }
                Some(_) => {}
                None => {
                    return Err(format!(
                        "connection window stuck at {window} with {left} bytes to send"
                    ))
                }
            }
        }
        // Absorb credit that already arrived.
        while let Some(f) = srv.next(Duration::ZERO) {
            if let Frame::WindowUpdate(w) = f {
                if w.stream_id.value() == 0 {
                    window += w.increment as i64;
                }
            }
        }
        let n = left.min(window).min(15_000);
        left -= n;
        window -= n;
        let end = if left == 0 { fl::END_STREAM } else { 0 };
        srv.send(&data(sid, end, &vec![b'y'; n as usize]));
    }
    Ok(())
}

fn ping_ack_8(f: &Frame) -> bool {
    matches!(f, Frame::Ping(p) if p.ack && p.payload == *b"h2o-test")
}

fn settings_ack_sent(f: &Frame) -> bool {
    matches!(f, Frame::Settings(s) if s.ack)
}

// ----- client configurations --------------------------------------------------------------

fn small_conn_window_short_headers(c: &mut Config) {
    c.proto.connection_window_size = 65_535;
    c.proto.max_buffered_per_connection = 0;
    c.proto.adaptive_window = false;
    c.headers_timeout = Some(MS(300));
}
fn headers_300ms_no_retry(c: &mut Config) {
    c.headers_timeout = Some(MS(300));
}
fn big_frames(c: &mut Config) {
    c.proto.max_frame_size = 1 << 20;
}
fn small_stream_window(c: &mut Config) {
    c.proto.initial_window_size = 1000;
    c.proto.adaptive_window = false;
}
fn small_conn_window(c: &mut Config) {
    c.proto.max_frame_size = 1 << 20;
    c.proto.connection_window_size = 65_535;
    c.proto.max_buffered_per_connection = 0;
    c.proto.adaptive_window = false;
}
fn settings_300ms(c: &mut Config) {
    c.settings_timeout = MS(300);
}
fn headers_300ms(c: &mut Config) {
    c.headers_timeout = Some(MS(300));
}
fn idle_300ms(c: &mut Config) {
    c.idle_timeout = Some(MS(300));
}
fn trickle_limits(c: &mut Config) {
    c.idle_timeout = Some(MS(500));
    c.request_timeout = Some(MS(1000));
}
fn request_800ms(c: &mut Config) {
    c.request_timeout = Some(MS(800));
}
fn headers_500ms(c: &mut Config) {
    c.headers_timeout = Some(MS(500));
}
fn ping_fast(c: &mut Config) {
    c.keepalive_interval = Some(MS(100));
    c.ping_timeout = MS(300);
    c.ping_soft_timeout = MS(300);
}

/// Every scenario, in catalogue order.
pub fn catalogue() -> Vec<Scenario> {
    let calm = EnhanceYourCalm;
    let fail = |k: ErrorKind, c: Option<ErrorCode>| Expect::Fail(k, c);
    vec![
        // ----- frame format -------------------------------------------------------------
        sc("9113-4.1-unknown-frame-type-ignored", Frame,
           "frames of unknown type 0xfa on stream 0 and 1 are ignored; the response completes")
            .then_send(cat(&[frame(0xfa, 0xff, 0, b"junk"), frame(0xfa, 0, 1, b"x"), ok_resp()])).ok(),
        sc("9113-4.1-unknown-flags-ignored", Frame,
           "undefined flag bits on HEADERS, DATA and PING are ignored")
            .then_send(cat(&[
                frame(ty::HEADERS, 0xc2 | fl::END_HEADERS, 1, &block(&[(":status", "200")])),
                ping(0xfe, *b"h2o-test"),
                data(1, 0xf6 | fl::END_STREAM, b"ok"),
            ]))
            .expect(Expect::Ok(200), Sent::Has("PING ACK echoing the payload", ping_ack_8)),
        sc("9113-4.1-reserved-bit-ignored", Frame,
           "the reserved bit set in the stream id field is ignored (stream 1)")
            .then_send(cat(&[
                frame(ty::HEADERS, fl::END_HEADERS | fl::END_STREAM, 0x8000_0001, &[0x88]),
            ])).ok(),
        sc("9113-4.2-data-over-max-frame-size", Frame,
           "DATA of 16385 bytes (> our SETTINGS_MAX_FRAME_SIZE 16384): FRAME_SIZE_ERROR")
            .then_send(cat(&[head200(), data(1, 0, &[0; 16_385])])).conn_error(FrameSizeError),
        sc("9113-4.2-headers-over-max-frame-size", Frame,
           "a HEADERS frame over 16384 bytes can alter connection state: connection FRAME_SIZE_ERROR")
            .then_send(frame(ty::HEADERS, fl::END_HEADERS, 1, &status_block(&[0; 16_400]))).conn_error(FrameSizeError),
        sc("9113-4.2-settings-over-max-frame-size", Frame,
           "a 16386-byte SETTINGS frame: connection FRAME_SIZE_ERROR")
            .then_send(frame(ty::SETTINGS, 0, 0, &[0; 16_386])).conn_error(FrameSizeError),
        sc("9113-4.2-larger-max-frame-size-honoured", Frame,
           "with SETTINGS_MAX_FRAME_SIZE 1 MiB advertised, a 100000-byte DATA frame is accepted")
            .config(big_frames)
            .then_send(cat(&[
                headers(1, 0, &[(":status", "200"), ("content-length", "100000")]),
                data(1, fl::END_STREAM, &[7; 100_000]),
            ])).ok(),
        sc("9113-6.1-data-on-stream-0", Frame, "DATA on stream 0: connection PROTOCOL_ERROR")
            .then_send(cat(&[head200(), data(0, 0, b"x")])).conn_error(ProtocolError),
        sc("9113-6.1-data-pad-length-too-large", Frame,
           "DATA whose pad length is >= the payload length: connection PROTOCOL_ERROR")
            .then_send(cat(&[head200(), data(1, fl::PADDED, &[5, b'a', b'b'])])).conn_error(ProtocolError),
        sc("9113-6.1-data-padded-ok", Frame, "padded DATA: padding stripped, body intact")
            .then_send(cat(&[
                headers(1, 0, &[(":status", "200"), ("content-length", "2")]),
                data(1, fl::PADDED | fl::END_STREAM, &[3, b'o', b'k', 0, 0, 0]),
            ])).ok(),
        sc("9113-6.2-headers-on-stream-0", Frame, "HEADERS on stream 0: connection PROTOCOL_ERROR")
            .then_send(frame(ty::HEADERS, fl::END_HEADERS, 0, &[0x88])).conn_error(ProtocolError),
        sc("9113-6.2-headers-pad-length-too-large", Frame,
           "HEADERS whose pad length exceeds the payload: connection PROTOCOL_ERROR")
            .then_send(frame(ty::HEADERS, fl::END_HEADERS | fl::PADDED, 1, &[10, 0x88])).conn_error(ProtocolError),
        sc("9113-6.2-headers-priority-too-short", Frame,
           "HEADERS with the PRIORITY flag but < 5 bytes: connection FRAME_SIZE_ERROR")
            .then_send(frame(ty::HEADERS, fl::END_HEADERS | fl::PRIORITY, 1, &[0, 0])).conn_error(FrameSizeError),
        sc("9113-6.2-headers-padded-with-priority-ok", Frame,
           "HEADERS with PADDED and PRIORITY flags: fields parsed past both")
            .then_send(frame(ty::HEADERS, fl::END_HEADERS | fl::END_STREAM | fl::PADDED | fl::PRIORITY, 1,
                             &[2, 0, 0, 0, 0, 15, 0x88, 0, 0])).ok(),
        sc("9113-6.3-priority-on-stream-0", Frame, "PRIORITY on stream 0: connection PROTOCOL_ERROR")
            .then_send(frame(ty::PRIORITY, 0, 0, &[0, 0, 0, 0, 15])).conn_error(ProtocolError),
        sc("9113-6.3-priority-bad-length", Frame,
           "a 4-byte PRIORITY on the open stream: stream FRAME_SIZE_ERROR")
            .then_send(frame(ty::PRIORITY, 0, 1, &[0, 0, 0, 0])).stream_error(FrameSizeError),
        sc("9113-6.3-priority-on-idle-stream-ignored", Frame,
           "PRIORITY may name an idle stream (7); it changes nothing")
            .then_send(cat(&[frame(ty::PRIORITY, 0, 7, &[0, 0, 0, 0, 15]), ok_resp()])).ok(),
        sc("9113-6.4-rst-stream-on-stream-0", Frame, "RST_STREAM on stream 0: connection PROTOCOL_ERROR")
            .then_send(rst(0, Cancel)).conn_error(ProtocolError),
        sc("9113-6.4-rst-stream-bad-length", Frame, "a 3-byte RST_STREAM: connection FRAME_SIZE_ERROR")
            .then_send(frame(ty::RST_STREAM, 0, 1, &[0, 0, 8])).conn_error(FrameSizeError),
        sc("9113-6.5-settings-on-stream", Frame, "SETTINGS on stream 1: connection PROTOCOL_ERROR")
            .then_send(frame(ty::SETTINGS, 0, 1, &[])).conn_error(ProtocolError),
        sc("9113-6.5-settings-length-not-multiple-of-6", Frame,
           "a 5-byte SETTINGS payload: connection FRAME_SIZE_ERROR")
            .then_send(frame(ty::SETTINGS, 0, 0, &[0, 3, 0, 0, 1])).conn_error(FrameSizeError),
        sc("9113-6.5-settings-ack-with-payload", Frame,
           "a SETTINGS ACK with a payload: connection FRAME_SIZE_ERROR")
            .then_send(frame(ty::SETTINGS, fl::ACK, 0, &[0, 3, 0, 0, 0, 1])).conn_error(FrameSizeError),
        sc("9113-6.5.2-enable-push-invalid-value", Frame,
           "SETTINGS_ENABLE_PUSH = 2: connection PROTOCOL_ERROR")
            .then_send(settings(&[(2, 2)])).conn_error(ProtocolError),
        sc("9113-6.5.2-enable-push-1-from-server", Frame,
           "a server must not send SETTINGS_ENABLE_PUSH = 1: connection PROTOCOL_ERROR")
            .then_send(settings(&[(2, 1)])).conn_error(ProtocolError),
        sc("9113-6.5.2-initial-window-size-above-max", Frame,
           "SETTINGS_INITIAL_WINDOW_SIZE = 2^31: connection FLOW_CONTROL_ERROR")
            .then_send(settings(&[(4, 1 << 31)])).conn_error(FlowControlError),
        sc("9113-6.5.2-max-frame-size-below-min", Frame,
           "SETTINGS_MAX_FRAME_SIZE = 16383: connection PROTOCOL_ERROR")
            .then_send(settings(&[(5, 16_383)])).conn_error(ProtocolError),
        sc("9113-6.5.2-max-frame-size-above-max", Frame,
           "SETTINGS_MAX_FRAME_SIZE = 2^24: connection PROTOCOL_ERROR")
            .then_send(settings(&[(5, 1 << 24)])).conn_error(ProtocolError),
        sc("9113-6.5.2-unknown-setting-ignored", Frame,
           "an unknown setting id (0xff) is ignored and the SETTINGS acknowledged")
            .then_send(cat(&[settings(&[(0xff, 7)]), ok_resp()]))
            .expect(Expect::Ok(200), Sent::Has("SETTINGS ACK", settings_ack_sent)),
        sc("9113-6.7-ping-on-stream", Frame, "PING on stream 1: connection PROTOCOL_ERROR")
            .then_send(frame(ty::PING, 0, 1, &[0; 8])).conn_error(ProtocolError),
        sc("9113-6.7-ping-bad-length", Frame, "a 7-byte PING: connection FRAME_SIZE_ERROR")
            .then_send(frame(ty::PING, 0, 0, &[0; 7])).conn_error(FrameSizeError),
        sc("9113-6.7-ping-answered", Frame, "a PING is answered with an ACK carrying the same payload")
            .then_send(cat(&[ping(0, *b"h2o-test"), ok_resp()]))
            .expect(Expect::Ok(200), Sent::Has("PING ACK echoing the payload", ping_ack_8)),
        sc("9113-6.7-unsolicited-ping-ack-ignored", Frame, "a PING ACK we never asked for is ignored")
            .then_send(cat(&[ping(fl::ACK, [9; 8]), ok_resp()])).ok(),
        sc("9113-6.8-goaway-on-stream", Frame, "GOAWAY on stream 1: connection PROTOCOL_ERROR")
            .then_send(frame(ty::GOAWAY, 0, 1, &[0; 8])).conn_error(ProtocolError),
        sc("9113-6.8-goaway-too-short", Frame, "a 7-byte GOAWAY: connection FRAME_SIZE_ERROR")
            .then_send(frame(ty::GOAWAY, 0, 0, &[0; 7])).conn_error(FrameSizeError),
        sc("9113-6.9-window-update-zero-on-connection", Frame,
           "WINDOW_UPDATE(0) on stream 0: connection PROTOCOL_ERROR")
            .then_send(window_update(0, 0)).conn_error(ProtocolError),
        sc("9113-6.9-window-update-zero-on-stream", Frame,
           "WINDOW_UPDATE(0) on the open stream: stream PROTOCOL_ERROR")
            .then_send(window_update(1, 0)).stream_error(ProtocolError),
        sc("9113-6.9-window-update-bad-length", Frame,
           "a 3-byte WINDOW_UPDATE: connection FRAME_SIZE_ERROR")
            .then_send(frame(ty::WINDOW_UPDATE, 0, 0, &[0, 0, 1])).conn_error(FrameSizeError),
        sc("9113-6.10-continuation-on-stream-0", Frame,
           "HEADERS without END_HEADERS, then CONTINUATION on stream 0: connection PROTOCOL_ERROR")
            .then_send(cat(&[frame(ty::HEADERS, 0, 1, &[0x88]), frame(ty::CONTINUATION, fl::END_HEADERS, 0, &[])]))
            .conn_error(ProtocolError),
        // ----- stream and connection state ----------------------------------------------
        sc("9113-3.4-server-preface-not-settings", State,
           "the server's first frame is a PING, not SETTINGS: connection PROTOCOL_ERROR")
            // Await: the request is on the wire when the PING arrives (a request still queued
            // when the connection dies was never sent, and the pool moves it to a new one).
            .script(vec![Preface, Await, Send(ping(0, [1; 8])), Send(settings(&[]))])
            .conn_error(ProtocolError).connections(1),
        sc("9113-3.4-server-speaks-http1", State,
           "the server answers in HTTP/1.1: its first 9 bytes read as an oversized frame: FRAME_SIZE_ERROR")
            .script(vec![Preface, Await, Send(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n".to_vec())])
            .conn_error(FrameSizeError).connections(1),
        sc("9113-5.1-data-on-idle-stream", State, "DATA on idle stream 3: connection PROTOCOL_ERROR")
            .then_send(data(3, 0, b"x")).conn_error(ProtocolError),
        sc("9113-5.1-headers-on-idle-stream", State, "HEADERS on idle stream 3: connection PROTOCOL_ERROR")
            .then_send(headers(3, fl::END_STREAM, &[(":status", "200")])).conn_error(ProtocolError),
        sc("9113-5.1.1-headers-on-server-stream", State,
           "HEADERS on even stream 2 (push is off, never opened): connection PROTOCOL_ERROR")
            .then_send(headers(2, fl::END_STREAM, &[(":status", "200")])).conn_error(ProtocolError),
        sc("9113-5.1-rst-stream-on-idle-stream", State, "RST_STREAM on idle stream 3: connection PROTOCOL_ERROR")
            .then_send(rst(3, Cancel)).conn_error(ProtocolError),
        sc("9113-5.1-window-update-on-idle-stream", State,
           "WINDOW_UPDATE on idle stream 3: connection PROTOCOL_ERROR")
            .then_send(window_update(3, 1)).conn_error(ProtocolError),
        sc("9113-5.1-data-on-closed-stream", State,
           "DATA after the stream closed: stream error STREAM_CLOSED (the response already completed)")
            .then_send(cat(&[ok_resp(), data(1, 0, b"late")]))
            .expect(Expect::Ok(200), Sent::Rst(StreamClosed)),
        sc("9113-5.1-headers-after-end-stream", State,
           "HEADERS after END_STREAM on a closed stream: stream error STREAM_CLOSED")
            .then_send(cat(&[ok_resp(), headers(1, fl::END_STREAM, &[(":status", "200")])]))
            .expect(Expect::Ok(200), Sent::Rst(StreamClosed)),
        sc("9113-5.1-data-on-half-closed-remote", State,
           "early response (END_STREAM) while the request body is still going, then DATA: STREAM_CLOSED")
            .post(200_000)
            .then_send(cat(&[ok_resp(), data(1, 0, b"late")]))
            .expect(Expect::Ok(200), Sent::Rst(StreamClosed)),
        sc("9113-5.1-frames-on-closed-stream-ignored", State,
           "WINDOW_UPDATE, PRIORITY and RST_STREAM on a closed stream are ignored")
            .then_send(cat(&[ok_resp(), window_update(1, 100), frame(ty::PRIORITY, 0, 1, &[0, 0, 0, 0, 1]), rst(1, Cancel)]))
            .ok(),
        sc("9113-6.4-rst-stream-from-server", State,
           "RST_STREAM(INTERNAL_ERROR) on the open stream: the caller sees stream_reset, remote")
            .then_send(rst(1, InternalError))
            .expect(fail(ErrorKind::StreamReset, Some(InternalError)), Sent::Quiet),
        sc("9113-8.7-refused-stream", State,
           "RST_STREAM(REFUSED_STREAM): the caller sees refused (unprocessed, retries disabled here)")
            .then_send(rst(1, RefusedStream))
            .expect(fail(ErrorKind::Refused, Some(RefusedStream)), Sent::Quiet),
        sc("9113-6.10-continuation-interleaved-with-data", State,
           "HEADERS without END_HEADERS followed by DATA: connection PROTOCOL_ERROR")
            .then_send(cat(&[frame(ty::HEADERS, 0, 1, &[0x88]), data(1, 0, b"x")])).conn_error(ProtocolError),
        sc("9113-6.10-continuation-interleaved-with-ping", State,
           "a PING inside an open header block: connection PROTOCOL_ERROR")
            .then_send(cat(&[frame(ty::HEADERS, 0, 1, &[0x88]), ping(0, [0; 8])])).conn_error(ProtocolError),
        sc("9113-5.5-extension-frame-inside-header-block", State,
           "an unknown-type frame inside an open header block: connection PROTOCOL_ERROR")
            .then_send(cat(&[frame(ty::HEADERS, 0, 1, &[0x88]), frame(0xfa, 0, 1, b"x")])).conn_error(ProtocolError),
        sc("9113-6.10-continuation-other-stream", State,
           "CONTINUATION for stream 3 while stream 1's block is open: connection PROTOCOL_ERROR")
            .then_send(cat(&[frame(ty::HEADERS, 0, 1, &[0x88]), frame(ty::CONTINUATION, fl::END_HEADERS, 3, &[])]))
            .conn_error(ProtocolError),
        sc("9113-6.10-continuation-without-headers", State,
           "CONTINUATION with no open header block: connection PROTOCOL_ERROR")
            .then_send(frame(ty::CONTINUATION, fl::END_HEADERS, 1, &[0x88])).conn_error(ProtocolError),
        sc("9113-6.10-continuation-after-end-headers", State,
           "CONTINUATION after a HEADERS that had END_HEADERS: connection PROTOCOL_ERROR")
            .then_send(cat(&[head200(), frame(ty::CONTINUATION, fl::END_HEADERS, 1, &[])])).conn_error(ProtocolError),
        sc("9113-6.10-continuation-split-ok", State,
           "a field block split over HEADERS and three CONTINUATIONs (one empty) decodes")
            .then_send({
                let b = block(&[(":status", "200"), ("x-a", "1"), ("x-b", "2")]);
                cat(&[
                    frame(ty::HEADERS, fl::END_STREAM, 1, &b[..4]),
                    frame(ty::CONTINUATION, 0, 1, &b[4..9]),
                    frame(ty::CONTINUATION, 0, 1, &[]),
                    frame(ty::CONTINUATION, fl::END_HEADERS, 1, &b[9..]),
                ])
            }).ok(),
        sc("9113-6.6-push-promise-with-push-disabled", State,
           "PUSH_PROMISE after the server acknowledged ENABLE_PUSH=0: connection PROTOCOL_ERROR")
            .then_send(push_promise(1, 2)).conn_error(ProtocolError),
        sc("9113-6.6-push-promise-before-ack-refused", State,
           "PUSH_PROMISE before the server acknowledged our SETTINGS: promised stream refused (REFUSED_STREAM)")
            .script(vec![Preface, Send(settings(&[])), Await, Send(push_promise(1, 2)), Send(settings_ack()), Send(ok_resp())])
            .expect(Expect::Ok(200), Sent::Rst(RefusedStream)),
        sc("9113-6.9.1-window-update-overflow-connection", State,
           "WINDOW_UPDATE(0, 2^31-1) pushes the connection window over 2^31-1: FLOW_CONTROL_ERROR")
            .then_send(window_update(0, 0x7fff_ffff)).conn_error(FlowControlError),
        sc("9113-6.9.1-window-update-overflow-stream", State,
           "WINDOW_UPDATE(1, 2^31-1) pushes the stream window over 2^31-1: stream FLOW_CONTROL_ERROR")
            .then_send(window_update(1, 0x7fff_ffff)).stream_error(FlowControlError),
        sc("9113-6.9.2-initial-window-negative-and-back", State,
           "SETTINGS_INITIAL_WINDOW_SIZE shrinks a stream window below zero mid-upload: the client \
            stops, sends exactly the credit granted back, and finishes when the window is restored")
            .post(100_000)
            .after_request(vec![Custom(window_negative_and_back)]).ok(),
        sc("9113-6.9.2-initial-window-overflow", State,
           "SETTINGS_INITIAL_WINDOW_SIZE raise pushes an open stream's window over 2^31-1: FLOW_CONTROL_ERROR")
            .then_send(cat(&[window_update(1, 0x7fff_ffff - 65_535), settings(&[(4, 65_536)])]))
            .conn_error(FlowControlError),
        sc("9113-6.9-data-over-stream-window", State,
           "1001 bytes of DATA against a 1000-byte stream window: stream FLOW_CONTROL_ERROR")
            .config(small_stream_window)
            .then_send(cat(&[head200(), data(1, 0, &[1; 1001])])).stream_error(FlowControlError),
        sc("9113-6.9-data-over-connection-window", State,
           "one 70000-byte DATA frame against a 65535-byte connection window: FLOW_CONTROL_ERROR")
            .config(small_conn_window)
            .then_send(cat(&[head200(), data(1, 0, &[1; 70_000])])).conn_error(FlowControlError),
        sc("9113-5.1.2-max-concurrent-streams-respected", State,
           "SETTINGS_MAX_CONCURRENT_STREAMS=1: three requests go out one after another, never two open")
            .script(vec![Preface, Send(settings(&[(3, 1)])), Send(settings_ack()), Custom(one_stream_at_a_time)])
            .stagger(MS(500))
            .expect_each(vec![Expect::Ok(200); 3], Sent::Quiet),
        sc("9113-8.1-early-response-then-rst-no-error", State,
           "a complete response, then RST_STREAM(NO_ERROR) during the upload: the request succeeds \
            and the client stops sending the body")
            .post(500_000)
            .after_request(vec![Custom(no_data_after_rst)])
            .expect(Expect::Ok(200), Sent::Quiet),
        sc("9113-6.5.2-server-max-header-list-size", State,
           "the server's SETTINGS_MAX_HEADER_LIST_SIZE=64: a later request is refused locally (limit_exceeded)")
            // The limit arrives after the first request is on the wire: sent before it, that
            // request would be refused locally whenever the client is slow to write it (valgrind).
            .script(vec![Preface, Await, Send(settings(&[(6, 64)])), Send(settings_ack()), Send(ok_resp())])
            .stagger(MS(500))
            .expect_each(vec![Expect::Ok(200), Expect::Fail(ErrorKind::LimitExceeded, None)], Sent::Any),
        sc("7541-4.2-encoder-honours-table-size-0", State,
           "the server's SETTINGS_HEADER_TABLE_SIZE=0: later request blocks never use the dynamic table")
            .script(vec![Preface, Send(settings(&[(1, 0)])), Send(settings_ack()), Custom(encoder_honours_table_size_0)])
            .stagger(MS(500))
            .expect_each(vec![Expect::Ok(200); 3], Sent::Quiet),
        sc("9113-4.3-hpack-state-kept-for-reset-stream", State,
           "a response HEADERS for a stream we reset (timeout) inserts into the dynamic table; the \
            next response references that entry: the client decoded the discarded block (§4.3)")
            .config(headers_300ms_no_retry)
            .script(vec![
                Handshake,
                Await,
                Sleep(MS(800)),
                Send({
                    let mut b = vec![0x88, 0x40];
                    hpack_str(b"x-sync", &mut b);
                    hpack_str(b"kept", &mut b);
                    raw_block(&b)
                }),
                Await,
                Send(frame(ty::HEADERS, fl::END_HEADERS | fl::END_STREAM, 3, &[0x88, 0xbe])),
            ])
            .stagger(MS(1000))
            .expect_each(vec![fail(ErrorKind::HeadersTimeout, None), Expect::Ok(200)], Sent::Rst(Cancel)),
        sc("9113-6.6-refused-push-keeps-hpack-state", State,
           "a refused PUSH_PROMISE's block inserts into the dynamic table; the response references it")
            .script(vec![
                Preface,
                Send(settings(&[])),
                Await,
                Send({
                    let mut p = 2u32.to_be_bytes().to_vec();
                    p.extend_from_slice(&[0x82, 0x86, 0x84, 0x41]);
                    hpack_str(b"pushed.example", &mut p);
                    p.push(0x40);
                    hpack_str(b"x-push", &mut p);
                    hpack_str(b"1", &mut p);
                    frame(ty::PUSH_PROMISE, fl::END_HEADERS, 1, &p)
                }),
                Send(settings_ack()),
                // 0xbe = index 62: the x-push entry the promise inserted last.
                Send(frame(ty::HEADERS, fl::END_HEADERS | fl::END_STREAM, 1, &[0x88, 0xbe])),
            ])
            .expect(Expect::Ok(200), Sent::Rst(RefusedStream)),
        sc("9113-6.9-discarded-data-credited", State,
           "DATA for a stream we reset still consumed connection credit: the client returns it, \
            so the next response (60000 bytes on a 65535-byte connection window) completes")
            .config(small_conn_window_short_headers)
            .script(vec![Handshake, Await, Sleep(MS(800)), Custom(discarded_data_is_credited)])
            .stagger(MS(1000))
            .expect_each(vec![fail(ErrorKind::HeadersTimeout, None), Expect::Ok(200)], Sent::Rst(Cancel)),
        // ----- HPACK --------------------------------------------------------------------
        sc("7541-2.3.3-index-beyond-tables", Hpack,
           "indexed field 62 with an empty dynamic table: COMPRESSION_ERROR")
            .then_send(raw_block(&[0xbe])).conn_error(CompressionError),
        sc("7541-6.1-index-zero", Hpack, "indexed field 0: COMPRESSION_ERROR")
            .then_send(raw_block(&[0x80])).conn_error(CompressionError),
        sc("7541-6.2.1-name-index-beyond-tables", Hpack,
           "literal with incremental indexing naming index 105: COMPRESSION_ERROR")
            .then_send(raw_block(&[0x88, 0x7f, 0x2a, 0x01, b'x'])).conn_error(CompressionError),
        sc("7541-4.2-size-update-above-settings", Hpack,
           "dynamic table size update to 4097 (> our SETTINGS_HEADER_TABLE_SIZE 4096): COMPRESSION_ERROR")
            .then_send(raw_block(&[0x3f, 0xe2, 0x1f, 0x88])).conn_error(CompressionError),
        sc("7541-4.2-size-update-after-field", Hpack,
           "dynamic table size update after the first field: COMPRESSION_ERROR")
            .then_send(raw_block(&[0x88, 0x20])).conn_error(CompressionError),
        sc("7541-4.2-size-update-at-start-ok", Hpack, "size updates (to 0, then 4096) at the block start are legal")
            .then_send(raw_block(&[0x20, 0x3f, 0xe1, 0x1f, 0x88])).ok(),
        sc("7541-5.2-huffman-padding-over-7-bits", Hpack,
           "Huffman string with 11 bits of padding: COMPRESSION_ERROR")
            .then_send(raw_block(&status_block(&huff_field("x-h", &[0x1f, 0xff])))).conn_error(CompressionError),
        sc("7541-5.2-huffman-padding-not-eos-prefix", Hpack,
           "Huffman padding of zero bits (not the EOS prefix): COMPRESSION_ERROR")
            .then_send(raw_block(&status_block(&huff_field("x-h", &[0x18])))).conn_error(CompressionError),
        sc("7541-5.2-huffman-eos-symbol", Hpack, "Huffman string containing EOS: COMPRESSION_ERROR")
            .then_send(raw_block(&status_block(&huff_field("x-h", &[0xff, 0xff, 0xff, 0xff])))).conn_error(CompressionError),
        sc("7541-5.1-integer-overflow", Hpack,
           "a string length integer with 11 continuation bytes (overflows): COMPRESSION_ERROR")
            .then_send(raw_block(&status_block(&[0x00, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f])))
            .conn_error(CompressionError),
        sc("7541-5.2-string-longer-than-block", Hpack,
           "a string length beyond the end of the block: COMPRESSION_ERROR")
            .then_send(raw_block(&status_block(&[0x00, 0x0a, b'a']))).conn_error(CompressionError),
        sc("7541-4.4-eviction-ok", Hpack,
           "three 1536-byte insertions into a 4096-byte table evict the oldest; the newest two are referenced")
            .then_send(raw_block(&eviction_block(&[0xbe, 0xbf]))).ok(),
        sc("7541-4.4-evicted-entry-referenced", Hpack,
           "referencing the evicted entry (index 64): COMPRESSION_ERROR")
            .then_send(raw_block(&eviction_block(&[0xc0]))).conn_error(CompressionError),
        sc("7541-6.2.3-never-indexed-ok", Hpack, "a never-indexed literal decodes")
            .then_send(raw_block(&status_block(&[0x10, 0x08, b'x', b'-', b's', b'e', b'c', b'r', b'e', b't', 0x01, b'v'])))
            .ok(),
        sc("7541-6.2.3-never-indexed-not-inserted", Hpack,
           "a never-indexed literal is not inserted: referencing index 62 after it is a COMPRESSION_ERROR")
            .then_send(raw_block(&status_block(&[0x10, 0x08, b'x', b'-', b's', b'e', b'c', b'r', b'e', b't', 0x01, b'v', 0xbe])))
            .conn_error(CompressionError),
        sc("7541-5.2-huffman-and-indexing-ok", Hpack,
           "a block from a full encoder (Huffman strings, dynamic-table references) decodes")
            .then_send(encoder_block()).ok(),
        sc("7541-hpack-bomb-dynamic-table", Hpack,
           "16 KB block referencing one 4000-byte table entry 12000 times (~48 MB decoded): stops at \
            max_header_list_size (256 KiB), limit_exceeded, RST_STREAM(CANCEL); memory stays bounded")
            .then_send(raw_block(&hpack_bomb()))
            .expect(fail(ErrorKind::LimitExceeded, Some(Cancel)), Sent::Rst(Cancel)),
        sc("7541-oversized-literal-value", Hpack,
           "one 270000-byte literal value (over the 256 KiB header list limit) in CONTINUATIONs: limit_exceeded")
            .then_send(big_literal_in_continuations(270_000))
            .expect(fail(ErrorKind::LimitExceeded, Some(Cancel)), Sent::Rst(Cancel)),
        sc("9113-6.10-header-block-over-limit", Hpack,
           "a 400000-byte header block: stopped while buffering (ENHANCE_YOUR_CALM)")
            .then_send(big_literal_in_continuations(400_000)).conn_error(calm),
        // ----- HTTP semantics -----------------------------------------------------------
        sc("9113-8.3.2-missing-status", Semantics, "response HEADERS without :status: stream PROTOCOL_ERROR")
            .then_send(headers(1, fl::END_STREAM, &[("x-a", "1")])).stream_error(ProtocolError),
        sc("9113-8.3.2-duplicate-status", Semantics, "two :status fields: stream PROTOCOL_ERROR")
            .then_send(headers(1, fl::END_STREAM, &[(":status", "200"), (":status", "204")])).stream_error(ProtocolError),
        sc("9113-8.3.2-status-not-3-digits", Semantics, ":status 20: stream PROTOCOL_ERROR")
            .then_send(headers(1, fl::END_STREAM, &[(":status", "20")])).stream_error(ProtocolError),
        sc("9113-8.3-request-pseudo-header-in-response", Semantics, ":path in a response: stream PROTOCOL_ERROR")
            .then_send(headers(1, fl::END_STREAM, &[(":status", "200"), (":path", "/")])).stream_error(ProtocolError),
        sc("9113-8.3-pseudo-header-after-regular", Semantics,
           ":status after a regular field: stream PROTOCOL_ERROR")
            .then_send(headers(1, fl::END_STREAM, &[("x-a", "1"), (":status", "200")])).stream_error(ProtocolError),
        sc("9113-8.2.1-uppercase-field-name", Semantics, "field name X-Upper: stream PROTOCOL_ERROR")
            .then_send(headers(1, fl::END_STREAM, &[(":status", "200"), ("X-Upper", "1")])).stream_error(ProtocolError),
        sc("9113-8.2.1-field-value-with-crlf", Semantics, "a field value containing CR LF: stream PROTOCOL_ERROR")
            .then_send(headers(1, fl::END_STREAM, &[(":status", "200"), ("x-a", "1\r\nx-b: 2")])).stream_error(ProtocolError),
        sc("9113-8.2.2-connection-specific-field", Semantics, "connection: keep-alive: stream PROTOCOL_ERROR")
            .then_send(headers(1, fl::END_STREAM, &[(":status", "200"), ("connection", "keep-alive")])).stream_error(ProtocolError),
        sc("9113-8.2.2-transfer-encoding", Semantics, "transfer-encoding: chunked: stream PROTOCOL_ERROR")
            .then_send(headers(1, fl::END_STREAM, &[(":status", "200"), ("transfer-encoding", "chunked")])).stream_error(ProtocolError),
        sc("9113-8.2.2-te-not-trailers", Semantics, "te: gzip: stream PROTOCOL_ERROR")
            .then_send(headers(1, fl::END_STREAM, &[(":status", "200"), ("te", "gzip")])).stream_error(ProtocolError),
        sc("9113-8.1.1-content-length-body-longer", Semantics,
           "content-length 2 with 3 body bytes: stream PROTOCOL_ERROR")
            .then_send(cat(&[headers(1, 0, &[(":status", "200"), ("content-length", "2")]), data(1, fl::END_STREAM, b"okk")]))
            .stream_error(ProtocolError),
        sc("9113-8.1.1-content-length-body-shorter", Semantics,
           "content-length 5 with 2 body bytes then END_STREAM: stream PROTOCOL_ERROR")
            .then_send(cat(&[headers(1, 0, &[(":status", "200"), ("content-length", "5")]), data(1, fl::END_STREAM, b"ok")]))
            .stream_error(ProtocolError),
        sc("9113-8.1.1-content-length-invalid", Semantics, "content-length abc: stream PROTOCOL_ERROR")
            .then_send(headers(1, fl::END_STREAM, &[(":status", "200"), ("content-length", "abc")])).stream_error(ProtocolError),
        sc("9113-8.1.1-204-with-body", Semantics, "a 204 followed by DATA: stream PROTOCOL_ERROR")
            .then_send(cat(&[headers(1, 0, &[(":status", "204")]), data(1, fl::END_STREAM, b"x")]))
            .stream_error(ProtocolError),
        sc("9113-8.1-data-before-headers", Semantics, "DATA before any response HEADERS: stream PROTOCOL_ERROR")
            .then_send(data(1, fl::END_STREAM, b"x")).stream_error(ProtocolError),
        sc("9113-8.1-informational-then-final-ok", Semantics, "103 Early Hints then 200: both delivered")
            .then_send(cat(&[headers(1, 0, &[(":status", "103"), ("link", "</a>")]), ok_resp()])).ok(),
        sc("9113-8.1-informational-after-final", Semantics,
           "a 100 after the final 200 (a second HEADERS with :status): stream PROTOCOL_ERROR")
            .then_send(cat(&[head200(), headers(1, 0, &[(":status", "100")])])).stream_error(ProtocolError),
        sc("9113-8.1-informational-with-end-stream", Semantics, "a 103 with END_STREAM: stream PROTOCOL_ERROR")
            .then_send(headers(1, fl::END_STREAM, &[(":status", "103")])).stream_error(ProtocolError),
        sc("9113-8.1-101-switching-protocols", Semantics, "101 is not allowed in HTTP/2: stream PROTOCOL_ERROR")
            .then_send(headers(1, 0, &[(":status", "101")])).stream_error(ProtocolError),
        sc("9113-8.1-trailers-ok", Semantics, "DATA then a trailer section with END_STREAM")
            .then_send(cat(&[head200(), data(1, 0, b"ok"), headers(1, fl::END_STREAM, &[("x-checksum", "1")])])).ok(),
        sc("9113-8.1-trailers-with-pseudo-header", Semantics, "trailers carrying :status: stream PROTOCOL_ERROR")
            .then_send(cat(&[head200(), data(1, 0, b"ok"), headers(1, fl::END_STREAM, &[(":status", "200")])]))
            .stream_error(ProtocolError),
        sc("9113-8.1-trailers-without-end-stream", Semantics, "a trailer section without END_STREAM: stream PROTOCOL_ERROR")
            .then_send(cat(&[head200(), data(1, 0, b"ok"), headers(1, 0, &[("x-checksum", "1")])]))
            .stream_error(ProtocolError),
        // ----- floods -------------------------------------------------------------------
        sc("9113-10.5-settings-flood", Flood, "10000 SETTINGS frames: GOAWAY(ENHANCE_YOUR_CALM)")
            .then_send(repeat(&settings(&[]), 10_000)).conn_error(calm),
        sc("9113-10.5-ping-flood", Flood, "50000 PINGs: GOAWAY(ENHANCE_YOUR_CALM)")
            .then_send(repeat(&ping(0, [1; 8]), 50_000)).conn_error(calm),
        sc("9113-10.5-empty-data-flood", Flood, "10000 empty DATA frames: GOAWAY(ENHANCE_YOUR_CALM)")
            .then_send(cat(&[head200(), repeat(&data(1, 0, &[]), 10_000)])).conn_error(calm),
        sc("9113-10.5-rst-stream-flood", Flood,
           "30000 RST_STREAM for the completed stream: GOAWAY(ENHANCE_YOUR_CALM), response intact")
            .then_send(cat(&[ok_resp(), repeat(&rst(1, NoError), 30_000)]))
            .expect(Expect::Ok(200), Sent::GoAway(calm)),
        sc("9113-10.5-window-update-flood", Flood, "300000 WINDOW_UPDATE(+1): GOAWAY(ENHANCE_YOUR_CALM)")
            .then_send(repeat(&window_update(1, 1), 300_000)).conn_error(calm),
        sc("9113-10.5-empty-continuation-flood", Flood,
           "CVE-2024-27316 family: HEADERS then 100000 empty CONTINUATIONs: GOAWAY(ENHANCE_YOUR_CALM)")
            .then_send(cat(&[frame(ty::HEADERS, 0, 1, &[0x88]), repeat(&frame(ty::CONTINUATION, 0, 1, &[]), 100_000)]))
            .conn_error(calm),
        sc("9113-10.5-continuation-flood", Flood,
           "HEADERS then 100000 one-byte CONTINUATIONs (frame count over the limit): GOAWAY(ENHANCE_YOUR_CALM)")
            .then_send(cat(&[frame(ty::HEADERS, 0, 1, &[0x88]), repeat(&frame(ty::CONTINUATION, 0, 1, &[0x88]), 100_000)]))
            .conn_error(calm),
        sc("9113-10.5-unknown-frame-flood", Flood, "100000 unknown-type frames: GOAWAY(ENHANCE_YOUR_CALM)")
            .then_send(repeat(&frame(0xfa, 0, 1, &[]), 100_000)).conn_error(calm),
        sc("9113-10.5-priority-flood", Flood, "100000 PRIORITY frames: GOAWAY(ENHANCE_YOUR_CALM)")
            .then_send(repeat(&frame(ty::PRIORITY, 0, 1, &[0, 0, 0, 0, 15]), 100_000)).conn_error(calm),
        sc("9113-10.5-informational-flood", Flood,
           "100000 103 (Early Hints) responses before the final one: bounded (stream error), never kept")
            .then_send(cat(&[repeat(&headers(1, 0, &[(":status", "103")]), 100_000), ok_resp()]))
            .stream_error(calm),
        sc("9113-10.5-goaway-flood", Flood, "100000 GOAWAY(1) frames, then the response: cheap, completes")
            .then_send(cat(&[repeat(&goaway(1, NoError, b""), 100_000), ok_resp()]))
            .expect(Expect::Ok(200), Sent::Any),
        sc("9113-10.5-ping-ack-flood", Flood, "100000 unsolicited PING ACKs, then the response: ignored, completes")
            .then_send(cat(&[repeat(&ping(fl::ACK, [3; 8]), 100_000), ok_resp()])).ok(),
        sc("9113-10.5-settings-ack-flood", Flood, "100000 SETTINGS ACKs, then the response: ignored, completes")
            .then_send(cat(&[repeat(&settings_ack(), 100_000), ok_resp()])).ok(),
        // ----- stalls -------------------------------------------------------------------
        sc("9113-3.4-server-silent-after-accept", Stall,
           "the server accepts and never sends its preface: settings_timeout (300 ms)")
            .config(settings_300ms).script(vec![])
            .expect(fail(ErrorKind::SettingsTimeout, Some(SettingsTimeout)), Sent::GoAway(SettingsTimeout)),
        sc("9113-6.5.3-settings-never-acked", Stall,
           "the server sends SETTINGS but never ACKs ours: settings_timeout, GOAWAY(SETTINGS_TIMEOUT)")
            .config(settings_300ms).script(vec![Preface, Send(settings(&[])), Await])
            .expect(fail(ErrorKind::SettingsTimeout, Some(SettingsTimeout)), Sent::GoAway(SettingsTimeout)),
        sc("9113-10.5-stall-mid-frame-before-headers", Stall,
           "the server writes 4 bytes of a frame header and stops: headers_timeout (300 ms)")
            .config(headers_300ms).then_send(vec![0, 0, 9, 1])
            .expect(fail(ErrorKind::HeadersTimeout, None), Sent::Rst(Cancel)),
        sc("9113-10.5-stall-mid-header-block", Stall,
           "HEADERS without END_HEADERS and no CONTINUATION ever: headers_timeout (300 ms)")
            .config(headers_300ms).then_send(frame(ty::HEADERS, 0, 1, &[0x88]))
            .expect(fail(ErrorKind::HeadersTimeout, None), Sent::Rst(Cancel)),
        sc("9113-10.5-stall-mid-frame-in-body", Stall,
           "10 of 100 body bytes, then half a frame header: idle_timeout (300 ms)")
            .config(idle_300ms)
            .then_send(cat(&[
                headers(1, 0, &[(":status", "200"), ("content-length", "100")]),
                data(1, 0, &[b'x'; 10]),
                vec![0, 0, 90, 0],
            ]))
            .expect(fail(ErrorKind::IdleTimeout, None), Sent::Rst(Cancel)),
        sc("9113-10.5-stall-trickle-bytes-idle", Stall,
           "the response trickles one byte every 100 ms, so no frame completes for ~1 s: idle_timeout (300 ms)")
            .config(idle_300ms)
            .after_request(vec![Trickle(
                cat(&[headers(1, 0, &[(":status", "200"), ("content-length", "1000")]), repeat(&data(1, 0, b"x"), 1000)]),
                MS(100),
            )])
            .expect(fail(ErrorKind::IdleTimeout, None), Sent::Rst(Cancel)),
        sc("9113-10.5-stall-trickle-bytes-request-deadline", Stall,
           "one byte every 100 ms with no idle timeout set: request_timeout (800 ms)")
            .config(request_800ms)
            .after_request(vec![Trickle(
                cat(&[headers(1, 0, &[(":status", "200"), ("content-length", "1000")]), repeat(&data(1, 0, b"x"), 1000)]),
                MS(100),
            )])
            .expect(fail(ErrorKind::RequestTimeout, None), Sent::Rst(Cancel)),
        sc("9113-10.5-stall-trickle-one-byte-frames", Stall,
           "a 1-byte DATA frame every 50 ms (never idle 500 ms, never done): request_timeout (1 s)")
            .config(trickle_limits)
            .after_request(vec![
                Send(headers(1, 0, &[(":status", "200"), ("content-length", "1000")])),
                Drip(data(1, 0, b"x"), 200, MS(50)),
            ])
            .expect(fail(ErrorKind::RequestTimeout, None), Sent::Rst(Cancel)),
        sc("9113-10.5-stall-trickle-headers-one-byte-per-100ms", Stall,
           "the response HEADERS trickle one byte every 100 ms: headers_timeout (500 ms)")
            .config(headers_500ms)
            .after_request(vec![Trickle(headers(1, fl::END_STREAM, &[(":status", "200"), ("x-pad", "0123456789abcdef")]), MS(100))])
            .expect(fail(ErrorKind::HeadersTimeout, None), Sent::Rst(Cancel)),
        sc("9113-6.7-ping-never-answered", Stall,
           "the server reads but answers nothing, not even PING: ping_timeout (300 ms)")
            .config(ping_fast).after_request(vec![])
            .expect(fail(ErrorKind::PingTimeout, None), Sent::Any),
        // ----- GOAWAY and connection endings ---------------------------------------------
        sc("9113-6.8-goaway-in-flight-completes", GoAway,
           "GOAWAY(last=1, NO_ERROR) then the response on stream 1: it completes")
            .then_send(cat(&[goaway(1, NoError, b""), ok_resp()])).ok(),
        sc("9113-6.8-goaway-unprocessed", GoAway,
           "GOAWAY(last=0) with stream 1 in flight: goaway error, unprocessed (retries off)")
            .then_send(goaway(0, NoError, b"bye"))
            .expect(fail(ErrorKind::GoAway, Some(NoError)), Sent::Quiet),
        sc("9113-6.8-goaway-with-error-code", GoAway,
           "GOAWAY(last=0, PROTOCOL_ERROR, debug data): the caller sees the server's code")
            .then_send(goaway(0, ProtocolError, b"you did something"))
            .expect(fail(ErrorKind::GoAway, Some(ProtocolError)), Sent::Quiet),
        sc("9113-6.8-goaway-after-response", GoAway, "GOAWAY after the response completed: nothing fails")
            .then_send(cat(&[ok_resp(), goaway(1, NoError, b"")])).ok(),
        sc("9113-6.8-goaway-decreasing-last-stream-id", GoAway,
           "GOAWAY(3) then GOAWAY(1): stream 3 fails (unprocessed), stream 1 completes")
            .script(vec![Handshake, Await, Await, Send(cat(&[goaway(3, NoError, b""), goaway(1, NoError, b""), ok_resp()]))])
            .expect_each(vec![Expect::Ok(200), fail(ErrorKind::GoAway, Some(NoError))], Sent::Any),
        sc("9113-6.8-goaway-increasing-last-stream-id", GoAway,
           "GOAWAY(1) then GOAWAY(3) (must not increase): stream 3 stays failed, stream 1 completes")
            .script(vec![Handshake, Await, Await, Send(cat(&[goaway(1, NoError, b""), goaway(3, NoError, b""), ok_resp(), response(3, b"no")]))])
            .expect_each(vec![Expect::Ok(200), fail(ErrorKind::GoAway, Some(NoError))], Sent::Any),
        sc("9113-6.8-goaway-followed-by-frames", GoAway,
           "GOAWAY(1), then PING, WINDOW_UPDATE and the response: all processed, PING answered")
            .then_send(cat(&[goaway(1, NoError, b""), ping(0, *b"h2o-test"), window_update(0, 1000), ok_resp()]))
            .expect(Expect::Ok(200), Sent::Has("PING ACK echoing the payload", ping_ack_8)),
        sc("9113-6.8-goaway-max-last-stream-id", GoAway,
           "graceful shutdown GOAWAY(2^31-1) then the response: completes")
            .then_send(cat(&[goaway(0x7fff_ffff, NoError, b""), ok_resp()])).ok(),
        sc("9113-6.8-goaway-then-new-connection", GoAway,
           "GOAWAY(1) after stream 1: a later request goes to a new connection and succeeds")
            .script(vec![Handshake, Await, Send(cat(&[goaway(1, NoError, b""), ok_resp()]))])
            .stagger(MS(500))
            .connections(2)
            .expect_each(vec![Expect::Ok(200), Expect::Ok(200)], Sent::Any),
        sc("9113-6.8-goaway-then-close-in-flight", GoAway,
           "GOAWAY(last=1) then TCP close before the response: the request fails (io), may be processed")
            .after_request(vec![Send(goaway(1, NoError, b"")), Close])
            .expect(fail(ErrorKind::Io, None), Sent::Any),
        sc("9113-5.4-close-mid-body", GoAway,
           "TCP close after 3 of 10 body bytes: the body read fails (io)")
            .after_request(vec![
                Send(cat(&[headers(1, 0, &[(":status", "200"), ("content-length", "10")]), data(1, 0, b"abc")])),
                Close,
            ])
            .expect(fail(ErrorKind::Io, None), Sent::Any),
    ]
}
