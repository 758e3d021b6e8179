//! The connection task: a single poll loop that moves commands into the protocol state
//! machine, bytes between it and the socket, and events out to the requests' sinks. One
//! task wake-up handles whatever is ready, so a burst of responses costs one pass.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::future::{poll_fn, Future};
use std::hash::BuildHasherDefault;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc::{self, UnboundedReceiver};

use crate::client::debug::ConnDump;
use crate::client::sink::{Command, Consumed, ResponseEvent};
use crate::client::stats::Counters;
use crate::client::Config;
use crate::error::{Error, ErrorKind, Processed};
use crate::frame::ErrorCode;
use crate::pool::{
    ConnShared, OriginKey, Pool, SubBox, SubmitBody, CLOSE_HINT_EVICTED, CLOSE_HINT_IDLE,
};
use crate::proto::{ConnMetrics, Connection, Event, RequestId};
use crate::request::Scheme;
use crate::trace;

/// Opens the connection (TCP, or TCP then TLS) and drives it until it closes.
pub(crate) async fn run_connection(
    conn_id: u64,
    origin: OriginKey,
    cfg: Arc<Config>,
    mut rx: UnboundedReceiver<Command>,
    shared: Arc<ConnShared>,
    pool: Weak<Pool>,
    counters: Arc<Counters>,
) {
    let failed = match origin.scheme {
        Scheme::Http => match within(&cfg, &origin, super::connect::tcp(&origin)).await {
            Ok(io) => return drive(conn_id, &origin, cfg, io, rx, shared, pool, counters).await,
            Err(e) => e,
        },
        Scheme::Https => {
            match within(&cfg, &origin, super::connect::tls(&origin, &cfg.tls)).await {
                Ok(io) => {
                    return drive(conn_id, &origin, cfg, io, rx, shared, pool, counters).await
                }
                Err(e) => e,
            }
        }
    };
    tracing::debug!(target: trace::TRANSPORT, conn = conn_id, origin = %origin.host, port = origin.port, error = %failed, "connect failed");
    shared.accepting.store(false, Ordering::Release);
    shared.connecting.store(false, Ordering::Relaxed);
    shared.closed.store(true, Ordering::Release);
    Counters::inc(&counters.closed_connect_failed);
    if let Some(p) = pool.upgrade() {
        p.connect_result(&origin, Err(&failed));
    }
    // Requests queued for the connection that could not be opened were never sent: retry
    // them after a backoff (bounded by their retry budget) or fail them.
    // `recv().await` after `close()`, not `try_recv`: a send in progress on another thread
    // would read as "empty" and its request would be lost.
    rx.close();
    let pool = pool.upgrade();
    while let Some(cmd) = rx.recv().await {
        if let Command::Submit(sub) = cmd {
            match &pool {
                Some(p) => p.retry_connect(sub, failed.clone()),
                None => {
                    counters.failed(failed.kind());
                    sub.fail(failed.clone());
                }
            }
        }
    }
}

/// Bounds a connection attempt (DNS, TCP and TLS) by `connect_timeout`.
async fn within<T>(
    cfg: &Config,
    origin: &OriginKey,
    attempt: impl std::future::Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    match tokio::time::timeout(cfg.connect_timeout, attempt).await {
        Ok(r) => r,
        Err(_) => Err(Error::new(
            ErrorKind::ConnectTimeout,
            format!("connect to {}:{} timed out", origin.host, origin.port),
        )
        .with_processed(Processed::No)),
    }
}

/// Runs the driver over an open byte stream until the connection closes.
#[allow(clippy::too_many_arguments)]
async fn drive<IO: AsyncRead + AsyncWrite + Unpin>(
    conn_id: u64,
    origin: &OriginKey,
    cfg: Arc<Config>,
    io: IO,
    rx: UnboundedReceiver<Command>,
    shared: Arc<ConnShared>,
    pool: Weak<Pool>,
    counters: Arc<Counters>,
) {
    tracing::debug!(target: trace::TRANSPORT, conn = conn_id, origin = %origin.host, port = origin.port, "connected: sending the preface and SETTINGS");
    shared.connecting.store(false, Ordering::Relaxed);
    if let Some(p) = pool.upgrade() {
        p.connect_result(origin, Ok(()));
    }
    let now = Instant::now();
    let mut driver = Driver {
        conn_id,
        published: ConnMetrics::default(),
        counters,
        idle_since: Some(now),
        soft_dead: false,
        retries_caused: 0,
        parked: Vec::new(),
        conn: {
            let mut c = Connection::new(cfg.proto.clone(), now);
            c.set_trace_id(conn_id);
            c
        },
        settings_deadline: Some(now + cfg.settings_timeout),
        last_heard: now,
        batch_now: None,
        batch_silent: false,
        deadlines: BinaryHeap::new(),
        timed_out: HashMap::default(),
        sleep: Box::pin(tokio::time::sleep_until(tokio::time::Instant::from_std(
            now + Duration::from_secs(3600),
        ))),
        sleep_at: None,
        cfg,
        io,
        rx,
        rx_closed: false,
        shared,
        pool,
        entries: HashMap::default(),
        streaming: Vec::new(),
        read_closed: false,
        write_closed: false,
        flush_pending: false,
    };
    poll_fn(|cx| driver.poll_drive(cx)).await;
    driver.finish().await;
}

/// A request the connection is carrying: its sink and what is needed to replay it.
struct Entry {
    sub: SubBox,
    /// Something of the response arrived: never replay.
    started: bool,
    /// The final head arrived (the headers deadline no longer applies).
    head_received: bool,
    /// Last time anything arrived for this request (idle deadline).
    last_activity: Instant,
    body_rx: Option<mpsc::Receiver<Bytes>>,
    body_ready: bool,
    body_sent: bool,
}

/// What a request deadline checks when it fires.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Deadline {
    Headers,
    Idle,
    Total,
}

struct Driver<IO> {
    conn: Connection,
    /// This connection's id (in the debug dump and in tracing events).
    conn_id: u64,
    counters: Arc<Counters>,
    /// The connection's metrics as last added to the client's counters.
    published: ConnMetrics,
    /// Since when no request has been on this connection (idle timeout).
    idle_since: Option<Instant>,
    /// A PING went unanswered past the soft timeout: no new requests here.
    soft_dead: bool,
    /// Unprocessed requests this connection handed back for retry.
    retries_caused: u32,
    /// Requests waiting for the answer to a liveness PING (the connection was silent for
    /// longer than `pool.check_after_idle`).
    parked: Vec<SubBox>,
    cfg: Arc<Config>,
    /// Until our SETTINGS are acknowledged.
    settings_deadline: Option<Instant>,
    /// Last time bytes arrived (keepalive PING after `keepalive_interval` of silence).
    last_heard: Instant,
    /// The clock read of the current batch of commands (`batch_now`).
    batch_now: Option<Instant>,
    /// At `batch_now`, the server had been silent for `check_after_idle`.
    batch_silent: bool,
    /// Request deadlines, earliest first.
    deadlines: BinaryHeap<Reverse<(Instant, RequestId, Deadline)>>,
    /// Requests cancelled by a deadline: their `Cancelled` becomes this error.
    timed_out: HashMap<RequestId, Error, BuildHasherDefault<crate::proto::IdHasher>>,
    sleep: Pin<Box<tokio::time::Sleep>>,
    sleep_at: Option<Instant>,
    io: IO,
    rx: UnboundedReceiver<Command>,
    rx_closed: bool,
    shared: Arc<ConnShared>,
    pool: Weak<Pool>,
    entries: HashMap<RequestId, Entry, BuildHasherDefault<crate::proto::IdHasher>>,
    /// Requests whose streamed body is still being read from the caller.
    streaming: Vec<RequestId>,
    read_closed: bool,
    write_closed: bool,
    /// The last flush returned Pending: retry it on the next pass.
    flush_pending: bool,
}

impl<IO: AsyncRead + AsyncWrite + Unpin> Driver<IO> {
    fn poll_drive(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            let mut progress = self.poll_commands(cx);
            progress |= self.poll_bodies(cx);
            progress |= self.poll_read(cx);
            progress |= self.poll_timers(cx);
            progress |= self.release_parked();
            self.dispatch_events();
            // Requests the sinks just submitted on this thread go out with this write,
            // not one more pass of the loop later.
            if self.shared.inbound.load(Ordering::Relaxed) > 0 {
                progress |= self.poll_commands(cx);
            }
            progress |= self.poll_write(cx);
            self.dispatch_events();
            if !self.conn.is_accepting() {
                self.shared.accepting.store(false, Ordering::Release);
            }
            self.publish_gauges();
            if self.conn.is_closed() && (self.write_closed || self.conn.poll_transmit().is_empty())
            {
                let _ = Pin::new(&mut self.io).poll_shutdown(cx);
                return Poll::Ready(());
            }
            if !progress {
                return Poll::Pending;
            }
        }
    }

    fn poll_commands(&mut self, cx: &mut Context<'_>) -> bool {
        let mut progress = false;
        self.batch_now = None;
        for _ in 0..1024 {
            if self.rx_closed {
                break;
            }
            match self.rx.poll_recv(cx) {
                Poll::Ready(Some(cmd)) => {
                    progress = true;
                    self.on_command(cmd);
                }
                Poll::Ready(None) => {
                    // Every handle is gone: the client was dropped.
                    self.rx_closed = true;
                    self.conn.close();
                    progress = true;
                }
                Poll::Pending => break,
            }
        }
        progress
    }

    fn on_command(&mut self, cmd: Command) {
        match cmd {
            Command::Submit(sub) => {
                self.shared.inbound.fetch_sub(1, Ordering::Relaxed);
                self.submit(sub)
            }
            Command::Release(id, n) => self.conn.release(id, n),
            Command::EndedCredit => {
                let n = self.shared.ended_credit.swap(0, Ordering::AcqRel);
                self.conn.release_ended(n);
            }
            Command::Cancel(id) => {
                self.conn.cancel(id);
                self.streaming.retain(|s| *s != id);
            }
            Command::Drain => self.conn.drain(),
            Command::Close => self.conn.close(),
            Command::Snapshot(reply) => {
                let _ = reply.send(self.dump());
            }
        }
    }

    fn dump(&self) -> ConnDump {
        let now = Instant::now();
        ConnDump {
            id: self.conn_id,
            conn: self.conn.snapshot(now),
            request_ages: self
                .entries
                .iter()
                .map(|(id, e)| (id.0, now.saturating_duration_since(e.sub.start)))
                .collect(),
            parked: self.parked.len(),
            soft_dead: self.soft_dead,
        }
    }

    /// The time for a batch of submissions: one clock read per batch, not per request.
    fn batch_now(&mut self) -> Instant {
        if let Some(now) = self.batch_now {
            return now;
        }
        let now = Instant::now();
        self.batch_now = Some(now);
        // The streams this batch opens are stamped with it (not with the last timer pass,
        // which may predate the submissions).
        self.conn.set_now(now);
        let ms = now.saturating_duration_since(self.shared.epoch).as_millis() as u64;
        self.shared.last_used_ms.store(ms, Ordering::Relaxed);
        // Nothing is read during a batch of commands, so `last_heard` holds for all of it.
        self.batch_silent = self
            .cfg
            .pool
            .check_after_idle
            .is_some_and(|after| now.saturating_duration_since(self.last_heard) >= after);
        now
    }

    fn submit(&mut self, sub: SubBox) {
        if !self.conn.is_accepting() || self.soft_dead {
            // Routed here just before this connection stopped accepting: send it elsewhere.
            self.shared.accepting.store(false, Ordering::Release);
            return match self.pool.upgrade() {
                Some(pool) => pool.dispatch(sub),
                None => {
                    self.counters.failed(ErrorKind::Closed);
                    sub.fail(Error::new(ErrorKind::Closed, "client is closed"))
                }
            };
        }
        let now = self.batch_now();
        if self.cfg.pool.check_after_idle.is_some()
            && (!self.parked.is_empty() || self.batch_silent)
        {
            // Silent for a while: make sure the server is there before using it.
            self.conn.send_ping(now);
            self.parked.push(sub);
            return;
        }
        self.submit_now(sub, now);
    }

    /// Requests parked for a liveness check go out once the PING is answered, or to
    /// another connection (no error to the caller) if the connection turned out dead.
    fn release_parked(&mut self) -> bool {
        if self.parked.is_empty() {
            return false;
        }
        if self.soft_dead || !self.conn.is_accepting() || self.conn.is_closed() {
            for sub in std::mem::take(&mut self.parked) {
                match self.pool.upgrade() {
                    Some(pool) => pool.dispatch(sub),
                    None => {
                        self.counters.failed(ErrorKind::Closed);
                        sub.fail(Error::new(ErrorKind::Closed, "client is closed"))
                    }
                }
            }
            return true;
        }
        if self.conn.ping_outstanding().is_none() {
            let now = Instant::now();
            for sub in std::mem::take(&mut self.parked) {
                self.submit_now(sub, now);
            }
            return true;
        }
        false
    }

    fn submit_now(&mut self, mut sub: SubBox, now: Instant) {
        let id = sub.ctl.id;
        let (first, end, body_rx) = match std::mem::replace(&mut sub.body, SubmitBody::Empty) {
            SubmitBody::Empty => (None, true, None),
            SubmitBody::Full(b) => {
                sub.body = SubmitBody::Full(b.clone());
                (Some(b), true, None)
            }
            SubmitBody::Stream(rx) => (None, false, Some(rx)),
        };
        if body_rx.is_some() {
            self.streaming.push(id);
        }
        let head = sub.head.clone();
        if sub.timeouts != crate::client::Timeouts::default() {
            let at = sub.start;
            let t = sub.timeouts;
            for (d, kind) in [(t.headers, Deadline::Headers), (t.total, Deadline::Total)] {
                if let Some(d) = d {
                    self.deadlines.push(Reverse((at + d, id, kind)));
                }
            }
            if let Some(d) = t.idle {
                self.deadlines.push(Reverse((now + d, id, Deadline::Idle)));
            }
        }
        self.entries.insert(
            id,
            Entry {
                sub,
                started: false,
                head_received: false,
                last_activity: now,
                body_rx,
                body_ready: true,
                body_sent: false,
            },
        );
        self.conn.submit(id, head, first, end);
    }

    /// Pulls request-body chunks from callers while the connection has room for them.
    fn poll_bodies(&mut self, cx: &mut Context<'_>) -> bool {
        let mut progress = false;
        let mut i = 0;
        while i < self.streaming.len() {
            let id = self.streaming[i];
            let Some(e) = self.entries.get_mut(&id) else {
                self.streaming.swap_remove(i);
                continue;
            };
            let mut finished = false;
            while e.body_ready {
                let Some(rx) = e.body_rx.as_mut() else {
                    finished = true;
                    break;
                };
                match rx.poll_recv(cx) {
                    Poll::Ready(Some(chunk)) => {
                        progress = true;
                        e.body_sent = true;
                        e.body_ready = self.conn.send_data(id, chunk, false);
                    }
                    Poll::Ready(None) => {
                        progress = true;
                        self.conn.send_data(id, Bytes::new(), true);
                        e.body_rx = None;
                        finished = true;
                        break;
                    }
                    Poll::Pending => break,
                }
            }
            if finished {
                self.streaming.swap_remove(i);
            } else {
                i += 1;
            }
        }
        progress
    }

    fn poll_read(&mut self, cx: &mut Context<'_>) -> bool {
        let mut progress = false;
        for _ in 0..16 {
            if self.read_closed || self.conn.is_closed() {
                break;
            }
            let room = self.cfg.proto.read_buffer_size;
            let buf = self.conn.read_buffer();
            if buf.capacity() - buf.len() < room.min(8192) {
                // In place when every chunk cut from the buffer was released; otherwise a
                // new allocation (counted as read-buffer reuse hits and misses).
                let m = &self.counters.metrics;
                if buf.try_reclaim(room) {
                    m.read_buffer_reused.fetch_add(1, Ordering::Relaxed);
                } else {
                    buf.reserve(room);
                    m.read_buffer_allocated.fetch_add(1, Ordering::Relaxed);
                }
            }
            match tokio_util::io::poll_read_buf(Pin::new(&mut self.io), cx, buf) {
                Poll::Ready(Ok(0)) => {
                    self.read_closed = true;
                    self.conn.process(Instant::now());
                    self.conn.transport_closed(Error::new(
                        ErrorKind::Io,
                        "the server closed the connection",
                    ));
                    progress = true;
                }
                Poll::Ready(Ok(n)) => {
                    let m = &self.counters.metrics;
                    m.wire_bytes_received.fetch_add(n as u64, Ordering::Relaxed);
                    let now = Instant::now();
                    self.last_heard = now;
                    self.process_read(cx, now);
                    progress = true;
                }
                Poll::Ready(Err(e)) => {
                    self.read_closed = true;
                    self.conn
                        .transport_closed(Error::new(ErrorKind::Io, format!("read failed: {e}")));
                    progress = true;
                }
                Poll::Pending => break,
            }
            self.dispatch_events();
            if self.conn.take_credit_queued() {
                // Write the credit now; more reads follow in the next pass.
                break;
            }
        }
        progress
    }

    /// Processes what one read brought. With `early_flush_frames` set, the frames go in
    /// slices of that many until one slice's responses led to new submissions (their
    /// callbacks submit on this thread, or the caller did meanwhile): those are written at
    /// once, then the rest of the read is processed. The server starts on them instead of
    /// idling until the whole read is handled (on loopback, +20–80% req/s for one busy
    /// connection; one more write per large read).
    fn process_read(&mut self, cx: &mut Context<'_>, now: Instant) {
        let slice = self.cfg.proto.early_flush_frames;
        if slice > 0 {
            while self.conn.process_some(now, slice) {
                self.dispatch_events();
                if self.poll_commands(cx) {
                    self.poll_write(cx);
                    let m = &self.counters.metrics;
                    m.early_flushes.fetch_add(1, Ordering::Relaxed);
                    break;
                }
            }
        }
        self.conn.process(now);
    }

    fn poll_write(&mut self, cx: &mut Context<'_>) -> bool {
        let mut progress = false;
        let mut wrote = false;
        while !self.write_closed {
            let out = self.conn.poll_transmit();
            if out.is_empty() {
                break;
            }
            match Pin::new(&mut self.io).poll_write(cx, out) {
                Poll::Ready(Ok(n)) if n > 0 => {
                    let m = &self.counters.metrics;
                    m.wire_bytes_sent.fetch_add(n as u64, Ordering::Relaxed);
                    self.conn.advance_transmit(n);
                    progress = true;
                    wrote = true;
                }
                Poll::Ready(Ok(_)) | Poll::Ready(Err(_)) => {
                    self.write_closed = true;
                    self.conn
                        .transport_closed(Error::new(ErrorKind::Io, "write to the server failed"));
                    progress = true;
                }
                Poll::Pending => break,
            }
        }
        if wrote || self.flush_pending {
            // A buffering transport (TLS) may hold bytes after `poll_write`: keep flushing
            // until it reports done, or they (e.g. WINDOW_UPDATEs) could sit there forever.
            self.flush_pending = Pin::new(&mut self.io).poll_flush(cx).is_pending();
        }
        progress
    }

    /// Fires due deadlines and liveness checks, then arms the sleep for the next one.
    fn poll_timers(&mut self, cx: &mut Context<'_>) -> bool {
        let mut progress = false;
        loop {
            let now = Instant::now();
            self.conn.set_now(now);
            progress |= self.fire_due(now);
            let Some(next) = self.next_wakeup() else {
                self.sleep_at = None;
                return progress;
            };
            // Re-armed only for an earlier deadline. A later one (the keepalive deadline
            // moves with every response) lets the armed timer fire early once, and this
            // loop re-arms it then: resetting tokio's timer on every response cost more
            // than the rest of the timer work.
            if self.sleep_at.is_none_or(|at| next < at) {
                self.sleep_at = Some(next);
                self.sleep
                    .as_mut()
                    .reset(tokio::time::Instant::from_std(next));
            }
            match self.sleep.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    self.sleep_at = None;
                    continue;
                }
                Poll::Pending => return progress,
            }
        }
    }

    /// Drops deadlines of requests that already ended once they dominate the heap, so a
    /// long deadline on many short requests cannot grow it without bound.
    fn compact_deadlines(&mut self) {
        if self.deadlines.len() > 2 * self.entries.len() + 64 {
            let entries = &self.entries;
            self.deadlines
                .retain(|Reverse((_, id, _))| entries.contains_key(id));
        }
    }

    fn next_wakeup(&self) -> Option<Instant> {
        if self.conn.is_closed() {
            return None;
        }
        let mut next = self.deadlines.peek().map(|Reverse((t, _, _))| *t);
        let mut consider = |t: Instant| next = Some(next.map_or(t, |n| n.min(t)));
        if let Some(t) = self.settings_deadline {
            consider(t);
        }
        if let Some(t) = self.conn.next_timeout() {
            consider(t);
        }
        if let (Some(since), Some(idle)) = (self.idle_since, self.cfg.pool.idle_timeout) {
            consider(since + idle);
        }
        match self.conn.ping_outstanding() {
            Some(sent) if !self.soft_dead => {
                consider(sent + self.cfg.ping_soft_timeout.min(self.cfg.ping_timeout))
            }
            Some(sent) => consider(sent + self.cfg.ping_timeout),
            None => {
                if let Some(every) = self.cfg.keepalive_interval {
                    consider(self.last_heard + every);
                }
            }
        }
        next
    }

    fn fire_due(&mut self, now: Instant) -> bool {
        let mut fired = false;
        self.compact_deadlines();
        if self.conn.next_timeout().is_some_and(|t| t <= now) {
            self.conn.handle_timeout(now);
            fired = true;
        }
        if self.settings_deadline.is_some() && self.conn.settings_acked() {
            self.settings_deadline = None;
        }
        if self.settings_deadline.is_some_and(|t| t <= now) {
            self.settings_deadline = None;
            let e = Error::new(
                ErrorKind::SettingsTimeout,
                format!(
                    "the server did not acknowledge SETTINGS within {:?}",
                    self.cfg.settings_timeout
                ),
            )
            .with_code(ErrorCode::SettingsTimeout);
            self.conn.abort(ErrorCode::SettingsTimeout, e);
            return true;
        }
        if let (Some(since), Some(idle)) = (self.idle_since, self.cfg.pool.idle_timeout) {
            if since + idle <= now && self.conn.is_accepting() {
                self.shared
                    .close_hint
                    .store(CLOSE_HINT_IDLE, Ordering::Relaxed);
                self.shared.accepting.store(false, Ordering::Release);
                self.conn.drain();
                self.idle_since = None;
                return true;
            }
        }
        if !self.soft_dead
            && self.conn.ping_outstanding().is_some_and(|sent| {
                sent + self.cfg.ping_soft_timeout.min(self.cfg.ping_timeout) <= now
            })
        {
            // Soft limit: stop sending new requests here; streams keep their grace period.
            self.soft_dead = true;
            self.shared.accepting.store(false, Ordering::Release);
            fired = true;
        }
        match self.conn.ping_outstanding() {
            Some(sent) if sent + self.cfg.ping_timeout <= now => {
                let e = Error::new(
                    ErrorKind::PingTimeout,
                    format!(
                        "PING unanswered for {:?}: connection considered dead",
                        self.cfg.ping_timeout
                    ),
                );
                self.conn.abort(ErrorCode::NoError, e);
                return true;
            }
            None if self
                .cfg
                .keepalive_interval
                .is_some_and(|every| self.last_heard + every <= now) =>
            {
                self.conn.send_ping(now);
                fired = true;
            }
            _ => {}
        }
        while let Some(&Reverse((at, id, kind))) = self.deadlines.peek() {
            if at > now {
                break;
            }
            self.deadlines.pop();
            let Some(e) = self.entries.get(&id) else {
                continue;
            };
            let (kind, msg) = match kind {
                Deadline::Headers if e.head_received => continue,
                Deadline::Headers => (ErrorKind::HeadersTimeout, "no response headers"),
                Deadline::Total => (ErrorKind::RequestTimeout, "request deadline passed"),
                Deadline::Idle => {
                    let idle = e.sub.timeouts.idle.unwrap_or_default();
                    let due = e.last_activity + idle;
                    if due > now {
                        self.deadlines.push(Reverse((due, id, Deadline::Idle)));
                        continue;
                    }
                    (ErrorKind::IdleTimeout, "nothing received for too long")
                }
            };
            self.timed_out.insert(id, Error::new(kind, msg));
            self.conn.cancel(id);
            fired = true;
        }
        fired
    }

    /// Stream and queue gauges for `stats()`; published before events are delivered so a
    /// caller woken by an event never reads an older figure.
    fn publish_gauges(&mut self) {
        let (open, queued) = (self.conn.open_streams(), self.conn.queued());
        let sh = &self.shared;
        sh.open_streams.store(open as u64, Ordering::Relaxed);
        sh.queued.store(queued as u64, Ordering::Relaxed);
        if self.conn.has_peer_settings() {
            let max = self.conn.peer_settings().max_concurrent_streams as u64;
            sh.max_streams.store(max, Ordering::Relaxed);
        }
        if let Some(rtt) = self.conn.rtt() {
            sh.rtt_us.store(rtt.as_micros() as u64, Ordering::Relaxed);
        }
        self.counters
            .metrics
            .add_connection_delta(self.conn.metrics(), &mut self.published);
        let busy = open + queued > 0 || !self.entries.is_empty();
        match (busy, self.idle_since) {
            (true, Some(_)) => self.idle_since = None,
            (false, None) => self.idle_since = Some(self.last_heard.max(Instant::now())),
            _ => {}
        }
    }

    fn dispatch_events(&mut self) {
        if !self.conn.has_events() {
            return;
        }
        // The sinks see statistics that include the frames behind their events.
        self.publish_gauges();
        while let Some(ev) = self.conn.poll_event() {
            match ev {
                Event::Data { id, data } => {
                    let Some(e) = self.entries.get_mut(&id) else {
                        continue;
                    };
                    e.started = true;
                    if e.sub.timeouts.idle.is_some() {
                        e.last_activity = self.last_heard;
                    }
                    let n = data.len();
                    if e.sub.sink.on_event(ResponseEvent::Data(data)) == Consumed::Now {
                        self.conn.release(id, n);
                    }
                }
                Event::Head {
                    id,
                    status,
                    headers,
                } => {
                    if let Some(e) = self.entries.get_mut(&id) {
                        e.head_received = true;
                        e.last_activity = self.last_heard;
                    }
                    self.deliver(id, ResponseEvent::Head { status, headers })
                }
                Event::Informational {
                    id,
                    status,
                    headers,
                } => self.deliver(id, ResponseEvent::Informational { status, headers }),
                Event::Trailers { id, headers } => {
                    self.deliver(id, ResponseEvent::Trailers(headers))
                }
                Event::Done { id } => {
                    if let Some(mut e) = self.entries.remove(&id) {
                        let took = self.last_heard.saturating_duration_since(e.sub.start);
                        self.counters.metrics.latency.record(took);
                        Counters::inc(&self.counters.requests_completed);
                        e.sub.ctl.ended.store(true, Ordering::Release);
                        e.sub.sink.on_event(ResponseEvent::Done);
                        if e.body_rx.is_some() {
                            // The server answered before the upload finished (RFC 9113
                            // §8.1): stop sending so the stream and its slot are freed.
                            self.streaming.retain(|s| *s != id);
                            self.conn.cancel(id);
                        }
                    }
                }
                Event::Failed { id, error } => self.on_failed(id, error),
                Event::SendReady { id } => {
                    if let Some(e) = self.entries.get_mut(&id) {
                        e.body_ready = true;
                    }
                }
            }
        }
    }

    fn deliver(&mut self, id: RequestId, ev: ResponseEvent) {
        if let Some(e) = self.entries.get_mut(&id) {
            e.started = true;
            e.sub.sink.on_event(ev);
        }
    }

    fn on_failed(&mut self, id: RequestId, error: Error) {
        let error = match self.timed_out.remove(&id) {
            Some(t) => t.with_processed(error.processed()),
            None => error,
        };
        let Some(mut e) = self.entries.remove(&id) else {
            return;
        };
        self.streaming.retain(|s| *s != id);
        if matches!(error.kind(), ErrorKind::Protocol | ErrorKind::StreamReset) {
            self.shared.errors.fetch_add(1, Ordering::Relaxed);
        }
        // A streamed body can be replayed only if none of it was taken from the caller.
        let replayable = !e.started && !e.body_sent;
        // Lost with the connection after it was sent: may have been processed, so only
        // idempotent requests, and only when the caller opted in.
        let lost_idempotent = self.cfg.pool.retry_idempotent
            && e.sub.head.method.is_idempotent()
            && matches!(error.kind(), ErrorKind::Io | ErrorKind::PingTimeout);
        if (error.is_unprocessed() || lost_idempotent)
            && replayable
            && error.kind() != ErrorKind::Cancelled
        {
            if let Some(pool) = self.pool.upgrade() {
                if let Some(rx) = e.body_rx.take() {
                    e.sub.body = SubmitBody::Stream(rx);
                }
                tracing::debug!(target: trace::POOL, conn = self.conn_id, request = id.0, error = %error, "retrying unprocessed request");
                self.retries_caused += 1;
                if self.retries_caused >= self.cfg.pool.connection_retry_budget {
                    // This connection keeps refusing work: retire it so retries (and new
                    // requests) go to a fresh one.
                    self.shared.accepting.store(false, Ordering::Release);
                    self.conn.drain();
                }
                return pool.retry(e.sub, error);
            }
        }
        self.counters.failed(error.kind());
        e.sub.sink.on_event(ResponseEvent::Error(error));
    }

    /// After the loop: hand requests that never reached the state machine to the pool, and
    /// record why the connection closed.
    async fn finish(&mut self) {
        self.shared.accepting.store(false, Ordering::Release);
        self.soft_dead = true;
        self.release_parked();
        self.shared.closed.store(true, Ordering::Release);
        self.shared.open_streams.store(0, Ordering::Relaxed);
        self.shared.queued.store(0, Ordering::Relaxed);
        let c = &self.counters;
        let hinted = match self.shared.close_hint.load(Ordering::Relaxed) {
            CLOSE_HINT_IDLE => Some(&c.closed_idle),
            CLOSE_HINT_EVICTED => Some(&c.closed_evicted),
            _ => None,
        };
        let reason = hinted.unwrap_or(match self.conn.close_error().map(Error::kind) {
            Some(ErrorKind::GoAway) => &c.closed_goaway,
            Some(ErrorKind::Io) => &c.closed_io,
            Some(ErrorKind::SettingsTimeout | ErrorKind::PingTimeout) => &c.closed_timeout,
            Some(ErrorKind::Protocol) => &c.closed_protocol,
            _ => &c.closed_client,
        });
        Counters::inc(reason);
        tracing::debug!(
            target: trace::TRANSPORT,
            conn = self.conn_id,
            error = ?self.conn.close_error().map(ToString::to_string),
            "connection closed"
        );
        self.rx.close();
        while let Some(cmd) = self.rx.recv().await {
            if let Command::Submit(sub) = cmd {
                match self.pool.upgrade() {
                    Some(pool) => pool.dispatch(sub),
                    None => {
                        self.counters.failed(ErrorKind::Closed);
                        sub.fail(
                            Error::new(ErrorKind::Closed, "client is closed")
                                .with_processed(Processed::No),
                        )
                    }
                }
            }
        }
        // The state machine ends every request it holds; anything left is a bug, but the
        // caller still gets exactly one ending.
        let leftover: Vec<RequestId> = self.entries.keys().copied().collect();
        debug_assert!(leftover.is_empty(), "requests left on a closed connection");
        for id in leftover {
            if let Some(e) = self.entries.remove(&id) {
                self.counters.failed(ErrorKind::Closed);
                e.sub
                    .fail(Error::new(ErrorKind::Closed, "connection closed"));
            }
        }
    }
}
