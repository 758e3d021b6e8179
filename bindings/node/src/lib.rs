//! The native half of the `h2o-native` npm package: a thin napi-rs layer over
//! `h2o_core::Client::submit`. The JavaScript half (`lib/`) is the public API; this module
//! is internal and its exports may change with the JS code that uses them.
//!
//! Delivery model: every request's [`EventSink`] runs on the library's runtime thread and
//! pushes its events into one client-wide queue. The queue's single threadsafe function is
//! called only when the queue goes from empty to non-empty; on the JS thread that call
//! drains the whole queue into one flat array (`[id, type, num, value]` per event) and
//! hands it to JS in one function call. Body bytes are answered [`Consumed::Later`]: JS
//! returns the credit (in batches, see [`NativeClient::release_many`]) when the
//! application has consumed them, so a slow reader slows the server.

#![deny(clippy::undocumented_unsafe_blocks)]

pub mod log;

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use bytes::Bytes;
use h2o_core::client::{
    BodySender, Consumed, EventSink, Overflow, Request, RequestHandle, ResponseEvent, TlsConfig,
};
use h2o_core::{Client, Config, Error, ErrorKind, Headers, Method, Priority, Scope};
use napi::bindgen_prelude::{Buffer, Uint32Array};
use napi::threadsafe_function::{
    ErrorStrategy, ThreadSafeCallContext, ThreadsafeFunction, ThreadsafeFunctionCallMode,
};
use napi::{Env, JsFunction, JsObject, JsString, JsUnknown};
use napi_derive::napi;
use parking_lot::Mutex;

/// Event types in the flat batch array (mirrored in lib/core.js).
const EV_INFORMATIONAL: u32 = 1;
const EV_HEAD: u32 = 2;
const EV_DATA: u32 = 3;
const EV_TRAILERS: u32 = 4;
const EV_DONE: u32 = 5;
const EV_ERROR: u32 = 6;
const EV_BODY_READY: u32 = 7;
const EV_CLOSED: u32 = 8;

/// Body chunks at least this large reach JS as external buffers over the received bytes
/// (no copy); smaller ones are copied, which is cheaper than an external buffer's
/// finalizer bookkeeping.
const EXTERNAL_MIN: usize = 4096;

/// `release_many` flag: cancel the request first.
const REL_CANCEL: u32 = 2;

/// Process-wide counts of live native objects, for the garbage-collection tests (see
/// [`live_objects`]): each is incremented when the object is made and decremented by its
/// `Drop`, so a count that does not return to zero is native state that was not freed.
struct LiveCount(AtomicI64);

impl LiveCount {
    const fn new() -> LiveCount {
        LiveCount(AtomicI64::new(0))
    }
    fn inc(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
    fn dec(&self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
    fn get(&self) -> f64 {
        self.0.load(Ordering::Relaxed) as f64
    }
}

/// `NativeClient` objects (freed when V8 collects the JS wrapper).
static LIVE_NATIVE_CLIENTS: LiveCount = LiveCount::new();
/// Core `Client`s (freed when their runtime has shut down, after close or collection).
static LIVE_CORE_CLIENTS: LiveCount = LiveCount::new();
/// Request sinks held by the core (freed when the core forgets the request).
static LIVE_SINKS: LiveCount = LiveCount::new();
/// Body chunks lent to JS as external buffers (freed by the buffer's finalizer), and
/// their bytes.
static LIVE_EXTERNAL: LiveCount = LiveCount::new();
static LIVE_EXTERNAL_BYTES: AtomicI64 = AtomicI64::new(0);

/// A core client counted in [`LIVE_CORE_CLIENTS`] until it is dropped.
struct CountedClient(Client);

impl CountedClient {
    fn new(c: Client) -> CountedClient {
        LIVE_CORE_CLIENTS.inc();
        CountedClient(c)
    }
}

impl Drop for CountedClient {
    fn drop(&mut self) {
        LIVE_CORE_CLIENTS.dec();
    }
}

impl std::ops::Deref for CountedClient {
    type Target = Client;
    fn deref(&self) -> &Client {
        &self.0
    }
}

/// A body chunk lent to JS, counted in [`LIVE_EXTERNAL`] until the finalizer drops it.
struct LentChunk(Bytes);

impl LentChunk {
    fn new(b: Bytes) -> LentChunk {
        LIVE_EXTERNAL.inc();
        LIVE_EXTERNAL_BYTES.fetch_add(b.len() as i64, Ordering::Relaxed);
        LentChunk(b)
    }
}

impl Drop for LentChunk {
    fn drop(&mut self) {
        LIVE_EXTERNAL.dec();
        LIVE_EXTERNAL_BYTES.fetch_sub(self.0.len() as i64, Ordering::Relaxed);
    }
}

enum Ev {
    Resp(u32, ResponseEvent),
    BodyReady(u32),
    Closed,
}

#[derive(Default)]
struct Counters {
    submitted: AtomicU64,
    events: AtomicU64,
    wakeups: AtomicU64,
    batches: AtomicU64,
    bytes_received: AtomicU64,
    external_buffers: AtomicU64,
    copied_buffers: AtomicU64,
}

/// The client-wide queue, shared by the sinks (runtime thread) and the drain (JS thread).
#[derive(Default)]
struct Queue {
    events: Mutex<VecDeque<Ev>>,
    counters: Counters,
}

struct Shared {
    queue: Arc<Queue>,
    tsfn: ThreadsafeFunction<(), ErrorStrategy::Fatal>,
}

impl Shared {
    fn push(&self, ev: Ev) {
        let was_empty = {
            let mut q = self.queue.events.lock();
            let was_empty = q.is_empty();
            q.push_back(ev);
            was_empty
        };
        self.queue.counters.events.fetch_add(1, Ordering::Relaxed);
        if was_empty {
            self.queue.counters.wakeups.fetch_add(1, Ordering::Relaxed);
            // After close the function is aborted and this returns Closing: nothing to do.
            let _ = self.tsfn.call((), ThreadsafeFunctionCallMode::NonBlocking);
        }
    }
}

struct JsSink {
    id: u32,
    shared: Arc<Shared>,
}

impl JsSink {
    fn new(id: u32, shared: Arc<Shared>) -> JsSink {
        LIVE_SINKS.inc();
        JsSink { id, shared }
    }
}

impl Drop for JsSink {
    fn drop(&mut self) {
        LIVE_SINKS.dec();
    }
}

impl EventSink for JsSink {
    fn on_event(&mut self, event: ResponseEvent) -> Consumed {
        self.shared.push(Ev::Resp(self.id, event));
        Consumed::Later
    }
}

type BodyFuture = Pin<Box<dyn Future<Output = (BodySender, bool)> + Send>>;

struct BodyWriter {
    tx: Option<BodySender>,
    pending: Option<BodyFuture>,
}

struct BodyWake {
    id: u32,
    shared: Arc<Shared>,
}

impl Wake for BodyWake {
    fn wake(self: Arc<Self>) {
        self.shared.push(Ev::BodyReady(self.id));
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.shared.push(Ev::BodyReady(self.id));
    }
}

/// Client settings as JS passes them (already validated and named by lib/options.js;
/// the core validates again). Durations in milliseconds; 0 or absent = core default
/// for required durations, "none" for optional ones.
#[napi(object)]
pub struct NativeConfig {
    pub runtime_threads: Option<u32>,
    pub max_retries: Option<u32>,
    pub connect_timeout: Option<f64>,
    pub settings_timeout: Option<f64>,
    pub headers_timeout: Option<f64>,
    pub idle_timeout: Option<f64>,
    pub request_timeout: Option<f64>,
    /// Negative disables keepalive PINGs.
    pub keepalive_interval: Option<f64>,
    pub ping_timeout: Option<f64>,
    pub header_table_size: Option<u32>,
    pub encoder_table_size: Option<u32>,
    pub max_concurrent_streams: Option<u32>,
    pub initial_window_size: Option<u32>,
    pub connection_window_size: Option<u32>,
    pub max_frame_size: Option<u32>,
    pub max_header_list_size: Option<u32>,
    pub max_continuation_frames: Option<u32>,
    pub adaptive_window: Option<bool>,
    pub max_adaptive_window: Option<u32>,
    pub max_pending_requests: Option<u32>,
    pub send_buffer_size: Option<u32>,
    pub write_high_water: Option<u32>,
    pub read_buffer_size: Option<u32>,
    pub early_flush_frames: Option<u32>,
    pub max_reset_streams_remembered: Option<u32>,
    pub rfc7540_priorities: Option<bool>,
    pub default_urgency: Option<u32>,
    pub default_incremental: Option<bool>,
    pub default_weight: Option<u32>,
    pub ping_soft_timeout: Option<f64>,
    pub max_buffered_per_connection: Option<f64>,
    pub pool_max_connections_per_origin: Option<u32>,
    pub pool_max_connections_total: Option<u32>,
    /// "queue" or "openMore".
    pub pool_overflow: Option<String>,
    /// Negative: no idle timeout.
    pub pool_idle_timeout: Option<f64>,
    pub pool_backoff_base: Option<f64>,
    pub pool_backoff_max: Option<f64>,
    pub pool_breaker_threshold: Option<u32>,
    /// Negative: no PING check before reuse.
    pub pool_check_after_idle: Option<f64>,
    pub pool_connection_retry_budget: Option<u32>,
    pub pool_retry_idempotent: Option<bool>,
    pub tls_ca_file: Option<String>,
    pub tls_use_system_roots: Option<bool>,
    pub tls_client_cert: Option<String>,
    pub tls_client_key: Option<String>,
    pub tls_pins: Option<Vec<String>>,
    pub tls_crl_files: Option<Vec<String>>,
    pub tls_danger_accept_invalid_certs: Option<bool>,
    pub tls_handshake_timeout: Option<f64>,
    pub flood_settings_per_sec: Option<u32>,
    pub flood_pings_per_sec: Option<u32>,
    pub flood_resets_per_sec: Option<u32>,
    pub flood_window_updates_per_sec: Option<u32>,
    pub flood_empty_frames_per_sec: Option<u32>,
    pub flood_local_resets_per_sec: Option<u32>,
    pub flood_max_control_backlog: Option<u32>,
    /// Layer the H2O_CONFIG file and H2O_<SETTING> variables over these options.
    pub from_env: Option<bool>,
}

fn ms(v: f64) -> Duration {
    Duration::from_secs_f64(v / 1000.0)
}

fn to_config(o: &NativeConfig) -> napi::Result<Config> {
    let mut c = Config::default();
    if let Some(v) = o.runtime_threads {
        c.runtime_threads = v as usize;
    }
    if let Some(v) = o.max_retries {
        c.max_retries = v.min(255) as u8;
    }
    if let Some(v) = o.connect_timeout {
        c.connect_timeout = ms(v);
    }
    if let Some(v) = o.settings_timeout {
        c.settings_timeout = ms(v);
    }
    if let Some(v) = o.ping_timeout {
        c.ping_timeout = ms(v);
    }
    c.headers_timeout = o.headers_timeout.map(ms);
    c.idle_timeout = o.idle_timeout.map(ms);
    c.request_timeout = o.request_timeout.map(ms);
    if let Some(v) = o.keepalive_interval {
        c.keepalive_interval = (v >= 0.0).then(|| ms(v));
    }
    let p = &mut c.proto;
    macro_rules! set {
        ($($f:ident),*) => { $( if let Some(v) = o.$f { p.$f = v as _; } )* };
    }
    set!(
        header_table_size,
        encoder_table_size,
        max_concurrent_streams,
        initial_window_size,
        connection_window_size,
        max_frame_size,
        max_header_list_size,
        max_continuation_frames,
        adaptive_window,
        max_adaptive_window,
        max_pending_requests,
        send_buffer_size,
        write_high_water,
        read_buffer_size,
        early_flush_frames,
        max_reset_streams_remembered,
        rfc7540_priorities
    );
    if let Some(v) = o.max_buffered_per_connection {
        p.max_buffered_per_connection = v as usize;
    }
    let f = &mut p.flood;
    macro_rules! flood {
        ($($js:ident => $f:ident),*) => { $( if let Some(v) = o.$js { f.$f = v as _; } )* };
    }
    flood!(
        flood_settings_per_sec => settings_per_sec,
        flood_pings_per_sec => pings_per_sec,
        flood_resets_per_sec => resets_per_sec,
        flood_window_updates_per_sec => window_updates_per_sec,
        flood_empty_frames_per_sec => empty_frames_per_sec,
        flood_local_resets_per_sec => local_resets_per_sec,
        flood_max_control_backlog => max_control_backlog
    );
    if let Some(v) = o.ping_soft_timeout {
        c.ping_soft_timeout = ms(v);
    }
    // Range-checked by lib/options.js; clamped so the core's check sees an out-of-range value.
    if let Some(v) = o.default_urgency {
        c.default_priority.urgency = v.min(255) as u8;
    }
    if let Some(v) = o.default_incremental {
        c.default_priority.incremental = v;
    }
    if let Some(v) = o.default_weight {
        c.default_priority.weight = v.min(u16::MAX as u32) as u16;
    }
    let pool = &mut c.pool;
    if let Some(v) = o.pool_max_connections_per_origin {
        pool.max_connections_per_origin = v as usize;
    }
    if let Some(v) = o.pool_max_connections_total {
        pool.max_connections_total = v as usize;
    }
    if let Some(v) = &o.pool_overflow {
        pool.overflow = match v.as_str() {
            "openMore" => Overflow::OpenMore,
            _ => Overflow::Queue,
        };
    }
    if let Some(v) = o.pool_idle_timeout {
        pool.idle_timeout = (v >= 0.0).then(|| ms(v));
    }
    if let Some(v) = o.pool_backoff_base {
        pool.backoff_base = ms(v);
    }
    if let Some(v) = o.pool_backoff_max {
        pool.backoff_max = ms(v);
    }
    if let Some(v) = o.pool_breaker_threshold {
        pool.breaker_threshold = v;
    }
    if let Some(v) = o.pool_check_after_idle {
        pool.check_after_idle = (v >= 0.0).then(|| ms(v));
    }
    if let Some(v) = o.pool_connection_retry_budget {
        pool.connection_retry_budget = v;
    }
    if let Some(v) = o.pool_retry_idempotent {
        pool.retry_idempotent = v;
    }
    let t = &mut c.tls;
    if let Some(v) = &o.tls_ca_file {
        t.ca_file = Some(v.into());
    }
    if let Some(v) = o.tls_use_system_roots {
        t.use_system_roots = v;
    }
    if let Some(v) = &o.tls_client_cert {
        t.client_cert = Some(v.into());
    }
    if let Some(v) = &o.tls_client_key {
        t.client_key = Some(v.into());
    }
    if let Some(pins) = &o.tls_pins {
        t.pins = pins
            .iter()
            .map(|p| TlsConfig::parse_pin(p))
            .collect::<Result<_, _>>()
            .map_err(|e| {
                napi_err(Error::new(
                    h2o_core::ErrorKind::InvalidArgument,
                    format!("options.tlsPins: {e}"),
                ))
            })?;
    }
    if let Some(v) = &o.tls_crl_files {
        t.crl_files = v.iter().map(Into::into).collect();
    }
    if let Some(v) = o.tls_danger_accept_invalid_certs {
        t.danger_accept_invalid_certs = v;
    }
    if let Some(v) = o.tls_handshake_timeout {
        t.handshake_timeout = ms(v);
    }
    if o.from_env.unwrap_or(false) {
        // Code (these options) < H2O_CONFIG file < H2O_<SETTING> variables.
        c = h2o_core::client::ConfigLoader::new(c).load().map_err(|e| {
            napi_err(Error::new(
                h2o_core::ErrorKind::InvalidArgument,
                e.to_string(),
            ))
        })?;
    }
    Ok(c)
}

/// Per-request options other than method, URL, headers and body.
#[napi(object)]
pub struct NativeRequestOptions {
    /// Whole-request deadline in ms.
    pub timeout: Option<f64>,
    pub headers_timeout: Option<f64>,
    pub idle_timeout: Option<f64>,
    pub urgency: Option<u32>,
    pub incremental: Option<bool>,
    pub weight: Option<u32>,
    pub lane: Option<u32>,
    /// The body comes through write_body/end_body.
    pub stream_body: Option<bool>,
}

/// A request the core has not finished: its handle and its flow-control account.
struct Live {
    handle: RequestHandle,
    /// Body bytes handed to JS.
    delivered: u64,
    /// Body bytes JS reported consumed (credit returned).
    released: u64,
}

/// State only the JS thread touches (shared with the drain closure).
#[derive(Default)]
struct Local {
    handles: HashMap<u32, Live>,
    bodies: HashMap<u32, BodyWriter>,
}

/// The native client (internal; wrapped by lib/client.js).
#[napi]
pub struct NativeClient {
    client: Option<CountedClient>,
    shared: Arc<Shared>,
    tsfn: Option<ThreadsafeFunction<(), ErrorStrategy::Fatal>>,
    local: Arc<Mutex<Local>>,
    next_id: u32,
}

fn napi_err(e: Error) -> napi::Error {
    napi::Error::from_reason(format!("{}|{}", e.kind().code(), e.message()))
}

fn latin1(env: &Env, b: &[u8]) -> napi::Result<JsString> {
    env.create_string_latin1(b)
}

/// Headers as one latin1 string `name\0value\0...` (parsed lazily in JS: one string per
/// header block instead of two per field).
fn headers_string(env: &Env, h: &Headers) -> napi::Result<JsString> {
    let mut s = Vec::with_capacity(h.iter().map(|(n, v)| n.len() + v.len() + 2).sum());
    for (n, v) in h.iter() {
        s.extend_from_slice(n);
        s.push(0);
        s.extend_from_slice(v);
        s.push(0);
    }
    latin1(env, &s)
}

fn data_buffer(env: &Env, q: &Queue, data: Bytes) -> napi::Result<JsUnknown> {
    q.counters
        .bytes_received
        .fetch_add(data.len() as u64, Ordering::Relaxed);
    if data.len() < EXTERNAL_MIN {
        q.counters.copied_buffers.fetch_add(1, Ordering::Relaxed);
        return Ok(env.create_buffer_copy(&data)?.into_raw().into_unknown());
    }
    q.counters.external_buffers.fetch_add(1, Ordering::Relaxed);
    let len = data.len();
    let ptr = data.as_ptr() as *mut u8;
    let data = LentChunk::new(data);
    // SAFETY: `ptr..ptr+len` stays valid while `data` lives (moving the `Bytes` into
    // `LentChunk` does not move the bytes); the finalizer drops `data`
    // only when V8 frees the buffer. The range belongs to this chunk alone (chunks are
    // disjoint `split_to` slices of the read buffer) and no Rust code reads it after this
    // point, so JS writes into the buffer cannot be observed by or race with Rust. The
    // pointer is non-null (len >= EXTERNAL_MIN > 0) and never a static (received bytes).
    let buf = unsafe { env.create_buffer_with_borrowed_data(ptr, len, data, |d, _env| drop(d))? };
    Ok(buf.into_raw().into_unknown())
}

fn error_details(env: &Env, e: &Error) -> napi::Result<JsObject> {
    let mut a = env.create_array_with_length(6)?;
    a.set_element(0, env.create_string(e.message())?)?;
    a.set_element(1, env.create_uint32(e.kind().code())?)?;
    let code = e.code().map(|c| c.to_u32() as f64).unwrap_or(-1.0);
    a.set_element(2, env.create_double(code)?)?;
    a.set_element(3, env.get_boolean(e.is_remote())?)?;
    a.set_element(4, env.get_boolean(e.is_unprocessed())?)?;
    a.set_element(5, env.get_boolean(e.scope() == Scope::Connection)?)?;
    Ok(a)
}

/// Drains the queue into the flat array JS receives.
///
/// When a request ends, the credit of every body byte JS has not consumed yet is returned
/// here (the stream is over: the server cannot send more for it, and the connection window
/// must not shrink), and its handle is dropped: JS never has to call back for it.
fn drain(env: &Env, q: &Queue, local: &Mutex<Local>) -> napi::Result<JsObject> {
    let batch = std::mem::take(&mut *q.events.lock());
    let mut local = local.lock();
    q.counters.batches.fetch_add(1, Ordering::Relaxed);
    let mut arr = env.create_array_with_length(batch.len() * 4)?;
    let mut i = 0u32;
    let mut put = |id: u32, ty: u32, num: f64, val: Option<JsUnknown>| -> napi::Result<()> {
        arr.set_element(i, env.create_uint32(id)?)?;
        arr.set_element(i + 1, env.create_uint32(ty)?)?;
        arr.set_element(i + 2, env.create_double(num)?)?;
        if let Some(v) = val {
            arr.set_element(i + 3, v)?;
        }
        i += 4;
        Ok(())
    };
    for ev in batch {
        match ev {
            Ev::Resp(id, ev) => match ev {
                ResponseEvent::Informational { status, headers } => put(
                    id,
                    EV_INFORMATIONAL,
                    status as f64,
                    Some(headers_string(env, &headers)?.into_unknown()),
                )?,
                ResponseEvent::Head { status, headers } => put(
                    id,
                    EV_HEAD,
                    status as f64,
                    Some(headers_string(env, &headers)?.into_unknown()),
                )?,
                ResponseEvent::Data(d) => {
                    let n = d.len();
                    if let Some(live) = local.handles.get_mut(&id) {
                        live.delivered += n as u64;
                    }
                    put(id, EV_DATA, n as f64, Some(data_buffer(env, q, d)?))?
                }
                ResponseEvent::Trailers(h) => put(
                    id,
                    EV_TRAILERS,
                    0.0,
                    Some(headers_string(env, &h)?.into_unknown()),
                )?,
                ResponseEvent::Done => {
                    local.finish(id);
                    put(id, EV_DONE, 0.0, None)?
                }
                ResponseEvent::Error(e) => {
                    local.finish(id);
                    put(
                        id,
                        EV_ERROR,
                        e.kind().code() as f64,
                        Some(error_details(env, &e)?.into_unknown()),
                    )?
                }
            },
            Ev::BodyReady(id) => put(id, EV_BODY_READY, 0.0, None)?,
            Ev::Closed => put(0, EV_CLOSED, 0.0, None)?,
        }
    }
    Ok(arr)
}

impl Local {
    /// The request ended: return its outstanding credit, forget it.
    fn finish(&mut self, id: u32) {
        self.bodies.remove(&id);
        if let Some(live) = self.handles.remove(&id) {
            let owed = live.delivered.saturating_sub(live.released);
            if owed > 0 {
                live.handle.release(owed as usize);
            }
        }
    }
}

fn opt_ms(v: Option<f64>) -> Option<Duration> {
    v.filter(|v| *v > 0.0).map(ms)
}

fn parse_headers(req: Request, headers: &[u8]) -> Request {
    let mut req = req;
    let mut parts = headers.split(|b| *b == 0);
    while let (Some(n), Some(v)) = (parts.next(), parts.next()) {
        if n.is_empty() {
            break;
        }
        let name = String::from_utf8_lossy(n).into_owned();
        req = req.header(&name, Bytes::copy_from_slice(v));
    }
    req
}

#[napi]
impl NativeClient {
    /// Starts a client; `callback(batch)` receives drained event batches on the JS thread.
    #[napi(constructor)]
    pub fn new(env: Env, config: NativeConfig, callback: JsFunction) -> napi::Result<Self> {
        let client =
            CountedClient::new(Client::with_config(to_config(&config)?).map_err(napi_err)?);
        let queue = Arc::new(Queue::default());
        let local = Arc::new(Mutex::new(Local::default()));
        let (q, l) = (queue.clone(), local.clone());
        let mut tsfn: ThreadsafeFunction<(), ErrorStrategy::Fatal> = callback
            .create_threadsafe_function(0, move |ctx: ThreadSafeCallContext<()>| {
                Ok(vec![drain(&ctx.env, &q, &l)?])
            })?;
        // Idle clients do not keep the process alive; JS refs the function while requests
        // are in flight (see set_ref).
        tsfn.unref(&env)?;
        LIVE_NATIVE_CLIENTS.inc();
        Ok(NativeClient {
            client: Some(client),
            shared: Arc::new(Shared {
                queue,
                tsfn: tsfn.clone(),
            }),
            tsfn: Some(tsfn),
            local,
            next_id: 1,
        })
    }

    /// Submits a request; returns its id. Every failure (bad URL, method, header) arrives
    /// as the request's error event, never as a throw.
    #[napi]
    pub fn request(
        &mut self,
        method: String,
        url: String,
        headers: Option<JsString>,
        body: Option<Buffer>,
        options: Option<NativeRequestOptions>,
    ) -> napi::Result<u32> {
        let id = self.next_id;
        self.next_id = self.next_id.checked_add(1).unwrap_or(1);
        self.shared
            .queue
            .counters
            .submitted
            .fetch_add(1, Ordering::Relaxed);
        let mut sink = JsSink::new(id, self.shared.clone());
        let Some(client) = self.client.as_ref() else {
            sink.on_event(ResponseEvent::Error(Error::new(
                ErrorKind::Closed,
                "client is closed",
            )));
            return Ok(id);
        };
        let method = match Method::new(&method) {
            Ok(m) => m,
            Err(e) => {
                sink.on_event(ResponseEvent::Error(e));
                return Ok(id);
            }
        };
        let mut req = match Request::new(method, &url) {
            Ok(r) => r,
            Err(e) => {
                sink.on_event(ResponseEvent::Error(e));
                return Ok(id);
            }
        };
        if let Some(h) = headers {
            let h = h.into_latin1()?;
            req = parse_headers(req, h.as_slice());
        }
        let o = options.unwrap_or(NativeRequestOptions {
            timeout: None,
            headers_timeout: None,
            idle_timeout: None,
            urgency: None,
            incremental: None,
            weight: None,
            lane: None,
            stream_body: None,
        });
        if let Some(d) = opt_ms(o.timeout) {
            req = req.timeout(d);
        }
        if let Some(d) = opt_ms(o.headers_timeout) {
            req = req.headers_timeout(d);
        }
        if let Some(d) = opt_ms(o.idle_timeout) {
            req = req.idle_timeout(d);
        }
        if o.urgency.is_some() || o.incremental.is_some() || o.weight.is_some() {
            let mut p = Priority::new(
                o.urgency.unwrap_or(3).min(7) as u8,
                o.incremental.unwrap_or(false),
            );
            if let Some(w) = o.weight {
                p = p.with_weight(w.min(256) as u16);
            }
            req = req.priority(p);
        }
        if let Some(lane) = o.lane {
            req = req.lane(lane);
        }
        let mut writer = None;
        if o.stream_body.unwrap_or(false) {
            let (r, tx) = req.body_stream();
            req = r;
            writer = Some(tx);
        } else if let Some(b) = body {
            req = req.body(Bytes::copy_from_slice(&b));
        }
        let handle = client.submit(req, sink);
        let mut local = self.local.lock();
        local.handles.insert(
            id,
            Live {
                handle,
                delivered: 0,
                released: 0,
            },
        );
        if let Some(tx) = writer {
            local.bodies.insert(
                id,
                BodyWriter {
                    tx: Some(tx),
                    pending: None,
                },
            );
        }
        Ok(id)
    }

    /// Writes a request body chunk: 0 accepted, 1 wait for a body-ready event then call
    /// `poll_body`, 2 the request ended (stop writing).
    #[napi]
    pub fn write_body(&mut self, id: u32, chunk: Buffer) -> u32 {
        let mut local = self.local.lock();
        let Some(w) = local.bodies.get_mut(&id) else {
            return 2;
        };
        let Some(mut tx) = w.tx.take() else {
            return 2;
        };
        let chunk = Bytes::copy_from_slice(&chunk);
        if tx.try_send(chunk.clone()) {
            w.tx = Some(tx);
            return 0;
        }
        w.pending = Some(Box::pin(async move {
            let ok = tx.send(chunk).await.is_ok();
            (tx, ok)
        }));
        self.poll_writer(&mut local, id)
    }

    /// Polls a waiting body write (after a body-ready event); same results as write_body.
    #[napi]
    pub fn poll_body(&mut self, id: u32) -> u32 {
        let mut local = self.local.lock();
        self.poll_writer(&mut local, id)
    }

    fn poll_writer(&self, local: &mut Local, id: u32) -> u32 {
        let Some(w) = local.bodies.get_mut(&id) else {
            return 2;
        };
        let Some(fut) = w.pending.as_mut() else {
            return if w.tx.is_some() { 0 } else { 2 };
        };
        let waker = Waker::from(Arc::new(BodyWake {
            id,
            shared: self.shared.clone(),
        }));
        match fut.as_mut().poll(&mut Context::from_waker(&waker)) {
            Poll::Pending => 1,
            Poll::Ready((tx, ok)) => {
                w.pending = None;
                if ok {
                    w.tx = Some(tx);
                    0
                } else {
                    local.bodies.remove(&id);
                    2
                }
            }
        }
    }

    /// Ends a streamed body (END_STREAM).
    #[napi]
    pub fn end_body(&mut self, id: u32) {
        self.local.lock().bodies.remove(&id);
    }

    /// Cancels a request (RST_STREAM CANCEL if on the wire); its error event follows.
    #[napi]
    pub fn cancel(&mut self, id: u32) {
        let mut local = self.local.lock();
        local.bodies.remove(&id);
        if let Some(live) = local.handles.get(&id) {
            live.handle.cancel();
        }
    }

    /// Returns consumed body credit of unfinished requests in one call: triples `(id,
    /// bytes, flags)`; flag 2 = cancel the request first. (Finished requests need nothing:
    /// see `drain`.)
    #[napi]
    pub fn release_many(&mut self, triples: Uint32Array) {
        let mut local = self.local.lock();
        for t in triples.chunks_exact(3) {
            let (id, n, flags) = (t[0], t[1], t[2]);
            if flags & REL_CANCEL != 0 {
                local.bodies.remove(&id);
                if let Some(live) = local.handles.get(&id) {
                    live.handle.cancel();
                }
            }
            if let Some(live) = local.handles.get_mut(&id) {
                if n > 0 {
                    live.released += n as u64;
                    live.handle.release(n as usize);
                }
            }
        }
    }

    /// Keeps the process alive (true) or not (false) while this client waits for events.
    #[napi]
    pub fn set_ref(&mut self, env: Env, on: bool) -> napi::Result<()> {
        if let Some(t) = self.tsfn.as_mut() {
            if on {
                t.refer(&env)?;
            } else {
                t.unref(&env)?;
            }
        }
        Ok(())
    }

    /// Starts closing: GOAWAY everywhere, in-flight requests end with `Cancelled`, then a
    /// closed event. The blocking part runs on a helper thread (the JS thread never waits).
    #[napi]
    pub fn close(&mut self) -> napi::Result<()> {
        if let Some(client) = self.client.take() {
            let shared = self.shared.clone();
            std::thread::Builder::new()
                .name("h2o-node-close".into())
                .spawn(move || {
                    client.close();
                    drop(client);
                    shared.push(Ev::Closed);
                })
                .map_err(|e| napi::Error::from_reason(format!("16|cannot start a thread: {e}")))?;
        }
        Ok(())
    }

    /// Releases the threadsafe function (after the closed event): the client can no longer
    /// deliver events and no longer holds the event loop.
    #[napi]
    pub fn dispose(&mut self) -> napi::Result<()> {
        self.close()?;
        let mut local = self.local.lock();
        local.handles.clear();
        local.bodies.clear();
        drop(local);
        if let Some(t) = self.tsfn.take() {
            t.abort()?;
        }
        Ok(())
    }

    /// Native counters: `[submitted, events, wakeups, batches, bytesReceived,
    /// externalBuffers, copiedBuffers, liveHandles, liveBodyWriters, queued]`.
    #[napi]
    pub fn stats(&self) -> Vec<f64> {
        let c = &self.shared.queue.counters;
        let local = self.local.lock();
        vec![
            c.submitted.load(Ordering::Relaxed) as f64,
            c.events.load(Ordering::Relaxed) as f64,
            c.wakeups.load(Ordering::Relaxed) as f64,
            c.batches.load(Ordering::Relaxed) as f64,
            c.bytes_received.load(Ordering::Relaxed) as f64,
            c.external_buffers.load(Ordering::Relaxed) as f64,
            c.copied_buffers.load(Ordering::Relaxed) as f64,
            local.handles.len() as f64,
            local.bodies.len() as f64,
            self.shared.queue.events.lock().len() as f64,
        ]
    }

    /// The core's metrics snapshot as JSON; `null` once closed.
    #[napi]
    pub fn metrics_json(&self) -> Option<String> {
        Some(self.client.as_ref()?.metrics().to_json())
    }

    /// The core's metrics in the Prometheus text format; `null` once closed.
    #[napi]
    pub fn metrics_prometheus(&self) -> Option<String> {
        Some(self.client.as_ref()?.metrics().to_prometheus())
    }

    /// The core's debug dump as JSON (waits up to 500 ms for the connection tasks);
    /// `null` once closed.
    #[napi]
    pub fn debug_dump(&self) -> Option<String> {
        Some(self.client.as_ref()?.debug_dump())
    }

    /// The core pool's statistics as JSON (connections, close reasons, retries,
    /// acquisitions); `null` once closed.
    #[napi]
    pub fn pool_stats(&self) -> Option<String> {
        let s = self.client.as_ref()?.stats();
        let conns: Vec<String> = s
            .connections
            .iter()
            .map(|c| {
                format!(
                    r#"{{"id":{},"origin":{:?},"connecting":{},"accepting":{},"openStreams":{},"queued":{},"maxStreams":{},"rttUs":{}}}"#,
                    c.id, c.origin, c.connecting, c.accepting, c.open_streams, c.queued, c.max_streams, c.rtt_us
                )
            })
            .collect();
        let k = &s.closed;
        Some(format!(
            r#"{{"connections":[{}],"connectionsCreated":{},"connectionsClosed":{{"goaway":{},"io":{},"timeout":{},"protocol":{},"client":{},"idle":{},"evicted":{},"connectFailed":{}}},"requestsRetried":{},"acquisitionsHit":{},"acquisitionsMiss":{},"openStreams":{}}}"#,
            conns.join(","),
            s.connections_created,
            k.goaway,
            k.io,
            k.timeout,
            k.protocol,
            k.client,
            k.idle,
            k.evicted,
            k.connect_failed,
            s.requests_retried,
            s.acquisitions_hit,
            s.acquisitions_miss,
            s.open_streams()
        ))
    }
}

impl Drop for NativeClient {
    fn drop(&mut self) {
        LIVE_NATIVE_CLIENTS.dec();
        // Collected without close(): close in the background (joining the runtime thread
        // must not block the JS thread, which may be running a GC finalizer).
        if let Some(client) = self.client.take() {
            let _ = std::thread::Builder::new()
                .name("h2o-node-drop".into())
                .spawn(move || drop(client));
        }
    }
}

/// The stable number of every error kind, by name (for the JS error classes).
#[napi]
pub fn error_kinds() -> HashMap<String, u32> {
    (1..=64)
        .filter_map(ErrorKind::from_code)
        .map(|k| (k.name().to_owned(), k.code()))
        .collect()
}

/// Live native objects in this process (for the garbage-collection tests): `[nativeClients,
/// coreClients, sinks, externalBuffers, externalBytes]`. A core client counts until its
/// runtime has shut down; a sink until the core has forgotten its request; an external
/// buffer until V8 has finalized it.
#[napi]
pub fn live_objects() -> Vec<f64> {
    vec![
        LIVE_NATIVE_CLIENTS.get(),
        LIVE_CORE_CLIENTS.get(),
        LIVE_SINKS.get(),
        LIVE_EXTERNAL.get(),
        LIVE_EXTERNAL_BYTES.load(Ordering::Relaxed) as f64,
    ]
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod glibc {
    /// glibc's `struct mallinfo2` (glibc >= 2.33).
    #[repr(C)]
    #[derive(Default)]
    pub struct MallInfo2 {
        pub arena: usize,
        pub ordblks: usize,
        pub smblks: usize,
        pub hblks: usize,
        pub hblkhd: usize,
        pub usmblks: usize,
        pub fsmblks: usize,
        pub uordblks: usize,
        pub fordblks: usize,
        pub keepcost: usize,
    }
    extern "C" {
        pub fn mallinfo2() -> MallInfo2;
        pub fn malloc_trim(pad: usize) -> i32;
    }
}

/// The C allocator's totals for the whole process (Node's own and this addon's `malloc`
/// heap; not V8's JS heap), glibc only, else `null`: `[inUse, free, mmapped]` in bytes.
/// `inUse` (allocated and not freed, including mmapped blocks) is what a leak makes grow;
/// `free` is memory the allocator keeps for reuse (fragmentation, arena high-water marks).
#[napi]
pub fn malloc_stats() -> Option<Vec<f64>> {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallinfo2 takes no arguments, returns a plain struct by value and is
        // thread-safe (it locks each arena while reading it); glibc 2.33+ has it (the
        // addon is built and run against the machine's glibc).
        let m = unsafe { glibc::mallinfo2() };
        Some(vec![
            (m.uordblks + m.hblkhd) as f64,
            m.fordblks as f64,
            m.hblkhd as f64,
        ])
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    None
}

/// Returns free allocator memory to the system (glibc `malloc_trim(0)`); `false` when
/// nothing was returned or the platform has no such call. For memory tests only.
#[napi]
pub fn malloc_trim() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: malloc_trim only releases free pages of the allocator's own arenas
        // (it locks each one); no pointer is passed.
        unsafe { glibc::malloc_trim(0) != 0 }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    false
}

/// The core crate's version.
#[napi]
pub fn native_version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
