//! `mem-probe h2o|hyper URL_BASE [--low 100] [--high 1000] [--delay-ms 4000] [--settle-ms 600]`
//!
//! Client memory per in-flight stream on ONE connection. Against a server that holds each
//! response for a while (`h2o-testserver --max-concurrent-streams 2000`, `GET /delay/MS`):
//! one warm-up request (`/hello`) opens the connection, then `low` requests are put in
//! flight, VmRSS is read after a settle time, then `high - low` more, and VmRSS again.
//! Prints one JSON line with both readings, the growth and the growth per 1000 streams.
//! Every request must still be in flight at the second reading (checked), and must then
//! complete without error (checked).

use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use h2o_bench_hyper::{hyper_connect, split_url, vm_rss_kib};
use h2o_core::client::{Consumed, ResponseEvent};
use http_body_util::{BodyExt, Empty};

struct Opts {
    client: String,
    base: String,
    low: u64,
    high: u64,
    delay_ms: u64,
    settle_ms: u64,
}

#[derive(Default)]
struct Counts {
    done: AtomicU64,
    errors: AtomicU64,
}

struct Readings {
    rss0: u64,
    rss_low: u64,
    rss_high: u64,
    early: u64,
}

fn parse() -> Result<Opts, String> {
    let mut args = std::env::args().skip(1);
    let client = args.next().ok_or("client (h2o|hyper) missing")?;
    if client != "h2o" && client != "hyper" {
        return Err(format!("unknown client {client}"));
    }
    let base = args
        .next()
        .ok_or("URL base missing")?
        .trim_end_matches('/')
        .to_owned();
    let mut o = Opts {
        client,
        base,
        low: 100,
        high: 1000,
        delay_ms: 4000,
        settle_ms: 600,
    };
    while let Some(a) = args.next() {
        let v: u64 = args
            .next()
            .and_then(|v| v.parse().ok())
            .ok_or(format!("{a} needs a number"))?;
        match a.as_str() {
            "--low" => o.low = v,
            "--high" => o.high = v,
            "--delay-ms" => o.delay_ms = v,
            "--settle-ms" => o.settle_ms = v,
            _ => return Err(format!("unknown option {a}")),
        }
    }
    if o.low >= o.high || o.settle_ms * 2 >= o.delay_ms {
        return Err("need low < high and 2 * settle < delay".into());
    }
    Ok(o)
}

fn run_h2o(o: &Opts, counts: Arc<Counts>) -> Result<Readings, String> {
    let client = h2o_core::Client::new().map_err(|e| e.to_string())?;
    client
        .blocking_get(&format!("{}/hello", o.base))
        .map_err(|e| format!("warm-up: {e}"))?;
    let slow = format!("{}/delay/{}", o.base, o.delay_ms);
    let submit = |k: u64| {
        for _ in 0..k {
            let c = counts.clone();
            let req = h2o_core::Request::get(&slow).expect("url");
            client.submit(req, move |ev: ResponseEvent| {
                match ev {
                    ResponseEvent::Done => {
                        c.done.fetch_add(1, Ordering::Relaxed);
                    }
                    ResponseEvent::Error(_) => {
                        c.errors.fetch_add(1, Ordering::Relaxed);
                        c.done.fetch_add(1, Ordering::Relaxed);
                    }
                    _ => {}
                }
                Consumed::Now
            });
        }
    };
    let settle = Duration::from_millis(o.settle_ms);
    let rss0 = vm_rss_kib();
    submit(o.low);
    std::thread::sleep(settle);
    let rss_low = vm_rss_kib();
    submit(o.high - o.low);
    std::thread::sleep(settle);
    let rss_high = vm_rss_kib();
    let early = counts.done.load(Ordering::Relaxed);
    let deadline = Instant::now() + Duration::from_millis(o.delay_ms * 3 + 5000);
    while counts.done.load(Ordering::Relaxed) < o.high && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    client.close();
    Ok(Readings {
        rss0,
        rss_low,
        rss_high,
        early,
    })
}

fn run_hyper(o: &Opts, counts: Arc<Counts>) -> Result<Readings, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async {
        let (addr, hello) = split_url(&format!("{}/hello", o.base))?;
        let (_, slow) = split_url(&format!("{}/delay/{}", o.base, o.delay_ms))?;
        let mut tx = hyper_connect(&addr).await?;
        let get = |uri: &hyper::Uri| {
            hyper::Request::get(uri.clone())
                .body(Empty::<bytes::Bytes>::new())
                .expect("request")
        };
        let resp = tx
            .send_request(get(&hello))
            .await
            .map_err(|e| format!("warm-up: {e}"))?;
        resp.into_body()
            .collect()
            .await
            .map_err(|e| format!("warm-up: {e}"))?;
        let mut tasks = Vec::new();
        let mut submit = |k: u64| {
            for _ in 0..k {
                let mut tx = tx.clone();
                let req = get(&slow);
                let c = counts.clone();
                tasks.push(tokio::spawn(async move {
                    let ok = match tx.send_request(req).await {
                        Ok(resp) => resp.into_body().collect().await.is_ok(),
                        Err(_) => false,
                    };
                    if !ok {
                        c.errors.fetch_add(1, Ordering::Relaxed);
                    }
                    c.done.fetch_add(1, Ordering::Relaxed);
                }));
            }
        };
        let settle = Duration::from_millis(o.settle_ms);
        let rss0 = vm_rss_kib();
        submit(o.low);
        tokio::time::sleep(settle).await;
        let rss_low = vm_rss_kib();
        submit(o.high - o.low);
        tokio::time::sleep(settle).await;
        let rss_high = vm_rss_kib();
        let early = counts.done.load(Ordering::Relaxed);
        for t in tasks {
            let _ = t.await;
        }
        Ok(Readings {
            rss0,
            rss_low,
            rss_high,
            early,
        })
    })
}

fn main() -> ExitCode {
    let o = match parse() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("mem-probe: {e}\nusage: mem-probe h2o|hyper http://HOST:PORT [--low N] [--high N] [--delay-ms MS] [--settle-ms MS]");
            return ExitCode::from(2);
        }
    };
    let counts = Arc::new(Counts::default());
    let r = if o.client == "h2o" {
        run_h2o(&o, counts.clone())
    } else {
        run_hyper(&o, counts.clone())
    };
    let r = match r {
        Ok(r) => r,
        Err(e) => {
            eprintln!("mem-probe: {e}");
            return ExitCode::FAILURE;
        }
    };
    let done = counts.done.load(Ordering::Relaxed);
    let errors = counts.errors.load(Ordering::Relaxed);
    let growth = r.rss_high as i64 - r.rss_low as i64;
    let per_1000 = growth as f64 * 1000.0 / (o.high - o.low) as f64;
    println!(
        "{{\"client\":\"{}\",\"low\":{},\"high\":{},\"rss_start_kib\":{},\"rss_low_kib\":{},\"rss_high_kib\":{},\"growth_kib\":{growth},\"kib_per_1000_streams\":{per_1000:.0},\"done_before_reading\":{},\"completed\":{done},\"errors\":{errors}}}",
        o.client, o.low, o.high, r.rss0, r.rss_low, r.rss_high, r.early
    );
    if r.early > 0 || done != o.high || errors > 0 {
        eprintln!(
            "mem-probe: invalid run ({} finished before the reading, {done}/{} completed, {errors} errors)",
            r.early, o.high
        );
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
