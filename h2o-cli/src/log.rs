//! `-v` and `--log FILTER`: frames as they flow, like `nghttp -v`, and the library's log
//! events, on stderr with the time since start:
//!
//! ```text
//! [  0.001] send HEADERS frame <length=32, flags=0x05, stream_id=1>
//!           ; END_STREAM | END_HEADERS
//!           :method: GET
//! [  0.002] recv DATA frame <length=13, flags=0x01, stream_id=1>
//! [  0.002] DEBUG h2o::proto: stream closed conn=0 stream=1 request=1
//! ```
//!
//! The filter is `--log FILTER`, else `H2O_LOG` (`tracing-subscriber` `EnvFilter` syntax,
//! e.g. `debug,h2o::proto=trace`); `-v` adds `h2o::proto::frame=trace`. Without either,
//! no subscriber is installed (logging costs nothing).

use std::io::Write;
use std::time::Instant;

use h2o_core::log::{format_event, format_message, parse_filter, ENV_VAR};
use h2o_core::trace::FRAME;
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;

/// Installs the stderr printer if `-v`, `--log` or `H2O_LOG` asks for output.
pub fn init(verbose: bool, filter: Option<&str>) -> Result<(), String> {
    let env = std::env::var(ENV_VAR).ok().filter(|s| !s.trim().is_empty());
    let mut spec = match (filter, env) {
        (Some(f), _) => f.to_owned(),
        (None, Some(e)) => e,
        (None, None) if verbose => "warn".to_owned(),
        (None, None) => return Ok(()),
    };
    if verbose {
        spec.push_str(",h2o::proto::frame=trace");
    }
    let filter = parse_filter(&spec)?;
    let printer = Printer {
        start: Instant::now(),
    };
    tracing_subscriber::registry()
        .with(filter)
        .with(printer)
        .try_init()
        .map_err(|e| format!("cannot install the log printer: {e}"))
}

struct Printer {
    start: Instant,
}

impl<S: Subscriber> Layer<S> for Printer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let t = self.start.elapsed().as_secs_f64();
        let meta = event.metadata();
        let mut msg = String::new();
        let line = if meta.target() == FRAME {
            // The frame line already names type, flags, stream and length.
            format_message(event, &mut msg);
            format!("[{t:7.3}] {msg}\n")
        } else {
            let mut scratch = String::new();
            format_event(event, &mut msg, &mut scratch);
            format!("[{t:7.3}] {} {}: {msg}\n", meta.level(), meta.target())
        };
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    }
}
