//! Frames of types this crate does not implement (RFC 9113 §4.1, §5.5): kept whole so the
//! connection can discard them (or an extension can interpret them).

use super::head::{FrameHeader, FrameType, StreamId, FRAME_HEADER_LEN};
use bytes::{Bytes, BytesMut};

/// A frame of an unknown (extension) type, passed through untouched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownFrame {
    /// Type octet (never one of the types 0x0..=0x9 when produced by the decoder).
    pub kind: u8,
    /// Raw flags.
    pub flags: u8,
    /// Stream id from the header.
    pub stream_id: StreamId,
    /// Raw payload (zero-copy slice).
    pub payload: Bytes,
}

impl UnknownFrame {
    pub(super) fn decode(head: &FrameHeader, kind: u8, payload: Bytes) -> UnknownFrame {
        UnknownFrame {
            kind,
            flags: head.flags,
            stream_id: head.stream_id,
            payload,
        }
    }

    /// Appends the frame to `dst` verbatim.
    pub fn encode(&self, dst: &mut BytesMut) {
        dst.reserve(FRAME_HEADER_LEN + self.payload.len());
        FrameHeader {
            length: self.payload.len() as u32,
            kind: FrameType::from_u8(self.kind),
            flags: self.flags,
            stream_id: self.stream_id,
        }
        .encode(dst);
        dst.extend_from_slice(&self.payload);
    }
}
