//! Error codes (RFC 9113 §7) and the typed errors the decoder reports (§5.4).

use super::head::StreamId;
use core::fmt;

/// RFC 9113 §7 error codes; unknown codes preserved (they must not trigger special behaviour).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// 0x0: graceful shutdown, not an error.
    NoError,
    /// 0x1: unspecific protocol violation.
    ProtocolError,
    /// 0x2: the endpoint hit an internal failure.
    InternalError,
    /// 0x3: the peer violated flow control.
    FlowControlError,
    /// 0x4: SETTINGS were not acknowledged in time.
    SettingsTimeout,
    /// 0x5: a frame arrived on a half-closed stream.
    StreamClosed,
    /// 0x6: a frame had an invalid size.
    FrameSizeError,
    /// 0x7: the stream was refused before any processing (safe to retry).
    RefusedStream,
    /// 0x8: the stream is no longer needed.
    Cancel,
    /// 0x9: the field compression context cannot be maintained.
    CompressionError,
    /// 0xa: the CONNECT tunnel failed.
    ConnectError,
    /// 0xb: the peer is generating excessive load.
    EnhanceYourCalm,
    /// 0xc: the transport does not meet security requirements.
    InadequateSecurity,
    /// 0xd: the peer wants HTTP/1.1 instead.
    Http11Required,
    /// Any other code, kept verbatim.
    Unknown(u32),
}

impl ErrorCode {
    /// Maps a wire value to a code.
    #[inline]
    pub const fn from_u32(v: u32) -> Self {
        match v {
            0x0 => ErrorCode::NoError,
            0x1 => ErrorCode::ProtocolError,
            0x2 => ErrorCode::InternalError,
            0x3 => ErrorCode::FlowControlError,
            0x4 => ErrorCode::SettingsTimeout,
            0x5 => ErrorCode::StreamClosed,
            0x6 => ErrorCode::FrameSizeError,
            0x7 => ErrorCode::RefusedStream,
            0x8 => ErrorCode::Cancel,
            0x9 => ErrorCode::CompressionError,
            0xa => ErrorCode::ConnectError,
            0xb => ErrorCode::EnhanceYourCalm,
            0xc => ErrorCode::InadequateSecurity,
            0xd => ErrorCode::Http11Required,
            other => ErrorCode::Unknown(other),
        }
    }

    /// The wire value.
    #[inline]
    pub const fn to_u32(self) -> u32 {
        match self {
            ErrorCode::NoError => 0x0,
            ErrorCode::ProtocolError => 0x1,
            ErrorCode::InternalError => 0x2,
            ErrorCode::FlowControlError => 0x3,
            ErrorCode::SettingsTimeout => 0x4,
            ErrorCode::StreamClosed => 0x5,
            ErrorCode::FrameSizeError => 0x6,
            ErrorCode::RefusedStream => 0x7,
            ErrorCode::Cancel => 0x8,
            ErrorCode::CompressionError => 0x9,
            ErrorCode::ConnectError => 0xa,
            ErrorCode::EnhanceYourCalm => 0xb,
            ErrorCode::InadequateSecurity => 0xc,
            ErrorCode::Http11Required => 0xd,
            ErrorCode::Unknown(v) => v,
        }
    }

    /// The RFC name, e.g. `"PROTOCOL_ERROR"`; `"UNKNOWN"` for unregistered codes.
    pub fn name(self) -> &'static str {
        match self {
            ErrorCode::NoError => "NO_ERROR",
            ErrorCode::ProtocolError => "PROTOCOL_ERROR",
            ErrorCode::InternalError => "INTERNAL_ERROR",
            ErrorCode::FlowControlError => "FLOW_CONTROL_ERROR",
            ErrorCode::SettingsTimeout => "SETTINGS_TIMEOUT",
            ErrorCode::StreamClosed => "STREAM_CLOSED",
            ErrorCode::FrameSizeError => "FRAME_SIZE_ERROR",
            ErrorCode::RefusedStream => "REFUSED_STREAM",
            ErrorCode::Cancel => "CANCEL",
            ErrorCode::CompressionError => "COMPRESSION_ERROR",
            ErrorCode::ConnectError => "CONNECT_ERROR",
            ErrorCode::EnhanceYourCalm => "ENHANCE_YOUR_CALM",
            ErrorCode::InadequateSecurity => "INADEQUATE_SECURITY",
            ErrorCode::Http11Required => "HTTP_1_1_REQUIRED",
            ErrorCode::Unknown(_) => "UNKNOWN",
        }
    }
}

impl From<u32> for ErrorCode {
    #[inline]
    fn from(v: u32) -> Self {
        ErrorCode::from_u32(v)
    }
}

impl From<ErrorCode> for u32 {
    #[inline]
    fn from(c: ErrorCode) -> u32 {
        c.to_u32()
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorCode::Unknown(v) => write!(f, "UNKNOWN(0x{v:x})"),
            known => f.write_str(known.name()),
        }
    }
}

/// Whether an error ends the connection or one stream (RFC 9113 §5.4).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ErrorScope {
    /// Connection error: send GOAWAY with the code and close (§5.4.1).
    Connection,
    /// Stream error: send RST_STREAM on this stream and keep the connection (§5.4.2).
    Stream(StreamId),
}

/// A frame that violates RFC 9113: what to tear down, which code to send, and why.
///
/// ```
/// use h2o_core::frame::{ErrorCode, ErrorScope, FrameError};
/// let e = FrameError::connection(ErrorCode::FrameSizeError, "PING payload is not 8 octets");
/// assert_eq!(e.scope, ErrorScope::Connection);
/// assert_eq!(e.to_string(), "connection error FRAME_SIZE_ERROR: PING payload is not 8 octets");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrameError {
    /// Connection or stream.
    pub scope: ErrorScope,
    /// Code to put in GOAWAY / RST_STREAM.
    pub code: ErrorCode,
    /// Human-readable cause (for logs and GOAWAY debug data).
    pub reason: &'static str,
}

impl FrameError {
    /// A connection error.
    #[inline]
    pub const fn connection(code: ErrorCode, reason: &'static str) -> Self {
        FrameError {
            scope: ErrorScope::Connection,
            code,
            reason,
        }
    }

    /// A stream error on `id`.
    #[inline]
    pub const fn stream(id: StreamId, code: ErrorCode, reason: &'static str) -> Self {
        FrameError {
            scope: ErrorScope::Stream(id),
            code,
            reason,
        }
    }

    /// True if the connection must be closed.
    #[inline]
    pub const fn is_connection_error(&self) -> bool {
        matches!(self.scope, ErrorScope::Connection)
    }
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.scope {
            ErrorScope::Connection => write!(f, "connection error {}: {}", self.code, self.reason),
            ErrorScope::Stream(id) => {
                write!(
                    f,
                    "stream error {} on stream {}: {}",
                    self.code, id, self.reason
                )
            }
        }
    }
}

impl std::error::Error for FrameError {}
