//! The public client: a runtime on threads the library owns, a pool of connections per
//! origin, and two ways in: the async Rust API ([`Client::send`], [`Client::get`]) and the
//! event-sink form ([`Client::submit`]) that the C, Python and Node front ends adapt.

pub mod config;
pub(crate) mod debug;
mod json;
pub mod metrics;
pub mod request;
pub mod response;
pub mod settings;
pub mod sink;
pub mod stats;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use parking_lot::Mutex;

pub use config::{Config, Overflow, PoolConfig, TlsConfig};
pub use metrics::Metrics;
pub use request::{Body, BodySender, Request, Timeouts};
pub use response::{Response, ResponseBody, ResponseFuture};
pub use settings::{ConfigError, ConfigLoader, SettingValue};
pub use sink::{Consumed, EventSink, RequestHandle, ResponseEvent};
pub use stats::{CloseReasons, ConnectionStats, Stats};

use crate::error::{Error, ErrorKind, Processed, Result};
use crate::pool::{OriginKey, Pool, SubBox, Submission, SubmitBody};
use crate::proto::RequestId;
use response::{Inbox, InboxSink};
use sink::RequestCtl;

/// How long `close` waits for connections to say GOAWAY and finish.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

struct Runtime {
    handle: tokio::runtime::Handle,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

struct Inner {
    pool: Arc<Pool>,
    next_id: AtomicU64,
    closed: AtomicBool,
    runtime: Mutex<Runtime>,
}

/// An HTTP/2 client. Cheap to clone (clones share connections); usable from any thread and
/// from any async runtime, or none (see [`Client::blocking_get`]).
///
/// ```no_run
/// # async fn demo() -> h2o_core::Result<()> {
/// let client = h2o_core::Client::new()?;
/// let mut resp = client.get("http://127.0.0.1:8080/hello").await?;
/// let body = resp.bytes().await?;
/// println!("{} {:?}", resp.status(), body);
/// client.close();
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

impl Client {
    /// A client with the default [`Config`].
    pub fn new() -> Result<Client> {
        Client::with_config(Config::default())
    }

    /// A client with `config` (validated first: the error names the bad setting).
    pub fn with_config(config: Config) -> Result<Client> {
        config
            .validate()
            .map_err(|e| Error::new(ErrorKind::InvalidArgument, e))?;
        let rt = if config.runtime_threads == 1 {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
        } else {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(config.runtime_threads)
                .thread_name("h2o-worker")
                .enable_all()
                .build()
        }
        .map_err(|e| Error::new(ErrorKind::Io, format!("cannot start the runtime: {e}")))?;
        let handle = rt.handle().clone();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let pool = Pool::new(handle.clone(), Arc::new(config));
        let pool_for_thread = pool.clone();
        let thread = std::thread::Builder::new()
            .name("h2o-runtime".into())
            .spawn(move || {
                rt.block_on(async move {
                    let _ = stop_rx.await;
                    let tasks = pool_for_thread.close();
                    let all = async {
                        for t in tasks {
                            let _ = t.await;
                        }
                    };
                    let _ = tokio::time::timeout(CLOSE_GRACE, all).await;
                });
                rt.shutdown_timeout(Duration::from_millis(100));
            })
            .map_err(|e| Error::new(ErrorKind::Io, format!("cannot start a thread: {e}")))?;
        Ok(Client {
            inner: Arc::new(Inner {
                pool,
                next_id: AtomicU64::new(1),
                closed: AtomicBool::new(false),
                runtime: Mutex::new(Runtime {
                    handle,
                    stop: Some(stop_tx),
                    thread: Some(thread),
                }),
            }),
        })
    }

    /// Sends `request`; the future resolves to the response head.
    pub fn send(&self, request: Request) -> ResponseFuture {
        let inbox = Arc::new(Mutex::new(Inbox::default()));
        let handle = self.submit(request, InboxSink(inbox.clone()));
        ResponseFuture {
            inbox,
            handle: Some(handle),
            informational: Vec::new(),
        }
    }

    /// GET `url`.
    pub async fn get(&self, url: &str) -> Result<Response> {
        self.send(Request::get(url)?).await
    }

    /// GET `url` and read the whole body, blocking the calling thread (for code without an
    /// async runtime). Returns the response (body consumed) and the body.
    pub fn blocking_get(&self, url: &str) -> Result<(Response, bytes::Bytes)> {
        let url = url.to_owned();
        block_on(async move {
            let mut resp = self.get(&url).await?;
            let body = resp.bytes().await?;
            Ok((resp, body))
        })
    }

    /// Sends `request` and delivers its events to `sink` on the runtime thread: the
    /// building block of the C, Python and Node front ends. The sink receives exactly one
    /// terminal event (`Done` or `Error`), including when the client closes.
    pub fn submit(&self, request: Request, sink: impl EventSink) -> RequestHandle {
        self.submit_with(request, |_| sink)
    }

    /// [`submit`](Self::submit), with the sink made from the request's handle before the
    /// request leaves this thread: a sink (or a registry beside it) that needs its own id or
    /// handle, to cancel itself or return credit, has it before its first event.
    ///
    /// ```no_run
    /// use h2o_core::client::{Consumed, ResponseEvent};
    /// let client = h2o_core::Client::new().unwrap();
    /// let req = h2o_core::Request::get("http://127.0.0.1:8080/").unwrap();
    /// client.submit_with(req, |handle| {
    ///     let handle = handle.clone();
    ///     move |ev: ResponseEvent| {
    ///         if let ResponseEvent::Data(d) = &ev {
    ///             handle.release(d.len()); // credit back after the bytes were handled
    ///             return Consumed::Later;
    ///         }
    ///         Consumed::Now
    ///     }
    /// });
    /// ```
    pub fn submit_with<S: EventSink>(
        &self,
        request: Request,
        make_sink: impl FnOnce(&RequestHandle) -> S,
    ) -> RequestHandle {
        let id = RequestId(self.inner.next_id.fetch_add(1, Ordering::Relaxed));
        let ctl = Arc::new(RequestCtl {
            id,
            route: Mutex::new(None),
            ended: AtomicBool::new(false),
        });
        let handle = RequestHandle { ctl: ctl.clone() };
        let sink = make_sink(&handle);
        let cfg = &self.inner.pool.cfg;
        let timeouts = Timeouts {
            headers: request.timeouts.headers.or(cfg.headers_timeout),
            idle: request.timeouts.idle.or(cfg.idle_timeout),
            total: request.timeouts.total.or(cfg.request_timeout),
        };
        let start = std::time::Instant::now();
        tracing::debug!(
            target: crate::trace::CLIENT,
            request = id.0,
            method = request.head.method.as_str(),
            host = request.url.host(),
            port = request.url.port(),
            // Without the query string, which may carry credentials.
            path = request.url.path().split('?').next().unwrap_or(""),
            "request submitted"
        );
        let body = match request.body {
            request::Body::Empty => SubmitBody::Empty,
            request::Body::Full(b) => SubmitBody::Full(b),
            request::Body::Stream(rx) => SubmitBody::Stream(rx),
        };
        let mut head = request.head;
        if !request.priority_set {
            head.priority = cfg.default_priority;
        }
        let sub = SubBox::new(Submission {
            origin: OriginKey::of(&request.url, request.lane),
            head,
            body,
            ctl,
            attempts: 0,
            timeouts,
            start,
            sink,
        });
        stats::Counters::inc(&self.inner.pool.counters.submit.requests_submitted);
        let invalid = sub
            .head
            .headers
            .iter()
            .find_map(|(n, v)| crate::request::validate_request_header(n, v).err());
        if let Some(e) = invalid {
            self.inner.pool.counters.failed(e.kind());
            sub.fail(e.with_processed(Processed::No));
        } else if self.inner.closed.load(Ordering::Acquire) {
            self.inner.pool.counters.failed(ErrorKind::Closed);
            sub.fail(
                Error::new(ErrorKind::Closed, "client is closed").with_processed(Processed::No),
            );
        } else {
            self.inner.pool.dispatch(sub);
        }
        handle
    }

    /// Closes the client: GOAWAY on every connection, every in-flight request ends with
    /// `Cancelled`, and the runtime thread is joined. Idempotent. Must not be called from
    /// inside an [`EventSink`] (the runtime thread cannot join itself); there, drop the
    /// client instead and it closes in the background.
    pub fn close(&self) {
        tracing::debug!(target: crate::trace::CLIENT, "client closing");
        self.inner.close(true);
    }

    /// Opens connections to the origin of `url` until it has `n` (at most
    /// `pool.max_connections_per_origin`), so a game can pay the handshakes before the first
    /// frame that needs them. Returns at once; the connections appear in [`stats`](Self::stats).
    ///
    /// ```no_run
    /// let client = h2o_core::Client::new().unwrap();
    /// client.preconnect("http://127.0.0.1:8080/", 2).unwrap();
    /// ```
    pub fn preconnect(&self, url: &str, n: usize) -> Result<()> {
        let url = crate::request::Url::parse(url)?;
        self.inner.pool.preconnect(&OriginKey::of(&url, 0), n)
    }

    /// Picks the connection a request to `url` would use, sending nothing; returns its id.
    /// For the pool-acquisition benchmark.
    #[doc(hidden)]
    pub fn acquire_connection(&self, url: &crate::request::Url) -> Result<u64> {
        self.inner.pool.acquire(&OriginKey::of(url, 0))
    }

    /// A snapshot of connections and request counters.
    pub fn stats(&self) -> Stats {
        self.inner.pool.stats()
    }

    /// A metrics snapshot: latency histogram (p50/p90/p99/p999), request, byte and error
    /// counts, flow-control stalls, HPACK compression, read-buffer reuse and the pool
    /// statistics of [`stats`](Self::stats). Cheap (no connection task is involved); diff
    /// two snapshots for rates over an interval.
    ///
    /// ```no_run
    /// let client = h2o_core::Client::new().unwrap();
    /// let m = client.metrics();
    /// println!("p99 {:?}, {:.0} req/s", m.latency.quantile(0.99), m.requests_per_second());
    /// println!("{}", m.to_json());
    /// ```
    pub fn metrics(&self) -> Metrics {
        let pool = &self.inner.pool;
        Metrics::collect(&pool.counters.metrics, pool.stats(), pool.uptime())
    }

    /// A JSON dump of every connection: state (`connecting`, `open`, `draining`,
    /// `closed`), settings both ways, connection windows both ways, open streams with
    /// their state, windows and age, queued requests, RTT. Each connection task answers
    /// between two passes of its loop; one that does not answer within 500 ms is listed
    /// as `unresponsive`. Blocks the calling thread for at most that long: do not call it
    /// from inside an [`EventSink`].
    ///
    /// ```no_run
    /// let client = h2o_core::Client::new().unwrap();
    /// eprintln!("{}", client.debug_dump());
    /// ```
    pub fn debug_dump(&self) -> String {
        self.inner
            .pool
            .debug_dump(Duration::from_millis(500))
            .to_json()
    }

    /// Whether [`close`](Self::close) was called.
    pub fn is_closed(&self) -> bool {
        self.inner.closed.load(Ordering::Acquire)
    }
}

impl Inner {
    fn close(&self, join: bool) {
        self.closed.store(true, Ordering::Release);
        let (stop, thread) = {
            let mut rt = self.runtime.lock();
            (rt.stop.take(), rt.thread.take())
        };
        if let Some(stop) = stop {
            let _ = stop.send(());
        }
        if let Some(thread) = thread {
            let on_runtime_thread = thread.thread().id() == std::thread::current().id()
                || tokio::runtime::Handle::try_current()
                    .map(|h| h.id() == self.runtime.lock().handle.id())
                    .unwrap_or(false);
            if join && !on_runtime_thread {
                let _ = thread.join();
            }
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.close(true);
    }
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// Runs a future to completion on the calling thread (no runtime needed: the work happens
/// on the client's own threads; this thread only waits).
pub fn block_on<F: std::future::Future>(fut: F) -> F::Output {
    use std::task::{Context, Poll, Wake, Waker};
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut fut = std::pin::pin!(fut);
    loop {
        if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park();
    }
}
