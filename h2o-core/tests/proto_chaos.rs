//! Seeded random scenarios: a server doing many legal (and a few illegal) things in random
//! order, a caller submitting, streaming, releasing and cancelling. Invariants checked on
//! every step:
//!
//! - every request gets exactly one terminal event and nothing after it (harness check),
//!   and after close / transport loss every submitted request has ended;
//! - the client never sends DATA beyond the credit the server granted (RFC 9113 §6.9),
//!   never more than the server's MAX_FRAME_SIZE (peer decoder), never on a stream it
//!   closed (§5.1), and opens streams with strictly increasing odd ids (§5.1.1);
//! - never more concurrent streams than the server allows (§5.1.2).

mod common;

use std::collections::{BTreeMap as HashMap, BTreeSet as HashSet};

use bytes::Bytes;
use common::*;
use h2o_core::frame::{ErrorCode, Settings, StreamId};
use h2o_core::proto::{Event, ProtoConfig, RequestId};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, pct: u64) -> bool {
        self.below(100) < pct
    }
}

/// The server's view of the connection, for checking what the client writes.
struct Model {
    conn_credit: i64,
    initial: i64,
    stream_credit: HashMap<u32, i64>,
    /// Streams the client finished sending on (END_STREAM or RST_STREAM).
    client_done: HashSet<u32>,
    /// Streams the server finished (END_STREAM or RST_STREAM).
    server_done: HashSet<u32>,
    last_sid: u32,
    max_streams: u32,
    goaway_sent: bool,
    /// SETTINGS we sent that the client has not acknowledged yet: (initial window, max
    /// streams). DATA it wrote before its ACK was computed with the old values (§6.9.2).
    pending: std::collections::VecDeque<(i64, u32)>,
}

impl Model {
    fn open_count(&self) -> usize {
        self.stream_credit
            .keys()
            .filter(|s| !(self.client_done.contains(s) && self.server_done.contains(s)))
            .count()
    }

    fn check(&mut self, frames: &[F]) {
        for f in frames {
            match f {
                F::Headers {
                    sid, end_stream, ..
                } => {
                    assert!(sid % 2 == 1 && *sid > self.last_sid, "stream id {sid}");
                    assert!(!self.goaway_sent, "HEADERS after our GOAWAY");
                    self.last_sid = *sid;
                    self.stream_credit.insert(*sid, self.initial);
                    if *end_stream {
                        self.client_done.insert(*sid);
                    }
                    assert!(
                        self.open_count() as u32 <= self.max_streams,
                        "{} streams open, limit {}: credit {:?} client_done {:?} server_done {:?}",
                        self.open_count(),
                        self.max_streams,
                        self.stream_credit,
                        self.client_done,
                        self.server_done
                    );
                }
                F::Data {
                    sid,
                    len,
                    end_stream,
                } => {
                    assert!(
                        !self.client_done.contains(sid),
                        "DATA on closed stream {sid}"
                    );
                    let c = self
                        .stream_credit
                        .get_mut(sid)
                        .expect("DATA on unknown stream");
                    *c -= *len as i64;
                    self.conn_credit -= *len as i64;
                    assert!(*c >= 0, "stream {sid} window overrun ({c})");
                    assert!(self.conn_credit >= 0, "connection window overrun");
                    if *end_stream {
                        self.client_done.insert(*sid);
                    }
                }
                F::Rst { sid, .. } => {
                    self.client_done.insert(*sid);
                    self.server_done.insert(*sid);
                }
                F::GoAway { .. } => self.goaway_sent = true,
                F::SettingsAck => {
                    let (initial, ms) = self.pending.pop_front().expect("unexpected ACK");
                    let delta = initial - self.initial;
                    self.initial = initial;
                    for c in self.stream_credit.values_mut() {
                        *c += delta;
                    }
                    self.max_streams = ms;
                }
                F::WindowUpdate { .. } | F::Ping { .. } | F::Settings(_) => {}
                F::Other(f) => panic!("unexpected frame {f:?}"),
            }
        }
    }

    fn live(&self) -> Vec<u32> {
        let mut v: Vec<u32> = self
            .stream_credit
            .keys()
            .copied()
            .filter(|s| !self.server_done.contains(s))
            .collect();
        v.sort_unstable();
        v
    }
}

/// Processed::No decided by the client itself (not vouched for by the server with GOAWAY
/// or REFUSED_STREAM): the server must never have received the request's HEADERS.
fn locally_unprocessed(e: &h2o_core::Error) -> bool {
    use h2o_core::ErrorKind::{GoAway, Refused};
    e.is_unprocessed() && !matches!(e.kind(), GoAway | Refused)
}

fn run(seed: u64) {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let cfg = ProtoConfig {
        max_pending_requests: 1 + rng.below(6) as usize,
        send_buffer_size: 1 + rng.below(5000) as usize,
        adaptive_window: rng.chance(50),
        ..small_cfg()
    };
    let max_streams = 1 + rng.below(4) as u32;
    let initial = [10u32, 1000, 65_535][rng.below(3) as usize];
    let mut p = Pair::ready(
        cfg,
        Settings {
            max_concurrent_streams: Some(max_streams),
            initial_window_size: Some(initial),
            ..Settings::default()
        },
    );
    let mut m = Model {
        conn_credit: 65_535,
        initial: initial as i64,
        stream_credit: HashMap::new(),
        client_done: HashSet::new(),
        server_done: HashSet::new(),
        last_sid: 0,
        max_streams,
        goaway_sent: false,
        pending: Default::default(),
    };
    // Requests whose body the caller is still streaming.
    let mut streaming: Vec<RequestId> = Vec::new();
    let mut unreleased: HashMap<RequestId, usize> = HashMap::new();
    let mut headed: HashSet<u32> = HashSet::new();
    let mut transport_dead = false;
    let mut unprocessed: Vec<RequestId> = Vec::new();

    for _ in 0..80 {
        if p.conn.is_closed() {
            break;
        }
        let action = rng.below(20);
        if std::env::var("CHAOS_TRACE").is_ok() {
            eprintln!("action {action}");
        }
        match action {
            0..=2 => {
                let path = format!("/r{}", p.next_id().0);
                p.submit_get(&path);
            }
            3 => {
                let n = rng.below(3000) as usize;
                let end = rng.chance(50);
                let path = format!("/r{}", p.next_id().0);
                let id = p.submit(post(&path), Some(bytes_of(n)), end);
                if !end {
                    streaming.push(id);
                }
            }
            4 if !streaming.is_empty() => {
                let i = rng.below(streaming.len() as u64) as usize;
                let id = streaming[i];
                let end = rng.chance(40);
                p.conn
                    .send_data(id, bytes_of(rng.below(2000) as usize), end);
                if end {
                    streaming.remove(i);
                }
            }
            5 if rng.chance(30) => {
                let mut ids: Vec<RequestId> = p.submitted.iter().copied().collect();
                ids.sort_unstable();
                if !ids.is_empty() {
                    let id = ids[rng.below(ids.len() as u64) as usize];
                    p.conn.cancel(id);
                }
            }
            6 => {
                for (id, n) in std::mem::take(&mut unreleased) {
                    p.conn.release(id, n);
                }
            }
            7..=12 => {
                // Server answers something on a live stream.
                let live = m.live();
                if live.is_empty() {
                    continue;
                }
                let sid = live[rng.below(live.len() as u64) as usize];
                let end = rng.chance(40);
                let fin = if !headed.contains(&sid) {
                    if rng.chance(10) {
                        p.send_headers(sid, &[(":status", "103")], false);
                        false
                    } else {
                        p.send_headers(sid, &[(":status", "200")], end);
                        headed.insert(sid);
                        end
                    }
                } else if rng.chance(15) {
                    p.send_headers(sid, &[("x-trailer", "1")], true);
                    true
                } else {
                    p.send_data(sid, bytes_of(rng.below(500) as usize), end);
                    end
                };
                if fin {
                    m.server_done.insert(sid);
                }
            }
            13 => {
                // (The server reads what is in flight first: frames the client wrote before
                // it saw a RST_STREAM are legal, and the model cannot tell them apart.)
                let frames = p.read();
                m.check(&frames);
                let live = m.live();
                if let Some(&sid) = live.first() {
                    let code = [
                        ErrorCode::RefusedStream,
                        ErrorCode::Cancel,
                        ErrorCode::NoError,
                        ErrorCode::InternalError,
                    ][rng.below(4) as usize];
                    p.send_rst(sid, code);
                    m.server_done.insert(sid);
                    m.client_done.insert(sid);
                }
            }
            14 => {
                // Credit for the client's uploads.
                let inc = 1 + rng.below(5000) as u32;
                if rng.chance(50) {
                    p.send_wu(0, inc);
                    m.conn_credit += inc as i64;
                } else if let Some(&sid) = m.live().last() {
                    p.send_wu(sid, inc);
                    if let Some(c) = m.stream_credit.get_mut(&sid) {
                        *c += inc as i64;
                    }
                }
            }
            15 if rng.chance(30) => {
                let v = [10u32, 500, 2000, 65_535][rng.below(4) as usize];
                let ms = 1 + rng.below(4) as u32;
                m.pending.push_back((v as i64, ms));
                p.send(Settings {
                    initial_window_size: Some(v),
                    max_concurrent_streams: Some(ms),
                    ..Settings::default()
                });
            }
            16 if rng.chance(15) => {
                let frames = p.read();
                m.check(&frames);
                let last = m.live().first().copied().unwrap_or(0);
                let last = if rng.chance(50) {
                    last
                } else {
                    StreamId::MAX.value()
                };
                p.send_goaway(last, ErrorCode::NoError);
                let all: Vec<u32> = m.stream_credit.keys().copied().collect();
                for sid in all {
                    if sid > last {
                        m.server_done.insert(sid);
                        m.client_done.insert(sid);
                    }
                }
            }
            17 => p.send_ping(false, *b"chaos!!!"),
            18 if rng.chance(10) => p.conn.drain(),
            19 if rng.chance(3) => {
                // The socket dies with part of the buffer unwritten.
                let n = rng.below(p.conn.poll_transmit().len() as u64 + 1) as usize;
                let frames = p.read_partial(n);
                m.check(&frames);
                p.conn
                    .transport_closed(h2o_core::Error::new(h2o_core::ErrorKind::Io, "reset"));
                transport_dead = true;
                break;
            }
            _ => {}
        }
        let frames = if rng.chance(20) {
            // A slow socket: only part of what is buffered is written this time.
            let n = rng.below(p.conn.poll_transmit().len() as u64 + 1) as usize;
            p.read_partial(n)
        } else {
            p.read()
        };
        if std::env::var("CHAOS_TRACE").is_ok() {
            eprintln!("open {} frames {frames:?}", p.conn.open_streams());
        }
        m.check(&frames);
        let evs = p.events();
        if std::env::var("CHAOS_TRACE").is_ok() {
            eprintln!("events {evs:?}");
        }
        for ev in evs {
            match ev {
                Event::Data { id, data } => *unreleased.entry(id).or_default() += data.len(),
                Event::Failed { id, error } => {
                    streaming.retain(|s| *s != id);
                    if locally_unprocessed(&error) {
                        unprocessed.push(id);
                    }
                }
                Event::Done { id } => {
                    streaming.retain(|s| *s != id);
                }
                _ => {}
            }
        }
    }
    match if transport_dead { 1 } else { rng.below(3) } {
        0 => p.conn.close(),
        1 => {
            p.conn
                .transport_closed(h2o_core::Error::new(h2o_core::ErrorKind::Io, "eof"));
            // Nothing buffered reaches the server any more.
            transport_dead = true;
        }
        _ => {
            // Let everything finish normally where the server cooperates.
            for sid in m.live() {
                m.server_done.insert(sid);
                if !headed.contains(&sid) {
                    p.send_headers(sid, &[(":status", "200")], true);
                } else {
                    p.send_data(sid, Bytes::new(), true);
                }
            }
            p.conn.close();
        }
    }
    if !transport_dead {
        let frames = p.read();
        m.check(&frames);
    }
    let evs = p.events();
    if std::env::var("CHAOS_TRACE").is_ok() {
        eprintln!("final events {evs:?}");
        eprintln!(
            "peer log tail {:?}",
            &p.peer.log[p.peer.log.len().saturating_sub(4)..]
        );
    }
    for ev in evs {
        if let Event::Failed { id, error } = ev {
            if locally_unprocessed(&error) {
                unprocessed.push(id);
            }
        }
    }
    p.assert_all_ended();
    // A local Processed::No is a promise that the server never received the request.
    for id in unprocessed {
        let path = format!("/r{}", id.0);
        let seen = p.peer.log.iter().any(|f| match f {
            F::Headers { fields, .. } => fields.iter().any(|(n, v)| n == ":path" && *v == path),
            _ => false,
        });
        assert!(
            !seen,
            "{id:?} reported unprocessed but the server got its HEADERS"
        );
    }
}

#[test]
fn random_scenarios_keep_the_invariants() {
    let seeds = match std::env::var("CHAOS_SEED") {
        Ok(s) => {
            let n: u64 = s.parse().unwrap();
            n..n + 1
        }
        Err(_) => 0..std::env::var("CHAOS_SEEDS").map_or(600, |n| n.parse().unwrap()),
    };
    for seed in seeds {
        let r = std::panic::catch_unwind(|| run(seed));
        if let Err(e) = r {
            eprintln!("seed {seed} failed");
            std::panic::resume_unwind(e);
        }
    }
}
