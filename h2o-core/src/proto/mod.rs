//! The sans-IO HTTP/2 client connection (RFC 9113): settings, the stream state machine
//! (§5.1), flow control (§5.2, §6.9), the write scheduler (RFC 9218 urgency), PING and
//! GOAWAY. It never touches a socket or a clock: the transport feeds it bytes and the
//! current time and writes what it returns, which keeps it deterministic to test and fuzz.
#![forbid(unsafe_code)]

mod config;
mod connection;
mod event;
mod flow;
mod limits;
mod scheduler;
mod streams;
mod validate;

pub use config::ProtoConfig;
pub use connection::{
    ConnMetrics, ConnSnapshot, Connection, IdHasher, PeerSettings, QueuedSnapshot, StreamSnapshot,
    MAX_INFORMATIONAL,
};
pub use event::{Event, RequestId};
pub use limits::FloodLimits;

/// RFC 9113 §5.1 stream states, as seen by the client. (`Idle` and the reserved states
/// exist in the RFC; a client with push disabled never holds a stream in them.)
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum StreamState {
    /// Not yet used.
    Idle,
    /// Both sides may send.
    Open,
    /// We sent END_STREAM; the response is still arriving.
    HalfClosedLocal,
    /// The server sent END_STREAM; our request body is still going out.
    HalfClosedRemote,
    /// Both sides are done, or the stream was reset.
    Closed,
}
