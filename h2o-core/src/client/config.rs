//! Client configuration.

use std::time::Duration;

use crate::proto::ProtoConfig;

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
    /// An unanswered PING after this long means the connection is dead: `PingTimeout`.
    pub ping_timeout: Duration,
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
        let positive = |d: Duration, name: &str| {
            if d.is_zero() {
                Err(format!("{name} must be greater than zero"))
            } else {
                Ok(())
            }
        };
        positive(self.connect_timeout, "connect_timeout")?;
        positive(self.settings_timeout, "settings_timeout")?;
        positive(self.ping_timeout, "ping_timeout")?;
        for (d, name) in [
            (self.headers_timeout, "headers_timeout"),
            (self.idle_timeout, "idle_timeout"),
            (self.request_timeout, "request_timeout"),
            (self.keepalive_interval, "keepalive_interval"),
        ] {
            if let Some(d) = d {
                positive(d, name)?;
            }
        }
        Ok(())
    }
}
