//! `setLogCallback`: core log events to a JS function through a threadsafe function
//! (queued, non-blocking on the threads that log; unref'd, so it never keeps the process
//! alive). The JS wrapper (lib/log.js, `setLogger`) guards against delivery after removal.

use std::sync::Arc;

use h2o_core::log::{level_filter_from_number, level_number, set_sink, Record, Sink};
use napi::threadsafe_function::{
    ErrorStrategy, ThreadSafeCallContext, ThreadsafeFunction, ThreadsafeFunctionCallMode,
};
use napi::{Env, JsFunction};
use napi_derive::napi;

/// Records queued for the JS thread at most; beyond that new ones are dropped.
const QUEUE: usize = 16_384;

/// Installs `callback({ level, target, message })` for core events up to `maxLevel`
/// (1 = error .. 5 = trace, 0 = off; `level` is the same number), or removes it (null).
#[napi]
pub fn set_log_callback(
    env: Env,
    callback: Option<JsFunction>,
    max_level: u32,
) -> napi::Result<()> {
    let sink: Option<Sink> = match callback {
        Some(cb) if max_level > 0 => {
            let mut tsfn: ThreadsafeFunction<(u8, String, String), ErrorStrategy::Fatal> = cb
                .create_threadsafe_function(
                    QUEUE,
                    |ctx: ThreadSafeCallContext<(u8, String, String)>| {
                        let (level, target, message) = ctx.value;
                        let mut o = ctx.env.create_object()?;
                        o.set_named_property("level", ctx.env.create_uint32(level as u32)?)?;
                        o.set_named_property("target", ctx.env.create_string(&target)?)?;
                        o.set_named_property("message", ctx.env.create_string(&message)?)?;
                        Ok(vec![o])
                    },
                )?;
            tsfn.unref(&env)?;
            Some(Arc::new(move |r: &Record<'_>| {
                let _ = tsfn.call(
                    (
                        level_number(r.level),
                        r.target.to_owned(),
                        r.message.to_owned(),
                    ),
                    ThreadsafeFunctionCallMode::NonBlocking,
                );
            }) as Sink)
        }
        _ => None,
    };
    set_sink(sink, level_filter_from_number(max_level))
        .map_err(|e| napi::Error::from_reason(e.to_string()))
}
