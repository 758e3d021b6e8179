//! A snapshot of what the client's connections and requests are doing, for operators and
//! tests (every front end exposes the same figures).

use std::sync::atomic::{AtomicU64, Ordering};

/// Live counters shared by the pool and the connection tasks (relaxed atomics: each is
/// exact on its own; a snapshot is not one instant across all of them).
#[derive(Default, Debug)]
pub(crate) struct Counters {
    pub connections_created: AtomicU64,
    pub closed_goaway: AtomicU64,
    pub closed_io: AtomicU64,
    pub closed_timeout: AtomicU64,
    pub closed_protocol: AtomicU64,
    pub closed_client: AtomicU64,
    pub closed_idle: AtomicU64,
    pub closed_evicted: AtomicU64,
    pub closed_connect_failed: AtomicU64,
    pub requests_completed: AtomicU64,
    pub requests_failed: AtomicU64,
    pub requests_retried: AtomicU64,
    /// Counted by the submitting threads, on every request.
    pub submit: SubmitCounters,
    /// Latency, bytes, errors by kind and the rest of [`super::Metrics`].
    pub metrics: super::metrics::Recorder,
}

/// The counters a submitting thread bumps for every request, on a cache line of their
/// own: the runtime thread writes the others for every request too, and a line both
/// write moves between their cores each time.
#[derive(Default, Debug)]
#[repr(align(128))]
pub(crate) struct SubmitCounters {
    pub requests_submitted: AtomicU64,
    pub acquisitions_hit: AtomicU64,
    pub acquisitions_miss: AtomicU64,
}

impl Counters {
    pub fn inc(c: &AtomicU64) {
        c.fetch_add(1, Ordering::Relaxed);
    }

    /// A request ended with an error of `kind`.
    pub fn failed(&self, kind: crate::error::ErrorKind) {
        Counters::inc(&self.requests_failed);
        self.metrics.error(kind);
    }
}

/// Why connections closed, counted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CloseReasons {
    /// After the server's GOAWAY (graceful or not).
    pub goaway: u64,
    /// The socket failed or the server closed it.
    pub io: u64,
    /// SETTINGS or PING timeouts.
    pub timeout: u64,
    /// A protocol error (ours or the server's).
    pub protocol: u64,
    /// Closed by the client (shutdown, drained).
    pub client: u64,
    /// Idle for longer than `pool.idle_timeout`.
    pub idle: u64,
    /// Evicted to stay within `pool.max_connections_total`.
    pub evicted: u64,
    /// Never established (connect or TLS failure).
    pub connect_failed: u64,
}

/// One connection as the pool sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectionStats {
    /// Connection id (unique per client).
    pub id: u64,
    /// `scheme://host:port`.
    pub origin: String,
    /// Still connecting (TCP/TLS/preface).
    pub connecting: bool,
    /// Accepting new requests (false once draining: GOAWAY, ids exhausted, errors).
    pub accepting: bool,
    /// Streams open on it.
    pub open_streams: u64,
    /// Requests waiting for a stream slot on it.
    pub queued: u64,
    /// The server's concurrent-stream limit (100 until its SETTINGS arrive).
    pub max_streams: u64,
    /// Last measured PING round trip in microseconds (0: not measured yet).
    pub rtt_us: u64,
}

/// A snapshot of the client: connections, requests, acquisitions.
///
/// ```no_run
/// let client = h2o_core::Client::new().unwrap();
/// let s = client.stats();
/// println!("{} connections, {} requests in flight", s.connections.len(), s.requests_in_flight());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Live connections.
    pub connections: Vec<ConnectionStats>,
    /// Connections opened since the client started.
    pub connections_created: u64,
    /// Connections closed, by reason.
    pub closed: CloseReasons,
    /// Requests submitted by callers.
    pub requests_submitted: u64,
    /// Requests that ended with a response.
    pub requests_completed: u64,
    /// Requests that ended with an error.
    pub requests_failed: u64,
    /// Transparent retries (a request retried twice counts twice).
    pub requests_retried: u64,
    /// Requests routed to an existing connection.
    pub acquisitions_hit: u64,
    /// Requests that had to open a connection.
    pub acquisitions_miss: u64,
}

impl Stats {
    /// Requests submitted but not yet ended.
    pub fn requests_in_flight(&self) -> u64 {
        self.requests_submitted
            .saturating_sub(self.requests_completed + self.requests_failed)
    }

    /// Streams open across all connections.
    pub fn open_streams(&self) -> u64 {
        self.connections.iter().map(|c| c.open_streams).sum()
    }

    pub(crate) fn from_counters(c: &Counters, connections: Vec<ConnectionStats>) -> Stats {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        Stats {
            connections,
            connections_created: g(&c.connections_created),
            closed: CloseReasons {
                goaway: g(&c.closed_goaway),
                io: g(&c.closed_io),
                timeout: g(&c.closed_timeout),
                protocol: g(&c.closed_protocol),
                client: g(&c.closed_client),
                idle: g(&c.closed_idle),
                evicted: g(&c.closed_evicted),
                connect_failed: g(&c.closed_connect_failed),
            },
            requests_submitted: g(&c.submit.requests_submitted),
            requests_completed: g(&c.requests_completed),
            requests_failed: g(&c.requests_failed),
            requests_retried: g(&c.requests_retried),
            acquisitions_hit: g(&c.submit.acquisitions_hit),
            acquisitions_miss: g(&c.submit.acquisitions_miss),
        }
    }
}
