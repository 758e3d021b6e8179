//! What a request is made of: URL, method, priority. Parsing here is strict and gives
//! `InvalidUrl` / `InvalidArgument` errors that say exactly what is wrong.

use bytes::Bytes;
use std::fmt;

use crate::error::{Error, ErrorKind, Result};
use crate::headers::Headers;

/// `http` (h2c with prior knowledge) or `https` (TLS with ALPN `h2`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// Cleartext HTTP/2, prior knowledge.
    Http,
    /// HTTP/2 over TLS.
    Https,
}

impl Scheme {
    /// `"http"` or `"https"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }

    /// The default port.
    pub fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }
}

/// An absolute `http://` or `https://` URL, split the way HTTP/2 needs it.
///
/// ```
/// use h2o_core::Url;
/// let u = Url::parse("http://127.0.0.1:8080/a?b=1#frag").unwrap();
/// assert_eq!(u.host(), "127.0.0.1");
/// assert_eq!(u.port(), 8080);
/// assert_eq!(u.path(), "/a?b=1");
/// assert!(Url::parse("ftp://x/").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Url {
    scheme: Scheme,
    host: Host,
    port: u16,
    authority: Bytes,
    path: Bytes,
}

/// A URL's host (lower case; an IPv6 address without brackets), sharing the URL's buffer:
/// the pool keys connections by it without a copy.
///
/// ```
/// use h2o_core::{Host, Url};
/// let u = Url::parse("http://Example.COM:8080/").unwrap();
/// assert_eq!(u.host(), "example.com");
/// assert_eq!(Host::from("example.com").as_str(), "example.com");
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Host(Bytes);

impl Host {
    /// The host as a string.
    pub fn as_str(&self) -> &str {
        // Url::parse admits only printable ASCII; `From<&str>` takes a str.
        std::str::from_utf8(&self.0).unwrap_or("")
    }
}

impl std::ops::Deref for Host {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl From<&str> for Host {
    fn from(s: &str) -> Host {
        Host(Bytes::copy_from_slice(s.as_bytes()))
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

/// URLs up to this many bytes (`authority` + `path`) live in one allocation: the buffer
/// inside the reference-counted block `Bytes::from_owner` makes (128 bytes in all).
const INLINE_URL: usize = 119;

/// The bytes of a short URL, stored inline (see `INLINE_URL`).
struct InlineUrl {
    len: u8,
    data: [u8; INLINE_URL],
}

impl AsRef<[u8]> for InlineUrl {
    fn as_ref(&self) -> &[u8] {
        &self.data[..self.len as usize]
    }
}

/// The URL's one buffer: the authority (`host`, in brackets for IPv6, lower-cased, then
/// `port_part`), then the path (`tail`, with a leading `/` added if missing). One allocation
/// up to `INLINE_URL` bytes, two beyond (a Vec, and the header `Bytes` shares it by).
fn url_buffer(host: &[u8], bracket: bool, port_part: &[u8], tail: &[u8]) -> Bytes {
    let slash = !tail.starts_with(b"/");
    let len = host.len() + 2 * bracket as usize + port_part.len() + slash as usize + tail.len();
    let host_at = bracket as usize..bracket as usize + host.len();
    let fill = |out: &mut [u8]| {
        let mut at = 0;
        let mut put = |part: &[u8]| {
            out[at..at + part.len()].copy_from_slice(part);
            at += part.len();
        };
        if bracket {
            put(b"[");
        }
        put(host);
        if bracket {
            put(b"]");
        }
        put(port_part);
        if slash {
            put(b"/");
        }
        put(tail);
        out[host_at.clone()].make_ascii_lowercase();
    };
    if len <= INLINE_URL {
        let mut b = InlineUrl {
            len: len as u8,
            data: [0; INLINE_URL],
        };
        fill(&mut b.data[..len]);
        Bytes::from_owner(b)
    } else {
        let mut v = vec![0; len];
        fill(&mut v);
        Bytes::from(v)
    }
}

/// `:port` in ASCII, into `out`; returns the bytes written.
fn port_suffix(port: u16, out: &mut [u8; 6]) -> &[u8] {
    let mut digits = [0u8; 5];
    let (mut n, mut i) = (port, digits.len());
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let d = &digits[i..];
    out[0] = b':';
    out[1..=d.len()].copy_from_slice(d);
    &out[..=d.len()]
}

fn bad_url(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidUrl, msg.into())
}

impl Url {
    /// Parses an absolute URL. Userinfo, non-ASCII characters, whitespace and control
    /// characters are rejected (percent-encode them); the fragment is dropped.
    pub fn parse(input: &str) -> Result<Url> {
        let (scheme, rest) = if let Some(r) = strip_prefix_ci(input, "http://") {
            (Scheme::Http, r)
        } else if let Some(r) = strip_prefix_ci(input, "https://") {
            (Scheme::Https, r)
        } else if input.contains("://") {
            return Err(bad_url(format!(
                "unsupported scheme in {input:?} (only http and https)"
            )));
        } else {
            return Err(bad_url(format!(
                "{input:?} is not an absolute URL (http://host/path)"
            )));
        };
        // One pass over the bytes (this runs for every request built from a string):
        // printable ASCII only, where the authority ends, where the fragment starts.
        let bytes = rest.as_bytes();
        let (mut end, mut fragment, mut userinfo) = (bytes.len(), bytes.len(), false);
        for (i, &c) in bytes.iter().enumerate() {
            match URL_BYTE[c as usize] {
                UrlByte::Plain => {}
                UrlByte::Invalid => {
                    return Err(bad_url(format!(
                        "invalid character 0x{c:02x} in URL {input:?} (percent-encode it)"
                    )))
                }
                UrlByte::PathStart if end == bytes.len() => end = i,
                UrlByte::Fragment if fragment == bytes.len() => {
                    fragment = i;
                    end = end.min(i);
                }
                UrlByte::At if end == bytes.len() => userinfo = true,
                _ => {}
            }
        }
        if userinfo {
            return Err(bad_url("userinfo (user@host) in URLs is not supported"));
        }
        let (host, port) = split_host_port(&rest[..end], scheme)?;
        let tail = &bytes[end..fragment];
        // `:authority`, `:path` and the host share one buffer (sliced, so the request
        // head's copies and the pool's origin key are reference counts).
        let bracket = host.contains(':');
        let mut port_buf = [0u8; 6];
        let port_part: &[u8] = if port != scheme.default_port() {
            port_suffix(port, &mut port_buf)
        } else {
            b""
        };
        let host_at = bracket as usize..bracket as usize + host.len();
        let authority_len = host_at.end + bracket as usize + port_part.len();
        let buf = url_buffer(host.as_bytes(), bracket, port_part, tail);
        Ok(Url {
            scheme,
            host: Host(buf.slice(host_at)),
            port,
            authority: buf.slice(..authority_len),
            path: buf.slice(authority_len..),
        })
    }

    /// The scheme.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The host: a name, an IPv4 address, or an IPv6 address without brackets.
    pub fn host(&self) -> &str {
        self.host.as_str()
    }

    pub(crate) fn host_shared(&self) -> &Host {
        &self.host
    }

    /// The port (explicit or the scheme's default).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The `:authority` value (host, and port when not the default).
    pub fn authority(&self) -> &str {
        std::str::from_utf8(&self.authority).unwrap_or("")
    }

    /// The `:path` value: path and query, at least `/`.
    pub fn path(&self) -> &str {
        std::str::from_utf8(&self.path).unwrap_or("/")
    }

    pub(crate) fn authority_bytes(&self) -> &Bytes {
        &self.authority
    }

    pub(crate) fn path_bytes(&self) -> &Bytes {
        &self.path
    }
}

impl fmt::Display for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}://{}{}",
            self.scheme.as_str(),
            self.authority(),
            self.path()
        )
    }
}

impl std::str::FromStr for Url {
    type Err = Error;
    fn from_str(s: &str) -> Result<Url> {
        Url::parse(s)
    }
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// What a byte means to `Url::parse`: one table load per byte of the URL.
#[derive(Copy, Clone)]
enum UrlByte {
    /// Printable ASCII with no meaning to the split.
    Plain,
    /// Controls, space, DEL and non-ASCII: to be percent-encoded.
    Invalid,
    /// `/` or `?`: the authority ends.
    PathStart,
    /// `#`: the fragment starts.
    Fragment,
    /// `@`: userinfo, if still in the authority.
    At,
}

static URL_BYTE: [UrlByte; 256] = {
    let mut t = [UrlByte::Invalid; 256];
    let mut c = 0x21;
    while c < 0x7f {
        t[c] = match c as u8 {
            b'/' | b'?' => UrlByte::PathStart,
            b'#' => UrlByte::Fragment,
            b'@' => UrlByte::At,
            _ => UrlByte::Plain,
        };
        c += 1;
    }
    t
};

/// The bytes a host name may hold: letters, digits, `-`, `.` and `_`.
static HOST_BYTE: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        t[c] = matches!(c as u8, b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_');
        c += 1;
    }
    t
};

fn split_host_port(authority: &str, scheme: Scheme) -> Result<(&str, u16)> {
    if authority.is_empty() {
        return Err(bad_url("URL has no host"));
    }
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let close = rest
            .find(']')
            .ok_or_else(|| bad_url("unterminated [ in IPv6 host"))?;
        let host = &rest[..close];
        if host.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(bad_url(format!("invalid IPv6 address {host:?}")));
        }
        let after = &rest[close + 1..];
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p),
            None if after.is_empty() => None,
            None => return Err(bad_url(format!("unexpected {after:?} after IPv6 host"))),
        };
        (host, port)
    } else {
        let b = authority.as_bytes();
        let mut colon = None;
        for (i, &c) in b.iter().enumerate() {
            match c {
                _ if HOST_BYTE[c as usize] => {}
                b':' if colon.is_none() => colon = Some(i),
                b':' => {
                    return Err(bad_url(
                        "IPv6 addresses in URLs need brackets: http://[::1]/",
                    ))
                }
                _ if colon.is_some() => {} // in the port: reported below
                _ => {
                    let host = &authority[..b.iter().position(|&c| c == b':').unwrap_or(b.len())];
                    return Err(bad_url(format!("invalid host name {host:?}")));
                }
            }
        }
        match colon {
            Some(i) => (&authority[..i], Some(&authority[i + 1..])),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err(bad_url("URL has no host"));
    }
    let port = match port {
        None => scheme.default_port(),
        Some(p) => parse_port(p).ok_or_else(|| bad_url(format!("invalid port {p:?}")))?,
    };
    Ok((host, port))
}

/// A port: decimal digits only (leading zeros allowed), 1..=65535.
fn parse_port(p: &str) -> Option<u16> {
    if p.is_empty() {
        return None;
    }
    let mut n = 0u32;
    for c in p.bytes() {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n * 10 + (c - b'0') as u32;
        if n > u16::MAX as u32 {
            return None;
        }
    }
    u16::try_from(n).ok().filter(|&n| n != 0)
}

/// An HTTP method (a token, case-sensitive).
///
/// ```
/// use h2o_core::Method;
/// assert_eq!(Method::GET.as_str(), "GET");
/// assert!(Method::new("PURGE").is_ok());
/// assert!(Method::new("BAD METHOD").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Method(Bytes);

impl Method {
    /// GET
    pub const GET: Method = Method(Bytes::from_static(b"GET"));
    /// HEAD
    pub const HEAD: Method = Method(Bytes::from_static(b"HEAD"));
    /// POST
    pub const POST: Method = Method(Bytes::from_static(b"POST"));
    /// PUT
    pub const PUT: Method = Method(Bytes::from_static(b"PUT"));
    /// DELETE
    pub const DELETE: Method = Method(Bytes::from_static(b"DELETE"));
    /// OPTIONS
    pub const OPTIONS: Method = Method(Bytes::from_static(b"OPTIONS"));
    /// PATCH
    pub const PATCH: Method = Method(Bytes::from_static(b"PATCH"));
    /// CONNECT
    pub const CONNECT: Method = Method(Bytes::from_static(b"CONNECT"));

    /// A method from its name; must be a non-empty RFC 9110 token.
    pub fn new(name: &str) -> Result<Method> {
        match name {
            "GET" => return Ok(Method::GET),
            "POST" => return Ok(Method::POST),
            "HEAD" => return Ok(Method::HEAD),
            "PUT" => return Ok(Method::PUT),
            "DELETE" => return Ok(Method::DELETE),
            _ => {}
        }
        if name.is_empty() || !name.bytes().all(is_tchar) {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                format!("invalid method {name:?}"),
            ));
        }
        Ok(Method(Bytes::copy_from_slice(name.as_bytes())))
    }

    /// The method name.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("")
    }

    /// Whether RFC 9110 calls it idempotent (safe to replay after a connection loss).
    pub fn is_idempotent(&self) -> bool {
        matches!(
            self.as_str(),
            "GET" | "HEAD" | "PUT" | "DELETE" | "OPTIONS" | "TRACE"
        )
    }

    pub(crate) fn bytes(&self) -> &Bytes {
        &self.0
    }
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// RFC 9218 priority: urgency 0 (highest) to 7, and whether the response is incremental.
/// Sent to the server as the `priority` header when not the default (`u=3`), and used by
/// our own write scheduler for request bodies.
///
/// ```
/// use h2o_core::Priority;
/// assert_eq!(Priority::default().header_value(), None);
/// assert_eq!(Priority::new(1, true).header_value().as_deref(), Some("u=1, i"));
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Priority {
    /// 0..=7, lower is more urgent; default 3.
    pub urgency: u8,
    /// Whether the response can be used incrementally (interleaved with its peers).
    pub incremental: bool,
    /// RFC 7540 weight 1..=256 (default 16). Used only when
    /// [`ProtoConfig::rfc7540_priorities`](crate::proto::ProtoConfig::rfc7540_priorities) is
    /// on: then HEADERS carry it (dependency: the root) and our DATA scheduler shares the
    /// connection among streams in proportion to it.
    pub weight: u16,
    /// RFC 7540 exclusive flag (with `rfc7540_priorities`).
    pub exclusive: bool,
}

impl Default for Priority {
    fn default() -> Priority {
        Priority {
            urgency: 3,
            incremental: false,
            weight: 16,
            exclusive: false,
        }
    }
}

impl Priority {
    /// A priority; urgency is clamped to 0..=7.
    pub fn new(urgency: u8, incremental: bool) -> Priority {
        Priority {
            urgency: urgency.min(7),
            incremental,
            ..Priority::default()
        }
    }

    /// An RFC 7540 weight (clamped to 1..=256), keeping the other fields.
    pub fn with_weight(mut self, weight: u16) -> Priority {
        self.weight = weight.clamp(1, 256);
        self
    }

    /// The `priority` header value, or `None` for the default.
    pub fn header_value(&self) -> Option<String> {
        match (self.urgency, self.incremental) {
            (3, false) => None,
            (3, true) => Some("i".to_owned()),
            (u, false) => Some(format!("u={u}")),
            (u, true) => Some(format!("u={u}, i")),
        }
    }
}

/// The request line and headers as the connection sends them.
#[derive(Clone, Debug)]
pub struct RequestHead {
    /// `:method`
    pub method: Method,
    /// `:scheme`
    pub scheme: Scheme,
    /// `:authority`
    pub authority: Bytes,
    /// `:path`
    pub path: Bytes,
    /// `:protocol` (extended CONNECT, RFC 8441), kept in the model for later use.
    pub protocol: Option<Bytes>,
    /// Regular header fields (lowercase names).
    pub headers: Headers,
    /// RFC 9218 priority.
    pub priority: Priority,
}

impl RequestHead {
    /// A head for `method` on `url` with no headers.
    ///
    /// ```
    /// use h2o_core::{Method, RequestHead, Url};
    /// let head = RequestHead::new(Method::GET, &Url::parse("http://localhost/x").unwrap());
    /// assert_eq!(&head.path[..], b"/x");
    /// ```
    pub fn new(method: Method, url: &Url) -> RequestHead {
        RequestHead {
            method,
            scheme: url.scheme(),
            authority: url.authority_bytes().clone(),
            path: url.path_bytes().clone(),
            protocol: None,
            headers: Headers::new(),
            priority: Priority::default(),
        }
    }
}

/// Connection-specific header fields that HTTP/2 forbids (RFC 9113 §8.2.2).
pub(crate) fn is_connection_specific(name: &[u8]) -> bool {
    matches!(
        name,
        b"connection" | b"keep-alive" | b"proxy-connection" | b"transfer-encoding" | b"upgrade"
    )
}

/// Checks caller-supplied request headers before they are encoded.
pub(crate) fn validate_request_header(name: &[u8], value: &[u8]) -> Result<()> {
    if name.is_empty() || name[0] == b':' || !name.iter().all(|&b| is_tchar(b)) {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            format!("invalid header name {:?}", String::from_utf8_lossy(name)),
        ));
    }
    if is_connection_specific(name) || (name == b"te" && value != b"trailers") {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            format!(
                "connection-specific header {:?} is not allowed in HTTP/2",
                String::from_utf8_lossy(name)
            ),
        ));
    }
    if value.iter().any(|&b| b == 0 || b == b'\r' || b == b'\n') {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            format!(
                "header {:?} value contains NUL, CR or LF",
                String::from_utf8_lossy(name)
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_forms() {
        let u = Url::parse("HTTPS://Example.COM").unwrap();
        assert_eq!(
            (u.scheme(), u.host(), u.port(), u.path()),
            (Scheme::Https, "example.com", 443, "/")
        );
        assert_eq!(u.authority(), "example.com");
        let u = Url::parse("http://[::1]:8080?q").unwrap();
        assert_eq!((u.host(), u.port(), u.path()), ("::1", 8080, "/?q"));
        assert_eq!(u.authority(), "[::1]:8080");
        for (input, authority, path) in [
            ("http://h:65535/a/b?c#d", "h:65535", "/a/b?c"),
            ("http://H:1#frag", "h:1", "/"),
            ("https://[FE80::1]:443/", "[fe80::1]", "/"),
            ("http://h:80/", "h", "/"),
            ("http://h:0443/x", "h:443", "/x"),
            ("http://h:00080/", "h", "/"),
            ("http://h/a@b#c", "h", "/a@b"),
            ("http://h?u@v", "h", "/?u@v"),
            ("http://h#x/y", "h", "/"),
            ("http://A-b.C_d:8/", "a-b.c_d:8", "/"),
        ] {
            let u = Url::parse(input).unwrap();
            assert_eq!((u.authority(), u.path()), (authority, path), "{input:?}");
            let head = RequestHead::new(Method::GET, &u);
            assert_eq!(
                (&head.authority[..], &head.path[..]),
                (authority.as_bytes(), path.as_bytes())
            );
        }
        for bad in [
            "",
            "localhost/x",
            "ftp://h/",
            "http://",
            "http://:80/",
            "http://h:0/",
            "http://h:99999/",
            "http://u@h/",
            "http://h/a b",
            "http://h/\u{e9}",
            "http://[::1/",
            "http://[zz]/",
            "http://h!/",
            "http://::1/",
            "http://h:+80/",
            "http://h:/",
            "http://h:8a/",
            "http://h:65536/",
            "http://h:1:2/",
            "http://a@b/",
            "http://a@b/\u{7f}",
            "http://h/\t",
        ] {
            let e = Url::parse(bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidUrl, "{bad:?}");
        }
    }

    #[test]
    fn url_buffer_inline_and_heap() {
        // "h.example:8080" is 14 bytes: paths of 105 and 106 bytes put the URL on either
        // side of the inline limit; both must read back the same way.
        for path_len in [1, INLINE_URL - 14, INLINE_URL - 13, 4096] {
            let path = format!("/{}", "p".repeat(path_len - 1));
            let u = Url::parse(&format!("http://H.Example:8080{path}#f")).unwrap();
            assert_eq!(
                u.authority().len() + u.path().len() <= INLINE_URL,
                path_len <= 105
            );
            assert_eq!((u.host(), u.authority()), ("h.example", "h.example:8080"));
            assert_eq!(u.path(), path);
            assert_eq!(u.to_string(), format!("http://h.example:8080{path}"));
            // The host is a slice of the same buffer as the authority (no copy).
            let (h, a) = (u.host_shared().as_ptr(), u.authority_bytes().as_ptr());
            assert_eq!(h, a);
            assert_eq!(u.clone(), u);
        }
        for port in [1u16, 9, 10, 99, 100, 8080, 65535] {
            let u = Url::parse(&format!("http://[::1]:{port}/")).unwrap();
            assert_eq!(u.authority(), format!("[::1]:{port}"));
            assert_eq!((u.host(), u.port()), ("::1", port));
        }
        assert_eq!(format!("{:?}", Host::from("a.b")), "\"a.b\"");
        assert_eq!(Host::from("a.b").to_string(), "a.b");
    }

    #[test]
    fn request_header_rules() {
        assert!(validate_request_header(b"accept", b"*/*").is_ok());
        assert!(validate_request_header(b"te", b"trailers").is_ok());
        for (n, v) in [
            (&b"connection"[..], &b"close"[..]),
            (b"te", b"gzip"),
            (b"", b"x"),
            (b":path", b"/"),
            (b"bad name", b"x"),
            (b"x", b"a\r\nb"),
        ] {
            assert_eq!(
                validate_request_header(n, v).unwrap_err().kind(),
                ErrorKind::InvalidArgument
            );
        }
    }
}
