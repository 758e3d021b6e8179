//! The connection task: a single poll loop that moves commands into the protocol state
//! machine, bytes between it and the socket, and events out to the requests' sinks. One
//! task wake-up handles whatever is ready, so a burst of responses costs one pass.

use std::collections::HashMap;
use std::future::poll_fn;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc::{self, UnboundedReceiver};

use crate::client::sink::{Command, Consumed, ResponseEvent};
use crate::client::Config;
use crate::error::{Error, ErrorKind, Processed};
use crate::pool::{ConnShared, OriginKey, Pool, Submission, SubmitBody};
use crate::proto::{Connection, Event, RequestId};
use crate::request::Scheme;

/// Opens the connection (TCP, or TCP then TLS) and drives it until it closes.
pub(crate) async fn run_connection(
    conn_id: u64,
    origin: OriginKey,
    cfg: Arc<Config>,
    rx: UnboundedReceiver<Command>,
    shared: Arc<ConnShared>,
    pool: Weak<Pool>,
) {
    let failed = match origin.scheme {
        Scheme::Http => match super::connect::tcp(&origin).await {
            Ok(io) => return drive(conn_id, &origin, &cfg, io, rx, shared, pool).await,
            Err(e) => e,
        },
        Scheme::Https => match super::connect::tls(&origin, &cfg.tls).await {
            Ok(io) => return drive(conn_id, &origin, &cfg, io, rx, shared, pool).await,
            Err(e) => e,
        },
    };
    tracing::debug!(conn = conn_id, origin = %origin.host, error = %failed, "connect failed");
    connect_failed(failed, rx, &shared);
}

/// Fails every request queued for a connection that could not be opened.
fn connect_failed(e: Error, mut rx: UnboundedReceiver<Command>, shared: &ConnShared) {
    shared.accepting.store(false, Ordering::Release);
    rx.close();
    while let Ok(cmd) = rx.try_recv() {
        if let Command::Submit(sub) = cmd {
            sub.fail(e.clone());
        }
    }
}

/// Runs the driver over an open byte stream until the connection closes.
async fn drive<IO: AsyncRead + AsyncWrite + Unpin>(
    conn_id: u64,
    origin: &OriginKey,
    cfg: &Config,
    io: IO,
    rx: UnboundedReceiver<Command>,
    shared: Arc<ConnShared>,
    pool: Weak<Pool>,
) {
    tracing::debug!(conn = conn_id, origin = %origin.host, port = origin.port, "connected");
    let mut driver = Driver {
        conn: Connection::new(cfg.proto.clone(), Instant::now()),
        io,
        rx,
        rx_closed: false,
        shared,
        pool,
        entries: HashMap::default(),
        streaming: Vec::new(),
        read_closed: false,
        write_closed: false,
    };
    poll_fn(|cx| driver.poll_drive(cx)).await;
    driver.finish();
}

/// A request the connection is carrying: its sink and what is needed to replay it.
struct Entry {
    sub: Box<Submission>,
    /// Something of the response arrived: never replay.
    started: bool,
    body_rx: Option<mpsc::Receiver<Bytes>>,
    body_ready: bool,
    body_sent: bool,
}

struct Driver<IO> {
    conn: Connection,
    io: IO,
    rx: UnboundedReceiver<Command>,
    rx_closed: bool,
    shared: Arc<ConnShared>,
    pool: Weak<Pool>,
    entries: HashMap<RequestId, Entry>,
    /// Requests whose streamed body is still being read from the caller.
    streaming: Vec<RequestId>,
    read_closed: bool,
    write_closed: bool,
}

impl<IO: AsyncRead + AsyncWrite + Unpin> Driver<IO> {
    fn poll_drive(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            let mut progress = self.poll_commands(cx);
            progress |= self.poll_bodies(cx);
            progress |= self.poll_read(cx);
            self.dispatch_events();
            progress |= self.poll_write(cx);
            self.dispatch_events();
            if !self.conn.is_accepting() {
                self.shared.accepting.store(false, Ordering::Release);
            }
            if self.conn.is_closed() && (self.write_closed || self.conn.poll_transmit().is_empty())
            {
                let _ = Pin::new(&mut self.io).poll_shutdown(cx);
                return Poll::Ready(());
            }
            if !progress {
                return Poll::Pending;
            }
        }
    }

    fn poll_commands(&mut self, cx: &mut Context<'_>) -> bool {
        let mut progress = false;
        for _ in 0..1024 {
            if self.rx_closed {
                break;
            }
            match self.rx.poll_recv(cx) {
                Poll::Ready(Some(cmd)) => {
                    progress = true;
                    self.on_command(cmd);
                }
                Poll::Ready(None) => {
                    // Every handle is gone: the client was dropped.
                    self.rx_closed = true;
                    self.conn.close();
                    progress = true;
                }
                Poll::Pending => break,
            }
        }
        progress
    }

    fn on_command(&mut self, cmd: Command) {
        match cmd {
            Command::Submit(sub) => self.submit(sub),
            Command::Release(id, n) => self.conn.release(id, n),
            Command::Cancel(id) => {
                self.conn.cancel(id);
                self.streaming.retain(|s| *s != id);
            }
            Command::Close => self.conn.close(),
        }
    }

    fn submit(&mut self, mut sub: Box<Submission>) {
        if !self.conn.is_accepting() {
            // Routed here just before this connection stopped accepting: send it elsewhere.
            self.shared.accepting.store(false, Ordering::Release);
            return match self.pool.upgrade() {
                Some(pool) => pool.dispatch(sub),
                None => sub.fail(Error::new(ErrorKind::Closed, "client is closed")),
            };
        }
        let id = sub.ctl.id;
        let (first, end, body_rx) = match std::mem::replace(&mut sub.body, SubmitBody::Empty) {
            SubmitBody::Empty => (None, true, None),
            SubmitBody::Full(b) => {
                sub.body = SubmitBody::Full(b.clone());
                (Some(b), true, None)
            }
            SubmitBody::Stream(rx) => (None, false, Some(rx)),
        };
        if body_rx.is_some() {
            self.streaming.push(id);
        }
        let head = sub.head.clone();
        self.entries.insert(
            id,
            Entry {
                sub,
                started: false,
                body_rx,
                body_ready: true,
                body_sent: false,
            },
        );
        self.conn.submit(id, head, first, end);
    }

    /// Pulls request-body chunks from callers while the connection has room for them.
    fn poll_bodies(&mut self, cx: &mut Context<'_>) -> bool {
        let mut progress = false;
        let mut i = 0;
        while i < self.streaming.len() {
            let id = self.streaming[i];
            let Some(e) = self.entries.get_mut(&id) else {
                self.streaming.swap_remove(i);
                continue;
            };
            let mut finished = false;
            while e.body_ready {
                let Some(rx) = e.body_rx.as_mut() else {
                    finished = true;
                    break;
                };
                match rx.poll_recv(cx) {
                    Poll::Ready(Some(chunk)) => {
                        progress = true;
                        e.body_sent = true;
                        e.body_ready = self.conn.send_data(id, chunk, false);
                    }
                    Poll::Ready(None) => {
                        progress = true;
                        self.conn.send_data(id, Bytes::new(), true);
                        e.body_rx = None;
                        finished = true;
                        break;
                    }
                    Poll::Pending => break,
                }
            }
            if finished {
                self.streaming.swap_remove(i);
            } else {
                i += 1;
            }
        }
        progress
    }

    fn poll_read(&mut self, cx: &mut Context<'_>) -> bool {
        let mut progress = false;
        for _ in 0..16 {
            if self.read_closed || self.conn.is_closed() {
                break;
            }
            let buf = self.conn.read_buffer();
            if buf.capacity() - buf.len() < 8192 {
                buf.reserve(64 << 10);
            }
            match tokio_util::io::poll_read_buf(Pin::new(&mut self.io), cx, buf) {
                Poll::Ready(Ok(0)) => {
                    self.read_closed = true;
                    self.conn.process(Instant::now());
                    self.conn.transport_closed(Error::new(
                        ErrorKind::Io,
                        "the server closed the connection",
                    ));
                    progress = true;
                }
                Poll::Ready(Ok(_)) => {
                    self.conn.process(Instant::now());
                    progress = true;
                }
                Poll::Ready(Err(e)) => {
                    self.read_closed = true;
                    self.conn
                        .transport_closed(Error::new(ErrorKind::Io, format!("read failed: {e}")));
                    progress = true;
                }
                Poll::Pending => break,
            }
            self.dispatch_events();
        }
        progress
    }

    fn poll_write(&mut self, cx: &mut Context<'_>) -> bool {
        let mut progress = false;
        let mut wrote = false;
        while !self.write_closed {
            let out = self.conn.poll_transmit();
            if out.is_empty() {
                break;
            }
            match Pin::new(&mut self.io).poll_write(cx, out) {
                Poll::Ready(Ok(n)) if n > 0 => {
                    self.conn.advance_transmit(n);
                    progress = true;
                    wrote = true;
                }
                Poll::Ready(Ok(_)) | Poll::Ready(Err(_)) => {
                    self.write_closed = true;
                    self.conn
                        .transport_closed(Error::new(ErrorKind::Io, "write to the server failed"));
                    progress = true;
                }
                Poll::Pending => break,
            }
        }
        if wrote {
            let _ = Pin::new(&mut self.io).poll_flush(cx);
        }
        progress
    }

    fn dispatch_events(&mut self) {
        while let Some(ev) = self.conn.poll_event() {
            match ev {
                Event::Data { id, data } => {
                    let Some(e) = self.entries.get_mut(&id) else {
                        continue;
                    };
                    e.started = true;
                    let n = data.len();
                    if e.sub.sink.on_event(ResponseEvent::Data(data)) == Consumed::Now {
                        self.conn.release(id, n);
                    }
                }
                Event::Head {
                    id,
                    status,
                    headers,
                } => self.deliver(id, ResponseEvent::Head { status, headers }),
                Event::Informational {
                    id,
                    status,
                    headers,
                } => self.deliver(id, ResponseEvent::Informational { status, headers }),
                Event::Trailers { id, headers } => {
                    self.deliver(id, ResponseEvent::Trailers(headers))
                }
                Event::Done { id } => {
                    if let Some(mut e) = self.entries.remove(&id) {
                        e.sub.sink.on_event(ResponseEvent::Done);
                    }
                }
                Event::Failed { id, error } => self.on_failed(id, error),
                Event::SendReady { id } => {
                    if let Some(e) = self.entries.get_mut(&id) {
                        e.body_ready = true;
                    }
                }
            }
        }
    }

    fn deliver(&mut self, id: RequestId, ev: ResponseEvent) {
        if let Some(e) = self.entries.get_mut(&id) {
            e.started = true;
            e.sub.sink.on_event(ev);
        }
    }

    fn on_failed(&mut self, id: RequestId, error: Error) {
        let Some(mut e) = self.entries.remove(&id) else {
            return;
        };
        self.streaming.retain(|s| *s != id);
        // A streamed body can be replayed only if none of it was taken from the caller.
        let replayable = !e.started && !e.body_sent;
        if error.is_unprocessed() && replayable && error.kind() != ErrorKind::Cancelled {
            if let Some(pool) = self.pool.upgrade() {
                if let Some(rx) = e.body_rx.take() {
                    e.sub.body = SubmitBody::Stream(rx);
                }
                tracing::debug!(request = id.0, error = %error, "retrying unprocessed request");
                return pool.retry(e.sub, error);
            }
        }
        e.sub.sink.on_event(ResponseEvent::Error(error));
    }

    /// After the loop: hand requests that never reached the state machine to the pool.
    fn finish(&mut self) {
        self.shared.accepting.store(false, Ordering::Release);
        self.rx.close();
        while let Ok(cmd) = self.rx.try_recv() {
            if let Command::Submit(sub) = cmd {
                match self.pool.upgrade() {
                    Some(pool) => pool.dispatch(sub),
                    None => sub.fail(
                        Error::new(ErrorKind::Closed, "client is closed")
                            .with_processed(Processed::No),
                    ),
                }
            }
        }
        let leftover: Vec<RequestId> = self.entries.keys().copied().collect();
        for id in leftover {
            if let Some(e) = self.entries.remove(&id) {
                e.sub
                    .fail(Error::new(ErrorKind::Closed, "connection closed"));
            }
        }
    }
}
