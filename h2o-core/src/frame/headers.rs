//! HEADERS frames (RFC 9113 §6.2) and the writer-side helper that splits a field block into
//! HEADERS + CONTINUATION frames.

use super::data::strip_padding;
use super::error::{ErrorCode, FrameError};
use super::head::{flags, FrameHeader, FrameType, StreamId, FRAME_HEADER_LEN, MAX_MAX_FRAME_SIZE};
use super::priority::PrioritySpec;
use bytes::{Buf, Bytes, BytesMut};

/// A HEADERS frame: opens a stream (or carries trailers) with the first field block fragment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Headers {
    /// Stream (never 0).
    pub stream_id: StreamId,
    /// END_STREAM flag.
    pub end_stream: bool,
    /// END_HEADERS flag: no CONTINUATION follows.
    pub end_headers: bool,
    /// Priority fields when the PRIORITY flag is set (deprecated signalling, §5.3.2).
    pub priority: Option<PrioritySpec>,
    /// Field block fragment with padding stripped (zero-copy slice).
    pub fragment: Bytes,
}

impl Headers {
    pub(super) fn decode(head: &FrameHeader, mut payload: Bytes) -> Result<Headers, FrameError> {
        if head.stream_id.is_zero() {
            return Err(FrameError::connection(
                ErrorCode::ProtocolError,
                "HEADERS frame on stream 0",
            ));
        }
        strip_padding(head, &mut payload)?;
        let priority = if head.has(flags::PRIORITY) {
            let Some(fields) = payload.first_chunk::<{ PrioritySpec::LEN }>() else {
                // Carries a field block, so a size error is connection-wide (§4.2).
                return Err(FrameError::connection(
                    ErrorCode::FrameSizeError,
                    "HEADERS with PRIORITY flag too short for the priority fields",
                ));
            };
            let spec = PrioritySpec::parse(fields);
            payload.advance(PrioritySpec::LEN);
            Some(spec)
        } else {
            None
        };
        Ok(Headers {
            stream_id: head.stream_id,
            end_stream: head.has(flags::END_STREAM),
            end_headers: head.has(flags::END_HEADERS),
            priority,
            fragment: payload,
        })
    }

    /// Appends this one frame to `dst` as is (no splitting, no padding); use
    /// [`encode_header_block`] to respect the peer's maximum frame size.
    pub fn encode(&self, dst: &mut BytesMut) {
        let prio_len = if self.priority.is_some() {
            PrioritySpec::LEN
        } else {
            0
        };
        let len = prio_len + self.fragment.len();
        let mut fl = 0;
        if self.end_stream {
            fl |= flags::END_STREAM;
        }
        if self.end_headers {
            fl |= flags::END_HEADERS;
        }
        if self.priority.is_some() {
            fl |= flags::PRIORITY;
        }
        dst.reserve(FRAME_HEADER_LEN + len);
        FrameHeader {
            length: len as u32,
            kind: FrameType::Headers,
            flags: fl,
            stream_id: self.stream_id,
        }
        .encode(dst);
        if let Some(p) = self.priority {
            dst.extend_from_slice(&p.to_bytes());
        }
        dst.extend_from_slice(&self.fragment);
    }
}

/// HEADERS then CONTINUATION frames as needed so that no frame exceeds max_frame_size.
///
/// END_STREAM goes on the HEADERS frame, END_HEADERS on the last frame; the priority fields
/// count against the first frame's size. `max_frame_size` is clamped to `1..=MAX_MAX_FRAME_SIZE`
/// so the loop always makes progress (a peer cannot advertise less than 16384; with a limit
/// below 5 and `priority`, the HEADERS frame still carries the 5 priority octets). One
/// `reserve` up front, then straight copies into `dst`.
///
/// ```
/// use bytes::BytesMut;
/// use h2o_core::frame::{encode_header_block, Frame, FrameDecoder, StreamId};
/// let block = vec![0x82u8; 40_000];
/// let mut buf = BytesMut::new();
/// encode_header_block(StreamId::new(1), &block, true, None, 16_384, &mut buf);
/// let mut dec = FrameDecoder::new();
/// let mut kinds = Vec::new();
/// while let Some(f) = dec.decode(&mut buf).unwrap() {
///     kinds.push(f.kind());
/// }
/// assert_eq!(kinds.len(), 3); // 16384 + 16384 + 7232
/// ```
pub fn encode_header_block(
    stream_id: StreamId,
    block: &[u8],
    end_stream: bool,
    priority: Option<PrioritySpec>,
    max_frame_size: u32,
    dst: &mut BytesMut,
) {
    let max = max_frame_size.clamp(1, MAX_MAX_FRAME_SIZE) as usize;
    let prio_len = if priority.is_some() {
        PrioritySpec::LEN
    } else {
        0
    };
    let (first, mut rest) = block.split_at(max.saturating_sub(prio_len).min(block.len()));
    let continuations = rest.len().div_ceil(max);
    dst.reserve(FRAME_HEADER_LEN * (1 + continuations) + prio_len + block.len());

    let mut fl = 0;
    if end_stream {
        fl |= flags::END_STREAM;
    }
    if rest.is_empty() {
        fl |= flags::END_HEADERS;
    }
    if priority.is_some() {
        fl |= flags::PRIORITY;
    }
    FrameHeader {
        length: (prio_len + first.len()) as u32,
        kind: FrameType::Headers,
        flags: fl,
        stream_id,
    }
    .encode(dst);
    if let Some(p) = priority {
        dst.extend_from_slice(&p.to_bytes());
    }
    dst.extend_from_slice(first);

    while !rest.is_empty() {
        let (chunk, tail) = rest.split_at(max.min(rest.len()));
        rest = tail;
        let fl = if rest.is_empty() {
            flags::END_HEADERS
        } else {
            0
        };
        FrameHeader {
            length: chunk.len() as u32,
            kind: FrameType::Continuation,
            flags: fl,
            stream_id,
        }
        .encode(dst);
        dst.extend_from_slice(chunk);
    }
}
