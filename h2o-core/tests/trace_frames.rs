//! The frame trace (target `h2o::proto::frame`): every frame sent and received appears at
//! TRACE level with type, flags, stream and length, header lists decoded, and credentials
//! and cookies redacted. Captured with a thread-local subscriber (no global state).

mod common;

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use common::*;
use h2o_core::log::format_event;
use h2o_core::trace::REDACTED;
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<(Level, String, String)>>>);

impl<S: Subscriber> Layer<S> for Capture {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let (mut msg, mut scratch) = (String::new(), String::new());
        format_event(event, &mut msg, &mut scratch);
        let m = event.metadata();
        self.0
            .lock()
            .unwrap()
            .push((*m.level(), m.target().to_owned(), msg));
    }
}

fn captured(filter: &str, f: impl FnOnce()) -> Vec<(Level, String, String)> {
    let cap = Capture::default();
    let sub = tracing_subscriber::registry()
        .with(tracing_subscriber::EnvFilter::new(filter))
        .with(cap.clone());
    tracing::subscriber::with_default(sub, f);
    let out = cap.0.lock().unwrap().clone();
    out
}

fn exchange() {
    let mut p = Pair::ready(small_cfg(), server_settings());
    p.conn.set_trace_id(42);
    let mut head = get("/secret-path");
    head.headers.append("authorization", "Bearer secret-token");
    head.headers
        .append("cookie", "session=secret-cookie-value-that-is-long");
    head.headers.append("x-game", "level-3");
    p.conn
        .submit(h2o_core::proto::RequestId(1), head, None, true);
    let _ = p.read();
    p.send_headers(
        1,
        &[
            (":status", "200"),
            ("set-cookie", "id=secret-set-cookie"),
            ("content-type", "text/plain"),
        ],
        false,
    );
    p.send_data(1, Bytes::from_static(b"hello"), true);
    while p.conn.poll_event().is_some() {}
}

#[test]
fn every_frame_is_traced_with_headers_redacted() {
    let events = captured("h2o::proto=trace", exchange);
    let frames: Vec<&str> = events
        .iter()
        .filter(|(l, t, _)| *l == Level::TRACE && t == "h2o::proto::frame")
        .map(|(_, _, m)| m.as_str())
        .collect();
    let all = frames.join("\n");
    // Client side: preface SETTINGS, the request HEADERS with its decoded list.
    assert!(all.contains("send SETTINGS frame <length="), "{all}");
    let headers = frames
        .iter()
        .find(|m| m.starts_with("send HEADERS frame <length="))
        .unwrap_or_else(|| panic!("no send HEADERS in {all}"));
    assert!(headers.contains("flags=0x05, stream_id=1>"), "{headers}");
    assert!(headers.contains("; END_STREAM | END_HEADERS"), "{headers}");
    assert!(headers.contains(":method: GET"), "{headers}");
    assert!(headers.contains(":path: /secret-path"), "{headers}");
    assert!(headers.contains("x-game: level-3"), "{headers}");
    assert!(
        headers.contains(&format!("authorization: {REDACTED}")),
        "{headers}"
    );
    assert!(
        headers.contains(&format!("cookie: {REDACTED}")),
        "{headers}"
    );
    assert!(headers.contains("conn=42"), "{headers}");
    // Server side: SETTINGS, the response HEADERS decoded, DATA with END_STREAM.
    assert!(all.contains("recv SETTINGS frame <length="), "{all}");
    assert!(all.contains("recv HEADERS frame <length="), "{all}");
    let block = frames
        .iter()
        .find(|m| m.starts_with("recv header block <stream_id=1>"))
        .unwrap_or_else(|| panic!("no recv header block in {all}"));
    assert!(block.contains(":status: 200"), "{block}");
    assert!(block.contains("content-type: text/plain"), "{block}");
    assert!(
        block.contains(&format!("set-cookie: {REDACTED}")),
        "{block}"
    );
    assert!(
        all.contains("recv DATA frame <length=5, flags=0x01, stream_id=1>"),
        "{all}"
    );
    assert!(!all.contains("secret-token"), "{all}");
    assert!(!all.contains("secret-cookie"), "{all}");
    assert!(!all.contains("secret-set-cookie"), "{all}");
    // Stream lifecycle at debug on h2o::proto, with the request id as correlation id.
    assert!(
        events.iter().any(|(l, t, m)| *l == Level::DEBUG
            && t == "h2o::proto"
            && m.starts_with("stream opened")
            && m.contains("request=1")
            && m.contains("stream=1")),
        "{events:?}"
    );
}

#[test]
fn debug_filter_leaves_frames_out() {
    let events = captured("h2o=debug", exchange);
    assert!(events.iter().all(|(_, t, _)| t != "h2o::proto::frame"));
    assert!(events
        .iter()
        .any(|(_, t, m)| t == "h2o::proto" && m.starts_with("server SETTINGS")));
}

#[test]
fn a_header_block_split_into_continuation_is_traced_frame_by_frame() {
    let events = captured("h2o::proto::frame=trace", || {
        let mut p = Pair::ready(small_cfg(), server_settings());
        let mut head = get("/big");
        head.headers.append("x-big", "~".repeat(20_000));
        p.conn
            .submit(h2o_core::proto::RequestId(1), head, None, true);
        let _ = p.read();
    });
    let sent: Vec<&str> = events
        .iter()
        .map(|(_, _, m)| m.as_str())
        .filter(|m| m.starts_with("send HEADERS") || m.starts_with("send CONTINUATION"))
        .collect();
    assert_eq!(sent.len(), 2, "{sent:?}");
    // END_STREAM only on HEADERS, END_HEADERS only on the CONTINUATION; the header list
    // follows the HEADERS line.
    assert!(
        sent[0].starts_with("send HEADERS frame <length=16384, flags=0x01, stream_id=1>"),
        "{}",
        &sent[0][..80]
    );
    assert!(sent[0].contains(":path: /big"));
    assert!(
        sent[1].starts_with("send CONTINUATION frame <length="),
        "{}",
        sent[1]
    );
    assert!(sent[1].contains("flags=0x04, stream_id=1>"), "{}", sent[1]);
    assert!(sent[1].contains("; END_HEADERS"));
}
