//! Allocations per request in steady state, counted with a counting global allocator.
//!
//! `cargo bench -p h2o-core --bench alloc [-- --server PATH | --url URL] [-n N] [-m M]`
//!
//! The server runs in a child process (the `h2o-testserver` binary, default
//! `target/release/h2o-testserver`; build it with `cargo build --release -p
//! h2o-testserver`), so only the client's allocations are counted. One connection, M
//! (default 100) concurrent `GET /hello` (13-byte body) through the event-sink API: each
//! `Done` submits the next request from inside the sink, as `h2o bench` does. A warm-up run
//! of the same shape comes first; then runs of N and of 2N requests, and the count per
//! request is the difference between them divided by N (what one run costs once, its shared
//! state and setup, cancels out). Prints one JSON line per way of
//! building the request: `Request::get(url)` (parses the URL every time, as the CLI does)
//! and `Request::from_parts` (a pre-parsed URL and head cloned).

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use h2o_core::client::{Consumed, ResponseEvent};
use h2o_core::{Client, Method, Request, RequestHead, Url};
use parking_lot::{Condvar, Mutex};

struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);
static REALLOCS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator; the counters are
// plain atomics that never allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(layout.size() as u64, Ordering::Relaxed);
        System.alloc(layout)
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(layout.size() as u64, Ordering::Relaxed);
        System.alloc_zeroed(layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        REALLOCS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(new_size as u64, Ordering::Relaxed);
        System.realloc(ptr, layout, new_size)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn counters() -> (u64, u64, u64) {
    (
        ALLOCS.load(Ordering::SeqCst),
        REALLOCS.load(Ordering::SeqCst),
        BYTES.load(Ordering::SeqCst),
    )
}

#[derive(Clone, Copy, PartialEq)]
enum Build {
    Parse,
    Parts,
}

struct Shared {
    remaining: AtomicI64,
    finished: AtomicU64,
    errors: AtomicU64,
    total: u64,
    done: (Mutex<bool>, Condvar),
}

#[derive(Clone)]
struct Launcher {
    client: Client,
    url: Arc<str>,
    parsed: Arc<(Url, RequestHead)>,
    build: Build,
    shared: Arc<Shared>,
}

impl Launcher {
    fn launch(&self) {
        if self.shared.remaining.fetch_sub(1, Ordering::AcqRel) <= 0 {
            return;
        }
        let req = match self.build {
            Build::Parse => Request::get(&self.url).expect("url"),
            Build::Parts => Request::from_parts(self.parsed.0.clone(), self.parsed.1.clone()),
        };
        let me = self.clone();
        let mut bytes = 0usize;
        self.client.submit(req, move |ev: ResponseEvent| {
            match ev {
                ResponseEvent::Data(d) => bytes += d.len(),
                ResponseEvent::Done => {
                    if bytes != 13 {
                        me.shared.errors.fetch_add(1, Ordering::Relaxed);
                    }
                    me.finish_one();
                }
                ResponseEvent::Error(_) => {
                    me.shared.errors.fetch_add(1, Ordering::Relaxed);
                    me.finish_one();
                }
                _ => {}
            }
            Consumed::Now
        });
    }

    fn finish_one(&self) {
        let n = self.shared.finished.fetch_add(1, Ordering::AcqRel) + 1;
        if n >= self.shared.total {
            let (lock, cv) = &self.shared.done;
            *lock.lock() = true;
            cv.notify_all();
        } else {
            self.launch();
        }
    }
}

/// Runs `n` requests, `m` at a time; returns the errors.
fn run(client: &Client, url: &Arc<str>, build: Build, n: u64, m: u64) -> u64 {
    let parsed = Url::parse(url).expect("url");
    let head = RequestHead::new(Method::GET, &parsed);
    let shared = Arc::new(Shared {
        remaining: AtomicI64::new(n as i64),
        finished: AtomicU64::new(0),
        errors: AtomicU64::new(0),
        total: n,
        done: (Mutex::new(false), Condvar::new()),
    });
    let l = Launcher {
        client: client.clone(),
        url: url.clone(),
        parsed: Arc::new((parsed, head)),
        build,
        shared: shared.clone(),
    };
    for _ in 0..m {
        l.launch();
    }
    drop(l);
    let (lock, cv) = &shared.done;
    let mut done = lock.lock();
    let deadline = Instant::now() + Duration::from_secs(120);
    while !*done && Instant::now() < deadline {
        cv.wait_for(&mut done, Duration::from_millis(200));
    }
    assert!(*done, "requests did not finish in time");
    drop(done);
    // Let the runtime thread drop the last sink before the counters are read.
    std::thread::sleep(Duration::from_millis(50));
    shared.errors.load(Ordering::Relaxed)
}

fn spawn_server(path: &str) -> (Child, String) {
    let mut child = Command::new(path)
        .args(["--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot start {path}: {e} (cargo build --release -p h2o-testserver)")
        });
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("address line");
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    (child, format!("http://{addr}/hello"))
}

fn main() {
    let mut server = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../target/release/h2o-testserver"
    )
    .to_owned();
    let mut url = None;
    let (mut n, mut m) = (100_000u64, 100u64);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--server" => server = args.next().expect("--server PATH"),
            "--url" => url = Some(args.next().expect("--url URL")),
            "-n" => n = args.next().and_then(|v| v.parse().ok()).expect("-n N"),
            "-m" => m = args.next().and_then(|v| v.parse().ok()).expect("-m M"),
            _ => {} // `cargo bench` passes --bench
        }
    }
    let mut child = None;
    let url: Arc<str> = match url {
        Some(u) => u.into(),
        None => {
            let (c, u) = spawn_server(&server);
            child = Some(c);
            u.into()
        }
    };
    let client = Client::new().expect("client");
    for (build, name) in [
        (Build::Parse, "Request::get(url)"),
        (
            Build::Parts,
            "Request::from_parts(url.clone(), head.clone())",
        ),
    ] {
        // Steady state: the marginal count between a run of n and a run of 2n requests,
        // so what a run costs once (its shared state, the first `m` launches' setup) cancels
        // out instead of adding ~0.001 per request.
        let refills = || client.metrics().read_buffer.misses;
        let warm = run(&client, &url, build, n / 5, m);
        let ((a0, r0, b0), f0) = (counters(), refills());
        let mut errors = run(&client, &url, build, n, m) + warm;
        let ((a1, r1, b1), f1) = (counters(), refills());
        errors += run(&client, &url, build, 2 * n, m);
        let ((a2, r2, b2), f2) = (counters(), refills());
        let marginal = |x0: u64, x1: u64, x2: u64| ((x2 - x1) as f64 - (x1 - x0) as f64) / n as f64;
        // Read-buffer refills are per 64 KiB received, not per request (~0.001 per request
        // at these sizes): reported apart, and not in `allocs_per_req`.
        let refill = marginal(f0, f1, f2);
        println!(
            "{{\"mode\":\"{name}\",\"requests\":{n},\"concurrency\":{m},\"allocs_per_req\":{:.3},\"read_buffer_refills_per_req\":{refill:.4},\"reallocs_per_req\":{:.3},\"bytes_per_req\":{:.1},\"allocs_per_req_incl_refills_and_run_setup\":{:.3},\"errors\":{errors}}}",
            marginal(a0, a1, a2) - refill,
            marginal(r0, r1, r2),
            marginal(b0, b1, b2),
            (a1 - a0) as f64 / n as f64,
        );
    }
    client.close();
    if let Some(mut c) = child {
        let _ = c.kill();
        let _ = c.wait();
    }
}
