//! RFC 9113 frame codec: parse, validate and serialize HTTP/2 frames.
//!
//! - [`FrameDecoder`] turns a read buffer into [`Frame`]s. Payloads are zero-copy `Bytes`
//!   slices of that buffer; an incomplete frame is `Ok(None)`, never an error; every rule a
//!   frame must satisfy on its own is checked and reported as a [`FrameError`] carrying the
//!   RFC error code and whether it kills the connection or one stream.
//! - [`Frame::encode`] and the per-frame `encode` methods, [`encode_header_block`] and
//!   [`encode_data_head`] write straight into a `BytesMut`.
//!
//! Rules that need connection state (CONTINUATION sequencing, stream states, flow-control
//! windows, whether push is enabled) are the connection layer's job.
//!
//! RFC 7540 priority fields are parsed but not judged: RFC 9113 deprecates the dependency
//! tree and drops RFC 7540's self-dependency rule (a PRIORITY frame "does not affect the state
//! of any stream", §6.3), so a self-dependent priority is not an error here. That also keeps
//! every HEADERS field block flowing to HPACK.
#![forbid(unsafe_code)]

mod continuation;
mod data;
mod decoder;
mod error;
mod go_away;
mod head;
mod headers;
mod ping;
mod priority;
mod push_promise;
mod rst_stream;
mod settings;
mod unknown;
mod window_update;

pub use continuation::Continuation;
pub use data::{encode_data_head, Data};
pub use decoder::FrameDecoder;
pub use error::{ErrorCode, ErrorScope, FrameError};
pub use go_away::GoAway;
pub use head::{
    flags, FrameHeader, FrameType, StreamId, WindowSize, DEFAULT_HEADER_TABLE_SIZE,
    DEFAULT_INITIAL_WINDOW_SIZE, DEFAULT_MAX_FRAME_SIZE, FRAME_HEADER_LEN, MAX_MAX_FRAME_SIZE,
    MAX_WINDOW_SIZE, PREFACE,
};
pub use headers::{encode_header_block, Headers};
pub use ping::Ping;
pub use priority::{Priority, PrioritySpec};
pub use push_promise::PushPromise;
pub use rst_stream::RstStream;
pub use settings::Settings;
pub use unknown::UnknownFrame;
pub use window_update::WindowUpdate;

use bytes::BytesMut;

/// Any HTTP/2 frame, decoded.
///
/// ```
/// use bytes::{Bytes, BytesMut};
/// use h2o_core::frame::{Data, Frame, FrameDecoder, FrameType, StreamId};
///
/// let frame = Frame::Data(Data::new(StreamId::new(1), Bytes::from_static(b"hello"), true));
/// let mut buf = BytesMut::new();
/// frame.encode(&mut buf);
/// assert_eq!(&buf[..9], &[0, 0, 5, 0, 1, 0, 0, 0, 1]); // length 5, DATA, END_STREAM, stream 1
///
/// let decoded = FrameDecoder::new().decode(&mut buf).unwrap().unwrap();
/// assert_eq!(decoded.kind(), FrameType::Data);
/// assert_eq!(decoded.stream_id(), StreamId::new(1));
/// assert_eq!(decoded, frame);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Frame {
    /// DATA.
    Data(Data),
    /// HEADERS.
    Headers(Headers),
    /// PRIORITY.
    Priority(Priority),
    /// RST_STREAM.
    RstStream(RstStream),
    /// SETTINGS.
    Settings(Settings),
    /// PUSH_PROMISE.
    PushPromise(PushPromise),
    /// PING.
    Ping(Ping),
    /// GOAWAY.
    GoAway(GoAway),
    /// WINDOW_UPDATE.
    WindowUpdate(WindowUpdate),
    /// CONTINUATION.
    Continuation(Continuation),
    /// A frame of an unknown type (to be ignored by the connection).
    Unknown(UnknownFrame),
}

impl Frame {
    /// The stream the frame belongs to (0 for SETTINGS, PING and GOAWAY).
    pub fn stream_id(&self) -> StreamId {
        match self {
            Frame::Data(f) => f.stream_id,
            Frame::Headers(f) => f.stream_id,
            Frame::Priority(f) => f.stream_id,
            Frame::RstStream(f) => f.stream_id,
            Frame::Settings(_) | Frame::Ping(_) | Frame::GoAway(_) => StreamId::ZERO,
            Frame::PushPromise(f) => f.stream_id,
            Frame::WindowUpdate(f) => f.stream_id,
            Frame::Continuation(f) => f.stream_id,
            Frame::Unknown(f) => f.stream_id,
        }
    }

    /// The frame type.
    pub fn kind(&self) -> FrameType {
        match self {
            Frame::Data(_) => FrameType::Data,
            Frame::Headers(_) => FrameType::Headers,
            Frame::Priority(_) => FrameType::Priority,
            Frame::RstStream(_) => FrameType::RstStream,
            Frame::Settings(_) => FrameType::Settings,
            Frame::PushPromise(_) => FrameType::PushPromise,
            Frame::Ping(_) => FrameType::Ping,
            Frame::GoAway(_) => FrameType::GoAway,
            Frame::WindowUpdate(_) => FrameType::WindowUpdate,
            Frame::Continuation(_) => FrameType::Continuation,
            Frame::Unknown(f) => FrameType::from_u8(f.kind),
        }
    }

    /// Appends the frame (header and payload) to `dst`.
    pub fn encode(&self, dst: &mut BytesMut) {
        match self {
            Frame::Data(f) => f.encode(dst),
            Frame::Headers(f) => f.encode(dst),
            Frame::Priority(f) => f.encode(dst),
            Frame::RstStream(f) => f.encode(dst),
            Frame::Settings(f) => f.encode(dst),
            Frame::PushPromise(f) => f.encode(dst),
            Frame::Ping(f) => f.encode(dst),
            Frame::GoAway(f) => f.encode(dst),
            Frame::WindowUpdate(f) => f.encode(dst),
            Frame::Continuation(f) => f.encode(dst),
            Frame::Unknown(f) => f.encode(dst),
        }
    }
}

macro_rules! from_frame {
    ($($variant:ident($ty:ty)),* $(,)?) => {$(
        impl From<$ty> for Frame {
            fn from(f: $ty) -> Frame {
                Frame::$variant(f)
            }
        }
    )*};
}

from_frame!(
    Data(Data),
    Headers(Headers),
    Priority(Priority),
    RstStream(RstStream),
    Settings(Settings),
    PushPromise(PushPromise),
    Ping(Ping),
    GoAway(GoAway),
    WindowUpdate(WindowUpdate),
    Continuation(Continuation),
    Unknown(UnknownFrame),
);
