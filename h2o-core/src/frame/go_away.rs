//! GOAWAY frames (RFC 9113 §6.8).

use super::error::{ErrorCode, FrameError};
use super::head::{FrameHeader, FrameType, StreamId, FRAME_HEADER_LEN};
use bytes::{Buf, BufMut, Bytes, BytesMut};

/// A GOAWAY frame: the peer is shutting the connection down.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GoAway {
    /// Highest stream id the sender may have processed; higher ones can be retried elsewhere.
    pub last_stream_id: StreamId,
    /// Why.
    pub code: ErrorCode,
    /// Opaque diagnostic data (zero-copy slice; may be sensitive, log with care).
    pub debug_data: Bytes,
}

impl GoAway {
    pub(super) fn decode(head: &FrameHeader, mut payload: Bytes) -> Result<GoAway, FrameError> {
        if !head.stream_id.is_zero() {
            return Err(FrameError::connection(
                ErrorCode::ProtocolError,
                "GOAWAY frame on a stream",
            ));
        }
        if payload.len() < 8 {
            // §4.2: too small for the mandatory fields; stream 0 so connection-wide.
            return Err(FrameError::connection(
                ErrorCode::FrameSizeError,
                "GOAWAY payload shorter than 8 octets",
            ));
        }
        let last_stream_id = StreamId::new(payload.get_u32());
        let code = ErrorCode::from_u32(payload.get_u32());
        Ok(GoAway {
            last_stream_id,
            code,
            debug_data: payload,
        })
    }

    /// Appends the frame to `dst`.
    pub fn encode(&self, dst: &mut BytesMut) {
        let len = 8 + self.debug_data.len();
        dst.reserve(FRAME_HEADER_LEN + len);
        FrameHeader {
            length: len as u32,
            kind: FrameType::GoAway,
            flags: 0,
            stream_id: StreamId::ZERO,
        }
        .encode(dst);
        dst.put_u32(self.last_stream_id.value());
        dst.put_u32(self.code.to_u32());
        dst.extend_from_slice(&self.debug_data);
    }
}
