//! The settings registry: one entry per tunable of [`Config`], with its key, type, default,
//! allowed range and effect. JSON files, `H2O_<SETTING>` environment variables, the C
//! setters, the docs table (`docs/CONFIG.md`) and [`Config::validate`] all go through it, so
//! a setting has one name and one range everywhere.
//!
//! # Keys
//! Flat `snake_case` names, the same as the Python keyword arguments (Node uses the
//! camelCase form). Pool, TLS and flood settings carry a `pool_`, `tls_` or `flood_` prefix.
//! Durations are whole **milliseconds** and their keys end in `_ms` (`connect_timeout_ms`);
//! Python takes the same setting in seconds without the suffix (`connect_timeout=2.5`),
//! Node in milliseconds without the suffix (`connectTimeout: 2500`). Optional durations are
//! switched off with `null` or `0`.
//!
//! # Sources and precedence
//! [`Config::load`] starts from the code defaults, applies the JSON file named by
//! `H2O_CONFIG` (if set), then every `H2O_<SETTING>` variable: **code < file < environment**.
//! [`ConfigLoader`] does the same on top of a program's own [`Config`].
//! [`Client::with_config`](super::Client::with_config) never reads the environment itself.
//!
//! ```
//! use h2o_core::client::Config;
//! let cfg = Config::from_json_str(r#"{"initial_window_size": 65535, "pool": {"max_connections_per_origin": 2}}"#).unwrap();
//! assert_eq!(cfg.proto.initial_window_size, 65535);
//! assert_eq!(cfg.pool.max_connections_per_origin, 2);
//! let err = Config::from_json_str(r#"{"max_frame_size": 100}"#).unwrap_err();
//! assert_eq!(err.key(), Some("max_frame_size"));
//! ```

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Map, Value};

use super::config::{Config, Overflow, TlsConfig};

/// The longest duration any setting accepts: 365 days, in milliseconds.
pub const MAX_MS: u64 = 365 * 24 * 3600 * 1000;

/// The environment variable naming a JSON config file for [`Config::load`].
pub const CONFIG_ENV: &str = "H2O_CONFIG";

/// `H2O_` variables that are not settings but are used by the library and its tools
/// (`H2O_LOG`: the log filter). Never reported as unknown.
pub const RESERVED_ENV: &[&str] = &[CONFIG_ENV, "H2O_LOG"];

/// The type of a setting, which fixes how JSON, environment strings and C values map to it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum SettingType {
    /// An unsigned integer (`u8`, `u32` or `usize` in [`Config`]), checked against the range.
    Int,
    /// `true` / `false` (environment: also `1`/`0`, `yes`/`no`, `on`/`off`).
    Bool,
    /// A duration in whole milliseconds, greater than zero.
    Millis,
    /// A duration in whole milliseconds, or `null` / `0` for "off".
    OptMillis,
    /// A file path, or `null` / `""` for none.
    OptPath,
    /// A list of file paths (environment: comma-separated).
    Paths,
    /// A list of base64 SPKI SHA-256 pins, optionally `sha256//`-prefixed (environment:
    /// comma-separated).
    Pins,
    /// One of the listed strings.
    Enum(&'static [&'static str]),
}

impl SettingType {
    /// The name used in docs and error messages.
    pub fn name(&self) -> String {
        match self {
            SettingType::Int => "integer".into(),
            SettingType::Bool => "bool".into(),
            SettingType::Millis => "duration (ms)".into(),
            SettingType::OptMillis => "duration (ms) or null".into(),
            SettingType::OptPath => "path or null".into(),
            SettingType::Paths => "list of paths".into(),
            SettingType::Pins => "list of pins".into(),
            SettingType::Enum(v) => format!("one of {}", quoted(v)),
        }
    }
}

fn quoted(v: &[&str]) -> String {
    v.iter()
        .map(|s| format!("\"{s}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A typed value of a setting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SettingValue {
    /// For [`SettingType::Int`].
    Int(u64),
    /// For [`SettingType::Bool`].
    Bool(bool),
    /// For [`SettingType::Millis`] (always `Some`) and [`SettingType::OptMillis`].
    Duration(Option<Duration>),
    /// For [`SettingType::OptPath`].
    Path(Option<PathBuf>),
    /// For [`SettingType::Paths`] and [`SettingType::Pins`] (pins as their base64 text).
    List(Vec<String>),
    /// For [`SettingType::Enum`].
    Enum(String),
}

impl SettingValue {
    /// The value as JSON (durations in milliseconds, `null` for none).
    pub fn to_json(&self) -> Value {
        match self {
            SettingValue::Int(n) => Value::from(*n),
            SettingValue::Bool(b) => Value::Bool(*b),
            SettingValue::Duration(d) => d.map_or(Value::Null, |d| Value::from(ms(d))),
            SettingValue::Path(p) => p
                .as_ref()
                .map_or(Value::Null, |p| Value::from(p.display().to_string())),
            SettingValue::List(l) => Value::from(l.clone()),
            SettingValue::Enum(s) => Value::from(s.clone()),
        }
    }

    /// The value as an environment variable would spell it.
    pub fn to_env(&self) -> String {
        match self {
            SettingValue::Int(n) => n.to_string(),
            SettingValue::Bool(b) => b.to_string(),
            SettingValue::Duration(d) => d.map_or(0, ms).to_string(),
            SettingValue::Path(p) => p
                .as_ref()
                .map_or(String::new(), |p| p.display().to_string()),
            SettingValue::List(l) => l.join(","),
            SettingValue::Enum(s) => s.clone(),
        }
    }
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// One tunable: key, type, range, effect and accessors. See the [module docs](self).
pub struct Setting {
    /// The JSON key; the environment variable is `H2O_` + the key in upper case.
    pub key: &'static str,
    /// How values are written.
    pub ty: SettingType,
    /// Smallest allowed value ([`SettingType::Int`]; milliseconds for durations).
    pub min: u64,
    /// Largest allowed value ([`SettingType::Int`]; milliseconds for durations).
    pub max: u64,
    /// What the setting does, in one line.
    pub effect: &'static str,
    get: fn(&Config) -> SettingValue,
    put: fn(&mut Config, SettingValue),
}

impl fmt::Debug for Setting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Setting")
            .field("key", &self.key)
            .field("ty", &self.ty)
            .finish()
    }
}

impl Setting {
    /// The environment variable that overrides this setting (`H2O_` + upper-case key).
    pub fn env_var(&self) -> String {
        format!("H2O_{}", self.key.to_ascii_uppercase())
    }

    /// The current value in `cfg`.
    pub fn get(&self, cfg: &Config) -> SettingValue {
        (self.get)(cfg)
    }

    /// The default value.
    pub fn default_value(&self) -> SettingValue {
        (self.get)(&Config::default())
    }

    /// The allowed range as text (`16384..=16777215`), for ranged types.
    pub fn range_text(&self) -> Option<String> {
        let n = |v: u64| match v {
            0x7fff_ffff => "2^31-1".to_owned(),
            0xffff_ffff => "2^32-1".to_owned(),
            u64::MAX => "2^64-1".to_owned(),
            MAX_MS => format!("{v} (365 d)"),
            _ => v.to_string(),
        };
        match self.ty {
            SettingType::Int => Some(format!("{}..={}", n(self.min), n(self.max))),
            SettingType::Millis => Some(format!("{}..={}", n(self.min), n(self.max))),
            SettingType::OptMillis => Some(format!("0 (off) or 1..={}", n(self.max))),
            _ => None,
        }
    }

    fn err(&self, kind: ConfigErrorKind, message: String) -> ConfigError {
        ConfigError {
            kind,
            key: Some(self.key.to_owned()),
            message: format!("setting \"{}\": {message}", self.key),
        }
    }

    fn expected(&self) -> String {
        match self.range_text() {
            Some(r) => format!("{} in {r}", self.ty.name()),
            None => self.ty.name(),
        }
    }

    fn wrong_type(&self, got: &str) -> ConfigError {
        self.err(
            ConfigErrorKind::WrongType,
            format!("expected {}, got {got}", self.expected()),
        )
    }

    fn out_of_range(&self, got: impl fmt::Display) -> ConfigError {
        let range = self.range_text().unwrap_or_default();
        self.err(
            ConfigErrorKind::OutOfRange,
            format!("{got} is out of range {range}"),
        )
    }

    fn check_int(&self, n: u64) -> Result<u64, ConfigError> {
        if (self.min..=self.max).contains(&n) {
            Ok(n)
        } else {
            Err(self.out_of_range(n))
        }
    }

    /// Checks `v` (type and range) and stores it in `cfg`. Cross-setting rules (e.g.
    /// `pool_backoff_max >= pool_backoff_base`) are left to [`Config::validate`].
    pub fn set(&self, cfg: &mut Config, v: SettingValue) -> Result<(), ConfigError> {
        let ok = match (&self.ty, &v) {
            (SettingType::Int, SettingValue::Int(n)) => self.check_int(*n).map(|_| ()),
            (SettingType::Bool, SettingValue::Bool(_)) => Ok(()),
            (SettingType::Millis, SettingValue::Duration(Some(d))) => self.check_duration(*d),
            (SettingType::Millis, SettingValue::Duration(None)) => Err(self.out_of_range("off")),
            (SettingType::OptMillis, SettingValue::Duration(d)) => {
                d.map_or(Ok(()), |d| self.check_duration(d))
            }
            (SettingType::OptPath, SettingValue::Path(_)) => Ok(()),
            (SettingType::Paths, SettingValue::List(_)) => Ok(()),
            (SettingType::Pins, SettingValue::List(l)) => {
                for p in l {
                    TlsConfig::parse_pin(p).map_err(|e| self.err(ConfigErrorKind::Invalid, e))?;
                }
                Ok(())
            }
            (SettingType::Enum(names), SettingValue::Enum(s)) => {
                if names.contains(&s.as_str()) {
                    Ok(())
                } else {
                    Err(self.err(
                        ConfigErrorKind::OutOfRange,
                        format!("\"{s}\" is not one of {}", quoted(names)),
                    ))
                }
            }
            (_, v) => Err(self.wrong_type(&format!("{v:?}"))),
        };
        ok?;
        // A zero optional duration means "off".
        let v = match v {
            SettingValue::Duration(Some(d)) if d.is_zero() => SettingValue::Duration(None),
            SettingValue::Path(Some(p)) if p.as_os_str().is_empty() => SettingValue::Path(None),
            v => v,
        };
        (self.put)(cfg, v);
        Ok(())
    }

    fn check_duration(&self, d: Duration) -> Result<(), ConfigError> {
        // Zero is "off" for optional durations; required ones need at least `min` ms, but a
        // sub-millisecond value set from Rust code is accepted as long as it is not zero.
        let zero_ok = self.ty == SettingType::OptMillis;
        if (d.is_zero() && !zero_ok) || ms(d) > self.max {
            return Err(self.out_of_range(format!("{} ms", ms(d))));
        }
        Ok(())
    }

    /// Parses a JSON value for this setting.
    pub fn parse_json(&self, v: &Value) -> Result<SettingValue, ConfigError> {
        let kind = json_kind(v);
        let int = |v: &Value| -> Result<u64, ConfigError> {
            match v {
                Value::Number(n) => match (n.as_u64(), n.as_i64()) {
                    (Some(n), _) => Ok(n),
                    (None, Some(neg)) => Err(self.out_of_range(neg)),
                    _ => Err(self.wrong_type(&format!("the non-integer number {n}"))),
                },
                _ => Err(self.wrong_type(kind)),
            }
        };
        let strings = |v: &Value| -> Result<Vec<String>, ConfigError> {
            match v {
                Value::Array(items) => items
                    .iter()
                    .map(|i| i.as_str().map(str::to_owned))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| self.wrong_type("an array with a non-string item")),
                Value::Null => Ok(Vec::new()),
                _ => Err(self.wrong_type(kind)),
            }
        };
        Ok(match self.ty {
            SettingType::Int => SettingValue::Int(int(v)?),
            SettingType::Bool => {
                SettingValue::Bool(v.as_bool().ok_or_else(|| self.wrong_type(kind))?)
            }
            SettingType::Millis => SettingValue::Duration(Some(Duration::from_millis(int(v)?))),
            SettingType::OptMillis => match v {
                Value::Null => SettingValue::Duration(None),
                _ => SettingValue::Duration(Some(Duration::from_millis(int(v)?))),
            },
            SettingType::OptPath => match v {
                Value::Null => SettingValue::Path(None),
                Value::String(s) => SettingValue::Path(Some(s.into())),
                _ => return Err(self.wrong_type(kind)),
            },
            SettingType::Paths | SettingType::Pins => SettingValue::List(strings(v)?),
            SettingType::Enum(_) => match v {
                Value::String(s) => SettingValue::Enum(s.clone()),
                _ => return Err(self.wrong_type(kind)),
            },
        })
    }

    /// Parses an environment-variable (or command-line) string for this setting.
    pub fn parse_str(&self, s: &str) -> Result<SettingValue, ConfigError> {
        let t = s.trim();
        let int = |t: &str| -> Result<u64, ConfigError> {
            match t.parse::<u64>() {
                Ok(n) => Ok(n),
                Err(_) => match t.parse::<i128>() {
                    Ok(n) => Err(self.out_of_range(n)),
                    Err(_) => Err(self.wrong_type(&format!("{t:?}"))),
                },
            }
        };
        let list = |t: &str| -> Vec<String> {
            t.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        };
        Ok(match self.ty {
            SettingType::Int => SettingValue::Int(int(t)?),
            SettingType::Bool => SettingValue::Bool(match t.to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "on" => true,
                "false" | "0" | "no" | "off" => false,
                _ => return Err(self.wrong_type(&format!("{t:?}"))),
            }),
            SettingType::Millis => SettingValue::Duration(Some(Duration::from_millis(int(t)?))),
            SettingType::OptMillis => match t.to_ascii_lowercase().as_str() {
                "" | "off" | "none" | "null" => SettingValue::Duration(None),
                _ => SettingValue::Duration(Some(Duration::from_millis(int(t)?))),
            },
            SettingType::OptPath => SettingValue::Path((!t.is_empty()).then(|| t.into())),
            SettingType::Paths | SettingType::Pins => SettingValue::List(list(t)),
            SettingType::Enum(_) => SettingValue::Enum(t.to_owned()),
        })
    }

    /// Checks the value currently in `cfg` against the range (for [`Config::validate`]).
    fn check_current(&self, cfg: &Config) -> Result<(), ConfigError> {
        match self.get(cfg) {
            SettingValue::Int(n) => self.check_int(n).map(|_| ()),
            SettingValue::Duration(Some(d)) => self.check_duration(d),
            SettingValue::Duration(None) if self.ty == SettingType::Millis => {
                Err(self.out_of_range("off"))
            }
            _ => Ok(()),
        }
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a bool",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// What went wrong in a [`ConfigError`].
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ConfigErrorKind {
    /// No setting has this key.
    UnknownKey,
    /// The value has the wrong type (a string for an integer, ...).
    WrongType,
    /// The value is outside the setting's range.
    OutOfRange,
    /// The value is malformed (a pin that is not base64) or contradicts another setting.
    Invalid,
    /// The JSON text does not parse, or is not an object.
    Syntax,
    /// The config file could not be read.
    Io,
}

/// A setting that could not be applied; the message names the key and what was expected.
///
/// ```
/// use h2o_core::client::{Config, settings::ConfigErrorKind};
/// let e = Config::from_json_str(r#"{"pool_max_conections_per_origin": 4}"#).unwrap_err();
/// assert_eq!(e.kind(), ConfigErrorKind::UnknownKey);
/// assert!(e.to_string().contains("did you mean \"pool_max_connections_per_origin\""));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    kind: ConfigErrorKind,
    key: Option<String>,
    message: String,
}

impl ConfigError {
    fn new(kind: ConfigErrorKind, key: Option<&str>, message: String) -> ConfigError {
        ConfigError {
            kind,
            key: key.map(str::to_owned),
            message,
        }
    }

    /// What went wrong.
    pub fn kind(&self) -> ConfigErrorKind {
        self.kind
    }

    /// The offending setting's key, if one is to blame.
    pub fn key(&self) -> Option<&str> {
        self.key.as_deref()
    }

    fn context(mut self, prefix: &str) -> ConfigError {
        self.message = format!("{prefix}: {}", self.message);
        self
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConfigError {}

impl From<ConfigError> for crate::Error {
    fn from(e: ConfigError) -> crate::Error {
        crate::Error::new(crate::ErrorKind::InvalidArgument, e.message)
    }
}

macro_rules! int {
    ($key:literal, $min:expr, $max:expr, |$c:ident| $field:expr, $effect:literal) => {
        Setting {
            key: $key,
            ty: SettingType::Int,
            min: $min as u64,
            max: $max as u64,
            effect: $effect,
            get: |$c: &Config| SettingValue::Int($field as u64),
            put: |$c: &mut Config, v| {
                if let SettingValue::Int(n) = v {
                    $field = n as _;
                }
            },
        }
    };
}

macro_rules! boolean {
    ($key:literal, |$c:ident| $field:expr, $effect:literal) => {
        Setting {
            key: $key,
            ty: SettingType::Bool,
            min: 0,
            max: 1,
            effect: $effect,
            get: |$c: &Config| SettingValue::Bool($field),
            put: |$c: &mut Config, v| {
                if let SettingValue::Bool(b) = v {
                    $field = b;
                }
            },
        }
    };
}

macro_rules! millis {
    ($key:literal, |$c:ident| $field:expr, $effect:literal) => {
        Setting {
            key: $key,
            ty: SettingType::Millis,
            min: 1,
            max: MAX_MS,
            effect: $effect,
            get: |$c: &Config| SettingValue::Duration(Some($field)),
            put: |$c: &mut Config, v| {
                if let SettingValue::Duration(Some(d)) = v {
                    $field = d;
                }
            },
        }
    };
}

macro_rules! opt_millis {
    ($key:literal, |$c:ident| $field:expr, $effect:literal) => {
        Setting {
            key: $key,
            ty: SettingType::OptMillis,
            min: 0,
            max: MAX_MS,
            effect: $effect,
            get: |$c: &Config| SettingValue::Duration($field),
            put: |$c: &mut Config, v| {
                if let SettingValue::Duration(d) = v {
                    $field = d;
                }
            },
        }
    };
}

macro_rules! opt_path {
    ($key:literal, |$c:ident| $field:expr, $effect:literal) => {
        Setting {
            key: $key,
            ty: SettingType::OptPath,
            min: 0,
            max: 0,
            effect: $effect,
            get: |$c: &Config| SettingValue::Path($field.clone()),
            put: |$c: &mut Config, v| {
                if let SettingValue::Path(p) = v {
                    $field = p;
                }
            },
        }
    };
}

const U31: u64 = 0x7fff_ffff;
const U32: u64 = u32::MAX as u64;
const USIZE: u64 = usize::MAX as u64;

/// Every setting, in documentation order.
pub static SETTINGS: &[Setting] = &[
    // Client-wide.
    int!("runtime_threads", 1, 64, |c| c.runtime_threads,
        "Threads of the library's own runtime; with 1, every callback runs on one thread."),
    int!("max_retries", 0, 255, |c| c.max_retries,
        "Transparent retries of requests the server provably did not process (GOAWAY, REFUSED_STREAM)."),
    millis!("connect_timeout_ms", |c| c.connect_timeout,
        "TCP connect deadline per attempt, DNS included (ConnectTimeout)."),
    millis!("settings_timeout_ms", |c| c.settings_timeout,
        "The server must acknowledge our SETTINGS within this (SettingsTimeout)."),
    opt_millis!("headers_timeout_ms", |c| c.headers_timeout,
        "Default deadline for the response head after submission (HeadersTimeout)."),
    opt_millis!("idle_timeout_ms", |c| c.idle_timeout,
        "Default longest silence between response body chunks (IdleTimeout)."),
    opt_millis!("request_timeout_ms", |c| c.request_timeout,
        "Default deadline for a whole request (RequestTimeout)."),
    opt_millis!("keepalive_interval_ms", |c| c.keepalive_interval,
        "Send a PING after this long without hearing from the server."),
    millis!("ping_timeout_ms", |c| c.ping_timeout,
        "An unanswered PING after this long closes the connection (PingTimeout)."),
    millis!("ping_soft_timeout_ms", |c| c.ping_soft_timeout,
        "An unanswered PING after this long stops new requests going to the connection."),
    int!("default_urgency", 0, 7, |c| c.default_priority.urgency,
        "RFC 9218 urgency of requests that set no priority (0 most urgent)."),
    boolean!("default_incremental", |c| c.default_priority.incremental,
        "RFC 9218 incremental flag of requests that set no priority."),
    int!("default_weight", 1, 256, |c| c.default_priority.weight,
        "RFC 7540 weight of requests that set no priority (sent with rfc7540_priorities)."),
    // HTTP/2 protocol.
    int!("header_table_size", 0, U32, |c| c.proto.header_table_size,
        "SETTINGS_HEADER_TABLE_SIZE we advertise (HPACK table the server may use)."),
    int!("encoder_table_size", 0, U32, |c| c.proto.encoder_table_size,
        "Upper bound on the HPACK dynamic table our encoder uses."),
    int!("max_concurrent_streams", 0, U32, |c| c.proto.max_concurrent_streams,
        "SETTINGS_MAX_CONCURRENT_STREAMS we advertise (server-initiated streams)."),
    int!("initial_window_size", 0, U31, |c| c.proto.initial_window_size,
        "SETTINGS_INITIAL_WINDOW_SIZE: receive window of each stream, bytes."),
    int!("connection_window_size", 65_535, U31, |c| c.proto.connection_window_size,
        "Receive window of the whole connection, bytes."),
    int!("max_frame_size", 16_384, 16_777_215, |c| c.proto.max_frame_size,
        "SETTINGS_MAX_FRAME_SIZE we accept."),
    int!("max_header_list_size", 1024, U32, |c| c.proto.max_header_list_size,
        "SETTINGS_MAX_HEADER_LIST_SIZE we accept (decoded bytes)."),
    int!("max_continuation_frames", 0, U32, |c| c.proto.max_continuation_frames,
        "CONTINUATION frames accepted per header block; 0 derives it from the sizes."),
    boolean!("adaptive_window", |c| c.proto.adaptive_window,
        "Grow the receive windows from the measured bandwidth-delay product."),
    int!("max_adaptive_window", 0, U31, |c| c.proto.max_adaptive_window,
        "Cap of the adaptive stream and connection windows, bytes."),
    int!("max_buffered_per_connection", 0, USIZE, |c| c.proto.max_buffered_per_connection,
        "Unconsumed response bytes up to which connection credit is returned on receipt."),
    int!("max_pending_requests", 0, USIZE, |c| c.proto.max_pending_requests,
        "Requests waiting for a stream slot beyond which submission fails (LimitExceeded)."),
    int!("send_buffer_size", 1, USIZE, |c| c.proto.send_buffer_size,
        "Request body bytes buffered per stream before the writer waits."),
    int!("write_high_water", 1, USIZE, |c| c.proto.write_high_water,
        "DATA bytes put in the write buffer per flush."),
    int!("read_buffer_size", 1024, 64u64 << 20, |c| c.proto.read_buffer_size,
        "Room made in the read buffer before each socket read (the most one read takes in)."),
    int!("early_flush_frames", 0, 1u64 << 20, |c| c.proto.early_flush_frames,
        "A read with more frames than this writes the requests submitted meanwhile once, mid-read (0: off)."),
    int!("max_reset_streams_remembered", 0, USIZE, |c| c.proto.max_reset_streams_remembered,
        "Reset streams whose late frames are dropped silently (bounded memory)."),
    boolean!("rfc7540_priorities", |c| c.proto.rfc7540_priorities,
        "Send RFC 7540 weights in HEADERS and schedule our DATA by weight."),
    // Flood protection.
    int!("flood_settings_per_sec", 0, U32, |c| c.proto.flood.settings_per_sec,
        "SETTINGS frames per second from the server before ENHANCE_YOUR_CALM."),
    int!("flood_pings_per_sec", 0, U32, |c| c.proto.flood.pings_per_sec,
        "PING frames per second from the server before ENHANCE_YOUR_CALM."),
    int!("flood_resets_per_sec", 0, U32, |c| c.proto.flood.resets_per_sec,
        "RST_STREAM frames per second from the server before ENHANCE_YOUR_CALM."),
    int!("flood_window_updates_per_sec", 0, U32, |c| c.proto.flood.window_updates_per_sec,
        "WINDOW_UPDATE frames per second from the server before ENHANCE_YOUR_CALM."),
    int!("flood_empty_frames_per_sec", 0, U32, |c| c.proto.flood.empty_frames_per_sec,
        "Empty DATA/CONTINUATION and unknown frames per second before ENHANCE_YOUR_CALM."),
    int!("flood_local_resets_per_sec", 0, U32, |c| c.proto.flood.local_resets_per_sec,
        "RST_STREAM frames per second we send (cancellations); beyond it new streams wait."),
    int!("flood_max_control_backlog", 0, USIZE, |c| c.proto.flood.max_control_backlog,
        "Unwritten control-frame bytes (peer not reading) before ENHANCE_YOUR_CALM."),
    // Pool.
    int!("pool_max_connections_per_origin", 1, USIZE, |c| c.pool.max_connections_per_origin,
        "Most connections to one origin."),
    int!("pool_max_connections_total", 1, USIZE, |c| c.pool.max_connections_total,
        "Most connections in total; beyond it the least recently used idle one closes."),
    Setting {
        key: "pool_overflow",
        ty: SettingType::Enum(&["queue", "open_more"]),
        min: 0,
        max: 0,
        effect: "When every connection is at the stream limit: queue, or open another connection.",
        get: |c| {
            SettingValue::Enum(
                match c.pool.overflow {
                    Overflow::Queue => "queue",
                    Overflow::OpenMore => "open_more",
                }
                .into(),
            )
        },
        put: |c, v| {
            if let SettingValue::Enum(s) = v {
                c.pool.overflow = if s == "open_more" {
                    Overflow::OpenMore
                } else {
                    Overflow::Queue
                };
            }
        },
    },
    opt_millis!("pool_idle_timeout_ms", |c| c.pool.idle_timeout,
        "A connection with no requests for this long is closed (GOAWAY)."),
    millis!("pool_backoff_base_ms", |c| c.pool.backoff_base,
        "First backoff period once an origin's circuit opens."),
    millis!("pool_backoff_max_ms", |c| c.pool.backoff_max,
        "Longest backoff period (at least pool_backoff_base_ms)."),
    int!("pool_breaker_threshold", 1, U32, |c| c.pool.breaker_threshold,
        "Consecutive failed connection attempts that open an origin's circuit."),
    opt_millis!("pool_check_after_idle_ms", |c| c.pool.check_after_idle,
        "A connection silent this long is checked with a PING before reuse."),
    int!("pool_connection_retry_budget", 0, U32, |c| c.pool.connection_retry_budget,
        "Retries one connection may cause before it drains and a fresh one takes over."),
    boolean!("pool_retry_idempotent", |c| c.pool.retry_idempotent,
        "Also retry idempotent requests lost after sending (they may have been processed)."),
    // TLS.
    opt_path!("tls_ca_file", |c| c.tls.ca_file,
        "PEM file of extra trusted CA certificates."),
    boolean!("tls_use_system_roots", |c| c.tls.use_system_roots,
        "Trust the system certificate store."),
    opt_path!("tls_client_cert", |c| c.tls.client_cert,
        "Client certificate chain (PEM) for mutual TLS; needs tls_client_key."),
    opt_path!("tls_client_key", |c| c.tls.client_key,
        "Private key (PEM) of tls_client_cert."),
    Setting {
        key: "tls_pins",
        ty: SettingType::Pins,
        min: 0,
        max: 0,
        effect: "SPKI SHA-256 pins (base64); when set, the server key must match one.",
        get: |c| {
            SettingValue::List(
                c.tls
                    .pins
                    .iter()
                    .map(|p| crate::transport::base64_encode(p))
                    .collect(),
            )
        },
        put: |c, v| {
            if let SettingValue::List(l) = v {
                c.tls.pins = l
                    .iter()
                    .filter_map(|p| TlsConfig::parse_pin(p).ok())
                    .collect();
            }
        },
    },
    Setting {
        key: "tls_crl_files",
        ty: SettingType::Paths,
        min: 0,
        max: 0,
        effect: "Certificate revocation lists (PEM or DER) checked for every certificate.",
        get: |c| {
            SettingValue::List(
                c.tls
                    .crl_files
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect(),
            )
        },
        put: |c, v| {
            if let SettingValue::List(l) = v {
                c.tls.crl_files = l.into_iter().map(PathBuf::from).collect();
            }
        },
    },
    boolean!("tls_danger_accept_invalid_certs", |c| c.tls.danger_accept_invalid_certs,
        "DANGER: accept any server certificate (local testing only); pins still apply."),
    millis!("tls_handshake_timeout_ms", |c| c.tls.handshake_timeout,
        "How long the TLS handshake may take after the TCP connect (ConnectTimeout)."),
];

/// The setting named `key`, if any.
pub fn find(key: &str) -> Option<&'static Setting> {
    SETTINGS.iter().find(|s| s.key == key)
}

/// Nested JSON objects accepted in place of flat keys, and the prefix their keys get.
const GROUPS: &[(&str, &str)] = &[
    ("proto", ""),
    ("pool", "pool_"),
    ("tls", "tls_"),
    ("flood", "flood_"),
];

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The closest setting key to `key`, for "did you mean" hints.
fn suggest(key: &str) -> Option<&'static str> {
    let key = key.to_ascii_lowercase();
    SETTINGS
        .iter()
        .map(|s| {
            let d = edit_distance(&key, s.key)
                .min(edit_distance(&key, s.key.trim_end_matches("_ms")) + 1);
            (d, s.key)
        })
        .filter(|(d, k)| *d <= 3.max(k.len() / 6))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

fn unknown(key: &str, shown: &str) -> ConfigError {
    let hint = match suggest(key) {
        Some(s) => format!(" (did you mean \"{s}\"?)"),
        None => " (the settings are listed in docs/CONFIG.md)".to_owned(),
    };
    ConfigError::new(
        ConfigErrorKind::UnknownKey,
        Some(key),
        format!("unknown setting \"{shown}\"{hint}"),
    )
}

impl Config {
    /// Sets one setting by key from a typed value, checking type and range.
    ///
    /// ```
    /// use h2o_core::client::{Config, settings::SettingValue};
    /// let mut cfg = Config::default();
    /// cfg.set("pool_max_connections_per_origin", SettingValue::Int(2)).unwrap();
    /// assert!(cfg.set("max_frame_size", SettingValue::Int(1)).is_err());
    /// ```
    pub fn set(&mut self, key: &str, value: SettingValue) -> Result<(), ConfigError> {
        find(key).ok_or_else(|| unknown(key, key))?.set(self, value)
    }

    /// Sets one setting by key from text (as an environment variable spells it).
    ///
    /// ```
    /// let mut cfg = h2o_core::Config::default();
    /// cfg.set_str("connect_timeout_ms", "2500").unwrap();
    /// assert_eq!(cfg.connect_timeout, std::time::Duration::from_millis(2500));
    /// ```
    pub fn set_str(&mut self, key: &str, value: &str) -> Result<(), ConfigError> {
        let s = find(key).ok_or_else(|| unknown(key, key))?;
        s.set(self, s.parse_str(value)?)
    }

    /// Applies the settings of a JSON object: flat keys (`"pool_idle_timeout_ms"`) or
    /// nested groups (`"pool": {"idle_timeout_ms": ...}`, also `proto`, `tls`, `flood`).
    /// Unknown keys, wrong types and out-of-range values are errors naming the key; on
    /// error `self` may be partly updated.
    ///
    /// ```
    /// let mut cfg = h2o_core::Config::default();
    /// cfg.apply_json_str(r#"{"tls": {"danger_accept_invalid_certs": true}}"#).unwrap();
    /// assert!(cfg.tls.danger_accept_invalid_certs);
    /// ```
    pub fn apply_json_str(&mut self, json: &str) -> Result<(), ConfigError> {
        let value: Value = serde_json::from_str(json).map_err(|e| {
            ConfigError::new(ConfigErrorKind::Syntax, None, format!("invalid JSON: {e}"))
        })?;
        self.apply_json(&value)
    }

    /// Like [`apply_json_str`](Self::apply_json_str) for an already parsed value.
    pub fn apply_json(&mut self, value: &Value) -> Result<(), ConfigError> {
        let Some(obj) = value.as_object() else {
            return Err(ConfigError::new(
                ConfigErrorKind::Syntax,
                None,
                format!("the config must be a JSON object, got {}", json_kind(value)),
            ));
        };
        self.apply_object(obj, "", "")
    }

    fn apply_object(
        &mut self,
        obj: &Map<String, Value>,
        prefix: &str,
        path: &str,
    ) -> Result<(), ConfigError> {
        for (k, v) in obj {
            let group = GROUPS.iter().find(|(g, _)| *g == k);
            match (group, v) {
                (Some((g, p)), Value::Object(inner)) if path.is_empty() => {
                    self.apply_object(inner, p, &format!("{g}."))?
                }
                _ => {
                    let key = format!("{prefix}{k}");
                    let shown = format!("{path}{k}");
                    let s = find(&key).ok_or_else(|| unknown(&key, &shown))?;
                    s.set(self, s.parse_json(v)?)?;
                }
            }
        }
        Ok(())
    }

    /// The defaults with the settings of a JSON object applied, validated.
    ///
    /// ```
    /// let cfg = h2o_core::Config::from_json_str(r#"{"connect_timeout_ms": 2500}"#).unwrap();
    /// assert_eq!(cfg.connect_timeout.as_millis(), 2500);
    /// ```
    pub fn from_json_str(json: &str) -> Result<Config, ConfigError> {
        let mut cfg = Config::default();
        cfg.apply_json_str(json)?;
        cfg.check()?;
        Ok(cfg)
    }

    /// Applies a JSON config file (see [`apply_json_str`](Self::apply_json_str)); errors
    /// start with the file name.
    pub fn apply_json_file(&mut self, path: impl AsRef<Path>) -> Result<(), ConfigError> {
        let path = path.as_ref();
        let ctx = format!("config file {}", path.display());
        let text = std::fs::read_to_string(path).map_err(|e| {
            ConfigError::new(
                ConfigErrorKind::Io,
                None,
                format!("{ctx}: cannot read: {e}"),
            )
        })?;
        self.apply_json_str(&text).map_err(|e| e.context(&ctx))
    }

    /// Applies `H2O_<SETTING>` variables from `vars` (e.g. `std::env::vars()`): the upper-case
    /// key after `H2O_`, values parsed per type (integers, `true`/`false`, milliseconds,
    /// `off`/`0` for an optional duration, comma-separated lists). Variables not starting
    /// with `H2O_` are ignored, as are [`RESERVED_ENV`] and `H2O_` variables that do not look
    /// like a setting (tools use e.g. `H2O_TEST_PORT`). One that does look like a setting
    /// but is none is an error: a `H2O_POOL_`, `H2O_TLS_`, `H2O_FLOOD_` or `H2O_DEFAULT_`
    /// prefix, a `_MS` suffix, or a name close to a setting's (a typo).
    ///
    /// ```
    /// let mut cfg = h2o_core::Config::default();
    /// cfg.apply_env([("H2O_POOL_IDLE_TIMEOUT_MS", "off"), ("H2O_TEST_PORT", "1")]).unwrap();
    /// assert_eq!(cfg.pool.idle_timeout, None);
    /// assert!(cfg.apply_env([("H2O_INITIAL_WINDOW_SIZ", "1")]).is_err());
    /// ```
    pub fn apply_env<K, V>(
        &mut self,
        vars: impl IntoIterator<Item = (K, V)>,
    ) -> Result<(), ConfigError>
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut vars: Vec<(K, V)> = vars
            .into_iter()
            .filter(|(k, _)| k.as_ref().starts_with("H2O_"))
            .collect();
        // Deterministic: the first error is the same whatever the iteration order.
        vars.sort_by(|a, b| a.0.as_ref().cmp(b.0.as_ref()));
        for (var, value) in &vars {
            let var = var.as_ref();
            if RESERVED_ENV.contains(&var) {
                continue;
            }
            let key = var["H2O_".len()..].to_ascii_lowercase();
            match find(&key) {
                Some(s) => {
                    let v = s.parse_str(value.as_ref()).map_err(|e| e.context(var))?;
                    s.set(self, v).map_err(|e| e.context(var))?;
                }
                None if looks_like_setting(&key) => {
                    return Err(unknown(&key, var));
                }
                None => {}
            }
        }
        Ok(())
    }

    /// The defaults, overridden by the process environment: the JSON file named by
    /// `H2O_CONFIG` (if set), then `H2O_<SETTING>` variables; validated. The same as
    /// [`Config::load`].
    ///
    /// ```no_run
    /// let client = h2o_core::Client::with_config(h2o_core::Config::from_env()?)?;
    /// # Ok::<(), h2o_core::Error>(())
    /// ```
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::load()
    }

    /// Code defaults < the JSON file named by `H2O_CONFIG` < `H2O_<SETTING>` variables,
    /// validated. Use [`ConfigLoader`] to start from a program's own settings.
    pub fn load() -> Result<Config, ConfigError> {
        ConfigLoader::new(Config::default()).load()
    }

    /// Checks every setting against its range, then the rules between settings; the error
    /// names the offending key. [`validate`](Self::validate) is the same with a `String`.
    pub fn check(&self) -> Result<(), ConfigError> {
        for s in SETTINGS {
            s.check_current(self)?;
        }
        let invalid = |key: &str, msg: &str| {
            Err(ConfigError::new(
                ConfigErrorKind::Invalid,
                Some(key),
                format!("setting \"{key}\": {msg}"),
            ))
        };
        if self.pool.backoff_max < self.pool.backoff_base {
            return invalid(
                "pool_backoff_max_ms",
                "must be at least pool_backoff_base_ms",
            );
        }
        if self.tls.client_cert.is_some() != self.tls.client_key.is_some() {
            return invalid(
                "tls_client_cert",
                "tls_client_cert and tls_client_key must be set together",
            );
        }
        if self.default_priority.urgency > 7 {
            return invalid("default_urgency", "must be in 0..=7");
        }
        self.proto
            .validate()
            .map_err(|e| ConfigError::new(ConfigErrorKind::Invalid, None, e))?;
        self.tls.validate().map_err(|e| {
            // TLS file errors start with the setting's key ("tls_ca_file /path: ...").
            let key = SETTINGS
                .iter()
                .map(|s| s.key)
                .find(|k| k.starts_with("tls_") && e.starts_with(k));
            ConfigError::new(ConfigErrorKind::Invalid, key, e)
        })
    }

    /// Every setting as a flat JSON object (durations in milliseconds): what
    /// [`from_json_str`](Self::from_json_str) reads back into the same config.
    ///
    /// ```
    /// let cfg = h2o_core::Config::default();
    /// let json = cfg.to_json().to_string();
    /// assert_eq!(h2o_core::Config::from_json_str(&json).unwrap(), cfg);
    /// ```
    pub fn to_json(&self) -> Value {
        Value::Object(
            SETTINGS
                .iter()
                .map(|s| (s.key.to_owned(), s.get(self).to_json()))
                .collect(),
        )
    }

    /// Only the settings that differ from [`Config::default`], as a flat JSON object: the
    /// smallest JSON that [`from_json_str`](Self::from_json_str) (and the C API's
    /// `h2o_config_from_json`) reads back into the same config.
    ///
    /// ```
    /// let mut cfg = h2o_core::Config::default();
    /// cfg.max_retries = 0;
    /// let json = cfg.to_json_changes().to_string();
    /// assert_eq!(json, r#"{"max_retries":0}"#);
    /// assert_eq!(h2o_core::Config::from_json_str(&json).unwrap(), cfg);
    /// ```
    pub fn to_json_changes(&self) -> Value {
        let defaults = Config::default();
        Value::Object(
            SETTINGS
                .iter()
                .filter(|s| s.get(self) != s.get(&defaults))
                .map(|s| (s.key.to_owned(), s.get(self).to_json()))
                .collect(),
        )
    }
}

fn looks_like_setting(key: &str) -> bool {
    ["pool_", "tls_", "flood_", "default_", "proto_"]
        .iter()
        .any(|p| key.starts_with(p))
        || key.ends_with("_ms")
        || SETTINGS
            .iter()
            .any(|s| edit_distance(key, s.key) <= 2 || key == s.key.trim_end_matches("_ms"))
}

/// Layers settings: a program's own [`Config`] (code) < a JSON file < environment.
///
/// ```
/// use h2o_core::client::{settings::ConfigLoader, Config};
/// let mut mine = Config::default();
/// mine.runtime_threads = 2;
/// let cfg = ConfigLoader::new(mine)
///     .json_str(r#"{"max_retries": 1}"#)
///     .env_vars([("H2O_MAX_RETRIES", "5")])
///     .load()
///     .unwrap();
/// assert_eq!((cfg.runtime_threads, cfg.max_retries), (2, 5));
/// ```
#[derive(Debug)]
pub struct ConfigLoader {
    base: Config,
    file: Option<PathBuf>,
    json: Option<String>,
    env: Option<Vec<(String, String)>>,
}

impl ConfigLoader {
    /// Starts from `base` (the code layer). Without further calls, [`load`](Self::load)
    /// reads `H2O_CONFIG` and `H2O_*` from the process environment.
    pub fn new(base: Config) -> ConfigLoader {
        ConfigLoader {
            base,
            file: None,
            json: None,
            env: None,
        }
    }

    /// Uses this JSON file instead of the one named by `H2O_CONFIG`.
    pub fn file(mut self, path: impl Into<PathBuf>) -> ConfigLoader {
        self.file = Some(path.into());
        self
    }

    /// Uses this JSON text as the file layer (instead of any file).
    pub fn json_str(mut self, json: impl Into<String>) -> ConfigLoader {
        self.json = Some(json.into());
        self
    }

    /// Uses these variables instead of the process environment (also for `H2O_CONFIG`).
    pub fn env_vars<K: Into<String>, V: Into<String>>(
        mut self,
        vars: impl IntoIterator<Item = (K, V)>,
    ) -> ConfigLoader {
        self.env = Some(
            vars.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        );
        self
    }

    /// Applies the layers in order and validates the result.
    pub fn load(self) -> Result<Config, ConfigError> {
        let env: Vec<(String, String)> = match self.env {
            Some(v) => v,
            None => std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .filter(|(k, _)| k.starts_with("H2O_"))
                .collect(),
        };
        let mut cfg = self.base;
        if let Some(json) = self.json {
            cfg.apply_json_str(&json)?;
        } else if let Some(path) = self.file.or_else(|| {
            env.iter()
                .find(|(k, v)| k == CONFIG_ENV && !v.is_empty())
                .map(|(_, v)| PathBuf::from(v))
        }) {
            cfg.apply_json_file(path)?;
        }
        cfg.apply_env(env)?;
        cfg.check()?;
        Ok(cfg)
    }
}

/// The settings table of `docs/CONFIG.md`, generated from [`SETTINGS`].
pub fn markdown_table() -> String {
    let mut out = String::from(
        "| Setting (JSON key) | Type | Default | Range | Effect | C setter | Python kwarg | Node option | Environment |\n\
         |---|---|---|---|---|---|---|---|---|\n",
    );
    for s in SETTINGS {
        let default = match s.default_value() {
            SettingValue::Duration(None) => "off".to_owned(),
            SettingValue::Path(None) => "none".to_owned(),
            SettingValue::List(l) if l.is_empty() => "[]".to_owned(),
            v => v.to_json().to_string(),
        };
        let range = match s.ty {
            SettingType::Enum(v) => quoted(v),
            _ => s.range_text().unwrap_or_else(|| "-".into()),
        };
        let py = s.key.trim_end_matches("_ms");
        let py = if s.key.ends_with("_ms") {
            format!("`{py}` (s)")
        } else {
            format!("`{py}`")
        };
        let node = camel(s.key.trim_end_matches("_ms"));
        let node = if s.key.ends_with("_ms") {
            format!("`{node}` (ms)")
        } else {
            format!("`{node}`")
        };
        let c = c_setter(s);
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} | {} | {} | {} | `{}` |\n",
            s.key,
            s.ty.name(),
            default.replace('|', "\\|"),
            range,
            s.effect,
            c,
            py,
            node,
            s.env_var()
        ));
    }
    out
}

/// The C function that sets `s` (documented in `include/h2o.h`).
pub fn c_setter(s: &Setting) -> String {
    match s.ty {
        SettingType::Pins => "`h2o_config_add_tls_pin`".into(),
        SettingType::Paths => format!("`h2o_config_add_{}`", s.key.trim_end_matches('s')),
        _ => format!("`h2o_config_set_{}`", s.key),
    }
}

fn camel(key: &str) -> String {
    let mut out = String::new();
    let mut up = false;
    for ch in key.chars() {
        if ch == '_' {
            up = true;
        } else if up {
            out.push(ch.to_ascii_uppercase());
            up = false;
        } else {
            out.push(ch);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const PIN: &str = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";

    /// A valid value for `s` that differs from its default.
    fn sample(s: &Setting) -> SettingValue {
        let default = s.default_value();
        match s.ty {
            SettingType::Int => {
                let SettingValue::Int(d) = default else {
                    unreachable!()
                };
                SettingValue::Int(if d == s.max { s.min } else { s.max.min(d + 7) })
            }
            SettingType::Bool => SettingValue::Bool(default != SettingValue::Bool(true)),
            SettingType::Millis | SettingType::OptMillis => {
                SettingValue::Duration(Some(Duration::from_millis(1234)))
            }
            SettingType::OptPath => SettingValue::Path(Some("/some/file.pem".into())),
            SettingType::Paths => SettingValue::List(vec!["/a.pem".into(), "/b.der".into()]),
            SettingType::Pins => SettingValue::List(vec![PIN.into()]),
            SettingType::Enum(names) => SettingValue::Enum(
                names
                    .iter()
                    .find(|n| SettingValue::Enum(n.to_string()) != default)
                    .unwrap()
                    .to_string(),
            ),
        }
    }

    /// A JSON value of the wrong type for `s`.
    fn wrong_type(s: &Setting) -> Value {
        match s.ty {
            SettingType::Int | SettingType::Millis | SettingType::OptMillis => json!("12"),
            SettingType::Bool => json!(1),
            SettingType::OptPath | SettingType::Enum(_) => json!(5),
            SettingType::Paths | SettingType::Pins => json!("x"),
        }
    }

    #[test]
    fn keys_are_unique_snake_case_and_durations_end_in_ms() {
        let mut seen = std::collections::HashSet::new();
        for s in SETTINGS {
            assert!(seen.insert(s.key), "duplicate key {}", s.key);
            assert!(s
                .key
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'));
            let is_duration = matches!(s.ty, SettingType::Millis | SettingType::OptMillis);
            assert_eq!(is_duration, s.key.ends_with("_ms"), "{}", s.key);
            assert!(!s.effect.is_empty());
            // The default is within range.
            s.check_current(&Config::default()).unwrap();
        }
        assert!(SETTINGS.len() >= 50, "{}", SETTINGS.len());
    }

    #[test]
    fn every_key_round_trips_through_json_and_env() {
        for s in SETTINGS {
            let v = sample(s);
            assert_ne!(v, s.default_value(), "{}", s.key);
            // JSON, flat.
            let mut cfg = Config::default();
            let text = json!({ s.key: v.to_json() }).to_string();
            cfg.apply_json_str(&text)
                .unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(s.get(&cfg), v, "json {}", s.key);
            // Environment.
            let mut cfg = Config::default();
            cfg.apply_env([(s.env_var(), v.to_env())])
                .unwrap_or_else(|e| panic!("{}: {e}", s.env_var()));
            assert_eq!(s.get(&cfg), v, "env {}", s.key);
            // Text setter and typed setter.
            let mut cfg = Config::default();
            cfg.set_str(s.key, &v.to_env()).unwrap();
            assert_eq!(s.get(&cfg), v, "set_str {}", s.key);
            let mut cfg = Config::default();
            cfg.set(s.key, v.clone()).unwrap();
            assert_eq!(s.get(&cfg), v, "set {}", s.key);
        }
    }

    #[test]
    fn nested_groups_equal_flat_keys() {
        let nested = Config::from_json_str(
            r#"{"proto": {"initial_window_size": 65535}, "pool": {"idle_timeout_ms": null,
                "overflow": "open_more"}, "tls": {"use_system_roots": false},
                "flood": {"pings_per_sec": 5}}"#,
        )
        .unwrap();
        let flat = Config::from_json_str(
            r#"{"initial_window_size": 65535, "pool_idle_timeout_ms": null,
                "pool_overflow": "open_more", "tls_use_system_roots": false,
                "flood_pings_per_sec": 5}"#,
        )
        .unwrap();
        assert_eq!(nested, flat);
        assert_eq!(flat.pool.idle_timeout, None);
        assert_eq!(flat.pool.overflow, Overflow::OpenMore);
        assert_eq!(flat.proto.flood.pings_per_sec, 5);
        let e = Config::from_json_str(r#"{"pool": {"nope": 1}}"#).unwrap_err();
        assert_eq!(e.kind(), ConfigErrorKind::UnknownKey);
        assert!(e.to_string().contains("\"pool.nope\""), "{e}");
    }

    #[test]
    fn wrong_types_name_the_key_and_the_expected_type() {
        for s in SETTINGS {
            let text = json!({ s.key: wrong_type(s) }).to_string();
            let e = Config::from_json_str(&text).unwrap_err();
            assert_eq!(e.key(), Some(s.key), "{text}: {e}");
            assert_eq!(e.kind(), ConfigErrorKind::WrongType, "{text}: {e}");
            assert!(e.to_string().contains(&s.ty.name()), "{text}: {e}");
        }
        let e = Config::from_json_str(r#"{"max_retries": 1.5}"#).unwrap_err();
        assert_eq!(e.kind(), ConfigErrorKind::WrongType);
        let e = Config::from_json_str(r#"{"tls_pins": ["sha256//nope"]}"#).unwrap_err();
        assert_eq!(
            (e.kind(), e.key()),
            (ConfigErrorKind::Invalid, Some("tls_pins"))
        );
        let e = Config::from_json_str(r#"{"pool_overflow": "sometimes"}"#).unwrap_err();
        assert_eq!(e.kind(), ConfigErrorKind::OutOfRange);
        assert!(e.to_string().contains("\"queue\", \"open_more\""), "{e}");
    }

    #[test]
    fn out_of_range_values_name_the_key_and_the_range() {
        let mut checked = 0;
        for s in SETTINGS {
            let below = match s.ty {
                SettingType::Int if s.min > 0 => Some(json!(s.min - 1)),
                SettingType::Millis => Some(json!(0)),
                SettingType::Int | SettingType::OptMillis => Some(json!(-1)),
                _ => None,
            };
            let above = match s.ty {
                SettingType::Int if s.max < u64::MAX => Some(json!(s.max + 1)),
                SettingType::Millis | SettingType::OptMillis => Some(json!(MAX_MS + 1)),
                _ => None,
            };
            for v in below.into_iter().chain(above) {
                let text = json!({ s.key: v }).to_string();
                let e = Config::from_json_str(&text).unwrap_err();
                assert_eq!(e.key(), Some(s.key), "{text}: {e}");
                assert_eq!(e.kind(), ConfigErrorKind::OutOfRange, "{text}: {e}");
                assert!(
                    e.to_string().contains(&s.range_text().unwrap()),
                    "{text}: {e}"
                );
                // The same through the environment.
                let var = s.env_var();
                let e = Config::default()
                    .apply_env([(var.as_str(), v.to_string().as_str())])
                    .unwrap_err();
                assert_eq!(e.kind(), ConfigErrorKind::OutOfRange, "{var}={v}: {e}");
                assert!(e.to_string().starts_with(&var), "{e}");
                checked += 1;
            }
        }
        assert!(checked > 60, "{checked}");
        let e = Config::from_json_str(r#"{"max_frame_size": 100}"#).unwrap_err();
        assert_eq!(
            e.to_string(),
            "setting \"max_frame_size\": 100 is out of range 16384..=16777215"
        );
    }

    #[test]
    fn env_strings_per_type() {
        let mut c = Config::default();
        c.apply_env([
            ("H2O_ADAPTIVE_WINDOW", "off"),
            ("H2O_POOL_RETRY_IDEMPOTENT", "YES"),
            ("H2O_KEEPALIVE_INTERVAL_MS", "0"),
            ("H2O_REQUEST_TIMEOUT_MS", " 1500 "),
            ("H2O_TLS_CRL_FILES", "/a.pem, /b.pem"),
            ("H2O_TLS_CA_FILE", ""),
            ("H2O_POOL_OVERFLOW", "open_more"),
        ])
        .unwrap();
        assert!(!c.proto.adaptive_window);
        assert!(c.pool.retry_idempotent);
        assert_eq!(c.keepalive_interval, None);
        assert_eq!(c.request_timeout, Some(Duration::from_millis(1500)));
        assert_eq!(
            c.tls.crl_files,
            vec![PathBuf::from("/a.pem"), "/b.pem".into()]
        );
        assert_eq!(c.tls.ca_file, None);
        for (var, val, kind) in [
            ("H2O_ADAPTIVE_WINDOW", "maybe", ConfigErrorKind::WrongType),
            ("H2O_MAX_RETRIES", "three", ConfigErrorKind::WrongType),
            ("H2O_MAX_RETRIES", "-1", ConfigErrorKind::OutOfRange),
            ("H2O_MAX_RETRIES", "256", ConfigErrorKind::OutOfRange),
            ("H2O_CONNECT_TIMEOUT_MS", "off", ConfigErrorKind::WrongType),
            ("H2O_CONNECT_TIMEOUT_MS", "0", ConfigErrorKind::OutOfRange),
            ("H2O_TLS_PINS", "abc", ConfigErrorKind::Invalid),
        ] {
            let e = Config::default().apply_env([(var, val)]).unwrap_err();
            assert_eq!(e.kind(), kind, "{var}={val}: {e}");
            assert!(e.to_string().starts_with(var), "{e}");
        }
    }

    #[test]
    fn unknown_env_vars_that_look_like_settings_are_errors() {
        for var in [
            "H2O_INITIAL_WINDOW_SIZ",
            "H2O_CONNECT_TIMEOUT", // the key has _MS
            "H2O_POOL_NOPE",
            "H2O_TLS_CA",
            "H2O_SOMETHING_MS",
            "H2O_MAX_FRAMESIZE",
        ] {
            let e = Config::default().apply_env([(var, "1")]).unwrap_err();
            assert_eq!(e.kind(), ConfigErrorKind::UnknownKey, "{var}");
            assert!(e.to_string().contains(var), "{e}");
        }
        let e = Config::default()
            .apply_env([("H2O_CONNECT_TIMEOUT", "1")])
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("did you mean \"connect_timeout_ms\""),
            "{e}"
        );
        // Variables of the tools and tests, the log filter and the file name are not settings.
        let mut c = Config::default();
        c.apply_env([
            ("H2O_LOG", "debug"),
            ("H2O_CONFIG", "/nonexistent.json"),
            ("H2O_TEST_PORT", "8080"),
            ("H2O_TESTSERVER", "/bin/x"),
            ("H2O_SOAK_REQUESTS", "10"),
            ("H2O_NATIVE_PATH", "/x"),
            ("PATH", "/bin"),
        ])
        .unwrap();
        assert_eq!(c, Config::default());
    }

    #[test]
    fn unknown_json_keys_suggest_the_closest() {
        let e = Config::from_json_str(r#"{"initial_windw_size": 1}"#).unwrap_err();
        assert_eq!(e.key(), Some("initial_windw_size"));
        assert!(
            e.to_string()
                .contains("did you mean \"initial_window_size\""),
            "{e}"
        );
        let e = Config::from_json_str(r#"{"zzzzzzzzzzzzzzzzzzzz": 1}"#).unwrap_err();
        assert!(e.to_string().contains("docs/CONFIG.md"), "{e}");
        for bad in ["[1]", "{", "null", "\"x\""] {
            let e = Config::from_json_str(bad).unwrap_err();
            assert_eq!(e.kind(), ConfigErrorKind::Syntax, "{bad}");
        }
    }

    #[test]
    fn rules_between_settings_name_a_key() {
        let e =
            Config::from_json_str(r#"{"pool_backoff_base_ms": 5000, "pool_backoff_max_ms": 100}"#)
                .unwrap_err();
        assert_eq!(e.key(), Some("pool_backoff_max_ms"));
        let e = Config::from_json_str(r#"{"tls_client_key": "/k.pem"}"#).unwrap_err();
        assert_eq!(e.key(), Some("tls_client_cert"));
        let e = Config::from_json_str(r#"{"tls_ca_file": "/nonexistent/ca.pem"}"#).unwrap_err();
        assert_eq!(e.key(), Some("tls_ca_file"));
        assert!(e.to_string().contains("/nonexistent/ca.pem"), "{e}");
        let e =
            Config::from_json_str(r#"{"tls_crl_files": ["/nonexistent/crl.pem"]}"#).unwrap_err();
        assert_eq!(e.key(), Some("tls_crl_files"));
        let mut c = Config {
            runtime_threads: 0,
            ..Config::default()
        };
        assert!(c.validate().unwrap_err().contains("runtime_threads"));
        c.runtime_threads = 1;
        c.connect_timeout = Duration::ZERO;
        assert!(c.validate().unwrap_err().contains("connect_timeout_ms"));
        // Sub-millisecond durations set from code are allowed (not zero).
        c.connect_timeout = Duration::from_micros(500);
        assert!(c.validate().is_ok());
    }

    #[test]
    fn loader_precedence_code_file_env() {
        let mut mine = Config {
            runtime_threads: 2,
            max_retries: 9,
            ..Config::default()
        };
        mine.proto.max_frame_size = 20_000;
        let cfg = ConfigLoader::new(mine.clone())
            .json_str(r#"{"max_retries": 1, "max_frame_size": 30000}"#)
            .env_vars([("H2O_MAX_FRAME_SIZE", "40000")])
            .load()
            .unwrap();
        assert_eq!(cfg.runtime_threads, 2); // code
        assert_eq!(cfg.max_retries, 1); // file over code
        assert_eq!(cfg.proto.max_frame_size, 40_000); // env over file
                                                      // No file, no variables: the code layer unchanged.
        let none: [(&str, &str); 0] = [];
        assert_eq!(
            ConfigLoader::new(mine.clone())
                .env_vars(none)
                .load()
                .unwrap(),
            mine
        );
        // A missing file named by H2O_CONFIG is an error naming it.
        let e = ConfigLoader::new(Config::default())
            .env_vars([("H2O_CONFIG", "/nonexistent/h2o.json")])
            .load()
            .unwrap_err();
        assert_eq!(e.kind(), ConfigErrorKind::Io);
        assert!(e.to_string().contains("/nonexistent/h2o.json"), "{e}");
        // The result is validated.
        let e = ConfigLoader::new(Config::default())
            .json_str(r#"{"pool_backoff_max_ms": 1}"#)
            .env_vars(none)
            .load()
            .unwrap_err();
        assert_eq!(e.key(), Some("pool_backoff_max_ms"));
    }

    #[test]
    fn to_json_round_trips_a_changed_config() {
        let mut c = Config::default();
        for s in SETTINGS {
            if !matches!(s.ty, SettingType::OptPath | SettingType::Paths) {
                c.set(s.key, sample(s)).unwrap();
            }
        }
        c.pool.backoff_max = Duration::from_secs(5);
        let back = Config::from_json_str(&c.to_json().to_string()).unwrap();
        assert_eq!(back, c);
        assert_eq!(
            Config::default().to_json()["pool_idle_timeout_ms"],
            json!(90_000)
        );
        assert_eq!(
            Config::default().to_json()["headers_timeout_ms"],
            Value::Null
        );
    }
}
