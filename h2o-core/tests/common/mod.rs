//! Deterministic in-memory harness for the sans-IO connection (in the style of quinn-proto's
//! test pair): a scripted server [`Peer`] reads everything the [`Connection`] writes, checks
//! the client preface, decodes the frames (HPACK-decoding header blocks) and sends frames
//! (built with the frame codec, or raw bytes) into `conn.recv`. Time is simulated.
#![allow(dead_code)]

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use h2o_core::frame::{
    self, Continuation, Data, ErrorCode, Frame, FrameDecoder, GoAway, Headers, Ping, RstStream,
    Settings, StreamId, WindowUpdate, PREFACE,
};
use h2o_core::hpack;
use h2o_core::proto::{Connection, Event, ProtoConfig, RequestId};
use h2o_core::{Error, ErrorKind, Method, Origin, Processed, RequestHead, Scope, Url};

/// A frame the client wrote, in a form tests can compare exactly. Header blocks are
/// assembled from HEADERS + CONTINUATION and HPACK-decoded by the peer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum F {
    Settings(Settings),
    SettingsAck,
    Headers {
        sid: u32,
        end_stream: bool,
        fields: Vec<(String, String)>,
    },
    Data {
        sid: u32,
        len: usize,
        end_stream: bool,
    },
    WindowUpdate {
        sid: u32,
        inc: u32,
    },
    Rst {
        sid: u32,
        code: ErrorCode,
    },
    Ping {
        ack: bool,
        payload: [u8; 8],
    },
    GoAway {
        last: u32,
        code: ErrorCode,
    },
    Other(Frame),
}

/// Shorthands for expected frames.
pub fn data(sid: u32, len: usize, end_stream: bool) -> F {
    F::Data {
        sid,
        len,
        end_stream,
    }
}
pub fn wu(sid: u32, inc: u32) -> F {
    F::WindowUpdate { sid, inc }
}
pub fn rst(sid: u32, code: ErrorCode) -> F {
    F::Rst { sid, code }
}
pub fn goaway(last: u32, code: ErrorCode) -> F {
    F::GoAway { last, code }
}

/// The scripted server side.
pub struct Peer {
    dec: FrameDecoder,
    pub hdec: hpack::Decoder,
    pub henc: hpack::Encoder,
    inbuf: BytesMut,
    preface_seen: bool,
    /// A client header block being assembled: stream, END_STREAM, fragments, frame count.
    partial: Option<(StreamId, bool, BytesMut)>,
    /// Max frame size the peer enforces on what the client sends (its advertised setting).
    pub max_frame_size: u32,
    /// Max frame size the peer uses for what it sends (the client's setting).
    pub send_max_frame_size: u32,
    /// Request body bytes received per stream.
    pub body: HashMap<u32, Vec<u8>>,
    /// Every frame ever read from the client, in order.
    pub log: Vec<F>,
}

impl Default for Peer {
    fn default() -> Self {
        Peer::new()
    }
}

impl Peer {
    pub fn new() -> Peer {
        Peer {
            dec: FrameDecoder::new(),
            hdec: hpack::Decoder::new(4096),
            henc: hpack::Encoder::new(),
            inbuf: BytesMut::new(),
            preface_seen: false,
            partial: None,
            max_frame_size: frame::DEFAULT_MAX_FRAME_SIZE,
            send_max_frame_size: frame::DEFAULT_MAX_FRAME_SIZE,
            body: HashMap::new(),
            log: Vec::new(),
        }
    }

    /// Takes bytes the client wrote; returns the complete frames they finish.
    pub fn absorb(&mut self, bytes: &[u8]) -> Vec<F> {
        self.inbuf.extend_from_slice(bytes);
        if !self.preface_seen {
            if self.inbuf.len() < PREFACE.len() {
                assert!(
                    PREFACE.starts_with(&self.inbuf),
                    "client preface is wrong: {:?}",
                    &self.inbuf[..]
                );
                return Vec::new();
            }
            assert_eq!(
                &self.inbuf[..PREFACE.len()],
                &PREFACE[..],
                "client preface is wrong"
            );
            let _ = self.inbuf.split_to(PREFACE.len());
            self.preface_seen = true;
        }
        self.dec.set_max_frame_size(self.max_frame_size);
        let mut out = Vec::new();
        loop {
            let f = match self.dec.decode(&mut self.inbuf) {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e) => panic!("client wrote an invalid frame: {e}"),
            };
            if let Some(x) = self.convert(f) {
                self.log.push(x.clone());
                out.push(x);
            }
        }
        out
    }

    fn decode_block(&mut self, block: Bytes) -> Vec<(String, String)> {
        let mut fields = Vec::new();
        self.hdec
            .decode(&block, usize::MAX, |h| {
                fields.push((
                    String::from_utf8(h.name.to_vec()).unwrap(),
                    String::from_utf8(h.value.to_vec()).unwrap(),
                ))
            })
            .expect("client header block does not decode");
        fields
    }

    fn convert(&mut self, f: Frame) -> Option<F> {
        if let Some((sid, _, _)) = &self.partial {
            match &f {
                Frame::Continuation(c) if c.stream_id == *sid => {}
                other => panic!("client broke a header block with {other:?}"),
            }
        }
        Some(match f {
            Frame::Settings(s) if s.ack => F::SettingsAck,
            Frame::Settings(s) => F::Settings(s),
            Frame::Headers(h) => {
                assert!(h.priority.is_none(), "client sent RFC 7540 priority");
                if !h.end_headers {
                    let mut b = BytesMut::new();
                    b.extend_from_slice(&h.fragment);
                    self.partial = Some((h.stream_id, h.end_stream, b));
                    return None;
                }
                let fields = self.decode_block(h.fragment);
                F::Headers {
                    sid: h.stream_id.value(),
                    end_stream: h.end_stream,
                    fields,
                }
            }
            Frame::Continuation(c) => {
                let (sid, es, mut b) = self.partial.take().expect("stray CONTINUATION");
                b.extend_from_slice(&c.fragment);
                if !c.end_headers {
                    self.partial = Some((sid, es, b));
                    return None;
                }
                let fields = self.decode_block(b.freeze());
                F::Headers {
                    sid: sid.value(),
                    end_stream: es,
                    fields,
                }
            }
            Frame::Data(d) => {
                assert_eq!(d.flow_len as usize, d.data.len(), "client padded DATA");
                self.body
                    .entry(d.stream_id.value())
                    .or_default()
                    .extend_from_slice(&d.data);
                F::Data {
                    sid: d.stream_id.value(),
                    len: d.data.len(),
                    end_stream: d.end_stream,
                }
            }
            Frame::WindowUpdate(w) => F::WindowUpdate {
                sid: w.stream_id.value(),
                inc: w.increment,
            },
            Frame::RstStream(r) => F::Rst {
                sid: r.stream_id.value(),
                code: r.code,
            },
            Frame::Ping(p) => F::Ping {
                ack: p.ack,
                payload: p.payload,
            },
            Frame::GoAway(g) => F::GoAway {
                last: g.last_stream_id.value(),
                code: g.code,
            },
            other => F::Other(other),
        })
    }

    /// Encodes a header block with the peer's HPACK encoder.
    pub fn encode_block(&mut self, fields: &[(&str, &str)]) -> Bytes {
        let mut b = BytesMut::new();
        self.henc.encode(
            fields.iter().map(|(n, v)| (n.as_bytes(), v.as_bytes())),
            &mut b,
        );
        b.freeze()
    }
}

/// Tracks that every request ends exactly once, nothing follows its end, and its events
/// follow the documented order: Informational* Head Data* Trailers? Done, or Failed at any
/// point (SendReady anywhere).
#[derive(Default)]
pub struct Terminals {
    ended: HashMap<RequestId, Event>,
    /// 0: awaiting the head, 1: body, 2: after trailers.
    phase: HashMap<RequestId, u8>,
}

impl Terminals {
    pub fn observe(&mut self, ev: &Event) {
        let id = ev.id();
        if !self.ended.contains_key(&id) {
            let phase = self.phase.entry(id).or_insert(0);
            let ok = match ev {
                Event::Informational { .. } => *phase == 0,
                Event::Head { .. } => {
                    let ok = *phase == 0;
                    *phase = 1;
                    ok
                }
                Event::Data { .. } => *phase == 1,
                Event::Trailers { .. } => {
                    let ok = *phase == 1;
                    *phase = 2;
                    ok
                }
                Event::Done { .. } => *phase >= 1,
                Event::Failed { .. } | Event::SendReady { .. } => true,
            };
            assert!(ok, "{id:?}: {ev:?} out of order (phase {phase})");
        }
        if let Some(prev) = self.ended.get(&id) {
            // The one exception: the request body may still be flowing after a complete
            // response (RFC 9113 §8.1), so SendReady may follow Done (never Failed).
            let body_after_done =
                matches!(ev, Event::SendReady { .. }) && matches!(prev, Event::Done { .. });
            if !body_after_done {
                panic!("{id:?} got {ev:?} after its terminal event {prev:?}");
            }
            return;
        }
        if ev.is_terminal() {
            self.ended.insert(id, ev.clone());
        }
    }

    pub fn ended(&self, id: RequestId) -> bool {
        self.ended.contains_key(&id)
    }
}

/// A connection and its scripted server, with simulated time.
pub struct Pair {
    pub conn: Connection,
    pub peer: Peer,
    pub now: Instant,
    pub terminals: Terminals,
    /// Every request id ever submitted.
    pub submitted: HashSet<RequestId>,
    next_req: u64,
}

/// The origin every test request goes to.
pub const ORIGIN: &str = "https://example.com";

pub fn url(path: &str) -> Url {
    Url::parse(&format!("{ORIGIN}{path}")).unwrap()
}

pub fn get(path: &str) -> RequestHead {
    RequestHead::new(Method::GET, &url(path))
}

pub fn head_req(path: &str) -> RequestHead {
    RequestHead::new(Method::HEAD, &url(path))
}

pub fn post(path: &str) -> RequestHead {
    RequestHead::new(Method::POST, &url(path))
}

/// Small config used by most tests (smaller windows make flow control easy to exercise).
pub fn small_cfg() -> ProtoConfig {
    ProtoConfig {
        initial_window_size: 65_535,
        connection_window_size: 65_535,
        adaptive_window: false,
        // Connection credit only on consumption, so tests see every credit decision.
        max_buffered_per_connection: 0,
        ..ProtoConfig::default()
    }
}

pub fn bytes_of(n: usize) -> Bytes {
    Bytes::from((0..n).map(|i| (i % 251) as u8).collect::<Vec<u8>>())
}

impl Pair {
    pub fn new(cfg: ProtoConfig) -> Pair {
        let now = Instant::now();
        Pair {
            conn: Connection::new(cfg, now),
            peer: Peer::new(),
            now,
            terminals: Terminals::default(),
            submitted: HashSet::new(),
            next_req: 1,
        }
    }

    /// A new pair after the whole handshake: the client's preface, SETTINGS and
    /// WINDOW_UPDATE were read, `server` SETTINGS were sent and ACKed both ways.
    pub fn ready(cfg: ProtoConfig, server: Settings) -> Pair {
        let mut p = Pair::new(cfg);
        p.handshake(server);
        p
    }

    pub fn handshake(&mut self, server: Settings) {
        let first = self.read();
        assert!(
            matches!(first.first(), Some(F::Settings(_))),
            "client did not start with SETTINGS: {first:?}"
        );
        self.send(server);
        self.send(Settings::ack());
        let acks = self.read();
        assert_eq!(acks, vec![F::SettingsAck]);
        assert!(self.conn.has_peer_settings() && self.conn.settings_acked());
    }

    pub fn advance(&mut self, d: Duration) {
        self.now += d;
    }

    /// Everything the client wants to write, read by the peer.
    pub fn read(&mut self) -> Vec<F> {
        let mut out = Vec::new();
        loop {
            let buf = self.conn.poll_transmit().to_vec();
            if buf.is_empty() {
                break;
            }
            self.conn.advance_transmit(buf.len());
            out.extend(self.peer.absorb(&buf));
        }
        out
    }

    /// Lets the client write only `n` bytes (a slow socket).
    pub fn read_partial(&mut self, n: usize) -> Vec<F> {
        let buf = self.conn.poll_transmit().to_vec();
        let n = n.min(buf.len());
        self.conn.advance_transmit(n);
        self.peer.absorb(&buf[..n])
    }

    /// Reads and asserts exactly these frames.
    #[track_caller]
    pub fn expect(&mut self, frames: &[F]) {
        let got = self.read();
        assert_eq!(got, frames, "client frames");
    }

    /// Reads and asserts the client wrote nothing.
    #[track_caller]
    pub fn expect_nothing(&mut self) {
        let got = self.read();
        assert!(got.is_empty(), "client wrote {got:?}");
    }

    /// Sends a frame to the client.
    pub fn send(&mut self, f: impl Into<Frame>) {
        let mut b = BytesMut::new();
        f.into().encode(&mut b);
        self.conn.recv(&b, self.now);
    }

    /// Sends raw bytes to the client.
    pub fn send_raw(&mut self, b: &[u8]) {
        self.conn.recv(b, self.now);
    }

    /// Sends a header block (HPACK-encoded by the peer), split per the client's frame size.
    pub fn send_headers(&mut self, sid: u32, fields: &[(&str, &str)], end_stream: bool) {
        let block = self.peer.encode_block(fields);
        self.send_block(sid, &block, end_stream);
    }

    /// Sends an already-encoded header block as HEADERS (+ CONTINUATION).
    pub fn send_block(&mut self, sid: u32, block: &[u8], end_stream: bool) {
        let mut b = BytesMut::new();
        frame::encode_header_block(
            StreamId::new(sid),
            block,
            end_stream,
            None,
            self.peer.send_max_frame_size,
            &mut b,
        );
        self.conn.recv(&b, self.now);
    }

    /// `:status 200` response head.
    pub fn send_ok(&mut self, sid: u32, end_stream: bool) {
        self.send_headers(sid, &[(":status", "200")], end_stream);
    }

    pub fn send_data(&mut self, sid: u32, bytes: Bytes, end_stream: bool) {
        self.send(Data::new(StreamId::new(sid), bytes, end_stream));
    }

    /// Sends `n` body bytes as DATA frames of at most 16384 octets.
    pub fn send_body(&mut self, sid: u32, n: usize, end_stream: bool) {
        let body = bytes_of(n);
        let mut off = 0;
        loop {
            let k = (n - off).min(16_384);
            let last = off + k == n;
            self.send_data(sid, body.slice(off..off + k), last && end_stream);
            off += k;
            if last {
                break;
            }
        }
    }

    pub fn send_wu(&mut self, sid: u32, inc: u32) {
        self.send(WindowUpdate {
            stream_id: StreamId::new(sid),
            increment: inc,
        });
    }

    pub fn send_rst(&mut self, sid: u32, code: ErrorCode) {
        self.send(RstStream {
            stream_id: StreamId::new(sid),
            code,
        });
    }

    pub fn send_goaway(&mut self, last: u32, code: ErrorCode) {
        self.send(GoAway {
            last_stream_id: StreamId::new(last),
            code,
            debug_data: Bytes::new(),
        });
    }

    pub fn send_ping(&mut self, ack: bool, payload: [u8; 8]) {
        self.send(Ping { ack, payload });
    }

    pub fn send_continuation(&mut self, sid: u32, fragment: &[u8], end_headers: bool) {
        self.send(Continuation {
            stream_id: StreamId::new(sid),
            end_headers,
            fragment: Bytes::copy_from_slice(fragment),
        });
    }

    /// Sends HEADERS without END_HEADERS carrying `fragment`.
    pub fn send_headers_open(&mut self, sid: u32, fragment: &[u8], end_stream: bool) {
        self.send(Headers {
            stream_id: StreamId::new(sid),
            end_stream,
            end_headers: false,
            priority: None,
            fragment: Bytes::copy_from_slice(fragment),
        });
    }

    /// The id the next `submit` will use.
    pub fn next_id(&self) -> RequestId {
        RequestId(self.next_req)
    }

    /// Submits a request with a fresh id.
    pub fn submit(&mut self, head: RequestHead, body: Option<Bytes>, end: bool) -> RequestId {
        let id = RequestId(self.next_req);
        self.next_req += 1;
        self.submitted.insert(id);
        self.conn.submit(id, head, body, end);
        id
    }

    pub fn submit_get(&mut self, path: &str) -> RequestId {
        self.submit(get(path), None, true)
    }

    /// Drains the client's events (checking the one-terminal-per-request rule).
    pub fn events(&mut self) -> Vec<Event> {
        let mut out = Vec::new();
        while let Some(ev) = self.conn.poll_event() {
            self.terminals.observe(&ev);
            out.push(ev);
        }
        out
    }

    #[track_caller]
    pub fn expect_events(&mut self, want: &[Event]) {
        let got = self.events();
        assert_eq!(got, want, "client events");
    }

    #[track_caller]
    pub fn expect_no_events(&mut self) {
        let got = self.events();
        assert!(got.is_empty(), "unexpected events {got:?}");
    }

    /// Asserts that the only pending event is `id`'s failure and returns its error.
    #[track_caller]
    pub fn expect_failed(&mut self, id: RequestId) -> Error {
        let evs = self.events();
        match &evs[..] {
            [Event::Failed { id: got, error }] if *got == id => error.clone(),
            other => panic!("expected only Failed for {id:?}, got {other:?}"),
        }
    }

    /// Asserts every submitted request has ended (exactly once, checked on the way).
    #[track_caller]
    pub fn assert_all_ended(&mut self) {
        let _ = self.events();
        let mut missing: Vec<_> = self
            .submitted
            .iter()
            .filter(|id| !self.terminals.ended(**id))
            .collect();
        missing.sort();
        assert!(
            missing.is_empty(),
            "requests without a terminal event: {missing:?}"
        );
    }

    /// Completes a GET response on `sid`: 200 + END_STREAM, expecting Head + Done.
    #[track_caller]
    pub fn complete(&mut self, sid: u32, id: RequestId) {
        self.send_ok(sid, true);
        self.expect_events(&[head_ev(id, 200), Event::Done { id }]);
    }
}

/// `Event::Head` with no header fields.
pub fn head_ev(id: RequestId, status: u16) -> Event {
    Event::Head {
        id,
        status,
        headers: h2o_core::Headers::new(),
    }
}

pub fn data_ev(id: RequestId, b: &[u8]) -> Event {
    Event::Data {
        id,
        data: Bytes::copy_from_slice(b),
    }
}

/// The full shape of an error.
#[derive(Debug, PartialEq, Eq)]
pub struct Shape {
    pub kind: ErrorKind,
    pub code: Option<ErrorCode>,
    pub origin: Origin,
    pub scope: Scope,
    pub processed: Processed,
}

pub fn shape(e: &Error) -> Shape {
    Shape {
        kind: e.kind(),
        code: e.code(),
        origin: e.origin(),
        scope: e.scope(),
        processed: e.processed(),
    }
}

/// A local stream-scoped PROTOCOL_ERROR (we reset the stream).
pub fn local_stream_protocol(code: ErrorCode) -> Shape {
    Shape {
        kind: ErrorKind::Protocol,
        code: Some(code),
        origin: Origin::Local,
        scope: Scope::Stream,
        processed: Processed::Maybe,
    }
}

/// A local connection-scoped protocol error (we sent GOAWAY).
pub fn local_conn_protocol(code: ErrorCode) -> Shape {
    Shape {
        kind: ErrorKind::Protocol,
        code: Some(code),
        origin: Origin::Local,
        scope: Scope::Connection,
        processed: Processed::Maybe,
    }
}

/// Server SETTINGS with just MAX_CONCURRENT_STREAMS.
pub fn server_settings() -> Settings {
    Settings::default()
}

pub fn max_streams(n: u32) -> Settings {
    Settings {
        max_concurrent_streams: Some(n),
        ..Settings::default()
    }
}

pub fn fields(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

/// The HEADERS the client writes for a GET of `path` on [`ORIGIN`].
pub fn get_headers(sid: u32, path: &str) -> F {
    F::Headers {
        sid,
        end_stream: true,
        fields: fields(&[
            (":method", "GET"),
            (":scheme", "https"),
            (":authority", "example.com"),
            (":path", path),
        ]),
    }
}

pub fn post_headers(sid: u32, path: &str, end_stream: bool) -> F {
    F::Headers {
        sid,
        end_stream,
        fields: fields(&[
            (":method", "POST"),
            (":scheme", "https"),
            (":authority", "example.com"),
            (":path", path),
        ]),
    }
}
