//! `h2o_result`: the one result type of the C API, with stable numbers, and the
//! per-thread "last error" message.

use std::cell::RefCell;
use std::ffi::{c_char, CString};

use h2o_core::ErrorKind;

use crate::panic::ffi_boundary;

/// The result of every fallible call and the outcome of every request.
///
/// The numbers are stable: `H2O_RESULT_OK` is 0; 1..=19 are the core's error kinds
/// (the same numbers in every language binding); 100 and up are errors of the C API
/// itself. `h2o_strerror` names each one.
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum h2o_result {
    /// Success.
    Ok = 0,
    /// A caller-supplied argument was invalid (header, method, setting).
    InvalidArgument = 1,
    /// The URL could not be parsed or uses an unsupported scheme.
    InvalidUrl = 2,
    /// DNS resolution or the TCP connect failed.
    Connect = 3,
    /// The TLS handshake or certificate verification failed.
    Tls = 4,
    /// The TCP connect (DNS included) did not finish in time.
    ConnectTimeout = 5,
    /// The response headers did not arrive in time.
    HeadersTimeout = 6,
    /// Nothing arrived for too long between body chunks.
    IdleTimeout = 7,
    /// The whole request took longer than its deadline.
    RequestTimeout = 8,
    /// An HTTP/2 protocol violation (see `h2o_error_t.h2_error_code`, `is_remote`).
    Protocol = 9,
    /// The server reset the stream with RST_STREAM (see `h2o_error_t.h2_error_code`).
    StreamReset = 10,
    /// The server sent GOAWAY and the request could not be retried.
    Goaway = 11,
    /// The server refused the stream (REFUSED_STREAM) and retries were exhausted.
    Refused = 12,
    /// The request was cancelled (`h2o_client_cancel`) or the client was closed.
    Cancelled = 13,
    /// A configured limit was exceeded (queue full, header list, body size).
    LimitExceeded = 14,
    /// The client or connection was closed.
    Closed = 15,
    /// An I/O error (on a connection, or creating the wakeup fd).
    Io = 16,
    /// The SETTINGS acknowledgement did not arrive in time.
    SettingsTimeout = 17,
    /// A PING went unanswered: the connection is dead.
    PingTimeout = 18,
    /// The TLS handshake did not finish in time (after the TCP connect succeeded).
    TlsHandshakeTimeout = 19,
    /// A pointer argument that must not be NULL was NULL.
    NullArgument = 100,
    /// A string argument was not valid UTF-8.
    InvalidUtf8 = 101,
    /// The client was already closed with `h2o_client_close`.
    UseAfterClose = 102,
    /// A panic inside the library was caught at the C boundary (a bug: please report).
    Panic = 103,
    /// No request in flight has this id (it completed, or never existed).
    UnknownRequest = 104,
    /// This `h2o_request_t` was already submitted (a request is sent once).
    AlreadySubmitted = 105,
    /// The request body buffer is full; retry after the server consumed some.
    WouldBlock = 106,
    /// The call does not fit the object's state (e.g. writing a body that is not
    /// streamed, or before submission; releasing an event twice).
    InvalidState = 107,
    /// An error the C API does not know yet (a newer core kind).
    Unknown = 199,
}

impl h2o_result {
    /// The result for a core error kind.
    pub(crate) fn from_kind(kind: ErrorKind) -> h2o_result {
        use h2o_result as R;
        match kind.code() {
            1 => R::InvalidArgument,
            2 => R::InvalidUrl,
            3 => R::Connect,
            4 => R::Tls,
            5 => R::ConnectTimeout,
            6 => R::HeadersTimeout,
            7 => R::IdleTimeout,
            8 => R::RequestTimeout,
            9 => R::Protocol,
            10 => R::StreamReset,
            11 => R::Goaway,
            12 => R::Refused,
            13 => R::Cancelled,
            14 => R::LimitExceeded,
            15 => R::Closed,
            16 => R::Io,
            17 => R::SettingsTimeout,
            18 => R::PingTimeout,
            19 => R::TlsHandshakeTimeout,
            _ => R::Unknown,
        }
    }

    /// The result for a number, if it names one.
    pub(crate) fn from_u32(n: u32) -> Option<h2o_result> {
        use h2o_result as R;
        Some(match n {
            0 => R::Ok,
            1..=19 => R::from_kind(ErrorKind::from_code(n)?),
            100 => R::NullArgument,
            101 => R::InvalidUtf8,
            102 => R::UseAfterClose,
            103 => R::Panic,
            104 => R::UnknownRequest,
            105 => R::AlreadySubmitted,
            106 => R::WouldBlock,
            107 => R::InvalidState,
            199 => R::Unknown,
            _ => return None,
        })
    }

    fn text(self) -> &'static std::ffi::CStr {
        use h2o_result as R;
        match self {
            R::Ok => c"ok",
            R::InvalidArgument => c"invalid argument",
            R::InvalidUrl => c"invalid URL",
            R::Connect => c"connect failed",
            R::Tls => c"TLS handshake failed",
            R::ConnectTimeout => c"connect timed out",
            R::HeadersTimeout => c"response headers timed out",
            R::IdleTimeout => c"response body idle timeout",
            R::RequestTimeout => c"request deadline exceeded",
            R::Protocol => c"HTTP/2 protocol error",
            R::StreamReset => c"stream reset by the server",
            R::Goaway => c"server sent GOAWAY",
            R::Refused => c"stream refused by the server",
            R::Cancelled => c"request cancelled",
            R::LimitExceeded => c"limit exceeded",
            R::Closed => c"client or connection closed",
            R::Io => c"I/O error",
            R::SettingsTimeout => c"SETTINGS acknowledgement timed out",
            R::PingTimeout => c"PING timed out: connection dead",
            R::TlsHandshakeTimeout => c"TLS handshake timed out",
            R::NullArgument => c"NULL argument",
            R::InvalidUtf8 => c"string is not valid UTF-8",
            R::UseAfterClose => c"client already closed",
            R::Panic => c"panic inside libh2o (a bug)",
            R::UnknownRequest => c"no request in flight with this id",
            R::AlreadySubmitted => c"request already submitted",
            R::WouldBlock => c"body buffer full: would block",
            R::InvalidState => c"call does not fit the object's state",
            R::Unknown => c"unknown error",
        }
    }
}

/// A static, NUL-terminated English description of `result` (any number: unknown ones
/// give `"unknown result code"`).
///
/// Thread: any. The string lives for the whole process; do not free it.
#[no_mangle]
pub extern "C" fn h2o_strerror(result: u32) -> *const c_char {
    ffi_boundary!(match h2o_result::from_u32(result) {
        Some(r) => r.text().as_ptr(),
        None => c"unknown result code".as_ptr(),
    })
}

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

/// Records the detail message of a failed call on this thread.
pub(crate) fn set_last_error(msg: &str) {
    let c = CString::new(msg.replace('\0', " ")).unwrap_or_default();
    LAST_ERROR.with(|l| *l.borrow_mut() = c);
}

/// Records `msg` and returns `r`: `return fail(R::InvalidUrl, &e.to_string())`.
pub(crate) fn fail(r: h2o_result, msg: &str) -> h2o_result {
    set_last_error(msg);
    r
}

/// The detail message of the last call on **this thread** that failed, e.g.
/// `"invalid port \"99999\""`; `""` if none failed yet. Calls that succeed do not clear it.
///
/// Thread: per thread. The pointer is valid until the next failing h2o call on the same
/// thread; copy the string to keep it. Do not free it.
#[no_mangle]
pub extern "C" fn h2o_last_error_message() -> *const c_char {
    ffi_boundary!(LAST_ERROR.with(|l| l.borrow().as_ptr()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_round_trip_and_match_core() {
        for n in 0..300 {
            if let Some(r) = h2o_result::from_u32(n) {
                assert_eq!(r as u32, n);
            }
        }
        for code in 1..=19 {
            let kind = ErrorKind::from_code(code).unwrap();
            assert_eq!(h2o_result::from_kind(kind) as u32, code);
        }
        assert!(h2o_result::from_u32(20).is_none());
    }
}
