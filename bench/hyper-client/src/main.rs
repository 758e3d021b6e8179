//! `hyper-client -n N -m M -c C [-d DATA|@FILE] URL`: the hyper 1.x HTTP/2 peer of `h2o bench`.
//!
//! C connections (`hyper::client::conn::http2`, h2c prior knowledge, hyper's default
//! settings), M tasks per connection each sending one request after another, all on one
//! current_thread tokio runtime. With `-d` each request is a POST of that body (a
//! `Full<Bytes>` sharing one buffer). Prints the same human lines and final JSON line as
//! `h2o bench`.

use std::process::ExitCode;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use h2o_bench_hyper::{cpu_time, hyper_connect, parse_load_opts, split_url, LoadOpts, Report};
use http_body_util::{BodyExt, Empty, Full};
use hyper::client::conn::http2::SendRequest;

const USAGE: &str =
    "usage: hyper-client [-n N] [-m M] [-c C] [-d DATA|@FILE] http://HOST:PORT/PATH";

/// What one task measured.
#[derive(Default)]
struct TaskStats {
    latencies_us: Vec<u32>,
    bytes: u64,
    errors: u64,
    first_error: Option<String>,
}

async fn worker<B>(
    mut tx: SendRequest<B>,
    uri: hyper::Uri,
    remaining: Arc<AtomicI64>,
    make: impl Fn(&hyper::Uri) -> hyper::Request<B>,
) -> TaskStats
where
    B: hyper::body::Body + Send + Unpin + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let mut st = TaskStats::default();
    while remaining.fetch_sub(1, Ordering::Relaxed) > 0 {
        let start = Instant::now();
        let req = make(&uri);
        let result = async {
            let resp = tx.send_request(req).await?;
            let mut body = resp.into_body();
            let mut n = 0u64;
            while let Some(frame) = body.frame().await {
                if let Some(d) = frame?.data_ref() {
                    n += d.len() as u64;
                }
            }
            Ok::<u64, hyper::Error>(n)
        }
        .await;
        match result {
            Ok(n) => st.bytes += n,
            Err(e) => {
                st.errors += 1;
                st.first_error.get_or_insert_with(|| e.to_string());
            }
        }
        let us = start.elapsed().as_micros().min(u32::MAX as u128) as u32;
        st.latencies_us.push(us);
    }
    st
}

async fn run(o: LoadOpts) -> Result<Report, String> {
    let (addr, uri) = split_url(&o.url)?;
    let remaining = Arc::new(AtomicI64::new(o.n as i64));
    let cpu0 = cpu_time();
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..o.c {
        match &o.data {
            None => {
                let tx = hyper_connect::<Empty<Bytes>>(&addr).await?;
                for _ in 0..o.m {
                    tasks.push(tokio::spawn(worker(
                        tx.clone(),
                        uri.clone(),
                        remaining.clone(),
                        |u| {
                            hyper::Request::get(u.clone())
                                .body(Empty::<Bytes>::new())
                                .expect("request")
                        },
                    )));
                }
            }
            Some(data) => {
                let tx = hyper_connect::<Full<Bytes>>(&addr).await?;
                for _ in 0..o.m {
                    let data = data.clone();
                    tasks.push(tokio::spawn(worker(
                        tx.clone(),
                        uri.clone(),
                        remaining.clone(),
                        move |u| {
                            hyper::Request::post(u.clone())
                                .body(Full::new(data.clone()))
                                .expect("request")
                        },
                    )));
                }
            }
        }
    }
    let mut r = Report {
        n: o.n,
        latencies_us: Vec::with_capacity(o.n as usize),
        ..Report::default()
    };
    for t in tasks {
        let st = t.await.map_err(|e| format!("task: {e}"))?;
        r.latencies_us.extend(st.latencies_us);
        r.bytes += st.bytes;
        r.errors += st.errors;
        if r.first_error.is_none() {
            r.first_error = st.first_error;
        }
    }
    r.secs = start.elapsed().as_secs_f64();
    r.cpu = cpu_time() - cpu0;
    Ok(r)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let opts = match parse_load_opts(&args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("hyper-client: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    match rt.block_on(run(opts)) {
        Ok(r) => {
            let failed = r.errors > 0;
            r.print();
            if failed {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            eprintln!("hyper-client: {e}");
            ExitCode::FAILURE
        }
    }
}
