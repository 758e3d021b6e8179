//! `h2o_client_t`: submission, cancellation, the callback gate and the poll queue.
//!
//! Every request gets an [`FfiSink`] that the core calls on its runtime thread. Callback
//! requests call C through the client's *gate*: a counter of running callbacks plus a
//! closed flag, so `h2o_client_close` can stop new callbacks and wait for running ones.
//! Poll requests push their events to the client's queue, drained by `h2o_client_poll`.
//! Each request's terminal event goes out exactly once: whoever flips its `completed`
//! flag (the sink, or `close` for requests the core has not finished) delivers it.

use std::cell::Cell;
use std::collections::VecDeque;
use std::ffi::{c_char, c_int, c_void, CString};
use std::mem::ManuallyDrop;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use h2o_core::client::{Consumed, EventSink, Request, RequestHandle, ResponseEvent};
use h2o_core::{Client, Config, Error, ErrorKind, Headers, Processed, Scope};
use parking_lot::{Condvar, Mutex, RwLock};

use crate::config::h2o_config_t;
use crate::panic::{check_null, ffi_boundary};
use crate::registry::Registry;
use crate::request::{h2o_header_t, h2o_request_t};
use crate::result::{fail, h2o_result};

/// `on_data` return value: keep going (the bytes are consumed).
pub const H2O_DATA_CONTINUE: c_int = 0;
/// `on_data` return value: pause. The flow-control credit of this chunk, and of every
/// further chunk, is withheld until `h2o_client_resume`, so the server stops sending once
/// the stream window is used up (chunks already in flight are still delivered).
pub const H2O_DATA_PAUSE: c_int = 1;

/// Called for each 1xx response (100 Continue, 103 Early Hints) with its fields. The
/// `headers` array and the bytes it points to are valid only during the call.
#[allow(non_camel_case_types)]
pub type h2o_informational_cb = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        status: u16,
        headers: *const h2o_header_t,
        n: usize,
    ),
>;
/// Called once with the final status and header fields (valid only during the call).
#[allow(non_camel_case_types)]
pub type h2o_head_cb = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        status: u16,
        headers: *const h2o_header_t,
        n: usize,
    ),
>;
/// Called for each body chunk. `data` points into the received frame (no copy) and is
/// valid only during the call. Return `H2O_DATA_CONTINUE` or `H2O_DATA_PAUSE`.
#[allow(non_camel_case_types)]
pub type h2o_data_cb =
    Option<unsafe extern "C" fn(userdata: *mut c_void, data: *const u8, len: usize) -> c_int>;
/// Called once with the trailer fields, if the response has trailers (valid only during
/// the call).
#[allow(non_camel_case_types)]
pub type h2o_trailers_cb =
    Option<unsafe extern "C" fn(userdata: *mut c_void, headers: *const h2o_header_t, n: usize)>;
/// Called exactly once per submitted request, last: `result` is `H2O_RESULT_OK` when the
/// response completed, otherwise the failure, with details in `error` (NULL on success;
/// valid only during the call). Also called for cancelled requests and, with
/// `H2O_RESULT_CANCELLED`, for requests still in flight when the client closes.
#[allow(non_camel_case_types)]
pub type h2o_complete_cb = Option<
    unsafe extern "C" fn(userdata: *mut c_void, result: h2o_result, error: *const h2o_error_t),
>;

/// The callbacks of a request (see `h2o_request_set_callbacks`). Any member may be NULL.
///
/// Thread: callbacks run on the library's runtime thread (one thread unless
/// `h2o_config_set_runtime_threads` says otherwise); the callbacks of one request never
/// run concurrently and come in order: informational*, head, data*, trailers?, complete.
/// A callback may call any h2o function, including `h2o_client_free` on its own client,
/// but must not block for long (it holds up every request of the client), and must not
/// wait in `h2o_client_poll` or on another thread's call that waits for callbacks
/// (`h2o_client_close`).
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Copy, Clone)]
pub struct h2o_callbacks_t {
    /// 1xx responses.
    pub on_informational: h2o_informational_cb,
    /// The final response head.
    pub on_head: h2o_head_cb,
    /// Each body chunk.
    pub on_data: h2o_data_cb,
    /// Trailer fields.
    pub on_trailers: h2o_trailers_cb,
    /// The end of the request (exactly once).
    pub on_complete: h2o_complete_cb,
}

/// Details of a failed request.
///
/// Lifetime: owned by the library; valid during the `on_complete` call, or until the
/// event carrying it is released with `h2o_event_release`.
#[allow(non_camel_case_types)]
#[repr(C)]
pub struct h2o_error_t {
    /// The same value as the `result` reported with it.
    pub result: h2o_result,
    /// Whether `h2_error_code` is set (protocol errors, resets, GOAWAY).
    pub has_h2_error_code: bool,
    /// The RFC 9113 error code, e.g. 0x8 CANCEL, 0x7 REFUSED_STREAM.
    pub h2_error_code: u32,
    /// Whether the server reported it (RST_STREAM, GOAWAY) rather than this client.
    pub is_remote: bool,
    /// Whether it ended the whole connection rather than only this stream.
    pub connection_scope: bool,
    /// False when the server provably did not process the request (safe to retry).
    pub maybe_processed: bool,
    /// A NUL-terminated English detail message.
    pub message: *const c_char,
    /// Length of `message` without the NUL.
    pub message_len: usize,
}

/// What kind of event an `h2o_event_t` is.
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum h2o_event_kind {
    /// A 1xx response: `status`, `headers`.
    Informational = 1,
    /// The final response head: `status`, `headers`.
    Head = 2,
    /// A body chunk: `data`, `data_len`. Its flow-control credit returns on release.
    Data = 3,
    /// Trailer fields: `headers`.
    Trailers = 4,
    /// The end of the request (exactly once, last): `result`, `error` (NULL on success).
    Complete = 5,
}

/// One event from `h2o_client_poll`. Fields not used by the `kind` are 0/NULL.
///
/// Ownership: the pointers belong to the library and stay valid until the event is
/// passed to `h2o_event_release`, which every polled event must be, exactly once (also
/// after the client was closed or freed).
#[allow(non_camel_case_types)]
#[repr(C)]
pub struct h2o_event_t {
    /// What happened.
    pub kind: h2o_event_kind,
    /// The id `h2o_client_submit` returned for the request.
    pub request_id: u64,
    /// The request's userdata (`h2o_request_set_userdata`).
    pub userdata: *mut c_void,
    /// HTTP status (INFORMATIONAL, HEAD).
    pub status: u16,
    /// Header fields (INFORMATIONAL, HEAD, TRAILERS).
    pub headers: *const h2o_header_t,
    /// Number of `headers`.
    pub headers_len: usize,
    /// Body bytes (DATA).
    pub data: *const u8,
    /// Number of body bytes (DATA).
    pub data_len: usize,
    /// The outcome (COMPLETE); `H2O_RESULT_OK` otherwise.
    pub result: h2o_result,
    /// Details of a failure (COMPLETE with result != OK), else NULL.
    pub error: *const h2o_error_t,
    /// Library-private; do not touch.
    pub internal: *mut c_void,
}

/// An HTTP/2 client (opaque): connections to any number of origins, run by the library's
/// own runtime thread. Create with `h2o_client_new`; end with `h2o_client_close` (stop)
/// and `h2o_client_free` (release; closes first if needed).
///
/// Thread: every function taking a `const h2o_client_t *` is thread-safe (submit, cancel,
/// resume and poll from any thread); `h2o_client_free` must be the last call on it.
#[allow(non_camel_case_types)]
pub struct h2o_client_t {
    shared: Arc<Shared>,
}

#[derive(Copy, Clone)]
pub(crate) struct Callbacks(pub h2o_callbacks_t);

#[derive(Copy, Clone)]
struct UserData(*mut c_void);
// SAFETY: the library never dereferences userdata; it only hands it back to the C caller,
// who is responsible for what it points to (documented per callback).
unsafe impl Send for UserData {}
// SAFETY: as above.
unsafe impl Sync for UserData {}

/// Counts the callbacks running now, and stops new ones once closed: two atomic
/// operations per callback; the lock and condvar are only for `close` to sleep on.
struct Gate {
    /// Running callbacks, plus `GATE_CLOSED` once closed.
    state: AtomicUsize,
    lock: Mutex<()>,
    idle: Condvar,
}

const GATE_CLOSED: usize = 1 << (usize::BITS - 1);

impl Gate {
    fn new() -> Gate {
        Gate {
            state: AtomicUsize::new(0),
            lock: Mutex::new(()),
            idle: Condvar::new(),
        }
    }

    /// Counts a callback in; false (and nothing counted) once closed.
    fn enter(&self) -> bool {
        if self.state.fetch_add(1, Ordering::AcqRel) & GATE_CLOSED != 0 {
            self.leave();
            return false;
        }
        true
    }

    fn leave(&self) {
        if self.state.fetch_sub(1, Ordering::AcqRel) == GATE_CLOSED | 1 {
            // The last one out of a closed gate: `close` may be asleep. Taking the lock
            // first means it is either before its check or already waiting.
            let _g = self.lock.lock();
            self.idle.notify_all();
        }
    }

    /// Closes the gate; with `wait`, returns once no callback is running.
    fn close(&self, wait: bool) {
        self.state.fetch_or(GATE_CLOSED, Ordering::AcqRel);
        if wait {
            let mut g = self.lock.lock();
            while self.state.load(Ordering::Acquire) & !GATE_CLOSED != 0 {
                self.idle.wait(&mut g);
            }
        }
    }
}

struct QueueState {
    events: VecDeque<Queued>,
    efd: c_int,
    /// The eventfd was written and not yet read back (by a poll that emptied the queue).
    efd_signaled: bool,
    waiters: usize,
}

impl QueueState {
    /// Makes the eventfd readable, once, while events wait.
    fn signal_fd(&mut self) {
        if self.efd >= 0 && !self.efd_signaled && !self.events.is_empty() {
            let one: u64 = 1;
            // SAFETY: efd is our eventfd; writing 8 bytes from a valid u64 is its protocol.
            unsafe { libc::write(self.efd, (&one as *const u64).cast(), 8) };
            self.efd_signaled = true;
        }
    }

    /// Resets the eventfd once the queue is empty.
    fn unsignal_fd(&mut self) {
        if self.efd_signaled && self.events.is_empty() {
            let mut buf = 0u64;
            // SAFETY: non-blocking read of our eventfd into a valid u64 (resets it).
            unsafe { libc::read(self.efd, (&mut buf as *mut u64).cast(), 8) };
            self.efd_signaled = false;
        }
    }
}

/// An event waiting for `h2o_client_poll`. It carries copies of what the C event needs
/// rather than the request's state: the runtime thread makes it and the poll thread
/// frees it, and every shared reference count they both touch costs a cache-line trip.
struct Queued {
    id: u64,
    userdata: UserData,
    /// DATA events only: the handle that returns the chunk's credit on release.
    credit: Option<RequestHandle>,
    ev: ResponseEvent,
}

pub(crate) struct Shared {
    core: RwLock<Option<Client>>,
    closed: AtomicBool,
    /// In-flight requests by id, for cancel and resume.
    registry: Mutex<Registry<Arc<ReqState>>>,
    /// States of ended requests, for the next submissions: allocated on the submitting
    /// thread and freed on the runtime thread, each would cost glibc's cross-thread path.
    spare_states: Mutex<Vec<Arc<ReqState>>>,
    gate: Gate,
    queue: Mutex<QueueState>,
    queue_cv: Condvar,
    /// Events `h2o_client_poll` moved out of `queue` and is turning into C events: the
    /// runtime thread can push meanwhile. Locked after `queue` and `SPARE_EVENTS`; empty
    /// between polls.
    polled: Mutex<VecDeque<Queued>>,
}

impl Drop for Shared {
    fn drop(&mut self) {
        let efd = self.queue.get_mut().efd;
        if efd >= 0 {
            // SAFETY: the fd was created by eventfd() for this client and is closed once.
            unsafe { libc::close(efd) };
        }
    }
}

struct ReqState {
    id: u64,
    /// None only for sinks driven without a client (unit tests).
    handle: Option<RequestHandle>,
    callbacks: Option<Callbacks>,
    userdata: UserData,
    completed: AtomicBool,
    /// True while `h2o_client_submit` is inside the core: an event then may be a
    /// synchronous failure, which the submit call returns instead of delivering it. Such a
    /// failure runs on the submitting thread; the runtime thread may meanwhile run the
    /// request for real.
    sync_phase: AtomicBool,
    /// The submitting thread (`pthread_self`: a register read, where a thread-local
    /// costs a `__tls_get_addr` call in a shared library).
    submitter: libc::pthread_t,
    /// A synchronous failure, for `h2o_client_submit` to return (boxed: a rare path).
    sync_error: AtomicPtr<Error>,
    /// Set by `on_data` returning pause (runtime thread), cleared by `h2o_client_resume`;
    /// read without the lock on every chunk, re-read under `held`'s lock when set.
    paused: AtomicBool,
    /// Credit withheld while paused.
    held: Mutex<usize>,
}

impl ReqState {
    fn release(&self, n: usize) {
        if let Some(h) = &self.handle {
            h.release(n);
        }
    }

    fn take_sync_error(&self) -> Option<Error> {
        let p = self.sync_error.swap(std::ptr::null_mut(), Ordering::AcqRel);
        // SAFETY: a non-null pointer is a `Box::into_raw` stored by the sink, taken once
        // (the swap above).
        (!p.is_null()).then(|| *unsafe { Box::from_raw(p) })
    }
}

impl Drop for ReqState {
    fn drop(&mut self) {
        drop(self.take_sync_error());
    }
}

/// The clients whose callbacks are running on this thread, innermost last. Callbacks nest
/// only through `h2o_client_close` inside a callback, so a few slots are plenty (deeper
/// marks are counted, not kept). Plain cells: a thread-local without a destructor needs no
/// registration check on each access, and this one is touched for every callback.
struct CallbackMarks {
    depth: Cell<usize>,
    keys: [Cell<usize>; CALLBACK_MARKS],
}

const CALLBACK_MARKS: usize = 8;

thread_local! {
    static IN_CALLBACK: CallbackMarks = const {
        CallbackMarks { depth: Cell::new(0), keys: [const { Cell::new(0) }; CALLBACK_MARKS] }
    };
}

/// Whether this thread is inside a callback of any client.
pub(crate) fn in_any_callback() -> bool {
    IN_CALLBACK.with(|m| m.depth.get() > 0)
}

fn own_callbacks(shared: &Shared) -> usize {
    let key = shared as *const Shared as usize;
    IN_CALLBACK.with(|m| {
        let kept = m.depth.get().min(CALLBACK_MARKS);
        m.keys[..kept].iter().filter(|k| k.get() == key).count()
    })
}

/// Runs `f` (which calls C) marked as a callback of `shared` on this thread. One
/// thread-local access for both marks: this runs for every callback.
fn as_callback_of(shared: &Shared, f: impl FnOnce()) {
    struct Unmark<'a>(&'a CallbackMarks);
    impl Drop for Unmark<'_> {
        fn drop(&mut self) {
            // Marks nest lexically on a thread: the innermost is ours.
            self.0.depth.set(self.0.depth.get() - 1);
        }
    }
    let key = shared as *const Shared as usize;
    IN_CALLBACK.with(|m| {
        let depth = m.depth.get();
        if let Some(slot) = m.keys.get(depth) {
            slot.set(key);
        }
        m.depth.set(depth + 1);
        let _unmark = Unmark(m);
        f();
    });
}

struct GateGuard<'a>(&'a Gate);

impl Drop for GateGuard<'_> {
    fn drop(&mut self) {
        self.0.leave();
    }
}

impl Shared {
    fn new(core: Option<Client>) -> Arc<Shared> {
        Arc::new(Shared {
            core: RwLock::new(core),
            closed: AtomicBool::new(false),
            registry: Mutex::new(Registry::new()),
            spare_states: Mutex::new(Vec::new()),
            gate: Gate::new(),
            queue: Mutex::new(QueueState {
                events: VecDeque::new(),
                efd: -1,
                efd_signaled: false,
                waiters: 0,
            }),
            queue_cv: Condvar::new(),
            polled: Mutex::new(VecDeque::new()),
        })
    }

    /// Runs `f` (which calls C) unless the gate is closed. Returns whether it ran.
    fn through_gate(&self, f: impl FnOnce()) -> bool {
        if !self.gate.enter() {
            return false;
        }
        let _guard = GateGuard(&self.gate);
        as_callback_of(self, f);
        true
    }

    /// Queues `q` for `h2o_client_poll` and wakes whoever waits for it.
    fn push(&self, q: Queued) {
        let mut s = self.queue.lock();
        s.events.push_back(q);
        s.signal_fd();
        let waiters = s.waiters;
        drop(s);
        if waiters > 0 {
            self.queue_cv.notify_one();
        }
    }
}

/// Calls `f` with a C view of `h`: on the stack for the usual few headers (this runs for
/// every response in callback mode), in a Vec beyond that.
fn with_c_headers<R>(h: &Headers, f: impl FnOnce(&[h2o_header_t]) -> R) -> R {
    const ON_STACK: usize = 32;
    let entries = h.entries();
    if entries.len() > ON_STACK {
        let mut out = Vec::new();
        c_headers_into(h, &mut out);
        return f(&out);
    }
    let mut buf = [h2o_header_t {
        name: std::ptr::null(),
        name_len: 0,
        value: std::ptr::null(),
        value_len: 0,
    }; ON_STACK];
    for (slot, (n, v)) in buf.iter_mut().zip(entries) {
        *slot = header_view(n, v);
    }
    f(&buf[..entries.len()])
}

/// A name/value view of one header (points into the header's bytes).
fn header_view(name: &[u8], value: &[u8]) -> h2o_header_t {
    h2o_header_t {
        name: name.as_ptr(),
        name_len: name.len(),
        value: value.as_ptr(),
        value_len: value.len(),
    }
}

/// Fills `out` (cleared first) with name/value views of `h`.
fn c_headers_into(h: &Headers, out: &mut Vec<h2o_header_t>) {
    out.clear();
    out.extend(h.entries().iter().map(|(n, v)| header_view(n, v)));
}

struct ErrorDetail {
    c: h2o_error_t,
    _msg: CString,
}

impl ErrorDetail {
    fn new(e: &Error) -> ErrorDetail {
        let msg = CString::new(e.to_string().replace('\0', " ")).unwrap_or_default();
        let c = h2o_error_t {
            result: h2o_result::from_kind(e.kind()),
            has_h2_error_code: e.code().is_some(),
            h2_error_code: e.code().map(|c| c.to_u32()).unwrap_or(0),
            is_remote: e.is_remote(),
            connection_scope: e.scope() == Scope::Connection,
            maybe_processed: e.processed() == Processed::Maybe,
            message: msg.as_ptr(),
            message_len: msg.as_bytes().len(),
        };
        ErrorDetail { c, _msg: msg }
    }
}

fn closed_error() -> Error {
    Error::new(ErrorKind::Cancelled, "the client was closed")
}

/// States kept per client for reuse (a client with more requests in flight allocates).
const SPARE_STATES_MAX: usize = 1024;

impl Shared {
    /// A state for a new request: a spare one if there is one.
    fn new_state(&self, fresh: ReqState) -> Arc<ReqState> {
        let spare = self.spare_states.lock().pop();
        match spare {
            Some(mut st) => {
                *Arc::get_mut(&mut st).expect("spare states are unshared") = fresh;
                st
            }
            None => Arc::new(fresh),
        }
    }

    /// Keeps `st` for reuse if nothing else refers to it.
    fn recycle_state(&self, mut st: Arc<ReqState>) {
        let Some(state) = Arc::get_mut(&mut st) else {
            return;
        };
        state.handle = None; // the core's request control block goes now
        let mut spare = self.spare_states.lock();
        if spare.len() < SPARE_STATES_MAX {
            spare.push(st);
        }
    }
}

/// The sink the core calls for one request.
struct FfiSink {
    shared: Arc<Shared>,
    /// Taken in `drop`, to be recycled.
    req: ManuallyDrop<Arc<ReqState>>,
}

impl FfiSink {
    fn new(shared: Arc<Shared>, req: Arc<ReqState>) -> FfiSink {
        FfiSink {
            shared,
            req: ManuallyDrop::new(req),
        }
    }
}

impl EventSink for FfiSink {
    fn on_event(&mut self, event: ResponseEvent) -> Consumed {
        std::panic::catch_unwind(AssertUnwindSafe(|| self.handle(event))).unwrap_or(Consumed::Now)
    }
}

impl Drop for FfiSink {
    fn drop(&mut self) {
        // The core promises a terminal event; if a sink is dropped without one (runtime
        // torn down), the request still completes exactly once.
        if !self.req.completed.load(Ordering::Acquire) {
            let _ = std::panic::catch_unwind(AssertUnwindSafe(|| {
                self.handle(ResponseEvent::Error(closed_error()))
            }));
        }
        // SAFETY: `req` is not used again: this is the sink's drop.
        let req = unsafe { ManuallyDrop::take(&mut self.req) };
        self.shared.recycle_state(req);
    }
}

impl FfiSink {
    fn handle(&mut self, ev: ResponseEvent) -> Consumed {
        let req = &self.req;
        // SAFETY: pthread_self has no preconditions.
        if req.sync_phase.load(Ordering::Acquire)
            && unsafe { libc::pthread_self() } == req.submitter
        {
            // Failed inside h2o_client_submit: it returns the error; no callback runs.
            if let ResponseEvent::Error(e) = ev {
                let old = req
                    .sync_error
                    .swap(Box::into_raw(Box::new(e)), Ordering::AcqRel);
                debug_assert!(old.is_null(), "one terminal event per request");
            }
            req.completed.store(true, Ordering::Release);
            return Consumed::Now;
        }
        if req.completed.load(Ordering::Acquire) {
            return Consumed::Now;
        }
        match req.callbacks {
            Some(cbs) => self.deliver_callback(&cbs.0, ev),
            None => self.deliver_queue(ev),
        }
    }

    fn deliver_callback(&mut self, cbs: &h2o_callbacks_t, ev: ResponseEvent) -> Consumed {
        let ud = self.req.userdata.0;
        let shared = &*self.shared;
        match ev {
            ResponseEvent::Informational { status, headers } => {
                if let Some(f) = cbs.on_informational {
                    with_c_headers(&headers, |hs| {
                        // SAFETY: a C function pointer supplied by the caller for this
                        // purpose; the array and the bytes it points to live until after
                        // the call.
                        shared.through_gate(|| unsafe { f(ud, status, hs.as_ptr(), hs.len()) })
                    });
                }
                Consumed::Now
            }
            ResponseEvent::Head { status, headers } => {
                if let Some(f) = cbs.on_head {
                    with_c_headers(&headers, |hs| {
                        // SAFETY: as for on_informational.
                        shared.through_gate(|| unsafe { f(ud, status, hs.as_ptr(), hs.len()) })
                    });
                }
                Consumed::Now
            }
            ResponseEvent::Data(d) => {
                let mut action = H2O_DATA_CONTINUE;
                if let Some(f) = cbs.on_data {
                    // SAFETY: caller-supplied callback; `d` outlives the call.
                    shared.through_gate(|| action = unsafe { f(ud, d.as_ptr(), d.len()) });
                }
                let req = &self.req;
                if action != H2O_DATA_PAUSE && !req.paused.load(Ordering::Acquire) {
                    return Consumed::Now;
                }
                let mut held = req.held.lock();
                if action == H2O_DATA_PAUSE {
                    req.paused.store(true, Ordering::Release);
                } else if !req.paused.load(Ordering::Acquire) {
                    return Consumed::Now; // resumed meanwhile
                }
                *held += d.len();
                Consumed::Later
            }
            ResponseEvent::Trailers(headers) => {
                if let Some(f) = cbs.on_trailers {
                    with_c_headers(&headers, |hs| {
                        // SAFETY: as for on_informational.
                        shared.through_gate(|| unsafe { f(ud, hs.as_ptr(), hs.len()) })
                    });
                }
                Consumed::Now
            }
            ResponseEvent::Done | ResponseEvent::Error(_) => {
                let detail = match &ev {
                    ResponseEvent::Error(e) => Some(ErrorDetail::new(e)),
                    _ => None,
                };
                let req = &self.req;
                // Flip `completed` inside the gate: if the gate is closed, `close` owns
                // the completion of this request.
                shared.through_gate(|| {
                    if req.completed.swap(true, Ordering::AcqRel) {
                        return;
                    }
                    shared.registry.lock().remove(req.id);
                    if let Some(f) = cbs.on_complete {
                        let (r, p) = match &detail {
                            Some(d) => (d.c.result, &d.c as *const h2o_error_t),
                            None => (h2o_result::Ok, std::ptr::null()),
                        };
                        // SAFETY: caller-supplied callback; `detail` outlives the call.
                        unsafe { f(ud, r, p) };
                    }
                });
                Consumed::Now
            }
        }
    }

    fn deliver_queue(&mut self, ev: ResponseEvent) -> Consumed {
        if ev.is_terminal() {
            if self.req.completed.swap(true, Ordering::AcqRel) {
                return Consumed::Now;
            }
            self.shared.registry.lock().remove(self.req.id);
        }
        let later = matches!(ev, ResponseEvent::Data(_));
        self.shared.push(Queued {
            id: self.req.id,
            userdata: self.req.userdata,
            credit: if later { self.req.handle.clone() } else { None },
            ev,
        });
        if later {
            Consumed::Later
        } else {
            Consumed::Now
        }
    }
}

/// The core client behind `client` (for the metrics and debug exports), or the C
/// result to return: NULL argument or use after close.
pub(crate) fn core_client(client: *const h2o_client_t) -> Result<Client, h2o_result> {
    if client.is_null() {
        return Err(fail(h2o_result::NullArgument, "argument `client` is NULL"));
    }
    let shared = &client_ref(client).shared;
    match shared.core.read().clone() {
        Some(c) if !shared.closed.load(Ordering::Acquire) => Ok(c),
        _ => Err(fail(h2o_result::UseAfterClose, "the client is closed")),
    }
}

fn client_ref<'a>(client: *const h2o_client_t) -> &'a h2o_client_t {
    // SAFETY: callers check for NULL first; non-NULL clients come from `h2o_client_new`
    // and stay alive until `h2o_client_free` (caller contract).
    unsafe { &*client }
}

/// Creates a client and stores it in `*out`. `config` may be NULL for the defaults; it
/// is copied. Starts the library's runtime thread.
///
/// Ownership: the caller owns `*out` and frees it with `h2o_client_free`.
/// Errors (nothing allocated): `H2O_RESULT_NULL_ARGUMENT`, `H2O_RESULT_INVALID_ARGUMENT`
/// (a setting out of range: see `h2o_last_error_message()`), `H2O_RESULT_IO`.
#[no_mangle]
pub extern "C" fn h2o_client_new(
    config: *const h2o_config_t,
    out: *mut *mut h2o_client_t,
) -> h2o_result {
    ffi_boundary!({
        check_null!(out);
        let cfg = if config.is_null() {
            Config::default()
        } else {
            // SAFETY: non-NULL configs come from `h2o_config_new` and are alive.
            unsafe { (*config).inner.clone() }
        };
        let core = match Client::with_config(cfg) {
            Ok(c) => c,
            Err(e) => return fail(h2o_result::from_kind(e.kind()), &e.to_string()),
        };
        let shared = Shared::new(Some(core));
        // SAFETY: `out` is non-NULL and writable (caller contract).
        unsafe { *out = Box::into_raw(Box::new(h2o_client_t { shared })) };
        h2o_result::Ok
    })
}

/// Submits `request` and stores its id in `*out_id` (`out_id` may be NULL).
///
/// The id is stored before the request can run, so its callbacks, which may start on the
/// library's thread before this call returns, can already read it; `*out_id` is 0 (never
/// an id) when submission fails.
///
/// The request's response is then delivered through its callbacks, or to
/// `h2o_client_poll` if it has none. `request` stays owned by the caller (free it any
/// time; keep it to write a streamed body).
///
/// Returns `H2O_RESULT_OK` when the request is on its way: then exactly one completion
/// (`on_complete` / a COMPLETE event) follows. Any other result means it was not
/// submitted and nothing will be delivered: `H2O_RESULT_NULL_ARGUMENT`,
/// `H2O_RESULT_USE_AFTER_CLOSE`, `H2O_RESULT_ALREADY_SUBMITTED`,
/// `H2O_RESULT_INVALID_ARGUMENT` (a header), `H2O_RESULT_CLOSED`.
///
/// Thread: any; also from inside a callback. Never blocks on the network.
#[no_mangle]
pub extern "C" fn h2o_client_submit(
    client: *const h2o_client_t,
    request: *mut h2o_request_t,
    out_id: *mut u64,
) -> h2o_result {
    ffi_boundary!({
        clear_id(out_id);
        check_null!(client, request);
        // SAFETY: non-NULL requests come from `h2o_request_new` and are alive.
        let mut b = unsafe { &*request }.inner.lock();
        if b.id.is_some() || b.request.is_none() {
            return fail(
                h2o_result::AlreadySubmitted,
                "the request was already submitted",
            );
        }
        let (callbacks, userdata) = (b.callbacks, UserData(b.userdata));
        let shared = &client_ref(client).shared;
        match submit(shared, || b.request.take(), callbacks, userdata, out_id) {
            Ok(id) => {
                b.id = Some(id);
                h2o_result::Ok
            }
            Err(r) => r,
        }
    })
}

/// Submits a copy of `request` whose events carry `userdata` instead of the request's
/// own, and stores the copy's id in `*out_id` (`out_id` may be NULL). `request` itself is
/// left as it was, unsubmitted: a template to submit again and again (a game polling an
/// endpoint, a robot streaming commands), which skips building a request each time. A
/// full body is shared by the copies, not copied.
///
/// Everything else is as for `h2o_client_submit`: the copy gets `request`'s callbacks (or
/// goes to `h2o_client_poll` without them), exactly one completion follows
/// `H2O_RESULT_OK`, and `*out_id` is 0 on failure. Errors: `H2O_RESULT_NULL_ARGUMENT`,
/// `H2O_RESULT_USE_AFTER_CLOSE`, `H2O_RESULT_ALREADY_SUBMITTED` (the template itself was
/// submitted), `H2O_RESULT_INVALID_STATE` (a streamed body cannot be copied),
/// `H2O_RESULT_INVALID_ARGUMENT`, `H2O_RESULT_CLOSED`.
///
/// Thread: any, also from inside a callback; threads may submit copies of one template
/// at the same time, but none may free it meanwhile.
///
/// ```c
/// h2o_request_t *tpl;
/// h2o_request_new("GET", "http://127.0.0.1:8080/state", &tpl);
/// h2o_request_set_callbacks(tpl, &callbacks, NULL);
/// for (int i = 0; i < n; i++) h2o_client_submit_copy(client, tpl, &slots[i], NULL);
/// h2o_request_free(tpl); // the copies it made run on
/// ```
#[no_mangle]
pub extern "C" fn h2o_client_submit_copy(
    client: *const h2o_client_t,
    request: *const h2o_request_t,
    userdata: *mut c_void,
    out_id: *mut u64,
) -> h2o_result {
    ffi_boundary!({
        clear_id(out_id);
        check_null!(client, request);
        // SAFETY: non-NULL requests come from `h2o_request_new` and are alive.
        let b = unsafe { &*request }.inner.lock();
        if b.id.is_some() || b.request.is_none() {
            return fail(
                h2o_result::AlreadySubmitted,
                "the template request was itself submitted",
            );
        }
        let callbacks = b.callbacks;
        let shared = &client_ref(client).shared;
        let copy = || b.request.as_ref().and_then(Request::try_clone);
        match submit(shared, copy, callbacks, UserData(userdata), out_id) {
            Ok(_) => h2o_result::Ok,
            Err(r) => r,
        }
    })
}

fn clear_id(out_id: *mut u64) {
    if !out_id.is_null() {
        // SAFETY: non-NULL and writable (caller contract).
        unsafe { *out_id = 0 };
    }
}

/// Submits the request `take` yields for a C caller: registers its state, writes
/// `*out_id` before the request can run, and turns a synchronous failure into the result
/// to return. `take` runs once the client is known to be open; `None` from it is a
/// template that cannot be copied.
fn submit(
    shared: &Arc<Shared>,
    take: impl FnOnce() -> Option<Request>,
    callbacks: Option<Callbacks>,
    userdata: UserData,
    out_id: *mut u64,
) -> Result<u64, h2o_result> {
    // Held for the whole submission: `close` takes the core (write lock) only after
    // this request is either registered or failed, so it cannot miss it.
    let core = shared.core.read();
    let core = match core.as_ref() {
        Some(c) if !shared.closed.load(Ordering::Acquire) => c,
        _ => return Err(fail(h2o_result::UseAfterClose, "the client is closed")),
    };
    let Some(r) = take() else {
        // Submit checked that its request is there: only a copy can be missing.
        return Err(fail(
            h2o_result::InvalidState,
            "a request with a streamed body cannot be copied",
        ));
    };
    let mut submitted = None;
    // SAFETY: pthread_self has no preconditions.
    let submitter = unsafe { libc::pthread_self() };
    core.submit_with(r, |handle| {
        let state = shared.new_state(ReqState {
            id: handle.id(),
            handle: Some(handle.clone()),
            callbacks,
            userdata,
            completed: AtomicBool::new(false),
            sync_phase: AtomicBool::new(true),
            submitter,
            sync_error: AtomicPtr::new(std::ptr::null_mut()),
            paused: AtomicBool::new(false),
            held: Mutex::new(0),
        });
        // Registered, and the id given to the caller, before the request can run: its
        // callbacks may cancel it or read the id from `out_id`.
        shared.registry.lock().insert(state.id, state.clone());
        if !out_id.is_null() {
            // SAFETY: non-NULL and writable (caller contract).
            unsafe { *out_id = state.id };
        }
        submitted = Some(state.clone());
        FfiSink::new(shared.clone(), state)
    });
    let state = submitted.expect("submit_with makes the sink");
    state.sync_phase.store(false, Ordering::Release);
    if let Some(e) = state.take_sync_error() {
        shared.registry.lock().remove(state.id);
        clear_id(out_id);
        let r = match h2o_result::from_kind(e.kind()) {
            // Lost a race with h2o_client_close: report it as such.
            _ if shared.closed.load(Ordering::Acquire) => h2o_result::UseAfterClose,
            h2o_result::Closed => h2o_result::UseAfterClose,
            r => r,
        };
        return Err(fail(r, &e.to_string()));
    }
    Ok(state.id)
}

fn lookup(client: *const h2o_client_t, id: u64) -> Result<Arc<ReqState>, h2o_result> {
    if client.is_null() {
        return Err(fail(h2o_result::NullArgument, "argument `client` is NULL"));
    }
    let shared = &client_ref(client).shared;
    if shared.closed.load(Ordering::Acquire) {
        return Err(fail(h2o_result::UseAfterClose, "the client is closed"));
    }
    shared.registry.lock().get(id).cloned().ok_or_else(|| {
        fail(
            h2o_result::UnknownRequest,
            &format!("no request {id} in flight"),
        )
    })
}

/// Cancels request `id` (RST_STREAM CANCEL if it is on the wire). Never blocks: it
/// returns at once and the request then completes with `H2O_RESULT_CANCELLED` (unless it
/// completed first). `H2O_RESULT_UNKNOWN_REQUEST` if it already completed.
///
/// Thread: any, including callbacks.
#[no_mangle]
pub extern "C" fn h2o_client_cancel(client: *const h2o_client_t, id: u64) -> h2o_result {
    ffi_boundary!(match lookup(client, id) {
        Ok(st) => {
            if let Some(h) = &st.handle {
                h.cancel();
            }
            h2o_result::Ok
        }
        Err(r) => r,
    })
}

/// Resumes request `id` after its `on_data` returned `H2O_DATA_PAUSE`: the withheld
/// flow-control credit goes back to the server. `H2O_RESULT_OK` also when it was not
/// paused; `H2O_RESULT_UNKNOWN_REQUEST` if it already completed.
///
/// Thread: any, including callbacks. Never blocks.
#[no_mangle]
pub extern "C" fn h2o_client_resume(client: *const h2o_client_t, id: u64) -> h2o_result {
    ffi_boundary!(match lookup(client, id) {
        Ok(st) => {
            let held = {
                let mut held = st.held.lock();
                st.paused.store(false, Ordering::Release);
                std::mem::take(&mut *held)
            };
            st.release(held);
            h2o_result::Ok
        }
        Err(r) => r,
    })
}

fn close(shared: &Arc<Shared>) {
    let own = own_callbacks(shared);
    if !shared.closed.swap(true, Ordering::AcqRel) {
        let core = shared.core.write().take();
        if let Some(core) = core {
            if own == 0 {
                // Joins the runtime thread; in-flight requests complete (Cancelled)
                // through the still-open gate.
                core.close();
            }
            // Inside a callback the runtime cannot join itself: dropping the last
            // reference closes it in the background.
            drop(core);
        }
    }
    shared.gate.close(own == 0);
    let left = shared.registry.lock().drain();
    for st in left {
        if st.completed.swap(true, Ordering::AcqRel) {
            continue;
        }
        match st.callbacks {
            Some(cbs) => {
                if let Some(f) = cbs.0.on_complete {
                    let d = ErrorDetail::new(&closed_error());
                    // SAFETY: caller-supplied callback; `d` outlives the call.
                    as_callback_of(shared, || unsafe { f(st.userdata.0, d.c.result, &d.c) });
                }
            }
            None => shared.push(Queued {
                id: st.id,
                userdata: st.userdata,
                credit: None,
                ev: ResponseEvent::Error(closed_error()),
            }),
        }
    }
    let _q = shared.queue.lock();
    shared.queue_cv.notify_all();
}

/// Closes the client: GOAWAY on its connections; every request still in flight completes
/// with `H2O_RESULT_CANCELLED` before this returns (callback requests get `on_complete`,
/// poll requests a COMPLETE event, which `h2o_client_poll` still returns after close);
/// the runtime thread is joined. Completions the runtime did not deliver by then are
/// delivered by this call itself, on the calling thread. **After it returns, no callback of this client runs.**
/// It waits for callbacks running on other threads to finish. Idempotent. Later calls on
/// the client return `H2O_RESULT_USE_AFTER_CLOSE` (poll: once the queue is drained).
///
/// Thread: any. Inside one of this client's callbacks it does not wait for itself: the
/// runtime winds down in the background after the callback returns (callbacks already
/// running on other runtime threads, with runtime_threads > 1, may still finish).
#[no_mangle]
pub extern "C" fn h2o_client_close(client: *const h2o_client_t) -> h2o_result {
    ffi_boundary!({
        check_null!(client);
        let shared = client_ref(client).shared.clone();
        close(&shared);
        h2o_result::Ok
    })
}

/// Closes the client (see `h2o_client_close`) and frees it. NULL is ignored. Allowed
/// inside the client's own callbacks. Events already polled stay valid until released.
#[no_mangle]
pub extern "C" fn h2o_client_free(client: *mut h2o_client_t) {
    ffi_boundary!({
        if !client.is_null() {
            let shared = client_ref(client).shared.clone();
            close(&shared);
            // SAFETY: non-NULL clients come from `h2o_client_new` (Box::into_raw) and the
            // caller frees each exactly once.
            drop(unsafe { Box::from_raw(client) });
        }
    })
}

/// What an `h2o_event_t`'s pointers point into, until `h2o_event_release`.
struct EventStore {
    credit: Option<RequestHandle>,
    ev: Option<ResponseEvent>,
    headers: Vec<h2o_header_t>,
    error: Option<ErrorDetail>,
}

// SAFETY: the raw pointers inside (`headers`, `error`) point only into data this store
// owns (`ev`'s `Bytes`, `error`'s `CString`), which is `Send` and moves with it; Rust never
// dereferences them, and a store in `SPARE_EVENTS` holds none (`recycle` clears them).
unsafe impl Send for EventStore {}

/// Released event stores kept for reuse: a poll-mode request takes three events, two of
/// which need a store (a plain COMPLETE takes none), and allocating a store (and a header
/// array) for each on the poll thread and freeing it on
/// the runtime thread's memory cost more than the rest of `h2o_client_poll` together
/// (~1000 instructions per request in the C API benchmark). Shared by every client, so a
/// release after `h2o_client_free` still has somewhere to go. Bounded in count, and a
/// store whose header array grew large is freed instead of kept.
static SPARE_EVENTS: Mutex<SpareEvents> = Mutex::new(Vec::new());

#[allow(clippy::vec_box)] // each store's address is handed to C: it must stay boxed
type SpareEvents = Vec<Box<EventStore>>;
const SPARE_EVENTS_MAX: usize = 1024;
const SPARE_HEADERS_MAX: usize = 64;

/// A store for `ev` (and its credit), from `spare` (the locked `SPARE_EVENTS`) if it can.
fn event_store(
    spare: &mut SpareEvents,
    credit: Option<RequestHandle>,
    ev: ResponseEvent,
) -> Box<EventStore> {
    match spare.pop() {
        Some(mut b) => {
            b.credit = credit;
            b.ev = Some(ev);
            b
        }
        None => Box::new(EventStore {
            credit,
            ev: Some(ev),
            headers: Vec::new(),
            error: None,
        }),
    }
}

/// Drops what the store holds and keeps the allocation for the next event.
fn recycle(mut store: Box<EventStore>) {
    store.credit = None;
    store.ev = None;
    store.error = None;
    store.headers.clear();
    if store.headers.capacity() > SPARE_HEADERS_MAX {
        return;
    }
    let mut spare = SPARE_EVENTS.lock();
    if spare.len() < SPARE_EVENTS_MAX {
        spare.push(store);
    }
}

/// The `internal` of a COMPLETE event without an error: nothing to keep alive, so no store
/// (one of a request's three events in the usual case); any non-null address would do.
static NOTHING_HELD: u8 = 0;

fn nothing_held() -> *mut c_void {
    std::ptr::addr_of!(NOTHING_HELD).cast_mut().cast()
}

fn to_c_event(spare: &mut SpareEvents, q: Queued, out: *mut h2o_event_t) {
    let mut e = h2o_event_t {
        kind: h2o_event_kind::Complete,
        request_id: q.id,
        userdata: q.userdata.0,
        status: 0,
        headers: std::ptr::null(),
        headers_len: 0,
        data: std::ptr::null(),
        data_len: 0,
        result: h2o_result::Ok,
        error: std::ptr::null(),
        internal: nothing_held(),
    };
    if let ResponseEvent::Done = q.ev {
        // SAFETY: `out` points into the caller's array of at least `max` events.
        unsafe { out.write(e) };
        return;
    }
    let mut store = event_store(spare, q.credit, q.ev);
    let s = &mut *store;
    match s.ev.as_ref().expect("just set") {
        ResponseEvent::Informational { status, headers } => {
            e.kind = h2o_event_kind::Informational;
            e.status = *status;
            c_headers_into(headers, &mut s.headers);
        }
        ResponseEvent::Head { status, headers } => {
            e.kind = h2o_event_kind::Head;
            e.status = *status;
            c_headers_into(headers, &mut s.headers);
        }
        ResponseEvent::Data(d) => {
            e.kind = h2o_event_kind::Data;
            e.data = d.as_ptr();
            e.data_len = d.len();
        }
        ResponseEvent::Trailers(headers) => {
            e.kind = h2o_event_kind::Trailers;
            c_headers_into(headers, &mut s.headers);
        }
        ResponseEvent::Done => {}
        ResponseEvent::Error(err) => {
            let d = ErrorDetail::new(err);
            e.result = d.c.result;
            s.error = Some(d);
        }
    }
    if !s.headers.is_empty() {
        e.headers = s.headers.as_ptr();
        e.headers_len = s.headers.len();
    }
    if let Some(d) = &s.error {
        e.error = &d.c;
    }
    e.internal = Box::into_raw(store).cast();
    // SAFETY: `out` points into the caller's array of at least `max` events.
    unsafe { out.write(e) };
}

/// Fills `events[0..*out_n]` with up to `max` waiting events, oldest first.
///
/// `timeout_ms`: 0 returns at once (never blocks: the game-loop form); > 0 waits up to
/// that long for the first event; < 0 waits until one arrives or the client is closed.
/// Every returned event must be released with `h2o_event_release`; DATA events hold back
/// their flow-control credit until then (a slow consumer slows the server).
///
/// Returns `H2O_RESULT_OK` (also when `*out_n` is 0), `H2O_RESULT_NULL_ARGUMENT`, or
/// `H2O_RESULT_USE_AFTER_CLOSE` once the client is closed and the queue is empty.
/// Thread: any (events go to whichever thread polls; usually one).
#[no_mangle]
pub extern "C" fn h2o_client_poll(
    client: *const h2o_client_t,
    events: *mut h2o_event_t,
    max: usize,
    timeout_ms: i32,
    out_n: *mut usize,
) -> h2o_result {
    ffi_boundary!({
        check_null!(client, out_n);
        // SAFETY: non-NULL, writable (caller contract).
        unsafe { *out_n = 0 };
        if max > 0 && events.is_null() {
            return fail(h2o_result::NullArgument, "argument `events` is NULL");
        }
        let shared = &client_ref(client).shared;
        let mut s = shared.queue.lock();
        if s.events.is_empty() && timeout_ms != 0 && max > 0 {
            let deadline =
                (timeout_ms > 0).then(|| Instant::now() + Duration::from_millis(timeout_ms as u64));
            s.waiters += 1;
            while s.events.is_empty() && !shared.closed.load(Ordering::Acquire) {
                match deadline {
                    None => shared.queue_cv.wait(&mut s),
                    Some(d) => {
                        if shared.queue_cv.wait_until(&mut s, d).timed_out() {
                            break;
                        }
                    }
                }
            }
            s.waiters -= 1;
        }
        if s.events.is_empty() && shared.closed.load(Ordering::Acquire) {
            return fail(
                h2o_result::UseAfterClose,
                "the client is closed and its queue is empty",
            );
        }
        let n = max.min(s.events.len());
        if n == 0 {
            return h2o_result::Ok;
        }
        let mut spare = SPARE_EVENTS.lock();
        if n < s.events.len() {
            // More waiting than asked for: take the oldest n in place.
            for i in 0..n {
                let q = s.events.pop_front().expect("n < len");
                // SAFETY: i < n <= max, within the caller's array.
                to_c_event(&mut spare, q, unsafe { events.add(i) });
            }
            drop(s);
        } else {
            // All of them (the usual case): swap the queue out and build the C events
            // with it unlocked, so the runtime thread's next push does not wait for us.
            let mut polled = shared.polled.lock();
            std::mem::swap(&mut s.events, &mut *polled);
            s.unsignal_fd();
            drop(s);
            for (i, q) in polled.drain(..).enumerate() {
                // SAFETY: i < n <= max, within the caller's array.
                to_c_event(&mut spare, q, unsafe { events.add(i) });
            }
        }
        drop(spare);
        // SAFETY: non-NULL, writable (caller contract).
        unsafe { *out_n = n };
        h2o_result::Ok
    })
}

/// Releases an event from `h2o_client_poll`: frees what its pointers point to and, for
/// DATA, returns the flow-control credit. Its `internal` field is cleared, so a second
/// release returns `H2O_RESULT_INVALID_STATE` instead of freeing twice.
///
/// Thread: any; also after the client was closed or freed.
#[no_mangle]
pub extern "C" fn h2o_event_release(event: *mut h2o_event_t) -> h2o_result {
    ffi_boundary!({
        check_null!(event);
        // SAFETY: non-NULL and points to an h2o_event_t (caller contract); only the raw
        // pointer field is read, so a garbage `kind` is never interpreted.
        let slot = unsafe { std::ptr::addr_of_mut!((*event).internal) };
        // SAFETY: `slot` is a valid field pointer (above).
        let p = unsafe { slot.read() };
        if p.is_null() {
            return fail(
                h2o_result::InvalidState,
                "the event was already released (or never filled)",
            );
        }
        // SAFETY: as above.
        unsafe { slot.write(std::ptr::null_mut()) };
        if p == nothing_held() {
            return h2o_result::Ok;
        }
        // SAFETY: `p` is the `internal` pointer of an event made by `to_c_event`
        // (Box::into_raw) and is released once (the field was cleared above).
        let store = unsafe { Box::from_raw(p.cast::<EventStore>()) };
        if let (Some(ResponseEvent::Data(d)), Some(h)) = (&store.ev, &store.credit) {
            h.release(d.len());
        }
        recycle(store);
        h2o_result::Ok
    })
}

/// Stores in `*out_fd` a file descriptor (an eventfd) that is readable while events wait
/// in the poll queue: add it to epoll/poll/select, then call `h2o_client_poll` with
/// timeout 0 until it returns no events. Created on first call; owned by the client
/// (closed by `h2o_client_free`; do not close or read it yourself).
/// Errors: `H2O_RESULT_NULL_ARGUMENT`, `H2O_RESULT_USE_AFTER_CLOSE`, `H2O_RESULT_IO`.
#[no_mangle]
pub extern "C" fn h2o_client_wakeup_fd(
    client: *const h2o_client_t,
    out_fd: *mut c_int,
) -> h2o_result {
    ffi_boundary!({
        check_null!(client, out_fd);
        let shared = &client_ref(client).shared;
        if shared.closed.load(Ordering::Acquire) {
            return fail(h2o_result::UseAfterClose, "the client is closed");
        }
        let mut s = shared.queue.lock();
        if s.efd < 0 {
            // SAFETY: plain syscall with constant flags.
            let fd = unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) };
            if fd < 0 {
                return fail(
                    h2o_result::Io,
                    &format!("eventfd: {}", std::io::Error::last_os_error()),
                );
            }
            s.efd = fd;
            s.signal_fd();
        }
        // SAFETY: non-NULL, writable (caller contract).
        unsafe { *out_fd = s.efd };
        h2o_result::Ok
    })
}

#[cfg(test)]
mod tests {
    //! The sink fed directly (no network): every event kind, including 1xx responses,
    //! which the test server never sends, in both delivery modes.
    use super::*;

    #[derive(Default)]
    struct Log(Mutex<Vec<String>>);

    fn log(ud: *mut c_void) -> &'static Log {
        // SAFETY: tests pass a leaked &'static Log as userdata.
        unsafe { &*(ud as *const Log) }
    }

    fn fields(h: *const h2o_header_t, n: usize) -> String {
        // SAFETY: the library passes `n` valid headers.
        let hs = unsafe { std::slice::from_raw_parts(h, n) };
        hs.iter()
            .map(|h| {
                // SAFETY: each name/value is valid for its length during the call.
                let (name, value) = unsafe {
                    (
                        std::slice::from_raw_parts(h.name, h.name_len),
                        std::slice::from_raw_parts(h.value, h.value_len),
                    )
                };
                format!(
                    "{}={}",
                    String::from_utf8_lossy(name),
                    String::from_utf8_lossy(value)
                )
            })
            .collect::<Vec<_>>()
            .join(",")
    }

    unsafe extern "C" fn info(ud: *mut c_void, status: u16, h: *const h2o_header_t, n: usize) {
        log(ud)
            .0
            .lock()
            .push(format!("info {status} {}", fields(h, n)));
    }
    unsafe extern "C" fn head(ud: *mut c_void, status: u16, h: *const h2o_header_t, n: usize) {
        log(ud)
            .0
            .lock()
            .push(format!("head {status} {}", fields(h, n)));
    }
    unsafe extern "C" fn data(ud: *mut c_void, d: *const u8, len: usize) -> c_int {
        // SAFETY: `len` valid bytes during the call.
        let bytes = unsafe { std::slice::from_raw_parts(d, len) };
        log(ud)
            .0
            .lock()
            .push(format!("data {}", String::from_utf8_lossy(bytes)));
        H2O_DATA_PAUSE
    }
    unsafe extern "C" fn trailers(ud: *mut c_void, h: *const h2o_header_t, n: usize) {
        log(ud).0.lock().push(format!("trailers {}", fields(h, n)));
    }
    unsafe extern "C" fn complete(ud: *mut c_void, r: h2o_result, e: *const h2o_error_t) {
        // SAFETY: `e` is NULL or valid during the call.
        let msg = unsafe { e.as_ref() }.map(|e| {
            unsafe { std::ffi::CStr::from_ptr(e.message) }
                .to_string_lossy()
                .into_owned()
        });
        log(ud).0.lock().push(format!("complete {r:?} {msg:?}"));
    }

    fn state(callbacks: Option<Callbacks>, ud: *mut c_void) -> Arc<ReqState> {
        Arc::new(ReqState {
            id: 7,
            handle: None,
            callbacks,
            userdata: UserData(ud),
            completed: AtomicBool::new(false),
            sync_phase: AtomicBool::new(false),
            // SAFETY: pthread_self has no preconditions.
            submitter: unsafe { libc::pthread_self() },
            sync_error: AtomicPtr::new(std::ptr::null_mut()),
            paused: AtomicBool::new(false),
            held: Mutex::new(0),
        })
    }

    fn events() -> Vec<ResponseEvent> {
        let h = |k: &str, v: &str| Headers::from_iter([(k.to_owned(), v.to_owned())]);
        vec![
            ResponseEvent::Informational {
                status: 103,
                headers: h("link", "</a.css>"),
            },
            ResponseEvent::Head {
                status: 200,
                headers: h("content-type", "text/plain"),
            },
            ResponseEvent::Data(bytes::Bytes::from_static(b"hi")),
            ResponseEvent::Trailers(h("x-t", "1")),
            ResponseEvent::Error(Error::new(ErrorKind::StreamReset, "reset")),
            ResponseEvent::Done, // after the terminal event: ignored
        ]
    }

    #[test]
    fn callbacks_get_every_event_once() {
        let log_: &'static Log = Box::leak(Box::default());
        let ud = log_ as *const Log as *mut c_void;
        let cbs = Callbacks(h2o_callbacks_t {
            on_informational: Some(info),
            on_head: Some(head),
            on_data: Some(data),
            on_trailers: Some(trailers),
            on_complete: Some(complete),
        });
        let shared = Shared::new(None);
        let req = state(Some(cbs), ud);
        let mut sink = FfiSink::new(shared.clone(), req.clone());
        let mut consumed = Vec::new();
        for ev in events() {
            consumed.push(sink.on_event(ev));
        }
        drop(sink);
        assert_eq!(consumed[2], Consumed::Later, "on_data paused");
        assert_eq!(*req.held.lock(), 2);
        let got = log_.0.lock().clone();
        assert_eq!(
            got,
            [
                "info 103 link=</a.css>",
                "head 200 content-type=text/plain",
                "data hi",
                "trailers x-t=1",
                "complete StreamReset Some(\"stream_reset: reset\")",
            ]
        );
    }

    #[test]
    fn poll_events_carry_everything() {
        let shared = Shared::new(None);
        let mut tag = 5u8;
        let req = state(None, (&mut tag as *mut u8).cast());
        let mut sink = FfiSink::new(shared.clone(), req);
        for ev in events() {
            sink.on_event(ev);
        }
        drop(sink);
        let client = Box::into_raw(Box::new(h2o_client_t { shared }));
        let mut evs: Vec<h2o_event_t> = Vec::with_capacity(8);
        let mut n = 0;
        assert_eq!(
            h2o_client_poll(client, evs.as_mut_ptr(), 8, 0, &mut n),
            h2o_result::Ok
        );
        assert_eq!(n, 5);
        // SAFETY: poll initialised `n` events.
        unsafe { evs.set_len(n) };
        let kinds: Vec<_> = evs.iter().map(|e| e.kind).collect();
        assert_eq!(
            kinds,
            [
                h2o_event_kind::Informational,
                h2o_event_kind::Head,
                h2o_event_kind::Data,
                h2o_event_kind::Trailers,
                h2o_event_kind::Complete
            ]
        );
        assert_eq!(evs[0].status, 103);
        assert_eq!(fields(evs[0].headers, evs[0].headers_len), "link=</a.css>");
        assert_eq!(evs[2].data_len, 2);
        assert_eq!(evs[4].result, h2o_result::StreamReset);
        assert!(evs
            .iter()
            .all(|e| e.request_id == 7 && e.userdata == (&mut tag as *mut u8).cast()));
        for e in evs.iter_mut() {
            assert_eq!(h2o_event_release(e), h2o_result::Ok);
        }
        h2o_client_free(client);
    }
}
