//! Fuzz the whole sans-IO client `Connection`: a client with a few submitted requests is fed
//! server bytes — a mix of raw fuzz bytes and well-formed frames built from the input (so the
//! fuzzer gets past the frame and HPACK layers into the state machine) — interleaved with
//! caller actions (submit, stream body, cancel, release, time passing, partial writes).
//!
//! Invariants:
//! - no panic;
//! - events only name submitted requests; nothing follows `Failed`, only `SendReady`
//!   follows `Done`; after the connection is closed (transport loss at the end) every
//!   submitted request has ended exactly once;
//! - buffered memory is bounded: response bytes delivered and not released stay within the
//!   connection window plus `max_buffered_per_connection`, and the write buffer within a
//!   fixed multiple of what went in.
//!
//! Input: a sequence of ops, each one tag byte followed by its arguments (see `Op`). The
//! first byte picks the server's SETTINGS preface variant (or none: raw from the start).
#![no_main]

use std::collections::HashMap;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use h2o_core::proto::{Connection, Event, ProtoConfig, RequestId};
use h2o_core::{Error, ErrorKind, Method, RequestHead, Url};
use libfuzzer_sys::fuzz_target;

struct Input<'a>(&'a [u8]);

impl<'a> Input<'a> {
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }
    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_be_bytes([self.byte()?, self.byte()?]))
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_be_bytes([self.byte()?, self.byte()?, self.byte()?, self.byte()?]))
    }
    fn bytes(&mut self, n: usize) -> &'a [u8] {
        let n = n.min(self.0.len());
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        a
    }
}

fn frame(out: &mut Vec<u8>, kind: u8, flags: u8, sid: u32, payload: &[u8]) {
    out.extend_from_slice(&(payload.len() as u32).to_be_bytes()[1..]);
    out.push(kind);
    out.push(flags);
    out.extend_from_slice(&sid.to_be_bytes());
    out.extend_from_slice(payload);
}

/// Stream ids worth hitting: ours (1, 3, 5, ...), idle ones, even ones, 0, the reserved bit.
fn stream_id(b: u8, next_odd: u32) -> u32 {
    match b % 8 {
        0 => 0,
        1..=4 => (2 * (b as u32 >> 3) + 1).min(next_odd + 2),
        5 => next_odd + 2,
        6 => 2,
        _ => 0x8000_0001,
    }
}

const FIELDS: &[(&[u8], &[u8])] = &[
    (b":status", b"200"),
    (b":status", b"100"),
    (b":status", b"103"),
    (b":status", b"204"),
    (b":status", b"304"),
    (b":status", b"404"),
    (b":status", b"101"),
    (b"content-length", b"0"),
    (b"content-length", b"5"),
    (b"content-length", b"100000"),
    (b"content-type", b"text/plain"),
    (b"x-trailer", b"1"),
    (b"connection", b"close"),
    (b"X-Upper", b"a"),
    (b":path", b"/"),
    (b"x-long", b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
];

struct Harness {
    conn: Connection,
    now: Instant,
    next_req: u64,
    submitted: Vec<RequestId>,
    /// Per request: terminal event seen (Some(true) = Failed, Some(false) = Done).
    ended: HashMap<RequestId, bool>,
    unreleased: HashMap<RequestId, usize>,
    cfg: ProtoConfig,
    fed: usize,
    written: usize,
    ours: usize,
}

impl Harness {
    fn submit(&mut self, method: u8, body: usize, end: bool) {
        let id = RequestId(self.next_req);
        self.next_req += 1;
        let url = Url::parse("http://127.0.0.1/fuzz").unwrap();
        let m = match method % 4 {
            0 => Method::GET,
            1 => Method::POST,
            2 => Method::HEAD,
            _ => Method::PUT,
        };
        let mut head = RequestHead::new(m, &url);
        if method & 0x10 != 0 {
            head.headers.append("x-fuzz", Bytes::from_static(b"1"));
        }
        let b = (body > 0).then(|| Bytes::from(vec![b'b'; body]));
        self.ours += body + 256;
        self.submitted.push(id);
        self.conn.submit(id, head, b, end);
        self.drain();
    }

    fn drain(&mut self) {
        while let Some(ev) = self.conn.poll_event() {
            let id = ev.id();
            assert!(self.submitted.contains(&id), "event for unknown {id:?}: {ev:?}");
            match self.ended.get(&id) {
                Some(true) => panic!("event after Failed: {ev:?}"),
                Some(false) => assert!(
                    matches!(ev, Event::SendReady { .. }),
                    "event after Done: {ev:?}"
                ),
                None => {}
            }
            match ev {
                Event::Done { .. } => {
                    self.ended.insert(id, false);
                }
                Event::Failed { .. } => {
                    self.ended.insert(id, true);
                }
                Event::Data { data, .. } => {
                    *self.unreleased.entry(id).or_default() += data.len();
                }
                _ => {}
            }
        }
        let unreleased: usize = self.unreleased.values().sum();
        let bound = self.cfg.connection_window_size as usize
            + self.cfg.max_buffered_per_connection
            + 16_384;
        assert!(unreleased <= bound, "{unreleased} bytes buffered unreleased (bound {bound})");
        let wbuf = self.conn.poll_transmit().len();
        let wbound = (1 << 20) + 4 * self.fed + 2 * self.ours;
        assert!(wbuf <= wbound, "write buffer {wbuf} bytes (bound {wbound})");
    }

    fn recv(&mut self, bytes: &[u8]) {
        self.fed += bytes.len();
        self.conn.recv(bytes, self.now);
        self.drain();
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    let Some(mode) = input.byte() else { return };
    let cfg = ProtoConfig {
        initial_window_size: 65_535,
        connection_window_size: 65_535,
        max_buffered_per_connection: 65_536,
        adaptive_window: false,
        max_header_list_size: 16_384,
        send_buffer_size: 32 << 10,
        ..ProtoConfig::default()
    };
    let now = Instant::now();
    let mut h = Harness {
        conn: Connection::new(cfg.clone(), now),
        now,
        next_req: 1,
        submitted: Vec::new(),
        ended: HashMap::new(),
        unreleased: HashMap::new(),
        cfg,
        fed: 0,
        written: 0,
        ours: 0,
    };
    for i in 0..(mode & 3) as usize + 1 {
        h.submit(i as u8, if i == 1 { 70_000 } else { 0 }, i != 2);
    }
    let mut enc = h2o_core::hpack::Encoder::new();
    if mode & 0x80 == 0 {
        // Server preface: SETTINGS (from the input) and an ACK.
        let mut s = Vec::new();
        for _ in 0..(mode >> 2) & 3 {
            let (Some(id), Some(v)) = (input.byte(), input.u32()) else { break };
            s.extend_from_slice(&u16::from(id % 8).to_be_bytes());
            s.extend_from_slice(&v.to_be_bytes());
        }
        let mut out = Vec::new();
        frame(&mut out, 4, 0, 0, &s);
        frame(&mut out, 4, 1, 0, &[]);
        h.recv(&out);
    }
    let mut ops = 0;
    while let Some(tag) = input.byte() {
        ops += 1;
        if ops > 4096 {
            break;
        }
        let next_odd = 2 * h.next_req as u32 + 1;
        match tag % 12 {
            // Raw bytes.
            0 => {
                let n = input.byte().unwrap_or(0) as usize;
                let b = input.bytes(n).to_vec();
                h.recv(&b);
            }
            // A frame of any type with a raw payload.
            1 => {
                let (Some(kind), Some(flags), Some(sid), Some(len)) =
                    (input.byte(), input.byte(), input.byte(), input.byte())
                else {
                    break;
                };
                let payload = input.bytes(len as usize).to_vec();
                let mut out = Vec::new();
                frame(&mut out, kind % 11, flags, stream_id(sid, next_odd), &payload);
                h.recv(&out);
            }
            // HEADERS / CONTINUATION with a block from the server's (stateful) encoder.
            2 => {
                let (Some(sid), Some(flags), Some(pick)) = (input.byte(), input.byte(), input.u16())
                else {
                    break;
                };
                let fields = (0..FIELDS.len())
                    .filter(|i| pick & (1 << i) != 0)
                    .map(|i| FIELDS[i]);
                let mut block = BytesMut::new();
                enc.encode(fields, &mut block);
                let kind = if flags & 0x40 != 0 { 9 } else { 1 };
                let mut out = Vec::new();
                frame(&mut out, kind, flags & 0x2d, stream_id(sid, next_odd), &block);
                h.recv(&out);
            }
            // DATA of n bytes.
            3 => {
                let (Some(sid), Some(flags), Some(n)) = (input.byte(), input.byte(), input.u16())
                else {
                    break;
                };
                let n = (n as usize) % 20_000;
                let mut payload = vec![b'd'; n];
                if flags & 0x08 != 0 && !payload.is_empty() {
                    payload[0] = (n as u8).wrapping_sub(1) / 2;
                }
                let mut out = Vec::new();
                frame(&mut out, 0, flags & 0x09, stream_id(sid, next_odd), &payload);
                h.recv(&out);
            }
            // WINDOW_UPDATE / RST_STREAM / PING / GOAWAY / SETTINGS with chosen values.
            4 => {
                let (Some(which), Some(sid), Some(v)) = (input.byte(), input.byte(), input.u32())
                else {
                    break;
                };
                let sid = stream_id(sid, next_odd);
                let mut out = Vec::new();
                match which % 5 {
                    0 => frame(&mut out, 8, 0, sid, &v.to_be_bytes()),
                    1 => frame(&mut out, 3, 0, sid, &(v % 16).to_be_bytes()),
                    2 => frame(&mut out, 6, which >> 7, 0, &[v as u8; 8]),
                    3 => {
                        let mut p = (sid & 0x7fff_ffff).to_be_bytes().to_vec();
                        p.extend_from_slice(&(v % 16).to_be_bytes());
                        frame(&mut out, 7, 0, 0, &p);
                    }
                    _ => {
                        let mut p = ((which >> 4) as u16 % 8).to_be_bytes().to_vec();
                        p.extend_from_slice(&v.to_be_bytes());
                        frame(&mut out, 4, 0, 0, &p);
                    }
                }
                h.recv(&out);
            }
            // The same bytes fed one at a time (partial delivery).
            5 => {
                let n = input.byte().unwrap_or(0) as usize;
                let b = input.bytes(n).to_vec();
                for byte in b {
                    h.recv(&[byte]);
                }
            }
            // Caller: submit another request.
            6 => {
                let (Some(m), Some(len)) = (input.byte(), input.u16()) else { break };
                if h.submitted.len() < 64 {
                    h.submit(m, len as usize, m & 0x20 == 0);
                }
            }
            // Caller: more body / end it.
            7 => {
                let (Some(r), Some(len)) = (input.byte(), input.u16()) else { break };
                if let Some(&id) = h.submitted.get(r as usize % h.submitted.len().max(1)) {
                    h.ours += len as usize;
                    h.conn.send_data(id, Bytes::from(vec![b'x'; len as usize]), r & 0x80 != 0);
                    h.drain();
                }
            }
            // Caller: cancel.
            8 => {
                let Some(r) = input.byte() else { break };
                if let Some(&id) = h.submitted.get(r as usize % h.submitted.len().max(1)) {
                    h.conn.cancel(id);
                    h.drain();
                }
            }
            // Caller: release what was delivered.
            9 => {
                let Some(r) = input.byte() else { break };
                if let Some(&id) = h.submitted.get(r as usize % h.submitted.len().max(1)) {
                    if let Some(n) = h.unreleased.remove(&id) {
                        h.conn.release(id, n);
                        h.drain();
                    }
                }
            }
            // Time passes.
            10 => {
                let Some(ms) = input.u16() else { break };
                h.now += Duration::from_millis(ms as u64);
                h.conn.handle_timeout(h.now);
                if ms & 1 == 1 {
                    h.conn.send_ping(h.now);
                }
                h.drain();
            }
            // The transport writes part of what is pending.
            _ => {
                let Some(n) = input.u16() else { break };
                let pending = h.conn.poll_transmit().len();
                let n = (n as usize).min(pending);
                h.conn.advance_transmit(n);
                h.written += n;
                h.drain();
            }
        }
        if h.conn.is_closed() {
            break;
        }
    }
    // The end: a graceful drain or close, or the socket dies; every request ends once.
    match data.last().copied().unwrap_or(0) % 3 {
        0 => h.conn.close(),
        1 => h.conn.drain(),
        _ => {}
    }
    h.drain();
    h.conn
        .transport_closed(Error::new(ErrorKind::Io, "fuzz: connection lost"));
    h.drain();
    for id in &h.submitted {
        assert!(h.ended.contains_key(id), "{id:?} never ended");
    }
    assert!(h.conn.is_closed());
});
