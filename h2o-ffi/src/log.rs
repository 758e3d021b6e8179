//! `h2o_set_log_callback`: the library's log events (connection, stream and pool events at
//! DEBUG, one event per HTTP/2 frame at TRACE) delivered to a C function.

use std::ffi::{c_char, c_void};
use std::sync::Arc;

use h2o_core::log::{level_filter_from_number, level_number, set_sink, Record};

use crate::panic::ffi_boundary;
use crate::result::{fail, h2o_result};

/// Log level: errors.
pub const H2O_LOG_ERROR: u32 = 1;
/// Log level: warnings.
pub const H2O_LOG_WARN: u32 = 2;
/// Log level: informational.
pub const H2O_LOG_INFO: u32 = 3;
/// Log level: connection, stream, pool and retry events.
pub const H2O_LOG_DEBUG: u32 = 4;
/// Log level: every frame sent and received (target `h2o::proto::frame`).
pub const H2O_LOG_TRACE: u32 = 5;

/// Receives one log event: `level` is `H2O_LOG_ERROR` (1) .. `H2O_LOG_TRACE` (5);
/// `target` (e.g. `"h2o::proto::frame"`, `"h2o::transport"`, `"h2o::pool"`) and
/// `message` are UTF-8, NOT NUL-terminated, valid only during the call. A message may
/// span several lines (a frame and its header list).
#[allow(non_camel_case_types)]
pub type h2o_log_callback = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        level: u32,
        target: *const c_char,
        target_len: usize,
        message: *const c_char,
        message_len: usize,
    ),
>;

/// The caller's pointer, handed back unchanged on whichever thread logs.
#[derive(Clone, Copy)]
struct UserData(*mut c_void);
// SAFETY: the library never dereferences it; the caller's contract (documented on
// h2o_set_log_callback) is that the callback may run on any thread with it.
unsafe impl Send for UserData {}
// SAFETY: as above: only copied, never dereferenced.
unsafe impl Sync for UserData {}

/// Installs the process-wide log callback, receiving events up to `max_level`
/// (`H2O_LOG_ERROR` .. `H2O_LOG_TRACE`; 0 turns logging off). Replaces the previous one.
/// `callback == NULL` (or `max_level == 0`) removes it: when that call returns, the old
/// callback is not running on any thread and will not be called again. While no callback
/// is installed, logging costs nothing (no formatting).
///
/// The callback runs synchronously on whichever thread logs: the library's runtime
/// threads, and also threads calling `h2o_client_*` functions. It must be quick, must not
/// call any `h2o_*` function (it may run while the library holds a lock), and must not
/// unwind (no C++ exceptions, no longjmp). Header values of `authorization`,
/// `proxy-authorization`, `cookie` and `set-cookie`, and any value sent or received as
/// HPACK never-indexed, appear as `<redacted>`.
///
/// Returns `H2O_RESULT_INVALID_STATE` when called from inside the log callback.
///
/// ```c
/// static void on_log(void *ud, uint32_t level, const char *target, size_t tlen,
///                    const char *msg, size_t mlen) {
///     fprintf(stderr, "[%u] %.*s: %.*s\n", level, (int)tlen, target, (int)mlen, msg);
/// }
/// h2o_set_log_callback(on_log, NULL, H2O_LOG_DEBUG);
/// run_requests();
/// h2o_set_log_callback(NULL, NULL, 0);
/// ```
#[no_mangle]
pub extern "C" fn h2o_set_log_callback(
    callback: h2o_log_callback,
    userdata: *mut c_void,
    max_level: u32,
) -> h2o_result {
    ffi_boundary!({
        let level = level_filter_from_number(max_level.min(H2O_LOG_TRACE));
        let sink = match callback {
            Some(f) if max_level > 0 => {
                let ud = UserData(userdata);
                Some(Arc::new(move |r: &Record<'_>| {
                    let ud = ud;
                    // SAFETY: `f` is the caller's callback; the pointers are valid for the
                    // call (borrowed from `r`), lengths exact, strings UTF-8.
                    unsafe {
                        f(
                            ud.0,
                            level_number(r.level) as u32,
                            r.target.as_ptr().cast(),
                            r.target.len(),
                            r.message.as_ptr().cast(),
                            r.message.len(),
                        )
                    }
                }) as h2o_core::log::Sink)
            }
            _ => None,
        };
        match set_sink(sink, level) {
            Ok(()) => h2o_result::Ok,
            Err(e) => fail(h2o_result::InvalidState, &e.to_string()),
        }
    })
}
