//! The hostile-server conformance catalogue (issue 9): scenarios named after the RFC 9113 /
//! RFC 7541 section they exercise, each a data entry — what the scripted server sends (raw
//! bytes, so anything malformed can be expressed), what the real [`Client`] must report to
//! its caller, and which frame (GOAWAY / RST_STREAM with which code) the client must send.
//!
//! Every scenario runs over loopback TCP against [`RawServer`]: a reader thread records every
//! frame the client writes, so the expectation on the client's frames is checked on the wire.
//! Every scenario has a watchdog: a hang is a failure, never a stuck test. Floods are measured
//! (wall time, process CPU, peak RSS).
//!
//! Run it with `make conformance` (table) or `cargo test -p h2o-e2e --test conformance`.
//!
//! ```no_run
//! let results = h2o_e2e::conformance::run_all(None);
//! assert!(results.iter().all(|r| r.pass));
//! ```

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use h2o_core::client::{block_on, Request};
use h2o_core::frame::{ErrorCode, Frame, FrameDecoder};
use h2o_core::{Client, Config, ErrorKind};

use crate::raw::{RawConn, RawServer};

// ----- wire helpers (raw bytes, so malformed frames are as easy as good ones) ----------

/// Frame type numbers.
pub mod ty {
    pub const DATA: u8 = 0;
    pub const HEADERS: u8 = 1;
    pub const PRIORITY: u8 = 2;
    pub const RST_STREAM: u8 = 3;
    pub const SETTINGS: u8 = 4;
    pub const PUSH_PROMISE: u8 = 5;
    pub const PING: u8 = 6;
    pub const GOAWAY: u8 = 7;
    pub const WINDOW_UPDATE: u8 = 8;
    pub const CONTINUATION: u8 = 9;
}

/// Frame flags.
pub mod fl {
    pub const END_STREAM: u8 = 0x1;
    pub const ACK: u8 = 0x1;
    pub const END_HEADERS: u8 = 0x4;
    pub const PADDED: u8 = 0x8;
    pub const PRIORITY: u8 = 0x20;
}

/// One frame: 9-byte header (24-bit length from `payload`) and payload, as is.
pub fn frame(kind: u8, flags: u8, sid: u32, payload: &[u8]) -> Vec<u8> {
    let len = payload.len() as u32;
    let mut v = Vec::with_capacity(9 + payload.len());
    v.extend_from_slice(&len.to_be_bytes()[1..]);
    v.push(kind);
    v.push(flags);
    v.extend_from_slice(&sid.to_be_bytes());
    v.extend_from_slice(payload);
    v
}

/// A frame header claiming `len` bytes (no payload): for oversize and truncation cases.
pub fn frame_head(len: u32, kind: u8, flags: u8, sid: u32) -> Vec<u8> {
    let mut v = len.to_be_bytes()[1..].to_vec();
    v.push(kind);
    v.push(flags);
    v.extend_from_slice(&sid.to_be_bytes());
    v
}

/// HPACK integer with an `n`-bit prefix whose high bits are `first`.
pub fn hpack_int(first: u8, n: u32, mut value: usize, out: &mut Vec<u8>) {
    let max = (1usize << n) - 1;
    if value < max {
        out.push(first | value as u8);
        return;
    }
    out.push(first | max as u8);
    value -= max;
    while value >= 128 {
        out.push((value % 128) as u8 | 0x80);
        value /= 128;
    }
    out.push(value as u8);
}

/// An HPACK string literal, not Huffman-coded.
pub fn hpack_str(s: &[u8], out: &mut Vec<u8>) {
    hpack_int(0, 7, s.len(), out);
    out.extend_from_slice(s);
}

/// A header block of literals without indexing (new names): no dynamic-table state, so
/// blocks can be built independently and never desynchronise the client's decoder.
pub fn block(fields: &[(&str, &str)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (n, v) in fields {
        out.push(0);
        hpack_str(n.as_bytes(), &mut out);
        hpack_str(v.as_bytes(), &mut out);
    }
    out
}

/// HEADERS with END_HEADERS (plus `flags`).
pub fn headers(sid: u32, flags: u8, fields: &[(&str, &str)]) -> Vec<u8> {
    frame(ty::HEADERS, fl::END_HEADERS | flags, sid, &block(fields))
}

/// DATA frame.
pub fn data(sid: u32, flags: u8, payload: &[u8]) -> Vec<u8> {
    frame(ty::DATA, flags, sid, payload)
}

/// SETTINGS with (id, value) pairs.
pub fn settings(pairs: &[(u16, u32)]) -> Vec<u8> {
    let mut p = Vec::new();
    for (id, v) in pairs {
        p.extend_from_slice(&id.to_be_bytes());
        p.extend_from_slice(&v.to_be_bytes());
    }
    frame(ty::SETTINGS, 0, 0, &p)
}

/// SETTINGS ACK.
pub fn settings_ack() -> Vec<u8> {
    frame(ty::SETTINGS, fl::ACK, 0, &[])
}

/// RST_STREAM.
pub fn rst(sid: u32, code: ErrorCode) -> Vec<u8> {
    frame(ty::RST_STREAM, 0, sid, &code.to_u32().to_be_bytes())
}

/// GOAWAY with debug data.
pub fn goaway(last: u32, code: ErrorCode, debug: &[u8]) -> Vec<u8> {
    let mut p = last.to_be_bytes().to_vec();
    p.extend_from_slice(&code.to_u32().to_be_bytes());
    p.extend_from_slice(debug);
    frame(ty::GOAWAY, 0, 0, &p)
}

/// WINDOW_UPDATE.
pub fn window_update(sid: u32, inc: u32) -> Vec<u8> {
    frame(ty::WINDOW_UPDATE, 0, sid, &inc.to_be_bytes())
}

/// PING (flags 0 or ACK).
pub fn ping(flags: u8, payload: [u8; 8]) -> Vec<u8> {
    frame(ty::PING, flags, 0, &payload)
}

/// A complete 200 response with a content-length.
pub fn response(sid: u32, body: &[u8]) -> Vec<u8> {
    let len = body.len().to_string();
    let mut v = headers(sid, 0, &[(":status", "200"), ("content-length", &len)]);
    v.extend(data(sid, fl::END_STREAM, body));
    v
}

/// `frame` repeated `n` times.
pub fn repeat(f: &[u8], n: usize) -> Vec<u8> {
    f.repeat(n)
}

/// Concatenation.
pub fn cat(parts: &[Vec<u8>]) -> Vec<u8> {
    parts.concat()
}

// ----- scenario data --------------------------------------------------------------------

/// The issue's bullet groups.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Group {
    /// Frame format: sizes, lengths, stream ids, unknown types/flags, padding.
    Frame,
    /// Stream and connection state, flow control.
    State,
    /// RFC 7541 decoding.
    Hpack,
    /// HTTP semantics of responses (RFC 9113 §8).
    Semantics,
    /// Frames that cost work and carry nothing.
    Flood,
    /// Servers that stop or trickle.
    Stall,
    /// GOAWAY variants and connection endings.
    GoAway,
}

impl Group {
    /// Lowercase name.
    pub fn name(self) -> &'static str {
        match self {
            Group::Frame => "frame",
            Group::State => "state",
            Group::Hpack => "hpack",
            Group::Semantics => "semantics",
            Group::Flood => "flood",
            Group::Stall => "stall",
            Group::GoAway => "goaway",
        }
    }
}

/// A custom script step: gets the server side of the connection; Err fails the scenario.
pub type CustomStep = fn(&mut Srv) -> Result<(), String>;

/// What the scripted server does, in order.
#[derive(Clone)]
pub enum Step {
    /// Read the client preface, send empty SETTINGS and a SETTINGS ACK.
    Handshake,
    /// Read the client preface only.
    Preface,
    /// Wait for the next request HEADERS from the client.
    Await,
    /// Write these bytes.
    Send(Vec<u8>),
    /// Write these bytes one at a time, `every` apart (stops if the client goes away).
    Trickle(Vec<u8>, Duration),
    /// Write these bytes `n` times, `every` apart (stops if the client goes away).
    Drip(Vec<u8>, usize, Duration),
    /// Sleep.
    Sleep(Duration),
    /// Close the TCP connection (both directions).
    Close,
    /// Anything else.
    Custom(CustomStep),
}

/// What the caller must see for a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expect {
    /// A final response with this status, and the whole body read without error.
    Ok(u16),
    /// An error of this kind (and RFC code, when `Some`), at the head or in the body.
    Fail(ErrorKind, Option<ErrorCode>),
}

/// What the client must have written to the server.
#[derive(Clone)]
pub enum Sent {
    /// GOAWAY with this code (a connection error), and then closed the connection.
    GoAway(ErrorCode),
    /// RST_STREAM with this code on some stream, and no GOAWAY with an error code.
    Rst(ErrorCode),
    /// Neither RST_STREAM nor GOAWAY (while the request ran and shortly after).
    Quiet,
    /// A frame matching the predicate (described by the text).
    Has(&'static str, fn(&Frame) -> bool),
    /// Not checked.
    Any,
}

impl Sent {
    /// The expectation as text, e.g. `GOAWAY(PROTOCOL_ERROR)`.
    pub fn describe(&self) -> String {
        match self {
            Sent::GoAway(c) => format!("GOAWAY({})", c.name()),
            Sent::Rst(c) => format!("RST_STREAM({})", c.name()),
            Sent::Quiet => "no RST/GOAWAY".into(),
            Sent::Has(d, _) => (*d).into(),
            Sent::Any => "-".into(),
        }
    }
}

/// One catalogue entry.
#[derive(Clone)]
pub struct Scenario {
    /// `<rfc>-<section>-<what>`, e.g. `9113-6.1-data-on-stream-0`.
    pub name: &'static str,
    /// Its group.
    pub group: Group,
    /// What the server does and why the expectation follows from the RFC.
    pub description: &'static str,
    /// The server script for the first connection (later ones get a plain well-behaved server).
    pub script: Vec<Step>,
    /// Requests the caller sends (GET, or POST when `post_body` > 0).
    pub requests: usize,
    /// Requests after the first are sent this long after it.
    pub stagger: Duration,
    /// Request body size (0: GET).
    pub post_body: usize,
    /// Client configuration on top of the catalogue's base (no retries, short timeouts).
    pub config: fn(&mut Config),
    /// Per request (the last entry repeats for the rest).
    pub expect: Vec<Expect>,
    /// What the client writes.
    pub sent: Sent,
    /// Watchdog for the whole scenario.
    pub timeout: Duration,
    /// TCP connections the client must have opened (unchecked when `None`).
    pub connections: Option<usize>,
}

fn no_config(_: &mut Config) {}

/// Starts a scenario entry (one GET, handshake done by the script's caller).
pub fn sc(name: &'static str, group: Group, description: &'static str) -> Scenario {
    Scenario {
        name,
        group,
        description,
        script: Vec::new(),
        requests: 1,
        stagger: Duration::ZERO,
        post_body: 0,
        config: no_config,
        expect: vec![Expect::Ok(200)],
        sent: Sent::Quiet,
        timeout: Duration::from_secs(10),
        connections: None,
    }
}

impl Scenario {
    /// Script from the start (the server handles the preface itself).
    pub fn script(mut self, steps: Vec<Step>) -> Self {
        self.script = steps;
        self
    }
    /// Handshake, wait for the request, then send `bytes`.
    pub fn then_send(self, bytes: Vec<u8>) -> Self {
        self.script(vec![Step::Handshake, Step::Await, Step::Send(bytes)])
    }
    /// Handshake, wait for the request, then these steps.
    pub fn after_request(self, mut steps: Vec<Step>) -> Self {
        steps.insert(0, Step::Await);
        steps.insert(0, Step::Handshake);
        self.script(steps)
    }
    /// Success with 200 and no RST/GOAWAY.
    pub fn ok(mut self) -> Self {
        self.expect = vec![Expect::Ok(200)];
        self.sent = Sent::Quiet;
        self
    }
    /// A connection error we detect: the caller sees `Protocol(code)`, we send GOAWAY(code).
    pub fn conn_error(mut self, code: ErrorCode) -> Self {
        self.expect = vec![Expect::Fail(ErrorKind::Protocol, Some(code))];
        self.sent = Sent::GoAway(code);
        self
    }
    /// A stream error we detect: the caller sees `Protocol(code)`, we send RST_STREAM(code).
    pub fn stream_error(mut self, code: ErrorCode) -> Self {
        self.expect = vec![Expect::Fail(ErrorKind::Protocol, Some(code))];
        self.sent = Sent::Rst(code);
        self
    }
    /// Explicit expectation.
    pub fn expect(mut self, e: Expect, sent: Sent) -> Self {
        self.expect = vec![e];
        self.sent = sent;
        self
    }
    /// Per-request expectations.
    pub fn expect_each(mut self, e: Vec<Expect>, sent: Sent) -> Self {
        self.requests = e.len();
        self.expect = e;
        self.sent = sent;
        self
    }
    /// Client configuration.
    pub fn config(mut self, f: fn(&mut Config)) -> Self {
        self.config = f;
        self
    }
    /// Requests after the first wait this long.
    pub fn stagger(mut self, d: Duration) -> Self {
        self.stagger = d;
        self
    }
    /// The client must open exactly `n` connections.
    pub fn connections(mut self, n: usize) -> Self {
        self.connections = Some(n);
        self
    }
    /// POST with a body of `n` bytes.
    pub fn post(mut self, n: usize) -> Self {
        self.post_body = n;
        self
    }
}

// ----- the server side ------------------------------------------------------------------

/// What the reader thread saw from the client.
#[derive(Default)]
pub struct Wire {
    /// Every frame the client sent, in order.
    pub frames: Vec<Frame>,
    /// The client closed (or reset) the connection.
    pub eof: bool,
    /// The client sent something our decoder rejects.
    pub bad: Option<String>,
}

/// The server side of one scripted connection.
pub struct Srv {
    /// The socket (write half; the reader thread holds a clone).
    pub stream: TcpStream,
    /// Frames from the client, as they arrive.
    pub rx: Receiver<Frame>,
    /// Stream ids of the request HEADERS seen by `Await` / `await_request`.
    pub requests: Vec<u32>,
}

impl Srv {
    /// Writes bytes (errors ignored: the client may have hung up on purpose).
    pub fn send(&mut self, b: &[u8]) {
        let _ = self.stream.write_all(b);
    }
    /// The next frame from the client within `t`.
    pub fn next(&mut self, t: Duration) -> Option<Frame> {
        self.rx.recv_timeout(t).ok()
    }
    /// Waits for request HEADERS; returns the stream id.
    pub fn await_request(&mut self) -> Result<u32, String> {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(Frame::Headers(h)) => {
                    self.requests.push(h.stream_id.value());
                    return Ok(h.stream_id.value());
                }
                Ok(_) => {}
                Err(_) => return Err("no request HEADERS from the client".into()),
            }
        }
    }
    /// Collects DATA bytes on `sid` until `quiet` passes without any; (bytes, END_STREAM seen).
    pub fn read_data(&mut self, sid: u32, quiet: Duration) -> (usize, bool) {
        let mut n = 0;
        while let Some(f) = self.next(quiet) {
            if let Frame::Data(d) = f {
                if d.stream_id.value() == sid {
                    n += d.data.len();
                    if d.end_stream {
                        return (n, true);
                    }
                }
            }
        }
        (n, false)
    }
}

fn run_step(srv: &mut Srv, step: &Step) -> Result<(), String> {
    match step {
        Step::Handshake => {
            read_preface(srv)?;
            srv.send(&settings(&[]));
            srv.send(&settings_ack());
        }
        Step::Preface => read_preface(srv)?,
        Step::Await => {
            srv.await_request()?;
        }
        Step::Send(b) => srv.send(b),
        Step::Trickle(b, every) => {
            for byte in b {
                if srv.stream.write_all(&[*byte]).is_err() {
                    break;
                }
                std::thread::sleep(*every);
            }
        }
        Step::Drip(b, n, every) => {
            for _ in 0..*n {
                if srv.stream.write_all(b).is_err() {
                    break;
                }
                std::thread::sleep(*every);
            }
        }
        Step::Sleep(d) => std::thread::sleep(*d),
        Step::Close => {
            let _ = srv.stream.shutdown(Shutdown::Both);
        }
        Step::Custom(f) => f(srv)?,
    }
    Ok(())
}

/// The preface is read by the reader thread (it must see it before frames): this only
/// waits for the client's first SETTINGS as proof it arrived.
fn read_preface(srv: &mut Srv) -> Result<(), String> {
    match srv.next(Duration::from_secs(5)) {
        Some(Frame::Settings(s)) if !s.ack => Ok(()),
        Some(f) => Err(format!("client's first frame is not SETTINGS: {f:?}")),
        None => Err("no client preface".into()),
    }
}

/// Reads the client's bytes: preface, then frames into `wire` and the channel.
fn reader(mut s: TcpStream, wire: Arc<Mutex<Wire>>, tx: mpsc::Sender<Frame>) {
    let mut pre = [0u8; 24];
    if s.read_exact(&mut pre).is_err() || &pre != h2o_core::frame::PREFACE {
        let mut w = wire.lock().unwrap();
        w.eof = true;
        return;
    }
    let mut dec = FrameDecoder::new();
    let mut buf = BytesMut::new();
    let mut chunk = vec![0u8; 64 << 10];
    loop {
        loop {
            match dec.decode(&mut buf) {
                Ok(Some(f)) => {
                    wire.lock().unwrap().frames.push(f.clone());
                    let _ = tx.send(f);
                }
                Ok(None) => break,
                Err(e) => {
                    let mut w = wire.lock().unwrap();
                    w.bad = Some(e.to_string());
                    w.eof = true;
                    return;
                }
            }
        }
        match s.read(&mut chunk) {
            Ok(0) | Err(_) => {
                wire.lock().unwrap().eof = true;
                return;
            }
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

/// A well-behaved server for connections after the first (e.g. after GOAWAY).
fn plain_server(mut c: RawConn) {
    c.handshake();
    while let Some(f) = c.read_frame() {
        if let Frame::Headers(h) = f {
            c.respond(h.stream_id.value(), b"ok");
        }
    }
}

// ----- the runner -------------------------------------------------------------------------

/// The outcome of one scenario.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// Scenario name.
    pub name: &'static str,
    /// Group.
    pub group: Group,
    /// Expected, as text.
    pub expected: String,
    /// Observed, as text.
    pub observed: String,
    /// Whether everything matched.
    pub pass: bool,
    /// Why not.
    pub why: String,
    /// Wall time.
    pub elapsed: Duration,
    /// Process CPU time (user + system) during the scenario.
    pub cpu: Duration,
    /// Peak RSS of the process during the scenario (reset before it), bytes; 0 if unknown.
    pub peak_rss: u64,
    /// Peak RSS minus the RSS when the scenario started (bytes): what the scenario cost.
    pub rss_growth: u64,
    /// TCP connections the client opened.
    pub connections: usize,
}

fn describe_expect(e: &[Expect]) -> String {
    e.iter()
        .map(|e| match e {
            Expect::Ok(s) => format!("ok {s}"),
            Expect::Fail(k, Some(c)) => format!("{}({})", k.name(), c.name()),
            Expect::Fail(k, None) => k.name().to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

type Got = Result<(u16, usize), h2o_core::Error>;

fn describe_got(g: &[Got]) -> String {
    g.iter()
        .map(|g| match g {
            Ok((s, n)) => format!("ok {s} ({n} B)"),
            Err(e) => match e.code() {
                Some(c) => format!("{}({})", e.kind().name(), c.name()),
                None => e.kind().name().to_string(),
            },
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn matches(e: &Expect, g: &Got) -> bool {
    match (e, g) {
        (Expect::Ok(s), Ok((st, _))) => s == st,
        (Expect::Fail(k, c), Err(err)) => err.kind() == *k && (c.is_none() || err.code() == *c),
        _ => false,
    }
}

/// The base client configuration of every scenario: no retries (one script run per
/// request), short SETTINGS and header timeouts so nothing waits long.
pub fn base_config() -> Config {
    let mut cfg = Config {
        max_retries: 0,
        settings_timeout: Duration::from_secs(3),
        headers_timeout: Some(Duration::from_secs(4)),
        ..Config::default()
    };
    cfg.pool.retry_idempotent = false;
    cfg
}

fn proc_cpu() -> Duration {
    let Ok(s) = std::fs::read_to_string("/proc/self/stat") else {
        return Duration::ZERO;
    };
    // Fields after the command name (which is in parentheses and may contain spaces).
    let rest = s.rsplit_once(')').map(|x| x.1).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    // utime and stime are fields 14 and 15 (1-based); `rest` starts at field 3.
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn peak_rss() -> u64 {
    status_kb("VmHWM:")
}

fn current_rss() -> u64 {
    status_kb("VmRSS:")
}

fn status_kb(key: &str) -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// The server half of one scenario: a listener on 127.0.0.1 whose first connection runs the
/// scenario's script (later connections get a well-behaved server), with a reader thread
/// recording every frame the client writes. Shared by the Rust runner ([`run`]) and the
/// `hostile_server` binary that serves the catalogue to the C API's tests, so both check
/// the same script and the same expectations.
///
/// ```no_run
/// let s = &h2o_e2e::catalogue::catalogue()[0];
/// let srv = h2o_e2e::conformance::ScenarioServer::start(s);
/// // ... drive a client at srv.url("/") and wait for its outcome, keeping it alive ...
/// let problems = srv.verdict(s);
/// assert!(problems.is_empty(), "{problems:?}");
/// ```
pub struct ScenarioServer {
    server: RawServer,
    wire: Arc<Mutex<Wire>>,
    script_err: Arc<Mutex<Option<String>>>,
    conns: Arc<AtomicUsize>,
}

impl ScenarioServer {
    /// Starts listening (ephemeral port) and serving `s.script` to the first connection.
    pub fn start(s: &Scenario) -> ScenarioServer {
        let wire = Arc::new(Mutex::new(Wire::default()));
        let script_err: Arc<Mutex<Option<String>>> = Arc::new(Mutex::new(None));
        let conns = Arc::new(AtomicUsize::new(0));
        let server = {
            let (wire, script_err, conns) = (wire.clone(), script_err.clone(), conns.clone());
            let script = s.script.clone();
            RawServer::start(move |c| {
                if conns.fetch_add(1, Ordering::SeqCst) > 0 {
                    return plain_server(c);
                }
                let (tx, rx) = mpsc::channel();
                let rd = c.stream.try_clone().expect("clone socket");
                let w2 = wire.clone();
                std::thread::spawn(move || reader(rd, w2, tx));
                let mut srv = Srv {
                    stream: c.stream,
                    rx,
                    requests: Vec::new(),
                };
                for step in &script {
                    if let Err(e) = run_step(&mut srv, step) {
                        *script_err.lock().unwrap() = Some(e);
                        break;
                    }
                }
                // Keep the socket open until the client closes it (the reader sees EOF).
                while srv.rx.recv_timeout(Duration::from_secs(30)).is_ok() {}
            })
        };
        ScenarioServer {
            server,
            wire,
            script_err,
            conns,
        }
    }

    /// The listening port.
    pub fn port(&self) -> u16 {
        self.server.port
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        self.server.url(path)
    }

    /// TCP connections accepted so far.
    pub fn connections(&self) -> usize {
        self.conns.load(Ordering::SeqCst)
    }

    /// Checks the server side once the caller has its outcomes (keep the client alive until
    /// this returns): the frames the client wrote (`s.sent`, waiting up to 3 s for them to
    /// arrive), a valid frame stream, the script's own checks and the connection count.
    /// Returns the problems (empty: pass).
    pub fn verdict(&self, s: &Scenario) -> Vec<String> {
        let mut why = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(3);
        let quiet = matches!(s.sent, Sent::Quiet);
        if quiet {
            std::thread::sleep(Duration::from_millis(100));
        }
        let sent_result = loop {
            let r = check_sent(&s.sent, &self.wire.lock().unwrap());
            if r.is_ok() || quiet || Instant::now() > deadline {
                break r;
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        if let Err(e) = sent_result {
            why.push(e);
        }
        if let Some(bad) = &self.wire.lock().unwrap().bad {
            why.push(format!("client sent an invalid frame: {bad}"));
        }
        if let Some(e) = self.script_err.lock().unwrap().take() {
            why.push(format!("script: {e}"));
        }
        let opened = self.connections();
        if let Some(n) = s.connections {
            if opened != n {
                why.push(format!(
                    "expected {n} connections, the client opened {opened}"
                ));
            }
        }
        why
    }
}

impl Drop for ScenarioServer {
    /// Stops listening (a long-lived `hostile_server` starts one per scenario run).
    fn drop(&mut self) {
        self.server.stop();
    }
}

/// Whether what the client wrote (`w`) matches `sent`.
fn check_sent(sent: &Sent, w: &Wire) -> Result<(), String> {
    let goaway_err = w.frames.iter().find_map(|f| match f {
        Frame::GoAway(g) if g.code != ErrorCode::NoError => Some(g.code),
        _ => None,
    });
    let rsts: Vec<ErrorCode> = w
        .frames
        .iter()
        .filter_map(|f| match f {
            Frame::RstStream(r) => Some(r.code),
            _ => None,
        })
        .collect();
    match sent {
        Sent::GoAway(c) => match goaway_err {
            Some(g) if g == *c && w.eof => Ok(()),
            Some(g) if g == *c => Err("GOAWAY sent but the connection was not closed".into()),
            other => Err(format!(
                "expected GOAWAY({}), client sent {other:?}",
                c.name()
            )),
        },
        Sent::Rst(c) => {
            if let Some(g) = goaway_err {
                Err(format!("unexpected GOAWAY({})", g.name()))
            } else if rsts.contains(c) {
                Ok(())
            } else {
                Err(format!(
                    "expected RST_STREAM({}), client sent {rsts:?}",
                    c.name()
                ))
            }
        }
        Sent::Quiet => {
            let any_goaway = w.frames.iter().any(|f| matches!(f, Frame::GoAway(_)));
            if rsts.is_empty() && !any_goaway {
                Ok(())
            } else {
                Err(format!(
                    "expected no RST/GOAWAY, got RST {rsts:?}, GOAWAY {any_goaway}"
                ))
            }
        }
        Sent::Has(d, p) => {
            if w.frames.iter().any(p) {
                Ok(())
            } else {
                Err(format!("expected the client to send {d}"))
            }
        }
        Sent::Any => Ok(()),
    }
}

/// The client configuration of a scenario: [`base_config`] plus its own changes.
pub fn scenario_config(s: &Scenario) -> Config {
    let mut cfg = base_config();
    (s.config)(&mut cfg);
    cfg
}

/// Runs one scenario.
pub fn run(s: &Scenario) -> Outcome {
    let t0 = Instant::now();
    let cpu0 = proc_cpu();
    reset_peak_rss();
    let rss0 = current_rss();
    let server = ScenarioServer::start(s);

    // The caller, on its own thread so a hang is caught by the watchdog.
    let cfg = scenario_config(s);
    let (done_tx, done_rx) = mpsc::channel();
    let (hold_tx, hold_rx) = mpsc::channel::<()>();
    let url = server.url("/");
    let (n, stagger, post) = (s.requests, s.stagger, s.post_body);
    std::thread::spawn(move || {
        let client = match Client::with_config(cfg) {
            Ok(c) => c,
            Err(e) => {
                let _ = done_tx.send(vec![Err(e)]);
                return;
            }
        };
        let mk = |i: usize| {
            let req = if post > 0 {
                Request::post(&url).unwrap().body(vec![b'p'; post])
            } else {
                Request::get(&format!("{url}{i}")).unwrap()
            };
            client.send(req)
        };
        let mut futs = vec![mk(0)];
        if n > 1 && !stagger.is_zero() {
            std::thread::sleep(stagger);
        }
        futs.extend((1..n).map(mk));
        let got: Vec<Got> = futs
            .into_iter()
            .map(|f| {
                block_on(async {
                    let mut r = f.await?;
                    let mut len = 0;
                    while let Some(c) = r.chunk().await? {
                        len += c.len();
                    }
                    Ok((r.status(), len))
                })
            })
            .collect();
        let _ = done_tx.send(got);
        // Keep the client (and its connections) alive until the runner has checked the wire.
        let _ = hold_rx.recv_timeout(Duration::from_secs(30));
        client.close();
    });

    let mut why = Vec::new();
    let got = match done_rx.recv_timeout(s.timeout) {
        Ok(g) => g,
        Err(RecvTimeoutError::Timeout) => {
            why.push(format!("HANG: no outcome within {:?}", s.timeout));
            Vec::new()
        }
        Err(RecvTimeoutError::Disconnected) => {
            why.push("caller thread panicked".to_string());
            Vec::new()
        }
    };
    let elapsed = t0.elapsed();
    if !got.is_empty() {
        for (i, g) in got.iter().enumerate() {
            let e = s.expect.get(i).or(s.expect.last()).unwrap();
            if !matches(e, g) {
                why.push(format!("request {i}: expected {:?}, got {g:?}", e));
            }
        }
    }
    why.extend(server.verdict(s));
    let opened = server.connections();
    let peak = peak_rss();
    let cpu = proc_cpu().saturating_sub(cpu0);
    let _ = hold_tx.send(());
    Outcome {
        name: s.name,
        group: s.group,
        expected: format!("{} / {}", describe_expect(&s.expect), s.sent.describe()),
        observed: if got.is_empty() {
            "hang".into()
        } else {
            describe_got(&got)
        },
        pass: why.is_empty(),
        why: why.join("; "),
        elapsed,
        cpu,
        peak_rss: peak,
        rss_growth: peak.saturating_sub(rss0),
        connections: opened,
    }
}

/// Runs every scenario whose name contains `filter` (all when `None`), in order.
pub fn run_all(filter: Option<&str>) -> Vec<Outcome> {
    crate::catalogue::catalogue()
        .iter()
        .filter(|s| filter.is_none_or(|f| s.name.contains(f) || s.group.name() == f))
        .map(run)
        .collect()
}

/// The results as a text table (plus a per-group summary).
pub fn table(results: &[Outcome]) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let mb = |b: u64| format!("{:.1}", b as f64 / (1 << 20) as f64);
    let _ = writeln!(
        out,
        "{:<52} {:<9} {:<4} {:>6} {:>6} {:>7} {:>6}  {:<46} observed",
        "scenario",
        "group",
        "ok",
        "ms",
        "cpu ms",
        "peak MB",
        "+MB",
        "expected (caller / client sends)"
    );
    for r in results {
        let _ = writeln!(
            out,
            "{:<52} {:<9} {:<4} {:>6} {:>6} {:>7} {:>6}  {:<46} {}",
            r.name,
            r.group.name(),
            if r.pass { "PASS" } else { "FAIL" },
            r.elapsed.as_millis(),
            r.cpu.as_millis(),
            mb(r.peak_rss),
            mb(r.rss_growth),
            r.expected,
            r.observed,
        );
        if !r.pass {
            let _ = writeln!(out, "    -> {}", r.why);
        }
    }
    let mut groups: Vec<Group> = results.iter().map(|r| r.group).collect();
    groups.sort();
    groups.dedup();
    let _ = writeln!(out);
    for g in groups {
        let all = results.iter().filter(|r| r.group == g).count();
        let pass = results.iter().filter(|r| r.group == g && r.pass).count();
        let _ = writeln!(out, "{:<10} {pass}/{all} pass", g.name());
    }
    let pass = results.iter().filter(|r| r.pass).count();
    let _ = writeln!(out, "{:<10} {pass}/{} pass", "total", results.len());
    out
}
