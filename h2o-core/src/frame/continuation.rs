//! CONTINUATION frames (RFC 9113 §6.10). Sequencing (must follow HEADERS/PUSH_PROMISE without
//! END_HEADERS on the same stream) is connection state and is checked by the connection layer.

use super::error::{ErrorCode, FrameError};
use super::head::{flags, FrameHeader, FrameType, StreamId, FRAME_HEADER_LEN};
use bytes::{Bytes, BytesMut};

/// A CONTINUATION frame: the next piece of a field block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Continuation {
    /// Stream of the field block (never 0).
    pub stream_id: StreamId,
    /// END_HEADERS flag: the field block ends here.
    pub end_headers: bool,
    /// Field block fragment (zero-copy slice).
    pub fragment: Bytes,
}

impl Continuation {
    pub(super) fn decode(head: &FrameHeader, payload: Bytes) -> Result<Continuation, FrameError> {
        if head.stream_id.is_zero() {
            return Err(FrameError::connection(
                ErrorCode::ProtocolError,
                "CONTINUATION frame on stream 0",
            ));
        }
        Ok(Continuation {
            stream_id: head.stream_id,
            end_headers: head.has(flags::END_HEADERS),
            fragment: payload,
        })
    }

    /// Appends the frame to `dst`.
    pub fn encode(&self, dst: &mut BytesMut) {
        let fl = if self.end_headers {
            flags::END_HEADERS
        } else {
            0
        };
        dst.reserve(FRAME_HEADER_LEN + self.fragment.len());
        FrameHeader {
            length: self.fragment.len() as u32,
            kind: FrameType::Continuation,
            flags: fl,
            stream_id: self.stream_id,
        }
        .encode(dst);
        dst.extend_from_slice(&self.fragment);
    }
}
