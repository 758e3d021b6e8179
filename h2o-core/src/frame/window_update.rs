//! WINDOW_UPDATE frames (RFC 9113 §6.9).

use super::error::{ErrorCode, FrameError};
use super::head::{FrameHeader, FrameType, StreamId};
use bytes::BytesMut;

/// A WINDOW_UPDATE frame: the peer grants more flow-control credit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WindowUpdate {
    /// Stream whose window grows, or 0 for the connection window.
    pub stream_id: StreamId,
    /// Credit added, 1..=2^31-1 (the reserved high bit is masked on parse and never sent).
    pub increment: u32,
}

impl WindowUpdate {
    pub(super) fn decode(head: &FrameHeader, payload: &[u8]) -> Result<WindowUpdate, FrameError> {
        // Wrong size is connection-wide even on a stream (§6.9).
        let Ok(raw) = <[u8; 4]>::try_from(payload) else {
            return Err(FrameError::connection(
                ErrorCode::FrameSizeError,
                "WINDOW_UPDATE payload is not 4 octets",
            ));
        };
        let increment = u32::from_be_bytes(raw) & 0x7FFF_FFFF;
        if increment == 0 {
            // Stream error on a stream, connection error on the connection window (§6.9).
            return Err(if head.stream_id.is_zero() {
                FrameError::connection(ErrorCode::ProtocolError, "WINDOW_UPDATE increment is 0")
            } else {
                FrameError::stream(
                    head.stream_id,
                    ErrorCode::ProtocolError,
                    "WINDOW_UPDATE increment is 0",
                )
            });
        }
        Ok(WindowUpdate {
            stream_id: head.stream_id,
            increment,
        })
    }

    /// Appends the frame to `dst`.
    pub fn encode(&self, dst: &mut BytesMut) {
        let h = FrameHeader {
            length: 4,
            kind: FrameType::WindowUpdate,
            flags: 0,
            stream_id: self.stream_id,
        }
        .to_bytes();
        let i = (self.increment & 0x7FFF_FFFF).to_be_bytes();
        dst.extend_from_slice(&[
            h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8], i[0], i[1], i[2], i[3],
        ]);
    }
}
