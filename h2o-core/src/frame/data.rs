//! DATA frames (RFC 9113 §6.1) and the padding rule shared with HEADERS and PUSH_PROMISE.

use super::error::{ErrorCode, FrameError};
use super::head::{flags, FrameHeader, FrameType, StreamId, FRAME_HEADER_LEN};
use bytes::{Buf, BufMut, Bytes, BytesMut};

/// A DATA frame: a slice of a stream's body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Data {
    /// Stream the data belongs to (never 0).
    pub stream_id: StreamId,
    /// END_STREAM flag: last frame the peer sends on this stream.
    pub end_stream: bool,
    /// Application data with padding stripped; a zero-copy slice of the read buffer.
    pub data: Bytes,
    /// Whole payload length, Pad Length octet and padding included: this is what counts
    /// against flow control (RFC 9113 §6.1), not `data.len()`.
    ///
    /// When encoding, `flow_len > data.len()` asks for padding: the frame is sent PADDED with
    /// `flow_len - data.len() - 1` zero octets (when that fits in one octet), so a decoded
    /// frame re-encodes to the same flow-control cost. Otherwise no padding is sent.
    pub flow_len: u32,
}

impl Data {
    /// An unpadded DATA frame (`flow_len == data.len()`).
    pub fn new(stream_id: StreamId, data: Bytes, end_stream: bool) -> Data {
        let flow_len = u32::try_from(data.len()).unwrap_or(u32::MAX);
        Data {
            stream_id,
            end_stream,
            data,
            flow_len,
        }
    }

    pub(super) fn decode(head: &FrameHeader, mut payload: Bytes) -> Result<Data, FrameError> {
        if head.stream_id.is_zero() {
            return Err(FrameError::connection(
                ErrorCode::ProtocolError,
                "DATA frame on stream 0",
            ));
        }
        strip_padding(head, &mut payload)?;
        Ok(Data {
            stream_id: head.stream_id,
            end_stream: head.has(flags::END_STREAM),
            data: payload,
            flow_len: head.length,
        })
    }

    /// Pad Length to send, if `flow_len` asks for padding that fits the format.
    fn pad_len(&self) -> Option<u8> {
        let extra = (self.flow_len as usize).checked_sub(self.data.len())?;
        u8::try_from(extra.checked_sub(1)?).ok()
    }

    /// Appends the frame (header and payload) to `dst`.
    pub fn encode(&self, dst: &mut BytesMut) {
        let pad = self.pad_len();
        let extra = pad.map_or(0, |p| 1 + p as usize);
        let len = self.data.len() + extra;
        let mut fl = if self.end_stream {
            flags::END_STREAM
        } else {
            0
        };
        if pad.is_some() {
            fl |= flags::PADDED;
        }
        dst.reserve(FRAME_HEADER_LEN + len);
        FrameHeader {
            length: len as u32,
            kind: FrameType::Data,
            flags: fl,
            stream_id: self.stream_id,
        }
        .encode(dst);
        if let Some(p) = pad {
            dst.put_u8(p);
        }
        dst.extend_from_slice(&self.data);
        if let Some(p) = pad {
            // Padding octets MUST be zero (§6.1).
            dst.put_bytes(0, p as usize);
        }
    }
}

/// Just the 9-byte DATA frame header (for vectored writes of a payload held elsewhere); no padding.
///
/// ```
/// use bytes::BytesMut;
/// use h2o_core::frame::{encode_data_head, StreamId};
/// let mut buf = BytesMut::new();
/// encode_data_head(StreamId::new(1), 5, true, &mut buf);
/// assert_eq!(&buf[..], &[0, 0, 5, 0, 1, 0, 0, 0, 1]);
/// ```
#[inline]
pub fn encode_data_head(stream_id: StreamId, len: u32, end_stream: bool, dst: &mut BytesMut) {
    let fl = if end_stream { flags::END_STREAM } else { 0 };
    FrameHeader {
        length: len,
        kind: FrameType::Data,
        flags: fl,
        stream_id,
    }
    .encode(dst);
}

/// Removes the Pad Length octet and the trailing padding when PADDED is set
/// (DATA §6.1, HEADERS §6.2, PUSH_PROMISE §6.6 share this layout).
///
/// Padding as long as the payload or longer is PROTOCOL_ERROR (connection) per the RFC. A PADDED
/// frame with an empty payload cannot even hold the Pad Length octet: FRAME_SIZE_ERROR (§4.2,
/// "too small to contain mandatory frame data"), also connection-wide because the frames that
/// can be padded touch connection state (flow control or the HPACK context).
pub(super) fn strip_padding(head: &FrameHeader, payload: &mut Bytes) -> Result<(), FrameError> {
    if !head.has(flags::PADDED) {
        return Ok(());
    }
    let Some(&pad_len) = payload.first() else {
        return Err(FrameError::connection(
            ErrorCode::FrameSizeError,
            "PADDED frame too short for the Pad Length field",
        ));
    };
    let pad_len = pad_len as usize;
    if pad_len >= payload.len() {
        return Err(FrameError::connection(
            ErrorCode::ProtocolError,
            "padding length is not less than the payload length",
        ));
    }
    payload.advance(1);
    // pad_len < original length, so pad_len <= payload.len() now.
    let keep = payload.len().saturating_sub(pad_len);
    payload.truncate(keep);
    Ok(())
}
