//! The one error type every front end shares: a stable kind (with a number for C), the
//! RFC 9113 error code where one applies, who raised it, and whether the server may have
//! processed the request (so callers can decide about retries themselves).

use std::borrow::Cow;
use std::fmt;

use crate::frame::ErrorCode;

/// Stable error kinds. The numbers are part of the C ABI and never change meaning.
///
/// ```
/// use h2o_core::ErrorKind;
/// assert_eq!(ErrorKind::Cancelled.code(), 13);
/// assert_eq!(ErrorKind::from_code(13), Some(ErrorKind::Cancelled));
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A caller-supplied argument was invalid (header, method, setting).
    InvalidArgument = 1,
    /// The URL could not be parsed or uses an unsupported scheme.
    InvalidUrl = 2,
    /// DNS resolution or the TCP connect failed.
    Connect = 3,
    /// The TLS handshake or certificate verification failed.
    Tls = 4,
    /// The TCP connect (DNS included) did not finish in time.
    ConnectTimeout = 5,
    /// The response headers did not arrive in time.
    HeadersTimeout = 6,
    /// Nothing arrived for too long between body chunks.
    IdleTimeout = 7,
    /// The whole request took longer than its deadline.
    RequestTimeout = 8,
    /// An HTTP/2 protocol violation (see [`Error::code`], [`Error::is_remote`]).
    Protocol = 9,
    /// The server reset the stream with RST_STREAM (see [`Error::code`]).
    StreamReset = 10,
    /// The server sent GOAWAY and the request could not be retried.
    GoAway = 11,
    /// The server refused the stream (REFUSED_STREAM) and retries were exhausted.
    Refused = 12,
    /// The request was cancelled by the caller or by client shutdown.
    Cancelled = 13,
    /// A configured limit was exceeded (queue full, header list, body size).
    LimitExceeded = 14,
    /// The client or connection was closed.
    Closed = 15,
    /// An I/O error on an established connection.
    Io = 16,
    /// The SETTINGS acknowledgement did not arrive in time.
    SettingsTimeout = 17,
    /// A PING went unanswered: the connection is dead.
    PingTimeout = 18,
    /// The TLS handshake did not finish in time (after the TCP connect succeeded).
    TlsHandshakeTimeout = 19,
}

impl ErrorKind {
    /// The stable number of this kind.
    pub const fn code(self) -> u32 {
        self as u32
    }

    /// The kind for a stable number, if it names one.
    pub const fn from_code(code: u32) -> Option<ErrorKind> {
        use ErrorKind::*;
        Some(match code {
            1 => InvalidArgument,
            2 => InvalidUrl,
            3 => Connect,
            4 => Tls,
            5 => ConnectTimeout,
            6 => HeadersTimeout,
            7 => IdleTimeout,
            8 => RequestTimeout,
            9 => Protocol,
            10 => StreamReset,
            11 => GoAway,
            12 => Refused,
            13 => Cancelled,
            14 => LimitExceeded,
            15 => Closed,
            16 => Io,
            17 => SettingsTimeout,
            18 => PingTimeout,
            19 => TlsHandshakeTimeout,
            _ => return None,
        })
    }

    /// A short lowercase name, e.g. `"stream_reset"`.
    pub const fn name(self) -> &'static str {
        use ErrorKind::*;
        match self {
            InvalidArgument => "invalid_argument",
            InvalidUrl => "invalid_url",
            Connect => "connect",
            Tls => "tls",
            ConnectTimeout => "connect_timeout",
            HeadersTimeout => "headers_timeout",
            IdleTimeout => "idle_timeout",
            RequestTimeout => "request_timeout",
            Protocol => "protocol",
            StreamReset => "stream_reset",
            GoAway => "goaway",
            Refused => "refused",
            Cancelled => "cancelled",
            LimitExceeded => "limit_exceeded",
            Closed => "closed",
            Io => "io",
            SettingsTimeout => "settings_timeout",
            PingTimeout => "ping_timeout",
            TlsHandshakeTimeout => "tls_handshake_timeout",
        }
    }
}

/// Whether the server may have acted on the request when it failed.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Processed {
    /// The server provably did not process it (GOAWAY above its last stream id,
    /// REFUSED_STREAM, or nothing of it was written): safe to retry.
    No,
    /// The server may have processed it.
    Maybe,
}

/// Who detected the error.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Origin {
    /// We detected it (and sent RST_STREAM or GOAWAY where one applies).
    Local,
    /// The peer told us (RST_STREAM, GOAWAY).
    Remote,
}

/// Whether a protocol error ended one stream or the whole connection.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Only this request's stream.
    Stream,
    /// The connection and every stream on it.
    Connection,
}

/// An h2o error: kind, optional RFC 9113 code, and context.
///
/// ```
/// use h2o_core::{Error, ErrorKind};
/// let e = Error::new(ErrorKind::InvalidUrl, "missing scheme");
/// assert_eq!(e.kind(), ErrorKind::InvalidUrl);
/// assert!(e.to_string().contains("missing scheme"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    code: Option<ErrorCode>,
    origin: Origin,
    scope: Scope,
    processed: Processed,
    message: Cow<'static, str>,
}

impl Error {
    /// A local error of `kind` with a message; the request may have been processed.
    pub fn new(kind: ErrorKind, message: impl Into<Cow<'static, str>>) -> Error {
        Error {
            kind,
            code: None,
            origin: Origin::Local,
            scope: Scope::Stream,
            processed: Processed::Maybe,
            message: message.into(),
        }
    }

    /// A protocol error with its RFC code.
    pub fn protocol(
        code: ErrorCode,
        origin: Origin,
        scope: Scope,
        message: impl Into<Cow<'static, str>>,
    ) -> Error {
        Error::new(ErrorKind::Protocol, message)
            .with_code(code)
            .with_origin(origin)
            .with_scope(scope)
    }

    /// Sets the RFC 9113 error code.
    pub fn with_code(mut self, code: ErrorCode) -> Error {
        self.code = Some(code);
        self
    }

    /// Sets who detected the error.
    pub fn with_origin(mut self, origin: Origin) -> Error {
        self.origin = origin;
        self
    }

    /// Sets whether it ended a stream or the connection.
    pub fn with_scope(mut self, scope: Scope) -> Error {
        self.scope = scope;
        self
    }

    /// Sets whether the server may have processed the request.
    pub fn with_processed(mut self, processed: Processed) -> Error {
        self.processed = processed;
        self
    }

    /// The stable kind.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The RFC 9113 error code, for protocol errors, resets and GOAWAY.
    pub fn code(&self) -> Option<ErrorCode> {
        self.code
    }

    /// Whether the peer reported the error (RST_STREAM, GOAWAY).
    pub fn is_remote(&self) -> bool {
        self.origin == Origin::Remote
    }

    /// Who detected the error.
    pub fn origin(&self) -> Origin {
        self.origin
    }

    /// Stream or connection scope.
    pub fn scope(&self) -> Scope {
        self.scope
    }

    /// Whether the server may have processed the request.
    pub fn processed(&self) -> Processed {
        self.processed
    }

    /// True when the server provably did not process the request (safe to retry).
    pub fn is_unprocessed(&self) -> bool {
        self.processed == Processed::No
    }

    /// The detail message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.kind.name())?;
        if let Some(code) = self.code {
            let who = match self.origin {
                Origin::Local => "local",
                Origin::Remote => "remote",
            };
            write!(f, " ({code}, {who})")?;
        }
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

/// Shorthand for results with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
