//! The connection pool: per-origin connections, chosen by load, errors and RTT. While the
//! first connection to an origin is being set up, requests wait in its queue instead of each
//! opening its own; when every connection is at the server's stream limit, the overflow
//! policy queues (the RFC default) or opens another, up to per-origin and total limits (the
//! least recently used idle connection is evicted beyond the total). A connection that stops
//! accepting (GOAWAY, ids exhausted, soft PING timeout, errors) is replaced for new requests;
//! origins that keep failing to connect are fenced off by a circuit breaker.

mod breaker;
mod submission;

pub(crate) use submission::{SubBox, Submission, SubmitBody};

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Weak};
use std::time::Instant;

use parking_lot::Mutex;
use tokio::sync::mpsc::{self, UnboundedSender, WeakUnboundedSender};

use crate::client::sink::Command;
use crate::client::stats::{ConnectionStats, Counters, Stats};
use crate::client::{Config, Overflow};
use crate::error::{Error, ErrorKind, Processed};
use crate::request::{Host, Scheme, Url};

/// What identifies an origin's connections.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct OriginKey {
    /// http or https.
    pub scheme: Scheme,
    /// Host name or address.
    pub host: Host,
    /// Port.
    pub port: u16,
    /// Requests in different lanes never share a connection (see `Request::lane`).
    pub lane: u32,
}

impl OriginKey {
    /// The origin of `url`, in `lane`.
    pub fn of(url: &Url, lane: u32) -> OriginKey {
        OriginKey {
            scheme: url.scheme(),
            host: url.host_shared().clone(),
            port: url.port(),
            lane,
        }
    }
}

/// Per-origin maps on the routing path. Origins are the caller's own few keys (no
/// hash-flooding concern), so a multiplicative hash taking 8 bytes a step replaces SipHash,
/// which cost ~300 instructions per request here.
type OriginMap<V> = HashMap<OriginKey, V, BuildHasherDefault<OriginHasher>>;

#[derive(Default)]
struct OriginHasher(u64);

impl OriginHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl Hasher for OriginHasher {
    fn finish(&self) -> u64 {
        // Fold the well-mixed high bits into the low bits the table indexes by.
        self.0.rotate_left(26)
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(last) ^ ((rest.len() as u64) << 60));
        }
    }
    fn write_u16(&mut self, n: u16) {
        self.add(n as u64)
    }
    fn write_u32(&mut self, n: u32) {
        self.add(n as u64)
    }
    fn write_u64(&mut self, n: u64) {
        self.add(n)
    }
    fn write_usize(&mut self, n: usize) {
        self.add(n as u64)
    }
}

/// Why the pool asked a connection to close (for close-reason statistics).
pub(crate) const CLOSE_HINT_NONE: u8 = 0;
pub(crate) const CLOSE_HINT_IDLE: u8 = 1;
pub(crate) const CLOSE_HINT_EVICTED: u8 = 2;

/// State of one connection that the pool and the connection task share (the task writes,
/// the pool and `stats()` read).
pub(crate) struct ConnShared {
    pub id: u64,
    pub origin: OriginKey,
    pub accepting: AtomicBool,
    pub connecting: AtomicBool,
    pub open_streams: AtomicU64,
    pub queued: AtomicU64,
    /// Requests routed here that the connection task has not picked up yet.
    pub inbound: AtomicU64,
    /// The server's SETTINGS_MAX_CONCURRENT_STREAMS (100 until known).
    pub max_streams: AtomicU64,
    /// Last PING round trip in microseconds (0: not measured yet).
    pub rtt_us: AtomicU64,
    /// Requests on it that failed with stream or protocol errors.
    pub errors: AtomicU64,
    /// When its task last took a request (ms since `epoch`): the task stamps it with the
    /// clock it reads anyway, so routing a request costs no clock read.
    pub last_used_ms: AtomicU64,
    /// The pool's start, the zero of `last_used_ms`.
    pub epoch: Instant,
    pub close_hint: AtomicU8,
    /// The connection task ended.
    pub closed: AtomicBool,
    /// Flow-control credit returned for requests whose response already ended here,
    /// pooled until the task takes it (`RequestHandle::release`).
    pub ended_credit: AtomicU64,
}

impl ConnShared {
    fn load(&self) -> u64 {
        self.open_streams.load(Ordering::Relaxed)
            + self.queued.load(Ordering::Relaxed)
            + self.inbound.load(Ordering::Relaxed)
    }

    fn has_room(&self) -> bool {
        self.load() < self.max_streams.load(Ordering::Relaxed)
    }

    fn usable(&self) -> bool {
        self.accepting.load(Ordering::Acquire) && !self.closed.load(Ordering::Acquire)
    }
}

struct ConnHandle {
    tx: UnboundedSender<Command>,
    shared: Arc<ConnShared>,
}

/// All connections of a client.
pub(crate) struct Pool {
    conns: Mutex<OriginMap<Vec<ConnHandle>>>,
    rt: tokio::runtime::Handle,
    pub cfg: Arc<Config>,
    closed: AtomicBool,
    tasks: Mutex<Vec<tokio::task::JoinHandle<()>>>,
    next_conn: AtomicU64,
    weak: Weak<Pool>,
    pub counters: Arc<Counters>,
    /// Every connection whose task may still run (for statistics and the debug dump).
    registry: Mutex<Vec<(Weak<ConnShared>, WeakUnboundedSender<Command>)>>,
    breakers: breaker::Breakers,
    epoch: Instant,
    /// Requests waiting out a backoff before their next connection attempt (owned here, so
    /// `close` can end each of them exactly once even if its timer never fires).
    delayed: Mutex<HashMap<u64, SubBox>>,
    next_delayed: AtomicU64,
}

impl Pool {
    pub fn new(rt: tokio::runtime::Handle, cfg: Arc<Config>) -> Arc<Pool> {
        let backoff = breaker::Backoff {
            base: cfg.pool.backoff_base,
            max: cfg.pool.backoff_max,
            threshold: cfg.pool.breaker_threshold,
        };
        Arc::new_cyclic(|weak| Pool {
            conns: Mutex::new(OriginMap::default()),
            rt,
            cfg,
            closed: AtomicBool::new(false),
            tasks: Mutex::new(Vec::new()),
            next_conn: AtomicU64::new(1),
            weak: weak.clone(),
            counters: Arc::new(Counters::default()),
            registry: Mutex::new(Vec::new()),
            breakers: breaker::Breakers::new(backoff),
            epoch: Instant::now(),
            delayed: Mutex::new(HashMap::new()),
            next_delayed: AtomicU64::new(1),
        })
    }

    /// Routes a submission to a connection of its origin, opening one if needed.
    pub fn dispatch(&self, mut sub: SubBox) {
        loop {
            if self.closed.load(Ordering::Acquire) {
                let e =
                    Error::new(ErrorKind::Closed, "client is closed").with_processed(Processed::No);
                self.counters.failed(e.kind());
                return sub.fail(e);
            }
            let (tx, shared) = match self.connection_for(&sub.origin) {
                Ok(c) => c,
                Err(e) => {
                    // The origin's circuit is open: wait for the probe while the request's
                    // retry budget lasts, then fail fast.
                    if let Some(wait) = self.breakers.open_for(&sub.origin, Instant::now()) {
                        if sub.attempts < self.cfg.max_retries {
                            sub.attempts += 1;
                            tracing::debug!(target: crate::trace::POOL, request = sub.ctl.id.0, ?wait, "circuit open: waiting for the probe");
                            Counters::inc(&self.counters.requests_retried);
                            return self.retry_later(sub, wait);
                        }
                    }
                    self.counters.failed(e.kind());
                    return sub.fail(e);
                }
            };
            tracing::debug!(
                target: crate::trace::POOL,
                request = sub.ctl.id.0,
                conn = shared.id,
                origin = %sub.origin.host,
                attempt = sub.attempts,
                "request routed"
            );
            *sub.ctl.route.lock() = Some(crate::client::sink::Route {
                tx: tx.clone(),
                conn: shared.clone(),
            });
            shared.inbound.fetch_add(1, Ordering::Relaxed);
            match tx.send(Command::Submit(sub)) {
                Ok(()) => return,
                // The connection closed its queue: it is finished; pick or open another.
                Err(mpsc::error::SendError(Command::Submit(back))) => {
                    shared.inbound.fetch_sub(1, Ordering::Relaxed);
                    sub = back
                }
                Err(_) => unreachable!("send returns the command it was given"),
            }
        }
    }

    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    /// Picks the connection for a request: the least loaded usable one with room (fewest
    /// recent errors, then lowest RTT, break ties); otherwise, per the overflow policy,
    /// opens another or queues on the least loaded.
    fn connection_for(
        &self,
        origin: &OriginKey,
    ) -> Result<(UnboundedSender<Command>, Arc<ConnShared>), Error> {
        let mut conns = self.conns.lock();
        // Look up before `entry`: that would clone the key (an Arc) for every request.
        if !conns.contains_key(origin) {
            conns.insert(origin.clone(), Vec::new());
        }
        let list = conns.get_mut(origin).expect("inserted above");
        list.retain(|c| c.shared.usable() && !c.tx.is_closed());
        let best = list
            .iter()
            .min_by_key(|c| {
                let s = &c.shared;
                (
                    !s.has_room(),
                    s.load(),
                    s.errors.load(Ordering::Relaxed),
                    s.rtt_us.load(Ordering::Relaxed),
                )
            })
            .map(|c| (c.tx.clone(), c.shared.clone()));
        let pcfg = &self.cfg.pool;
        let may_open_more =
            pcfg.overflow == Overflow::OpenMore && list.len() < pcfg.max_connections_per_origin;
        match best {
            Some((tx, shared)) if shared.has_room() || !may_open_more => {
                Counters::inc(&self.counters.submit.acquisitions_hit);
                Ok((tx, shared))
            }
            _ => {
                if let Some(e) = self.breakers.check(origin, Instant::now()) {
                    return Err(e);
                }
                Counters::inc(&self.counters.submit.acquisitions_miss);
                self.make_room(&mut conns, origin);
                Ok(self.open(&mut conns, origin))
            }
        }
    }

    /// The connection a request to `origin` would be routed to, without sending anything
    /// (the pool-acquisition benchmark measures exactly this step).
    pub fn acquire(&self, origin: &OriginKey) -> Result<u64, Error> {
        self.connection_for(origin).map(|(_, shared)| shared.id)
    }

    /// Keeps the total within `max_connections_total`: closes the least recently used idle
    /// connection (of any origin but `keep`).
    fn make_room(&self, conns: &mut OriginMap<Vec<ConnHandle>>, keep: &OriginKey) {
        let total: usize = conns.values().map(Vec::len).sum();
        if total < self.cfg.pool.max_connections_total {
            return;
        }
        let victim = conns
            .iter()
            .filter(|(o, _)| *o != keep)
            .flat_map(|(o, list)| list.iter().enumerate().map(move |(i, c)| (o, i, c)))
            .filter(|(_, _, c)| c.shared.load() == 0)
            .min_by_key(|(_, _, c)| c.shared.last_used_ms.load(Ordering::Relaxed))
            .map(|(o, i, _)| (o.clone(), i));
        if let Some((o, i)) = victim {
            if let Some(list) = conns.get_mut(&o) {
                let c = list.remove(i);
                tracing::debug!(target: crate::trace::POOL, conn = c.shared.id, "evicting an idle connection (max_connections_total)");
                c.shared
                    .close_hint
                    .store(CLOSE_HINT_EVICTED, Ordering::Relaxed);
                c.shared.accepting.store(false, Ordering::Release);
                let _ = c.tx.send(Command::Drain);
            }
        }
    }

    fn open(
        &self,
        conns: &mut OriginMap<Vec<ConnHandle>>,
        origin: &OriginKey,
    ) -> (UnboundedSender<Command>, Arc<ConnShared>) {
        Counters::inc(&self.counters.connections_created);
        // Until its own SETTINGS arrive, assume the limit its siblings learned.
        let known_max = conns
            .get(origin)
            .and_then(|l| {
                l.iter()
                    .map(|c| c.shared.max_streams.load(Ordering::Relaxed))
                    .max()
            })
            .unwrap_or(100);
        let (tx, rx) = mpsc::unbounded_channel();
        let id = self.next_conn.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(target: crate::trace::POOL, conn = id, origin = %origin.host, port = origin.port, "opening a new connection");
        let shared = Arc::new(ConnShared {
            id,
            origin: origin.clone(),
            accepting: AtomicBool::new(true),
            connecting: AtomicBool::new(true),
            open_streams: AtomicU64::new(0),
            queued: AtomicU64::new(0),
            inbound: AtomicU64::new(0),
            max_streams: AtomicU64::new(known_max),
            rtt_us: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            last_used_ms: AtomicU64::new(self.now_ms()),
            epoch: self.epoch,
            close_hint: AtomicU8::new(CLOSE_HINT_NONE),
            closed: AtomicBool::new(false),
            ended_credit: AtomicU64::new(0),
        });
        {
            let mut reg = self.registry.lock();
            reg.retain(|(w, _)| w.strong_count() > 0);
            reg.push((Arc::downgrade(&shared), tx.downgrade()));
        }
        conns.entry(origin.clone()).or_default().push(ConnHandle {
            tx: tx.clone(),
            shared: shared.clone(),
        });
        let task = self.rt.spawn(crate::transport::run_connection(
            id,
            origin.clone(),
            self.cfg.clone(),
            rx,
            shared.clone(),
            self.weak.clone(),
            self.counters.clone(),
        ));
        let mut tasks = self.tasks.lock();
        tasks.retain(|t| !t.is_finished());
        tasks.push(task);
        (tx, shared)
    }

    /// Opens connections to `origin` until it has `n` (bounded by the per-origin limit), so
    /// the handshakes are paid before the first request needs them.
    pub fn preconnect(&self, origin: &OriginKey, n: usize) -> Result<(), Error> {
        if self.closed.load(Ordering::Acquire) {
            return Err(Error::new(ErrorKind::Closed, "client is closed"));
        }
        if let Some(e) = self.breakers.check(origin, Instant::now()) {
            return Err(e);
        }
        let mut conns = self.conns.lock();
        let want = n.min(self.cfg.pool.max_connections_per_origin);
        loop {
            let list = conns.entry(origin.clone()).or_default();
            list.retain(|c| c.shared.usable() && !c.tx.is_closed());
            if list.len() >= want {
                return Ok(());
            }
            self.make_room(&mut conns, origin);
            self.open(&mut conns, origin);
        }
    }

    /// A connection attempt to `origin` finished (feeds the circuit breaker).
    pub fn connect_result(&self, origin: &OriginKey, result: Result<(), &Error>) {
        match result {
            Ok(()) => self.breakers.on_success(origin),
            Err(e) => self.breakers.on_failure(origin, e, Instant::now()),
        }
    }

    /// A connection attempt failed with `error` before `sub` was sent: retry it after a
    /// backoff while its retry budget lasts (a server restarting for a moment costs the
    /// caller nothing), else fail it.
    pub fn retry_connect(&self, mut sub: SubBox, error: Error) {
        if sub.attempts >= self.cfg.max_retries || self.closed.load(Ordering::Acquire) {
            self.counters.failed(error.kind());
            return sub.fail(error);
        }
        sub.attempts += 1;
        Counters::inc(&self.counters.requests_retried);
        let wait = self.breakers.retry_delay(sub.attempts as u32);
        tracing::debug!(target: crate::trace::POOL, request = sub.ctl.id.0, attempt = sub.attempts, ?wait, error = %error, "connect failed: retrying after a backoff");
        self.retry_later(sub, wait);
    }

    fn retry_later(&self, sub: SubBox, wait: std::time::Duration) {
        let key = self.next_delayed.fetch_add(1, Ordering::Relaxed);
        self.delayed.lock().insert(key, sub);
        let pool = self.weak.clone();
        self.rt.spawn(async move {
            tokio::time::sleep(wait).await;
            if let Some(pool) = pool.upgrade() {
                let sub = pool.delayed.lock().remove(&key);
                if let Some(sub) = sub {
                    pool.dispatch(sub);
                }
            }
        });
    }

    /// Retries an unprocessed request on another connection, or fails it when its retry
    /// budget is spent.
    pub fn retry(&self, mut sub: SubBox, error: Error) {
        if sub.attempts >= self.cfg.max_retries {
            self.counters.failed(error.kind());
            return sub.fail(error);
        }
        sub.attempts += 1;
        Counters::inc(&self.counters.requests_retried);
        tracing::debug!(target: crate::trace::POOL, request = sub.ctl.id.0, attempt = sub.attempts, error = %error, "retrying on another connection");
        self.dispatch(sub)
    }

    /// A snapshot of connections and counters.
    pub fn stats(&self) -> Stats {
        let conns = self
            .registry
            .lock()
            .iter()
            .filter_map(|(w, _)| w.upgrade())
            .filter(|c| !c.closed.load(Ordering::Acquire))
            .map(|c| ConnectionStats {
                id: c.id,
                origin: format!(
                    "{}://{}:{}",
                    c.origin.scheme.as_str(),
                    c.origin.host,
                    c.origin.port
                ),
                connecting: c.connecting.load(Ordering::Relaxed),
                accepting: c.accepting.load(Ordering::Relaxed),
                open_streams: c.open_streams.load(Ordering::Relaxed),
                queued: c.queued.load(Ordering::Relaxed),
                max_streams: c.max_streams.load(Ordering::Relaxed),
                rtt_us: c.rtt_us.load(Ordering::Relaxed),
            })
            .collect();
        Stats::from_counters(&self.counters, conns)
    }

    /// Time since the pool started.
    pub fn uptime(&self) -> std::time::Duration {
        self.epoch.elapsed()
    }

    /// Asks every live connection task for a snapshot and waits up to `wait` for the
    /// answers (tasks answer between two passes of their loop, so this does not stop them;
    /// one that does not answer in time is listed as unresponsive).
    pub fn debug_dump(&self, wait: std::time::Duration) -> crate::client::debug::DebugDump {
        use crate::client::debug::{ConnEntry, DebugDump};
        let (tx, rx) = std::sync::mpsc::channel();
        let mut entries = Vec::new();
        let mut asked = 0;
        let live: Vec<(Arc<ConnShared>, WeakUnboundedSender<Command>)> = self
            .registry
            .lock()
            .iter()
            .filter_map(|(w, s)| Some((w.upgrade()?, s.clone())))
            .filter(|(c, _)| !c.closed.load(Ordering::Acquire))
            .collect();
        for (c, sender) in live {
            let connecting = c.connecting.load(Ordering::Relaxed);
            if !connecting {
                if let Some(s) = sender.upgrade() {
                    if s.send(Command::Snapshot(tx.clone())).is_ok() {
                        asked += 1;
                    }
                }
            }
            entries.push(ConnEntry {
                id: c.id,
                origin: format!(
                    "{}://{}:{}",
                    c.origin.scheme.as_str(),
                    c.origin.host,
                    c.origin.port
                ),
                lane: c.origin.lane,
                connecting,
                accepting: c.accepting.load(Ordering::Relaxed),
                inbound: c.inbound.load(Ordering::Relaxed),
                dump: None,
            });
        }
        drop(tx);
        let deadline = Instant::now() + wait;
        while asked > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(d) => {
                    asked -= 1;
                    if let Some(e) = entries.iter_mut().find(|e| e.id == d.id) {
                        e.dump = Some(d);
                    }
                }
                Err(_) => break,
            }
        }
        let stats = Stats::from_counters(&self.counters, Vec::new());
        DebugDump {
            uptime: self.uptime(),
            connections: entries,
            delayed: self.delayed.lock().len(),
            requests_in_flight: stats.requests_in_flight(),
        }
    }

    /// Closes every connection (GOAWAY; in-flight requests end with `Cancelled`) and
    /// returns the connection tasks to await.
    pub fn close(&self) -> Vec<tokio::task::JoinHandle<()>> {
        self.closed.store(true, Ordering::Release);
        let delayed: Vec<SubBox> = self.delayed.lock().drain().map(|(_, s)| s).collect();
        for sub in delayed {
            self.counters.failed(ErrorKind::Cancelled);
            sub.fail(
                Error::new(ErrorKind::Cancelled, "client closed").with_processed(Processed::No),
            );
        }
        for (_, list) in self.conns.lock().drain() {
            for c in list {
                let _ = c.tx.send(Command::Close);
            }
        }
        std::mem::take(&mut *self.tasks.lock())
    }
}
