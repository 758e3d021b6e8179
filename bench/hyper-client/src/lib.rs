//! Shared pieces of the benchmark probes: option parsing in `h2o bench`'s shape, process
//! CPU time and resident memory, percentile reports with `h2o bench`'s JSON line, and a
//! hyper 1.x HTTP/2 (h2c prior knowledge) connection.

use std::time::Duration;

use bytes::Bytes;
use hyper::client::conn::http2::SendRequest;
use hyper_util::rt::{TokioExecutor, TokioIo};

/// `-n N -m M -c C [-d DATA|@FILE] URL` (the `h2o bench` / `h2load` shape).
#[derive(Clone, Debug)]
pub struct LoadOpts {
    /// Request body (`-d`): the requests are POSTs of it; `None`: GETs.
    pub data: Option<Bytes>,
    /// Total requests.
    pub n: u64,
    /// Concurrent streams per connection.
    pub m: u64,
    /// Connections.
    pub c: u64,
    /// The URL (http:// only: h2c prior knowledge).
    pub url: String,
}

/// Parses `-n N -m M -c C [-d DATA|@FILE] URL` (defaults as `h2o bench`: 10000, 100, 1).
pub fn parse_load_opts(args: &[String]) -> Result<LoadOpts, String> {
    let mut o = LoadOpts {
        data: None,
        n: 10_000,
        m: 100,
        c: 1,
        url: String::new(),
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut num = |flag: &str| -> Result<u64, String> {
            it.next()
                .and_then(|v| v.parse::<u64>().ok())
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("{flag} needs a positive number"))
        };
        match a.as_str() {
            "-n" | "--requests" => o.n = num(a)?,
            "-m" | "--max-concurrent-streams" => o.m = num(a)?,
            "-c" | "--clients" => o.c = num(a)?,
            "-d" | "--data" => {
                let d = it.next().ok_or("-d needs a value")?;
                o.data = Some(match d.strip_prefix('@') {
                    Some(path) => std::fs::read(path)
                        .map_err(|e| format!("cannot read {path}: {e}"))?
                        .into(),
                    None => Bytes::from(d.clone().into_bytes()),
                });
            }
            s if s.starts_with('-') => return Err(format!("unknown option {s}")),
            s if o.url.is_empty() => o.url = s.to_owned(),
            _ => return Err("exactly one URL".into()),
        }
    }
    if o.url.is_empty() {
        return Err("no URL given".into());
    }
    Ok(o)
}

/// `host:port` and the URI of an `http://host:port/path` URL.
pub fn split_url(url: &str) -> Result<(String, hyper::Uri), String> {
    let uri: hyper::Uri = url.parse().map_err(|e| format!("bad URL {url}: {e}"))?;
    if uri.scheme_str() != Some("http") {
        return Err("only http:// (h2c prior knowledge) is supported".into());
    }
    let host = uri.host().ok_or("URL without host")?;
    let port = uri.port_u16().unwrap_or(80);
    Ok((format!("{host}:{port}"), uri))
}

/// Opens one h2c prior-knowledge connection with hyper's default HTTP/2 client settings and
/// spawns its driver on the current runtime. `B` is the request body type (`Empty<Bytes>`
/// for GETs, `Full<Bytes>` for uploads).
pub async fn hyper_connect<B>(addr: &str) -> Result<SendRequest<B>, String>
where
    B: hyper::body::Body + Send + Unpin + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let tcp = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect {addr}: {e}"))?;
    let _ = tcp.set_nodelay(true);
    let (tx, conn) = hyper::client::conn::http2::Builder::new(TokioExecutor::new())
        .handshake(TokioIo::new(tcp))
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(tx)
}

/// User + system CPU time of this process so far.
pub fn cpu_time() -> Duration {
    // SAFETY: getrusage fills the zeroed struct we pass; RUSAGE_SELF is always valid.
    let ru = unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut ru);
        ru
    };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

/// VmRSS of this process in KiB, from /proc/self/status.
pub fn vm_rss_kib() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// The outcome of a load run.
#[derive(Default)]
pub struct Report {
    /// Requests attempted.
    pub n: u64,
    /// Wall-clock seconds.
    pub secs: f64,
    /// Response body bytes.
    pub bytes: u64,
    /// Failed requests.
    pub errors: u64,
    /// Per-request latencies (µs), any order.
    pub latencies_us: Vec<u32>,
    /// Process CPU spent during the run.
    pub cpu: Duration,
    /// The first error, for the human-readable output.
    pub first_error: Option<String>,
}

impl Report {
    /// Prints `h2o bench`'s human lines and its final JSON line.
    pub fn print(mut self) {
        let lat = &mut self.latencies_us;
        lat.sort_unstable();
        let pct = |p: f64| -> u32 {
            if lat.is_empty() {
                return 0;
            }
            lat[((lat.len() - 1) as f64 * p).round() as usize]
        };
        let (n, secs, bytes, errors) = (self.n, self.secs, self.bytes, self.errors);
        let rps = n as f64 / secs;
        let cpu_us = self.cpu.as_secs_f64() * 1e6 / n as f64;
        let max = lat.last().copied().unwrap_or(0);
        println!(
            "finished in {secs:.3}s, {rps:.0} req/s, {:.2} MB/s",
            bytes as f64 / secs / 1e6
        );
        println!(
            "requests: {n} total, {} succeeded, {errors} errored",
            n - errors
        );
        println!(
            "latency: p50 {}us, p90 {}us, p99 {}us, max {max}us",
            pct(0.5),
            pct(0.9),
            pct(0.99)
        );
        println!("client cpu: {cpu_us:.2} us/request (user+sys)");
        if let Some(e) = &self.first_error {
            println!("first error: {e}");
        }
        println!(
            "{{\"requests\":{n},\"seconds\":{secs:.6},\"req_per_s\":{rps:.1},\"bytes\":{bytes},\"p50_us\":{},\"p90_us\":{},\"p99_us\":{},\"max_us\":{max},\"errors\":{errors},\"cpu_us_per_req\":{cpu_us:.3}}}",
            pct(0.5),
            pct(0.9),
            pct(0.99)
        );
    }
}

/// Median of `v` (sorted in place); 0 for an empty slice.
pub fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let k = v.len() / 2;
    if v.len() % 2 == 1 {
        v[k]
    } else {
        (v[k - 1] + v[k]) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_h2o_bench_shape() {
        let args: Vec<String> = ["-n", "5", "-m", "7", "-c", "2", "http://127.0.0.1:1/x"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let o = parse_load_opts(&args).unwrap();
        assert!(o.data.is_none());
        let up: Vec<String> = ["-d", "abc", "http://127.0.0.1:1/x"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            parse_load_opts(&up).unwrap().data.as_deref(),
            Some(&b"abc"[..])
        );
        assert!(parse_load_opts(&["-d".into(), "@/nonexistent/f".into(), "u".into()]).is_err());
        assert_eq!(
            (o.n, o.m, o.c, o.url.as_str()),
            (5, 7, 2, "http://127.0.0.1:1/x")
        );
        assert!(parse_load_opts(&["-n".into(), "0".into(), "u".into()]).is_err());
        assert!(parse_load_opts(&[]).is_err());
        let (addr, uri) = split_url("http://127.0.0.1:8080/13b").unwrap();
        assert_eq!((addr.as_str(), uri.path()), ("127.0.0.1:8080", "/13b"));
        assert!(split_url("https://x/").is_err());
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), 2.5);
    }
}
