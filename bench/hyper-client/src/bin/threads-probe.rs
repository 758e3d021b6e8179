//! `threads-probe URL [-n N] [-m M] [-t 1,2] [--rounds R] [--api async|sink] [--work-us W]`
//!
//! Many threads submitting to ONE h2o `Client` at once. For each thread count T, N requests
//! are split over T submitting threads that together keep M requests in flight (M/T each),
//! so the server sees the same concurrency whatever T is. Rounds interleave the thread
//! counts (1 2 1 2 ...); one JSON line per T gives the median req/s and CPU µs/request
//! (whole process), and a last line the median over rounds of each T's req/s ÷ the first
//! T's in the same round.
//!
//! `--api async` (default): each submitting thread runs its own current_thread tokio
//! runtime with M/T tasks looping `client.send(Request::get(url)).await` + `bytes()`.
//! `--api sink`: each thread submits with `client.submit` and a closure sink that reports
//! completion over a channel; the thread submits the next request when one completes.
//!
//! `--work-us W` (default 0): after each response the submitting thread spends W µs of CPU
//! (a busy loop), as an application handling its results would. With W = 0 the server is the
//! bottleneck (nghttpd is single-threaded) and thread counts can only tie; with W > 0 one
//! thread's own work bounds it, so a second thread can only add throughput if the client
//! does not serialize submitting threads (the h2 crate's global lock does).

use std::process::ExitCode;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Instant;

use h2o_bench_hyper::{cpu_time, median};
use h2o_core::client::{Consumed, ResponseEvent};
use h2o_core::{Client, Request};

struct Opts {
    url: String,
    n: u64,
    m: u64,
    threads: Vec<u64>,
    rounds: usize,
    sink: bool,
    work: std::time::Duration,
}

/// The application's share of a response: `work` of busy CPU on the calling thread.
fn app_work(work: std::time::Duration) {
    if work.is_zero() {
        return;
    }
    let start = Instant::now();
    while start.elapsed() < work {
        std::hint::spin_loop();
    }
}

fn parse() -> Result<Opts, String> {
    let mut o = Opts {
        url: String::new(),
        n: 100_000,
        m: 100,
        threads: vec![1, 2],
        rounds: 3,
        sink: false,
        work: std::time::Duration::ZERO,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().ok_or(format!("{a} needs a value"));
        let num = |v: String| v.parse::<u64>().map_err(|_| format!("bad number {v}"));
        match a.as_str() {
            "-n" => o.n = num(value()?)?,
            "-m" => o.m = num(value()?)?,
            "--rounds" => o.rounds = num(value()?)? as usize,
            "--work-us" => o.work = std::time::Duration::from_micros(num(value()?)?),
            "-t" => {
                o.threads = value()?
                    .split(',')
                    .map(|t| num(t.to_owned()))
                    .collect::<Result<_, _>>()?
            }
            "--api" => {
                o.sink = match value()?.as_str() {
                    "sink" => true,
                    "async" => false,
                    other => return Err(format!("unknown api {other}")),
                }
            }
            s if s.starts_with('-') => return Err(format!("unknown option {s}")),
            s => o.url = s.to_owned(),
        }
    }
    if o.url.is_empty() || o.threads.iter().any(|&t| t == 0 || t > o.m) || o.rounds == 0 {
        return Err("need a URL, thread counts in 1..=M and rounds >= 1".into());
    }
    Ok(o)
}

/// One async-API submitting thread: `per` tasks share the `remaining` budget.
fn async_thread(
    client: Client,
    url: Arc<str>,
    per: u64,
    remaining: Arc<AtomicI64>,
    work: std::time::Duration,
) -> u64 {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let errors = Arc::new(AtomicU64::new(0));
        let mut tasks = Vec::new();
        for _ in 0..per {
            let (client, url, remaining, errors) = (
                client.clone(),
                url.clone(),
                remaining.clone(),
                errors.clone(),
            );
            tasks.push(tokio::spawn(async move {
                while remaining.fetch_sub(1, Ordering::Relaxed) > 0 {
                    let ok = match client.send(Request::get(&url).expect("url")).await {
                        Ok(mut resp) => resp.bytes().await.is_ok(),
                        Err(_) => false,
                    };
                    if !ok {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                    app_work(work);
                }
            }));
        }
        for t in tasks {
            let _ = t.await;
        }
        errors.load(Ordering::Relaxed)
    })
}

/// One sink-API submitting thread: keeps `per` requests in flight from this thread.
fn sink_thread(
    client: Client,
    url: Arc<str>,
    per: u64,
    remaining: Arc<AtomicI64>,
    work: std::time::Duration,
) -> u64 {
    let (tx, rx) = mpsc::channel::<bool>();
    let launch = |tx: &mpsc::Sender<bool>| -> bool {
        if remaining.fetch_sub(1, Ordering::Relaxed) <= 0 {
            return false;
        }
        let tx = tx.clone();
        client.submit(
            Request::get(&url).expect("url"),
            move |ev: ResponseEvent| {
                match ev {
                    ResponseEvent::Done => {
                        let _ = tx.send(true);
                    }
                    ResponseEvent::Error(_) => {
                        let _ = tx.send(false);
                    }
                    _ => {}
                }
                Consumed::Now
            },
        );
        true
    };
    let mut in_flight = 0u64;
    for _ in 0..per {
        if launch(&tx) {
            in_flight += 1;
        }
    }
    let mut errors = 0;
    while in_flight > 0 {
        let ok = rx.recv().unwrap_or(false);
        errors += u64::from(!ok);
        in_flight -= 1;
        app_work(work);
        if launch(&tx) {
            in_flight += 1;
        }
    }
    errors
}

/// Runs N requests from `t` threads; returns (req/s, CPU µs per request, errors).
fn measure(client: &Client, o: &Opts, t: u64) -> (f64, f64, u64) {
    let url: Arc<str> = o.url.as_str().into();
    let remaining = Arc::new(AtomicI64::new(o.n as i64));
    let cpu0 = cpu_time();
    let start = Instant::now();
    let threads: Vec<_> = (0..t)
        .map(|i| {
            // Split M as evenly as possible.
            let per = o.m / t + u64::from(i < o.m % t);
            let (client, url, remaining) = (client.clone(), url.clone(), remaining.clone());
            let (sink, work) = (o.sink, o.work);
            std::thread::spawn(move || {
                if sink {
                    sink_thread(client, url, per, remaining, work)
                } else {
                    async_thread(client, url, per, remaining, work)
                }
            })
        })
        .collect();
    let errors = threads.into_iter().map(|h| h.join().unwrap_or(1)).sum();
    let secs = start.elapsed().as_secs_f64();
    let cpu = (cpu_time() - cpu0).as_secs_f64();
    (o.n as f64 / secs, cpu * 1e6 / o.n as f64, errors)
}

fn main() -> ExitCode {
    let o = match parse() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("threads-probe: {e}\nusage: threads-probe URL [-n N] [-m M] [-t 1,2] [--rounds R] [--api async|sink] [--work-us W]");
            return ExitCode::from(2);
        }
    };
    let client = match Client::new() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("threads-probe: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Warm-up: open the connection and touch every code path once.
    let _ = measure(
        &client,
        &Opts {
            n: o.m * 10,
            ..clone_opts(&o)
        },
        1,
    );
    let mut rps: Vec<Vec<f64>> = vec![Vec::new(); o.threads.len()];
    let mut cpu: Vec<Vec<f64>> = vec![Vec::new(); o.threads.len()];
    let mut errors = 0;
    for _ in 0..o.rounds {
        for (k, &t) in o.threads.iter().enumerate() {
            let (r, c, e) = measure(&client, &o, t);
            rps[k].push(r);
            cpu[k].push(c);
            errors += e;
        }
    }
    client.close();
    let api = if o.sink { "sink" } else { "async" };
    for (k, &t) in o.threads.iter().enumerate() {
        let all: Vec<String> = rps[k].iter().map(|r| format!("{r:.0}")).collect();
        let m = median(&mut rps[k].clone());
        println!(
            "{{\"api\":\"{api}\",\"work_us\":{},\"threads\":{t},\"in_flight\":{},\"req_per_s\":{m:.0},\"cpu_us_per_req\":{:.3},\"rounds\":[{}]}}",
            o.work.as_micros(),
            o.m,
            median(&mut cpu[k]),
            all.join(",")
        );
    }
    // Same-round ratios (each T against T = first of the list in that round), then the
    // median: robust to load that drifts between rounds.
    let ratios: Vec<String> = o
        .threads
        .iter()
        .enumerate()
        .map(|(k, t)| {
            let mut per_round: Vec<f64> = rps[k].iter().zip(&rps[0]).map(|(a, b)| a / b).collect();
            format!("\"{t}\":{:.3}", median(&mut per_round))
        })
        .collect();
    println!(
        "{{\"api\":\"{api}\",\"work_us\":{},\"ratio_vs_first\":{{{}}},\"errors\":{errors}}}",
        o.work.as_micros(),
        ratios.join(",")
    );
    if errors > 0 {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn clone_opts(o: &Opts) -> Opts {
    Opts {
        url: o.url.clone(),
        n: o.n,
        m: o.m,
        threads: o.threads.clone(),
        rounds: o.rounds,
        sink: o.sink,
        work: o.work,
    }
}
