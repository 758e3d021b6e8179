//! `h2o_config_t`: every setting of a client, set one by one, validated by
//! `h2o_config_validate` or `h2o_client_new`.

use std::ffi::c_char;

use h2o_core::Config;
use serde_json::Value;

use crate::panic::{check_null, ffi_boundary};
use crate::request::c_str;
use crate::result::{fail, h2o_result};

/// Client settings (an opaque builder). Create with `h2o_config_new`, free with
/// `h2o_config_free`. `h2o_client_new` copies it, so it may be freed or reused right after.
///
/// Thread: not thread-safe; use one config from one thread at a time.
#[allow(non_camel_case_types)]
pub struct h2o_config_t {
    pub(crate) inner: Config,
}

/// Creates a config holding the defaults and stores it in `*out`.
///
/// Ownership: the caller owns `*out` and frees it with `h2o_config_free`.
/// Errors: `H2O_RESULT_NULL_ARGUMENT` if `out` is NULL (then nothing is allocated).
#[no_mangle]
pub extern "C" fn h2o_config_new(out: *mut *mut h2o_config_t) -> h2o_result {
    ffi_boundary!({
        check_null!(out);
        let cfg = Box::new(h2o_config_t {
            inner: Config::default(),
        });
        // SAFETY: `out` is non-NULL and the caller promises it points to writable storage.
        unsafe { *out = Box::into_raw(cfg) };
        h2o_result::Ok
    })
}

/// Frees a config from `h2o_config_new`. NULL is ignored. Clients created from it are
/// unaffected.
#[no_mangle]
pub extern "C" fn h2o_config_free(config: *mut h2o_config_t) {
    ffi_boundary!({
        if !config.is_null() {
            // SAFETY: non-NULL configs come from `h2o_config_new` (Box::into_raw) and the
            // caller frees each exactly once.
            drop(unsafe { Box::from_raw(config) });
        }
    })
}

/// Checks every setting. Returns `H2O_RESULT_INVALID_ARGUMENT` and sets
/// `h2o_last_error_message()` (naming the setting) when one is out of range.
#[no_mangle]
pub extern "C" fn h2o_config_validate(config: *const h2o_config_t) -> h2o_result {
    ffi_boundary!({
        check_null!(config);
        // SAFETY: non-NULL configs come from `h2o_config_new` and are alive (caller contract).
        let cfg = unsafe { &*config };
        match cfg.inner.validate() {
            Ok(()) => h2o_result::Ok,
            Err(e) => fail(h2o_result::InvalidArgument, &e),
        }
    })
}

/// Applies `f` to the config behind `config` (NULL-checked).
fn set(config: *mut h2o_config_t, f: impl FnOnce(&mut Config)) -> h2o_result {
    check_null!(config);
    // SAFETY: non-NULL configs come from `h2o_config_new`; the caller does not use one
    // config from two threads at once.
    f(unsafe { &mut (*config).inner });
    h2o_result::Ok
}

/// SETTINGS_HEADER_TABLE_SIZE advertised to the server (default 4096).
///
/// Returns `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL. Ranges are checked by
/// `h2o_config_validate` / `h2o_client_new`.
#[no_mangle]
pub extern "C" fn h2o_config_set_header_table_size(
    config: *mut h2o_config_t,
    value: u32,
) -> h2o_result {
    ffi_boundary!(set(config, |c| c.proto.header_table_size = value))
}

/// Upper bound on the HPACK dynamic table our encoder uses (default 4096).
///
/// Returns `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL. Ranges are checked by
/// `h2o_config_validate` / `h2o_client_new`.
#[no_mangle]
pub extern "C" fn h2o_config_set_encoder_table_size(
    config: *mut h2o_config_t,
    value: u32,
) -> h2o_result {
    ffi_boundary!(set(config, |c| c.proto.encoder_table_size = value))
}

/// SETTINGS_MAX_CONCURRENT_STREAMS advertised (server-initiated streams; default 100).
///
/// Returns `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL. Ranges are checked by
/// `h2o_config_validate` / `h2o_client_new`.
#[no_mangle]
pub extern "C" fn h2o_config_set_max_concurrent_streams(
    config: *mut h2o_config_t,
    value: u32,
) -> h2o_result {
    ffi_boundary!(set(config, |c| c.proto.max_concurrent_streams = value))
}

/// SETTINGS_INITIAL_WINDOW_SIZE: receive window of each stream (default 1 MiB,
/// at most 2^31-1).
///
/// Returns `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL. Ranges are checked by
/// `h2o_config_validate` / `h2o_client_new`.
#[no_mangle]
pub extern "C" fn h2o_config_set_initial_window_size(
    config: *mut h2o_config_t,
    value: u32,
) -> h2o_result {
    ffi_boundary!(set(config, |c| c.proto.initial_window_size = value))
}

/// Receive window of the whole connection (default 8 MiB; 65535..=2^31-1).
///
/// Returns `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL. Ranges are checked by
/// `h2o_config_validate` / `h2o_client_new`.
#[no_mangle]
pub extern "C" fn h2o_config_set_connection_window_size(
    config: *mut h2o_config_t,
    value: u32,
) -> h2o_result {
    ffi_boundary!(set(config, |c| c.proto.connection_window_size = value))
}

/// SETTINGS_MAX_FRAME_SIZE accepted (default 16384; 16384..=16777215).
///
/// Returns `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL. Ranges are checked by
/// `h2o_config_validate` / `h2o_client_new`.
#[no_mangle]
pub extern "C" fn h2o_config_set_max_frame_size(
    config: *mut h2o_config_t,
    value: u32,
) -> h2o_result {
    ffi_boundary!(set(config, |c| c.proto.max_frame_size = value))
}

/// SETTINGS_MAX_HEADER_LIST_SIZE accepted (default 256 KiB; at least 1024).
///
/// Returns `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL. Ranges are checked by
/// `h2o_config_validate` / `h2o_client_new`.
#[no_mangle]
pub extern "C" fn h2o_config_set_max_header_list_size(
    config: *mut h2o_config_t,
    value: u32,
) -> h2o_result {
    ffi_boundary!(set(config, |c| c.proto.max_header_list_size = value))
}

/// CONTINUATION frames accepted per header block; 0 (default) derives it from the
/// header list and frame sizes.
///
/// Returns `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL. Ranges are checked by
/// `h2o_config_validate` / `h2o_client_new`.
#[no_mangle]
pub extern "C" fn h2o_config_set_max_continuation_frames(
    config: *mut h2o_config_t,
    value: u32,
) -> h2o_result {
    ffi_boundary!(set(config, |c| c.proto.max_continuation_frames = value))
}

/// Grow receive windows from the measured bandwidth-delay product (default true).
///
/// Returns `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL. Ranges are checked by
/// `h2o_config_validate` / `h2o_client_new`.
#[no_mangle]
pub extern "C" fn h2o_config_set_adaptive_window(
    config: *mut h2o_config_t,
    value: bool,
) -> h2o_result {
    ffi_boundary!(set(config, |c| c.proto.adaptive_window = value))
}

/// Cap for adaptive windows (default 32 MiB; at most 2^31-1).
///
/// Returns `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL. Ranges are checked by
/// `h2o_config_validate` / `h2o_client_new`.
#[no_mangle]
pub extern "C" fn h2o_config_set_max_adaptive_window(
    config: *mut h2o_config_t,
    value: u32,
) -> h2o_result {
    ffi_boundary!(set(config, |c| c.proto.max_adaptive_window = value))
}

/// Requests waiting for a free stream beyond which submission fails with
/// `H2O_RESULT_LIMIT_EXCEEDED` (default 65536).
///
/// Returns `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL. Ranges are checked by
/// `h2o_config_validate` / `h2o_client_new`.
#[no_mangle]
pub extern "C" fn h2o_config_set_max_pending_requests(
    config: *mut h2o_config_t,
    value: usize,
) -> h2o_result {
    ffi_boundary!(set(config, |c| c.proto.max_pending_requests = value))
}

/// Request body bytes buffered per stream before writers wait (default 256 KiB; > 0).
///
/// Returns `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL. Ranges are checked by
/// `h2o_config_validate` / `h2o_client_new`.
#[no_mangle]
pub extern "C" fn h2o_config_set_send_buffer_size(
    config: *mut h2o_config_t,
    value: usize,
) -> h2o_result {
    ffi_boundary!(set(config, |c| c.proto.send_buffer_size = value))
}

/// DATA bytes written per flush (default 256 KiB; > 0).
///
/// Returns `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL. Ranges are checked by
/// `h2o_config_validate` / `h2o_client_new`.
#[no_mangle]
pub extern "C" fn h2o_config_set_write_high_water(
    config: *mut h2o_config_t,
    value: usize,
) -> h2o_result {
    ffi_boundary!(set(config, |c| c.proto.write_high_water = value))
}

/// Reset streams whose late frames are dropped silently (default 1024).
///
/// Returns `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL. Ranges are checked by
/// `h2o_config_validate` / `h2o_client_new`.
#[no_mangle]
pub extern "C" fn h2o_config_set_max_reset_streams_remembered(
    config: *mut h2o_config_t,
    value: usize,
) -> h2o_result {
    ffi_boundary!(set(config, |c| c.proto.max_reset_streams_remembered = value))
}

/// Threads of the library's runtime (default 1; 1..=64). With 1, every callback runs
/// on one thread, in order across requests.
///
/// Returns `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL. Ranges are checked by
/// `h2o_config_validate` / `h2o_client_new`.
#[no_mangle]
pub extern "C" fn h2o_config_set_runtime_threads(
    config: *mut h2o_config_t,
    value: usize,
) -> h2o_result {
    ffi_boundary!(set(config, |c| c.runtime_threads = value))
}

/// Transparent retries of requests the server provably did not process (default 3).
///
/// Returns `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL. Ranges are checked by
/// `h2o_config_validate` / `h2o_client_new`.
#[no_mangle]
pub extern "C" fn h2o_config_set_max_retries(config: *mut h2o_config_t, value: u8) -> h2o_result {
    ffi_boundary!(set(config, |c| c.max_retries = value))
}

/// Applies one JSON setting (`key` as in the setter names, without `h2o_config_set_`).
fn apply_json(c: &mut Config, key: &str, v: &Value) -> Result<(), String> {
    let uint = |max: u64| -> Result<u64, String> {
        v.as_u64()
            .filter(|n| *n <= max)
            .ok_or_else(|| format!("\"{key}\" must be an integer in 0..={max}"))
    };
    let u32v = || uint(u32::MAX as u64).map(|n| n as u32);
    let usizev = || uint(usize::MAX as u64).map(|n| n as usize);
    let p = &mut c.proto;
    match key {
        "header_table_size" => p.header_table_size = u32v()?,
        "encoder_table_size" => p.encoder_table_size = u32v()?,
        "max_concurrent_streams" => p.max_concurrent_streams = u32v()?,
        "initial_window_size" => p.initial_window_size = u32v()?,
        "connection_window_size" => p.connection_window_size = u32v()?,
        "max_frame_size" => p.max_frame_size = u32v()?,
        "max_header_list_size" => p.max_header_list_size = u32v()?,
        "max_continuation_frames" => p.max_continuation_frames = u32v()?,
        "adaptive_window" => {
            p.adaptive_window = v
                .as_bool()
                .ok_or_else(|| format!("\"{key}\" must be true or false"))?
        }
        "max_adaptive_window" => p.max_adaptive_window = u32v()?,
        "max_pending_requests" => p.max_pending_requests = usizev()?,
        "send_buffer_size" => p.send_buffer_size = usizev()?,
        "write_high_water" => p.write_high_water = usizev()?,
        "max_reset_streams_remembered" => p.max_reset_streams_remembered = usizev()?,
        "runtime_threads" => c.runtime_threads = usizev()?,
        "max_retries" => c.max_retries = uint(u8::MAX as u64)? as u8,
        _ => return Err(format!("unknown setting \"{key}\"")),
    }
    Ok(())
}

/// Creates a config from a JSON object of settings and stores it in `*out`, e.g.
/// `{"runtime_threads": 2, "initial_window_size": 65535, "adaptive_window": false}`.
/// Keys are the setter names without `h2o_config_set_`; missing keys keep their
/// defaults; a `"proto"` object may hold the protocol settings instead of the top level.
///
/// Ownership: the caller owns `*out` (free with `h2o_config_free`); `json` is only read.
/// Errors (nothing allocated): `H2O_RESULT_NULL_ARGUMENT`, `H2O_RESULT_INVALID_UTF8`,
/// `H2O_RESULT_INVALID_ARGUMENT` (bad JSON, unknown key, wrong type, or a value out of
/// range: `h2o_last_error_message()` names it).
#[no_mangle]
pub extern "C" fn h2o_config_from_json(
    json: *const c_char,
    out: *mut *mut h2o_config_t,
) -> h2o_result {
    ffi_boundary!({
        check_null!(out);
        let text = match c_str(json, "json") {
            Ok(t) => t,
            Err(r) => return r,
        };
        let value: Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => return fail(h2o_result::InvalidArgument, &format!("invalid JSON: {e}")),
        };
        let Some(obj) = value.as_object() else {
            return fail(
                h2o_result::InvalidArgument,
                "the JSON config must be an object",
            );
        };
        let mut cfg = Config::default();
        for (k, v) in obj {
            let r = match (k.as_str(), v.as_object()) {
                ("proto", Some(inner)) => inner
                    .iter()
                    .try_for_each(|(k, v)| apply_json(&mut cfg, k, v)),
                _ => apply_json(&mut cfg, k, v),
            };
            if let Err(e) = r {
                return fail(h2o_result::InvalidArgument, &e);
            }
        }
        if let Err(e) = cfg.validate() {
            return fail(h2o_result::InvalidArgument, &e);
        }
        // SAFETY: `out` is non-NULL and writable (caller contract).
        unsafe { *out = Box::into_raw(Box::new(h2o_config_t { inner: cfg })) };
        h2o_result::Ok
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_set_validate_free() {
        let mut cfg: *mut h2o_config_t = std::ptr::null_mut();
        assert_eq!(h2o_config_new(&mut cfg), h2o_result::Ok);
        assert_eq!(h2o_config_set_max_frame_size(cfg, 100), h2o_result::Ok);
        assert_eq!(h2o_config_validate(cfg), h2o_result::InvalidArgument);
        assert_eq!(h2o_config_set_max_frame_size(cfg, 16384), h2o_result::Ok);
        assert_eq!(h2o_config_validate(cfg), h2o_result::Ok);
        assert_eq!(
            h2o_config_set_runtime_threads(std::ptr::null_mut(), 2),
            h2o_result::NullArgument
        );
        h2o_config_free(cfg);
    }

    #[test]
    fn from_json() {
        let mut cfg: *mut h2o_config_t = std::ptr::null_mut();
        let ok = c"{\"runtime_threads\": 2, \"proto\": {\"initial_window_size\": 65535}, \"adaptive_window\": false}";
        assert_eq!(h2o_config_from_json(ok.as_ptr(), &mut cfg), h2o_result::Ok);
        // SAFETY: just created.
        let inner = unsafe { &(*cfg).inner };
        assert_eq!(inner.runtime_threads, 2);
        assert_eq!(inner.proto.initial_window_size, 65535);
        assert!(!inner.proto.adaptive_window);
        h2o_config_free(cfg);
        for bad in [
            c"[1]",
            c"{",
            c"{\"nope\": 1}",
            c"{\"max_retries\": 300}",
            c"{\"adaptive_window\": 1}",
            c"{\"max_frame_size\": 1}",
        ] {
            let mut cfg: *mut h2o_config_t = std::ptr::null_mut();
            assert_eq!(
                h2o_config_from_json(bad.as_ptr(), &mut cfg),
                h2o_result::InvalidArgument
            );
            assert!(cfg.is_null());
        }
    }
}
