//! Soak: many requests on one client with RSS flat after warm-up, and a loop of cancelled
//! requests with RSS and open-stream counts flat. Bounded for `make test`
//! (H2O_SOAK_REQUESTS / H2O_SOAK_CANCELS raise the counts, e.g. to 1 000 000 and 100 000).

use std::sync::Mutex;

use h2o_core::client::{Consumed, Request, ResponseEvent};
use h2o_core::{Client, Config};
use h2o_e2e::{assert_no_leaks, closed_loop};
use h2o_testsupport::{Mode, RealServer, ServerKind};

/// RSS is per process: the two tests must not run at the same time.
static SERIAL: Mutex<()> = Mutex::new(());

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

fn env_count(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Runs `n` GETs with `window` in flight through the event-sink API; returns failures.
fn run(client: &Client, url: &str, n: u64, window: u64) -> u64 {
    closed_loop(client, url, n, window, 13).errors
}

#[test]
fn many_requests_with_flat_rss() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let server = RealServer::start(ServerKind::Nghttpd, Mode::H2c);
    let client = Client::new().unwrap();
    let n = env_count("H2O_SOAK_REQUESTS", 200_000);
    let url = server.url("/13b");
    assert_eq!(run(&client, &url, n / 10, 100), 0, "warm-up");
    let warm = rss_kib();
    assert_eq!(run(&client, &url, n - n / 10, 100), 0);
    let end = rss_kib();
    eprintln!("soak: {n} requests, RSS after warm-up {warm} KiB, at the end {end} KiB");
    assert!(
        end <= warm + 4096,
        "RSS grew {} KiB",
        end.saturating_sub(warm)
    );
    let s = client.stats();
    assert_eq!(s.requests_completed, n);
    assert_eq!(s.connections_created, 1);
    assert_no_leaks(&client);
}

#[test]
fn cancelled_requests_leave_nothing_behind() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let server = RealServer::start(ServerKind::Nghttpd, Mode::H2c);
    let mut cfg = Config::default();
    cfg.proto.flood.local_resets_per_sec = 1_000_000;
    let client = Client::with_config(cfg).unwrap();
    let n = env_count("H2O_SOAK_CANCELS", 30_000);
    let url = server.url("/1m");
    // Batches of 1000 that settle before the next, so the command queue's backlog (how far
    // the caller runs ahead of the runtime thread) is bounded and RSS measures leaks, not a
    // burst the allocator keeps.
    let round = |count: u64| {
        for batch in 0..count.div_ceil(1000) {
            for _ in 0..1000.min(count - batch * 1000) {
                let h = client.submit(Request::get(&url).unwrap(), |_ev: ResponseEvent| {
                    Consumed::Now
                });
                h.cancel();
            }
            assert_no_leaks(&client);
        }
    };
    round(n / 10);
    let warm = rss_kib();
    round(n - n / 10);
    let end = rss_kib();
    eprintln!("cancel loop: {n} requests, RSS after warm-up {warm} KiB, at the end {end} KiB");
    assert!(
        end <= warm + 4096,
        "RSS grew {} KiB",
        end.saturating_sub(warm)
    );
    let s = client.stats();
    assert_eq!(s.requests_submitted, n);
    assert_eq!(s.requests_completed + s.requests_failed, n);
    assert_eq!(s.open_streams(), 0);
}
