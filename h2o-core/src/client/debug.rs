//! The debug dump: every connection's state, settings, windows, open streams and queued
//! requests, gathered from the connection tasks (each answers a snapshot command between
//! two passes of its loop) and rendered as JSON.

use std::time::Duration;

use super::json::JsonWriter;
use crate::proto::{ConnSnapshot, PeerSettings, StreamState};

/// What a connection task answers to `Command::Snapshot`.
pub(crate) struct ConnDump {
    pub id: u64,
    pub conn: ConnSnapshot,
    /// Age of every request the connection carries (since the caller submitted it).
    pub request_ages: Vec<(u64, Duration)>,
    /// Requests waiting for a liveness PING before they go out.
    pub parked: usize,
    /// A PING went unanswered past the soft timeout.
    pub soft_dead: bool,
}

/// One connection as the pool sees it, with its task's answer if it gave one.
pub(crate) struct ConnEntry {
    pub id: u64,
    pub origin: String,
    pub lane: u32,
    pub connecting: bool,
    pub accepting: bool,
    /// Requests routed to it that its task has not picked up yet.
    pub inbound: u64,
    pub dump: Option<ConnDump>,
}

/// The whole dump.
pub(crate) struct DebugDump {
    pub uptime: Duration,
    pub connections: Vec<ConnEntry>,
    /// Requests waiting out a retry backoff in the pool.
    pub delayed: usize,
    pub requests_in_flight: u64,
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

fn state_name(s: StreamState) -> &'static str {
    match s {
        StreamState::Idle => "idle",
        StreamState::Open => "open",
        StreamState::HalfClosedLocal => "half_closed_local",
        StreamState::HalfClosedRemote => "half_closed_remote",
        StreamState::Closed => "closed",
    }
}

fn settings(w: &mut JsonWriter, key: &str, s: &PeerSettings) {
    w.key(key).begin_object();
    w.field_u64("header_table_size", s.header_table_size as u64)
        .field_u64("max_concurrent_streams", s.max_concurrent_streams as u64)
        .field_u64("initial_window_size", s.initial_window_size as u64)
        .field_u64("max_frame_size", s.max_frame_size as u64)
        .field_u64("max_header_list_size", s.max_header_list_size as u64);
    w.end_object();
}

impl DebugDump {
    pub fn to_json(&self) -> String {
        let mut w = JsonWriter::new();
        w.begin_object();
        w.field_f64("uptime_seconds", self.uptime.as_secs_f64())
            .field_u64("requests_in_flight", self.requests_in_flight)
            .field_u64("requests_delayed", self.delayed as u64);
        w.key("connections").begin_array();
        for c in &self.connections {
            w.begin_object();
            w.field_u64("id", c.id)
                .field_str("origin", &c.origin)
                .field_u64("lane", c.lane as u64)
                .field_bool("accepting", c.accepting)
                .field_u64("inbound", c.inbound);
            let Some(d) = &c.dump else {
                let state = if c.connecting {
                    "connecting"
                } else {
                    "unresponsive"
                };
                w.field_str("state", state);
                w.end_object();
                continue;
            };
            let s = &d.conn;
            w.field_str("state", s.state)
                .field_bool("soft_dead", d.soft_dead)
                .key("rtt_us")
                .opt_u64(s.rtt.map(|r| r.as_micros() as u64));
            settings(&mut w, "local_settings", &s.local_settings);
            settings(&mut w, "peer_settings", &s.peer_settings);
            w.field_bool("peer_settings_received", s.peer_settings_received)
                .field_bool("settings_acked", s.settings_acked);
            w.key("windows").begin_object();
            w.key("send").i64(s.send_window);
            w.key("recv").i64(s.recv_window);
            w.field_u64("recv_size", s.conn_window_size as u64);
            w.end_object();
            w.field_u64("buffered", s.buffered)
                .field_u64("next_stream_id", s.next_stream_id as u64)
                .key("goaway_last_stream")
                .opt_u64(s.goaway_last_stream.map(u64::from));
            w.key("streams").begin_array();
            for st in &s.streams {
                w.begin_object();
                w.field_u64("stream_id", st.stream_id as u64)
                    .field_u64("request_id", st.request.0)
                    .field_str("state", state_name(st.state))
                    .field_bool("head_received", st.head_received);
                w.key("send_window").i64(st.send_window);
                w.key("recv_window").i64(st.recv_window);
                w.field_u64("send_buffered", st.send_buffered)
                    .field_u64("received", st.received)
                    .field_f64("age_ms", ms(st.age));
                let req_age = d.request_ages.iter().find(|(id, _)| *id == st.request.0);
                w.key("request_age_ms");
                match req_age {
                    Some((_, a)) => w.f64(ms(*a)),
                    None => w.null(),
                };
                w.key("stalled_ms");
                match st.stalled_for {
                    Some(t) => w.f64(ms(t)),
                    None => w.null(),
                };
                w.end_object();
            }
            w.end_array();
            w.key("queued").begin_array();
            for q in &s.queued {
                w.begin_object();
                w.field_u64("request_id", q.request.0)
                    .field_u64("body_len", q.body_len);
                if let Some((_, a)) = d.request_ages.iter().find(|(id, _)| *id == q.request.0) {
                    w.field_f64("request_age_ms", ms(*a));
                }
                w.end_object();
            }
            w.end_array();
            w.field_u64("parked", d.parked as u64);
            w.end_object();
        }
        w.end_array();
        w.end_object();
        w.finish()
    }
}
