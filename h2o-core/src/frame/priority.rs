//! PRIORITY frames (RFC 9113 §6.3) and the RFC 7540 priority fields shared with HEADERS.
//! Priority signalling is deprecated (§5.3.2) but the fields must still parse.

use super::error::{ErrorCode, FrameError};
use super::head::{FrameHeader, FrameType, StreamId};
use bytes::BytesMut;

/// RFC 7540 priority fields (PRIORITY frame and HEADERS with PRIORITY flag). Weight is the wire value 0..=255 (= weight 1..=256).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct PrioritySpec {
    /// Stream this one depends on.
    pub dependency: StreamId,
    /// Exclusive dependency bit.
    pub exclusive: bool,
    /// Wire weight (actual weight minus one).
    pub weight: u8,
}

impl PrioritySpec {
    /// Size of the fields on the wire.
    pub const LEN: usize = 5;

    /// Parses the 5 octets: E bit + 31-bit dependency, then weight.
    #[inline]
    pub fn parse(b: &[u8; 5]) -> PrioritySpec {
        let dep = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
        PrioritySpec {
            dependency: StreamId::new(dep),
            exclusive: dep & 0x8000_0000 != 0,
            weight: b[4],
        }
    }

    /// The 5 wire octets.
    #[inline]
    pub fn to_bytes(&self) -> [u8; 5] {
        let mut dep = self.dependency.value();
        if self.exclusive {
            dep |= 0x8000_0000;
        }
        let d = dep.to_be_bytes();
        [d[0], d[1], d[2], d[3], self.weight]
    }
}

/// A PRIORITY frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Priority {
    /// Stream being reprioritised (never 0).
    pub stream_id: StreamId,
    /// The new priority.
    pub spec: PrioritySpec,
}

impl Priority {
    pub(super) fn decode(head: &FrameHeader, payload: &[u8]) -> Result<Priority, FrameError> {
        if head.stream_id.is_zero() {
            return Err(FrameError::connection(
                ErrorCode::ProtocolError,
                "PRIORITY frame on stream 0",
            ));
        }
        // A wrong length is only a stream error here (§6.3): PRIORITY changes no connection state.
        let Ok(fields) = <&[u8; 5]>::try_from(payload) else {
            return Err(FrameError::stream(
                head.stream_id,
                ErrorCode::FrameSizeError,
                "PRIORITY payload is not 5 octets",
            ));
        };
        let spec = PrioritySpec::parse(fields);
        Ok(Priority {
            stream_id: head.stream_id,
            spec,
        })
    }

    /// Appends the frame to `dst`.
    pub fn encode(&self, dst: &mut BytesMut) {
        let head = FrameHeader {
            length: 5,
            kind: FrameType::Priority,
            flags: 0,
            stream_id: self.stream_id,
        };
        let h = head.to_bytes();
        let p = self.spec.to_bytes();
        dst.extend_from_slice(&[
            h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8], p[0], p[1], p[2], p[3], p[4],
        ]);
    }
}
