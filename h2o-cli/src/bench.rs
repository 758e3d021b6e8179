//! `h2o bench`: N requests over C connections with M streams each, driven entirely on the
//! library's runtime thread: each completed response submits the next request from its
//! event sink, so no cross-thread wake-up sits in the measured path.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use h2o_core::client::{Consumed, Request, ResponseEvent};
use h2o_core::{Client, Config};

struct Shared {
    remaining: AtomicI64,
    finished: AtomicU64,
    errors: AtomicU64,
    bytes: AtomicU64,
    latencies_us: Mutex<Vec<u32>>,
    first_error: Mutex<Option<String>>,
    done: (Mutex<bool>, Condvar),
    total: u64,
}

/// Everything needed to send one more request from inside a sink.
#[derive(Clone)]
struct Launcher {
    client: Client,
    /// The request, parsed once; each launch clones it (shared buffers, no parsing).
    template: Arc<(h2o_core::Url, h2o_core::RequestHead, Option<bytes::Bytes>)>,
    shared: Arc<Shared>,
}

impl Launcher {
    /// Starts the next request if any are left.
    fn launch(&self, lane: u32) {
        if self.shared.remaining.fetch_sub(1, Ordering::AcqRel) <= 0 {
            return;
        }
        let (url, head, body) = &*self.template;
        let mut req = Request::from_parts(url.clone(), head.clone()).lane(lane);
        if let Some(b) = body {
            req = req.body(b.clone());
        }
        let me = self.clone();
        let start = Instant::now();
        let mut bytes = 0u64;
        self.client.submit(req, move |ev: ResponseEvent| {
            match ev {
                ResponseEvent::Data(d) => bytes += d.len() as u64,
                ResponseEvent::Done => {
                    let us = start.elapsed().as_micros().min(u32::MAX as u128) as u32;
                    me.shared.latencies_us.lock().push(us);
                    me.shared.bytes.fetch_add(bytes, Ordering::Relaxed);
                    me.finish_one(lane);
                }
                ResponseEvent::Error(e) => {
                    me.record_error(e.to_string());
                    me.finish_one(lane);
                }
                _ => {}
            }
            Consumed::Now
        });
    }

    fn record_error(&self, e: String) {
        self.shared.errors.fetch_add(1, Ordering::Relaxed);
        self.shared.first_error.lock().get_or_insert(e);
    }

    fn finish_one(&self, lane: u32) {
        let n = self.shared.finished.fetch_add(1, Ordering::AcqRel) + 1;
        if n >= self.shared.total {
            let (lock, cv) = &self.shared.done;
            *lock.lock() = true;
            cv.notify_all();
        } else {
            self.launch(lane);
        }
    }
}

pub fn run(args: &[String]) -> Result<(), String> {
    let (mut n, mut m, mut c, mut t) = (10_000u64, 100u64, 1u64, None::<usize>);
    let opts = super::args::parse(args, |flag, value| {
        let num = |v: String| {
            v.parse::<u64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("{flag} needs a positive number"))
        };
        match flag {
            "-n" | "--requests" => n = num(value()?)?,
            "-m" | "--max-concurrent-streams" => m = num(value()?)?,
            "-c" | "--clients" => c = num(value()?)?,
            "-t" | "--threads" => t = Some(num(value()?)? as usize),
            _ => return Ok(false),
        }
        Ok(true)
    })?;
    if opts.urls.len() != 1 {
        return Err("bench takes exactly one URL".into());
    }
    super::log::init(false, opts.log.as_deref())?;
    // Settings: defaults < H2O_CONFIG file < H2O_<SETTING> variables < command-line flags.
    let mut cfg = Config::load().map_err(|e| e.to_string())?;
    if let Some(t) = t {
        cfg.runtime_threads = t;
    }
    opts.apply_tls(&mut cfg)?;
    let client = Client::with_config(cfg).map_err(|e| e.to_string())?;
    let shared = Arc::new(Shared {
        remaining: AtomicI64::new(n as i64),
        finished: AtomicU64::new(0),
        errors: AtomicU64::new(0),
        bytes: AtomicU64::new(0),
        latencies_us: Mutex::new(Vec::with_capacity(n as usize)),
        first_error: Mutex::new(None),
        done: (Mutex::new(false), Condvar::new()),
        total: n,
    });
    let template = opts.request(&opts.urls[0])?;
    let launcher = Launcher {
        client: client.clone(),
        template: Arc::new((
            template.url().clone(),
            template.head().clone(),
            opts.data.clone(),
        )),
        shared: shared.clone(),
    };
    let cpu0 = cpu_time();
    let start = Instant::now();
    for lane in 0..c as u32 {
        for _ in 0..m {
            launcher.launch(lane);
        }
    }
    drop(launcher);
    let mut last = 0;
    {
        let (lock, cv) = &shared.done;
        let mut done = lock.lock();
        while !*done {
            if cv.wait_for(&mut done, Duration::from_secs(1)).timed_out() {
                let f = shared.finished.load(Ordering::Relaxed);
                eprintln!("progress: {f}/{n} ({} req/s)", f.saturating_sub(last));
                last = f;
            }
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let cpu = cpu_time() - cpu0;
    let metrics = opts.stats.then(|| client.metrics());
    client.close();
    report(&shared, n, secs, cpu);
    if let Some(m) = metrics {
        eprintln!("{}", m.to_json());
    }
    Ok(())
}

fn report(shared: &Shared, n: u64, secs: f64, cpu: Duration) {
    let mut lat = std::mem::take(&mut *shared.latencies_us.lock());
    lat.sort_unstable();
    let pct = |p: f64| -> u32 {
        if lat.is_empty() {
            return 0;
        }
        lat[((lat.len() - 1) as f64 * p).round() as usize]
    };
    let errors = shared.errors.load(Ordering::Relaxed);
    let bytes = shared.bytes.load(Ordering::Relaxed);
    let rps = n as f64 / secs;
    let cpu_us = cpu.as_secs_f64() * 1e6 / n as f64;
    println!(
        "finished in {secs:.3}s, {rps:.0} req/s, {:.2} MB/s",
        bytes as f64 / secs / 1e6
    );
    println!(
        "requests: {n} total, {} succeeded, {errors} errored",
        n - errors
    );
    println!(
        "latency: p50 {}us, p90 {}us, p99 {}us, max {}us",
        pct(0.5),
        pct(0.9),
        pct(0.99),
        lat.last().copied().unwrap_or(0)
    );
    println!("client cpu: {cpu_us:.2} us/request (user+sys)");
    if let Some(e) = shared.first_error.lock().as_ref() {
        println!("first error: {e}");
    }
    println!(
        "{{\"requests\":{n},\"seconds\":{secs:.6},\"req_per_s\":{rps:.1},\"bytes\":{bytes},\"p50_us\":{},\"p90_us\":{},\"p99_us\":{},\"max_us\":{},\"errors\":{errors},\"cpu_us_per_req\":{cpu_us:.3}}}",
        pct(0.5),
        pct(0.9),
        pct(0.99),
        lat.last().copied().unwrap_or(0)
    );
}

/// User + system CPU time of this process so far.
fn cpu_time() -> Duration {
    // SAFETY: getrusage writes into the zeroed struct we pass; RUSAGE_SELF is always valid.
    let ru = unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut ru);
        ru
    };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(ru.ru_utime) + tv(ru.ru_stime)
}
