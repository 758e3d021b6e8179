//! PUSH_PROMISE frames (RFC 9113 §6.6). Whether push is enabled and whether the promised id
//! is idle are connection state, checked by the connection layer.

use super::data::strip_padding;
use super::error::{ErrorCode, FrameError};
use super::head::{flags, FrameHeader, FrameType, StreamId, FRAME_HEADER_LEN};
use bytes::{Buf, BufMut, Bytes, BytesMut};

/// A PUSH_PROMISE frame: the server reserves `promised_id` for a pushed response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PushPromise {
    /// Associated (client-initiated) stream (never 0).
    pub stream_id: StreamId,
    /// END_HEADERS flag: no CONTINUATION follows.
    pub end_headers: bool,
    /// Stream the server reserves (never 0).
    pub promised_id: StreamId,
    /// Field block fragment of the promised request, padding stripped (zero-copy slice).
    pub fragment: Bytes,
}

impl PushPromise {
    pub(super) fn decode(
        head: &FrameHeader,
        mut payload: Bytes,
    ) -> Result<PushPromise, FrameError> {
        if head.stream_id.is_zero() {
            return Err(FrameError::connection(
                ErrorCode::ProtocolError,
                "PUSH_PROMISE frame on stream 0",
            ));
        }
        strip_padding(head, &mut payload)?;
        if payload.len() < 4 {
            // Carries a field block, so a size error is connection-wide (§4.2).
            return Err(FrameError::connection(
                ErrorCode::FrameSizeError,
                "PUSH_PROMISE too short for the promised stream id",
            ));
        }
        let promised_id = StreamId::new(payload.get_u32());
        if promised_id.is_zero() {
            // Stream 0 is never a legal new stream id (§5.1.1, §6.6 "illegal stream identifier").
            return Err(FrameError::connection(
                ErrorCode::ProtocolError,
                "PUSH_PROMISE promises stream 0",
            ));
        }
        Ok(PushPromise {
            stream_id: head.stream_id,
            end_headers: head.has(flags::END_HEADERS),
            promised_id,
            fragment: payload,
        })
    }

    /// Appends the frame to `dst` (no padding, no splitting).
    pub fn encode(&self, dst: &mut BytesMut) {
        let len = 4 + self.fragment.len();
        let fl = if self.end_headers {
            flags::END_HEADERS
        } else {
            0
        };
        dst.reserve(FRAME_HEADER_LEN + len);
        FrameHeader {
            length: len as u32,
            kind: FrameType::PushPromise,
            flags: fl,
            stream_id: self.stream_id,
        }
        .encode(dst);
        dst.put_u32(self.promised_id.value());
        dst.extend_from_slice(&self.fragment);
    }
}
