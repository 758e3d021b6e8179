//! Metrics and the debug dump for C: a plain struct of the headline figures
//! (`h2o_client_metrics`), the full snapshot as JSON or Prometheus text, and the debug
//! dump as JSON. Strings are returned owned: free them with `h2o_string_free`.

use std::ffi::{c_char, CString};

use h2o_core::ErrorKind;

use crate::client::{core_client, h2o_client_t};
use crate::panic::{check_null, ffi_boundary};
use crate::result::h2o_result;

/// Headline metrics of a client (see `h2o_client_metrics_json` for everything, including
/// the latency buckets and pool details). Latencies are of completed requests, from
/// submit to the end of the response, in microseconds (HDR-style buckets, at most ~3%
/// above the true value; 0 when nothing completed).
#[repr(C)]
#[derive(Copy, Clone, Debug, Default)]
pub struct h2o_metrics_t {
    /// Seconds since the client started.
    pub uptime_seconds: f64,
    /// Requests submitted.
    pub requests_submitted: u64,
    /// Requests that ended with a response.
    pub requests_completed: u64,
    /// Requests that ended with an error.
    pub requests_failed: u64,
    /// Transparent retries.
    pub requests_retried: u64,
    /// Requests in the latency histogram (= completed).
    pub latency_count: u64,
    /// Median latency (µs).
    pub latency_p50_us: u64,
    /// 90th percentile (µs).
    pub latency_p90_us: u64,
    /// 99th percentile (µs).
    pub latency_p99_us: u64,
    /// 99.9th percentile (µs).
    pub latency_p999_us: u64,
    /// Largest latency (µs).
    pub latency_max_us: u64,
    /// Response body bytes received.
    pub body_bytes_received: u64,
    /// Request body bytes sent.
    pub body_bytes_sent: u64,
    /// Bytes read from sockets.
    pub wire_bytes_received: u64,
    /// Bytes written to sockets.
    pub wire_bytes_sent: u64,
    /// Failed requests by kind: `errors[H2O_RESULT_CONNECT]` etc. (index 0 unused).
    pub errors: [u64; 19],
    /// Times a stream waited for flow-control credit to send its body.
    pub flow_control_stalls: u64,
    /// Total time of those waits (µs).
    pub flow_control_stalled_us: u64,
    /// HPACK-encoded bytes of request headers sent.
    pub hpack_sent_encoded: u64,
    /// Plain (name + value) bytes of request headers sent.
    pub hpack_sent_plain: u64,
    /// HPACK-encoded bytes of response headers received.
    pub hpack_received_encoded: u64,
    /// Plain bytes of response headers received.
    pub hpack_received_plain: u64,
    /// Read-buffer refills that reused the allocation.
    pub read_buffer_hits: u64,
    /// Read-buffer refills that allocated.
    pub read_buffer_misses: u64,
    /// Live connections.
    pub connections_open: u64,
    /// Connections opened since the client started.
    pub connections_created: u64,
    /// Streams open across connections.
    pub open_streams: u64,
    /// Mid-read writes of new requests (`early_flush_frames`).
    pub early_flushes: u64,
}

fn owned_string(s: String, out: *mut *mut c_char) -> h2o_result {
    // JSON and Prometheus text never contain NUL; replace defensively.
    let c = CString::new(s.replace('\0', " ")).unwrap_or_default();
    // SAFETY: `out` is non-NULL and writable (caller contract, checked for NULL).
    unsafe { *out = c.into_raw() };
    h2o_result::Ok
}

/// Fills `*out` with the client's headline metrics. Cheap (atomic loads; no connection
/// task is involved).
///
/// Errors: `H2O_RESULT_NULL_ARGUMENT`, `H2O_RESULT_USE_AFTER_CLOSE`.
/// Thread: any, including callbacks.
///
/// ```c
/// h2o_metrics_t m;
/// if (h2o_client_metrics(client, &m) == H2O_RESULT_OK)
///     printf("%llu done, p99 %llu us\n", (unsigned long long)m.requests_completed,
///            (unsigned long long)m.latency_p99_us);
/// ```
#[no_mangle]
pub extern "C" fn h2o_client_metrics(
    client: *const h2o_client_t,
    out: *mut h2o_metrics_t,
) -> h2o_result {
    ffi_boundary!({
        check_null!(out);
        let core = match core_client(client) {
            Ok(c) => c,
            Err(r) => return r,
        };
        let m = core.metrics();
        let q = |x: f64| m.latency.quantile(x).map_or(0, |d| d.as_micros() as u64);
        let mut errors = [0u64; 19];
        for (k, n) in &m.errors {
            if let Some(slot) = errors.get_mut(k.code() as usize) {
                *slot = *n;
            }
        }
        debug_assert_eq!(ErrorKind::PingTimeout.code(), 18);
        let v = h2o_metrics_t {
            uptime_seconds: m.uptime.as_secs_f64(),
            requests_submitted: m.stats.requests_submitted,
            requests_completed: m.stats.requests_completed,
            requests_failed: m.stats.requests_failed,
            requests_retried: m.stats.requests_retried,
            latency_count: m.latency.count,
            latency_p50_us: q(0.5),
            latency_p90_us: q(0.9),
            latency_p99_us: q(0.99),
            latency_p999_us: q(0.999),
            latency_max_us: m.latency.max_us,
            body_bytes_received: m.bytes.body_received,
            body_bytes_sent: m.bytes.body_sent,
            wire_bytes_received: m.bytes.wire_received,
            wire_bytes_sent: m.bytes.wire_sent,
            errors,
            flow_control_stalls: m.flow_control.count,
            flow_control_stalled_us: m.flow_control.stalled.as_micros() as u64,
            hpack_sent_encoded: m.hpack.sent_encoded,
            hpack_sent_plain: m.hpack.sent_plain,
            hpack_received_encoded: m.hpack.received_encoded,
            hpack_received_plain: m.hpack.received_plain,
            read_buffer_hits: m.read_buffer.hits,
            read_buffer_misses: m.read_buffer.misses,
            connections_open: m.stats.connections.len() as u64,
            connections_created: m.stats.connections_created,
            open_streams: m.stats.open_streams(),
            early_flushes: m.early_flushes,
        };
        // SAFETY: `out` is non-NULL and writable (caller contract).
        unsafe { *out = v };
        h2o_result::Ok
    })
}

/// Stores the full metrics snapshot as a JSON object in `*out` (latency percentiles and
/// buckets, requests, errors by kind, bytes, flow-control stalls, HPACK, read-buffer
/// reuse, pool). The shape is the same in every front end.
///
/// Ownership: the caller owns `*out` and frees it with `h2o_string_free`.
/// Errors (nothing allocated): `H2O_RESULT_NULL_ARGUMENT`, `H2O_RESULT_USE_AFTER_CLOSE`.
/// Thread: any, including callbacks.
#[no_mangle]
pub extern "C" fn h2o_client_metrics_json(
    client: *const h2o_client_t,
    out: *mut *mut c_char,
) -> h2o_result {
    ffi_boundary!({
        check_null!(out);
        match core_client(client) {
            Ok(c) => owned_string(c.metrics().to_json(), out),
            Err(r) => r,
        }
    })
}

/// Stores the metrics snapshot in the Prometheus text exposition format in `*out`
/// (`h2o_requests_total`, `h2o_request_duration_seconds` histogram, ...).
///
/// Ownership: the caller owns `*out` and frees it with `h2o_string_free`.
/// Errors (nothing allocated): `H2O_RESULT_NULL_ARGUMENT`, `H2O_RESULT_USE_AFTER_CLOSE`.
/// Thread: any, including callbacks.
#[no_mangle]
pub extern "C" fn h2o_client_metrics_prometheus(
    client: *const h2o_client_t,
    out: *mut *mut c_char,
) -> h2o_result {
    ffi_boundary!({
        check_null!(out);
        match core_client(client) {
            Ok(c) => owned_string(c.metrics().to_prometheus(), out),
            Err(r) => r,
        }
    })
}

/// Stores a JSON debug dump in `*out`: every connection with its state, settings both
/// ways, windows, open streams (state, windows, age) and queued requests. Each
/// connection answers between two passes of its loop; one that does not within 500 ms
/// is listed as `"unresponsive"`.
///
/// Ownership: the caller owns `*out` and frees it with `h2o_string_free`.
/// Errors (nothing allocated): `H2O_RESULT_NULL_ARGUMENT`, `H2O_RESULT_USE_AFTER_CLOSE`.
/// Thread: any, but it blocks up to 500 ms: do not call it from a callback (the
/// connections on that runtime thread could not answer).
#[no_mangle]
pub extern "C" fn h2o_client_debug_dump(
    client: *const h2o_client_t,
    out: *mut *mut c_char,
) -> h2o_result {
    ffi_boundary!({
        check_null!(out);
        match core_client(client) {
            Ok(c) => owned_string(c.debug_dump(), out),
            Err(r) => r,
        }
    })
}

/// Frees a string returned by `h2o_client_metrics_json`, `h2o_client_metrics_prometheus`
/// or `h2o_client_debug_dump`. NULL is ignored.
#[no_mangle]
pub extern "C" fn h2o_string_free(s: *mut c_char) {
    ffi_boundary!({
        if !s.is_null() {
            // SAFETY: non-NULL strings passed here come from `CString::into_raw` in this
            // module, and the caller frees each exactly once.
            drop(unsafe { CString::from_raw(s) });
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ptr;

    #[test]
    fn null_and_closed_clients_are_errors() {
        let mut s: *mut c_char = ptr::null_mut();
        assert_eq!(
            h2o_client_metrics_json(ptr::null(), &mut s),
            h2o_result::NullArgument
        );
        assert!(s.is_null());
        let mut m = h2o_metrics_t::default();
        assert_eq!(
            h2o_client_metrics(ptr::null(), &mut m),
            h2o_result::NullArgument
        );
        h2o_string_free(ptr::null_mut());
    }
}
