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

/// State of one connection that the pool and the connection task share.
pub(crate) struct ConnShared {
    pub accepting: AtomicBool,
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
            return c.tx.clone();
        }
        let (tx, rx) = mpsc::unbounded_channel();
        let shared = Arc::new(ConnShared {
            accepting: AtomicBool::new(true),
        });
        list.push(ConnHandle {
            tx: tx.clone(),
            shared: shared.clone(),
        });
        drop(conns);
        let id = self.next_conn.fetch_add(1, Ordering::Relaxed);
        let task = self.rt.spawn(crate::transport::run_connection(
            id,
            origin.clone(),
            self.cfg.clone(),
            rx,
            shared,
            self.weak.clone(),
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
            return sub.fail(error);
        }
        sub.attempts += 1;
        self.dispatch(sub)
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
