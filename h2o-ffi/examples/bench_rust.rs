//! The Rust-API twin of `tests/c/bench.c` part 3: 1 connection x 100 streams, each
//! completion submits the next request, through `Client::submit` and an `EventSink`
//! (no C layer). `cargo run --release -p h2o-ffi --example bench_rust -- BASE_URL [TOTAL] [PATH]`

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use h2o_core::client::{Consumed, Request, ResponseEvent};
use h2o_core::{Client, Url};

struct Shared {
    client: Client,
    url: Url,
    started: AtomicU64,
    done: AtomicU64,
    bytes: AtomicU64,
    total: u64,
}

fn start_one(s: &Arc<Shared>) {
    let req = Request::new(h2o_core::Method::GET, &s.url.to_string()).expect("valid url");
    let s2 = s.clone();
    s.client.submit(req, move |ev: ResponseEvent| {
        match ev {
            ResponseEvent::Data(d) => {
                s2.bytes.fetch_add(d.len() as u64, Ordering::Relaxed);
            }
            ResponseEvent::Done | ResponseEvent::Error(_) => {
                if let ResponseEvent::Error(e) = &ev {
                    eprintln!("failed: {e}");
                }
                s2.done.fetch_add(1, Ordering::AcqRel);
                if s2.started.fetch_add(1, Ordering::AcqRel) < s2.total {
                    start_one(&s2);
                }
            }
            _ => {}
        }
        Consumed::Now
    });
}

/// User + system CPU seconds of the whole process (all threads).
fn cpu_s() -> f64 {
    // SAFETY: getrusage fills the zeroed struct we pass.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: valid pointer to a rusage.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    t(ru.ru_utime) + t(ru.ru_stime)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let base = args
        .get(1)
        .expect("usage: bench_rust BASE_URL [TOTAL] [PATH]");
    let total: u64 = args
        .get(2)
        .map(|s| s.parse().expect("number"))
        .unwrap_or(20000);
    let path = args.get(3).map(String::as_str).unwrap_or("/bytes/16384");
    let client = Client::new().expect("client");
    let url = Url::parse(&format!("{base}{path}")).expect("url");
    let warm = Arc::new(Shared {
        client: client.clone(),
        url: url.clone(),
        started: AtomicU64::new(1),
        done: AtomicU64::new(0),
        bytes: AtomicU64::new(0),
        total: 1,
    });
    start_one(&warm);
    while warm.done.load(Ordering::Acquire) < 1 {
        std::thread::sleep(std::time::Duration::from_micros(100));
    }
    let s = Arc::new(Shared {
        client: client.clone(),
        url,
        started: AtomicU64::new(100),
        done: AtomicU64::new(0),
        bytes: AtomicU64::new(0),
        total,
    });
    let t0 = Instant::now();
    let c0 = cpu_s();
    for _ in 0..100 {
        start_one(&s);
    }
    while s.done.load(Ordering::Acquire) < total {
        std::thread::sleep(std::time::Duration::from_micros(200));
    }
    let dt = t0.elapsed().as_secs_f64();
    let cpu = cpu_s() - c0;
    println!(
        "Rust EventSink, 1 conn x 100 streams, {total} x GET {path}: {:.0} req/s, {:.1} MB/s, {:.1} us CPU/req",
        total as f64 / dt,
        s.bytes.load(Ordering::Relaxed) as f64 / dt / 1e6,
        cpu / total as f64 * 1e6
    );
    client.close();
}
