//! The sans-IO client connection: bytes and the current time in, bytes to write and
//! per-request events out. One owner drives it (the transport task, or a test), so no
//! locks are needed anywhere in here.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes, BytesMut};

use super::config::ProtoConfig;
use super::event::{Event, RequestId};
use super::flow::Window;
use super::limits::{Cost, FloodGuard};
use super::scheduler::Scheduler;
use super::streams::StreamTable;
use super::validate::{FieldCollector, Section};
use super::StreamState;
use crate::error::{Error, ErrorKind, Origin, Processed, Scope};
use crate::frame::{
    self, ErrorCode, ErrorScope, Frame, FrameDecoder, FrameType, GoAway, Ping, RstStream, Settings,
    StreamId, WindowUpdate, DEFAULT_INITIAL_WINDOW_SIZE, MAX_WINDOW_SIZE,
};
use crate::hpack::{self, DecoderError};
use crate::request::{validate_request_header, Method, RequestHead};
use crate::trace;

#[path = "introspect.rs"]
mod introspect;
pub use introspect::{ConnMetrics, ConnSnapshot, QueuedSnapshot, StreamSnapshot};

/// Multiplicative hashing for stream and request ids: they are dense integers, so SipHash
/// would only cost time.
#[derive(Default)]
pub struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ b as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.write_u64(n as u64)
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0 ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

type IdMap<K, V> = HashMap<K, V, BuildHasherDefault<IdHasher>>;

/// The payload that marks our bandwidth-delay-product probe PINGs.
const BDP_PING: [u8; 8] = *b"h2o-bdp\0";
/// 1xx responses accepted per request: each is kept for the caller, so a server sending an
/// endless stream of 103s would otherwise grow memory without bound (a stream error of type
/// ENHANCE_YOUR_CALM beyond this; real servers send one or two).
pub const MAX_INFORMATIONAL: u8 = 32;
/// The payload of keepalive / liveness PINGs.
const KEEPALIVE_PING: [u8; 8] = *b"h2o-live";

/// Where a response is in its life.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Phase {
    /// Waiting for the final response head (1xx may come first).
    AwaitHead,
    /// Head received; DATA and then optional trailers.
    Body,
}

struct Stream {
    req: RequestId,
    priority: crate::request::Priority,
    /// Frames sent in the current weighted turn (RFC 7540 scheduling).
    turn: u16,
    /// We sent END_STREAM.
    local_closed: bool,
    /// The caller finished the body: END_STREAM goes out with the last buffered byte.
    end_queued: bool,
    /// We received END_STREAM.
    remote_closed: bool,
    /// Done/Failed was emitted (the stream may live on to finish sending).
    finished: bool,
    send_window: Window,
    recv_window: Window,
    /// Stream-level credit consumed but not yet returned with a WINDOW_UPDATE. The same
    /// bytes were credited to the connection when they were released (or, for padding,
    /// on arrival), so when the stream ends this is simply dropped.
    recv_unacked: u32,
    send_buf: VecDeque<Bytes>,
    send_buffered: usize,
    /// The caller was told to wait; emit SendReady when the buffer drains.
    send_blocked: bool,
    in_sched: bool,
    phase: Phase,
    no_body: bool,
    /// 1xx responses received so far (bounded by [`MAX_INFORMATIONAL`]).
    informational: u8,
    content_length: Option<u64>,
    received: u64,
    /// Absolute output offset just past this stream's HEADERS: if fewer bytes than this
    /// were written when the connection died, the server never saw the request.
    headers_end: u64,
    /// When the stream opened, ms since the connection's `epoch` (for the debug dump; 4 bytes
    /// rather than an `Instant`'s 16: per-stream state is what 1000 open streams cost).
    opened_ms: u32,
    /// Since when body bytes wait for flow-control credit (metrics): µs since `epoch`, + 1.
    stalled_since: Option<std::num::NonZeroU64>,
}

impl Stream {
    fn state(&self) -> StreamState {
        match (self.local_closed, self.remote_closed) {
            (false, false) => StreamState::Open,
            (true, false) => StreamState::HalfClosedLocal,
            (false, true) => StreamState::HalfClosedRemote,
            (true, true) => StreamState::Closed,
        }
    }
}

/// A request waiting for a stream slot (peer's MAX_CONCURRENT_STREAMS).
struct Pending {
    id: RequestId,
    head: RequestHead,
    body: VecDeque<Bytes>,
    body_len: usize,
    end: bool,
    blocked: bool,
}

/// A header block being assembled from HEADERS/PUSH_PROMISE + CONTINUATION.
struct PartialBlock {
    stream_id: StreamId,
    end_stream: bool,
    promised: Option<StreamId>,
    block: BytesMut,
    frames: u32,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum State {
    Open,
    /// No new streams (GOAWAY received, ids exhausted, or drain requested).
    Draining,
    Closed,
}

/// The peer's settings as they apply to what we send.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct PeerSettings {
    /// SETTINGS_MAX_CONCURRENT_STREAMS (100 assumed until the server's SETTINGS arrive).
    pub max_concurrent_streams: u32,
    /// SETTINGS_INITIAL_WINDOW_SIZE.
    pub initial_window_size: u32,
    /// SETTINGS_MAX_FRAME_SIZE.
    pub max_frame_size: u32,
    /// SETTINGS_MAX_HEADER_LIST_SIZE (`u32::MAX` when unlimited).
    pub max_header_list_size: u32,
    /// SETTINGS_HEADER_TABLE_SIZE.
    pub header_table_size: u32,
}

/// Adaptive receive window: sample bytes received over one PING round trip.
#[derive(Default)]
struct Bdp {
    ping_sent: Option<Instant>,
    bytes: u64,
}

/// An HTTP/2 client connection, sans-IO.
///
/// Feed it what the socket read ([`recv`](Self::recv) or [`read_buffer`](Self::read_buffer) +
/// [`process`](Self::process)), write what [`poll_transmit`](Self::poll_transmit) returns and
/// report it with [`advance_transmit`](Self::advance_transmit), and drain
/// [`poll_event`](Self::poll_event).
///
/// ```
/// use std::time::Instant;
/// use h2o_core::proto::{Connection, ProtoConfig, RequestId};
/// use h2o_core::{Method, RequestHead, Url};
///
/// let mut conn = Connection::new(ProtoConfig::default(), Instant::now());
/// let head = RequestHead::new(Method::GET, &Url::parse("http://127.0.0.1/").unwrap());
/// conn.submit(RequestId(1), head, None, true);
/// // Preface, SETTINGS, WINDOW_UPDATE and the request's HEADERS are ready to write.
/// assert!(conn.poll_transmit().starts_with(b"PRI * HTTP/2.0"));
/// ```
pub struct Connection {
    cfg: ProtoConfig,
    state: State,
    decoder: FrameDecoder,
    read_buf: BytesMut,
    write_buf: BytesMut,
    scratch: BytesMut,
    out_total: u64,
    enc: hpack::Encoder,
    dec: hpack::Decoder,
    peer: PeerSettings,
    got_peer_settings: bool,
    settings_acked: bool,
    streams: StreamTable<Stream>,
    ids: IdMap<RequestId, StreamId>,
    queue: VecDeque<Pending>,
    next_stream_id: u32,
    send_window: Window,
    /// The largest connection send window seen (the peer's window size as far as we know):
    /// bounds how much DATA one flush carries (see `fill_data`).
    send_window_peak: u32,
    recv_window: Window,
    recv_unacked: u32,
    /// Response bytes delivered to the caller and not yet released.
    buffered: u64,
    /// Of those, bytes whose connection credit is still owed (returned on release).
    uncredited: u64,
    /// Our stream receive window as the peer knows it (grows with the adaptive window).
    stream_window: u32,
    conn_window: u32,
    sched: Scheduler,
    events: VecDeque<Event>,
    partial: Option<PartialBlock>,
    goaway_last: Option<StreamId>,
    /// The error code of the server's latest GOAWAY.
    goaway_code: ErrorCode,
    /// Streams we reset recently: their late frames are dropped quietly.
    reset_recent: VecDeque<StreamId>,
    bdp: Bdp,
    /// A WINDOW_UPDATE was queued since `take_credit_queued` (the driver writes it before
    /// reading further, or a bulk sender idles for the rest of a read batch).
    credit_queued: bool,
    rtt: Option<Duration>,
    keepalive_sent: Option<Instant>,
    close_error: Option<Error>,
    flood: FloodGuard,
    /// The latest time we were given (for budgets of actions that carry no clock).
    now: Instant,
    /// Counters for the client's metrics.
    metrics: ConnMetrics,
    /// The latest time the transport reported for statistics only (`set_now`): kept apart
    /// from `now`, which paces budgets and timers.
    stats_now: Instant,
    /// The zero of the compact per-stream times (`Stream::opened_ms`, `stalled_since`).
    epoch: Instant,
    /// `now` in milliseconds since `epoch`, and the `now` it was computed for: the streams
    /// opened in one batch share one computation.
    now_ms: (Instant, u32),
    /// The `conn` field of this connection's tracing events.
    trace_id: u64,
}

impl Connection {
    /// A new connection: the client preface, our SETTINGS and the connection window
    /// update are queued for writing at once (RFC 9113 §3.4).
    pub fn new(cfg: ProtoConfig, now: Instant) -> Connection {
        let mut decoder = FrameDecoder::new();
        decoder.set_max_frame_size(cfg.max_frame_size);
        let mut c = Connection {
            state: State::Open,
            decoder,
            read_buf: BytesMut::with_capacity(64 << 10),
            write_buf: BytesMut::with_capacity(64 << 10),
            scratch: BytesMut::with_capacity(1024),
            out_total: 0,
            enc: hpack::Encoder::new(),
            dec: hpack::Decoder::new(cfg.header_table_size as usize),
            peer: PeerSettings {
                max_concurrent_streams: 100,
                initial_window_size: DEFAULT_INITIAL_WINDOW_SIZE,
                max_frame_size: frame::DEFAULT_MAX_FRAME_SIZE,
                max_header_list_size: u32::MAX,
                header_table_size: frame::DEFAULT_HEADER_TABLE_SIZE,
            },
            got_peer_settings: false,
            settings_acked: false,
            streams: StreamTable::default(),
            ids: IdMap::default(),
            queue: VecDeque::new(),
            next_stream_id: 1,
            send_window: Window::new(DEFAULT_INITIAL_WINDOW_SIZE),
            send_window_peak: DEFAULT_INITIAL_WINDOW_SIZE,
            recv_window: Window::new(cfg.connection_window_size),
            recv_unacked: 0,
            buffered: 0,
            uncredited: 0,
            stream_window: cfg.initial_window_size,
            conn_window: cfg.connection_window_size,
            sched: Scheduler::default(),
            events: VecDeque::new(),
            partial: None,
            goaway_last: None,
            goaway_code: ErrorCode::NoError,
            reset_recent: VecDeque::new(),
            bdp: Bdp::default(),
            credit_queued: false,
            rtt: None,
            keepalive_sent: None,
            close_error: None,
            flood: FloodGuard::new(),
            now,
            metrics: ConnMetrics::default(),
            stats_now: now,
            epoch: now,
            now_ms: (now, 0),
            trace_id: 0,
            cfg,
        };
        // The server allows a 4096-byte table until its SETTINGS say otherwise; our own cap
        // applies from the first block (signalled with a size update, RFC 7541 §6.3).
        let enc_table = c
            .cfg
            .encoder_table_size
            .min(frame::DEFAULT_HEADER_TABLE_SIZE);
        c.enc.set_max_table_size(enc_table as usize);
        c.write_buf.extend_from_slice(frame::PREFACE);
        let settings = Settings {
            header_table_size: (c.cfg.header_table_size != frame::DEFAULT_HEADER_TABLE_SIZE)
                .then_some(c.cfg.header_table_size),
            enable_push: Some(false),
            max_concurrent_streams: Some(c.cfg.max_concurrent_streams),
            initial_window_size: Some(c.cfg.initial_window_size),
            max_frame_size: (c.cfg.max_frame_size != frame::DEFAULT_MAX_FRAME_SIZE)
                .then_some(c.cfg.max_frame_size),
            max_header_list_size: Some(c.cfg.max_header_list_size),
            ..Settings::default()
        };
        c.write_frame(Frame::Settings(settings));
        // The connection window starts at 65535 whatever SETTINGS say (RFC 9113 §6.9.2).
        let extra = c
            .cfg
            .connection_window_size
            .saturating_sub(DEFAULT_INITIAL_WINDOW_SIZE);
        if extra > 0 {
            c.write_window_update(StreamId::ZERO, extra);
        }
        c
    }

    /// Sets the connection id carried by this connection's tracing events (field `conn`).
    /// The transport numbers its connections; a standalone connection uses 0.
    pub fn set_trace_id(&mut self, id: u64) {
        self.trace_id = id;
    }

    // ----- caller side: requests ------------------------------------------------------

    /// Submits a request. `body` is its first (or only) chunk; `end` says whether the body
    /// is complete. More chunks follow with [`send_data`](Self::send_data). The request ends
    /// with exactly one `Done` or `Failed` event, also when it cannot be sent at all.
    pub fn submit(&mut self, id: RequestId, head: RequestHead, body: Option<Bytes>, end: bool) {
        if let Some(err) = self.refuse_reason() {
            return self.fail(id, err);
        }
        for (n, v) in head.headers.iter() {
            if let Err(e) = validate_request_header(n, v) {
                return self.fail(id, e.with_processed(Processed::No));
            }
        }
        if self.queue.len() >= self.cfg.max_pending_requests && !self.can_open() {
            let e = Error::new(
                ErrorKind::LimitExceeded,
                format!(
                    "request queue full ({} waiting for a stream)",
                    self.cfg.max_pending_requests
                ),
            );
            return self.fail(id, e.with_processed(Processed::No));
        }
        let mut p = Pending {
            id,
            head,
            body: VecDeque::new(),
            body_len: 0,
            end,
            blocked: false,
        };
        if let Some(b) = body.filter(|b| !b.is_empty()) {
            p.body_len = b.len();
            p.body.push_back(b);
        }
        if self.can_open() && self.queue.is_empty() {
            self.open_stream(p);
        } else {
            self.queue.push_back(p);
        }
    }

    /// Queues another request-body chunk (`end` closes the body). Returns whether the
    /// caller may send more right away; when `false`, wait for `Event::SendReady`.
    pub fn send_data(&mut self, id: RequestId, data: Bytes, end: bool) -> bool {
        let limit = self.cfg.send_buffer_size;
        if let Some(&sid) = self.ids.get(&id) {
            let Some(s) = self.streams.get_mut(&sid) else {
                return false;
            };
            if s.end_queued || s.local_closed {
                return false;
            }
            if !data.is_empty() {
                s.send_buffered += data.len();
                s.send_buf.push_back(data);
            }
            s.end_queued = end;
            let room = s.send_buffered < limit;
            s.send_blocked = !room && !end;
            let sendable = s.send_window.available() > 0 || s.send_buffered == 0;
            if !sendable {
                introspect::stall(
                    &mut self.metrics,
                    s,
                    self.now.max(self.stats_now),
                    self.epoch,
                );
            }
            if !s.in_sched && (s.send_buffered > 0 || end) && sendable {
                s.in_sched = true;
                let prio = s.priority;
                self.sched.push(sid, prio);
            }
            return room;
        }
        if let Some(p) = self.queue.iter_mut().find(|p| p.id == id) {
            if p.end {
                return false;
            }
            if !data.is_empty() {
                p.body_len += data.len();
                p.body.push_back(data);
            }
            p.end = end;
            p.blocked = p.body_len >= limit && !end;
            return !p.blocked;
        }
        false
    }

    /// The caller consumed `n` bytes of `id`'s response body: return the credit to the
    /// server (batched: a WINDOW_UPDATE goes out once half a window is owed).
    pub fn release(&mut self, id: RequestId, n: usize) {
        let n = n.min(MAX_WINDOW_SIZE as usize) as u32;
        if let Some(s) = self.ids.get(&id).and_then(|sid| self.streams.get_mut(sid)) {
            if !s.remote_closed {
                s.recv_unacked += n;
                if s.recv_unacked >= self.stream_window / 2 {
                    let inc = std::mem::take(&mut s.recv_unacked);
                    let _ = s.recv_window.adjust(inc as i64);
                    let sid = self.ids[&id];
                    self.write_window_update(sid, inc);
                }
            }
        }
        self.release_ended(n as u64);
    }

    /// Returns `n` consumed bytes of requests whose streams are gone: connection credit
    /// only (what `release` does for an id it no longer knows).
    pub fn release_ended(&mut self, n: u64) {
        self.buffered = self.buffered.saturating_sub(n);
        let owed = self.uncredited.min(n);
        self.uncredited -= owed;
        self.release_connection(owed as u32);
    }

    /// Cancels a request: RST_STREAM(CANCEL) if it is on the wire, removal if queued.
    /// Emits `Failed(Cancelled)` unless the request already ended.
    pub fn cancel(&mut self, id: RequestId) {
        if let Some(pos) = self.queue.iter().position(|p| p.id == id) {
            self.queue.remove(pos);
            let e = Error::new(ErrorKind::Cancelled, "request cancelled");
            return self.fail(id, e.with_processed(Processed::No));
        }
        let Some(&sid) = self.ids.get(&id) else {
            return;
        };
        let Some(s) = self.streams.remove(&sid) else {
            return;
        };
        introspect::stall_end(
            &mut self.metrics,
            s.stalled_since,
            self.now.max(self.stats_now),
            self.epoch,
        );
        self.ids.remove(&id);
        // (Its recv_unacked was already credited to the connection: nothing to return.)
        // Even if its HEADERS are still in our buffer they go out ahead of the RST_STREAM
        // (the encoded block changed the HPACK context and cannot be dropped), so the
        // server may act on the request: never "unprocessed" here.
        self.write_rst(sid, ErrorCode::Cancel);
        // Frames the server sent before it saw the RST_STREAM are dropped quietly (§5.1).
        self.remember_reset(sid);
        if !s.finished {
            let e = Error::new(ErrorKind::Cancelled, "request cancelled")
                .with_processed(Processed::Maybe);
            self.fail(id, e);
        }
        self.after_stream_closed();
    }

    /// Graceful client shutdown: GOAWAY(NO_ERROR), and every request still in flight or
    /// queued ends with `Cancelled`.
    pub fn close(&mut self) {
        if self.state == State::Closed {
            return;
        }
        self.write_goaway(ErrorCode::NoError, b"client closing");
        let err = Error::new(ErrorKind::Cancelled, "client closed");
        // Requests on the wire (or whose HEADERS are buffered ahead of the GOAWAY) may
        // have been processed; only queued ones certainly were not.
        self.fail_everything(&err, Processed::Maybe, true);
        self.state = State::Closed;
        self.close_error = Some(Error::new(ErrorKind::Closed, "closed by the client"));
    }

    /// Ends the connection at once because of a local failure (SETTINGS or PING timeout,
    /// resource limits): GOAWAY(`code`), and every request still pending fails with `error`
    /// (marked unprocessed where the server provably never saw it).
    pub fn abort(&mut self, code: ErrorCode, error: Error) {
        if self.state == State::Closed {
            return;
        }
        self.partial = None;
        self.write_goaway(code, b"");
        self.fail_everything(&error, Processed::Maybe, true);
        self.state = State::Closed;
        self.close_error = Some(error);
    }

    /// Stop taking new requests; in-flight ones finish, then the connection closes.
    pub fn drain(&mut self) {
        if self.state == State::Open {
            self.state = State::Draining;
            self.fail_queued("connection is draining");
            self.maybe_finish_draining();
        }
    }

    /// The socket ended (EOF or I/O error) or the transport gave up: everything still
    /// pending fails with `err`'s kind; requests the server never saw are marked unprocessed.
    pub fn transport_closed(&mut self, err: Error) {
        if self.state == State::Closed {
            return;
        }
        self.state = State::Closed;
        self.fail_everything(&err, Processed::Maybe, false);
        self.close_error = Some(err);
    }

    /// Sends a liveness PING now (answered by the peer; see [`rtt`](Self::rtt)).
    pub fn send_ping(&mut self, now: Instant) {
        if self.keepalive_sent.is_none() && self.state != State::Closed {
            self.keepalive_sent = Some(now);
            self.write_frame(Frame::Ping(Ping {
                ack: false,
                payload: KEEPALIVE_PING,
            }));
        }
    }

    /// When the outstanding liveness PING was sent, if one is unanswered.
    pub fn ping_outstanding(&self) -> Option<Instant> {
        self.keepalive_sent
    }

    // ----- caller side: I/O -----------------------------------------------------------

    /// The buffer the transport reads into; call [`process`](Self::process) afterwards.
    pub fn read_buffer(&mut self) -> &mut BytesMut {
        &mut self.read_buf
    }

    /// Appends received bytes and processes them.
    pub fn recv(&mut self, data: &[u8], now: Instant) {
        self.read_buf.extend_from_slice(data);
        self.process(now);
    }

    /// Processes every whole frame in the read buffer.
    pub fn process(&mut self, now: Instant) {
        self.process_some(now, usize::MAX);
    }

    /// Processes up to `max_frames` whole frames: true if it stopped at that limit with
    /// bytes left in the read buffer (for the next call).
    pub fn process_some(&mut self, now: Instant, max_frames: usize) -> bool {
        self.now = now;
        let mut left = max_frames;
        while self.state != State::Closed {
            if left == 0 {
                return !self.read_buf.is_empty();
            }
            left -= 1;
            // The frame type, in case the decoder rejects (and drops) the frame.
            let kind = self.read_buf.get(3).copied();
            let raw = self
                .read_buf
                .first_chunk::<{ frame::FRAME_HEADER_LEN }>()
                .copied();
            match self.decoder.decode(&mut self.read_buf) {
                Ok(None) => break,
                Ok(Some(f)) => {
                    if let Some(raw) = raw.filter(|_| trace::frames_enabled()) {
                        trace::received(self.trace_id, &raw, &f);
                    }
                    self.on_frame(f, now)
                }
                Err(e) => match e.scope {
                    // A rejected HEADERS frame took its field block with it: the HPACK
                    // context can no longer be kept in sync (RFC 9113 §4.3).
                    ErrorScope::Stream(_) if kind == Some(FrameType::Headers.to_u8()) => self
                        .connection_error(
                            ErrorCode::CompressionError,
                            "HEADERS frame rejected with its field block undecoded",
                        ),
                    // RST_STREAM must never name an idle stream (§6.4). A malformed PRIORITY
                    // frame may legally name one and changes no state: drop it. Anything
                    // else on an idle stream is a connection error (§5.1, §5.4.1).
                    ErrorScope::Stream(sid) if self.partial.is_none() && self.is_idle(sid) => {
                        if kind != Some(FrameType::Priority.to_u8()) {
                            self.connection_error(e.code, e.reason)
                        }
                    }
                    ErrorScope::Stream(sid) if self.partial.is_none() => {
                        self.stream_error(sid, e.code, e.reason)
                    }
                    _ => self.connection_error(e.code, e.reason),
                },
            }
        }
        false
    }

    /// Bytes ready to be written (DATA is scheduled into the buffer on each call).
    pub fn poll_transmit(&mut self) -> &[u8] {
        self.fill_data();
        &self.write_buf
    }

    /// Reports that the first `n` bytes of [`poll_transmit`](Self::poll_transmit) were written.
    pub fn advance_transmit(&mut self, n: usize) {
        let n = n.min(self.write_buf.len());
        self.write_buf.advance(n);
        self.out_total += n as u64;
    }

    /// Whether bytes are waiting to be written (including schedulable DATA).
    pub fn wants_write(&self) -> bool {
        !self.write_buf.is_empty()
            || (!self.sched.is_empty()
                && (self.send_window.available() > 0
                    // An END_STREAM-only DATA frame needs no credit.
                    || self.streams.values().any(|s| {
                        s.in_sched && s.send_buffered == 0 && s.end_queued && !s.local_closed
                    })))
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Whether an event is waiting for `poll_event`.
    pub fn has_events(&self) -> bool {
        !self.events.is_empty()
    }

    // ----- state queries --------------------------------------------------------------

    /// Whether a WINDOW_UPDATE was queued since the last call (and clears the flag): the
    /// transport should write before reading more, so the server is not left without credit
    /// while a batch of reads is processed.
    pub fn take_credit_queued(&mut self) -> bool {
        std::mem::take(&mut self.credit_queued)
    }

    /// Whether new requests can be submitted here.
    pub fn is_accepting(&self) -> bool {
        self.state == State::Open
    }

    /// Whether the connection is finished (after the write buffer drains, close the socket).
    pub fn is_closed(&self) -> bool {
        self.state == State::Closed
    }

    /// Why the connection closed, once it has.
    pub fn close_error(&self) -> Option<&Error> {
        self.close_error.as_ref()
    }

    /// Streams open or half-closed (they count against the peer's concurrency limit).
    pub fn open_streams(&self) -> usize {
        self.streams.len()
    }

    /// Requests waiting for a stream slot.
    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    /// The peer's settings in force.
    pub fn peer_settings(&self) -> PeerSettings {
        self.peer
    }

    /// Whether the server's SETTINGS have arrived.
    pub fn has_peer_settings(&self) -> bool {
        self.got_peer_settings
    }

    /// Whether the server acknowledged our SETTINGS.
    pub fn settings_acked(&self) -> bool {
        self.settings_acked
    }

    /// The last measured PING round trip.
    pub fn rtt(&self) -> Option<Duration> {
        self.rtt
    }

    /// Our current stream and connection receive windows (grow with the adaptive window).
    pub fn receive_windows(&self) -> (u32, u32) {
        (self.stream_window, self.conn_window)
    }

    /// The RFC 9113 §5.1 state of the stream carrying `id`, if it has one.
    pub fn stream_state(&self, id: RequestId) -> Option<StreamState> {
        let sid = self.ids.get(&id)?;
        self.streams.get(sid).map(Stream::state)
    }

    /// Test hook: the id the next stream gets (odd, at most 2^31-1), to reach stream id
    /// exhaustion without opening a billion streams.
    #[doc(hidden)]
    pub fn set_next_stream_id(&mut self, id: u32) {
        assert!(id % 2 == 1 && id <= StreamId::MAX.value() && id >= self.next_stream_id);
        self.next_stream_id = id;
    }

    /// The stream id carrying `id`, once it is on the wire.
    pub fn stream_id(&self, id: RequestId) -> Option<StreamId> {
        self.ids.get(&id).copied()
    }

    // ----- receiving ------------------------------------------------------------------

    fn on_frame(&mut self, f: Frame, now: Instant) {
        if let Some(why) = self.flood_check(&f, now) {
            return self.connection_error(ErrorCode::EnhanceYourCalm, why);
        }
        if !self.got_peer_settings && !matches!(f, Frame::Settings(ref s) if !s.ack) {
            return self.connection_error(
                ErrorCode::ProtocolError,
                "server preface must start with SETTINGS",
            );
        }
        if let Some(p) = &self.partial {
            let expected = p.stream_id;
            match f {
                Frame::Continuation(c) if c.stream_id == expected => {
                    return self.on_continuation(c.fragment, c.end_headers, now)
                }
                _ => {
                    return self.connection_error(
                        ErrorCode::ProtocolError,
                        "expected CONTINUATION for the open header block",
                    )
                }
            }
        }
        match f {
            Frame::Data(d) => self.on_data(d, now),
            Frame::Headers(h) => {
                if h.end_headers {
                    self.on_header_block(h.stream_id, h.fragment, h.end_stream, None)
                } else {
                    self.start_partial(h.stream_id, h.fragment, h.end_stream, None)
                }
            }
            Frame::Priority(_) | Frame::Unknown(_) => {}
            Frame::RstStream(r) => self.on_rst(r),
            Frame::Settings(s) => self.on_settings(s),
            Frame::PushPromise(p) => {
                if self.settings_acked {
                    return self.connection_error(
                        ErrorCode::ProtocolError,
                        "PUSH_PROMISE received with push disabled",
                    );
                }
                if p.end_headers {
                    self.on_header_block(p.stream_id, p.fragment, false, Some(p.promised_id))
                } else {
                    self.start_partial(p.stream_id, p.fragment, false, Some(p.promised_id))
                }
            }
            Frame::Ping(p) => self.on_ping(p, now),
            Frame::GoAway(g) => self.on_goaway(g),
            Frame::WindowUpdate(w) => self.on_window_update(w),
            Frame::Continuation(_) => self.connection_error(
                ErrorCode::ProtocolError,
                "CONTINUATION without a preceding HEADERS",
            ),
        }
    }

    /// Whether `sid` names a stream that was never opened (idle). A refused promised
    /// stream is closed, not idle.
    fn is_idle(&self, sid: StreamId) -> bool {
        (!sid.is_client_initiated() || sid.value() >= self.next_stream_id)
            && !self.reset_recent.contains(&sid)
    }

    fn on_data(&mut self, d: frame::Data, now: Instant) {
        let flow = d.flow_len;
        if flow > self.recv_window.available() {
            return self.connection_error(
                ErrorCode::FlowControlError,
                "DATA exceeds the connection flow-control window",
            );
        }
        self.recv_window.consume(flow);
        let sid = d.stream_id;
        let Some(s) = self.streams.get_mut(&sid) else {
            self.release_connection(flow);
            if self.is_idle(sid) {
                return self.connection_error(ErrorCode::ProtocolError, "DATA on an idle stream");
            }
            return self.closed_stream_frame(sid);
        };
        if s.remote_closed {
            self.release_connection(flow);
            return self.stream_error(sid, ErrorCode::StreamClosed, "DATA after END_STREAM");
        }
        if flow > s.recv_window.available() {
            self.release_connection(flow);
            return self.stream_error(
                sid,
                ErrorCode::FlowControlError,
                "DATA exceeds the stream flow-control window",
            );
        }
        s.recv_window.consume(flow);
        if s.phase != Phase::Body {
            self.release_connection(flow);
            return self.stream_error(
                sid,
                ErrorCode::ProtocolError,
                "DATA before response HEADERS",
            );
        }
        let len = d.data.len() as u64;
        s.received += len;
        if (s.no_body && s.received > 0) || s.content_length.is_some_and(|cl| s.received > cl) {
            self.release_connection(flow);
            return self.stream_error(
                sid,
                ErrorCode::ProtocolError,
                "more DATA than content-length allows",
            );
        }
        // Padding is consumed on arrival: credit it back now.
        let padding = flow - d.data.len() as u32;
        if padding > 0 {
            s.recv_unacked += padding;
        }
        let window_pressure = s.recv_window.available() < self.stream_window / 2;
        let req = s.req;
        if !d.data.is_empty() {
            self.metrics.data_bytes_received += len;
            self.events.push_back(Event::Data {
                id: req,
                data: d.data,
            });
            // Connection credit on receipt while the buffered total stays under the cap.
            self.buffered += len;
            if self.buffered <= self.cfg.max_buffered_per_connection as u64 {
                self.release_connection(len as u32);
            } else {
                self.uncredited += len;
            }
        }
        if padding > 0 {
            self.release_connection(padding);
        }
        self.bdp_on_data(len, window_pressure, now);
        if d.end_stream {
            self.on_remote_end(sid);
        }
    }

    fn start_partial(
        &mut self,
        stream_id: StreamId,
        fragment: Bytes,
        end_stream: bool,
        promised: Option<StreamId>,
    ) {
        let mut block = BytesMut::with_capacity(fragment.len() * 2);
        block.extend_from_slice(&fragment);
        self.partial = Some(PartialBlock {
            stream_id,
            end_stream,
            promised,
            block,
            frames: 1,
        });
    }

    fn on_continuation(&mut self, fragment: Bytes, end_headers: bool, _now: Instant) {
        let limit_bytes = self.cfg.max_header_list_size as usize + 16_384;
        let limit_frames = self.cfg.continuation_limit();
        let Some(p) = self.partial.as_mut() else {
            return;
        };
        p.frames += 1;
        if p.frames > limit_frames + 1 {
            return self.connection_error(
                ErrorCode::EnhanceYourCalm,
                "too many CONTINUATION frames in one header block",
            );
        }
        if p.block.len() + fragment.len() > limit_bytes {
            return self.connection_error(
                ErrorCode::EnhanceYourCalm,
                "header block larger than max_header_list_size",
            );
        }
        p.block.extend_from_slice(&fragment);
        if end_headers {
            let Some(p) = self.partial.take() else {
                return;
            };
            self.on_header_block(p.stream_id, p.block.freeze(), p.end_stream, p.promised);
        }
    }

    fn on_header_block(
        &mut self,
        sid: StreamId,
        block: Bytes,
        end_stream: bool,
        promised: Option<StreamId>,
    ) {
        let section = match self.streams.get(&sid) {
            Some(s) if s.phase == Phase::Body => Section::Trailers,
            _ => Section::Head,
        };
        let mut fields = FieldCollector::new(section);
        let mut plain = 0u64;
        let mut lines = trace::frames_enabled().then(String::new);
        // Always decode, whatever the stream's state: the HPACK table must stay in sync.
        let decoded = self.dec.decode_vetted(
            &block,
            self.cfg.max_header_list_size as usize,
            |h, vetted| {
                plain += (h.name.len() + h.value.len()) as u64;
                if let Some(out) = lines.as_mut() {
                    trace::push_header_line(out, &h.name, &h.value, h.never_index);
                }
                fields.push(h, vetted)
            },
        );
        self.metrics.header_bytes_received_encoded += block.len() as u64;
        self.metrics.header_bytes_received_plain += plain;
        if let Some(lines) = lines {
            trace::received_headers(self.trace_id, sid.value(), &lines);
        }
        let too_large = match decoded {
            Ok(_) => false,
            Err(DecoderError::HeaderListTooLarge) => true,
            Err(_) => {
                return self.connection_error(ErrorCode::CompressionError, "HPACK decoding failed")
            }
        };
        if let Some(promised) = promised {
            // Push is disabled but our SETTINGS were not acknowledged yet: refuse it. The
            // promised stream is now closed by our RST_STREAM: frames the server already
            // sent on it are discarded, not treated as idle-stream errors (§5.1).
            if !self.reset_recent.contains(&promised) {
                self.write_rst(promised, ErrorCode::RefusedStream);
                self.remember_reset(promised);
            }
            return;
        }
        let Some(s) = self.streams.get_mut(&sid) else {
            if self.is_idle(sid) {
                return self
                    .connection_error(ErrorCode::ProtocolError, "HEADERS on an idle stream");
            }
            return self.closed_stream_frame(sid);
        };
        if s.remote_closed {
            return self.stream_error(sid, ErrorCode::StreamClosed, "HEADERS after END_STREAM");
        }
        let req = s.req;
        if too_large {
            let e = Error::new(
                ErrorKind::LimitExceeded,
                format!(
                    "response header list exceeds max_header_list_size ({} bytes)",
                    self.cfg.max_header_list_size
                ),
            )
            .with_code(ErrorCode::Cancel);
            return self.reset_with(sid, ErrorCode::Cancel, e);
        }
        if let Some(why) = fields.malformed {
            return self.stream_error(sid, ErrorCode::ProtocolError, why);
        }
        match section {
            Section::Trailers => {
                if !end_stream {
                    return self.stream_error(
                        sid,
                        ErrorCode::ProtocolError,
                        "trailers without END_STREAM",
                    );
                }
                self.events.push_back(Event::Trailers {
                    id: req,
                    headers: fields.headers,
                });
                self.on_remote_end(sid);
            }
            Section::Head => {
                let Some(status) = fields.status else {
                    return self.stream_error(sid, ErrorCode::ProtocolError, "missing :status");
                };
                if (100..200).contains(&status) {
                    if status == 101 {
                        return self.stream_error(
                            sid,
                            ErrorCode::ProtocolError,
                            "101 Switching Protocols is not allowed in HTTP/2",
                        );
                    }
                    if end_stream {
                        return self.stream_error(
                            sid,
                            ErrorCode::ProtocolError,
                            "informational response with END_STREAM",
                        );
                    }
                    if s.informational >= MAX_INFORMATIONAL {
                        return self.stream_error(
                            sid,
                            ErrorCode::EnhanceYourCalm,
                            "too many informational (1xx) responses",
                        );
                    }
                    s.informational += 1;
                    self.events.push_back(Event::Informational {
                        id: req,
                        status,
                        headers: fields.headers,
                    });
                    return;
                }
                s.phase = Phase::Body;
                s.no_body |= status == 204 || status == 304;
                s.content_length = fields.content_length;
                self.events.push_back(Event::Head {
                    id: req,
                    status,
                    headers: fields.headers,
                });
                if end_stream {
                    self.on_remote_end(sid);
                }
            }
        }
    }

    /// END_STREAM arrived: the response is complete.
    fn on_remote_end(&mut self, sid: StreamId) {
        let Some(s) = self.streams.get_mut(&sid) else {
            return;
        };
        if !s.no_body && s.content_length.is_some_and(|cl| cl != s.received) {
            return self.stream_error(
                sid,
                ErrorCode::ProtocolError,
                "response body shorter than content-length",
            );
        }
        s.remote_closed = true;
        s.finished = true;
        let req = s.req;
        let done = s.local_closed;
        s.recv_unacked = 0;
        self.events.push_back(Event::Done { id: req });
        if done {
            self.remove_stream(sid);
        }
    }

    fn on_rst(&mut self, r: RstStream) {
        let sid = r.stream_id;
        let Some(s) = self.streams.get(&sid) else {
            if self.is_idle(sid) {
                self.connection_error(ErrorCode::ProtocolError, "RST_STREAM on an idle stream");
            }
            return;
        };
        let (req, finished) = (s.req, s.finished);
        tracing::debug!(target: trace::PROTO, conn = self.trace_id, stream = sid.value(), request = req.0, code = %r.code, "stream reset by the server");
        // A response head proves the server processed the request, whatever the code says.
        let responded = s.phase == Phase::Body;
        self.remove_stream(sid);
        if finished {
            // e.g. NO_ERROR after a complete response: stop sending the body (RFC 9113 §8.1).
            return;
        }
        let err = if r.code == ErrorCode::RefusedStream && !responded {
            Error::new(
                ErrorKind::Refused,
                "server refused the stream (REFUSED_STREAM)",
            )
            .with_code(r.code)
            .with_origin(Origin::Remote)
            .with_processed(Processed::No)
        } else {
            Error::new(
                ErrorKind::StreamReset,
                format!("stream reset by the server ({})", r.code),
            )
            .with_code(r.code)
            .with_origin(Origin::Remote)
        };
        self.fail(req, err);
    }

    fn on_settings(&mut self, s: Settings) {
        if s.ack {
            self.settings_acked = true;
            tracing::debug!(target: trace::PROTO, conn = self.trace_id, "SETTINGS acknowledged by the server");
            return;
        }
        tracing::debug!(target: trace::PROTO, conn = self.trace_id, settings = ?s, "server SETTINGS");
        if !self.got_peer_settings {
            self.got_peer_settings = true;
            self.peer.max_concurrent_streams = u32::MAX;
        }
        if s.enable_push == Some(true) {
            return self.connection_error(
                ErrorCode::ProtocolError,
                "server sent SETTINGS_ENABLE_PUSH=1",
            );
        }
        if let Some(v) = s.header_table_size {
            self.peer.header_table_size = v;
            self.enc
                .set_max_table_size(v.min(self.cfg.encoder_table_size) as usize);
        }
        if let Some(v) = s.max_concurrent_streams {
            self.peer.max_concurrent_streams = v;
        }
        if let Some(v) = s.max_frame_size {
            self.peer.max_frame_size = v;
        }
        if let Some(v) = s.max_header_list_size {
            self.peer.max_header_list_size = v;
        }
        if let Some(v) = s.initial_window_size {
            let delta = v as i64 - self.peer.initial_window_size as i64;
            self.peer.initial_window_size = v;
            let mut wake = Vec::new();
            let mut overflow = false;
            for (sid, st) in self.streams.iter_mut() {
                if st.send_window.adjust(delta).is_err() {
                    overflow = true;
                    break;
                }
                if delta > 0
                    && !st.in_sched
                    && st.send_buffered > 0
                    && st.send_window.available() > 0
                {
                    st.in_sched = true;
                    wake.push((*sid, st.priority));
                }
            }
            if overflow {
                self.write_frame(Frame::Settings(Settings::ack()));
                return self.connection_error(
                    ErrorCode::FlowControlError,
                    "SETTINGS_INITIAL_WINDOW_SIZE overflows a stream window",
                );
            }
            for (sid, prio) in wake {
                self.sched.push(sid, prio);
            }
        }
        self.write_frame(Frame::Settings(Settings::ack()));
        self.open_queued();
    }

    fn on_ping(&mut self, p: Ping, now: Instant) {
        if !p.ack {
            self.write_frame(Frame::Ping(Ping {
                ack: true,
                payload: p.payload,
            }));
            return;
        }
        if p.payload == BDP_PING {
            self.bdp_on_ack(now);
        } else if p.payload == KEEPALIVE_PING {
            if let Some(sent) = self.keepalive_sent.take() {
                self.rtt = Some(now.saturating_duration_since(sent));
            }
        }
    }

    fn on_goaway(&mut self, g: GoAway) {
        let last = match self.goaway_last {
            Some(prev) if prev < g.last_stream_id => prev,
            _ => g.last_stream_id,
        };
        self.goaway_last = Some(last);
        self.goaway_code = g.code;
        tracing::debug!(
            target: trace::PROTO,
            conn = self.trace_id,
            last_stream = last.value(),
            code = %g.code,
            debug_data = %String::from_utf8_lossy(&g.debug_data),
            "GOAWAY received"
        );
        if self.state == State::Open {
            self.state = State::Draining;
        }
        let mut unprocessed: Vec<StreamId> = self
            .streams
            .keys()
            .copied()
            .filter(|&sid| sid > last)
            .collect();
        unprocessed.sort_unstable();
        let goaway_error = |what: &str| {
            Error::new(
                ErrorKind::GoAway,
                format!(
                    "server sent GOAWAY ({}, last stream {}): {what}",
                    g.code,
                    last.value()
                ),
            )
            .with_code(g.code)
            .with_origin(Origin::Remote)
            .with_scope(Scope::Connection)
            .with_processed(Processed::No)
        };
        for sid in unprocessed {
            if let Some(s) = self.streams.get(&sid) {
                let (req, finished) = (s.req, s.finished);
                // A response head proves processing, whatever the GOAWAY claims.
                let responded = s.phase == Phase::Body;
                self.remove_stream(sid);
                if !finished {
                    let mut e = goaway_error("request not processed");
                    if responded {
                        e = e.with_processed(Processed::Maybe);
                    }
                    self.fail(req, e);
                }
            }
        }
        for p in std::mem::take(&mut self.queue) {
            self.fail(p.id, goaway_error("request not sent"));
        }
        self.maybe_finish_draining();
    }

    fn on_window_update(&mut self, w: WindowUpdate) {
        if w.stream_id.is_zero() {
            if self.send_window.adjust(w.increment as i64).is_err() {
                self.connection_error(
                    ErrorCode::FlowControlError,
                    "connection flow-control window above 2^31-1",
                );
            }
            self.send_window_peak = self.send_window_peak.max(self.send_window.available());
            return;
        }
        let sid = w.stream_id;
        let Some(s) = self.streams.get_mut(&sid) else {
            if self.is_idle(sid) {
                self.connection_error(ErrorCode::ProtocolError, "WINDOW_UPDATE on an idle stream");
            }
            return;
        };
        if s.send_window.adjust(w.increment as i64).is_err() {
            return self.stream_error(
                sid,
                ErrorCode::FlowControlError,
                "stream flow-control window above 2^31-1",
            );
        }
        if !s.in_sched && s.send_buffered > 0 && s.send_window.available() > 0 {
            s.in_sched = true;
            let prio = s.priority;
            self.sched.push(sid, prio);
        }
    }

    /// A frame for a stream that is closed: dropped quietly if we reset it recently,
    /// otherwise a STREAM_CLOSED stream error (answered once; RFC 9113 §5.1).
    fn closed_stream_frame(&mut self, sid: StreamId) {
        if !self.reset_recent.contains(&sid) {
            self.write_rst(sid, ErrorCode::StreamClosed);
            self.remember_reset(sid);
        }
    }

    // ----- adaptive window ------------------------------------------------------------

    fn bdp_on_data(&mut self, len: u64, window_pressure: bool, now: Instant) {
        if !self.cfg.adaptive_window || self.stream_window >= self.cfg.max_adaptive_window {
            return;
        }
        if self.bdp.ping_sent.is_some() {
            self.bdp.bytes += len;
        } else if window_pressure {
            self.bdp.ping_sent = Some(now);
            self.bdp.bytes = len;
            self.write_frame(Frame::Ping(Ping {
                ack: false,
                payload: BDP_PING,
            }));
        }
    }

    fn bdp_on_ack(&mut self, now: Instant) {
        let Some(sent) = self.bdp.ping_sent.take() else {
            return;
        };
        let rtt = now.saturating_duration_since(sent);
        self.rtt = Some(rtt);
        let bdp = std::mem::take(&mut self.bdp.bytes);
        // Grow when one round trip carried more than 2/3 of a window.
        if bdp * 3 < self.stream_window as u64 * 2 {
            return;
        }
        let cap = self.cfg.max_adaptive_window;
        let new_stream = (bdp.saturating_mul(2).min(cap as u64) as u32).max(self.stream_window);
        if new_stream > self.stream_window {
            let delta = (new_stream - self.stream_window) as i64;
            self.stream_window = new_stream;
            for s in self.streams.values_mut() {
                let _ = s.recv_window.adjust(delta);
            }
            self.write_frame(Frame::Settings(Settings {
                initial_window_size: Some(new_stream),
                ..Settings::default()
            }));
        }
        let new_conn = new_stream.saturating_mul(2).min(cap).max(self.conn_window);
        if new_conn > self.conn_window {
            let inc = new_conn - self.conn_window;
            self.conn_window = new_conn;
            let _ = self.recv_window.adjust(inc as i64);
            self.write_window_update(StreamId::ZERO, inc);
        }
    }

    // ----- sending --------------------------------------------------------------------

    fn refuse_reason(&self) -> Option<Error> {
        match self.state {
            State::Open => None,
            State::Draining => Some(
                Error::new(
                    ErrorKind::Closed,
                    "connection is draining (GOAWAY or ids exhausted)",
                )
                .with_processed(Processed::No),
            ),
            State::Closed => Some(
                Error::new(ErrorKind::Closed, "connection is closed").with_processed(Processed::No),
            ),
        }
    }

    fn can_open(&self) -> bool {
        self.state == State::Open
            && (self.streams.len() as u64) < self.peer.max_concurrent_streams as u64
            && !self.flood.local_resets_exhausted(self.now, &self.cfg.flood)
    }

    /// Counts frames that cost work without carrying anything the caller asked for;
    /// returns why the peer is over budget, if it is.
    fn flood_check(&mut self, f: &Frame, now: Instant) -> Option<&'static str> {
        let limits = &self.cfg.flood;
        let (cost, why) = match f {
            Frame::Settings(s) if !s.ack => (Cost::Settings, "SETTINGS flood"),
            Frame::Ping(p) if !p.ack => {
                if self.write_buf.len() > limits.max_control_backlog {
                    return Some("PING flood while not reading our answers");
                }
                (Cost::Ping, "PING flood")
            }
            Frame::RstStream(_) => (Cost::Reset, "RST_STREAM flood"),
            Frame::WindowUpdate(_) => (Cost::WindowUpdate, "WINDOW_UPDATE flood"),
            Frame::Data(d) if d.data.is_empty() && !d.end_stream => {
                (Cost::Empty, "flood of empty DATA frames")
            }
            Frame::Continuation(c) if c.fragment.is_empty() && !c.end_headers => {
                (Cost::Empty, "flood of empty CONTINUATION frames")
            }
            Frame::Headers(h) if h.fragment.is_empty() => {
                (Cost::Empty, "flood of empty HEADERS frames")
            }
            Frame::Priority(_) | Frame::Unknown(_) => (Cost::Empty, "flood of ignored frames"),
            _ => return None,
        };
        if self.flood.spend(cost, now, limits) {
            None
        } else {
            Some(why)
        }
    }

    /// When [`handle_timeout`](Self::handle_timeout) has work: queued streams held back by
    /// our own reset budget resume when its window ends.
    pub fn next_timeout(&self) -> Option<Instant> {
        if !self.queue.is_empty() && self.flood.local_resets_exhausted(self.now, &self.cfg.flood) {
            self.flood.window_end()
        } else {
            None
        }
    }

    /// Advances time: opens streams that were waiting for the reset budget.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.now = now;
        self.open_queued();
    }

    fn open_queued(&mut self) {
        while self.can_open() {
            let Some(p) = self.queue.pop_front() else {
                break;
            };
            self.open_stream(p);
        }
    }

    /// `now` in whole milliseconds since `epoch` (saturating at u32::MAX).
    fn now_ms(&mut self) -> u32 {
        let now = self.now.max(self.stats_now);
        if self.now_ms.0 != now {
            let d = now.saturating_duration_since(self.epoch);
            let ms = d.as_secs().saturating_mul(1000) + d.subsec_millis() as u64;
            self.now_ms = (now, ms.min(u32::MAX as u64) as u32);
        }
        self.now_ms.1
    }

    fn open_stream(&mut self, p: Pending) {
        let head = &p.head;
        let connect = head.method == Method::CONNECT && head.protocol.is_none();
        let mut pseudo: [(&[u8], &[u8]); 5] = [(b"", b""); 5];
        let mut n = 0;
        pseudo[n] = (b":method", head.method.bytes());
        n += 1;
        if !connect {
            pseudo[n] = (b":scheme", head.scheme.as_str().as_bytes());
            n += 1;
        }
        let authority = head.headers.get("host").unwrap_or(&head.authority[..]);
        pseudo[n] = (b":authority", authority);
        n += 1;
        if !connect {
            pseudo[n] = (b":path", &head.path[..]);
            n += 1;
        }
        if let Some(proto) = &head.protocol {
            pseudo[n] = (b":protocol", &proto[..]);
            n += 1;
        }
        let prio_value = if head.headers.contains("priority") {
            None
        } else {
            head.priority.header_value()
        };
        let regular = head
            .headers
            .iter()
            .filter(|(name, _)| *name != b"host")
            .chain(
                prio_value
                    .as_deref()
                    .map(|v| (&b"priority"[..], v.as_bytes())),
            );
        let field_size = |(a, b): (&[u8], &[u8])| (a.len() + b.len() + 32) as u64;
        let list_size: u64 = pseudo[..n].iter().copied().map(field_size).sum::<u64>()
            + head
                .headers
                .iter()
                .filter(|(name, _)| *name != b"host")
                .map(field_size)
                .sum::<u64>()
            + prio_value.as_ref().map_or(0, |v| v.len() as u64 + 8 + 32);
        let fields = pseudo[..n].iter().copied().chain(regular);
        if list_size > self.peer.max_header_list_size as u64 {
            let e = Error::new(
                ErrorKind::LimitExceeded,
                format!(
                    "request header list ({list_size} bytes) exceeds the server's max_header_list_size ({})",
                    self.peer.max_header_list_size
                ),
            );
            return self.fail(p.id, e.with_processed(Processed::No));
        }
        let lines = trace::frames_enabled().then(|| {
            let mut out = String::new();
            let regular = head.headers.iter().filter(|(name, _)| *name != b"host");
            let prio = prio_value
                .as_deref()
                .map(|v| (&b"priority"[..], v.as_bytes()));
            for (name, value) in pseudo[..n].iter().copied().chain(regular).chain(prio) {
                let never = crate::hpack::encoder_never_indexes(name, value);
                trace::push_header_line(&mut out, name, value, never);
            }
            out
        });
        self.scratch.clear();
        let mut plain = 0u64;
        let fields = fields.inspect(|(a, b)| plain += (a.len() + b.len()) as u64);
        self.enc.encode(fields, &mut self.scratch);
        self.metrics.header_bytes_sent_plain += plain;
        self.metrics.header_bytes_sent_encoded += self.scratch.len() as u64;

        let sid = StreamId::new(self.next_stream_id);
        self.next_stream_id += 2;
        if self.next_stream_id > StreamId::MAX.value() {
            // Ids exhausted: finish what is open, new requests go to a fresh connection.
            self.state = State::Draining;
            self.fail_queued("stream ids exhausted");
        }
        let end_on_headers = p.end && p.body_len == 0;
        let rfc7540 = self.cfg.rfc7540_priorities.then(|| frame::PrioritySpec {
            dependency: StreamId::ZERO,
            exclusive: p.head.priority.exclusive,
            weight: (p.head.priority.weight.clamp(1, 256) - 1) as u8,
        });
        let opened_ms = self.now_ms();
        let start = self.write_buf.len();
        frame::encode_header_block(
            sid,
            &self.scratch,
            end_on_headers,
            rfc7540,
            self.peer.max_frame_size,
            &mut self.write_buf,
        );
        if let Some(lines) = lines {
            trace::sent(self.trace_id, &self.write_buf[start..], None, Some(&lines));
        }
        tracing::debug!(target: trace::PROTO, conn = self.trace_id, stream = sid.value(), request = p.id.0, "stream opened");
        let mut stream = Stream {
            req: p.id,
            priority: p.head.priority,
            turn: 0,
            local_closed: end_on_headers,
            end_queued: p.end,
            remote_closed: false,
            finished: false,
            send_window: Window::new(self.peer.initial_window_size),
            recv_window: Window::new(self.stream_window),
            recv_unacked: 0,
            send_buffered: p.body_len,
            send_buf: p.body,
            send_blocked: p.blocked,
            in_sched: false,
            phase: Phase::AwaitHead,
            no_body: p.head.method == Method::HEAD,
            informational: 0,
            content_length: None,
            received: 0,
            headers_end: self.out_total + self.write_buf.len() as u64,
            opened_ms,
            stalled_since: None,
        };
        stream.in_sched = !end_on_headers && (stream.send_buffered > 0 || stream.end_queued);
        if stream.in_sched {
            self.sched.push(sid, stream.priority);
        }
        self.streams.insert(sid, stream);
        self.ids.insert(p.id, sid);
    }

    /// Moves scheduled DATA into the write buffer, up to the high-water mark.
    fn fill_data(&mut self) {
        // At most a quarter of the peer's connection window per flush. Against a small window
        // (nghttpd's 64 KiB) one big flush hands the peer half its window in one burst, and its
        // credit comes back only after it has processed all of it; smaller flushes let credit
        // return while the rest is on the way (1 MiB uploads to nghttpd: +30% MB/s). Peers
        // with large windows keep `write_high_water`-sized flushes.
        let high = self
            .cfg
            .write_high_water
            .min((self.send_window_peak as usize / 4).max(self.peer.max_frame_size as usize));
        let low = self.cfg.send_buffer_size / 2;
        let weighted = self.cfg.rfc7540_priorities;
        // Streams with data but no connection credit: put back after the loop, so that
        // streams behind them can still send END_STREAM (which needs no credit).
        let mut blocked: Vec<(StreamId, crate::request::Priority)> = Vec::new();
        while self.write_buf.len() < high {
            let Some(sid) = self.sched.pop() else {
                break;
            };
            let conn_avail = self.send_window.available();
            let max_frame = self.peer.max_frame_size;
            let Some(s) = self.streams.get_mut(&sid) else {
                continue;
            };
            s.in_sched = false;
            if s.local_closed {
                continue;
            }
            if s.send_buffered == 0 {
                if s.end_queued {
                    let start = self.write_buf.len();
                    frame::encode_data_head(sid, 0, true, &mut self.write_buf);
                    if trace::frames_enabled() {
                        trace::sent(self.trace_id, &self.write_buf[start..], None, None);
                    }
                    s.local_closed = true;
                    if s.remote_closed {
                        self.remove_stream(sid);
                    }
                }
                continue;
            }
            if conn_avail == 0 {
                introspect::stall(
                    &mut self.metrics,
                    s,
                    self.now.max(self.stats_now),
                    self.epoch,
                );
                s.in_sched = true;
                blocked.push((sid, s.priority));
                continue;
            }
            let stream_avail = s.send_window.available();
            if stream_avail == 0 {
                introspect::stall(
                    &mut self.metrics,
                    s,
                    self.now.max(self.stats_now),
                    self.epoch,
                );
                continue; // resumes on the stream's WINDOW_UPDATE
            }
            let Some(chunk) = s.send_buf.front_mut() else {
                continue;
            };
            let n = chunk
                .len()
                .min(conn_avail as usize)
                .min(stream_avail as usize)
                .min(max_frame as usize);
            let data = chunk.split_to(n);
            if chunk.is_empty() {
                s.send_buf.pop_front();
            }
            s.send_buffered -= n;
            introspect::stall_end(
                &mut self.metrics,
                s.stalled_since.take(),
                self.now.max(self.stats_now),
                self.epoch,
            );
            self.metrics.data_bytes_sent += n as u64;
            let end = s.end_queued && s.send_buffered == 0;
            let start = self.write_buf.len();
            frame::encode_data_head(sid, n as u32, end, &mut self.write_buf);
            self.write_buf.extend_from_slice(&data);
            if trace::frames_enabled() {
                trace::sent(self.trace_id, &self.write_buf[start..], None, None);
            }
            s.send_window.consume(n as u32);
            self.send_window.consume(n as u32);
            let req = s.req;
            if end {
                s.local_closed = true;
                if s.remote_closed {
                    self.remove_stream(sid);
                }
                continue;
            }
            if s.send_buffered > 0
                && (s.send_window.available() == 0 || self.send_window.available() == 0)
            {
                introspect::stall(
                    &mut self.metrics,
                    s,
                    self.now.max(self.stats_now),
                    self.epoch,
                );
            }
            if s.send_blocked && s.send_buffered <= low {
                s.send_blocked = false;
                self.events.push_back(Event::SendReady { id: req });
            }
            if (s.send_buffered > 0 && s.send_window.available() > 0)
                || (s.send_buffered == 0 && s.end_queued)
            {
                s.in_sched = true;
                let prio = s.priority;
                if weighted {
                    self.sched.requeue_weighted(sid, prio, &mut s.turn);
                } else {
                    self.sched.requeue(sid, prio);
                }
            }
        }
        // Back in their previous order (requeue puts sequential streams in front and
        // incremental ones at the back of their bucket).
        for &(sid, prio) in blocked.iter().rev().filter(|(_, p)| !p.incremental) {
            self.sched.requeue(sid, prio);
        }
        for &(sid, prio) in blocked.iter().filter(|(_, p)| p.incremental) {
            self.sched.requeue(sid, prio);
        }
    }

    fn write_frame(&mut self, f: Frame) {
        let start = self.write_buf.len();
        f.encode(&mut self.write_buf);
        if trace::frames_enabled() {
            trace::sent(self.trace_id, &self.write_buf[start..], Some(&f), None);
        }
    }

    fn write_window_update(&mut self, sid: StreamId, increment: u32) {
        self.credit_queued = true;
        self.write_frame(Frame::WindowUpdate(WindowUpdate {
            stream_id: sid,
            increment,
        }));
    }

    fn write_rst(&mut self, sid: StreamId, code: ErrorCode) {
        self.flood
            .spend(Cost::LocalReset, self.now, &self.cfg.flood);
        self.write_frame(Frame::RstStream(RstStream {
            stream_id: sid,
            code,
        }));
    }

    fn write_goaway(&mut self, code: ErrorCode, debug: &'static [u8]) {
        self.write_frame(Frame::GoAway(GoAway {
            last_stream_id: StreamId::ZERO,
            code,
            debug_data: Bytes::from_static(debug),
        }));
    }

    fn release_connection(&mut self, n: u32) {
        if n == 0 || self.state == State::Closed {
            return;
        }
        self.recv_unacked = self.recv_unacked.saturating_add(n);
        if self.recv_unacked >= self.conn_window / 2 {
            let inc = std::mem::take(&mut self.recv_unacked);
            let _ = self.recv_window.adjust(inc as i64);
            self.write_window_update(StreamId::ZERO, inc);
        }
    }

    // ----- endings --------------------------------------------------------------------

    fn fail(&mut self, id: RequestId, error: Error) {
        self.events.push_back(Event::Failed { id, error });
    }

    /// Fails every queued request, unprocessed: on a draining connection they can never
    /// get a stream, and each must still end exactly once.
    fn fail_queued(&mut self, why: &'static str) {
        for p in std::mem::take(&mut self.queue) {
            let e = Error::new(ErrorKind::Closed, why).with_processed(Processed::No);
            self.fail(p.id, e);
        }
    }

    fn remember_reset(&mut self, sid: StreamId) {
        if self.reset_recent.len() >= self.cfg.max_reset_streams_remembered {
            self.reset_recent.pop_front();
        }
        self.reset_recent.push_back(sid);
    }

    fn remove_stream(&mut self, sid: StreamId) {
        if let Some(s) = self.streams.remove(&sid) {
            introspect::stall_end(
                &mut self.metrics,
                s.stalled_since,
                self.now.max(self.stats_now),
                self.epoch,
            );
            self.ids.remove(&s.req);
            tracing::debug!(target: trace::PROTO, conn = self.trace_id, stream = sid.value(), request = s.req.0, "stream closed");
            self.after_stream_closed();
        }
    }

    fn after_stream_closed(&mut self) {
        self.open_queued();
        self.maybe_finish_draining();
    }

    fn maybe_finish_draining(&mut self) {
        if self.state == State::Draining && self.streams.is_empty() && self.queue.is_empty() {
            self.state = State::Closed;
            if self.close_error.is_none() {
                self.close_error = Some(match self.goaway_last {
                    Some(_) => Error::new(ErrorKind::GoAway, "closed after the server's GOAWAY")
                        .with_code(self.goaway_code)
                        .with_origin(Origin::Remote)
                        .with_scope(Scope::Connection),
                    None => Error::new(ErrorKind::Closed, "drained"),
                });
            }
            if self.goaway_last.is_none() {
                self.write_goaway(ErrorCode::NoError, b"");
            }
        }
    }

    /// A stream error we detected: RST_STREAM(code) and `Failed(Protocol)`.
    fn stream_error(&mut self, sid: StreamId, code: ErrorCode, why: &'static str) {
        let e = Error::protocol(code, Origin::Local, Scope::Stream, why);
        self.reset_with(sid, code, e);
    }

    fn reset_with(&mut self, sid: StreamId, code: ErrorCode, error: Error) {
        let Some(s) = self.streams.remove(&sid) else {
            if !self.reset_recent.contains(&sid) {
                self.write_rst(sid, code);
                self.remember_reset(sid);
            }
            return;
        };
        introspect::stall_end(
            &mut self.metrics,
            s.stalled_since,
            self.now.max(self.stats_now),
            self.epoch,
        );
        self.ids.remove(&s.req);
        tracing::debug!(target: trace::PROTO, conn = self.trace_id, stream = sid.value(), request = s.req.0, code = %code, error = %error, "resetting stream");
        self.write_rst(sid, code);
        self.remember_reset(sid);
        if !s.finished {
            self.fail(s.req, error);
        }
        self.after_stream_closed();
    }

    /// A connection error we detected: GOAWAY(code) and every request fails.
    fn connection_error(&mut self, code: ErrorCode, why: &'static str) {
        if self.state == State::Closed {
            return;
        }
        self.partial = None;
        tracing::debug!(target: trace::PROTO, conn = self.trace_id, code = %code, why, "connection error: sending GOAWAY");
        self.write_goaway(code, why.as_bytes());
        let e = Error::protocol(code, Origin::Local, Scope::Connection, why);
        self.fail_everything(&e, Processed::Maybe, true);
        self.state = State::Closed;
        self.close_error = Some(e);
    }

    /// Ends every stream and queued request with `err`. Queued requests are marked
    /// unprocessed so they can be retried; so are requests whose HEADERS never left our
    /// buffer, unless the buffer is still going to be flushed (`flushes`: a GOAWAY follows
    /// it): encoded HEADERS cannot be dropped without desynchronising the server's HPACK
    /// context, so the server will see them.
    fn fail_everything(&mut self, err: &Error, sent: Processed, flushes: bool) {
        let mut streams: Vec<(StreamId, Stream)> = self.streams.drain();
        streams.sort_unstable_by_key(|(sid, _)| *sid);
        self.ids.clear();
        for (_, s) in streams {
            introspect::stall_end(
                &mut self.metrics,
                s.stalled_since,
                self.now.max(self.stats_now),
                self.epoch,
            );
            if s.finished {
                continue;
            }
            let processed = if !flushes && s.headers_end > self.out_total {
                Processed::No
            } else {
                sent
            };
            self.fail(s.req, err.clone().with_processed(processed));
        }
        for p in std::mem::take(&mut self.queue) {
            self.fail(p.id, err.clone().with_processed(Processed::No));
        }
    }
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("state", &self.state)
            .field("streams", &self.streams.len())
            .field("queued", &self.queue.len())
            .field("next_stream_id", &self.next_stream_id)
            .field("peer", &self.peer)
            .finish()
    }
}
