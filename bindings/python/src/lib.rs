//! `h2o_client._native`: the pyo3 layer between Python and h2o-core.
//!
//! Every request gets a [`Shared`] state: the core's [`EventSink`] (which runs on the
//! library's runtime thread and never touches Python) pushes events into a mutex-protected
//! queue and wakes whoever waits:
//!
//! - sync callers block on a condition variable with the GIL released (`py.detach`);
//! - asyncio callers are woken through a per-client socket pair that the event loop
//!   watches with `loop.add_reader`: the sink appends the request's token to a ready list
//!   and writes one byte only when that list was empty, so a burst of completions costs one
//!   loop wake-up, after which Python drains every ready token at once.
//!
//! Buffered requests (`client.get`) wake their caller once, at the terminal event, and
//! return their flow-control credit immediately. Streamed requests (`client.stream`) wake
//! on every event and return credit only when Python takes a chunk
//! ([`Consumed::Later`] + [`RequestHandle::release`]), so a slow reader slows the server.

mod log;

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use h2o_core::client::{
    BodySender, Config, Consumed, EventSink, Overflow, Request, RequestHandle, ResponseEvent,
    TlsConfig,
};
use h2o_core::{Client, Error as CoreError, ErrorKind, Headers, Method};
use parking_lot::{Condvar, Mutex};
use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple, PyType};

/// The exception classes by kind number, and their base (`h2o_client.Error`), registered
/// by `h2o_client/__init__.py`.
static ERROR_CLASSES: PyOnceLock<(Py<PyDict>, Py<PyType>)> = PyOnceLock::new();

/// The Python exception for a core error: `cls(message, kind, kind_name, code, unprocessed,
/// remote)`. The classes have no Python-level `__init__` (their attributes are properties
/// over `args`), so raising one from here runs no Python code: a thread inside this module
/// never executes bytecode, where CPython could switch threads (or, during finalization,
/// end the thread with `pthread_exit`, which cannot unwind through Rust frames).
fn core_err(py: Python<'_>, e: &CoreError) -> PyErr {
    let kind = e.kind();
    let args = (
        e.to_string(),
        kind.code(),
        kind.name(),
        e.code().map(u32::from),
        e.is_unprocessed(),
        e.is_remote(),
    );
    let Some((by_kind, base)) = ERROR_CLASSES.get(py) else {
        return PyRuntimeError::new_err(e.to_string());
    };
    let cls = match by_kind.bind(py).get_item(kind.code()) {
        Ok(Some(c)) => match c.cast_into::<PyType>() {
            Ok(t) => t,
            Err(_) => base.bind(py).clone(),
        },
        _ => base.bind(py).clone(),
    };
    PyErr::from_type(cls, args)
}

fn invalid_argument(py: Python<'_>, msg: String) -> PyErr {
    core_err(py, &CoreError::new(ErrorKind::InvalidArgument, msg))
}

/// Registers the exception classes (called once by the Python package).
#[pyfunction]
fn _set_error_classes(py: Python<'_>, by_kind: Py<PyDict>, base: Py<PyType>) {
    let _ = ERROR_CLASSES.set(py, (by_kind, base));
}

/// The stable number of every error kind, by name (for the Python exception table).
#[pyfunction]
fn error_kinds() -> Vec<(u32, &'static str)> {
    (1..=64)
        .filter_map(ErrorKind::from_code)
        .map(|k| (k.code(), k.name()))
        .collect()
}

// ---------------------------------------------------------------------------------------
// Counters the binding keeps itself (the core has no stats API yet).

#[derive(Default)]
struct Stats {
    submitted: AtomicU64,
    completed: AtomicU64,
    failed: AtomicU64,
    cancelled: AtomicU64,
    bytes_sent: AtomicU64,
    bytes_received: AtomicU64,
    wakeups: AtomicU64,
}

// ---------------------------------------------------------------------------------------
// asyncio wake-ups.

struct Notifier {
    ready: Mutex<Vec<u64>>,
    tx: UnixStream,
    rx: UnixStream,
}

impl Notifier {
    fn new() -> std::io::Result<Notifier> {
        let (tx, rx) = UnixStream::pair()?;
        tx.set_nonblocking(true)?;
        rx.set_nonblocking(true)?;
        Ok(Notifier {
            ready: Mutex::new(Vec::new()),
            tx,
            rx,
        })
    }

    /// Called on the runtime thread: queue `token`, wake the loop if it is not yet awake.
    fn push(&self, token: u64, stats: &Stats) {
        let first = {
            let mut r = self.ready.lock();
            r.push(token);
            r.len() == 1
        };
        if first {
            stats.wakeups.fetch_add(1, Ordering::Relaxed);
            // A full socket buffer means a wake-up is already pending: nothing lost.
            let _ = (&self.tx).write(&[1]);
        }
    }

    /// Called on the loop thread: consume the wake-up bytes, then take the ready tokens
    /// (in this order, so a token pushed after the swap writes a new byte).
    fn drain(&self) -> Vec<u64> {
        let mut buf = [0u8; 256];
        while let Ok(n) = (&self.rx).read(&mut buf) {
            if n < buf.len() {
                break;
            }
        }
        std::mem::take(&mut *self.ready.lock())
    }
}

// ---------------------------------------------------------------------------------------
// Per-request state.

#[derive(Default)]
struct State {
    events: VecDeque<ResponseEvent>,
    /// The terminal event arrived (it may still be in `events`).
    done: bool,
    /// Python has consumed the terminal event: `None` = not yet, `Some(None)` = ended
    /// fine, `Some(Some(e))` = failed with `e`.
    finished: Option<Option<CoreError>>,
    trailers: Option<Headers>,
    head_taken: bool,
}

struct Shared {
    state: Mutex<State>,
    cond: Condvar,
    streaming: bool,
    token: u64,
    notifier: Option<Arc<Notifier>>,
    /// The token is in the notifier's ready list and not yet looked at.
    queued: AtomicBool,
    stats: Arc<Stats>,
}

struct Sink(Arc<Shared>);

impl EventSink for Sink {
    fn on_event(&mut self, event: ResponseEvent) -> Consumed {
        let sh = &*self.0;
        let terminal = event.is_terminal();
        let mut consumed = Consumed::Now;
        match &event {
            ResponseEvent::Data(d) => {
                sh.stats
                    .bytes_received
                    .fetch_add(d.len() as u64, Ordering::Relaxed);
                if sh.streaming {
                    consumed = Consumed::Later;
                }
            }
            ResponseEvent::Done => {
                sh.stats.completed.fetch_add(1, Ordering::Relaxed);
            }
            ResponseEvent::Error(e) => {
                sh.stats.failed.fetch_add(1, Ordering::Relaxed);
                if e.kind() == ErrorKind::Cancelled {
                    sh.stats.cancelled.fetch_add(1, Ordering::Relaxed);
                }
            }
            _ => {}
        }
        {
            let mut st = sh.state.lock();
            st.events.push_back(event);
            if terminal {
                st.done = true;
            }
        }
        if sh.streaming || terminal {
            sh.cond.notify_all();
            if let Some(n) = &sh.notifier {
                if !sh.queued.swap(true, Ordering::AcqRel) {
                    n.push(sh.token, &sh.stats);
                }
            }
        }
        consumed
    }
}

fn header_str<'py>(py: Python<'py>, b: &[u8]) -> Bound<'py, PyString> {
    match std::str::from_utf8(b) {
        Ok(s) => PyString::new(py, s),
        // Not UTF-8: latin-1, byte for byte (as http.client does).
        Err(_) => PyString::new(py, &b.iter().map(|&c| c as char).collect::<String>()),
    }
}

fn headers_to_py<'py>(py: Python<'py>, h: &Headers) -> PyResult<Bound<'py, PyList>> {
    let items: Vec<Bound<'py, PyTuple>> = h
        .iter()
        .map(|(n, v)| PyTuple::new(py, [header_str(py, n), header_str(py, v)]))
        .collect::<PyResult<_>>()?;
    PyList::new(py, items)
}

/// Threads currently waiting in this module with the GIL released (see `detached`).
static DETACHED: AtomicUsize = AtomicUsize::new(0);

/// `py.detach(f)`, counted: at interpreter exit the Python layer closes every client, then
/// waits (GIL released) until no thread is still inside such a wait, so none of them tries
/// to take the GIL back once finalization has begun (CPython < 3.14 ends such threads with
/// `pthread_exit`, which cannot unwind through Rust frames).
fn detached<T: Send, F: Send + FnOnce() -> T>(py: Python<'_>, f: F) -> T {
    DETACHED.fetch_add(1, Ordering::SeqCst);
    let r = py.detach(f);
    DETACHED.fetch_sub(1, Ordering::SeqCst);
    r
}

/// How many threads wait inside this module with the GIL released.
#[pyfunction]
fn threads_waiting() -> usize {
    DETACHED.load(Ordering::SeqCst)
}

/// How long a blocked sync caller sleeps between checks for Ctrl-C.
const SIGNAL_CHECK: Duration = Duration::from_millis(100);

impl Shared {
    /// Blocks (GIL released) until `ready(state)` holds; checks for signals meanwhile.
    fn wait(&self, py: Python<'_>, ready: impl Fn(&State) -> bool + Sync) -> PyResult<()> {
        if ready(&self.state.lock()) {
            return Ok(());
        }
        loop {
            let ok = detached(py, || {
                let mut st = self.state.lock();
                if !ready(&st) {
                    self.cond.wait_for(&mut st, SIGNAL_CHECK);
                }
                ready(&st)
            });
            if ok {
                return Ok(());
            }
            py.check_signals()?;
        }
    }
}

fn head_ready(st: &State) -> bool {
    st.done
        || st
            .events
            .iter()
            .any(|e| matches!(e, ResponseEvent::Head { .. }))
}

fn event_ready(st: &State) -> bool {
    st.done
        || st
            .events
            .iter()
            .any(|e| matches!(e, ResponseEvent::Data(_)))
}

fn done_ready(st: &State) -> bool {
    st.done
}

/// An in-flight request, as the Python layer sees it. Dropping it before the response
/// ended cancels the request (RST_STREAM CANCEL).
#[pyclass(frozen, module = "h2o_client._native")]
struct NativeRequest {
    shared: Arc<Shared>,
    handle: RequestHandle,
    body: Mutex<Option<BodySender>>,
}

impl Drop for NativeRequest {
    fn drop(&mut self) {
        if !self.shared.state.lock().done {
            self.handle.cancel();
        }
    }
}

/// `(status, headers, body, trailers)`.
type FullResponse<'py> = (
    u16,
    Bound<'py, PyList>,
    Bound<'py, PyBytes>,
    Option<Bound<'py, PyList>>,
);

enum Step {
    NotReady,
    Chunk(Bytes),
    End,
}

/// Why a request step failed, as plain Rust data: converted to a Python exception only
/// once no Rust lock is held (creating Python objects can run arbitrary Python code through
/// the garbage collector and let other threads take the GIL).
enum Fail {
    Core(CoreError),
    Usage(&'static str),
}

impl Fail {
    fn into_py(self, py: Python<'_>) -> PyErr {
        match self {
            Fail::Core(e) => core_err(py, &e),
            Fail::Usage(m) => PyRuntimeError::new_err(m),
        }
    }
}

impl NativeRequest {
    /// Pops events up to and including the head; `Ok(None)` if it has not arrived.
    fn pop_head_raw(&self) -> Result<Option<(u16, Headers)>, Fail> {
        self.shared.queued.store(false, Ordering::Release);
        let mut st = self.shared.state.lock();
        if st.head_taken {
            return Err(Fail::Usage("the response head was already taken"));
        }
        while let Some(ev) = st.events.pop_front() {
            match ev {
                ResponseEvent::Head { status, headers } => {
                    st.head_taken = true;
                    return Ok(Some((status, headers)));
                }
                ResponseEvent::Error(e) => {
                    st.finished = Some(Some(e.clone()));
                    return Err(Fail::Core(e));
                }
                ResponseEvent::Done => {
                    let e = CoreError::new(ErrorKind::Protocol, "response ended without a head");
                    st.finished = Some(Some(e.clone()));
                    return Err(Fail::Core(e));
                }
                _ => {}
            }
        }
        Ok(None)
    }

    fn pop_head<'py>(&self, py: Python<'py>) -> PyResult<Option<(u16, Bound<'py, PyList>)>> {
        match self.pop_head_raw() {
            Ok(Some((status, headers))) => Ok(Some((status, headers_to_py(py, &headers)?))),
            Ok(None) => Ok(None),
            Err(f) => Err(f.into_py(py)),
        }
    }

    fn pop_chunk_raw(&self) -> Result<Step, Fail> {
        self.shared.queued.store(false, Ordering::Release);
        let mut st = self.shared.state.lock();
        if let Some(fin) = &st.finished {
            return match fin {
                None => Ok(Step::End),
                Some(e) => Err(Fail::Core(e.clone())),
            };
        }
        while let Some(ev) = st.events.pop_front() {
            match ev {
                ResponseEvent::Data(d) => {
                    if self.shared.streaming {
                        self.handle.release(d.len());
                    }
                    if !d.is_empty() {
                        return Ok(Step::Chunk(d));
                    }
                }
                ResponseEvent::Trailers(t) => st.trailers = Some(t),
                ResponseEvent::Done => {
                    st.finished = Some(None);
                    return Ok(Step::End);
                }
                ResponseEvent::Error(e) => {
                    st.finished = Some(Some(e.clone()));
                    return Err(Fail::Core(e));
                }
                _ => {}
            }
        }
        Ok(Step::NotReady)
    }

    fn pop_chunk(&self, py: Python<'_>) -> PyResult<Step> {
        self.pop_chunk_raw().map_err(|f| f.into_py(py))
    }

    fn trailers_raw(&self) -> Option<Headers> {
        self.shared.state.lock().trailers.clone()
    }
}

#[pymethods]
impl NativeRequest {
    /// The token the asyncio wake-ups carry.
    #[getter]
    fn token(&self) -> u64 {
        self.shared.token
    }

    /// Whether the terminal event arrived.
    fn is_done(&self) -> bool {
        self.shared.state.lock().done
    }

    /// Cancels the request (no-op once it ended).
    fn cancel(&self) {
        self.handle.cancel();
    }

    /// Non-blocking: `None` if the head has not arrived, else `(status, headers)`.
    fn poll_head<'py>(&self, py: Python<'py>) -> PyResult<Option<(u16, Bound<'py, PyList>)>> {
        self.pop_head(py)
    }

    /// Blocks (GIL released) for the head: `(status, headers)`.
    fn wait_head<'py>(&self, py: Python<'py>) -> PyResult<(u16, Bound<'py, PyList>)> {
        self.shared.wait(py, head_ready)?;
        match self.pop_head(py)? {
            Some(h) => Ok(h),
            None => Err(PyRuntimeError::new_err("no response head")),
        }
    }

    /// Non-blocking: the next body chunk, `b""` at the end, `None` if nothing is ready.
    fn poll_chunk<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyBytes>>> {
        Ok(match self.pop_chunk(py)? {
            Step::NotReady => None,
            Step::Chunk(d) => Some(PyBytes::new(py, &d)),
            Step::End => Some(PyBytes::new(py, b"")),
        })
    }

    /// Blocks (GIL released) for the next body chunk; `b""` at the end.
    fn wait_chunk<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        loop {
            match self.pop_chunk(py)? {
                Step::Chunk(d) => return Ok(PyBytes::new(py, &d)),
                Step::End => return Ok(PyBytes::new(py, b"")),
                Step::NotReady => self.shared.wait(py, event_ready)?,
            }
        }
    }

    /// After the terminal event (`is_done()`), everything at once:
    /// `(status, headers, body, trailers or None)`; raises the request's error.
    fn take_response<'py>(&self, py: Python<'py>) -> PyResult<FullResponse<'py>> {
        let (status, headers) = match self.pop_head_raw() {
            Ok(Some(h)) => h,
            Ok(None) => return Err(PyRuntimeError::new_err("the response has not ended")),
            Err(f) => return Err(f.into_py(py)),
        };
        let mut chunks: Vec<Bytes> = Vec::new();
        let mut total = 0usize;
        loop {
            match self.pop_chunk_raw() {
                Ok(Step::Chunk(d)) => {
                    total += d.len();
                    chunks.push(d);
                }
                Ok(Step::End) => break,
                Ok(Step::NotReady) => {
                    return Err(PyRuntimeError::new_err("the response has not ended"));
                }
                Err(f) => return Err(f.into_py(py)),
            }
        }
        let trailers = self.trailers_raw();
        let body = if chunks.len() == 1 {
            PyBytes::new(py, &chunks[0])
        } else {
            PyBytes::new_with(py, total, |buf| {
                let mut at = 0;
                for c in &chunks {
                    buf[at..at + c.len()].copy_from_slice(c);
                    at += c.len();
                }
                Ok(())
            })?
        };
        let trailers = trailers.map(|t| headers_to_py(py, &t)).transpose()?;
        Ok((status, headers_to_py(py, &headers)?, body, trailers))
    }

    /// Blocks (GIL released) until the response ended, then as `take_response`.
    fn wait_response<'py>(&self, py: Python<'py>) -> PyResult<FullResponse<'py>> {
        self.shared.wait(py, done_ready)?;
        self.take_response(py)
    }

    /// The trailers, once the body has been read to its end (else `None`).
    fn trailers<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyList>>> {
        self.trailers_raw()
            .map(|t| headers_to_py(py, &t))
            .transpose()
    }

    /// Streamed request body: sends one chunk, blocking (GIL released) while the stream's
    /// send buffer is full. Raises `Cancelled` if the request already ended.
    fn send_chunk(&self, py: Python<'_>, chunk: &[u8]) -> PyResult<()> {
        let data = Bytes::copy_from_slice(chunk);
        let n = data.len() as u64;
        let res = detached(py, || {
            let mut guard = self.body.lock();
            match guard.as_mut() {
                Some(tx) => h2o_core::client::block_on(tx.send(data)),
                None => Err(CoreError::new(
                    ErrorKind::InvalidArgument,
                    "the request body is finished",
                )),
            }
        });
        match res {
            Ok(()) => {
                self.shared.stats.bytes_sent.fetch_add(n, Ordering::Relaxed);
                Ok(())
            }
            Err(e) => Err(core_err(py, &e)),
        }
    }

    /// Streamed request body without waiting: `False` if the buffer is full (or the
    /// request ended: `send_chunk` then says which).
    fn try_send_chunk(&self, chunk: &[u8]) -> bool {
        let mut guard = self.body.lock();
        match guard.as_mut() {
            Some(tx) => {
                let ok = tx.try_send(Bytes::copy_from_slice(chunk));
                if ok {
                    self.shared
                        .stats
                        .bytes_sent
                        .fetch_add(chunk.len() as u64, Ordering::Relaxed);
                }
                ok
            }
            None => false,
        }
    }

    /// Ends the streamed request body (END_STREAM).
    fn finish_body(&self) {
        self.body.lock().take();
    }
}

// ---------------------------------------------------------------------------------------
// Configuration from keyword arguments.

fn setting<'py, T: FromPyObjectOwned<'py>>(
    key: &str,
    v: &Bound<'py, PyAny>,
    what: &str,
) -> PyResult<T> {
    if v.is_instance_of::<pyo3::types::PyBool>() && what != "a bool" {
        return Err(PyTypeError::new_err(format!(
            "setting '{key}' must be {what}, got bool"
        )));
    }
    v.extract::<T>().map_err(|_| {
        let ty = v
            .get_type()
            .name()
            .map(|n| n.to_string())
            .unwrap_or_else(|_| "?".into());
        let repr = v.repr().map(|r| r.to_string()).unwrap_or_default();
        if v.is_instance_of::<pyo3::types::PyInt>() {
            PyValueError::new_err(format!("setting '{key}' is out of range: {repr}"))
        } else {
            PyTypeError::new_err(format!("setting '{key}' must be {what}, got {ty}"))
        }
    })
}

fn seconds(key: &str, v: &Bound<'_, PyAny>) -> PyResult<Duration> {
    let s: f64 = setting(key, v, "a number of seconds")?;
    if !s.is_finite() || !(0.0..=1e9).contains(&s) {
        return Err(PyValueError::new_err(format!(
            "setting '{key}' must be a finite, non-negative number of seconds, got {s}"
        )));
    }
    Ok(Duration::from_secs_f64(s))
}

fn opt_seconds(key: &str, v: &Bound<'_, PyAny>) -> PyResult<Option<Duration>> {
    if v.is_none() {
        Ok(None)
    } else {
        seconds(key, v).map(Some)
    }
}

/// The keyword arguments `Client(**config)` accepts (Config and ProtoConfig fields).
const SETTINGS: &[&str] = &[
    "runtime_threads",
    "max_retries",
    "connect_timeout",
    "settings_timeout",
    "headers_timeout",
    "idle_timeout",
    "request_timeout",
    "keepalive_interval",
    "ping_timeout",
    "header_table_size",
    "encoder_table_size",
    "max_concurrent_streams",
    "initial_window_size",
    "connection_window_size",
    "max_frame_size",
    "max_header_list_size",
    "max_continuation_frames",
    "adaptive_window",
    "max_adaptive_window",
    "max_pending_requests",
    "send_buffer_size",
    "write_high_water",
    "read_buffer_size",
    "early_flush_frames",
    "max_reset_streams_remembered",
    "rfc7540_priorities",
    "default_urgency",
    "default_incremental",
    "default_weight",
    "ping_soft_timeout",
    "max_buffered_per_connection",
    "pool_max_connections_per_origin",
    "pool_max_connections_total",
    "pool_overflow",
    "pool_idle_timeout",
    "pool_backoff_base",
    "pool_backoff_max",
    "pool_breaker_threshold",
    "pool_check_after_idle",
    "pool_connection_retry_budget",
    "pool_retry_idempotent",
    "tls_ca_file",
    "tls_use_system_roots",
    "tls_client_cert",
    "tls_client_key",
    "tls_pins",
    "tls_crl_files",
    "tls_danger_accept_invalid_certs",
    "tls_handshake_timeout",
    "flood_settings_per_sec",
    "flood_pings_per_sec",
    "flood_resets_per_sec",
    "flood_window_updates_per_sec",
    "flood_empty_frames_per_sec",
    "flood_local_resets_per_sec",
    "flood_max_control_backlog",
];

fn opt_path(key: &str, v: &Bound<'_, PyAny>) -> PyResult<Option<std::path::PathBuf>> {
    if v.is_none() {
        return Ok(None);
    }
    let s: String = setting(key, v, "a path (str) or None")?;
    Ok(Some(s.into()))
}

fn paths(key: &str, v: &Bound<'_, PyAny>) -> PyResult<Vec<std::path::PathBuf>> {
    let list: Vec<String> = setting(key, v, "a list of paths (str)")?;
    Ok(list.into_iter().map(Into::into).collect())
}

fn build_config(py: Python<'_>, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Config> {
    let mut c = Config::default();
    if let Some(kwargs) = kwargs {
        for (k, v) in kwargs.iter() {
            let key: String = k.extract()?;
            let k = key.as_str();
            let p = &mut c.proto;
            const INT: &str = "an int";
            match k {
                "runtime_threads" => c.runtime_threads = setting(k, &v, INT)?,
                "max_retries" => c.max_retries = setting(k, &v, INT)?,
                "connect_timeout" => c.connect_timeout = seconds(k, &v)?,
                "settings_timeout" => c.settings_timeout = seconds(k, &v)?,
                "headers_timeout" => c.headers_timeout = opt_seconds(k, &v)?,
                "idle_timeout" => c.idle_timeout = opt_seconds(k, &v)?,
                "request_timeout" => c.request_timeout = opt_seconds(k, &v)?,
                "keepalive_interval" => c.keepalive_interval = opt_seconds(k, &v)?,
                "ping_timeout" => c.ping_timeout = seconds(k, &v)?,
                "header_table_size" => p.header_table_size = setting(k, &v, INT)?,
                "encoder_table_size" => p.encoder_table_size = setting(k, &v, INT)?,
                "max_concurrent_streams" => p.max_concurrent_streams = setting(k, &v, INT)?,
                "initial_window_size" => p.initial_window_size = setting(k, &v, INT)?,
                "connection_window_size" => p.connection_window_size = setting(k, &v, INT)?,
                "max_frame_size" => p.max_frame_size = setting(k, &v, INT)?,
                "max_header_list_size" => p.max_header_list_size = setting(k, &v, INT)?,
                "max_continuation_frames" => p.max_continuation_frames = setting(k, &v, INT)?,
                "adaptive_window" => p.adaptive_window = setting(k, &v, "a bool")?,
                "max_adaptive_window" => p.max_adaptive_window = setting(k, &v, INT)?,
                "max_pending_requests" => p.max_pending_requests = setting(k, &v, INT)?,
                "send_buffer_size" => p.send_buffer_size = setting(k, &v, INT)?,
                "write_high_water" => p.write_high_water = setting(k, &v, INT)?,
                "read_buffer_size" => p.read_buffer_size = setting(k, &v, INT)?,
                "early_flush_frames" => p.early_flush_frames = setting(k, &v, INT)?,
                "max_reset_streams_remembered" => {
                    p.max_reset_streams_remembered = setting(k, &v, INT)?
                }
                "rfc7540_priorities" => p.rfc7540_priorities = setting(k, &v, "a bool")?,
                "default_urgency" => c.default_priority.urgency = setting(k, &v, INT)?,
                "default_incremental" => c.default_priority.incremental = setting(k, &v, "a bool")?,
                "default_weight" => c.default_priority.weight = setting(k, &v, INT)?,
                "ping_soft_timeout" => c.ping_soft_timeout = seconds(k, &v)?,
                "max_buffered_per_connection" => {
                    p.max_buffered_per_connection = setting(k, &v, INT)?
                }
                "pool_max_connections_per_origin" => {
                    c.pool.max_connections_per_origin = setting(k, &v, INT)?
                }
                "pool_max_connections_total" => c.pool.max_connections_total = setting(k, &v, INT)?,
                "pool_overflow" => {
                    let s: String = setting(k, &v, "'queue' or 'open_more'")?;
                    c.pool.overflow = match s.as_str() {
                        "queue" => Overflow::Queue,
                        "open_more" => Overflow::OpenMore,
                        _ => {
                            return Err(PyValueError::new_err(format!(
                                "setting '{k}' must be 'queue' or 'open_more', got {s:?}"
                            )))
                        }
                    }
                }
                "pool_idle_timeout" => c.pool.idle_timeout = opt_seconds(k, &v)?,
                "pool_backoff_base" => c.pool.backoff_base = seconds(k, &v)?,
                "pool_backoff_max" => c.pool.backoff_max = seconds(k, &v)?,
                "pool_breaker_threshold" => c.pool.breaker_threshold = setting(k, &v, INT)?,
                "pool_check_after_idle" => c.pool.check_after_idle = opt_seconds(k, &v)?,
                "pool_connection_retry_budget" => {
                    c.pool.connection_retry_budget = setting(k, &v, INT)?
                }
                "pool_retry_idempotent" => c.pool.retry_idempotent = setting(k, &v, "a bool")?,
                "tls_ca_file" => c.tls.ca_file = opt_path(k, &v)?,
                "tls_use_system_roots" => c.tls.use_system_roots = setting(k, &v, "a bool")?,
                "tls_client_cert" => c.tls.client_cert = opt_path(k, &v)?,
                "tls_client_key" => c.tls.client_key = opt_path(k, &v)?,
                "tls_pins" => {
                    let pins: Vec<String> = setting(k, &v, "a list of base64 SPKI SHA-256 pins")?;
                    c.tls.pins = pins
                        .iter()
                        .map(|p| TlsConfig::parse_pin(p))
                        .collect::<Result<_, _>>()
                        .map_err(|e| PyValueError::new_err(format!("setting '{k}': {e}")))?;
                }
                "tls_crl_files" => c.tls.crl_files = paths(k, &v)?,
                "tls_danger_accept_invalid_certs" => {
                    c.tls.danger_accept_invalid_certs = setting(k, &v, "a bool")?
                }
                "tls_handshake_timeout" => c.tls.handshake_timeout = seconds(k, &v)?,
                "flood_settings_per_sec" => p.flood.settings_per_sec = setting(k, &v, INT)?,
                "flood_pings_per_sec" => p.flood.pings_per_sec = setting(k, &v, INT)?,
                "flood_resets_per_sec" => p.flood.resets_per_sec = setting(k, &v, INT)?,
                "flood_window_updates_per_sec" => {
                    p.flood.window_updates_per_sec = setting(k, &v, INT)?
                }
                "flood_empty_frames_per_sec" => p.flood.empty_frames_per_sec = setting(k, &v, INT)?,
                "flood_local_resets_per_sec" => p.flood.local_resets_per_sec = setting(k, &v, INT)?,
                "flood_max_control_backlog" => p.flood.max_control_backlog = setting(k, &v, INT)?,
                _ => {
                    return Err(PyTypeError::new_err(format!(
                        "Client() got an unexpected keyword argument '{k}' (settings: {})",
                        SETTINGS.join(", ")
                    )))
                }
            }
        }
    }
    c.validate().map_err(|e| invalid_argument(py, e))?;
    Ok(c)
}

fn default_config<'py>(py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
    let c = Config::default();
    let p = &c.proto;
    let d = PyDict::new(py);
    let secs = |x: Option<Duration>| x.map(|d| d.as_secs_f64());
    d.set_item("runtime_threads", c.runtime_threads)?;
    d.set_item("max_retries", c.max_retries)?;
    d.set_item("connect_timeout", c.connect_timeout.as_secs_f64())?;
    d.set_item("settings_timeout", c.settings_timeout.as_secs_f64())?;
    d.set_item("headers_timeout", secs(c.headers_timeout))?;
    d.set_item("idle_timeout", secs(c.idle_timeout))?;
    d.set_item("request_timeout", secs(c.request_timeout))?;
    d.set_item("keepalive_interval", secs(c.keepalive_interval))?;
    d.set_item("ping_timeout", c.ping_timeout.as_secs_f64())?;
    d.set_item("header_table_size", p.header_table_size)?;
    d.set_item("encoder_table_size", p.encoder_table_size)?;
    d.set_item("max_concurrent_streams", p.max_concurrent_streams)?;
    d.set_item("initial_window_size", p.initial_window_size)?;
    d.set_item("connection_window_size", p.connection_window_size)?;
    d.set_item("max_frame_size", p.max_frame_size)?;
    d.set_item("max_header_list_size", p.max_header_list_size)?;
    d.set_item("max_continuation_frames", p.max_continuation_frames)?;
    d.set_item("adaptive_window", p.adaptive_window)?;
    d.set_item("max_adaptive_window", p.max_adaptive_window)?;
    d.set_item("max_pending_requests", p.max_pending_requests)?;
    d.set_item("send_buffer_size", p.send_buffer_size)?;
    d.set_item("write_high_water", p.write_high_water)?;
    d.set_item("read_buffer_size", p.read_buffer_size)?;
    d.set_item("early_flush_frames", p.early_flush_frames)?;
    d.set_item(
        "max_reset_streams_remembered",
        p.max_reset_streams_remembered,
    )?;
    d.set_item("rfc7540_priorities", p.rfc7540_priorities)?;
    d.set_item("default_urgency", c.default_priority.urgency)?;
    d.set_item("default_incremental", c.default_priority.incremental)?;
    d.set_item("default_weight", c.default_priority.weight)?;
    d.set_item("ping_soft_timeout", c.ping_soft_timeout.as_secs_f64())?;
    d.set_item("max_buffered_per_connection", p.max_buffered_per_connection)?;
    let pool = &c.pool;
    d.set_item(
        "pool_max_connections_per_origin",
        pool.max_connections_per_origin,
    )?;
    d.set_item("pool_max_connections_total", pool.max_connections_total)?;
    d.set_item(
        "pool_overflow",
        match pool.overflow {
            Overflow::Queue => "queue",
            Overflow::OpenMore => "open_more",
        },
    )?;
    d.set_item("pool_idle_timeout", secs(pool.idle_timeout))?;
    d.set_item("pool_backoff_base", pool.backoff_base.as_secs_f64())?;
    d.set_item("pool_backoff_max", pool.backoff_max.as_secs_f64())?;
    d.set_item("pool_breaker_threshold", pool.breaker_threshold)?;
    d.set_item("pool_check_after_idle", secs(pool.check_after_idle))?;
    d.set_item("pool_connection_retry_budget", pool.connection_retry_budget)?;
    d.set_item("pool_retry_idempotent", pool.retry_idempotent)?;
    let t = &c.tls;
    let path = |p: &Option<std::path::PathBuf>| p.as_ref().map(|p| p.display().to_string());
    d.set_item("tls_ca_file", path(&t.ca_file))?;
    d.set_item("tls_use_system_roots", t.use_system_roots)?;
    d.set_item("tls_client_cert", path(&t.client_cert))?;
    d.set_item("tls_client_key", path(&t.client_key))?;
    d.set_item("tls_pins", Vec::<String>::new())?;
    d.set_item("tls_crl_files", Vec::<String>::new())?;
    d.set_item(
        "tls_danger_accept_invalid_certs",
        t.danger_accept_invalid_certs,
    )?;
    d.set_item("tls_handshake_timeout", t.handshake_timeout.as_secs_f64())?;
    let f = &p.flood;
    d.set_item("flood_settings_per_sec", f.settings_per_sec)?;
    d.set_item("flood_pings_per_sec", f.pings_per_sec)?;
    d.set_item("flood_resets_per_sec", f.resets_per_sec)?;
    d.set_item("flood_window_updates_per_sec", f.window_updates_per_sec)?;
    d.set_item("flood_empty_frames_per_sec", f.empty_frames_per_sec)?;
    d.set_item("flood_local_resets_per_sec", f.local_resets_per_sec)?;
    d.set_item("flood_max_control_backlog", f.max_control_backlog)?;
    Ok(d)
}

/// Every setting with its default value.
#[pyfunction]
fn default_settings(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    default_config(py)
}

// ---------------------------------------------------------------------------------------
// The client.

/// A core client plus the binding's counters and (for asyncio) the wake-up channel.
#[pyclass(frozen, module = "h2o_client._native")]
struct NativeClient {
    client: Mutex<Option<Client>>,
    stats: Arc<Stats>,
    notifier: Option<Arc<Notifier>>,
    next_token: AtomicU64,
}

fn method(name: &str) -> Result<Method, CoreError> {
    Ok(match name {
        "GET" => Method::GET,
        "POST" => Method::POST,
        "PUT" => Method::PUT,
        "DELETE" => Method::DELETE,
        "HEAD" => Method::HEAD,
        "OPTIONS" => Method::OPTIONS,
        "PATCH" => Method::PATCH,
        _ => Method::new(name)?,
    })
}

#[pymethods]
impl NativeClient {
    #[new]
    #[pyo3(signature = (config=None, asyncio=false, from_env=false))]
    fn new(
        py: Python<'_>,
        config: Option<&Bound<'_, PyDict>>,
        asyncio: bool,
        from_env: bool,
    ) -> PyResult<Self> {
        let mut cfg = build_config(py, config)?;
        if from_env {
            // Code (the keyword arguments) < H2O_CONFIG file < H2O_<SETTING> variables.
            cfg = h2o_core::client::ConfigLoader::new(cfg)
                .load()
                .map_err(|e| invalid_argument(py, e.to_string()))?;
        }
        let client = Client::with_config(cfg).map_err(|e| core_err(py, &e))?;
        let notifier = if asyncio {
            Some(Arc::new(Notifier::new().map_err(|e| {
                PyRuntimeError::new_err(format!("cannot create the wake-up socket: {e}"))
            })?))
        } else {
            None
        };
        Ok(NativeClient {
            client: Mutex::new(Some(client)),
            stats: Arc::new(Stats::default()),
            notifier,
            next_token: AtomicU64::new(1),
        })
    }

    /// Submits a request. `body`: the whole body; `stream_body`: the body is sent later
    /// with `send_chunk`/`finish_body`; `streaming`: the response is read chunk by chunk
    /// (else it is buffered whole and the caller is woken once, at the end).
    #[pyo3(signature = (method_name, url, headers=None, body=None, stream_body=false, streaming=false, timeout=None))]
    #[allow(clippy::too_many_arguments)]
    fn submit(
        &self,
        py: Python<'_>,
        method_name: &str,
        url: &str,
        headers: Option<Vec<(String, String)>>,
        body: Option<&[u8]>,
        stream_body: bool,
        streaming: bool,
        timeout: Option<f64>,
    ) -> PyResult<NativeRequest> {
        let client = self.client.lock().clone();
        let client = match client {
            Some(c) => c,
            None => {
                let e = CoreError::new(ErrorKind::Closed, "client is closed");
                return Err(core_err(py, &e));
            }
        };
        let m = method(method_name).map_err(|e| core_err(py, &e))?;
        let mut req = Request::new(m, url).map_err(|e| core_err(py, &e))?;
        for (n, v) in headers.into_iter().flatten() {
            req = req.header(&n, v);
        }
        if let Some(t) = timeout {
            if !t.is_finite() || t <= 0.0 || t > 1e9 {
                return Err(invalid_argument(
                    py,
                    format!("timeout must be a positive number of seconds, got {t}"),
                ));
            }
            req = req.timeout(Duration::from_secs_f64(t));
        }
        let mut sender = None;
        if let Some(b) = body {
            self.stats
                .bytes_sent
                .fetch_add(b.len() as u64, Ordering::Relaxed);
            req = req.body(Bytes::copy_from_slice(b));
        } else if stream_body {
            let (r, tx) = req.body_stream();
            req = r;
            sender = Some(tx);
        }
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            cond: Condvar::new(),
            streaming,
            token: self.next_token.fetch_add(1, Ordering::Relaxed),
            notifier: self.notifier.clone(),
            queued: AtomicBool::new(false),
            stats: self.stats.clone(),
        });
        self.stats.submitted.fetch_add(1, Ordering::Relaxed);
        let handle = client.submit(req, Sink(shared.clone()));
        Ok(NativeRequest {
            shared,
            handle,
            body: Mutex::new(sender),
        })
    }

    /// The read end of the asyncio wake-up socket (for `loop.add_reader`).
    fn fileno(&self) -> PyResult<i32> {
        match &self.notifier {
            Some(n) => Ok(n.rx.as_raw_fd()),
            None => Err(PyRuntimeError::new_err("not an asyncio client")),
        }
    }

    /// The tokens of the requests with news since the last call.
    fn drain(&self) -> Vec<u64> {
        match &self.notifier {
            Some(n) => n.drain(),
            None => Vec::new(),
        }
    }

    /// Closes the client (GOAWAY, in-flight requests end with `Cancelled`), waiting for
    /// its runtime thread with the GIL released. Idempotent.
    fn close(&self, py: Python<'_>) {
        let client = self.client.lock().take();
        if let Some(c) = client {
            detached(py, move || {
                c.close();
                drop(c);
            });
        }
    }

    /// Whether `close` was called.
    fn is_closed(&self) -> bool {
        self.client.lock().is_none()
    }

    /// The core's metrics snapshot as JSON (`Client::metrics().to_json()`).
    fn metrics_json(&self, py: Python<'_>) -> PyResult<String> {
        Ok(self.core(py)?.metrics().to_json())
    }

    /// The core's metrics in the Prometheus text format.
    fn metrics_prometheus(&self, py: Python<'_>) -> PyResult<String> {
        Ok(self.core(py)?.metrics().to_prometheus())
    }

    /// The core's debug dump (JSON); waits up to 500 ms for the connection tasks, with
    /// the GIL released.
    fn debug_dump(&self, py: Python<'_>) -> PyResult<String> {
        let client = self.core(py)?;
        Ok(detached(py, move || client.debug_dump()))
    }

    /// The binding's counters.
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let s = &*self.stats;
        let d = PyDict::new(py);
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let submitted = get(&s.submitted);
        let completed = get(&s.completed);
        let failed = get(&s.failed);
        d.set_item("requests_submitted", submitted)?;
        d.set_item("requests_completed", completed)?;
        d.set_item("requests_failed", failed)?;
        d.set_item("requests_cancelled", get(&s.cancelled))?;
        d.set_item(
            "requests_in_flight",
            submitted.saturating_sub(completed + failed),
        )?;
        d.set_item("bytes_sent", get(&s.bytes_sent))?;
        d.set_item("bytes_received", get(&s.bytes_received))?;
        d.set_item("loop_wakeups", get(&s.wakeups))?;
        d.set_item("closed", self.is_closed())?;
        // The core's pool statistics: connections, close reasons, retries, acquisitions.
        let core = self.client.lock().as_ref().map(Client::stats);
        if let Some(cs) = core {
            let conns = pyo3::types::PyList::empty(py);
            for c in &cs.connections {
                let cd = PyDict::new(py);
                cd.set_item("id", c.id)?;
                cd.set_item("origin", &c.origin)?;
                cd.set_item("connecting", c.connecting)?;
                cd.set_item("accepting", c.accepting)?;
                cd.set_item("open_streams", c.open_streams)?;
                cd.set_item("queued", c.queued)?;
                cd.set_item("max_streams", c.max_streams)?;
                cd.set_item("rtt_us", c.rtt_us)?;
                conns.append(cd)?;
            }
            d.set_item("connections", conns)?;
            d.set_item("connections_created", cs.connections_created)?;
            let closed = PyDict::new(py);
            closed.set_item("goaway", cs.closed.goaway)?;
            closed.set_item("io", cs.closed.io)?;
            closed.set_item("timeout", cs.closed.timeout)?;
            closed.set_item("protocol", cs.closed.protocol)?;
            closed.set_item("client", cs.closed.client)?;
            closed.set_item("idle", cs.closed.idle)?;
            closed.set_item("evicted", cs.closed.evicted)?;
            closed.set_item("connect_failed", cs.closed.connect_failed)?;
            d.set_item("connections_closed", closed)?;
            d.set_item("requests_retried", cs.requests_retried)?;
            d.set_item("acquisitions_hit", cs.acquisitions_hit)?;
            d.set_item("acquisitions_miss", cs.acquisitions_miss)?;
            d.set_item("open_streams", cs.open_streams())?;
        }
        Ok(d)
    }
}

impl NativeClient {
    /// The core client, or `Closed` after `close`.
    fn core(&self, py: Python<'_>) -> PyResult<Client> {
        match self.client.lock().clone() {
            Some(c) => Ok(c),
            None => {
                let e = CoreError::new(ErrorKind::Closed, "client is closed");
                Err(core_err(py, &e))
            }
        }
    }
}

impl Drop for NativeClient {
    fn drop(&mut self) {
        // Closing joins the runtime thread (up to the core's GOAWAY grace period). That
        // cannot deadlock (the core's threads never need the GIL), but this runs with the
        // GIL held (garbage collection), so it is done on a short-lived thread of its own;
        // if no thread can be started, the closure is dropped here and closes inline.
        if let Some(c) = self.client.get_mut().take() {
            let _ = std::thread::Builder::new()
                .name("h2o-py-close".into())
                .spawn(move || c.close());
        }
    }
}

/// The native half of `h2o_client`.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<NativeClient>()?;
    m.add_class::<NativeRequest>()?;
    m.add_function(wrap_pyfunction!(_set_error_classes, m)?)?;
    m.add_function(wrap_pyfunction!(error_kinds, m)?)?;
    m.add_function(wrap_pyfunction!(default_settings, m)?)?;
    m.add_function(wrap_pyfunction!(threads_waiting, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    log::register(m)?;
    Ok(())
}
