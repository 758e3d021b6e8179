//! The Rust API's request: a builder over [`RequestHead`] plus a body.

use std::time::Duration;

use bytes::Bytes;
use tokio::sync::mpsc;

use crate::error::Result;
use crate::request::{Method, Priority, RequestHead, Url};

/// A request body: nothing, one buffer, or chunks streamed by the caller.
pub enum Body {
    /// No body (END_STREAM on HEADERS).
    Empty,
    /// The whole body in memory (replayable: safe to retry).
    Full(Bytes),
    /// Chunks from a [`BodySender`]; the body ends when the sender is dropped or finished.
    Stream(mpsc::Receiver<Bytes>),
}

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Body::Empty => f.write_str("Body::Empty"),
            Body::Full(b) => write!(f, "Body::Full({} bytes)", b.len()),
            Body::Stream(_) => f.write_str("Body::Stream"),
        }
    }
}

/// Writes a streamed request body. Backpressure: `send` waits while the connection's
/// buffer for this stream is full (flow control from the server reaches the caller).
///
/// ```no_run
/// # async fn demo(client: h2o_core::Client) -> h2o_core::Result<()> {
/// use h2o_core::client::Request;
/// let (req, mut body) = Request::post("http://127.0.0.1:8080/echo")?.body_stream();
/// let resp = client.send(req);
/// body.send(bytes::Bytes::from_static(b"part 1")).await?;
/// body.finish();
/// let resp = resp.await?;
/// # Ok(()) }
/// ```
pub struct BodySender {
    tx: mpsc::Sender<Bytes>,
}

impl BodySender {
    /// Sends one chunk, waiting for room. Fails with `Cancelled` if the request ended.
    pub async fn send(&mut self, chunk: Bytes) -> Result<()> {
        self.tx.send(chunk).await.map_err(|_| {
            crate::Error::new(crate::ErrorKind::Cancelled, "request ended before the body")
        })
    }

    /// Sends one chunk without waiting; `false` if the buffer is full or the request ended.
    pub fn try_send(&mut self, chunk: Bytes) -> bool {
        self.tx.try_send(chunk).is_ok()
    }

    /// Ends the body (END_STREAM). Dropping the sender does the same.
    pub fn finish(self) {}
}

/// A request for the Rust API.
///
/// ```
/// use h2o_core::client::Request;
/// let req = Request::get("http://127.0.0.1:8080/hello").unwrap().header("accept", "*/*");
/// assert_eq!(req.head().method.as_str(), "GET");
/// ```
#[derive(Debug)]
pub struct Request {
    pub(crate) url: Url,
    pub(crate) head: RequestHead,
    pub(crate) body: Body,
    pub(crate) lane: u32,
    pub(crate) timeouts: Timeouts,
    /// Whether the caller chose a priority; if not, the client's
    /// [`Config::default_priority`](super::Config::default_priority) applies.
    pub(crate) priority_set: bool,
}

/// Per-request deadlines; `None` falls back to the client's [`Config`](super::Config).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Timeouts {
    /// Response head deadline.
    pub headers: Option<Duration>,
    /// Longest silence between body chunks.
    pub idle: Option<Duration>,
    /// Whole-request deadline.
    pub total: Option<Duration>,
}

impl Request {
    /// A request with `method` for `url`.
    pub fn new(method: Method, url: &str) -> Result<Request> {
        let url = Url::parse(url)?;
        let head = RequestHead::new(method, &url);
        Ok(Request::from_parts(url, head))
    }

    /// A request from an already parsed URL and head (no parsing; for hot loops that
    /// send the same request many times).
    /// A head whose priority differs from [`Priority::default`] keeps it; otherwise the
    /// client's default priority applies.
    pub fn from_parts(url: Url, head: RequestHead) -> Request {
        Request {
            priority_set: head.priority != Priority::default(),
            url,
            head,
            body: Body::Empty,
            lane: 0,
            timeouts: Timeouts::default(),
        }
    }

    /// A GET request.
    pub fn get(url: &str) -> Result<Request> {
        Request::new(Method::GET, url)
    }

    /// A POST request.
    pub fn post(url: &str) -> Result<Request> {
        Request::new(Method::POST, url)
    }

    /// Appends a header (the name is lowercased; invalid headers fail at submission).
    pub fn header(mut self, name: &str, value: impl Into<Bytes>) -> Request {
        self.head.headers.append(name, value);
        self
    }

    /// Sets the whole body; a `content-length` header is added unless one is set.
    pub fn body(mut self, body: impl Into<Bytes>) -> Request {
        let body = body.into();
        if !self.head.headers.contains("content-length") {
            self.head
                .headers
                .append("content-length", body.len().to_string());
        }
        self.body = Body::Full(body);
        self
    }

    /// Switches to a streamed body and returns its sender.
    pub fn body_stream(mut self) -> (Request, BodySender) {
        let (tx, rx) = mpsc::channel(16);
        self.body = Body::Stream(rx);
        (self, BodySender { tx })
    }

    /// Puts the request in connection lane `lane`: requests in different lanes never share
    /// a connection (for benchmarks with several connections, or isolating traffic).
    pub fn lane(mut self, lane: u32) -> Request {
        self.lane = lane;
        self
    }

    /// Deadline for the whole request (`RequestTimeout`).
    pub fn timeout(mut self, total: Duration) -> Request {
        self.timeouts.total = Some(total);
        self
    }

    /// Deadline for the response head (`HeadersTimeout`).
    pub fn headers_timeout(mut self, d: Duration) -> Request {
        self.timeouts.headers = Some(d);
        self
    }

    /// Longest silence between body chunks (`IdleTimeout`).
    pub fn idle_timeout(mut self, d: Duration) -> Request {
        self.timeouts.idle = Some(d);
        self
    }

    /// Sets the RFC 9218 priority (without this call the client's
    /// [`Config::default_priority`](super::Config::default_priority) applies).
    pub fn priority(mut self, priority: Priority) -> Request {
        self.head.priority = priority;
        self.priority_set = true;
        self
    }

    /// The head as it will be sent.
    pub fn head(&self) -> &RequestHead {
        &self.head
    }

    /// The URL.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// A copy to send again, sharing this one's strings and body; `None` for a streamed
    /// body, which only one request can take.
    ///
    /// ```
    /// use h2o_core::client::Request;
    /// let template = Request::post("http://127.0.0.1:8080/state").unwrap().body("ping");
    /// let copy = template.try_clone().expect("a full body can be shared");
    /// assert_eq!(copy.head().headers.get("content-length"), Some(&b"4"[..]));
    /// let (streamed, _sender) = Request::post("http://127.0.0.1:8080/up").unwrap().body_stream();
    /// assert!(streamed.try_clone().is_none());
    /// ```
    pub fn try_clone(&self) -> Option<Request> {
        let body = match &self.body {
            Body::Empty => Body::Empty,
            Body::Full(b) => Body::Full(b.clone()),
            Body::Stream(_) => return None,
        };
        Some(Request {
            url: self.url.clone(),
            head: self.head.clone(),
            body,
            lane: self.lane,
            timeouts: self.timeouts,
            priority_set: self.priority_set,
        })
    }
}
