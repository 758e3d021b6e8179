//! Incremental frame decoder over a read buffer.

use super::error::{ErrorCode, FrameError};
use super::head::{
    FrameHeader, FrameType, DEFAULT_MAX_FRAME_SIZE, FRAME_HEADER_LEN, MAX_MAX_FRAME_SIZE,
};
use super::{
    Continuation, Data, Frame, GoAway, Headers, Ping, Priority, PushPromise, RstStream, Settings,
    UnknownFrame, WindowUpdate,
};
use bytes::{Buf, Bytes, BytesMut};

/// Incremental decoder over a read buffer.
///
/// It only checks what a frame must satisfy on its own (RFC 9113 §4–§6); sequencing rules
/// (CONTINUATION after HEADERS, stream states, flow control) belong to the connection.
///
/// ```
/// use bytes::BytesMut;
/// use h2o_core::frame::{Frame, FrameDecoder, Ping};
///
/// let mut buf = BytesMut::new();
/// Frame::Ping(Ping { ack: false, payload: *b"12345678" }).encode(&mut buf);
/// let whole = buf.split().freeze();
///
/// let mut dec = FrameDecoder::new();
/// let mut rx = BytesMut::from(&whole[..5]);
/// assert_eq!(dec.decode(&mut rx).unwrap(), None); // partial: nothing consumed
/// assert_eq!(rx.len(), 5);
/// rx.extend_from_slice(&whole[5..]);
/// let frame = dec.decode(&mut rx).unwrap().unwrap();
/// assert_eq!(frame, Frame::Ping(Ping { ack: false, payload: *b"12345678" }));
/// assert!(rx.is_empty());
/// ```
#[derive(Clone, Debug)]
pub struct FrameDecoder {
    max_frame_size: u32,
}

impl Default for FrameDecoder {
    fn default() -> Self {
        FrameDecoder::new()
    }
}

impl FrameDecoder {
    /// A decoder accepting payloads up to 16384 octets (the protocol default).
    pub fn new() -> Self {
        FrameDecoder {
            max_frame_size: DEFAULT_MAX_FRAME_SIZE,
        }
    }

    /// OUR advertised SETTINGS_MAX_FRAME_SIZE, to be applied once the peer acknowledged it.
    /// Clamped to the legal range 16384..=16777215.
    pub fn set_max_frame_size(&mut self, size: u32) {
        self.max_frame_size = size.clamp(DEFAULT_MAX_FRAME_SIZE, MAX_MAX_FRAME_SIZE);
    }

    /// The largest payload currently accepted.
    pub fn max_frame_size(&self) -> u32 {
        self.max_frame_size
    }

    /// Ok(None): not a whole frame yet, buffer untouched. Ok(Some(frame)): frame consumed from `buf` (payload Bytes are
    /// zero-copy slices: split_to(..).freeze()). Err with scope Stream(id): the frame's bytes WERE consumed, the caller
    /// resets that stream and keeps reading. Err with scope Connection: the connection is dead (buffer state unspecified).
    ///
    /// An oversized length is reported as soon as the header is in, without waiting for (and
    /// buffering) the payload.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Frame>, FrameError> {
        let Some(raw) = buf.first_chunk::<FRAME_HEADER_LEN>() else {
            return Ok(None);
        };
        let head = FrameHeader::parse(raw);
        if head.length > self.max_frame_size {
            return Err(FrameError::connection(
                ErrorCode::FrameSizeError,
                "frame exceeds SETTINGS_MAX_FRAME_SIZE",
            ));
        }
        let len = head.length as usize;
        let total = FRAME_HEADER_LEN + len;
        if buf.len() < total {
            return Ok(None);
        }
        // Fixed-size frames are read in place (no refcount traffic); frames carrying a byte
        // payload take a zero-copy slice. Either way the frame is consumed before any error
        // is returned, as stream errors require.
        let frame = match head.kind {
            FrameType::Data => Frame::Data(Data::decode(&head, take(buf, len))?),
            FrameType::Headers => Frame::Headers(Headers::decode(&head, take(buf, len))?),
            FrameType::Priority => {
                Frame::Priority(in_place(buf, total, |p| Priority::decode(&head, p))?)
            }
            FrameType::RstStream => {
                Frame::RstStream(in_place(buf, total, |p| RstStream::decode(&head, p))?)
            }
            FrameType::Settings => {
                Frame::Settings(in_place(buf, total, |p| Settings::decode(&head, p))?)
            }
            FrameType::PushPromise => {
                Frame::PushPromise(PushPromise::decode(&head, take(buf, len))?)
            }
            FrameType::Ping => Frame::Ping(in_place(buf, total, |p| Ping::decode(&head, p))?),
            FrameType::GoAway => Frame::GoAway(GoAway::decode(&head, take(buf, len))?),
            FrameType::WindowUpdate => {
                Frame::WindowUpdate(in_place(buf, total, |p| WindowUpdate::decode(&head, p))?)
            }
            FrameType::Continuation => {
                Frame::Continuation(Continuation::decode(&head, take(buf, len))?)
            }
            FrameType::Unknown(kind) => {
                Frame::Unknown(UnknownFrame::decode(&head, kind, take(buf, len)))
            }
        };
        Ok(Some(frame))
    }
}

/// Drops the header and splits the payload off as a zero-copy `Bytes`.
/// Caller guarantees `buf.len() >= FRAME_HEADER_LEN + len`.
#[inline]
fn take(buf: &mut BytesMut, len: usize) -> Bytes {
    buf.advance(FRAME_HEADER_LEN);
    buf.split_to(len).freeze()
}

/// Runs `parse` on the payload borrowed from `buf`, then consumes the frame whatever the result.
/// Caller guarantees `buf.len() >= total`.
#[inline]
fn in_place<T>(
    buf: &mut BytesMut,
    total: usize,
    parse: impl FnOnce(&[u8]) -> Result<T, FrameError>,
) -> Result<T, FrameError> {
    let res = parse(buf.get(FRAME_HEADER_LEN..total).unwrap_or_default());
    buf.advance(total);
    res
}
