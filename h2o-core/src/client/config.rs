//! Client configuration.

use std::path::PathBuf;
use std::time::Duration;

use crate::proto::ProtoConfig;
use crate::transport::TlsCache;

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
    /// How `https://` connections are secured: trust anchors, client certificate, pins.
    pub tls: TlsConfig,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            proto: ProtoConfig::default(),
            runtime_threads: 1,
            max_retries: 3,
            tls: TlsConfig::default(),
        }
    }
}

impl Config {
    /// Checks every setting; the error names the offending one.
    pub fn validate(&self) -> Result<(), String> {
        self.proto.validate()?;
        if !(1..=64).contains(&self.runtime_threads) {
            return Err("runtime_threads must be in 1..=64".into());
        }
        self.tls.validate()
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
    /// out fails with `ConnectTimeout`.
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
            return Err("tls.client_cert and tls.client_key must be set together".into());
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
