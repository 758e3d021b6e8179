//! Client metrics: a request latency histogram, byte and error counters, flow-control
//! stalls, HPACK compression and read-buffer reuse, as a snapshot ([`Metrics`]) that renders
//! as JSON ([`Metrics::to_json`]) or Prometheus text ([`Metrics::to_prometheus`]).
//!
//! Recording is lock-free: relaxed atomic adds on counters shared by the connection tasks
//! (a completed request costs five of them for the histogram and no allocation). Each
//! counter is exact on its own; a snapshot is not one instant across all of them.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::json::JsonWriter;
use super::stats::Stats;
use crate::error::ErrorKind;
use crate::proto::ConnMetrics;

/// Values below this many microseconds get a bucket each.
const LINEAR: u64 = 64;
/// Sub-buckets per power of two above that (relative error at most 1/32, about 3%).
const SUB_BITS: u32 = 5;
/// Largest recordable latency in microseconds (about 12.7 days); larger values are clamped.
const MAX_US: u64 = (1 << 40) - 1;
/// Number of HDR buckets: indexes 0..LINEAR, then 32 per power of two from 2^6 to 2^39.
const BUCKETS: usize = ((39 - 4) * 32 + 32) as usize;

/// The bucket boundaries of the Prometheus histogram, in microseconds (`le` in seconds:
/// 100 µs .. 60 s). Counted exactly at record time, not derived from the HDR buckets.
pub(crate) const PROM_BOUNDS_US: [u64; 18] = [
    100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000,
    1_000_000, 2_500_000, 5_000_000, 10_000_000, 30_000_000, 60_000_000,
];

/// Number of error kinds counted (indexed by [`ErrorKind::code`]; 0 is unused).
const KINDS: usize = 19;

fn bucket_index(us: u64) -> usize {
    let v = us.min(MAX_US);
    if v < LINEAR {
        return v as usize;
    }
    let e = 63 - v.leading_zeros(); // >= 6
    let sub = (v >> (e - SUB_BITS)) - (1 << SUB_BITS);
    ((e - 4) as usize) * 32 + sub as usize
}

/// The lowest and highest value (µs) that land in bucket `idx`.
fn bucket_range(idx: usize) -> (u64, u64) {
    if (idx as u64) < LINEAR {
        return (idx as u64, idx as u64);
    }
    let e = (idx / 32) as u32 + 4;
    let sub = (idx % 32) as u64;
    let width = 1u64 << (e - SUB_BITS);
    let low = ((1 << SUB_BITS) + sub) * width;
    (low, low + width - 1)
}

/// The lock-free latency histogram (microseconds, log-linear buckets).
pub(crate) struct Histogram {
    buckets: Box<[AtomicU64]>,
    prom: [AtomicU64; PROM_BOUNDS_US.len() + 1],
    sum_us: AtomicU64,
    max_us: AtomicU64,
}

impl Default for Histogram {
    fn default() -> Histogram {
        Histogram {
            buckets: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
            prom: Default::default(),
            sum_us: AtomicU64::new(0),
            max_us: AtomicU64::new(0),
        }
    }
}

impl Histogram {
    pub fn record(&self, d: Duration) {
        // u64 arithmetic (as_micros is u128): this runs for every request.
        let us = d
            .as_secs()
            .saturating_mul(1_000_000)
            .saturating_add(d.subsec_micros() as u64)
            .min(MAX_US);
        self.buckets[bucket_index(us)].fetch_add(1, Ordering::Relaxed);
        let p = PROM_BOUNDS_US.partition_point(|&b| b < us);
        self.prom[p].fetch_add(1, Ordering::Relaxed);
        self.sum_us.fetch_add(us, Ordering::Relaxed);
        // A read first: a new maximum is rare, and fetch_max always writes the line.
        if us > self.max_us.load(Ordering::Relaxed) {
            self.max_us.fetch_max(us, Ordering::Relaxed);
        }
    }

    fn snapshot(&self) -> LatencyHistogram {
        let mut buckets = Vec::new();
        let mut count = 0;
        for (i, b) in self.buckets.iter().enumerate() {
            let n = b.load(Ordering::Relaxed);
            if n > 0 {
                let (low, high) = bucket_range(i);
                buckets.push(LatencyBucket {
                    low_us: low,
                    high_us: high,
                    count: n,
                });
                count += n;
            }
        }
        let mut prom = [0u64; PROM_BOUNDS_US.len() + 1];
        for (o, a) in prom.iter_mut().zip(self.prom.iter()) {
            *o = a.load(Ordering::Relaxed);
        }
        LatencyHistogram {
            count,
            sum_us: self.sum_us.load(Ordering::Relaxed),
            max_us: self.max_us.load(Ordering::Relaxed),
            buckets,
            prom,
        }
    }
}

/// Everything recorded besides the pool counters (see [`super::stats::Counters`]).
#[derive(Default)]
pub(crate) struct Recorder {
    pub latency: Histogram,
    pub errors: [AtomicU64; KINDS],
    pub body_bytes_received: AtomicU64,
    pub body_bytes_sent: AtomicU64,
    pub wire_bytes_received: AtomicU64,
    pub wire_bytes_sent: AtomicU64,
    pub header_encoded_sent: AtomicU64,
    pub header_plain_sent: AtomicU64,
    pub header_encoded_received: AtomicU64,
    pub header_plain_received: AtomicU64,
    pub stalls: AtomicU64,
    pub stalled_ns: AtomicU64,
    pub read_buffer_reused: AtomicU64,
    pub read_buffer_allocated: AtomicU64,
    pub early_flushes: AtomicU64,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder").finish_non_exhaustive()
    }
}

impl Recorder {
    pub fn error(&self, kind: ErrorKind) {
        let i = (kind.code() as usize).min(KINDS - 1);
        self.errors[i].fetch_add(1, Ordering::Relaxed);
    }

    /// Adds what a connection counted since `last` (and remembers `now` as the new `last`).
    pub fn add_connection_delta(&self, now: &ConnMetrics, last: &mut ConnMetrics) {
        if now == last {
            return;
        }
        let add = |a: &AtomicU64, n: u64, l: u64| {
            if n != l {
                a.fetch_add(n.wrapping_sub(l), Ordering::Relaxed);
            }
        };
        add(
            &self.body_bytes_received,
            now.data_bytes_received,
            last.data_bytes_received,
        );
        add(
            &self.body_bytes_sent,
            now.data_bytes_sent,
            last.data_bytes_sent,
        );
        add(
            &self.header_encoded_sent,
            now.header_bytes_sent_encoded,
            last.header_bytes_sent_encoded,
        );
        add(
            &self.header_plain_sent,
            now.header_bytes_sent_plain,
            last.header_bytes_sent_plain,
        );
        add(
            &self.header_encoded_received,
            now.header_bytes_received_encoded,
            last.header_bytes_received_encoded,
        );
        add(
            &self.header_plain_received,
            now.header_bytes_received_plain,
            last.header_bytes_received_plain,
        );
        add(&self.stalls, now.stalls, last.stalls);
        add(&self.stalled_ns, now.stalled_ns, last.stalled_ns);
        *last = *now;
    }
}

/// One non-empty bucket of the latency histogram.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LatencyBucket {
    /// Lowest latency (µs) counted here.
    pub low_us: u64,
    /// Highest latency (µs) counted here.
    pub high_us: u64,
    /// Requests in this bucket.
    pub count: u64,
}

/// Latency of completed requests (submit to the last byte of the response, retries
/// included), in log-linear buckets with at most ~3% relative error.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LatencyHistogram {
    /// Requests recorded.
    pub count: u64,
    /// Sum of all latencies (µs).
    pub sum_us: u64,
    /// Largest latency (µs).
    pub max_us: u64,
    /// Non-empty buckets, lowest first.
    pub buckets: Vec<LatencyBucket>,
    /// Per-bucket counts for the Prometheus boundaries (last: above 60 s).
    prom: [u64; PROM_BOUNDS_US.len() + 1],
}

impl LatencyHistogram {
    /// The latency at quantile `q` (0..=1): the highest value of the bucket holding that
    /// rank (never above the maximum). `None` when nothing was recorded.
    ///
    /// ```no_run
    /// let client = h2o_core::Client::new().unwrap();
    /// let p99 = client.metrics().latency.quantile(0.99);
    /// ```
    pub fn quantile(&self, q: f64) -> Option<Duration> {
        if self.count == 0 {
            return None;
        }
        let rank = ((q.clamp(0.0, 1.0) * self.count as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for b in &self.buckets {
            seen += b.count;
            if seen >= rank {
                return Some(Duration::from_micros(b.high_us.min(self.max_us)));
            }
        }
        Some(Duration::from_micros(self.max_us))
    }

    /// Mean latency, `None` when nothing was recorded.
    pub fn mean(&self) -> Option<Duration> {
        (self.count > 0).then(|| Duration::from_micros(self.sum_us / self.count))
    }

    fn q_us(&self, q: f64) -> u64 {
        self.quantile(q).map_or(0, |d| d.as_micros() as u64)
    }
}

/// Byte totals.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ByteCounts {
    /// Response body bytes received (DATA payload, padding excluded).
    pub body_received: u64,
    /// Request body bytes sent (DATA payload).
    pub body_sent: u64,
    /// Bytes read from the sockets (frames of every type, after TLS).
    pub wire_received: u64,
    /// Bytes written to the sockets (before TLS).
    pub wire_sent: u64,
}

/// Time streams spent with request-body bytes queued but no flow-control credit (stream
/// or connection window at zero).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FlowControlStalls {
    /// Stall episodes (a stream that waits, sends, and waits again counts twice).
    pub count: u64,
    /// Total time of the stall episodes that ended, summed over streams.
    pub stalled: Duration,
}

/// HPACK: field block bytes on the wire vs. the plain size of the fields (name + value).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HpackCounts {
    /// Encoded bytes of the request header blocks we sent.
    pub sent_encoded: u64,
    /// Plain size of the request fields we sent.
    pub sent_plain: u64,
    /// Encoded bytes of the response header blocks we received.
    pub received_encoded: u64,
    /// Plain size of the response fields we received.
    pub received_plain: u64,
}

impl HpackCounts {
    /// Encoded / plain for what we sent (`None` before the first request).
    pub fn sent_ratio(&self) -> Option<f64> {
        (self.sent_plain > 0).then(|| self.sent_encoded as f64 / self.sent_plain as f64)
    }

    /// Encoded / plain for what we received.
    pub fn received_ratio(&self) -> Option<f64> {
        (self.received_plain > 0).then(|| self.received_encoded as f64 / self.received_plain as f64)
    }
}

/// Reuse of each connection's read buffer: the core has no shared buffer pool; response
/// chunks are zero-copy slices of the connection's read buffer, so the buffer can be
/// refilled in place only once the caller released every chunk cut from it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BufferReuse {
    /// Refills that reused the existing allocation (no allocation).
    pub hits: u64,
    /// Refills that needed a new allocation (chunks of the old one still held).
    pub misses: u64,
}

/// A metrics snapshot of a client (see [`Client::metrics`](super::Client::metrics)).
///
/// ```no_run
/// let client = h2o_core::Client::new().unwrap();
/// let m = client.metrics();
/// println!("{} requests, p99 {:?}", m.latency.count, m.latency.quantile(0.99));
/// println!("{}", m.to_prometheus());
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Metrics {
    /// Time since the client started.
    pub uptime: Duration,
    /// Connections, requests, retries and pool acquisitions (same as `Client::stats`).
    pub stats: Stats,
    /// Latency of completed requests.
    pub latency: LatencyHistogram,
    /// Failed requests by error kind (every kind, zeros included).
    pub errors: Vec<(ErrorKind, u64)>,
    /// Byte totals.
    pub bytes: ByteCounts,
    /// Flow-control stalls.
    pub flow_control: FlowControlStalls,
    /// HPACK compression.
    pub hpack: HpackCounts,
    /// Read-buffer reuse.
    pub read_buffer: BufferReuse,
    /// Mid-read writes of new requests (`early_flush_frames`).
    pub early_flushes: u64,
}

fn per_second(n: u64, uptime: Duration) -> f64 {
    let s = uptime.as_secs_f64();
    if s > 0.0 {
        n as f64 / s
    } else {
        0.0
    }
}

impl Metrics {
    pub(crate) fn collect(r: &Recorder, stats: Stats, uptime: Duration) -> Metrics {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let errors = (1..KINDS as u32)
            .filter_map(ErrorKind::from_code)
            .map(|k| (k, g(&r.errors[k.code() as usize])))
            .collect();
        Metrics {
            uptime,
            stats,
            latency: r.latency.snapshot(),
            errors,
            bytes: ByteCounts {
                body_received: g(&r.body_bytes_received),
                body_sent: g(&r.body_bytes_sent),
                wire_received: g(&r.wire_bytes_received),
                wire_sent: g(&r.wire_bytes_sent),
            },
            flow_control: FlowControlStalls {
                count: g(&r.stalls),
                stalled: Duration::from_nanos(g(&r.stalled_ns)),
            },
            hpack: HpackCounts {
                sent_encoded: g(&r.header_encoded_sent),
                sent_plain: g(&r.header_plain_sent),
                received_encoded: g(&r.header_encoded_received),
                received_plain: g(&r.header_plain_received),
            },
            read_buffer: BufferReuse {
                hits: g(&r.read_buffer_reused),
                misses: g(&r.read_buffer_allocated),
            },
            early_flushes: g(&r.early_flushes),
        }
    }

    /// Failed requests of `kind`.
    pub fn errors_of(&self, kind: ErrorKind) -> u64 {
        self.errors
            .iter()
            .find(|(k, _)| *k == kind)
            .map_or(0, |(_, n)| *n)
    }

    /// Completed requests per second since the client started.
    pub fn requests_per_second(&self) -> f64 {
        per_second(self.stats.requests_completed, self.uptime)
    }

    /// Response body bytes per second since the client started.
    pub fn bytes_received_per_second(&self) -> f64 {
        per_second(self.bytes.body_received, self.uptime)
    }

    /// Request body bytes per second since the client started.
    pub fn bytes_sent_per_second(&self) -> f64 {
        per_second(self.bytes.body_sent, self.uptime)
    }

    /// The snapshot as one JSON object (the shape the C, Python and Node front ends and
    /// `h2o --stats` return; documented in the README's metrics section).
    ///
    /// ```no_run
    /// let client = h2o_core::Client::new().unwrap();
    /// let json = client.metrics().to_json();
    /// assert!(json.starts_with('{'));
    /// ```
    pub fn to_json(&self) -> String {
        let mut w = JsonWriter::new();
        let s = &self.stats;
        let l = &self.latency;
        w.begin_object();
        w.field_f64("uptime_seconds", self.uptime.as_secs_f64());
        w.key("requests").begin_object();
        w.field_u64("submitted", s.requests_submitted)
            .field_u64("completed", s.requests_completed)
            .field_u64("failed", s.requests_failed)
            .field_u64("retried", s.requests_retried)
            .field_u64("in_flight", s.requests_in_flight())
            .field_f64("completed_per_second", self.requests_per_second());
        w.end_object();
        w.key("latency_us").begin_object();
        w.field_u64("count", l.count)
            .field_u64("sum", l.sum_us)
            .field_u64("mean", l.mean().map_or(0, |d| d.as_micros() as u64))
            .field_u64("p50", l.q_us(0.50))
            .field_u64("p90", l.q_us(0.90))
            .field_u64("p99", l.q_us(0.99))
            .field_u64("p999", l.q_us(0.999))
            .field_u64("max", l.max_us);
        w.key("buckets").begin_array();
        for b in &l.buckets {
            w.begin_array()
                .u64(b.low_us)
                .u64(b.high_us)
                .u64(b.count)
                .end_array();
        }
        w.end_array();
        w.end_object();
        w.key("errors").begin_object();
        for (k, n) in &self.errors {
            w.field_u64(k.name(), *n);
        }
        w.end_object();
        w.key("bytes").begin_object();
        w.field_u64("body_received", self.bytes.body_received)
            .field_u64("body_sent", self.bytes.body_sent)
            .field_u64("wire_received", self.bytes.wire_received)
            .field_u64("wire_sent", self.bytes.wire_sent)
            .field_f64("body_received_per_second", self.bytes_received_per_second())
            .field_f64("body_sent_per_second", self.bytes_sent_per_second());
        w.end_object();
        w.key("flow_control").begin_object();
        w.field_u64("stalls", self.flow_control.count)
            .field_f64("stalled_seconds", self.flow_control.stalled.as_secs_f64());
        w.end_object();
        let h = &self.hpack;
        w.key("hpack").begin_object();
        w.field_u64("sent_encoded", h.sent_encoded)
            .field_u64("sent_plain", h.sent_plain)
            .field_u64("received_encoded", h.received_encoded)
            .field_u64("received_plain", h.received_plain);
        w.key("sent_ratio").f64(h.sent_ratio().unwrap_or(f64::NAN));
        w.key("received_ratio")
            .f64(h.received_ratio().unwrap_or(f64::NAN));
        w.end_object();
        w.key("read_buffer").begin_object();
        w.field_u64("hits", self.read_buffer.hits)
            .field_u64("misses", self.read_buffer.misses);
        w.end_object();
        w.field_u64("early_flushes", self.early_flushes);
        w.key("pool").begin_object();
        w.field_u64("connections_open", s.connections.len() as u64)
            .field_u64("connections_created", s.connections_created)
            .field_u64("open_streams", s.open_streams())
            .field_u64("queued", s.connections.iter().map(|c| c.queued).sum())
            .field_u64("acquisitions_hit", s.acquisitions_hit)
            .field_u64("acquisitions_miss", s.acquisitions_miss);
        w.key("closed").begin_object();
        for (name, n) in close_reasons(s) {
            w.field_u64(name, n);
        }
        w.end_object();
        w.end_object();
        w.end_object();
        w.finish()
    }

    /// The snapshot in the Prometheus text exposition format (version 0.0.4): counters
    /// `h2o_requests_total`, `h2o_request_errors_total{kind=...}`, the
    /// `h2o_request_duration_seconds` histogram and more, each with `# HELP` and `# TYPE`.
    ///
    /// ```no_run
    /// let client = h2o_core::Client::new().unwrap();
    /// let text = client.metrics().to_prometheus();
    /// assert!(text.contains("# TYPE h2o_requests_total counter"));
    /// ```
    pub fn to_prometheus(&self) -> String {
        let mut o = String::with_capacity(4096);
        let s = &self.stats;
        let family = |o: &mut String, name: &str, kind: &str, help: &str| {
            let _ = writeln!(o, "# HELP {name} {help}\n# TYPE {name} {kind}");
        };
        let one = |o: &mut String, name: &str, labels: &str, v: f64| {
            if labels.is_empty() {
                let _ = writeln!(o, "{name} {v}");
            } else {
                let _ = writeln!(o, "{name}{{{labels}}} {v}");
            }
        };
        let counters: [(&str, &str, u64); 6] = [
            (
                "h2o_requests_submitted_total",
                "Requests submitted by callers.",
                s.requests_submitted,
            ),
            (
                "h2o_requests_total",
                "Requests that ended with a response.",
                s.requests_completed,
            ),
            (
                "h2o_requests_failed_total",
                "Requests that ended with an error.",
                s.requests_failed,
            ),
            (
                "h2o_request_retries_total",
                "Transparent retries of unprocessed requests.",
                s.requests_retried,
            ),
            (
                "h2o_connections_created_total",
                "Connections opened.",
                s.connections_created,
            ),
            (
                "h2o_flow_control_stalls_total",
                "Times a stream waited for flow-control credit to send its body.",
                self.flow_control.count,
            ),
        ];
        for (name, help, v) in counters {
            family(&mut o, name, "counter", help);
            one(&mut o, name, "", v as f64);
        }
        family(
            &mut o,
            "h2o_flow_control_stall_seconds_total",
            "counter",
            "Time streams spent waiting for flow-control credit (ended stalls).",
        );
        one(
            &mut o,
            "h2o_flow_control_stall_seconds_total",
            "",
            self.flow_control.stalled.as_secs_f64(),
        );
        family(
            &mut o,
            "h2o_request_errors_total",
            "counter",
            "Failed requests by error kind.",
        );
        for (k, n) in &self.errors {
            one(
                &mut o,
                "h2o_request_errors_total",
                &format!("kind=\"{}\"", k.name()),
                *n as f64,
            );
        }
        family(
            &mut o,
            "h2o_connections_closed_total",
            "counter",
            "Connections closed, by reason.",
        );
        for (reason, n) in close_reasons(s) {
            one(
                &mut o,
                "h2o_connections_closed_total",
                &format!("reason=\"{reason}\""),
                n as f64,
            );
        }
        family(
            &mut o,
            "h2o_pool_acquisitions_total",
            "counter",
            "Requests routed to an existing connection (hit) or needing a new one (miss).",
        );
        one(
            &mut o,
            "h2o_pool_acquisitions_total",
            "result=\"hit\"",
            s.acquisitions_hit as f64,
        );
        one(
            &mut o,
            "h2o_pool_acquisitions_total",
            "result=\"miss\"",
            s.acquisitions_miss as f64,
        );
        let bytes: [(&str, &str, u64); 4] = [
            (
                "h2o_response_body_bytes_total",
                "Response body bytes received.",
                self.bytes.body_received,
            ),
            (
                "h2o_request_body_bytes_total",
                "Request body bytes sent.",
                self.bytes.body_sent,
            ),
            (
                "h2o_wire_received_bytes_total",
                "Bytes read from sockets.",
                self.bytes.wire_received,
            ),
            (
                "h2o_wire_sent_bytes_total",
                "Bytes written to sockets.",
                self.bytes.wire_sent,
            ),
        ];
        for (name, help, v) in bytes {
            family(&mut o, name, "counter", help);
            one(&mut o, name, "", v as f64);
        }
        family(
            &mut o,
            "h2o_hpack_bytes_total",
            "counter",
            "Header bytes: HPACK-encoded on the wire vs. plain field size.",
        );
        let h = &self.hpack;
        for (dir, form, v) in [
            ("sent", "encoded", h.sent_encoded),
            ("sent", "plain", h.sent_plain),
            ("received", "encoded", h.received_encoded),
            ("received", "plain", h.received_plain),
        ] {
            one(
                &mut o,
                "h2o_hpack_bytes_total",
                &format!("direction=\"{dir}\",form=\"{form}\""),
                v as f64,
            );
        }
        family(
            &mut o,
            "h2o_read_buffer_refills_total",
            "counter",
            "Read buffer refills that reused the allocation (hit) or allocated (miss).",
        );
        one(
            &mut o,
            "h2o_read_buffer_refills_total",
            "result=\"hit\"",
            self.read_buffer.hits as f64,
        );
        one(
            &mut o,
            "h2o_read_buffer_refills_total",
            "result=\"miss\"",
            self.read_buffer.misses as f64,
        );
        family(
            &mut o,
            "h2o_early_flushes_total",
            "counter",
            "Mid-read writes of new requests (early_flush_frames).",
        );
        one(
            &mut o,
            "h2o_early_flushes_total",
            "",
            self.early_flushes as f64,
        );
        let gauges: [(&str, &str, f64); 5] = [
            (
                "h2o_connections_open",
                "Live connections.",
                s.connections.len() as f64,
            ),
            (
                "h2o_streams_open",
                "Streams open across connections.",
                s.open_streams() as f64,
            ),
            (
                "h2o_requests_queued",
                "Requests waiting for a stream slot.",
                s.connections.iter().map(|c| c.queued).sum::<u64>() as f64,
            ),
            (
                "h2o_requests_in_flight",
                "Requests submitted and not yet ended.",
                s.requests_in_flight() as f64,
            ),
            (
                "h2o_uptime_seconds",
                "Time since the client started.",
                self.uptime.as_secs_f64(),
            ),
        ];
        for (name, help, v) in gauges {
            family(&mut o, name, "gauge", help);
            one(&mut o, name, "", v);
        }
        let name = "h2o_request_duration_seconds";
        family(
            &mut o,
            name,
            "histogram",
            "Latency of completed requests, submit to end of response.",
        );
        let l = &self.latency;
        let mut cumulative = 0;
        for (i, bound) in PROM_BOUNDS_US.iter().enumerate() {
            cumulative += l.prom[i];
            let le = *bound as f64 / 1e6;
            let _ = writeln!(o, "{name}_bucket{{le=\"{le}\"}} {cumulative}");
        }
        cumulative += l.prom[PROM_BOUNDS_US.len()];
        let _ = writeln!(o, "{name}_bucket{{le=\"+Inf\"}} {cumulative}");
        let _ = writeln!(o, "{name}_sum {}", l.sum_us as f64 / 1e6);
        let _ = writeln!(o, "{name}_count {cumulative}");
        o
    }
}

fn close_reasons(s: &Stats) -> [(&'static str, u64); 8] {
    let c = &s.closed;
    [
        ("goaway", c.goaway),
        ("io", c.io),
        ("timeout", c.timeout),
        ("protocol", c.protocol),
        ("client", c.client),
        ("idle", c.idle),
        ("evicted", c.evicted),
        ("connect_failed", c.connect_failed),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_contiguous_and_cover_every_value() {
        let mut prev_high = None;
        for i in 0..BUCKETS {
            let (low, high) = bucket_range(i);
            assert!(low <= high);
            if let Some(p) = prev_high {
                assert_eq!(low, p + 1, "bucket {i}");
            }
            assert_eq!(bucket_index(low), i);
            assert_eq!(bucket_index(high), i);
            prev_high = Some(high);
        }
        assert_eq!(prev_high, Some(MAX_US));
        assert_eq!(bucket_index(u64::MAX), BUCKETS - 1);
    }

    #[test]
    fn relative_error_is_at_most_one_thirty_second() {
        for v in [64u64, 100, 999, 12_345, 1_000_000, 987_654_321] {
            let (low, high) = bucket_range(bucket_index(v));
            assert!(
                (high - low) as f64 <= low as f64 / 32.0,
                "{v}: {low}..{high}"
            );
        }
    }

    #[test]
    fn quantiles_of_a_known_distribution() {
        let h = Histogram::default();
        for us in 1..=1000u64 {
            h.record(Duration::from_micros(us));
        }
        let s = h.snapshot();
        assert_eq!(s.count, 1000);
        assert_eq!(s.max_us, 1000);
        assert_eq!(s.sum_us, 500_500);
        let within = |q: f64, want: u64| {
            let got = s.quantile(q).unwrap().as_micros() as u64;
            assert!(
                got >= want && got as f64 <= want as f64 * 1.032,
                "q{q}: {got} vs {want}"
            );
        };
        within(0.5, 500);
        within(0.9, 900);
        within(0.99, 990);
        within(0.999, 999);
        assert_eq!(s.quantile(1.0).unwrap(), Duration::from_micros(1000));
        // Prometheus buckets are exact: 100 values <= 100 µs, 1000 in total.
        assert_eq!(s.prom[0], 100);
        assert_eq!(s.prom.iter().sum::<u64>(), 1000);
        assert_eq!(Histogram::default().snapshot().quantile(0.5), None);
    }
}
