//! The event layer every front end adapts: a request delivers `Informational*`, `Head`,
//! `Data*`, `Trailers?`, then exactly one of `Done` or `Error`, to an [`EventSink`] that
//! runs on the library's runtime thread.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use parking_lot::Mutex;
use tokio::sync::mpsc::UnboundedSender;

use crate::error::Error;
use crate::headers::Headers;
use crate::proto::RequestId;

/// One step of a response, as a front end sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResponseEvent {
    /// A 1xx response (100 Continue, 103 Early Hints).
    Informational {
        /// 100..=199.
        status: u16,
        /// Its fields.
        headers: Headers,
    },
    /// The final response head.
    Head {
        /// The status code.
        status: u16,
        /// The fields.
        headers: Headers,
    },
    /// A body chunk.
    Data(Bytes),
    /// Trailer fields.
    Trailers(Headers),
    /// The response completed (terminal).
    Done,
    /// The request failed (terminal).
    Error(Error),
}

impl ResponseEvent {
    /// Whether this is the last event of its request.
    pub fn is_terminal(&self) -> bool {
        matches!(self, ResponseEvent::Done | ResponseEvent::Error(_))
    }
}

/// When the flow-control credit of a `Data` event is returned to the server.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Consumed {
    /// The sink is done with the bytes: replenish the window now.
    Now,
    /// The sink keeps the bytes; it calls [`RequestHandle::release`] when they are consumed
    /// (so a slow reader slows the server and memory stays bounded).
    Later,
}

/// Receives a request's events on the runtime thread. Must not block.
///
/// ```
/// use h2o_core::client::{Consumed, EventSink, ResponseEvent};
/// struct Count(usize);
/// impl EventSink for Count {
///     fn on_event(&mut self, ev: ResponseEvent) -> Consumed {
///         if let ResponseEvent::Data(d) = ev { self.0 += d.len(); }
///         Consumed::Now
///     }
/// }
/// ```
pub trait EventSink: Send + 'static {
    /// Handles one event. Called in order; the terminal event is the last call.
    fn on_event(&mut self, event: ResponseEvent) -> Consumed;
}

impl<F> EventSink for F
where
    F: FnMut(ResponseEvent) -> Consumed + Send + 'static,
{
    fn on_event(&mut self, event: ResponseEvent) -> Consumed {
        self(event)
    }
}

/// Messages to a connection task.
pub(crate) enum Command {
    Submit(crate::pool::SubBox),
    Release(RequestId, usize),
    /// Take the credit that ended requests left in `ConnShared::ended_credit`.
    EndedCredit,
    Cancel(RequestId),
    /// Finish in-flight requests, take no new ones, then close (idle eviction).
    Drain,
    Close,
    /// Answer with a snapshot for the debug dump.
    Snapshot(std::sync::mpsc::Sender<super::debug::ConnDump>),
}

/// Where a request currently lives (it moves when it is retried on another connection).
pub(crate) struct RequestCtl {
    pub id: RequestId,
    pub route: Mutex<Option<Route>>,
    /// The response ended on its connection (its stream is gone there), so credit it
    /// returns now is connection credit only and can be pooled (`release`).
    pub ended: AtomicBool,
}

/// The connection a request is on: its command queue and shared state.
pub(crate) struct Route {
    pub tx: UnboundedSender<Command>,
    pub conn: Arc<crate::pool::ConnShared>,
}

/// A handle to an in-flight request: cancel it or return flow-control credit.
/// Cheap to clone; every method is non-blocking and safe from any thread.
#[derive(Clone)]
pub struct RequestHandle {
    pub(crate) ctl: Arc<RequestCtl>,
}

impl RequestHandle {
    /// The request's id (unique per client).
    pub fn id(&self) -> u64 {
        self.ctl.id.0
    }

    /// Cancels the request (RST_STREAM CANCEL if it is on the wire). Never blocks; the
    /// request then ends with `Error(Cancelled)` unless it had already ended.
    pub fn cancel(&self) {
        self.send(Command::Cancel(self.ctl.id));
    }

    /// Returns `n` consumed body bytes of flow-control credit (for sinks that answered
    /// [`Consumed::Later`]).
    pub fn release(&self, n: usize) {
        if n == 0 {
            return;
        }
        if !self.ctl.ended.load(Ordering::Acquire) {
            return self.send(Command::Release(self.ctl.id, n));
        }
        // Its stream is gone: only the connection window is owed. Credit from many ended
        // requests (a poll-mode caller releasing a batch) is pooled and taken by one
        // command: whoever finds the pool empty sends it, so none is left behind.
        if let Some(route) = self.ctl.route.lock().as_ref() {
            if route
                .conn
                .ended_credit
                .fetch_add(n as u64, Ordering::AcqRel)
                == 0
            {
                let _ = route.tx.send(Command::EndedCredit);
            }
        }
    }

    fn send(&self, cmd: Command) {
        if let Some(route) = self.ctl.route.lock().as_ref() {
            let _ = route.tx.send(cmd);
        }
    }
}

impl std::fmt::Debug for RequestHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestHandle")
            .field("id", &self.ctl.id.0)
            .finish()
    }
}
