//! Core log events into Python: the core's sink queues records (no GIL on the threads
//! that log: a runtime thread may log while holding a lock a GIL-holding Python thread
//! waits for), and one delivery thread takes the GIL and hands them to the Python
//! callback (`h2o_client._emit_log`, which routes them into `logging`).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use h2o_core::log::{level_filter_from_number, level_number, set_sink, Record, Sink};
use parking_lot::Mutex;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

enum Msg {
    Record(u8, String, String),
    /// Acknowledged once every message queued before it was handled.
    Flush(SyncSender<()>),
}

/// Records waiting for the delivery thread; beyond this they are dropped and counted.
const QUEUE: usize = 16_384;

struct Delivery {
    tx: SyncSender<Msg>,
}

static DELIVERY: OnceLock<Delivery> = OnceLock::new();
static CALLBACK: Mutex<Option<Py<PyAny>>> = Mutex::new(None);
/// Set at interpreter exit: the delivery thread never takes the GIL again.
static STOPPED: AtomicBool = AtomicBool::new(false);
static DROPPED: AtomicU64 = AtomicU64::new(0);

fn delivery() -> &'static Delivery {
    DELIVERY.get_or_init(|| {
        let (tx, rx) = mpsc::sync_channel(QUEUE);
        std::thread::Builder::new()
            .name("h2o-log".into())
            .spawn(move || deliver(rx))
            .expect("spawn the h2o-log thread");
        Delivery { tx }
    })
}

fn deliver(rx: Receiver<Msg>) {
    let mut batch = Vec::with_capacity(256);
    while let Ok(first) = rx.recv() {
        batch.push(first);
        while batch.len() < 256 {
            match rx.try_recv() {
                Ok(m) => batch.push(m),
                Err(_) => break,
            }
        }
        let has_records = batch.iter().any(|m| matches!(m, Msg::Record(..)));
        if has_records && !STOPPED.load(Ordering::SeqCst) {
            Python::attach(|py| {
                let Some(cb) = CALLBACK.lock().as_ref().map(|c| c.clone_ref(py)) else {
                    return;
                };
                for m in &batch {
                    if let Msg::Record(level, target, message) = m {
                        if let Err(e) = cb.call1(py, (*level, target.as_str(), message.as_str())) {
                            e.write_unraisable(py, None);
                        }
                    }
                }
            });
        }
        for m in batch.drain(..) {
            if let Msg::Flush(ack) = m {
                let _ = ack.send(());
            }
        }
    }
}

/// Installs `callback(level, target, message)` for core events up to `max_level`
/// (1 = ERROR .. 5 = TRACE, 0 = off), or removes it (`None`).
#[pyfunction]
#[pyo3(signature = (callback, max_level))]
pub fn _set_log_callback(
    py: Python<'_>,
    callback: Option<Py<PyAny>>,
    max_level: u32,
) -> PyResult<()> {
    let on = callback.is_some() && max_level > 0;
    *CALLBACK.lock() = callback;
    let sink: Option<Sink> = on.then(|| {
        let tx = delivery().tx.clone();
        Arc::new(move |r: &Record<'_>| {
            let m = Msg::Record(
                level_number(r.level),
                r.target.to_owned(),
                r.message.to_owned(),
            );
            if let Err(TrySendError::Full(_)) = tx.try_send(m) {
                DROPPED.fetch_add(1, Ordering::Relaxed);
            }
        }) as Sink
    });
    // Waits for a sink call in progress on a runtime thread; those never need the GIL.
    py.detach(|| set_sink(sink, level_filter_from_number(max_level)))
        .map_err(|e| PyRuntimeError::new_err(e.to_string()))
}

/// Waits (GIL released, at most `timeout` seconds) until every record logged before the
/// call reached the callback. Returns whether it did.
#[pyfunction]
#[pyo3(signature = (timeout = 5.0))]
pub fn _flush_logs(py: Python<'_>, timeout: f64) -> bool {
    let Some(d) = DELIVERY.get() else {
        return true;
    };
    let (ack_tx, ack_rx) = mpsc::sync_channel(1);
    if d.tx.send(Msg::Flush(ack_tx)).is_err() {
        return false;
    }
    let wait = Duration::from_secs_f64(timeout.clamp(0.0, 3600.0));
    py.detach(move || ack_rx.recv_timeout(wait).is_ok())
}

/// At interpreter exit: no more records, and the delivery thread is out of Python for good.
#[pyfunction]
pub fn _stop_logging(py: Python<'_>) {
    let _ = py.detach(|| set_sink(None, level_filter_from_number(0)));
    // Deliver what was logged until now, then make sure the thread is out of Python.
    _flush_logs(py, 2.0);
    STOPPED.store(true, Ordering::SeqCst);
    _flush_logs(py, 2.0);
    *CALLBACK.lock() = None;
}

/// Records dropped because the delivery queue was full.
#[pyfunction]
pub fn _logs_dropped() -> u64 {
    DROPPED.load(Ordering::Relaxed)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_set_log_callback, m)?)?;
    m.add_function(wrap_pyfunction!(_flush_logs, m)?)?;
    m.add_function(wrap_pyfunction!(_stop_logging, m)?)?;
    m.add_function(wrap_pyfunction!(_logs_dropped, m)?)?;
    Ok(())
}
