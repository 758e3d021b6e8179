//! Log output: an opt-in stderr subscriber filtered by `H2O_LOG`, and a process-wide
//! *sink* that forwards formatted events to a callback (what the C, Python and Node front
//! ends install).
//!
//! The core logs through [`tracing`] with the targets listed in [`crate::trace`]
//! (`h2o::proto`, `h2o::proto::frame`, `h2o::transport`, `h2o::pool`, `h2o::client`).
//! `H2O_LOG` uses the `tracing-subscriber` `EnvFilter` syntax, e.g.
//! `H2O_LOG=debug,h2o::proto::frame=trace` (a directive for `h2o::proto` covers
//! `h2o::proto::frame` too).
//!
//! With no subscriber installed, or one whose level excludes an event, logging costs an
//! atomic load per call site: nothing is formatted or allocated.
//!
//! ```
//! use std::sync::{Arc, Mutex};
//! use h2o_core::log::{set_sink, LevelFilter};
//!
//! let seen = Arc::new(Mutex::new(Vec::new()));
//! let seen2 = seen.clone();
//! set_sink(
//!     Some(Arc::new(move |r: &h2o_core::log::Record<'_>| {
//!         seen2.lock().unwrap().push(format!("{} {}", r.target, r.message));
//!     })),
//!     LevelFilter::DEBUG,
//! )
//! .unwrap();
//! tracing::debug!(target: "h2o::client", id = 7, "hello");
//! set_sink(None, LevelFilter::OFF).unwrap();
//! assert_eq!(seen.lock().unwrap()[0], "h2o::client hello id=7");
//! ```

use std::cell::{Cell, RefCell};
use std::fmt::{self, Write as _};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, OnceLock};

use parking_lot::RwLock;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;
use tracing_subscriber::EnvFilter;

pub use tracing_subscriber::filter::LevelFilter;

/// The environment variable holding the filter (`EnvFilter` syntax).
pub const ENV_VAR: &str = "H2O_LOG";

/// Installs a stderr subscriber filtered by `H2O_LOG` (default `warn`) unless the process
/// already has a global subscriber. Returns whether it installed one. An invalid directive
/// in `H2O_LOG` is skipped (and reported on stderr by `tracing-subscriber`).
///
/// ```no_run
/// // H2O_LOG=debug,h2o::proto::frame=trace ./my-game-server
/// h2o_core::log::init_from_env();
/// ```
pub fn init_from_env() -> bool {
    let spec = std::env::var(ENV_VAR).unwrap_or_else(|_| "warn".to_owned());
    if tracing::dispatcher::has_been_set() {
        return false;
    }
    let filter = EnvFilter::builder().parse_lossy(spec);
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init()
        .is_ok()
}

/// Parses an `EnvFilter` directive string (`debug,h2o::proto=trace`), naming the
/// offending directive on error.
pub fn parse_filter(spec: &str) -> Result<EnvFilter, String> {
    EnvFilter::builder()
        .parse(spec)
        .map_err(|e| format!("invalid log filter {spec:?}: {e}"))
}

/// One formatted event handed to a sink.
#[derive(Debug)]
pub struct Record<'a> {
    /// The event's level.
    pub level: Level,
    /// Its target, e.g. `h2o::proto::frame`.
    pub target: &'a str,
    /// The message followed by the event's fields as `key=value`, on its first line.
    pub message: &'a str,
}

/// What receives records: called on whichever thread logs.
pub type Sink = Arc<dyn Fn(&Record<'_>) + Send + Sync>;

/// 1 = ERROR, 2 = WARN, 3 = INFO, 4 = DEBUG, 5 = TRACE (the numbers of the C API).
pub fn level_number(level: Level) -> u8 {
    match level {
        Level::ERROR => 1,
        Level::WARN => 2,
        Level::INFO => 3,
        Level::DEBUG => 4,
        Level::TRACE => 5,
    }
}

/// The inverse of [`level_number`] for filters: 0 = off, 1..=5 as above, larger = TRACE.
pub fn level_filter_from_number(n: u32) -> LevelFilter {
    match n {
        0 => LevelFilter::OFF,
        1 => LevelFilter::ERROR,
        2 => LevelFilter::WARN,
        3 => LevelFilter::INFO,
        4 => LevelFilter::DEBUG,
        _ => LevelFilter::TRACE,
    }
}

fn filter_number(f: LevelFilter) -> u8 {
    f.into_level().map_or(0, level_number)
}

static SINK: RwLock<Option<Sink>> = RwLock::new(None);
static SINK_MAX: AtomicU8 = AtomicU8::new(0);
static INSTALLED: OnceLock<bool> = OnceLock::new();

thread_local! {
    /// Set while this thread runs a sink: events logged from inside it are dropped (no
    /// recursion, no self-deadlock on the sink lock).
    static IN_SINK: Cell<bool> = const { Cell::new(false) };
    static BUF: RefCell<(String, String)> = const { RefCell::new((String::new(), String::new())) };
}

/// Why [`set_sink`] refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SinkError {
    /// Called from inside a sink callback (it would wait for itself).
    FromCallback,
}

impl fmt::Display for SinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the log sink cannot be changed from inside a log callback")
    }
}

impl std::error::Error for SinkError {}

/// Installs (`Some`) or removes (`None`) the process-wide sink, receiving events up to
/// `max_level`. The first call makes [`SinkLayer`] the global subscriber if the process
/// has none yet (otherwise add [`sink_layer`] to your own subscriber).
///
/// When this returns, no call of the previous sink is running or will start: a call in
/// progress on another thread is waited for. Calling it from inside a sink is refused.
pub fn set_sink(sink: Option<Sink>, max_level: LevelFilter) -> Result<(), SinkError> {
    if IN_SINK.with(Cell::get) {
        return Err(SinkError::FromCallback);
    }
    INSTALLED.get_or_init(|| {
        tracing::subscriber::set_global_default(tracing_subscriber::registry().with(SinkLayer))
            .is_ok()
    });
    let level = if sink.is_some() {
        filter_number(max_level)
    } else {
        0
    };
    {
        let mut slot = SINK.write();
        *slot = sink;
        SINK_MAX.store(level, Ordering::Release);
    }
    tracing::callsite::rebuild_interest_cache();
    Ok(())
}

/// The sink's current level (OFF when none is installed).
pub fn sink_level() -> LevelFilter {
    level_filter_from_number(SINK_MAX.load(Ordering::Acquire) as u32)
}

/// The layer that feeds the sink, to compose into a subscriber of your own.
pub fn sink_layer() -> SinkLayer {
    SinkLayer
}

/// A [`Layer`] forwarding events to the sink set by [`set_sink`].
#[derive(Debug, Clone, Copy, Default)]
pub struct SinkLayer;

impl SinkLayer {
    fn wants(meta: &Metadata<'_>) -> bool {
        level_number(*meta.level()) <= SINK_MAX.load(Ordering::Acquire)
    }
}

impl<S: Subscriber> Layer<S> for SinkLayer {
    fn register_callsite(
        &self,
        _meta: &'static Metadata<'static>,
    ) -> tracing::subscriber::Interest {
        // The level changes at run time: decide per event.
        tracing::subscriber::Interest::sometimes()
    }

    fn enabled(&self, meta: &Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        Self::wants(meta)
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(sink_level())
    }

    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        if !Self::wants(event.metadata()) || IN_SINK.with(Cell::get) {
            return;
        }
        IN_SINK.with(|f| f.set(true));
        // Formatting runs our and tracing's Debug impls: a panic there must not unwind
        // into the code that logged (or across an FFI boundary above it).
        let _ = catch_unwind(AssertUnwindSafe(|| {
            BUF.with(|b| {
                let Ok(mut b) = b.try_borrow_mut() else {
                    return;
                };
                let (msg, fields) = &mut *b;
                format_event(event, msg, fields);
                let guard = SINK.read();
                if let Some(sink) = guard.as_ref() {
                    sink(&Record {
                        level: *event.metadata().level(),
                        target: event.metadata().target(),
                        message: msg,
                    });
                }
            })
        }));
        IN_SINK.with(|f| f.set(false));
    }
}

/// Formats `event` into `out`: the message, then its other fields as ` key=value` at the
/// end of the message's first line. `scratch` is a reusable buffer.
pub fn format_event(event: &Event<'_>, out: &mut String, scratch: &mut String) {
    out.clear();
    scratch.clear();
    let mut v = Visitor {
        message: out,
        fields: scratch,
    };
    event.record(&mut v);
    if !scratch.is_empty() {
        match out.find('\n') {
            Some(at) => out.insert_str(at, scratch),
            None => out.push_str(scratch),
        }
    }
}

/// Only the message of `event` (the fields left out), into `out`.
pub fn format_message(event: &Event<'_>, out: &mut String) {
    let mut scratch = String::new();
    out.clear();
    let mut v = Visitor {
        message: out,
        fields: &mut scratch,
    };
    event.record(&mut v);
}

struct Visitor<'a> {
    message: &'a mut String,
    fields: &'a mut String,
}

impl Visit for Visitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.fields, " {}={}", field.name(), value);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.fields, " {}={:?}", field.name(), value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use parking_lot::Mutex;

    /// The sink is process-global: one test exercises it end to end.
    #[test]
    fn sink_receives_filters_and_stops() {
        let seen: Arc<Mutex<Vec<(u8, String, String)>>> = Arc::default();
        let s2 = seen.clone();
        set_sink(
            Some(Arc::new(move |r: &Record<'_>| {
                // Other tests in this binary log concurrently: keep only ours.
                if r.message.contains("sinktest") {
                    s2.lock().push((
                        level_number(r.level),
                        r.target.to_owned(),
                        r.message.to_owned(),
                    ));
                }
                // Logging from inside the sink is dropped, not recursed into.
                tracing::error!(target: "h2o::client", "nested");
                // Changing the sink from inside it is refused.
                assert_eq!(
                    set_sink(None, LevelFilter::OFF),
                    Err(SinkError::FromCallback)
                );
            })),
            LevelFilter::DEBUG,
        )
        .unwrap();
        tracing::debug!(target: "h2o::pool", conn = 3u64, "sinktest picked\nsecond line");
        tracing::trace!(target: "h2o::proto::frame", "sinktest too verbose");
        set_sink(None, LevelFilter::TRACE).unwrap();
        tracing::error!(target: "h2o::pool", "sinktest after removal");
        let seen = seen.lock();
        assert_eq!(
            *seen,
            vec![(
                4,
                "h2o::pool".to_owned(),
                "sinktest picked conn=3\nsecond line".to_owned()
            )]
        );
        assert_eq!(sink_level(), LevelFilter::OFF);
    }

    #[test]
    fn filters_parse_and_errors_name_the_directive() {
        assert!(parse_filter("debug,h2o::proto=trace").is_ok());
        let e = parse_filter("h2o::proto=loud").unwrap_err();
        assert!(e.contains("h2o::proto=loud"), "{e}");
    }
}
