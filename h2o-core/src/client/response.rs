//! The Rust API's response: the head as soon as it arrives, the body chunk by chunk (or
//! whole), trailers after the body. Body chunks return their flow-control credit as they
//! are consumed, so a slow reader slows the server instead of filling memory.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use bytes::{Bytes, BytesMut};
use parking_lot::Mutex;

use super::sink::{Consumed, EventSink, RequestHandle, ResponseEvent};
use crate::error::{Error, ErrorKind, Result};
use crate::headers::Headers;

/// Events waiting for the Rust-side reader.
#[derive(Default)]
pub(crate) struct Inbox {
    events: VecDeque<ResponseEvent>,
    waker: Option<Waker>,
}

/// The next queued event, or Pending with the reader's waker registered.
fn next_event(inbox: &Mutex<Inbox>, cx: &mut Context<'_>) -> Poll<ResponseEvent> {
    let mut inbox = inbox.lock();
    match inbox.events.pop_front() {
        Some(ev) => Poll::Ready(ev),
        None => {
            inbox.waker = Some(cx.waker().clone());
            Poll::Pending
        }
    }
}

/// The sink half: runs on the runtime thread, queues events and wakes the reader.
pub(crate) struct InboxSink(pub Arc<Mutex<Inbox>>);

impl EventSink for InboxSink {
    fn on_event(&mut self, event: ResponseEvent) -> Consumed {
        let waker = {
            let mut inbox = self.0.lock();
            inbox.events.push_back(event);
            inbox.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
        Consumed::Later
    }
}

/// Bytes consumed but not yet reported; reported in batches to spare the connection task.
const RELEASE_BATCH: usize = 16 << 10;

/// Resolves to the response head; returned by [`Client::send`](super::Client::send).
pub struct ResponseFuture {
    pub(crate) inbox: Arc<Mutex<Inbox>>,
    pub(crate) handle: Option<RequestHandle>,
    pub(crate) informational: Vec<(u16, Headers)>,
}

impl ResponseFuture {
    /// The handle of the request (cancel from elsewhere).
    pub fn handle(&self) -> Option<&RequestHandle> {
        self.handle.as_ref()
    }
}

impl Future for ResponseFuture {
    type Output = Result<Response>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<Response>> {
        let this = self.get_mut();
        loop {
            let Poll::Ready(ev) = next_event(&this.inbox, cx) else {
                return Poll::Pending;
            };
            match ev {
                ResponseEvent::Informational { status, headers } => {
                    this.informational.push((status, headers))
                }
                ResponseEvent::Head { status, headers } => {
                    return Poll::Ready(Ok(Response {
                        status,
                        headers,
                        informational: std::mem::take(&mut this.informational),
                        body: ResponseBody {
                            inbox: this.inbox.clone(),
                            handle: this.handle.take(),
                            trailers: None,
                            unreported: 0,
                            ended: false,
                        },
                    }))
                }
                ResponseEvent::Error(e) => {
                    this.handle = None;
                    return Poll::Ready(Err(e));
                }
                other => {
                    let e = Error::new(
                        ErrorKind::Protocol,
                        format!("unexpected event before the response head: {other:?}"),
                    );
                    return Poll::Ready(Err(e));
                }
            }
        }
    }
}

impl Drop for ResponseFuture {
    fn drop(&mut self) {
        // Dropped before the head arrived: the caller gave up on the request.
        if let Some(h) = self.handle.take() {
            h.cancel();
        }
    }
}

/// An HTTP/2 response.
///
/// ```no_run
/// # async fn demo(client: h2o_core::Client) -> h2o_core::Result<()> {
/// let mut resp = client.get("http://127.0.0.1:8080/hello").await?;
/// assert_eq!(resp.status(), 200);
/// while let Some(chunk) = resp.chunk().await? {
///     println!("{} bytes", chunk.len());
/// }
/// # Ok(()) }
/// ```
pub struct Response {
    status: u16,
    headers: Headers,
    informational: Vec<(u16, Headers)>,
    body: ResponseBody,
}

impl Response {
    /// The status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The response header fields.
    pub fn headers(&self) -> &Headers {
        &self.headers
    }

    /// 1xx responses received before this one (103 Early Hints, ...).
    pub fn informational(&self) -> &[(u16, Headers)] {
        &self.informational
    }

    /// The next body chunk, or `None` at the end.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>> {
        self.body.chunk().await
    }

    /// The whole body.
    pub async fn bytes(&mut self) -> Result<Bytes> {
        // One chunk (the common small-body case) is returned without a copy.
        let Some(first) = self.chunk().await? else {
            return Ok(Bytes::new());
        };
        let Some(second) = self.chunk().await? else {
            return Ok(first);
        };
        let mut out = BytesMut::with_capacity(first.len() + second.len());
        out.extend_from_slice(&first);
        out.extend_from_slice(&second);
        while let Some(c) = self.chunk().await? {
            out.extend_from_slice(&c);
        }
        Ok(out.freeze())
    }

    /// Trailer fields, once the body has been read to its end.
    pub fn trailers(&self) -> Option<&Headers> {
        self.body.trailers.as_ref()
    }

    /// Splits off the body reader.
    pub fn into_body(self) -> ResponseBody {
        self.body
    }
}

impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .finish()
    }
}

/// Reads a response body chunk by chunk.
pub struct ResponseBody {
    inbox: Arc<Mutex<Inbox>>,
    handle: Option<RequestHandle>,
    trailers: Option<Headers>,
    unreported: usize,
    ended: bool,
}

impl ResponseBody {
    /// The next chunk, or `None` at the end of the body.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>> {
        std::future::poll_fn(|cx| self.poll_chunk(cx)).await
    }

    /// Trailer fields, once the body has been read to its end.
    pub fn trailers(&self) -> Option<&Headers> {
        self.trailers.as_ref()
    }

    fn poll_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Result<Option<Bytes>>> {
        if self.ended {
            return Poll::Ready(Ok(None));
        }
        loop {
            let Poll::Ready(ev) = next_event(&self.inbox, cx) else {
                return Poll::Pending;
            };
            match ev {
                ResponseEvent::Data(d) => {
                    self.unreported += d.len();
                    if self.unreported >= RELEASE_BATCH {
                        self.report();
                    }
                    return Poll::Ready(Ok(Some(d)));
                }
                ResponseEvent::Trailers(t) => self.trailers = Some(t),
                ResponseEvent::Done => {
                    self.finish();
                    return Poll::Ready(Ok(None));
                }
                ResponseEvent::Error(e) => {
                    self.finish();
                    return Poll::Ready(Err(e));
                }
                ResponseEvent::Head { .. } | ResponseEvent::Informational { .. } => {}
            }
        }
    }

    fn report(&mut self) {
        if let Some(h) = &self.handle {
            h.release(std::mem::take(&mut self.unreported));
        }
    }

    fn finish(&mut self) {
        self.ended = true;
        self.report();
        self.handle = None;
    }
}

impl Drop for ResponseBody {
    fn drop(&mut self) {
        if !self.ended {
            // Abandoned mid-body: return the credit of what arrived but was never read, and
            // reset the stream so the server stops sending.
            let unread: usize = self
                .inbox
                .lock()
                .events
                .iter()
                .map(|e| match e {
                    ResponseEvent::Data(d) => d.len(),
                    _ => 0,
                })
                .sum();
            self.unreported += unread;
            self.report();
            if let Some(h) = self.handle.take() {
                h.cancel();
            }
        }
    }
}
