//! Client configuration.

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
}

impl Default for Config {
    fn default() -> Config {
        Config {
            proto: ProtoConfig::default(),
            runtime_threads: 1,
            max_retries: 3,
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
        Ok(())
    }
}
