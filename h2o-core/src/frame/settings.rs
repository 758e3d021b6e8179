//! SETTINGS frames (RFC 9113 §6.5).

use super::error::{ErrorCode, FrameError};
use super::head::{
    flags, FrameHeader, FrameType, StreamId, DEFAULT_MAX_FRAME_SIZE, FRAME_HEADER_LEN,
    MAX_MAX_FRAME_SIZE, MAX_WINDOW_SIZE,
};
use bytes::{BufMut, BytesMut};

const HEADER_TABLE_SIZE: u16 = 0x1;
const ENABLE_PUSH: u16 = 0x2;
const MAX_CONCURRENT_STREAMS: u16 = 0x3;
const INITIAL_WINDOW_SIZE: u16 = 0x4;
const MAX_FRAME_SIZE: u16 = 0x5;
const MAX_HEADER_LIST_SIZE: u16 = 0x6;
/// RFC 8441 (extended CONNECT).
const ENABLE_CONNECT_PROTOCOL: u16 = 0x8;
/// RFC 9218 (extensible priorities).
const NO_RFC7540_PRIORITIES: u16 = 0x9;

/// One SETTINGS frame. Known parameters as Options (last occurrence wins); unknown identifiers ignored (RFC 9113 §6.5.2).
///
/// `None` means "not present in this frame", not "default": the connection keeps the
/// previous value.
///
/// ```
/// use bytes::BytesMut;
/// use h2o_core::frame::{Frame, FrameDecoder, Settings};
/// let s = Settings { enable_push: Some(false), initial_window_size: Some(1 << 20), ..Settings::default() };
/// let mut buf = BytesMut::new();
/// s.encode(&mut buf);
/// assert_eq!(FrameDecoder::new().decode(&mut buf).unwrap(), Some(Frame::Settings(s)));
/// ```
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Settings {
    /// ACK flag: acknowledges the peer's SETTINGS; carries no parameters.
    pub ack: bool,
    /// SETTINGS_HEADER_TABLE_SIZE (0x1).
    pub header_table_size: Option<u32>,
    /// SETTINGS_ENABLE_PUSH (0x2); only 0 and 1 are legal.
    pub enable_push: Option<bool>,
    /// SETTINGS_MAX_CONCURRENT_STREAMS (0x3).
    pub max_concurrent_streams: Option<u32>,
    /// SETTINGS_INITIAL_WINDOW_SIZE (0x4), at most 2^31-1.
    pub initial_window_size: Option<u32>,
    /// SETTINGS_MAX_FRAME_SIZE (0x5), 2^14..=2^24-1.
    pub max_frame_size: Option<u32>,
    /// SETTINGS_MAX_HEADER_LIST_SIZE (0x6), advisory.
    pub max_header_list_size: Option<u32>,
    /// SETTINGS_ENABLE_CONNECT_PROTOCOL (0x8, RFC 8441); only 0 and 1 are legal.
    pub enable_connect_protocol: Option<bool>,
    /// SETTINGS_NO_RFC7540_PRIORITIES (0x9, RFC 9218); only 0 and 1 are legal.
    pub no_rfc7540_priorities: Option<bool>,
}

/// Parses a 0/1 boolean setting; other values are a PROTOCOL_ERROR for all three boolean
/// settings (RFC 9113 §6.5.2, RFC 9218 §2.1; RFC 8441 §3 only allows 0 or 1).
fn flag_value(v: u32, reason: &'static str) -> Result<bool, FrameError> {
    match v {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(FrameError::connection(ErrorCode::ProtocolError, reason)),
    }
}

impl Settings {
    /// A SETTINGS acknowledgement (ACK flag, empty payload).
    pub fn ack() -> Settings {
        Settings {
            ack: true,
            ..Settings::default()
        }
    }

    pub(super) fn decode(head: &FrameHeader, payload: &[u8]) -> Result<Settings, FrameError> {
        if !head.stream_id.is_zero() {
            return Err(FrameError::connection(
                ErrorCode::ProtocolError,
                "SETTINGS frame on a stream",
            ));
        }
        if head.has(flags::ACK) {
            if !payload.is_empty() {
                return Err(FrameError::connection(
                    ErrorCode::FrameSizeError,
                    "SETTINGS ACK with a non-empty payload",
                ));
            }
            return Ok(Settings::ack());
        }
        if payload.len() % 6 != 0 {
            return Err(FrameError::connection(
                ErrorCode::FrameSizeError,
                "SETTINGS payload is not a multiple of 6 octets",
            ));
        }
        let mut s = Settings::default();
        // Processed in order, so a repeated identifier overwrites the earlier value (§6.5).
        for p in payload.chunks_exact(6) {
            let (id, v) = match *p {
                [a, b, c, d, e, f] => {
                    (u16::from_be_bytes([a, b]), u32::from_be_bytes([c, d, e, f]))
                }
                _ => continue, // chunks_exact never yields a short chunk
            };
            match id {
                HEADER_TABLE_SIZE => s.header_table_size = Some(v),
                ENABLE_PUSH => {
                    s.enable_push = Some(flag_value(v, "SETTINGS_ENABLE_PUSH is not 0 or 1")?)
                }
                MAX_CONCURRENT_STREAMS => s.max_concurrent_streams = Some(v),
                INITIAL_WINDOW_SIZE => {
                    if v > MAX_WINDOW_SIZE {
                        return Err(FrameError::connection(
                            ErrorCode::FlowControlError,
                            "SETTINGS_INITIAL_WINDOW_SIZE exceeds 2^31-1",
                        ));
                    }
                    s.initial_window_size = Some(v);
                }
                MAX_FRAME_SIZE => {
                    if !(DEFAULT_MAX_FRAME_SIZE..=MAX_MAX_FRAME_SIZE).contains(&v) {
                        return Err(FrameError::connection(
                            ErrorCode::ProtocolError,
                            "SETTINGS_MAX_FRAME_SIZE outside 16384..=16777215",
                        ));
                    }
                    s.max_frame_size = Some(v);
                }
                MAX_HEADER_LIST_SIZE => s.max_header_list_size = Some(v),
                ENABLE_CONNECT_PROTOCOL => {
                    s.enable_connect_protocol = Some(flag_value(
                        v,
                        "SETTINGS_ENABLE_CONNECT_PROTOCOL is not 0 or 1",
                    )?)
                }
                NO_RFC7540_PRIORITIES => {
                    s.no_rfc7540_priorities = Some(flag_value(
                        v,
                        "SETTINGS_NO_RFC7540_PRIORITIES is not 0 or 1",
                    )?)
                }
                _ => {} // unknown settings MUST be ignored (§6.5.2)
            }
        }
        Ok(s)
    }

    /// The present parameters in identifier order.
    fn params(&self) -> [(u16, Option<u32>); 8] {
        [
            (HEADER_TABLE_SIZE, self.header_table_size),
            (ENABLE_PUSH, self.enable_push.map(u32::from)),
            (MAX_CONCURRENT_STREAMS, self.max_concurrent_streams),
            (INITIAL_WINDOW_SIZE, self.initial_window_size),
            (MAX_FRAME_SIZE, self.max_frame_size),
            (MAX_HEADER_LIST_SIZE, self.max_header_list_size),
            (
                ENABLE_CONNECT_PROTOCOL,
                self.enable_connect_protocol.map(u32::from),
            ),
            (
                NO_RFC7540_PRIORITIES,
                self.no_rfc7540_priorities.map(u32::from),
            ),
        ]
    }

    /// Appends the frame to `dst`, parameters in identifier order. An ACK is always sent
    /// with an empty payload (§6.5), so parameters set on an ACK are not written. Values are
    /// not range-checked here: sending an illegal value is the caller's bug.
    pub fn encode(&self, dst: &mut BytesMut) {
        if self.ack {
            FrameHeader {
                length: 0,
                kind: FrameType::Settings,
                flags: flags::ACK,
                stream_id: StreamId::ZERO,
            }
            .encode(dst);
            return;
        }
        let params = self.params();
        let n = params.iter().filter(|(_, v)| v.is_some()).count();
        dst.reserve(FRAME_HEADER_LEN + 6 * n);
        FrameHeader {
            length: (6 * n) as u32,
            kind: FrameType::Settings,
            flags: 0,
            stream_id: StreamId::ZERO,
        }
        .encode(dst);
        for (id, v) in params {
            if let Some(v) = v {
                dst.put_u16(id);
                dst.put_u32(v);
            }
        }
    }
}
