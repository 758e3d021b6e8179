//! RST_STREAM frames (RFC 9113 §6.4).

use super::error::{ErrorCode, FrameError};
use super::head::{FrameHeader, FrameType, StreamId};
use bytes::BytesMut;

/// A RST_STREAM frame: the peer terminated a stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RstStream {
    /// Stream being reset (never 0).
    pub stream_id: StreamId,
    /// Why.
    pub code: ErrorCode,
}

impl RstStream {
    pub(super) fn decode(head: &FrameHeader, payload: &[u8]) -> Result<RstStream, FrameError> {
        if head.stream_id.is_zero() {
            return Err(FrameError::connection(
                ErrorCode::ProtocolError,
                "RST_STREAM frame on stream 0",
            ));
        }
        let Ok(code) = <[u8; 4]>::try_from(payload) else {
            return Err(FrameError::connection(
                ErrorCode::FrameSizeError,
                "RST_STREAM payload is not 4 octets",
            ));
        };
        Ok(RstStream {
            stream_id: head.stream_id,
            code: ErrorCode::from_u32(u32::from_be_bytes(code)),
        })
    }

    /// Appends the frame to `dst`.
    pub fn encode(&self, dst: &mut BytesMut) {
        let h = FrameHeader {
            length: 4,
            kind: FrameType::RstStream,
            flags: 0,
            stream_id: self.stream_id,
        }
        .to_bytes();
        let c = self.code.to_u32().to_be_bytes();
        dst.extend_from_slice(&[
            h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8], c[0], c[1], c[2], c[3],
        ]);
    }
}
