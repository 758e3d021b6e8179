//! What a connection can tell about itself: counters for the client's metrics and a
//! point-in-time snapshot for the debug dump. (A child module of `connection`, so the
//! state machine keeps its fields private.)

use std::num::NonZeroU64;
use std::time::{Duration, Instant};

use super::{Connection, State, Stream};
use crate::frame::StreamId;
use crate::proto::{PeerSettings, RequestId, StreamState};

/// Counters a connection keeps for the client's metrics (plain integers: one owner).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct ConnMetrics {
    /// Response DATA payload bytes received on open streams (padding excluded).
    pub data_bytes_received: u64,
    /// Request DATA payload bytes queued for the socket.
    pub data_bytes_sent: u64,
    /// HPACK-encoded size of the request header blocks sent.
    pub header_bytes_sent_encoded: u64,
    /// Plain size (name + value bytes) of the request fields sent.
    pub header_bytes_sent_plain: u64,
    /// Size of the response header blocks received.
    pub header_bytes_received_encoded: u64,
    /// Plain size of the response fields received.
    pub header_bytes_received_plain: u64,
    /// Times a stream had body bytes to send and no flow-control credit.
    pub stalls: u64,
    /// Total time of the stalls that ended (nanoseconds, summed over streams).
    pub stalled_ns: u64,
}

/// Microseconds from `epoch` to `t` (0 if earlier).
fn micros(t: Instant, epoch: Instant) -> u64 {
    t.saturating_duration_since(epoch).as_micros() as u64
}

/// A stream starts waiting for credit (counted once per episode).
pub(super) fn stall(m: &mut ConnMetrics, s: &mut Stream, now: Instant, epoch: Instant) {
    if s.stalled_since.is_none() {
        s.stalled_since = NonZeroU64::new(micros(now, epoch) + 1);
        m.stalls += 1;
    }
}

/// How long a stall that began at `since` (see [`stall`]) has lasted at `now`.
fn stalled_for(since: NonZeroU64, now: Instant, epoch: Instant) -> Duration {
    Duration::from_micros(micros(now, epoch).saturating_sub(since.get() - 1))
}

/// A stall episode ended (the stream sent again, or it went away).
pub(super) fn stall_end(
    m: &mut ConnMetrics,
    since: Option<NonZeroU64>,
    now: Instant,
    epoch: Instant,
) {
    if let Some(t) = since {
        m.stalled_ns += stalled_for(t, now, epoch).as_nanos() as u64;
    }
}

/// One open stream in a [`ConnSnapshot`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamSnapshot {
    /// The HTTP/2 stream id.
    pub stream_id: u32,
    /// The request it carries.
    pub request: RequestId,
    /// RFC 9113 §5.1 state.
    pub state: StreamState,
    /// Whether the final response head arrived.
    pub head_received: bool,
    /// Our send window on the stream (may be negative after a SETTINGS change).
    pub send_window: i64,
    /// Our receive window on the stream.
    pub recv_window: i64,
    /// Request body bytes waiting to be sent.
    pub send_buffered: u64,
    /// Response body bytes received.
    pub received: u64,
    /// Time since the stream opened.
    pub age: Duration,
    /// How long it has been waiting for flow-control credit, if it is.
    pub stalled_for: Option<Duration>,
}

/// A request waiting for a stream slot in a [`ConnSnapshot`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueuedSnapshot {
    /// The request.
    pub request: RequestId,
    /// Body bytes it has buffered.
    pub body_len: u64,
}

/// A point-in-time view of a connection, for debugging.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnSnapshot {
    /// `"open"`, `"draining"` or `"closed"`.
    pub state: &'static str,
    /// The settings we sent (SETTINGS_INITIAL_WINDOW_SIZE: the current adaptive value).
    pub local_settings: PeerSettings,
    /// The server's settings in force (defaults until they arrive).
    pub peer_settings: PeerSettings,
    /// Whether the server's SETTINGS arrived.
    pub peer_settings_received: bool,
    /// Whether the server acknowledged ours.
    pub settings_acked: bool,
    /// Connection-level send window (credit the server gave us).
    pub send_window: i64,
    /// Connection-level receive window (credit we gave the server, not yet used).
    pub recv_window: i64,
    /// Our connection receive window size (grows with the adaptive window).
    pub conn_window_size: u32,
    /// Response bytes delivered to callers and not yet released.
    pub buffered: u64,
    /// The next stream id to use.
    pub next_stream_id: u32,
    /// Last stream id of the server's GOAWAY, if one arrived.
    pub goaway_last_stream: Option<u32>,
    /// Last measured PING round trip.
    pub rtt: Option<Duration>,
    /// Open streams, by stream id.
    pub streams: Vec<StreamSnapshot>,
    /// Requests waiting for a stream slot, in order.
    pub queued: Vec<QueuedSnapshot>,
    /// The connection's counters.
    pub metrics: ConnMetrics,
}

impl Connection {
    /// Counters for the client's metrics.
    pub fn metrics(&self) -> &ConnMetrics {
        &self.metrics
    }

    /// Tells the connection the current time for statistics only (keeps the timestamps of
    /// stall and stream statistics fresh between reads; timers and budgets still advance
    /// only through [`process`](Self::process) and [`handle_timeout`](Self::handle_timeout)).
    pub fn set_now(&mut self, now: Instant) {
        if now > self.stats_now {
            self.stats_now = now;
        }
    }

    /// A snapshot of the connection's state at `now`.
    ///
    /// ```
    /// use std::time::Instant;
    /// use h2o_core::proto::{Connection, ProtoConfig};
    /// let conn = Connection::new(ProtoConfig::default(), Instant::now());
    /// assert_eq!(conn.snapshot(Instant::now()).state, "open");
    /// ```
    pub fn snapshot(&self, now: Instant) -> ConnSnapshot {
        let mut streams: Vec<StreamSnapshot> = self
            .streams
            .iter()
            .map(|(sid, s)| StreamSnapshot {
                stream_id: sid.value(),
                request: s.req,
                state: s.state(),
                head_received: s.phase == super::Phase::Body,
                send_window: s.send_window.get(),
                recv_window: s.recv_window.get(),
                send_buffered: s.send_buffered as u64,
                received: s.received,
                age: now.saturating_duration_since(
                    self.epoch + Duration::from_millis(s.opened_ms as u64),
                ),
                stalled_for: s.stalled_since.map(|t| stalled_for(t, now, self.epoch)),
            })
            .collect();
        streams.sort_unstable_by_key(|s| s.stream_id);
        let c = &self.cfg;
        ConnSnapshot {
            state: match self.state {
                State::Open => "open",
                State::Draining => "draining",
                State::Closed => "closed",
            },
            local_settings: PeerSettings {
                max_concurrent_streams: c.max_concurrent_streams,
                initial_window_size: self.stream_window,
                max_frame_size: c.max_frame_size,
                max_header_list_size: c.max_header_list_size,
                header_table_size: c.header_table_size,
            },
            peer_settings: self.peer,
            peer_settings_received: self.got_peer_settings,
            settings_acked: self.settings_acked,
            send_window: self.send_window.get(),
            recv_window: self.recv_window.get(),
            conn_window_size: self.conn_window,
            buffered: self.buffered,
            next_stream_id: self.next_stream_id,
            goaway_last_stream: self.goaway_last.map(StreamId::value),
            rtt: self.rtt,
            streams,
            queued: self
                .queue
                .iter()
                .map(|p| QueuedSnapshot {
                    request: p.id,
                    body_len: p.body_len as u64,
                })
                .collect(),
            metrics: self.metrics,
        }
    }
}
