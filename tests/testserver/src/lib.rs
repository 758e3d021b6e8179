//! `h2o-testserver`: a small HTTP/2 server (hyper) with deterministic endpoints for h2o's tests.
//!
//! It speaks HTTP/2 only: h2c with prior knowledge by default, or TLS with ALPN `h2`.
//!
//! | endpoint | answer |
//! |---|---|
//! | `GET /hello` | `Hello, world!` (13 bytes) |
//! | `GET /bytes/N` | N bytes, byte i = `(i % 251) as u8`, in 16 KiB DATA chunks, `content-length: N` |
//! | `* /echo` | streams the request body back, then a trailer `x-received-bytes: <count>` |
//! | `POST /sha256` | consumes the body; `{"len":N,"sha256":"<hex>"}` |
//! | `GET /delay/MS` | waits MS milliseconds, then `Hello, world!` |
//! | `GET /status/CODE` | that status; 204 and 304 have no body, others a short text body |
//! | `GET /trailers` | body `hello`, trailers `x-trailer: done` and `grpc-status: 0` |
//! | `GET /headers/N` | about N bytes of extra response headers (`x-h-0`, `x-h-1`, ...: name + value lengths add up to N) |
//!
//! `HEAD` works on every endpoint (same status and headers, no body). Anything else is 404.
//!
//! Embed it in a test with [`spawn`] (its own thread and runtime) or [`serve`] (inside your runtime).

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::{Body as HttpBody, Frame, Incoming, SizeHint};
use hyper::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;
use tokio_rustls::rustls;
use tokio_rustls::TlsAcceptor;

/// The body of `/hello` and `/delay/MS`.
pub const HELLO: &[u8] = b"Hello, world!";
/// Size of the DATA chunks `/bytes/N` produces.
pub const CHUNK: usize = 16 * 1024;

/// Byte `i` of the deterministic pattern served by `/bytes/N` (and by the real servers' docroot).
pub fn pattern_byte(i: u64) -> u8 {
    (i % 251) as u8
}

/// `len` bytes of the pattern starting at absolute offset `start`.
pub fn pattern(start: u64, len: usize) -> Vec<u8> {
    // Copied from one period of the pattern (not computed byte by byte: the debug build
    // the tests run would spend ~0.3 ms of CPU per 16 KiB chunk).
    let period: [u8; 251] = std::array::from_fn(|i| i as u8);
    let mut out = Vec::with_capacity(len);
    let mut at = (start % 251) as usize;
    while out.len() < len {
        let n = (251 - at).min(len - out.len());
        out.extend_from_slice(&period[at..at + n]);
        at = 0;
    }
    out
}

/// Certificate chain and private key (PEM files) for TLS mode.
#[derive(Clone, Debug)]
pub struct TlsFiles {
    /// PEM certificate chain, leaf first.
    pub cert: PathBuf,
    /// PEM private key (PKCS#8, SEC1 or PKCS#1).
    pub key: PathBuf,
}

/// Server options.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// SETTINGS_MAX_CONCURRENT_STREAMS to advertise (hyper's default when `None`).
    pub max_concurrent_streams: Option<u32>,
    /// Serve TLS with ALPN `h2` instead of h2c prior knowledge.
    pub tls: Option<TlsFiles>,
}

/// Builds a rustls server config (ALPN `h2` only) from PEM files.
pub fn tls_acceptor(files: &TlsFiles) -> io::Result<TlsAcceptor> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let bad = |what: &str, e: rustls_pki_types::pem::Error| {
        io::Error::new(io::ErrorKind::InvalidInput, format!("{what}: {e}"))
    };
    let certs = CertificateDer::pem_file_iter(&files.cert)
        .map_err(|e| bad("certificate file", e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad("certificate file", e))?;
    let key = PrivateKeyDer::from_pem_file(&files.key).map_err(|e| bad("key file", e))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(io::Error::other)?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(io::Error::other)?;
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Accepts connections on `listener` forever, serving each one as HTTP/2 on its own task.
///
/// Errors on a single connection are ignored; the function returns only if TLS setup fails or
/// `accept` itself fails.
pub async fn serve(listener: TcpListener, opts: Options) -> io::Result<()> {
    let tls = opts.tls.as_ref().map(tls_acceptor).transpose()?;
    let mut builder = hyper::server::conn::http2::Builder::new(TokioExecutor::new());
    if let Some(n) = opts.max_concurrent_streams {
        builder.max_concurrent_streams(n);
    }
    loop {
        let (tcp, _) = listener.accept().await?;
        let _ = tcp.set_nodelay(true);
        let builder = builder.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(handle);
            match tls {
                None => {
                    let _ = builder.serve_connection(TokioIo::new(tcp), service).await;
                }
                Some(acceptor) => {
                    if let Ok(stream) = acceptor.accept(tcp).await {
                        let _ = builder
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    }
                }
            }
        });
    }
}

/// A test server running on its own thread (with its own tokio runtime). Dropping it stops it.
pub struct ServerHandle {
    addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ServerHandle {
    /// The bound address (always 127.0.0.1).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Starts the server on 127.0.0.1 with an ephemeral port, on a background thread, and returns
/// once it is bound. For use from blocking code and `#[test]` functions.
pub fn spawn(opts: Options) -> io::Result<ServerHandle> {
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    std_listener.set_nonblocking(true)?;
    let addr = std_listener.local_addr()?;
    // Fail early (in the caller's thread) on bad TLS files.
    if let Some(files) = &opts.tls {
        tls_acceptor(files)?;
    }
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::Builder::new()
        .name(format!("h2o-testserver-{}", addr.port()))
        .spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("tokio runtime");
            rt.block_on(async move {
                let listener = TcpListener::from_std(std_listener).expect("listener");
                tokio::select! {
                    _ = serve(listener, opts) => {}
                    _ = rx => {}
                }
            });
            rt.shutdown_timeout(Duration::from_secs(1));
        })?;
    Ok(ServerHandle {
        addr,
        shutdown: Some(tx),
        thread: Some(thread),
    })
}

/// Response body of every endpoint.
pub enum Body {
    /// No body.
    Empty,
    /// One buffer.
    Full(Option<Bytes>),
    /// `remaining` bytes of the pattern starting at `offset`, in [`CHUNK`]-sized frames.
    Pattern {
        /// Absolute offset of the next byte.
        offset: u64,
        /// Bytes still to send.
        remaining: u64,
    },
    /// The request body streamed back, then trailer `x-received-bytes`.
    Echo {
        /// The request body.
        incoming: Incoming,
        /// Bytes forwarded so far.
        count: u64,
        /// Trailers already sent.
        done: bool,
    },
    /// One buffer followed by trailers.
    WithTrailers(Option<Bytes>, Option<HeaderMap>),
}

impl HttpBody for Body {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let this = self.get_mut();
        match this {
            Body::Empty => Poll::Ready(None),
            Body::Full(data) => Poll::Ready(data.take().map(|b| Ok(Frame::data(b)))),
            Body::Pattern { offset, remaining } => {
                if *remaining == 0 {
                    return Poll::Ready(None);
                }
                let n = (*remaining).min(CHUNK as u64) as usize;
                let chunk = Bytes::from(pattern(*offset, n));
                *offset += n as u64;
                *remaining -= n as u64;
                Poll::Ready(Some(Ok(Frame::data(chunk))))
            }
            Body::Echo {
                incoming,
                count,
                done,
            } => loop {
                if *done {
                    return Poll::Ready(None);
                }
                match Pin::new(&mut *incoming).poll_frame(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                    Poll::Ready(Some(Ok(frame))) => {
                        // Request trailers are dropped; data is forwarded.
                        if let Ok(data) = frame.into_data() {
                            *count += data.len() as u64;
                            return Poll::Ready(Some(Ok(Frame::data(data))));
                        }
                    }
                    Poll::Ready(None) => {
                        *done = true;
                        let mut t = HeaderMap::new();
                        t.insert("x-received-bytes", HeaderValue::from(*count));
                        return Poll::Ready(Some(Ok(Frame::trailers(t))));
                    }
                }
            },
            Body::WithTrailers(data, trailers) => {
                if let Some(d) = data.take() {
                    return Poll::Ready(Some(Ok(Frame::data(d))));
                }
                Poll::Ready(trailers.take().map(|t| Ok(Frame::trailers(t))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Body::Empty => true,
            Body::Full(d) => d.is_none(),
            Body::Pattern { remaining, .. } => *remaining == 0,
            Body::Echo { done, .. } => *done,
            Body::WithTrailers(d, t) => d.is_none() && t.is_none(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Body::Empty => SizeHint::with_exact(0),
            Body::Full(d) => SizeHint::with_exact(d.as_ref().map_or(0, |b| b.len() as u64)),
            Body::Pattern { remaining, .. } => SizeHint::with_exact(*remaining),
            Body::Echo { .. } | Body::WithTrailers(..) => SizeHint::default(),
        }
    }
}

fn full(status: StatusCode, body: impl Into<Bytes>) -> Response<Body> {
    let body: Bytes = body.into();
    let mut res = Response::new(Body::Empty);
    *res.status_mut() = status;
    res.headers_mut()
        .insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
    *res.body_mut() = Body::Full(Some(body));
    res
}

fn not_found() -> Response<Body> {
    full(StatusCode::NOT_FOUND, "not found\n")
}

/// The request handler behind every connection (exposed for embedding in custom servers).
pub async fn handle(req: Request<Incoming>) -> Result<Response<Body>, Infallible> {
    let head = req.method() == Method::HEAD;
    let path = req.uri().path().to_owned();
    let mut parts = path.trim_start_matches('/').splitn(2, '/');
    let first = parts.next().unwrap_or("");
    let arg = parts.next();
    let mut res = match (first, arg) {
        ("hello", None) => full(StatusCode::OK, HELLO),
        ("bytes", Some(n)) => match n.parse::<u64>() {
            Ok(n) => {
                let mut res = Response::new(Body::Pattern {
                    offset: 0,
                    remaining: n,
                });
                res.headers_mut()
                    .insert(CONTENT_LENGTH, HeaderValue::from(n));
                res
            }
            Err(_) => not_found(),
        },
        ("echo", None) => Response::new(Body::Echo {
            incoming: req.into_body(),
            count: 0,
            done: false,
        }),
        ("sha256", None) => {
            let mut body = req.into_body();
            let mut hasher = Sha256::new();
            let mut len = 0u64;
            while let Some(frame) = body.frame().await {
                match frame {
                    Ok(f) => {
                        if let Ok(d) = f.into_data() {
                            len += d.len() as u64;
                            hasher.update(&d);
                        }
                    }
                    Err(_) => return Ok(full(StatusCode::BAD_REQUEST, "body error\n")),
                }
            }
            let hex: String = hasher
                .finalize()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            let mut res = full(
                StatusCode::OK,
                format!("{{\"len\":{len},\"sha256\":\"{hex}\"}}"),
            );
            res.headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            res
        }
        ("delay", Some(ms)) => match ms.parse::<u64>() {
            Ok(ms) => {
                tokio::time::sleep(Duration::from_millis(ms)).await;
                full(StatusCode::OK, HELLO)
            }
            Err(_) => not_found(),
        },
        ("status", Some(code)) => match code
            .parse::<u16>()
            .ok()
            .and_then(|c| StatusCode::from_u16(c).ok())
        {
            Some(s) if s == StatusCode::NO_CONTENT || s == StatusCode::NOT_MODIFIED => {
                let mut res = Response::new(Body::Empty);
                *res.status_mut() = s;
                res
            }
            Some(s) if s.is_informational() => not_found(),
            Some(s) => full(s, format!("status {}\n", s.as_u16())),
            None => not_found(),
        },
        ("trailers", None) => {
            let mut t = HeaderMap::new();
            t.insert("x-trailer", HeaderValue::from_static("done"));
            t.insert("grpc-status", HeaderValue::from_static("0"));
            Response::new(Body::WithTrailers(
                Some(Bytes::from_static(b"hello")),
                Some(t),
            ))
        }
        ("headers", Some(n)) => match n.parse::<usize>() {
            Ok(n) => {
                let mut res = full(StatusCode::OK, HELLO);
                for (name, value) in extra_headers(n) {
                    res.headers_mut().append(name, value);
                }
                res
            }
            Err(_) => not_found(),
        },
        _ => not_found(),
    };
    if head {
        // Keep status and headers (content-length included), drop the body.
        if let Some(len) = res.body().size_hint().exact() {
            if !res.headers().contains_key(CONTENT_LENGTH) && len > 0 {
                res.headers_mut()
                    .insert(CONTENT_LENGTH, HeaderValue::from(len));
            }
        }
        *res.body_mut() = Body::Empty;
    }
    Ok(res)
}

/// The headers of `/headers/N`: `x-h-0`, `x-h-1`, ... with values of `a`s, at most 1000 bytes
/// each, whose name and value lengths add up to `n` (or a little more when `n` is not reachable
/// exactly with a non-empty last value).
pub fn extra_headers(n: usize) -> Vec<(HeaderName, HeaderValue)> {
    let mut out = Vec::new();
    let mut remaining = n;
    let mut i = 0;
    while remaining > 0 {
        let name = format!("x-h-{i}");
        let vlen = remaining.saturating_sub(name.len()).clamp(1, 1000);
        remaining = remaining.saturating_sub(name.len() + vlen);
        let name = HeaderName::from_bytes(name.as_bytes()).expect("valid name");
        let value = HeaderValue::from_str(&"a".repeat(vlen)).expect("valid value");
        out.push((name, value));
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pattern_matches_pattern_byte() {
        for (start, len) in [
            (0u64, 0usize),
            (0, 1),
            (0, 251),
            (3, 600),
            (250, 2),
            (1 << 40, 16_384 + 7),
        ] {
            let p = pattern(start, len);
            assert_eq!(p.len(), len);
            for (k, b) in p.iter().enumerate() {
                assert_eq!(*b, pattern_byte(start + k as u64), "start {start} byte {k}");
            }
        }
    }
}
