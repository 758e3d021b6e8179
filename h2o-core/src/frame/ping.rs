//! PING frames (RFC 9113 §6.7).

use super::error::{ErrorCode, FrameError};
use super::head::{flags, FrameHeader, FrameType, StreamId, FRAME_HEADER_LEN};
use bytes::BytesMut;

/// A PING frame, or its acknowledgement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ping {
    /// ACK flag: this is a response to our PING.
    pub ack: bool,
    /// Opaque data; a response echoes it.
    pub payload: [u8; 8],
}

impl Ping {
    pub(super) fn decode(head: &FrameHeader, payload: &[u8]) -> Result<Ping, FrameError> {
        if !head.stream_id.is_zero() {
            return Err(FrameError::connection(
                ErrorCode::ProtocolError,
                "PING frame on a stream",
            ));
        }
        let Ok(payload) = <[u8; 8]>::try_from(payload) else {
            return Err(FrameError::connection(
                ErrorCode::FrameSizeError,
                "PING payload is not 8 octets",
            ));
        };
        Ok(Ping {
            ack: head.has(flags::ACK),
            payload,
        })
    }

    /// Appends the frame to `dst`.
    pub fn encode(&self, dst: &mut BytesMut) {
        let fl = if self.ack { flags::ACK } else { 0 };
        let h = FrameHeader {
            length: 8,
            kind: FrameType::Ping,
            flags: fl,
            stream_id: StreamId::ZERO,
        }
        .to_bytes();
        let mut out = [0u8; FRAME_HEADER_LEN + 8];
        out[..FRAME_HEADER_LEN].copy_from_slice(&h);
        out[FRAME_HEADER_LEN..].copy_from_slice(&self.payload);
        dst.extend_from_slice(&out);
    }
}
