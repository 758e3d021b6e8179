//! Tracing targets and the frame trace: every frame sent and received, formatted like
//! `nghttp -v`, emitted at TRACE level on the target [`FRAME`] (`h2o::proto::frame`).
//!
//! Targets (filter them with `H2O_LOG`, see [`crate::log`]):
//!
//! | target | what |
//! | --- | --- |
//! | `h2o::proto` | connection state machine: SETTINGS, GOAWAY, stream open/close/reset, protocol errors |
//! | `h2o::proto::frame` | one TRACE event per frame sent or received, header lists decoded and redacted |
//! | `h2o::transport` | TCP connect, TLS handshake, connection end, I/O errors |
//! | `h2o::pool` | connection choice, new connections, retries of unprocessed requests |
//! | `h2o::client` | request submitted (path without the query string), client closing |
//!
//! Structured fields: `conn` (connection id, unique per client process), `stream` (HTTP/2
//! stream id), `request` (the request id: the correlation id that ties a request's events
//! together across connections and retries), `origin`.
//!
//! Nothing here formats or allocates unless [`frames_enabled`] says a subscriber wants the
//! frame trace: the callers check it first.

use std::fmt::Write as _;

use crate::frame::{flags, Frame, FrameHeader, FrameType, FRAME_HEADER_LEN};

/// Target of the connection state machine's events.
pub const PROTO: &str = "h2o::proto";
/// Target of the per-frame TRACE events.
pub const FRAME: &str = "h2o::proto::frame";
/// Target of the I/O driver's events (connect, TLS, close).
pub const TRANSPORT: &str = "h2o::transport";
/// Target of pool decisions and retries.
pub const POOL: &str = "h2o::pool";
/// Target of the client API's events.
pub const CLIENT: &str = "h2o::client";

/// Continuation-line indent of multi-line frame traces (the width of `send `/`recv ` plus
/// a little, like nghttp's).
const INDENT: &str = "          ";

/// What replaces a sensitive header value in traces.
pub const REDACTED: &str = "<redacted>";

/// Whether the frame trace is wanted: one relaxed atomic load and a cached callsite
/// check when tracing is off.
#[inline]
pub fn frames_enabled() -> bool {
    tracing::enabled!(target: FRAME, tracing::Level::TRACE)
}

/// Whether a header value must not appear in logs: credentials and cookies, whatever
/// their size, plus everything the peer or our HPACK encoder sent as never-indexed
/// (RFC 7541 §7.1.3).
pub fn is_sensitive(name: &[u8], never_indexed: bool) -> bool {
    never_indexed
        || matches!(
            name,
            b"authorization" | b"proxy-authorization" | b"cookie" | b"set-cookie"
        )
}

/// Appends one `name: value` line (value redacted if sensitive) to `out`.
pub fn push_header_line(out: &mut String, name: &[u8], value: &[u8], never_indexed: bool) {
    out.push('\n');
    out.push_str(INDENT);
    out.push_str(&String::from_utf8_lossy(name));
    out.push_str(": ");
    if is_sensitive(name, never_indexed) {
        out.push_str(REDACTED);
    } else {
        out.push_str(&String::from_utf8_lossy(value));
    }
}

fn type_name(kind: FrameType) -> &'static str {
    match kind {
        FrameType::Data => "DATA",
        FrameType::Headers => "HEADERS",
        FrameType::Priority => "PRIORITY",
        FrameType::RstStream => "RST_STREAM",
        FrameType::Settings => "SETTINGS",
        FrameType::PushPromise => "PUSH_PROMISE",
        FrameType::Ping => "PING",
        FrameType::GoAway => "GOAWAY",
        FrameType::WindowUpdate => "WINDOW_UPDATE",
        FrameType::Continuation => "CONTINUATION",
        FrameType::Unknown(_) => "UNKNOWN",
    }
}

/// `send HEADERS frame <length=41, flags=0x05, stream_id=1>` and the flag names.
fn frame_line(dir: &str, h: &FrameHeader) -> String {
    let mut s = String::with_capacity(96);
    let _ = write!(
        s,
        "{dir} {} frame <length={}, flags=0x{:02x}, stream_id={}>",
        type_name(h.kind),
        h.length,
        h.flags,
        h.stream_id
    );
    let known: &[(u8, &str)] = match h.kind {
        FrameType::Data => &[(flags::END_STREAM, "END_STREAM"), (flags::PADDED, "PADDED")],
        FrameType::Headers => &[
            (flags::END_STREAM, "END_STREAM"),
            (flags::END_HEADERS, "END_HEADERS"),
            (flags::PADDED, "PADDED"),
            (flags::PRIORITY, "PRIORITY"),
        ],
        FrameType::PushPromise | FrameType::Continuation => &[(flags::END_HEADERS, "END_HEADERS")],
        FrameType::Settings | FrameType::Ping => &[(flags::ACK, "ACK")],
        _ => &[],
    };
    let names: Vec<&str> = known
        .iter()
        .filter(|(bit, _)| h.has(*bit))
        .map(|(_, name)| *name)
        .collect();
    if !names.is_empty() {
        let _ = write!(s, "\n{INDENT}; {}", names.join(" | "));
    }
    s
}

/// Payload details of a decoded frame (SETTINGS values, error codes, increments).
fn details(out: &mut String, f: &Frame) {
    match f {
        Frame::Settings(s) if !s.ack => {
            let mut entry = |name: &str, id: u16, v: Option<u32>| {
                if let Some(v) = v {
                    let _ = write!(out, "\n{INDENT}[{name}(0x{id:02x}):{v}]");
                }
            };
            entry("SETTINGS_HEADER_TABLE_SIZE", 1, s.header_table_size);
            entry("SETTINGS_ENABLE_PUSH", 2, s.enable_push.map(u32::from));
            entry(
                "SETTINGS_MAX_CONCURRENT_STREAMS",
                3,
                s.max_concurrent_streams,
            );
            entry("SETTINGS_INITIAL_WINDOW_SIZE", 4, s.initial_window_size);
            entry("SETTINGS_MAX_FRAME_SIZE", 5, s.max_frame_size);
            entry("SETTINGS_MAX_HEADER_LIST_SIZE", 6, s.max_header_list_size);
            entry(
                "SETTINGS_ENABLE_CONNECT_PROTOCOL",
                8,
                s.enable_connect_protocol.map(u32::from),
            );
            entry(
                "SETTINGS_NO_RFC7540_PRIORITIES",
                9,
                s.no_rfc7540_priorities.map(u32::from),
            );
        }
        Frame::WindowUpdate(w) => {
            let _ = write!(out, "\n{INDENT}(window_size_increment={})", w.increment);
        }
        Frame::RstStream(r) => {
            let _ = write!(out, "\n{INDENT}(error_code={})", r.code);
        }
        Frame::GoAway(g) => {
            let _ = write!(
                out,
                "\n{INDENT}(last_stream_id={}, error_code={}, opaque_data({})=[{}])",
                g.last_stream_id,
                g.code,
                g.debug_data.len(),
                String::from_utf8_lossy(&g.debug_data)
            );
        }
        Frame::Ping(p) => {
            let _ = write!(out, "\n{INDENT}(opaque_data=");
            for b in p.payload {
                let _ = write!(out, "{b:02x}");
            }
            out.push(')');
        }
        Frame::PushPromise(p) => {
            let _ = write!(out, "\n{INDENT}(promised_stream_id={})", p.promised_id);
        }
        _ => {}
    }
}

fn emit(conn: u64, h: &FrameHeader, message: &str) {
    tracing::trace!(
        target: FRAME,
        conn,
        stream = h.stream_id.value(),
        frame = type_name(h.kind),
        flags = h.flags,
        length = h.length,
        "{message}"
    );
}

/// Traces a received frame. `raw` is its 9-octet header as it came off the wire.
pub(crate) fn received(conn: u64, raw: &[u8; FRAME_HEADER_LEN], f: &Frame) {
    let h = FrameHeader::parse(raw);
    let mut msg = frame_line("recv", &h);
    details(&mut msg, f);
    emit(conn, &h, &msg);
}

/// Traces a decoded header block (after the HEADERS/CONTINUATION frames that carried
/// it); `lines` comes from [`push_header_line`].
pub(crate) fn received_headers(conn: u64, stream: u32, lines: &str) {
    tracing::trace!(
        target: FRAME,
        conn,
        stream,
        "recv header block <stream_id={stream}>{lines}"
    );
}

/// Traces every frame in `written` (whole frames just appended to the write buffer).
/// `frame` adds payload details to the first one; `headers` (lines from
/// [`push_header_line`]) follow the first HEADERS frame.
pub(crate) fn sent(conn: u64, written: &[u8], frame: Option<&Frame>, headers: Option<&str>) {
    let mut rest = written;
    let mut first = true;
    while let Some(raw) = rest.first_chunk::<FRAME_HEADER_LEN>() {
        let h = FrameHeader::parse(raw);
        let mut msg = frame_line("send", &h);
        if first {
            if let Some(f) = frame {
                details(&mut msg, f);
            }
            if let (Some(lines), FrameType::Headers) = (headers, h.kind) {
                msg.push_str(lines);
            }
        }
        emit(conn, &h, &msg);
        first = false;
        let next = FRAME_HEADER_LEN + h.length as usize;
        if next > rest.len() {
            break;
        }
        rest = &rest[next..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::{Settings, StreamId};

    #[test]
    fn sensitive_names_and_never_indexed_are_redacted() {
        let mut s = String::new();
        push_header_line(&mut s, b"authorization", b"Bearer secret", false);
        push_header_line(&mut s, b"cookie", b"a=b", false);
        push_header_line(&mut s, b"x-token", b"hidden", true);
        push_header_line(&mut s, b"accept", b"*/*", false);
        assert!(!s.contains("secret") && !s.contains("a=b") && !s.contains("hidden"));
        assert_eq!(s.matches(REDACTED).count(), 3);
        assert!(s.contains("accept: */*"));
    }

    #[test]
    fn frame_lines_name_type_flags_and_settings() {
        let h = FrameHeader {
            length: 41,
            kind: FrameType::Headers,
            flags: 0x05,
            stream_id: StreamId::new(1),
        };
        assert_eq!(
            frame_line("send", &h),
            format!("send HEADERS frame <length=41, flags=0x05, stream_id=1>\n{INDENT}; END_STREAM | END_HEADERS")
        );
        let mut s = String::new();
        details(
            &mut s,
            &Frame::Settings(Settings {
                max_concurrent_streams: Some(100),
                ..Settings::default()
            }),
        );
        assert_eq!(
            s,
            format!("\n{INDENT}[SETTINGS_MAX_CONCURRENT_STREAMS(0x03):100]")
        );
    }
}
