//! What the connection tells its owner: per-request events, in order, ending exactly once.

use bytes::Bytes;

use crate::error::Error;
use crate::headers::Headers;

/// The caller's handle for a request on a connection (assigned by the caller).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(pub u64);

/// One step of a response. For each request: zero or more `Informational`, then `Head`,
/// zero or more `Data`, optionally `Trailers`, then `Done`; or `Failed` at any point.
/// `Done` and `Failed` are terminal and each request gets exactly one of them.
///
/// `SendReady` is about the request body, not the response: a server may complete its
/// response before the request body is finished (RFC 9113 §8.1), and the stream then stays
/// open for sending, so `SendReady` can still follow `Done` until the body ends (finish it
/// with `send_data(.., end = true)`, or stop it with `cancel`). Nothing follows `Failed`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A 1xx response (100 Continue, 103 Early Hints, ...).
    Informational {
        /// The request.
        id: RequestId,
        /// 100..=199 (never 101).
        status: u16,
        /// Its header fields.
        headers: Headers,
    },
    /// The final response head.
    Head {
        /// The request.
        id: RequestId,
        /// 200..=599.
        status: u16,
        /// Header fields (pseudo-headers removed).
        headers: Headers,
    },
    /// A chunk of the response body. Call `Connection::release` once it is consumed.
    Data {
        /// The request.
        id: RequestId,
        /// The bytes (a zero-copy slice of the read buffer).
        data: Bytes,
    },
    /// Trailer fields after the body.
    Trailers {
        /// The request.
        id: RequestId,
        /// The fields.
        headers: Headers,
    },
    /// The response completed.
    Done {
        /// The request.
        id: RequestId,
    },
    /// The request failed; see [`Error::is_unprocessed`] for whether a retry is safe.
    Failed {
        /// The request.
        id: RequestId,
        /// Why.
        error: Error,
    },
    /// The request body buffer drained below its low-water mark: more may be sent.
    /// (May come after `Done`; see the type's documentation.)
    SendReady {
        /// The request.
        id: RequestId,
    },
}

impl Event {
    /// The request this event belongs to.
    pub fn id(&self) -> RequestId {
        match self {
            Event::Informational { id, .. }
            | Event::Head { id, .. }
            | Event::Data { id, .. }
            | Event::Trailers { id, .. }
            | Event::Done { id }
            | Event::Failed { id, .. }
            | Event::SendReady { id } => *id,
        }
    }

    /// Whether this is the request's last event.
    pub fn is_terminal(&self) -> bool {
        matches!(self, Event::Done { .. } | Event::Failed { .. })
    }
}
