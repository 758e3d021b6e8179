//! `h2o_request_t`: method, URL, headers, body and priority, built before submission;
//! after `h2o_client_submit` the same handle writes a streamed body.

use std::cell::{Cell, RefCell};
use std::ffi::{c_char, c_void, CStr};

use bytes::Bytes;
use h2o_core::client::{BodySender, Request};
use h2o_core::request::{RequestHead, Url};
use h2o_core::{Method, Priority};
use parking_lot::Mutex;

use crate::client::{in_any_callback, Callbacks};
use crate::panic::{check_null, ffi_boundary, tri};
use crate::result::{fail, h2o_result};

/// One header field: name and value as pointer + length (not NUL-terminated).
///
/// In callbacks and events the pointers are owned by the library and valid as documented
/// there; when passed in, the library copies the bytes before the call returns.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Copy, Clone)]
pub struct h2o_header_t {
    /// The field name (lowercase in responses).
    pub name: *const u8,
    /// Length of `name` in bytes.
    pub name_len: usize,
    /// The field value.
    pub value: *const u8,
    /// Length of `value` in bytes.
    pub value_len: usize,
}

pub(crate) enum Body {
    Empty,
    Full,
    Stream(Option<BodySender>),
}

pub(crate) struct Building {
    pub request: Option<Request>,
    pub body: Body,
    pub callbacks: Option<Callbacks>,
    pub userdata: *mut c_void,
    /// The id once submitted.
    pub id: Option<u64>,
}

/// A request (opaque). Create with `h2o_request_new`, free with `h2o_request_free`.
/// Set headers, body, priority and delivery (callbacks or poll) before
/// `h2o_client_submit`; a request is submitted at most once. After submission the handle
/// is still needed only to write a streamed body (`h2o_request_write`,
/// `h2o_request_finish`); freeing it then finishes the body. Freeing it never cancels the
/// request (use `h2o_client_cancel` with its id).
///
/// Thread: not thread-safe for building; after submission `h2o_request_write` may run on
/// any one thread while callbacks run on the library's thread.
#[allow(non_camel_case_types)]
pub struct h2o_request_t {
    pub(crate) inner: Mutex<Building>,
}

// SAFETY: the only non-Send field is the user's opaque `userdata` pointer, which the
// library never dereferences; the C caller is responsible for what it points to.
unsafe impl Send for Building {}

/// Reads a NUL-terminated UTF-8 string argument.
pub(crate) fn c_str<'a>(p: *const c_char, what: &str) -> Result<&'a str, h2o_result> {
    if p.is_null() {
        return Err(fail(
            h2o_result::NullArgument,
            &format!("argument `{what}` is NULL"),
        ));
    }
    // SAFETY: non-NULL, and the caller promises a NUL-terminated string that stays valid
    // during the call.
    let s = unsafe { CStr::from_ptr(p) };
    s.to_str().map_err(|_| {
        fail(
            h2o_result::InvalidUtf8,
            &format!("`{what}` is not valid UTF-8"),
        )
    })
}

/// Reads a pointer + length byte argument (`ptr` may be NULL only when `len` is 0).
pub(crate) fn c_bytes<'a>(p: *const u8, len: usize, what: &str) -> Result<&'a [u8], h2o_result> {
    if len == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(fail(
            h2o_result::NullArgument,
            &format!("argument `{what}` is NULL with a non-zero length"),
        ));
    }
    // SAFETY: non-NULL, and the caller promises `len` readable bytes during the call.
    Ok(unsafe { std::slice::from_raw_parts(p, len) })
}

fn req_ref<'a>(req: *const h2o_request_t) -> &'a h2o_request_t {
    // SAFETY: callers check for NULL first; non-NULL requests come from `h2o_request_new`
    // and are alive until `h2o_request_free` (caller contract).
    unsafe { &*req }
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Mirrors the core's request-header rules so the error comes from the call that added it.
fn check_header(name: &[u8], value: &[u8]) -> Result<(), String> {
    if name.is_empty() || !name.iter().all(|&b| is_tchar(b)) {
        return Err(format!(
            "invalid header name {:?}",
            String::from_utf8_lossy(name)
        ));
    }
    let lower = name.to_ascii_lowercase();
    let connection_specific = matches!(
        &lower[..],
        b"connection" | b"keep-alive" | b"proxy-connection" | b"transfer-encoding" | b"upgrade"
    );
    if connection_specific || (lower == b"te" && value != b"trailers") {
        return Err(format!(
            "connection-specific header {:?} is not allowed in HTTP/2",
            String::from_utf8_lossy(name)
        ));
    }
    if value.iter().any(|&b| b == 0 || b == b'\r' || b == b'\n') {
        return Err(format!(
            "header {:?} value contains NUL, CR or LF",
            String::from_utf8_lossy(name)
        ));
    }
    Ok(())
}

/// What a thread keeps between the requests it creates. One thread-local for both: in a
/// shared library every thread-local access is a `__tls_get_addr` call.
struct ThreadRequests {
    /// The method, URL, parsed URL and head of the last request this thread created.
    /// Programs send many requests to the same URL (a game polling an endpoint, a
    /// benchmark); parsing the URL and building the head is most of what creating a
    /// request costs, and clones share their strings (the core's alloc bench: 2
    /// allocations per request instead of 5).
    last: RefCell<Option<(String, String, Url, RequestHead)>>,
    /// The handle this thread freed last, emptied, for its next `h2o_request_new`: the
    /// create, submit, free loop then allocates no handle.
    spare: Cell<Option<Box<h2o_request_t>>>,
}

thread_local! {
    static THREAD_REQUESTS: ThreadRequests = const {
        ThreadRequests { last: RefCell::new(None), spare: Cell::new(None) }
    };
}

/// A new handle for this thread's last request when `method` and `url` (raw C string
/// bytes) equal its strings: those were valid UTF-8, so equal bytes need no validation
/// or parse again. Reuses the spare handle, and builds the request in place (it is a few
/// hundred bytes: every move is a memcpy).
fn cached_request(method: &[u8], url: &[u8]) -> Option<Box<h2o_request_t>> {
    THREAD_REQUESTS.with(|t| {
        let last = t.last.borrow();
        let (m, u, parsed, head) = last.as_ref()?;
        if m.as_bytes() != method || u.as_bytes() != url {
            return None;
        }
        let mut handle = t.spare.take().unwrap_or_else(|| {
            Box::new(h2o_request_t {
                inner: Mutex::new(Building::new(None)),
            })
        });
        handle.inner.get_mut().request = Some(Request::from_parts(parsed.clone(), head.clone()));
        Some(handle)
    })
}

/// `Request::new(method, url)`, remembered as this thread's last request.
fn new_request(method: &str, url: &str) -> h2o_core::Result<Request> {
    THREAD_REQUESTS.with(|t| {
        let mut last = t.last.borrow_mut();
        let parsed = Url::parse(url)?;
        let head = RequestHead::new(Method::new(method)?, &parsed);
        *last = Some((
            method.to_owned(),
            url.to_owned(),
            parsed.clone(),
            head.clone(),
        ));
        Ok(Request::from_parts(parsed, head))
    })
}

impl Building {
    fn reset(&mut self) {
        self.request = None;
        self.body = Body::Empty;
        self.callbacks = None;
        self.userdata = std::ptr::null_mut();
        self.id = None;
    }

    fn new(request: Option<Request>) -> Building {
        Building {
            request,
            body: Body::Empty,
            callbacks: None,
            userdata: std::ptr::null_mut(),
            id: None,
        }
    }
}

/// Creates a request for `method` (e.g. `"GET"`, any RFC 9110 token) on `url` (absolute
/// `http://` or `https://`) and stores it in `*out`.
///
/// Ownership: the caller owns `*out` and frees it with `h2o_request_free`. Both strings
/// are copied. Errors (nothing allocated, `*out` untouched): `H2O_RESULT_NULL_ARGUMENT`,
/// `H2O_RESULT_INVALID_UTF8`, `H2O_RESULT_INVALID_URL`, `H2O_RESULT_INVALID_ARGUMENT`
/// (method); details in `h2o_last_error_message()`.
#[no_mangle]
pub extern "C" fn h2o_request_new(
    method: *const c_char,
    url: *const c_char,
    out: *mut *mut h2o_request_t,
) -> h2o_result {
    ffi_boundary!({
        check_null!(out, method, url);
        // SAFETY: both non-NULL, and the caller promises NUL-terminated strings that stay
        // valid during the call.
        let (m, u) = unsafe { (CStr::from_ptr(method), CStr::from_ptr(url)) };
        let req = match cached_request(m.to_bytes(), u.to_bytes()) {
            Some(r) => r,
            None => {
                let method = tri!(c_str(method, "method"));
                let url = tri!(c_str(url, "url"));
                match new_request(method, url) {
                    Ok(r) => Box::new(h2o_request_t {
                        inner: Mutex::new(Building::new(Some(r))),
                    }),
                    Err(e) => return fail(h2o_result::from_kind(e.kind()), &e.to_string()),
                }
            }
        };
        // SAFETY: `out` is non-NULL and points to writable storage (caller contract).
        unsafe { *out = Box::into_raw(req) };
        h2o_result::Ok
    })
}

/// Frees a request. NULL is ignored. A submitted request keeps running (cancel it with
/// `h2o_client_cancel`); a streamed body that was not finished is finished now.
#[no_mangle]
pub extern "C" fn h2o_request_free(request: *mut h2o_request_t) {
    ffi_boundary!({
        if request.is_null() {
            return;
        }
        let kept = THREAD_REQUESTS.try_with(|t| {
            let spare = t.spare.take();
            if spare.as_deref().is_some_and(|s| std::ptr::eq(s, request)) {
                // Freeing the handle this thread just freed: ignore it rather than keep
                // (and later hand out) the same block twice.
                t.spare.set(spare);
                return;
            }
            drop(spare);
            // SAFETY: non-NULL requests come from `h2o_request_new` (Box::into_raw) and
            // the caller frees each exactly once (the immediate repeat is caught above).
            let mut req = unsafe { Box::from_raw(request) };
            // Emptied now, as the caller expects (an unfinished streamed body is finished),
            // field by field: replacing the whole builder would copy a few hundred bytes.
            req.inner.get_mut().reset();
            t.spare.set(Some(req));
        });
        if kept.is_err() {
            // This thread is exiting and its thread-locals are gone.
            // SAFETY: as above.
            drop(unsafe { Box::from_raw(request) });
        }
    })
}

/// Runs `f` on the request while it can still be changed (before submission).
fn modify(
    request: *const h2o_request_t,
    f: impl FnOnce(&mut Building) -> h2o_result,
) -> h2o_result {
    check_null!(request);
    let mut b = req_ref(request).inner.lock();
    if b.id.is_some() || b.request.is_none() {
        return fail(
            h2o_result::AlreadySubmitted,
            "the request was already submitted",
        );
    }
    f(&mut b)
}

/// Appends a header field (name and value copied; the name is lowercased). `name` must be
/// an RFC 9110 token, not a pseudo-header or a connection-specific field; the value must
/// not contain NUL, CR or LF (`H2O_RESULT_INVALID_ARGUMENT` otherwise). `name` must be
/// non-NULL; `value` may be NULL when `value_len` is 0.
#[no_mangle]
pub extern "C" fn h2o_request_add_header(
    request: *mut h2o_request_t,
    name: *const u8,
    name_len: usize,
    value: *const u8,
    value_len: usize,
) -> h2o_result {
    ffi_boundary!({
        check_null!(name);
        let n = tri!(c_bytes(name, name_len, "name"));
        let v = tri!(c_bytes(value, value_len, "value"));
        if std::str::from_utf8(n).is_err() {
            return fail(h2o_result::InvalidUtf8, "header name is not valid UTF-8");
        }
        if let Err(e) = check_header(n, v) {
            return fail(h2o_result::InvalidArgument, &e);
        }
        modify(request, |b| {
            let r = b.request.take().expect("checked by modify");
            b.request = Some(r.header(
                std::str::from_utf8(n).expect("checked above"),
                Bytes::copy_from_slice(v),
            ));
            h2o_result::Ok
        })
    })
}

/// Sets the whole request body (copied now; `content-length` is added unless set).
/// `data` may be NULL when `len` is 0. Replaces a streamed body setting.
#[no_mangle]
pub extern "C" fn h2o_request_set_body(
    request: *mut h2o_request_t,
    data: *const u8,
    len: usize,
) -> h2o_result {
    ffi_boundary!({
        let d = tri!(c_bytes(data, len, "data"));
        modify(request, |b| {
            if matches!(b.body, Body::Stream(_)) {
                return fail(h2o_result::InvalidState, "the body is already streamed");
            }
            let r = b.request.take().expect("checked by modify");
            b.request = Some(r.body(Bytes::copy_from_slice(d)));
            b.body = Body::Full;
            h2o_result::Ok
        })
    })
}

/// Makes the body streamed: after `h2o_client_submit`, send it with `h2o_request_write`
/// and end it with `h2o_request_finish` (or `h2o_request_free`).
#[no_mangle]
pub extern "C" fn h2o_request_set_body_stream(request: *mut h2o_request_t) -> h2o_result {
    ffi_boundary!(modify(request, |b| {
        if !matches!(b.body, Body::Empty) {
            return fail(h2o_result::InvalidState, "the request already has a body");
        }
        let r = b.request.take().expect("checked by modify");
        let (r, tx) = r.body_stream();
        b.request = Some(r);
        b.body = Body::Stream(Some(tx));
        h2o_result::Ok
    }))
}

/// Sets the RFC 9218 priority: `urgency` 0 (highest) to 7 (default 3), and whether the
/// response may be processed incrementally. `H2O_RESULT_INVALID_ARGUMENT` if urgency > 7.
#[no_mangle]
pub extern "C" fn h2o_request_set_priority(
    request: *mut h2o_request_t,
    urgency: u8,
    incremental: bool,
) -> h2o_result {
    ffi_boundary!({
        if urgency > 7 {
            return fail(h2o_result::InvalidArgument, "urgency must be in 0..=7");
        }
        modify(request, |b| {
            let r = b.request.take().expect("checked by modify");
            b.request = Some(r.priority(Priority::new(urgency, incremental)));
            h2o_result::Ok
        })
    })
}

/// Puts the request in connection lane `lane` (default 0): requests in different lanes
/// never share a connection (to spread load over several connections or isolate traffic).
#[no_mangle]
pub extern "C" fn h2o_request_set_lane(request: *mut h2o_request_t, lane: u32) -> h2o_result {
    ffi_boundary!(modify(request, |b| {
        let r = b.request.take().expect("checked by modify");
        b.request = Some(r.lane(lane));
        h2o_result::Ok
    }))
}

/// Delivers this request's response through `callbacks` (copied; any member may be
/// NULL) with `userdata` as their first argument, on the library's thread. Without this
/// call the request is in poll mode: its events go to `h2o_client_poll`, carrying
/// `userdata` set by `h2o_request_set_userdata`.
#[no_mangle]
pub extern "C" fn h2o_request_set_callbacks(
    request: *mut h2o_request_t,
    callbacks: *const h2o_callbacks_t,
    userdata: *mut c_void,
) -> h2o_result {
    ffi_boundary!({
        check_null!(callbacks);
        // SAFETY: non-NULL and points to a valid struct during the call (caller contract);
        // the struct is Copy and copied here.
        let cbs = unsafe { *callbacks };
        modify(request, |b| {
            b.callbacks = Some(Callbacks(cbs));
            b.userdata = userdata;
            h2o_result::Ok
        })
    })
}

/// Sets the `userdata` reported with this request's events (poll mode) or passed to its
/// callbacks (replaces the one given to `h2o_request_set_callbacks`). The library never
/// dereferences it.
#[no_mangle]
pub extern "C" fn h2o_request_set_userdata(
    request: *mut h2o_request_t,
    userdata: *mut c_void,
) -> h2o_result {
    ffi_boundary!(modify(request, |b| {
        b.userdata = userdata;
        h2o_result::Ok
    }))
}

/// Stores the id of a submitted request in `*out_id` (`H2O_RESULT_INVALID_STATE` before
/// submission).
#[no_mangle]
pub extern "C" fn h2o_request_id(request: *const h2o_request_t, out_id: *mut u64) -> h2o_result {
    ffi_boundary!({
        check_null!(request, out_id);
        match req_ref(request).inner.lock().id {
            Some(id) => {
                // SAFETY: non-NULL, writable (caller contract).
                unsafe { *out_id = id };
                h2o_result::Ok
            }
            None => fail(h2o_result::InvalidState, "the request was not submitted"),
        }
    })
}

fn body_sender(b: &mut Building) -> Result<&mut BodySender, h2o_result> {
    if b.id.is_none() {
        return Err(fail(
            h2o_result::InvalidState,
            "submit the request before writing its body",
        ));
    }
    match &mut b.body {
        Body::Stream(Some(tx)) => Ok(tx),
        Body::Stream(None) => Err(fail(
            h2o_result::InvalidState,
            "the body was already finished",
        )),
        _ => Err(fail(
            h2o_result::InvalidState,
            "the body is not streamed (call h2o_request_set_body_stream before submitting)",
        )),
    }
}

/// Writes `len` bytes (copied) of a streamed body. Blocks while the request's body buffer
/// is full (backpressure from the server), except inside a callback, where it returns
/// `H2O_RESULT_WOULD_BLOCK` instead. Errors: `H2O_RESULT_INVALID_STATE` (not submitted,
/// not streamed, finished), `H2O_RESULT_CANCELLED` (the request already ended).
#[no_mangle]
pub extern "C" fn h2o_request_write(
    request: *mut h2o_request_t,
    data: *const u8,
    len: usize,
) -> h2o_result {
    ffi_boundary!(write(request, data, len, !in_any_callback()))
}

/// Like `h2o_request_write` but never blocks: `H2O_RESULT_WOULD_BLOCK` when the body
/// buffer is full (nothing was written; retry later).
#[no_mangle]
pub extern "C" fn h2o_request_try_write(
    request: *mut h2o_request_t,
    data: *const u8,
    len: usize,
) -> h2o_result {
    ffi_boundary!(write(request, data, len, false))
}

fn write(request: *mut h2o_request_t, data: *const u8, len: usize, block: bool) -> h2o_result {
    check_null!(request);
    let d = tri!(c_bytes(data, len, "data"));
    if d.is_empty() {
        return h2o_result::Ok;
    }
    let chunk = Bytes::copy_from_slice(d);
    let mut b = req_ref(request).inner.lock();
    let tx = tri!(body_sender(&mut b));
    if block {
        match h2o_core::client::block_on(tx.send(chunk)) {
            Ok(()) => h2o_result::Ok,
            Err(e) => fail(h2o_result::from_kind(e.kind()), &e.to_string()),
        }
    } else if tx.try_send(chunk) {
        h2o_result::Ok
    } else {
        fail(
            h2o_result::WouldBlock,
            "the body buffer is full (or the request ended)",
        )
    }
}

/// Ends a streamed body (END_STREAM). A second call returns `H2O_RESULT_INVALID_STATE`.
#[no_mangle]
pub extern "C" fn h2o_request_finish(request: *mut h2o_request_t) -> h2o_result {
    ffi_boundary!({
        check_null!(request);
        let mut b = req_ref(request).inner.lock();
        tri!(body_sender(&mut b));
        if let Body::Stream(tx) = &mut b.body {
            if let Some(tx) = tx.take() {
                tx.finish();
            }
        }
        h2o_result::Ok
    })
}

pub use crate::client::h2o_callbacks_t;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_and_errors() {
        let mut r: *mut h2o_request_t = std::ptr::null_mut();
        assert_eq!(
            h2o_request_new(c"GET".as_ptr(), c"ftp://x/".as_ptr(), &mut r),
            h2o_result::InvalidUrl
        );
        assert!(r.is_null());
        assert_eq!(
            h2o_request_new(c"BAD METHOD".as_ptr(), c"http://x/".as_ptr(), &mut r),
            h2o_result::InvalidArgument
        );
        assert_eq!(
            h2o_request_new(c"GET".as_ptr(), c"http://x/".as_ptr(), &mut r),
            h2o_result::Ok
        );
        assert_eq!(
            h2o_request_add_header(r, b"connection".as_ptr(), 10, b"x".as_ptr(), 1),
            h2o_result::InvalidArgument
        );
        assert_eq!(
            h2o_request_add_header(r, b"accept".as_ptr(), 6, b"*/*".as_ptr(), 3),
            h2o_result::Ok
        );
        assert_eq!(
            h2o_request_set_priority(r, 8, false),
            h2o_result::InvalidArgument
        );
        assert_eq!(
            h2o_request_write(r, b"x".as_ptr(), 1),
            h2o_result::InvalidState
        );
        h2o_request_free(r);
    }

    #[test]
    fn repeated_urls_reuse_the_parse_and_match_a_fresh_one() {
        let fresh = |m: &str, u: &str| Request::new(Method::new(m).unwrap(), u).unwrap();
        for (m, u) in [
            ("GET", "http://a.example:8080/x?q=1"),
            ("GET", "http://a.example:8080/x?q=1"), // cache hit
            ("POST", "http://a.example:8080/x?q=1"), // same URL, other method
            ("GET", "https://b.example/y"),
            ("GET", "https://b.example/y"),
        ] {
            let got = new_request(m, u).unwrap();
            let want = fresh(m, u);
            assert_eq!(got.head().method, want.head().method, "{m} {u}");
            assert_eq!(got.head().authority, want.head().authority);
            assert_eq!(got.head().path, want.head().path);
            assert_eq!(got.url(), want.url());
        }
        // A cached URL does not hide a bad method, nor a cached method a bad URL.
        assert!(new_request("BAD METHOD", "https://b.example/y").is_err());
        assert!(new_request("GET", "https://b.example:99999/y").is_err());
        // Headers added to one request do not leak into the next one from the cache.
        let mut r: *mut h2o_request_t = std::ptr::null_mut();
        for round in 0..2 {
            assert_eq!(
                h2o_request_new(c"GET".as_ptr(), c"http://c.example/".as_ptr(), &mut r),
                h2o_result::Ok
            );
            // SAFETY: just created, not shared.
            let n = unsafe {
                (*r).inner
                    .lock()
                    .request
                    .as_ref()
                    .unwrap()
                    .head()
                    .headers
                    .len()
            };
            assert_eq!(n, 0, "round {round}");
            assert_eq!(
                h2o_request_add_header(r, b"accept".as_ptr(), 6, b"*/*".as_ptr(), 3),
                h2o_result::Ok
            );
            h2o_request_free(r);
        }
    }
}
