//! The fixed 9-octet frame header (RFC 9113 §4.1), stream identifiers, frame types and flag bits.

use bytes::BytesMut;
use core::fmt;

/// Length of the frame header that precedes every payload.
pub const FRAME_HEADER_LEN: usize = 9;
/// The client connection preface (RFC 9113 §3.4), sent before the first SETTINGS frame.
pub const PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
/// Initial SETTINGS_MAX_FRAME_SIZE (2^14): every endpoint must accept payloads this large.
pub const DEFAULT_MAX_FRAME_SIZE: u32 = 16_384;
/// Largest legal SETTINGS_MAX_FRAME_SIZE (2^24-1, the 24-bit length field's limit).
pub const MAX_MAX_FRAME_SIZE: u32 = 16_777_215;
/// Largest flow-control window and window increment (2^31-1).
pub const MAX_WINDOW_SIZE: u32 = (1 << 31) - 1;
/// Initial stream and connection flow-control window (RFC 9113 §6.9.2).
pub const DEFAULT_INITIAL_WINDOW_SIZE: u32 = 65_535;
/// Initial SETTINGS_HEADER_TABLE_SIZE (HPACK dynamic table size).
pub const DEFAULT_HEADER_TABLE_SIZE: u32 = 4_096;

/// Flow-control window sizes/increments on the wire are 31-bit unsigned.
pub type WindowSize = u32;

/// 31-bit stream identifier (reserved bit masked off on parse).
///
/// ```
/// use h2o_core::frame::StreamId;
/// let id = StreamId::new(0x8000_0003); // the reserved bit is dropped
/// assert_eq!(id.value(), 3);
/// assert!(id.is_client_initiated());
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct StreamId(u32);

impl StreamId {
    /// Stream 0: the connection itself.
    pub const ZERO: StreamId = StreamId(0);
    /// The largest stream identifier, 2^31-1.
    pub const MAX: StreamId = StreamId(MAX_WINDOW_SIZE);

    /// Builds an identifier from a raw 32-bit value, masking off the reserved high bit
    /// (which receivers must ignore, RFC 9113 §4.1).
    #[inline]
    pub const fn new(v: u32) -> StreamId {
        StreamId(v & 0x7FFF_FFFF)
    }

    /// The 31-bit numeric value.
    #[inline]
    pub const fn value(self) -> u32 {
        self.0
    }

    /// True for stream 0 (frames that concern the whole connection).
    #[inline]
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// True for odd identifiers: streams opened by the client (RFC 9113 §5.1.1).
    #[inline]
    pub const fn is_client_initiated(self) -> bool {
        self.0 & 1 == 1
    }
}

impl From<u32> for StreamId {
    #[inline]
    fn from(v: u32) -> StreamId {
        StreamId::new(v)
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// Frame type octet (RFC 9113 §6). Types this crate does not know are kept as `Unknown`
/// so that the connection can discard them as §4.1 requires.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum FrameType {
    /// DATA (0x0).
    Data,
    /// HEADERS (0x1).
    Headers,
    /// PRIORITY (0x2), deprecated but still parsed.
    Priority,
    /// RST_STREAM (0x3).
    RstStream,
    /// SETTINGS (0x4).
    Settings,
    /// PUSH_PROMISE (0x5).
    PushPromise,
    /// PING (0x6).
    Ping,
    /// GOAWAY (0x7).
    GoAway,
    /// WINDOW_UPDATE (0x8).
    WindowUpdate,
    /// CONTINUATION (0x9).
    Continuation,
    /// Any other type octet (extension frames).
    Unknown(u8),
}

impl FrameType {
    /// Maps the wire octet to a type.
    #[inline]
    pub const fn from_u8(v: u8) -> Self {
        match v {
            0x0 => FrameType::Data,
            0x1 => FrameType::Headers,
            0x2 => FrameType::Priority,
            0x3 => FrameType::RstStream,
            0x4 => FrameType::Settings,
            0x5 => FrameType::PushPromise,
            0x6 => FrameType::Ping,
            0x7 => FrameType::GoAway,
            0x8 => FrameType::WindowUpdate,
            0x9 => FrameType::Continuation,
            other => FrameType::Unknown(other),
        }
    }

    /// The wire octet.
    #[inline]
    pub const fn to_u8(self) -> u8 {
        match self {
            FrameType::Data => 0x0,
            FrameType::Headers => 0x1,
            FrameType::Priority => 0x2,
            FrameType::RstStream => 0x3,
            FrameType::Settings => 0x4,
            FrameType::PushPromise => 0x5,
            FrameType::Ping => 0x6,
            FrameType::GoAway => 0x7,
            FrameType::WindowUpdate => 0x8,
            FrameType::Continuation => 0x9,
            FrameType::Unknown(v) => v,
        }
    }
}

/// Flag bits. Their meaning depends on the frame type; bits a type does not define are
/// ignored on receipt and never sent (RFC 9113 §4.1).
pub mod flags {
    /// DATA, HEADERS: last frame the sender sends on this stream.
    pub const END_STREAM: u8 = 0x1;
    /// SETTINGS, PING: this frame acknowledges the peer's.
    pub const ACK: u8 = 0x1;
    /// HEADERS, PUSH_PROMISE, CONTINUATION: the field block ends in this frame.
    pub const END_HEADERS: u8 = 0x4;
    /// DATA, HEADERS, PUSH_PROMISE: a Pad Length octet and padding are present.
    pub const PADDED: u8 = 0x8;
    /// HEADERS: exclusive flag, stream dependency and weight are present.
    pub const PRIORITY: u8 = 0x20;
}

/// The 9-octet header in front of every frame.
///
/// ```
/// use bytes::BytesMut;
/// use h2o_core::frame::{FrameHeader, FrameType, StreamId};
/// let head = FrameHeader { length: 8, kind: FrameType::Ping, flags: 0, stream_id: StreamId::ZERO };
/// let mut buf = BytesMut::new();
/// head.encode(&mut buf);
/// assert_eq!(&buf[..], &[0, 0, 8, 6, 0, 0, 0, 0, 0]);
/// assert_eq!(FrameHeader::parse(&[0, 0, 8, 6, 0, 0, 0, 0, 0]), head);
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct FrameHeader {
    /// Payload length (24 bits; the header itself is not counted).
    pub length: u32,
    /// Frame type.
    pub kind: FrameType,
    /// Raw flag octet, unknown bits included.
    pub flags: u8,
    /// Stream the frame belongs to (0 = connection).
    pub stream_id: StreamId,
}

impl FrameHeader {
    /// Parses a header. Total over all inputs: every 9-octet string is a syntactically valid
    /// header; semantic checks are the decoder's job. Straight-line shifts, no loop, so it
    /// inlines into a handful of instructions.
    #[inline]
    pub fn parse(buf: &[u8; 9]) -> FrameHeader {
        // Two loads: octet 0, then octets 1..9 as one big-endian u64 that holds the low 16
        // length bits, type, flags and stream id.
        let [b0, rest @ ..] = *buf;
        let w = u64::from_be_bytes(rest);
        FrameHeader {
            length: (b0 as u32) << 16 | (w >> 48) as u32,
            kind: FrameType::from_u8((w >> 40) as u8),
            flags: (w >> 32) as u8,
            stream_id: StreamId::new(w as u32),
        }
    }

    /// The 9 wire octets. The length is truncated to 24 bits; the reserved bit is sent as 0.
    #[inline]
    pub fn to_bytes(&self) -> [u8; 9] {
        let l = self.length;
        let s = self.stream_id.value().to_be_bytes();
        [
            (l >> 16) as u8,
            (l >> 8) as u8,
            l as u8,
            self.kind.to_u8(),
            self.flags,
            s[0],
            s[1],
            s[2],
            s[3],
        ]
    }

    /// Appends the 9 wire octets to `dst`.
    #[inline]
    pub fn encode(&self, dst: &mut BytesMut) {
        debug_assert!(self.length <= MAX_MAX_FRAME_SIZE, "frame payload too long");
        dst.extend_from_slice(&self.to_bytes());
    }

    /// True if every bit of `flag` is set.
    #[inline]
    pub const fn has(&self, flag: u8) -> bool {
        self.flags & flag == flag
    }
}
