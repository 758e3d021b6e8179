//! Per-origin connection routing: every request for an origin goes to a connection that
//! accepts new streams; while the first connection is being set up, requests wait in its
//! queue instead of each opening its own. A connection that stops accepting (GOAWAY,
//! ids exhausted, error) is replaced by a fresh one for new requests.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Weak};

use parking_lot::Mutex;
use tokio::sync::mpsc::{self, UnboundedSender};

use crate::client::sink::{Command, EventSink, RequestCtl, ResponseEvent};
use crate::client::stats::{ConnectionStats, Counters, Stats};
use crate::client::Config;
use crate::error::{Error, ErrorKind, Processed};
use crate::request::{RequestHead, Scheme, Url};

/// What identifies an origin's connections.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct OriginKey {
    /// http or https.
    pub scheme: Scheme,
    /// Host name or address.
    pub host: Arc<str>,
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

/// Body of a submission as the connection task sees it.
pub(crate) enum SubmitBody {
    Empty,
    Full(bytes::Bytes),
    Stream(mpsc::Receiver<bytes::Bytes>),
}

/// A request on its way to (or between) connections.
pub(crate) struct Submission {
    pub origin: OriginKey,
    pub head: RequestHead,
    pub body: SubmitBody,
    pub sink: Box<dyn EventSink>,
    pub ctl: Arc<RequestCtl>,
    /// Transparent retries used so far.
    pub attempts: u8,
    /// Deadlines, resolved against the client's defaults.
    pub timeouts: crate::client::Timeouts,
    /// When the caller submitted it (set only when a deadline applies), so retries on
    /// another connection keep the original deadlines.
    pub submitted: Option<std::time::Instant>,
}

impl Submission {
    /// Delivers a terminal error to the caller.
    pub fn fail(mut self, error: Error) {
        self.sink.on_event(ResponseEvent::Error(error));
    }
}

/// State of one connection that the pool and the connection task share (the task writes,
/// the pool and `stats()` read).
pub(crate) struct ConnShared {
    pub id: u64,
    pub origin: OriginKey,
    pub accepting: AtomicBool,
    pub connecting: AtomicBool,
    pub open_streams: AtomicU64,
    pub queued: AtomicU64,
}

struct ConnHandle {
    tx: UnboundedSender<Command>,
    shared: Arc<ConnShared>,
}

/// All connections of a client.
pub(crate) struct Pool {
    conns: Mutex<HashMap<OriginKey, Vec<ConnHandle>>>,
    rt: tokio::runtime::Handle,
    pub cfg: Arc<Config>,
    closed: AtomicBool,
    tasks: Mutex<Vec<tokio::task::JoinHandle<()>>>,
    next_conn: AtomicU64,
    weak: Weak<Pool>,
    pub counters: Arc<Counters>,
    /// Every connection whose task may still run (for statistics).
    registry: Mutex<Vec<Weak<ConnShared>>>,
}

impl Pool {
    pub fn new(rt: tokio::runtime::Handle, cfg: Arc<Config>) -> Arc<Pool> {
        Arc::new_cyclic(|weak| Pool {
            conns: Mutex::new(HashMap::new()),
            rt,
            cfg,
            closed: AtomicBool::new(false),
            tasks: Mutex::new(Vec::new()),
            next_conn: AtomicU64::new(1),
            weak: weak.clone(),
            counters: Arc::new(Counters::default()),
            registry: Mutex::new(Vec::new()),
        })
    }

    /// Routes a submission to a connection of its origin, opening one if needed.
    pub fn dispatch(&self, mut sub: Box<Submission>) {
        loop {
            if self.closed.load(Ordering::Acquire) {
                let e =
                    Error::new(ErrorKind::Closed, "client is closed").with_processed(Processed::No);
                return sub.fail(e);
            }
            let tx = self.connection_for(&sub.origin);
            *sub.ctl.route.lock() = Some(tx.clone());
            match tx.send(Command::Submit(sub)) {
                Ok(()) => return,
                // The connection closed its queue: it is finished; pick or open another.
                Err(mpsc::error::SendError(Command::Submit(back))) => sub = back,
                Err(_) => unreachable!("send returns the command it was given"),
            }
        }
    }

    fn connection_for(&self, origin: &OriginKey) -> UnboundedSender<Command> {
        let mut conns = self.conns.lock();
        let list = conns.entry(origin.clone()).or_default();
        list.retain(|c| c.shared.accepting.load(Ordering::Acquire) && !c.tx.is_closed());
        if let Some(c) = list.first() {
            Counters::inc(&self.counters.acquisitions_hit);
            return c.tx.clone();
        }
        Counters::inc(&self.counters.acquisitions_miss);
        Counters::inc(&self.counters.connections_created);
        let (tx, rx) = mpsc::unbounded_channel();
        let id = self.next_conn.fetch_add(1, Ordering::Relaxed);
        let shared = Arc::new(ConnShared {
            id,
            origin: origin.clone(),
            accepting: AtomicBool::new(true),
            connecting: AtomicBool::new(true),
            open_streams: AtomicU64::new(0),
            queued: AtomicU64::new(0),
        });
        {
            let mut reg = self.registry.lock();
            reg.retain(|w| w.strong_count() > 0);
            reg.push(Arc::downgrade(&shared));
        }
        list.push(ConnHandle {
            tx: tx.clone(),
            shared: shared.clone(),
        });
        drop(conns);
        let task = self.rt.spawn(crate::transport::run_connection(
            id,
            origin.clone(),
            self.cfg.clone(),
            rx,
            shared,
            self.weak.clone(),
            self.counters.clone(),
        ));
        let mut tasks = self.tasks.lock();
        tasks.retain(|t| !t.is_finished());
        tasks.push(task);
        tx
    }

    /// Retries an unprocessed request on another connection, or fails it when its retry
    /// budget is spent.
    pub fn retry(&self, mut sub: Box<Submission>, error: Error) {
        if sub.attempts >= self.cfg.max_retries {
            Counters::inc(&self.counters.requests_failed);
            return sub.fail(error);
        }
        sub.attempts += 1;
        Counters::inc(&self.counters.requests_retried);
        self.dispatch(sub)
    }

    /// A snapshot of connections and counters.
    pub fn stats(&self) -> Stats {
        let conns = self
            .registry
            .lock()
            .iter()
            .filter_map(Weak::upgrade)
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
            })
            .collect();
        Stats::from_counters(&self.counters, conns)
    }

    /// Closes every connection (GOAWAY; in-flight requests end with `Cancelled`) and
    /// returns the connection tasks to await.
    pub fn close(&self) -> Vec<tokio::task::JoinHandle<()>> {
        self.closed.store(true, Ordering::Release);
        for (_, list) in self.conns.lock().drain() {
            for c in list {
                let _ = c.tx.send(Command::Close);
            }
        }
        std::mem::take(&mut *self.tasks.lock())
    }
}
