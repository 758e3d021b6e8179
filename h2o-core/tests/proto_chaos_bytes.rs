//! Byte-level chaos against the in-memory state machine, on sessions recorded from real
//! servers (`tests/fixtures/sessions/<server>.<requests>.bin`: the server-to-client bytes of
//! an exchange with the hyper test server, nghttpd, nginx and h2o; `make fuzz-seeds`
//! re-records them):
//!
//! - partial delivery at every split point yields exactly the events of whole delivery;
//! - truncation at every length, then transport loss: every request ends exactly once;
//! - random corruption (byte flips, insertions, deletions, duplicated and dropped ranges)
//!   with a fixed seed: no panic, no event after a request's end, every request ends once.
//!
//! `H2O_CHAOS_ITERS=100000 cargo test -p h2o-core --test proto_chaos_bytes` runs longer.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use bytes::Bytes;
use h2o_core::proto::{Connection, Event, ProtoConfig, RequestId};
use h2o_core::{Error, ErrorKind, Method, RequestHead, Url};

fn sessions() -> Vec<(String, usize, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sessions");
    let mut v: Vec<_> = std::fs::read_dir(&dir)
        .expect("recorded sessions")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "bin"))
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            let requests = name.rsplit('.').next().unwrap().parse().unwrap();
            (name, requests, std::fs::read(&p).unwrap())
        })
        .collect();
    v.sort();
    assert!(v.len() >= 4, "recorded sessions missing in {dir:?}");
    v
}

/// A client connection with `n` GETs submitted (streams 1, 3, 5, ...).
fn client(n: usize, now: Instant) -> Connection {
    let mut c = Connection::new(ProtoConfig::default(), now);
    let url = Url::parse("http://127.0.0.1/").unwrap();
    for i in 0..n {
        c.submit(
            RequestId(i as u64),
            RequestHead::new(Method::GET, &url),
            None,
            true,
        );
    }
    let n = c.poll_transmit().len();
    c.advance_transmit(n);
    c
}

/// Events, checked as they come: known ids, nothing after `Failed`, only `SendReady` after
/// `Done`.
#[derive(Default)]
struct Log {
    events: Vec<Event>,
    ended: HashMap<RequestId, usize>,
}

impl Log {
    fn drain(&mut self, c: &mut Connection, n: usize) {
        while let Some(ev) = c.poll_event() {
            let id = ev.id();
            assert!((id.0 as usize) < n, "event for an unknown request: {ev:?}");
            if let Some(&k) = self.ended.get(&id) {
                assert!(
                    k == 0 && matches!(ev, Event::SendReady { .. }),
                    "event after the request ended: {ev:?}"
                );
            }
            match ev {
                Event::Done { .. } => *self.ended.entry(id).or_default() += 0,
                Event::Failed { .. } => *self.ended.entry(id).or_default() += 1,
                _ => {}
            }
            if let Event::Data { id, data } = &ev {
                c.release(*id, data.len());
            }
            self.events.push(ev);
        }
        let _ = c.poll_transmit();
    }

    /// Ends the connection and checks every request ended exactly once.
    fn finish(mut self, c: &mut Connection, n: usize) -> Vec<Event> {
        c.transport_closed(Error::new(ErrorKind::Io, "chaos: connection lost"));
        self.drain(c, n);
        for i in 0..n {
            let id = RequestId(i as u64);
            let terminals = self
                .events
                .iter()
                .filter(|e| e.id() == id && e.is_terminal())
                .count();
            assert_eq!(terminals, 1, "{id:?} ended {terminals} times");
        }
        assert!(c.is_closed());
        self.events
    }
}

fn run(n: usize, chunks: &[&[u8]]) -> Vec<Event> {
    let now = Instant::now();
    let mut c = client(n, now);
    let mut log = Log::default();
    for (i, chunk) in chunks.iter().enumerate() {
        c.recv(chunk, now + Duration::from_millis(i as u64));
        log.drain(&mut c, n);
    }
    log.finish(&mut c, n)
}

#[test]
fn recorded_sessions_complete() {
    for (name, n, bytes) in sessions() {
        let events = run(n, &[&bytes]);
        let done = events
            .iter()
            .filter(|e| matches!(e, Event::Done { .. }))
            .count();
        assert_eq!(done, n, "{name}: every request completes: {events:?}");
    }
}

#[test]
fn every_split_point_gives_the_same_events() {
    for (name, n, bytes) in sessions() {
        let whole = run(n, &[&bytes]);
        // Every split point of small sessions; every 97th of large ones.
        let step = if bytes.len() > 4096 { 97 } else { 1 };
        for i in (1..bytes.len()).step_by(step) {
            let split = run(n, &[&bytes[..i], &bytes[i..]]);
            assert_eq!(split, whole, "{name}: split at {i}");
        }
        // And one byte at a time.
        if bytes.len() <= 4096 {
            let singles: Vec<&[u8]> = bytes.chunks(1).collect();
            assert_eq!(run(n, &singles), whole, "{name}: byte by byte");
        }
    }
}

#[test]
fn truncation_at_every_length_ends_every_request_once() {
    for (_, n, bytes) in sessions() {
        let step = if bytes.len() > 4096 { 31 } else { 1 };
        for i in (0..bytes.len()).step_by(step) {
            run(n, &[&bytes[..i]]);
        }
    }
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn corrupt(rng: &mut Rng, mut b: Vec<u8>) -> Vec<u8> {
    for _ in 0..1 + rng.below(4) {
        let len = b.len();
        match rng.below(6) {
            0 if len > 0 => {
                let i = rng.below(len);
                b[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let i = rng.below(len);
                b[i] = rng.next() as u8;
            }
            2 => {
                let i = rng.below(len + 1);
                b.insert(i, rng.next() as u8);
            }
            3 if len > 0 => {
                b.remove(rng.below(len));
            }
            4 if len > 1 => {
                // Duplicate a range (a replayed frame or part of one).
                let i = rng.below(len);
                let j = (i + 1 + rng.below(64)).min(len);
                let dup = b[i..j].to_vec();
                let at = rng.below(len + 1);
                b.splice(at..at, dup);
            }
            _ if len > 1 => {
                // Drop a range (a lost segment).
                let i = rng.below(len);
                let j = (i + 1 + rng.below(64)).min(len);
                b.drain(i..j);
            }
            _ => {}
        }
    }
    b
}

#[test]
fn random_corruption_never_breaks_the_invariants() {
    let iters: usize = std::env::var("H2O_CHAOS_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000);
    let sessions = sessions();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..iters {
        let (_, n, bytes) = &sessions[rng.below(sessions.len())];
        let bad = corrupt(&mut rng, bytes.clone());
        // Delivered in random pieces.
        let mut chunks = Vec::new();
        let mut rest = &bad[..];
        while !rest.is_empty() {
            let k = 1 + rng.below(rest.len().min(600));
            let (a, b) = rest.split_at(k);
            chunks.push(a);
            rest = b;
        }
        run(*n, &chunks);
    }
}

#[test]
fn sessions_are_real_recordings() {
    // Guard against an empty or synthetic fixture: each starts with the server's SETTINGS.
    for (name, _, bytes) in sessions() {
        assert!(bytes.len() > 9 && bytes[3] == 4 && bytes[4] == 0, "{name}");
        let _ = Bytes::from(bytes);
    }
}
