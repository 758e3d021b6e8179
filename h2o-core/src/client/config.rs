//! Client configuration.

use std::path::PathBuf;
use std::time::Duration;

use crate::proto::ProtoConfig;
use crate::request::Priority;
use crate::transport::TlsCache;

/// What the pool does when every connection of an origin is at the server's
/// concurrent-stream limit.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Overflow {
    /// Requests wait for a free stream on an existing connection (the RFC's default).
    Queue,
    /// Open another connection, up to `max_connections_per_origin`.
    OpenMore,
}

/// Connection pool settings.
///
/// ```
/// use h2o_core::client::{Config, Overflow};
/// let mut cfg = Config::default();
/// cfg.pool.overflow = Overflow::OpenMore;
/// cfg.pool.max_connections_per_origin = 4;
/// assert!(cfg.validate().is_ok());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolConfig {
    /// Most connections to one origin.
    pub max_connections_per_origin: usize,
    /// Most connections in total; beyond it the least recently used idle one is evicted.
    pub max_connections_total: usize,
    /// Queue on a full connection, or open another.
    pub overflow: Overflow,
    /// A connection with no requests for this long is closed (GOAWAY).
    pub idle_timeout: Option<Duration>,
    /// First backoff period once an origin's circuit opens.
    pub backoff_base: Duration,
    /// Longest backoff period.
    pub backoff_max: Duration,
    /// Consecutive failed connection attempts that open an origin's circuit (requests then
    /// fail fast until the backoff period ends and a probe succeeds).
    pub breaker_threshold: u32,
    /// A connection silent for longer than this is checked with a PING before the next
    /// request uses it; requests wait for the answer and move to another connection,
    /// without an error, if none comes within `ping_soft_timeout`.
    pub check_after_idle: Option<Duration>,
    /// Retries one connection may cause (unprocessed requests it handed back: REFUSED_STREAM,
    /// GOAWAY) before it stops taking new requests and drains; the rest go to a fresh one.
    pub connection_retry_budget: u32,
    /// Also retry idempotent requests (GET, HEAD, PUT, DELETE, OPTIONS) whose connection was
    /// lost after they were sent (they may have been processed). Off by default.
    pub retry_idempotent: bool,
}

impl Default for PoolConfig {
    fn default() -> PoolConfig {
        PoolConfig {
            max_connections_per_origin: 8,
            max_connections_total: 256,
            overflow: Overflow::Queue,
            idle_timeout: Some(Duration::from_secs(90)),
            backoff_base: Duration::from_millis(100),
            backoff_max: Duration::from_secs(10),
            breaker_threshold: 3,
            check_after_idle: Some(Duration::from_secs(30)),
            connection_retry_budget: 100,
            retry_idempotent: false,
        }
    }
}

/// Every tunable of a [`Client`](super::Client).
///
/// ```
/// use h2o_core::client::Config;
/// let mut cfg = Config::default();
/// cfg.proto.initial_window_size = 4 << 20;
/// cfg.runtime_threads = 2;
/// assert!(cfg.validate().is_ok());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// HTTP/2 settings and per-connection limits.
    pub proto: ProtoConfig,
    /// Threads of the library's own runtime (default 1).
    pub runtime_threads: usize,
    /// Transparent retries of requests the server provably did not process
    /// (GOAWAY above last-stream-id, REFUSED_STREAM, connection lost before sending).
    pub max_retries: u8,
    /// TCP connect (per attempt, DNS included) deadline: `ConnectTimeout`.
    pub connect_timeout: Duration,
    /// The server must acknowledge our SETTINGS within this: `SettingsTimeout`
    /// (GOAWAY SETTINGS_TIMEOUT, RFC 9113 §6.5.3).
    pub settings_timeout: Duration,
    /// Default deadline for the response head after submission: `HeadersTimeout`.
    pub headers_timeout: Option<Duration>,
    /// Default longest silence between body chunks: `IdleTimeout`.
    pub idle_timeout: Option<Duration>,
    /// Default deadline for a whole request: `RequestTimeout`.
    pub request_timeout: Option<Duration>,
    /// Send a PING after this long without hearing from the server (liveness and RTT).
    pub keepalive_interval: Option<Duration>,
    /// An unanswered PING after this long means the connection is dead: `PingTimeout`
    /// (hard limit: the connection closes and its requests fail).
    pub ping_timeout: Duration,
    /// An unanswered PING after this long stops new requests going to the connection
    /// (soft limit: its streams get until `ping_timeout`; capped at `ping_timeout`).
    pub ping_soft_timeout: Duration,
    /// Connection pool settings.
    pub pool: PoolConfig,
    /// How `https://` connections are secured: trust anchors, client certificate, pins.
    pub tls: TlsConfig,
    /// Priority of requests that set none ([`Request::priority`](super::Request::priority)
    /// not called): RFC 9218 urgency 3, not incremental, RFC 7540 weight 16 by default.
    pub default_priority: Priority,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            proto: ProtoConfig::default(),
            runtime_threads: 1,
            max_retries: 3,
            connect_timeout: Duration::from_secs(10),
            settings_timeout: Duration::from_secs(10),
            headers_timeout: None,
            idle_timeout: None,
            request_timeout: None,
            keepalive_interval: Some(Duration::from_secs(30)),
            ping_timeout: Duration::from_secs(20),
            ping_soft_timeout: Duration::from_secs(10),
            pool: PoolConfig::default(),
            tls: TlsConfig::default(),
            default_priority: Priority::default(),
        }
    }
}

impl Config {
    /// Checks every setting against its range in the [settings registry](super::settings)
    /// and the rules between settings; the error names the offending key (see
    /// [`Config::check`] for a typed error).
    pub fn validate(&self) -> Result<(), String> {
        self.check().map_err(|e| e.to_string())
    }
}

/// TLS settings of a [`Client`](super::Client) for `https://` origins.
///
/// Connections use rustls (TLS 1.2 and 1.3) and offer ALPN `h2` only: a server that does not
/// select it is refused. The server name is sent (SNI) and verified for host names; for IP
/// literals no SNI is sent and the certificate must carry the address as an IP SAN.
///
/// The rustls configuration (trust store, client key, CRLs) is built once per client and
/// shared by all its connections: when the client is created if a file is configured (so a bad
/// file fails [`Client::with_config`](super::Client::with_config) with `InvalidArgument`),
/// otherwise on its first `https://` connection.
///
/// ```
/// use h2o_core::client::config::TlsConfig;
/// use h2o_core::client::Config;
///
/// let mut cfg = Config::default();
/// cfg.tls.ca_file = Some("/etc/my-ca.pem".into()); // trusted in addition to the system roots
/// cfg.tls.pins.push(TlsConfig::parse_pin("sha256//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=").unwrap());
/// assert_eq!(cfg.tls.handshake_timeout, std::time::Duration::from_secs(10));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsConfig {
    /// Extra trusted CA certificates: a PEM file with one or more certificates.
    pub ca_file: Option<PathBuf>,
    /// Trust the system's store (`/etc/ssl/certs` and friends, via rustls-native-certs).
    /// Default true.
    pub use_system_roots: bool,
    /// Client certificate chain (PEM, leaf first) for servers that require mutual TLS.
    /// Needs [`client_key`](Self::client_key).
    pub client_cert: Option<PathBuf>,
    /// Private key of [`client_cert`](Self::client_cert) (PEM: PKCS#8, SEC1 or PKCS#1).
    pub client_key: Option<PathBuf>,
    /// SPKI SHA-256 pins: when not empty, the SHA-256 of the server certificate's
    /// SubjectPublicKeyInfo must equal one of them, in addition to normal verification.
    /// [`TlsConfig::parse_pin`] reads the usual base64 form.
    pub pins: Vec<[u8; 32]>,
    /// Certificate revocation lists (PEM or DER files), checked for every certificate of the
    /// chain. A certificate listed as revoked by its issuer's CRL is refused; certificates
    /// whose issuer has no CRL here are accepted. Give one (current) CRL per issuer: the first
    /// one found for an issuer decides.
    pub crl_files: Vec<PathBuf>,
    /// DANGER: accept any server certificate (unknown CA, expired, wrong name). For local
    /// testing only: anyone on the path can impersonate the server. Pins are still checked.
    pub danger_accept_invalid_certs: bool,
    /// How long the TLS handshake may take (after the TCP connect); default 10 s. Running
    /// out fails with `TlsHandshakeTimeout`.
    pub handshake_timeout: Duration,
    /// The rustls configuration, built once.
    pub(crate) built: TlsCache,
}

impl Default for TlsConfig {
    fn default() -> TlsConfig {
        TlsConfig {
            ca_file: None,
            use_system_roots: true,
            client_cert: None,
            client_key: None,
            pins: Vec::new(),
            crl_files: Vec::new(),
            danger_accept_invalid_certs: false,
            handshake_timeout: Duration::from_secs(10),
            built: TlsCache::default(),
        }
    }
}

impl TlsConfig {
    /// Reads an SPKI SHA-256 pin written in base64, optionally prefixed with `sha256//`
    /// (curl's `--pinnedpubkey` form), e.g. the output of
    /// `openssl x509 -pubkey -noout -in cert.pem | openssl pkey -pubin -outform der |
    /// openssl dgst -sha256 -binary | base64`.
    pub fn parse_pin(pin: &str) -> Result<[u8; 32], String> {
        let b64 = pin.trim();
        let b64 = b64.strip_prefix("sha256//").unwrap_or(b64);
        crate::transport::base64_decode(b64)
            .and_then(|v| <[u8; 32]>::try_from(v).ok())
            .ok_or_else(|| format!("pin {pin:?} is not the base64 of 32 bytes (a SHA-256)"))
    }

    /// Checks the settings; with a file configured, also loads it (building the rustls
    /// configuration the client will use), so a missing or malformed file is reported here.
    pub fn validate(&self) -> Result<(), String> {
        if self.client_cert.is_some() != self.client_key.is_some() {
            return Err("tls_client_cert and tls_client_key must be set together".into());
        }
        if self.handshake_timeout.is_zero() {
            return Err("tls.handshake_timeout must be positive".into());
        }
        let has_files =
            self.ca_file.is_some() || self.client_cert.is_some() || !self.crl_files.is_empty();
        if has_files {
            crate::transport::tls_client_config(self)?;
        }
        Ok(())
    }
}
