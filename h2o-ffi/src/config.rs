//! `h2o_config_t`: every setting of a client (the core's settings registry,
//! `docs/CONFIG.md`), set one by one with typed setters, by key (`h2o_config_set`), from JSON
//! (`h2o_config_from_json`) or from the environment (`h2o_config_from_env`). Each setter
//! checks its value's range at once; `h2o_config_validate` / `h2o_client_new` check the
//! rules between settings and load TLS files.

use std::ffi::c_char;
use std::time::Duration;

use h2o_core::client::settings::ConfigError;
use h2o_core::client::SettingValue;
use h2o_core::Config;

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

/// Checks every setting and the rules between them (e.g. `pool_backoff_max_ms` at least
/// `pool_backoff_base_ms`, `tls_client_cert` with `tls_client_key`), and loads the TLS files
/// configured. Returns `H2O_RESULT_INVALID_ARGUMENT` and sets `h2o_last_error_message()`
/// (naming the setting) on the first problem; `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL.
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

fn config_error(e: ConfigError) -> h2o_result {
    fail(h2o_result::InvalidArgument, &e.to_string())
}

/// Sets `key` through the registry (type and range checked) on the config behind `config`.
fn set_value(config: *mut h2o_config_t, key: &str, v: SettingValue) -> h2o_result {
    check_null!(config);
    // SAFETY: non-NULL configs come from `h2o_config_new` / `h2o_config_from_*`; the caller
    // does not use one config from two threads at once.
    let cfg = unsafe { &mut (*config).inner };
    match cfg.set(key, v) {
        Ok(()) => h2o_result::Ok,
        Err(e) => config_error(e),
    }
}

fn millis(ms: u64) -> SettingValue {
    SettingValue::Duration(Some(Duration::from_millis(ms)))
}

/// Sets an optional path setting from a C string (NULL or "" = none).
fn set_path(config: *mut h2o_config_t, key: &str, path: *const c_char) -> h2o_result {
    check_null!(config);
    if path.is_null() {
        return set_value(config, key, SettingValue::Path(None));
    }
    match c_str(path, "path") {
        Ok(p) => set_value(config, key, SettingValue::Path(Some(p.into()))),
        Err(r) => r,
    }
}

/// Appends one item to a list setting.
fn add_item(config: *mut h2o_config_t, key: &str, item: *const c_char, what: &str) -> h2o_result {
    check_null!(config);
    let item = match c_str(item, what) {
        Ok(i) => i,
        Err(r) => return r,
    };
    // SAFETY: as in `set_value`.
    let cfg = unsafe { &mut (*config).inner };
    let Some(setting) = h2o_core::client::settings::find(key) else {
        return fail(h2o_result::InvalidArgument, "unknown setting");
    };
    let SettingValue::List(mut list) = setting.get(cfg) else {
        return fail(h2o_result::InvalidArgument, "not a list setting");
    };
    list.push(item.to_owned());
    match cfg.set(key, SettingValue::List(list)) {
        Ok(()) => h2o_result::Ok,
        Err(e) => config_error(e),
    }
}

/// Threads of the library's own runtime; with 1, every callback runs on one thread.
///
/// Default 1. Range 1..=64. JSON/env key `runtime_threads`.
///
/// Errors (the config is unchanged): `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL;
/// `H2O_RESULT_INVALID_ARGUMENT` if the value is out of range (`h2o_last_error_message()`
/// names the setting and the range).
#[no_mangle]
pub extern "C" fn h2o_config_set_runtime_threads(
    config: *mut h2o_config_t,
    value: usize,
) -> h2o_result {
    ffi_boundary!(set_value(
        config,
        "runtime_threads",
        SettingValue::Int(value as u64)
    ))
}

/// Transparent retries of requests the server provably did not process (GOAWAY, REFUSED_STREAM).
///
/// Default 3. Range 0..=255. JSON/env key `max_retries`.
///
/// Errors (the config is unchanged): `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL;
/// `H2O_RESULT_INVALID_ARGUMENT` if the value is out of range (`h2o_last_error_message()`
/// names the setting and the range).
#[no_mangle]
pub extern "C" fn h2o_config_set_max_retries(config: *mut h2o_config_t, value: u8) -> h2o_result {
    ffi_boundary!(set_value(
        config,
        "max_retries",
        SettingValue::Int(value as u64)
    ))
}

/// TCP connect deadline per attempt, DNS included (ConnectTimeout).
///
/// Default 10000 ms. Range 1..=31536000000 (365 d). In milliseconds; 0 is refused. JSON/env key `connect_timeout_ms`.
///
/// Errors (the config is unchanged): `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL;
/// `H2O_RESULT_INVALID_ARGUMENT` if the value is out of range (`h2o_last_error_message()`
/// names the setting and the range).
#[no_mangle]
pub extern "C" fn h2o_config_set_connect_timeout_ms(
    config: *mut h2o_config_t,
    ms: u64,
) -> h2o_result {
    ffi_boundary!(set_value(config, "connect_timeout_ms", millis(ms)))
}

/// The server must acknowledge our SETTINGS within this (SettingsTimeout).
///
/// Default 10000 ms. Range 1..=31536000000 (365 d). In milliseconds; 0 is refused. JSON/env key `settings_timeout_ms`.
///
/// Errors (the config is unchanged): `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL;
/// `H2O_RESULT_INVALID_ARGUMENT` if the value is out of range (`h2o_last_error_message()`
/// names the setting and the range).
#[no_mangle]
pub extern "C" fn h2o_config_set_settings_timeout_ms(
    config: *mut h2o_config_t,
    ms: u64,
) -> h2o_result {
    ffi_boundary!(set_value(config, "settings_timeout_ms", millis(ms)))
}

/// Default deadline for the response head after submission (HeadersTimeout).
///
/// Default off. Range 0 (off) or 1..=31536000000 (365 d). In milliseconds; 0 switches it off. JSON/env key `headers_timeout_ms`.
///
/// Errors (the config is unchanged): `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL;
/// `H2O_RESULT_INVALID_ARGUMENT` if the value is out of range (`h2o_last_error_message()`
/// names the setting and the range).
#[no_mangle]
pub extern "C" fn h2o_config_set_headers_timeout_ms(
    config: *mut h2o_config_t,
    ms: u64,
) -> h2o_result {
    ffi_boundary!(set_value(config, "headers_timeout_ms", millis(ms)))
}

/// Default longest silence between response body chunks (IdleTimeout).
///
/// Default off. Range 0 (off) or 1..=31536000000 (365 d). In milliseconds; 0 switches it off. JSON/env key `idle_timeout_ms`.
///
/// Errors (the config is unchanged): `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL;
/// `H2O_RESULT_INVALID_ARGUMENT` if the value is out of range (`h2o_last_error_message()`
/// names the setting and the range).
#[no_mangle]
pub extern "C" fn h2o_config_set_idle_timeout_ms(config: *mut h2o_config_t, ms: u64) -> h2o_result {
    ffi_boundary!(set_value(config, "idle_timeout_ms", millis(ms)))
}

/// Default deadline for a whole request (RequestTimeout).
///
/// Default off. Range 0 (off) or 1..=31536000000 (365 d). In milliseconds; 0 switches it off. JSON/env key `request_timeout_ms`.
///
/// Errors (the config is unchanged): `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL;
/// `H2O_RESULT_INVALID_ARGUMENT` if the value is out of range (`h2o_last_error_message()`
/// names the setting and the range).
#[no_mangle]
pub extern "C" fn h2o_config_set_request_timeout_ms(
    config: *mut h2o_config_t,
    ms: u64,
) -> h2o_result {
    ffi_boundary!(set_value(config, "request_timeout_ms", millis(ms)))
}

/// Send a PING after this long without hearing from the server.
///
/// Default 30000 ms. Range 0 (off) or 1..=31536000000 (365 d). In milliseconds; 0 switches it off. JSON/env key `keepalive_interval_ms`.
///
/// Errors (the config is unchanged): `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL;
/// `H2O_RESULT_INVALID_ARGUMENT` if the value is out of range (`h2o_last_error_message()`
/// names the setting and the range).
#[no_mangle]
pub extern "C" fn h2o_config_set_keepalive_interval_ms(
    config: *mut h2o_config_t,
    ms: u64,
) -> h2o_result {
    ffi_boundary!(set_value(config, "keepalive_interval_ms", millis(ms)))
}

/// An unanswered PING after this long closes the connection (PingTimeout).
///
/// Default 20000 ms. Range 1..=31536000000 (365 d). In milliseconds; 0 is refused. JSON/env key `ping_timeout_ms`.
///
/// Errors (the config is unchanged): `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL;
/// `H2O_RESULT_INVALID_ARGUMENT` if the value is out of range (`h2o_last_error_message()`
/// names the setting and the range).
#[no_mangle]
pub extern "C" fn h2o_config_set_ping_timeout_ms(config: *mut h2o_config_t, ms: u64) -> h2o_result {
    ffi_boundary!(set_value(config, "ping_timeout_ms", millis(ms)))
}

/// An unanswered PING after this long stops new requests going to the connection.
///
/// Default 10000 ms. Range 1..=31536000000 (365 d). In milliseconds; 0 is refused. JSON/env key `ping_soft_timeout_ms`.
///
/// Errors (the config is unchanged): `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL;
/// `H2O_RESULT_INVALID_ARGUMENT` if the value is out of range (`h2o_last_error_message()`
/// names the setting and the range).
#[no_mangle]
pub extern "C" fn h2o_config_set_ping_soft_timeout_ms(
    config: *mut h2o_config_t,
    ms: u64,
) -> h2o_result {
    ffi_boundary!(set_value(config, "ping_soft_timeout_ms", millis(ms)))
}

/// RFC 9218 urgency of requests that set no priority (0 most urgent).
///
/// Default 3. Range 0..=7. JSON/env key `default_urgency`.
///
/// Errors (the config is unchanged): `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL;
/// `H2O_RESULT_INVALID_ARGUMENT` if the value is out of range (`h2o_last_error_message()`
/// names the setting and the range).
#[no_mangle]
pub extern "C" fn h2o_config_set_default_urgency(
    config: *mut h2o_config_t,
    value: u8,
) -> h2o_result {
    ffi_boundary!(set_value(
        config,
        "default_urgency",
        SettingValue::Int(value as u64)
    ))
}

/// RFC 9218 incremental flag of requests that set no priority.
///
/// Default false. JSON/env key `default_incremental`.
///
/// Errors: `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL.
#[no_mangle]
pub extern "C" fn h2o_config_set_default_incremental(
    config: *mut h2o_config_t,
    value: bool,
) -> h2o_result {
    ffi_boundary!(set_value(
        config,
        "default_incremental",
        SettingValue::Bool(value)
    ))
}

/// RFC 7540 weight of requests that set no priority (sent with rfc7540_priorities).
///
/// Default 16. Range 1..=256. JSON/env key `default_weight`.
///
/// Errors (the config is unchanged): `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL;
/// `H2O_RESULT_INVALID_ARGUMENT` if the value is out of range (`h2o_last_error_message()`
/// names the setting and the range).
#[no_mangle]
pub extern "C" fn h2o_config_set_default_weight(
    config: *mut h2o_config_t,
    value: u16,
) -> h2o_result {
    ffi_boundary!(set_value(
        config,
        "default_weight",
        SettingValue::Int(value as u64)
    ))
}

/// SETTINGS_HEADER_TABLE_SIZE we advertise (HPACK table the server may use).
///
/// Default 4096. Range 0..=2^32-1. JSON/env key `header_table_size`.
///
/// Errors (the config is unchanged): `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL;
/// `H2O_RESULT_INVALID_ARGUMENT` if the value is out of range (`h2o_last_error_message()`
/// names the setting and the range).
#[no_mangle]
pub extern "C" fn h2o_config_set_header_table_size(
    config: *mut h2o_config_t,
    value: u32,
) -> h2o_result {
    ffi_boundary!(set_value(
        config,
        "header_table_size",
        SettingValue::Int(value as u64)
    ))
}

/// Upper bound on the HPACK dynamic table our encoder uses.
///
/// Default 4096. Range 0..=2^32-1. JSON/env key `encoder_table_size`.
///
/// Errors (the config is unchanged): `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL;
/// `H2O_RESULT_INVALID_ARGUMENT` if the value is out of range (`h2o_last_error_message()`
/// names the setting and the range).
#[no_mangle]
pub extern "C" fn h2o_config_set_encoder_table_size(
    config: *mut h2o_config_t,
    value: u32,
) -> h2o_result {
    ffi_boundary!(set_value(
        config,
        "encoder_table_size",
        SettingValue::Int(value as u64)
    ))
}

/// SETTINGS_MAX_CONCURRENT_STREAMS we advertise (server-initiated streams).
///
/// Default 100. Range 0..=2^32-1. JSON/env key `max_concurrent_streams`.
///
/// Errors (the config is unchanged): `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL;
/// `H2O_RESULT_INVALID_ARGUMENT` if the value is out of range (`h2o_last_error_message()`
/// names the setting and the range).
#[no_mangle]
pub extern "C" fn h2o_config_set_max_concurrent_streams(
    config: *mut h2o_config_t,
    value: u32,
) -> h2o_result {
    ffi_boundary!(set_value(
        config,
        "max_concurrent_streams",
        SettingValue::Int(value as u64)
    ))
}

/// SETTINGS_INITIAL_WINDOW_SIZE: receive window of each stream, bytes.
///
/// Default 1048576. Range 0..=2^31-1. JSON/env key `initial_window_size`.
///
/// Errors (the config is unchanged): `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL;
/// `H2O_RESULT_INVALID_ARGUMENT` if the value is out of range (`h2o_last_error_message()`
/// names the setting and the range).
#[no_mangle]
pub extern "C" fn h2o_config_set_initial_window_size(
    config: *mut h2o_config_t,
    value: u32,
) -> h2o_result {
    ffi_boundary!(set_value(
        config,
        "initial_window_size",
        SettingValue::Int(value as u64)
    ))
}

/// Receive window of the whole connection, bytes.
///
/// Default 8388608. Range 65535..=2^31-1. JSON/env key `connection_window_size`.
///
/// Errors (the config is unchanged): `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL;
/// `H2O_RESULT_INVALID_ARGUMENT` if the value is out of range (`h2o_last_error_message()`
/// names the setting and the range).
#[no_mangle]
pub extern "C" fn h2o_config_set_connection_window_size(
    config: *mut h2o_config_t,
    value: u32,
) -> h2o_result {
    ffi_boundary!(set_value(
        config,
        "connection_window_size",
        SettingValue::Int(value as u64)
    ))
}

/// SETTINGS_MAX_FRAME_SIZE we accept.
///
/// Default 16384. Range 16384..=16777215. JSON/env key `max_frame_size`.
///
/// Errors (the config is unchanged): `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL;
/// `H2O_RESULT_INVALID_ARGUMENT` if the value is out of range (`h2o_last_error_message()`
/// names the setting and the range).
#[no_mangle]
pub extern "C" fn h2o_config_set_max_frame_size(
    config: *mut h2o_config_t,
    value: u32,
) -> h2o_result {
    ffi_boundary!(set_value(
        config,
        "max_frame_size",
        SettingValue::Int(value as u64)
    ))
}

/// SETTINGS_MAX_HEADER_LIST_SIZE we accept (decoded bytes).
///
/// Default 262144. Range 1024..=2^32-1. JSON/env key `max_header_list_size`.
///
/// Errors (the config is unchanged): `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL;
/// `H2O_RESULT_INVALID_ARGUMENT` if the value is out of range (`h2o_last_error_message()`
/// names the setting and the range).
#[no_mangle]
pub extern "C" fn h2o_config_set_max_header_list_size(
    config: *mut h2o_config_t,
    value: u32,
) -> h2o_result {
    ffi_boundary!(set_value(
        config,
        "max_header_list_size",
        SettingValue::Int(value as u64)
    ))
}

/// CONTINUATION frames accepted per header block; 0 derives it from the sizes.
///
/// Default 0. Range 0..=2^32-1. JSON/env key `max_continuation_frames`.
///
/// Errors (the config is unchanged): `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL;
/// `H2O_RESULT_INVALID_ARGUMENT` if the value is out of range (`h2o_last_error_message()`
/// names the setting and the range).
#[no_mangle]
pub extern "C" fn h2o_config_set_max_continuation_frames(
    config: *mut h2o_config_t,
    value: u32,
) -> h2o_result {
    ffi_boundary!(set_value(
        config,
        "max_continuation_frames",
        SettingValue::Int(value as u64)
    ))
}

/// Grow the receive windows from the measured bandwidth-delay product.
///
/// Default true. JSON/env key `adaptive_window`.
///
/// Errors: `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL.
#[no_mangle]
pub extern "C" fn h2o_config_set_adaptive_window(
    config: *mut h2o_config_t,
    value: bool,
) -> h2o_result {
    ffi_boundary!(set_value(
        config,
        "adaptive_window",
        SettingValue::Bool(value)
    ))
}

/// Cap of the adaptive stream and connection windows, bytes.
///
/// Default 33554432. Range 0..=2^31-1. JSON/env key `max_adaptive_window`.
///
/// Errors (the config is unchanged): `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL;
/// `H2O_RESULT_INVALID_ARGUMENT` if the value is out of range (`h2o_last_error_message()`
/// names the setting and the range).
#[no_mangle]
pub extern "C" fn h2o_config_set_max_adaptive_window(
    config: *mut h2o_config_t,
    value: u32,
) -> h2o_result {
    ffi_boundary!(set_value(
        config,
        "max_adaptive_window",
        SettingValue::Int(value as u64)
    ))
}

/// Unconsumed response bytes up to which connection credit is returned on receipt.
///
/// Default 134217728. Range 0..=2^64-1. JSON/env key `max_buffered_per_connection`.
///
/// Errors (the config is unchanged): `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL;
/// `H2O_RESULT_INVALID_ARGUMENT` if the value is out of range (`h2o_last_error_message()`
/// names the setting and the range).
#[no_mangle]
pub extern "C" fn h2o_config_set_max_buffered_per_connection(
    config: *mut h2o_config_t,
    value: usize,
) -> h2o_result {
    ffi_boundary!(set_value(
        config,
        "max_buffered_per_connection",
        SettingValue::Int(value as u64)
    ))
}

/// Requests waiting for a stream slot beyond which submission fails (LimitExceeded).
///
/// Default 65536. Range 0..=2^64-1. JSON/env key `max_pending_requests`.
///
/// Errors (the config is unchanged): `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL;
/// `H2O_RESULT_INVALID_ARGUMENT` if the value is out of range (`h2o_last_error_message()`
/// names the setting and the range).
#[no_mangle]
pub extern "C" fn h2o_config_set_max_pending_requests(
    config: *mut h2o_config_t,
    value: usize,
) -> h2o_result {
    ffi_boundary!(set_value(
        config,
        "max_pending_requests",
        SettingValue::Int(value as u64)
    ))
}

/// Request body bytes buffered per stream before the writer waits.
///
/// Default 262144. Range 1..=2^64-1. JSON/env key `send_buffer_size`.
///
/// Errors (the config is unchanged): `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL;
/// `H2O_RESULT_INVALID_ARGUMENT` if the value is out of range (`h2o_last_error_message()`
/// names the setting and the range).
#[no_mangle]
pub extern "C" fn h2o_config_set_send_buffer_size(
    config: *mut h2o_config_t,
    value: usize,
) -> h2o_result {
    ffi_boundary!(set_value(
        config,
        "send_buffer_size",
        SettingValue::Int(value as u64)
    ))
}

/// DATA bytes put in the write buffer per flush.
///
/// Default 262144. Range 1..=2^64-1. JSON/env key `write_high_water`.
///
/// Errors (the config is unchanged): `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL;
/// `H2O_RESULT_INVALID_ARGUMENT` if the value is out of range (`h2o_last_error_message()`
/// names the setting and the range).
#[no_mangle]
pub extern "C" fn h2o_config_set_write_high_water(
    config: *mut h2o_config_t,
    value: usize,
) -> h2o_result {
    ffi_boundary!(set_value(
        config,
        "write_high_water",
        SettingValue::Int(value as u64)
    ))
}

/// Room made in the read buffer before each socket read (the most one read takes in).
///
/// Default 65536. Range 1024..=67108864. JSON/env key `read_buffer_size`.
///
/// Errors (the config is unchanged): `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL;
/// `H2O_RESULT_INVALID_ARGUMENT` if the value is out of range (`h2o_last_error_message()`
/// names the setting and the range).
#[no_mangle]
pub extern "C" fn h2o_config_set_read_buffer_size(
    config: *mut h2o_config_t,
    value: usize,
) -> h2o_result {
    ffi_boundary!(set_value(
        config,
        "read_buffer_size",
        SettingValue::Int(value as u64)
    ))
}

/// Early flush: a socket read holding more frames than this writes the requests submitted
/// while its first frames were handled (e.g. from `on_complete`) once, before the rest is
/// processed, so the server works on them meanwhile. 0 turns it off. Costs one more write
/// per large read; pays off on one busy connection to a fast server (`docs/CONFIG.md`).
///
/// Default 0. Range 0..=1048576. JSON/env key `early_flush_frames`.
///
/// ```c
/// h2o_config_set_early_flush_frames(cfg, 32);
/// ```
///
/// Errors (the config is unchanged): `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL;
/// `H2O_RESULT_INVALID_ARGUMENT` if the value is out of range (`h2o_last_error_message()`
/// names the setting and the range).
#[no_mangle]
pub extern "C" fn h2o_config_set_early_flush_frames(
    config: *mut h2o_config_t,
    value: usize,
) -> h2o_result {
    ffi_boundary!(set_value(
        config,
        "early_flush_frames",
        SettingValue::Int(value as u64)
    ))
}

/// Reset streams whose late frames are dropped silently (bounded memory).
///
/// Default 1024. Range 0..=2^64-1. JSON/env key `max_reset_streams_remembered`.
///
/// Errors (the config is unchanged): `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL;
/// `H2O_RESULT_INVALID_ARGUMENT` if the value is out of range (`h2o_last_error_message()`
/// names the setting and the range).
#[no_mangle]
pub extern "C" fn h2o_config_set_max_reset_streams_remembered(
    config: *mut h2o_config_t,
    value: usize,
) -> h2o_result {
    ffi_boundary!(set_value(
        config,
        "max_reset_streams_remembered",
        SettingValue::Int(value as u64)
    ))
}

/// Send RFC 7540 weights in HEADERS and schedule our DATA by weight.
///
/// Default false. JSON/env key `rfc7540_priorities`.
///
/// Errors: `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL.
#[no_mangle]
pub extern "C" fn h2o_config_set_rfc7540_priorities(
    config: *mut h2o_config_t,
    value: bool,
) -> h2o_result {
    ffi_boundary!(set_value(
        config,
        "rfc7540_priorities",
        SettingValue::Bool(value)
    ))
}

/// SETTINGS frames per second from the server before ENHANCE_YOUR_CALM.
///
/// Default 200. Range 0..=2^32-1. JSON/env key `flood_settings_per_sec`.
///
/// Errors (the config is unchanged): `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL;
/// `H2O_RESULT_INVALID_ARGUMENT` if the value is out of range (`h2o_last_error_message()`
/// names the setting and the range).
#[no_mangle]
pub extern "C" fn h2o_config_set_flood_settings_per_sec(
    config: *mut h2o_config_t,
    value: u32,
) -> h2o_result {
    ffi_boundary!(set_value(
        config,
        "flood_settings_per_sec",
        SettingValue::Int(value as u64)
    ))
}

/// PING frames per second from the server before ENHANCE_YOUR_CALM.
///
/// Default 2000. Range 0..=2^32-1. JSON/env key `flood_pings_per_sec`.
///
/// Errors (the config is unchanged): `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL;
/// `H2O_RESULT_INVALID_ARGUMENT` if the value is out of range (`h2o_last_error_message()`
/// names the setting and the range).
#[no_mangle]
pub extern "C" fn h2o_config_set_flood_pings_per_sec(
    config: *mut h2o_config_t,
    value: u32,
) -> h2o_result {
    ffi_boundary!(set_value(
        config,
        "flood_pings_per_sec",
        SettingValue::Int(value as u64)
    ))
}

/// RST_STREAM frames per second from the server before ENHANCE_YOUR_CALM.
///
/// Default 20000. Range 0..=2^32-1. JSON/env key `flood_resets_per_sec`.
///
/// Errors (the config is unchanged): `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL;
/// `H2O_RESULT_INVALID_ARGUMENT` if the value is out of range (`h2o_last_error_message()`
/// names the setting and the range).
#[no_mangle]
pub extern "C" fn h2o_config_set_flood_resets_per_sec(
    config: *mut h2o_config_t,
    value: u32,
) -> h2o_result {
    ffi_boundary!(set_value(
        config,
        "flood_resets_per_sec",
        SettingValue::Int(value as u64)
    ))
}

/// WINDOW_UPDATE frames per second from the server before ENHANCE_YOUR_CALM.
///
/// Default 200000. Range 0..=2^32-1. JSON/env key `flood_window_updates_per_sec`.
///
/// Errors (the config is unchanged): `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL;
/// `H2O_RESULT_INVALID_ARGUMENT` if the value is out of range (`h2o_last_error_message()`
/// names the setting and the range).
#[no_mangle]
pub extern "C" fn h2o_config_set_flood_window_updates_per_sec(
    config: *mut h2o_config_t,
    value: u32,
) -> h2o_result {
    ffi_boundary!(set_value(
        config,
        "flood_window_updates_per_sec",
        SettingValue::Int(value as u64)
    ))
}

/// Empty DATA/CONTINUATION and unknown frames per second before ENHANCE_YOUR_CALM.
///
/// Default 2000. Range 0..=2^32-1. JSON/env key `flood_empty_frames_per_sec`.
///
/// Errors (the config is unchanged): `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL;
/// `H2O_RESULT_INVALID_ARGUMENT` if the value is out of range (`h2o_last_error_message()`
/// names the setting and the range).
#[no_mangle]
pub extern "C" fn h2o_config_set_flood_empty_frames_per_sec(
    config: *mut h2o_config_t,
    value: u32,
) -> h2o_result {
    ffi_boundary!(set_value(
        config,
        "flood_empty_frames_per_sec",
        SettingValue::Int(value as u64)
    ))
}

/// RST_STREAM frames per second we send (cancellations); beyond it new streams wait.
///
/// Default 5000. Range 0..=2^32-1. JSON/env key `flood_local_resets_per_sec`.
///
/// Errors (the config is unchanged): `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL;
/// `H2O_RESULT_INVALID_ARGUMENT` if the value is out of range (`h2o_last_error_message()`
/// names the setting and the range).
#[no_mangle]
pub extern "C" fn h2o_config_set_flood_local_resets_per_sec(
    config: *mut h2o_config_t,
    value: u32,
) -> h2o_result {
    ffi_boundary!(set_value(
        config,
        "flood_local_resets_per_sec",
        SettingValue::Int(value as u64)
    ))
}

/// Unwritten control-frame bytes (peer not reading) before ENHANCE_YOUR_CALM.
///
/// Default 1048576. Range 0..=2^64-1. JSON/env key `flood_max_control_backlog`.
///
/// Errors (the config is unchanged): `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL;
/// `H2O_RESULT_INVALID_ARGUMENT` if the value is out of range (`h2o_last_error_message()`
/// names the setting and the range).
#[no_mangle]
pub extern "C" fn h2o_config_set_flood_max_control_backlog(
    config: *mut h2o_config_t,
    value: usize,
) -> h2o_result {
    ffi_boundary!(set_value(
        config,
        "flood_max_control_backlog",
        SettingValue::Int(value as u64)
    ))
}

/// Most connections to one origin.
///
/// Default 8. Range 1..=2^64-1. JSON/env key `pool_max_connections_per_origin`.
///
/// Errors (the config is unchanged): `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL;
/// `H2O_RESULT_INVALID_ARGUMENT` if the value is out of range (`h2o_last_error_message()`
/// names the setting and the range).
#[no_mangle]
pub extern "C" fn h2o_config_set_pool_max_connections_per_origin(
    config: *mut h2o_config_t,
    value: usize,
) -> h2o_result {
    ffi_boundary!(set_value(
        config,
        "pool_max_connections_per_origin",
        SettingValue::Int(value as u64)
    ))
}

/// Most connections in total; beyond it the least recently used idle one closes.
///
/// Default 256. Range 1..=2^64-1. JSON/env key `pool_max_connections_total`.
///
/// Errors (the config is unchanged): `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL;
/// `H2O_RESULT_INVALID_ARGUMENT` if the value is out of range (`h2o_last_error_message()`
/// names the setting and the range).
#[no_mangle]
pub extern "C" fn h2o_config_set_pool_max_connections_total(
    config: *mut h2o_config_t,
    value: usize,
) -> h2o_result {
    ffi_boundary!(set_value(
        config,
        "pool_max_connections_total",
        SettingValue::Int(value as u64)
    ))
}

/// `h2o_config_set_pool_overflow`: requests wait for a free stream on an existing
/// connection (the default).
pub const H2O_POOL_OVERFLOW_QUEUE: u32 = 0;
/// `h2o_config_set_pool_overflow`: open another connection, up to
/// `pool_max_connections_per_origin`.
pub const H2O_POOL_OVERFLOW_OPEN_MORE: u32 = 1;

/// When every connection of an origin is at the server's stream limit:
/// `H2O_POOL_OVERFLOW_QUEUE` (default) or `H2O_POOL_OVERFLOW_OPEN_MORE`.
/// JSON/env key `pool_overflow` (`"queue"` / `"open_more"`).
///
/// Errors (the config is unchanged): `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL;
/// `H2O_RESULT_INVALID_ARGUMENT` for another value.
#[no_mangle]
pub extern "C" fn h2o_config_set_pool_overflow(
    config: *mut h2o_config_t,
    value: u32,
) -> h2o_result {
    ffi_boundary!({
        let name = match value {
            H2O_POOL_OVERFLOW_QUEUE => "queue",
            H2O_POOL_OVERFLOW_OPEN_MORE => "open_more",
            _ => {
                return fail(
                    h2o_result::InvalidArgument,
                    &format!("setting \"pool_overflow\": {value} is not H2O_POOL_OVERFLOW_QUEUE (0) or H2O_POOL_OVERFLOW_OPEN_MORE (1)"),
                )
            }
        };
        set_value(config, "pool_overflow", SettingValue::Enum(name.into()))
    })
}

/// A connection with no requests for this long is closed (GOAWAY).
///
/// Default 90000 ms. Range 0 (off) or 1..=31536000000 (365 d). In milliseconds; 0 switches it off. JSON/env key `pool_idle_timeout_ms`.
///
/// Errors (the config is unchanged): `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL;
/// `H2O_RESULT_INVALID_ARGUMENT` if the value is out of range (`h2o_last_error_message()`
/// names the setting and the range).
#[no_mangle]
pub extern "C" fn h2o_config_set_pool_idle_timeout_ms(
    config: *mut h2o_config_t,
    ms: u64,
) -> h2o_result {
    ffi_boundary!(set_value(config, "pool_idle_timeout_ms", millis(ms)))
}

/// First backoff period once an origin's circuit opens.
///
/// Default 100 ms. Range 1..=31536000000 (365 d). In milliseconds; 0 is refused. JSON/env key `pool_backoff_base_ms`.
///
/// Errors (the config is unchanged): `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL;
/// `H2O_RESULT_INVALID_ARGUMENT` if the value is out of range (`h2o_last_error_message()`
/// names the setting and the range).
#[no_mangle]
pub extern "C" fn h2o_config_set_pool_backoff_base_ms(
    config: *mut h2o_config_t,
    ms: u64,
) -> h2o_result {
    ffi_boundary!(set_value(config, "pool_backoff_base_ms", millis(ms)))
}

/// Longest backoff period (at least pool_backoff_base_ms).
///
/// Default 10000 ms. Range 1..=31536000000 (365 d). In milliseconds; 0 is refused. JSON/env key `pool_backoff_max_ms`.
///
/// Errors (the config is unchanged): `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL;
/// `H2O_RESULT_INVALID_ARGUMENT` if the value is out of range (`h2o_last_error_message()`
/// names the setting and the range).
#[no_mangle]
pub extern "C" fn h2o_config_set_pool_backoff_max_ms(
    config: *mut h2o_config_t,
    ms: u64,
) -> h2o_result {
    ffi_boundary!(set_value(config, "pool_backoff_max_ms", millis(ms)))
}

/// Consecutive failed connection attempts that open an origin's circuit.
///
/// Default 3. Range 1..=2^32-1. JSON/env key `pool_breaker_threshold`.
///
/// Errors (the config is unchanged): `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL;
/// `H2O_RESULT_INVALID_ARGUMENT` if the value is out of range (`h2o_last_error_message()`
/// names the setting and the range).
#[no_mangle]
pub extern "C" fn h2o_config_set_pool_breaker_threshold(
    config: *mut h2o_config_t,
    value: u32,
) -> h2o_result {
    ffi_boundary!(set_value(
        config,
        "pool_breaker_threshold",
        SettingValue::Int(value as u64)
    ))
}

/// A connection silent this long is checked with a PING before reuse.
///
/// Default 30000 ms. Range 0 (off) or 1..=31536000000 (365 d). In milliseconds; 0 switches it off. JSON/env key `pool_check_after_idle_ms`.
///
/// Errors (the config is unchanged): `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL;
/// `H2O_RESULT_INVALID_ARGUMENT` if the value is out of range (`h2o_last_error_message()`
/// names the setting and the range).
#[no_mangle]
pub extern "C" fn h2o_config_set_pool_check_after_idle_ms(
    config: *mut h2o_config_t,
    ms: u64,
) -> h2o_result {
    ffi_boundary!(set_value(config, "pool_check_after_idle_ms", millis(ms)))
}

/// Retries one connection may cause before it drains and a fresh one takes over.
///
/// Default 100. Range 0..=2^32-1. JSON/env key `pool_connection_retry_budget`.
///
/// Errors (the config is unchanged): `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL;
/// `H2O_RESULT_INVALID_ARGUMENT` if the value is out of range (`h2o_last_error_message()`
/// names the setting and the range).
#[no_mangle]
pub extern "C" fn h2o_config_set_pool_connection_retry_budget(
    config: *mut h2o_config_t,
    value: u32,
) -> h2o_result {
    ffi_boundary!(set_value(
        config,
        "pool_connection_retry_budget",
        SettingValue::Int(value as u64)
    ))
}

/// Also retry idempotent requests lost after sending (they may have been processed).
///
/// Default false. JSON/env key `pool_retry_idempotent`.
///
/// Errors: `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL.
#[no_mangle]
pub extern "C" fn h2o_config_set_pool_retry_idempotent(
    config: *mut h2o_config_t,
    value: bool,
) -> h2o_result {
    ffi_boundary!(set_value(
        config,
        "pool_retry_idempotent",
        SettingValue::Bool(value)
    ))
}

/// PEM file of extra trusted CA certificates.
///
/// Default none. JSON/env key `tls_ca_file`.
///
/// `path` is a NUL-terminated UTF-8 file name, copied; NULL or `""` means none. The file is
/// read by `h2o_config_validate` / `h2o_client_new` (a missing or malformed file fails them
/// with `H2O_RESULT_INVALID_ARGUMENT`).
/// Errors: `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL; `H2O_RESULT_INVALID_UTF8`.
#[no_mangle]
pub extern "C" fn h2o_config_set_tls_ca_file(
    config: *mut h2o_config_t,
    path: *const c_char,
) -> h2o_result {
    ffi_boundary!(set_path(config, "tls_ca_file", path))
}

/// Trust the system certificate store.
///
/// Default true. JSON/env key `tls_use_system_roots`.
///
/// Errors: `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL.
#[no_mangle]
pub extern "C" fn h2o_config_set_tls_use_system_roots(
    config: *mut h2o_config_t,
    value: bool,
) -> h2o_result {
    ffi_boundary!(set_value(
        config,
        "tls_use_system_roots",
        SettingValue::Bool(value)
    ))
}

/// Client certificate chain (PEM) for mutual TLS; needs tls_client_key.
///
/// Default none. JSON/env key `tls_client_cert`.
///
/// `path` is a NUL-terminated UTF-8 file name, copied; NULL or `""` means none. The file is
/// read by `h2o_config_validate` / `h2o_client_new` (a missing or malformed file fails them
/// with `H2O_RESULT_INVALID_ARGUMENT`).
/// Errors: `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL; `H2O_RESULT_INVALID_UTF8`.
#[no_mangle]
pub extern "C" fn h2o_config_set_tls_client_cert(
    config: *mut h2o_config_t,
    path: *const c_char,
) -> h2o_result {
    ffi_boundary!(set_path(config, "tls_client_cert", path))
}

/// Private key (PEM) of tls_client_cert.
///
/// Default none. JSON/env key `tls_client_key`.
///
/// `path` is a NUL-terminated UTF-8 file name, copied; NULL or `""` means none. The file is
/// read by `h2o_config_validate` / `h2o_client_new` (a missing or malformed file fails them
/// with `H2O_RESULT_INVALID_ARGUMENT`).
/// Errors: `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL; `H2O_RESULT_INVALID_UTF8`.
#[no_mangle]
pub extern "C" fn h2o_config_set_tls_client_key(
    config: *mut h2o_config_t,
    path: *const c_char,
) -> h2o_result {
    ffi_boundary!(set_path(config, "tls_client_key", path))
}

/// Adds an SPKI SHA-256 pin: base64 of the SHA-256 of the server certificate's
/// SubjectPublicKeyInfo, optionally prefixed `sha256//` (curl's `--pinnedpubkey` form). With
/// pins, the server key must match one of them (in addition to normal verification).
/// JSON/env key `tls_pins` (a list).
///
/// `pin` is a NUL-terminated string, only read.
/// Errors (the config is unchanged): `H2O_RESULT_NULL_ARGUMENT` if `config` or `pin` is NULL;
/// `H2O_RESULT_INVALID_UTF8`; `H2O_RESULT_INVALID_ARGUMENT` if it is not the base64 of 32 bytes.
#[no_mangle]
pub extern "C" fn h2o_config_add_tls_pin(
    config: *mut h2o_config_t,
    pin: *const c_char,
) -> h2o_result {
    ffi_boundary!(add_item(config, "tls_pins", pin, "pin"))
}

/// Removes every pin added with `h2o_config_add_tls_pin`.
///
/// Errors: `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL.
#[no_mangle]
pub extern "C" fn h2o_config_clear_tls_pins(config: *mut h2o_config_t) -> h2o_result {
    ffi_boundary!(set_value(
        config,
        "tls_pins",
        SettingValue::List(Vec::new())
    ))
}

/// Adds a certificate revocation list (PEM or DER file), checked for every certificate of
/// the server's chain. JSON/env key `tls_crl_files` (a list).
///
/// `path` is a NUL-terminated UTF-8 file name, copied. The file is read by
/// `h2o_config_validate` / `h2o_client_new` (a missing or malformed file fails them with
/// `H2O_RESULT_INVALID_ARGUMENT`).
/// Errors: `H2O_RESULT_NULL_ARGUMENT` if `config` or `path` is NULL; `H2O_RESULT_INVALID_UTF8`.
#[no_mangle]
pub extern "C" fn h2o_config_add_tls_crl_file(
    config: *mut h2o_config_t,
    path: *const c_char,
) -> h2o_result {
    ffi_boundary!(add_item(config, "tls_crl_files", path, "path"))
}

/// Removes every CRL added with `h2o_config_add_tls_crl_file`.
///
/// Errors: `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL.
#[no_mangle]
pub extern "C" fn h2o_config_clear_tls_crl_files(config: *mut h2o_config_t) -> h2o_result {
    ffi_boundary!(set_value(
        config,
        "tls_crl_files",
        SettingValue::List(Vec::new())
    ))
}

/// DANGER: accept any server certificate (local testing only); pins still apply.
///
/// Default false. JSON/env key `tls_danger_accept_invalid_certs`.
///
/// Errors: `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL.
#[no_mangle]
pub extern "C" fn h2o_config_set_tls_danger_accept_invalid_certs(
    config: *mut h2o_config_t,
    value: bool,
) -> h2o_result {
    ffi_boundary!(set_value(
        config,
        "tls_danger_accept_invalid_certs",
        SettingValue::Bool(value)
    ))
}

/// How long the TLS handshake may take after the TCP connect (ConnectTimeout).
///
/// Default 10000 ms. Range 1..=31536000000 (365 d). In milliseconds; 0 is refused. JSON/env key `tls_handshake_timeout_ms`.
///
/// Errors (the config is unchanged): `H2O_RESULT_NULL_ARGUMENT` if `config` is NULL;
/// `H2O_RESULT_INVALID_ARGUMENT` if the value is out of range (`h2o_last_error_message()`
/// names the setting and the range).
#[no_mangle]
pub extern "C" fn h2o_config_set_tls_handshake_timeout_ms(
    config: *mut h2o_config_t,
    ms: u64,
) -> h2o_result {
    ffi_boundary!(set_value(config, "tls_handshake_timeout_ms", millis(ms)))
}

/// Sets any setting by its key (the JSON / `docs/CONFIG.md` name, e.g.
/// `"pool_idle_timeout_ms"`) from text written as in an `H2O_<SETTING>` environment variable:
/// decimal integers, `true`/`false` (also `1`/`0`, `yes`/`no`, `on`/`off`), milliseconds
/// (`0`/`off` for optional durations), comma-separated lists, `queue`/`open_more`.
///
/// `key` and `value` are NUL-terminated UTF-8, only read.
/// Errors (the config is unchanged): `H2O_RESULT_NULL_ARGUMENT`, `H2O_RESULT_INVALID_UTF8`,
/// `H2O_RESULT_INVALID_ARGUMENT` for an unknown key, a malformed value or one out of range
/// (`h2o_last_error_message()` names the key and what it expects).
#[no_mangle]
pub extern "C" fn h2o_config_set(
    config: *mut h2o_config_t,
    key: *const c_char,
    value: *const c_char,
) -> h2o_result {
    ffi_boundary!({
        check_null!(config);
        let key = match c_str(key, "key") {
            Ok(k) => k,
            Err(r) => return r,
        };
        let value = match c_str(value, "value") {
            Ok(v) => v,
            Err(r) => return r,
        };
        // SAFETY: as in `set_value`.
        let cfg = unsafe { &mut (*config).inner };
        match cfg.set_str(key, value) {
            Ok(()) => h2o_result::Ok,
            Err(e) => config_error(e),
        }
    })
}

/// Creates a config from a JSON object of settings and stores it in `*out`, e.g.
/// `{"runtime_threads": 2, "initial_window_size": 65535, "pool": {"idle_timeout_ms": null}}`.
/// Keys are those of `docs/CONFIG.md` (the setter names without `h2o_config_set_`), flat
/// or grouped in `"proto"`, `"pool"`, `"tls"` and `"flood"` objects without their prefix;
/// durations are milliseconds; missing keys keep their defaults. The result is validated
/// as by `h2o_config_validate`.
///
/// Ownership: the caller owns `*out` (free with `h2o_config_free`); `json` is only read.
/// Errors (nothing allocated): `H2O_RESULT_NULL_ARGUMENT`, `H2O_RESULT_INVALID_UTF8`,
/// `H2O_RESULT_INVALID_ARGUMENT`: bad JSON, an unknown key (`unknown setting "x"`), a wrong
/// type (`setting "adaptive_window": expected bool, got a number`) or a value out of range
/// (`setting "max_frame_size": 100 is out of range 16384..=16777215`), as
/// `h2o_last_error_message()`.
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
        match Config::from_json_str(text) {
            Ok(cfg) => {
                // SAFETY: `out` is non-NULL and writable (caller contract).
                unsafe { *out = Box::into_raw(Box::new(h2o_config_t { inner: cfg })) };
                h2o_result::Ok
            }
            Err(e) => config_error(e),
        }
    })
}

/// Creates a config from the process environment and stores it in `*out`: the defaults,
/// then the JSON file named by `H2O_CONFIG` (if set), then every `H2O_<SETTING>` variable
/// (e.g. `H2O_INITIAL_WINDOW_SIZE=65535`, `H2O_POOL_IDLE_TIMEOUT_MS=off`), validated.
/// `h2o_client_new` never reads the environment itself: call this to opt in.
/// `H2O_` variables that look like a setting but are none (a typo) are errors; `H2O_LOG`
/// and variables of other tools (`H2O_TEST_PORT`) are ignored. See docs/CONFIG.md.
///
/// Ownership: the caller owns `*out` (free with `h2o_config_free`).
/// Thread: reads the environment; do not call while another thread modifies it (setenv).
/// Errors (nothing allocated): `H2O_RESULT_NULL_ARGUMENT`; `H2O_RESULT_INVALID_ARGUMENT`
/// (an unreadable file, or a bad file entry or variable: `h2o_last_error_message()` names
/// the file or variable and the key).
#[no_mangle]
pub extern "C" fn h2o_config_from_env(out: *mut *mut h2o_config_t) -> h2o_result {
    ffi_boundary!({
        check_null!(out);
        match Config::from_env() {
            Ok(cfg) => {
                // SAFETY: `out` is non-NULL and writable (caller contract).
                unsafe { *out = Box::into_raw(Box::new(h2o_config_t { inner: cfg })) };
                h2o_result::Ok
            }
            Err(e) => config_error(e),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_set_validate_free() {
        let mut cfg: *mut h2o_config_t = std::ptr::null_mut();
        assert_eq!(h2o_config_new(&mut cfg), h2o_result::Ok);
        // Setters check the range at once and leave the config unchanged on error.
        assert_eq!(
            h2o_config_set_max_frame_size(cfg, 100),
            h2o_result::InvalidArgument
        );
        assert_eq!(h2o_config_validate(cfg), h2o_result::Ok);
        assert_eq!(h2o_config_set_max_frame_size(cfg, 32768), h2o_result::Ok);
        // SAFETY: just created.
        assert_eq!(unsafe { (*cfg).inner.proto.max_frame_size }, 32768);
        assert_eq!(
            h2o_config_set_runtime_threads(std::ptr::null_mut(), 2),
            h2o_result::NullArgument
        );
        // Rules between settings are checked by validate.
        assert_eq!(
            h2o_config_set_pool_backoff_base_ms(cfg, 5000),
            h2o_result::Ok
        );
        assert_eq!(
            h2o_config_set_pool_backoff_max_ms(cfg, 1000),
            h2o_result::Ok
        );
        assert_eq!(h2o_config_validate(cfg), h2o_result::InvalidArgument);
        assert_eq!(
            h2o_config_set_pool_backoff_max_ms(cfg, 0),
            h2o_result::InvalidArgument
        );
        assert_eq!(
            h2o_config_set_pool_backoff_max_ms(cfg, 9000),
            h2o_result::Ok
        );
        assert_eq!(h2o_config_validate(cfg), h2o_result::Ok);
        // Optional durations: 0 is off.
        assert_eq!(h2o_config_set_pool_idle_timeout_ms(cfg, 0), h2o_result::Ok);
        // SAFETY: just created.
        assert_eq!(unsafe { (*cfg).inner.pool.idle_timeout }, None);
        assert_eq!(
            h2o_config_set_pool_overflow(cfg, 7),
            h2o_result::InvalidArgument
        );
        assert_eq!(
            h2o_config_set_pool_overflow(cfg, H2O_POOL_OVERFLOW_OPEN_MORE),
            h2o_result::Ok
        );
        assert_eq!(
            h2o_config_add_tls_pin(cfg, c"nope".as_ptr()),
            h2o_result::InvalidArgument
        );
        assert_eq!(
            h2o_config_add_tls_pin(
                cfg,
                c"sha256//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=".as_ptr()
            ),
            h2o_result::Ok
        );
        // SAFETY: just created.
        assert_eq!(unsafe { (*cfg).inner.tls.pins.len() }, 1);
        assert_eq!(
            h2o_config_set(cfg, c"default_urgency".as_ptr(), c"1".as_ptr()),
            h2o_result::Ok
        );
        assert_eq!(
            h2o_config_set(cfg, c"default_urgency".as_ptr(), c"9".as_ptr()),
            h2o_result::InvalidArgument
        );
        assert_eq!(
            h2o_config_set(cfg, c"no_such".as_ptr(), c"1".as_ptr()),
            h2o_result::InvalidArgument
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
