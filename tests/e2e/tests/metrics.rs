//! Metrics and the debug dump against the hyper test server: counts match a known
//! workload exactly, the Prometheus rendering parses, and the debug dump lists requests
//! that are in flight.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use h2o_core::client::{block_on, Config, Request};
use h2o_core::{Client, ErrorKind, Method};
use h2o_testsupport::TestServer;
use serde_json::Value;

/// Parses Prometheus text exposition line by line: every sample belongs to a family
/// declared with `# TYPE` before it, names and labels are well formed, values are numbers.
/// Returns `name{labels}` → value.
fn parse_prometheus(text: &str) -> HashMap<String, f64> {
    let mut types: HashMap<String, String> = HashMap::new();
    let mut samples = HashMap::new();
    let name_ok = |n: &str| {
        !n.is_empty()
            && n.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
            && !n.starts_with(|c: char| c.is_ascii_digit())
    };
    for line in text.lines() {
        assert!(!line.is_empty(), "empty line in exposition");
        if let Some(rest) = line.strip_prefix("# ") {
            let mut parts = rest.splitn(3, ' ');
            let kw = parts.next().unwrap();
            let name = parts.next().expect("metric name after # HELP/# TYPE");
            assert!(name_ok(name), "bad name {name:?}");
            let arg = parts.next().expect("text after the name");
            match kw {
                "TYPE" => {
                    assert!(
                        ["counter", "gauge", "histogram", "summary", "untyped"].contains(&arg),
                        "type {arg}"
                    );
                    assert!(types.insert(name.to_owned(), arg.to_owned()).is_none());
                }
                "HELP" => {}
                _ => panic!("unknown comment {line:?}"),
            }
            continue;
        }
        let (series, value) = line.rsplit_once(' ').expect("name and value");
        let v: f64 = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            v => v
                .parse()
                .unwrap_or_else(|_| panic!("value {v:?} in {line:?}")),
        };
        let name = match series.find('{') {
            Some(i) => {
                let labels = series[i..]
                    .strip_prefix('{')
                    .and_then(|l| l.strip_suffix('}'))
                    .expect("labels in braces");
                for pair in labels.split(',') {
                    let (k, v) = pair.split_once('=').expect("label=value");
                    assert!(name_ok(k), "label name {k:?}");
                    assert!(v.len() >= 2 && v.starts_with('"') && v.ends_with('"'));
                }
                &series[..i]
            }
            None => series,
        };
        assert!(name_ok(name), "bad sample name {name:?}");
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|s| {
                name.strip_suffix(s)
                    .filter(|f| types.get(*f).map(String::as_str) == Some("histogram"))
            })
            .unwrap_or(name);
        assert!(
            types.contains_key(family),
            "sample {name} before its # TYPE"
        );
        assert!(
            samples.insert(series.to_owned(), v).is_none(),
            "duplicate {series}"
        );
    }
    samples
}

#[test]
fn metrics_match_a_known_workload_exactly() {
    const N: u64 = 40;
    const SIZE: u64 = 10_000;
    let server = TestServer::start();
    let client = Client::new().unwrap();
    let url = server.url(&format!("/bytes/{SIZE}"));
    block_on(async {
        // Half sequential, half concurrent.
        for _ in 0..N / 2 {
            let mut r = client.get(&url).await.unwrap();
            assert_eq!(r.bytes().await.unwrap().len() as u64, SIZE);
        }
        let futs: Vec<_> = (0..N / 2)
            .map(|_| client.send(Request::get(&url).unwrap()))
            .collect();
        for f in futs {
            let mut r = f.await.unwrap();
            assert_eq!(r.bytes().await.unwrap().len() as u64, SIZE);
        }
    });
    let m = client.metrics();
    assert_eq!(m.latency.count, N, "histogram count");
    assert_eq!(m.latency.buckets.iter().map(|b| b.count).sum::<u64>(), N);
    assert_eq!(m.stats.requests_completed, N);
    assert_eq!(m.stats.requests_submitted, N);
    assert_eq!(m.stats.requests_failed, 0);
    assert_eq!(m.bytes.body_received, N * SIZE, "body bytes");
    assert_eq!(m.bytes.body_sent, 0);
    assert!(m.bytes.wire_received > N * SIZE);
    assert!(m.bytes.wire_sent > 0);
    assert!(m.errors.iter().all(|(_, n)| *n == 0), "{:?}", m.errors);
    assert_eq!(m.errors.len(), 18, "every kind listed");
    let (p50, p99, max) = (
        m.latency.quantile(0.5).unwrap(),
        m.latency.quantile(0.99).unwrap(),
        Duration::from_micros(m.latency.max_us),
    );
    assert!(p50 <= p99 && p99 <= max && max > Duration::ZERO);
    // Repeated identical requests: HPACK indexes the fields, so they shrink on the wire.
    assert!(m.hpack.sent_plain > 0 && m.hpack.received_plain > 0);
    assert!(m.hpack.sent_ratio().unwrap() < 0.5, "{:?}", m.hpack);
    assert!(m.read_buffer.hits + m.read_buffer.misses >= 1);
    assert!(m.requests_per_second() > 0.0);

    // JSON and Prometheus say the same.
    let j: Value = serde_json::from_str(&m.to_json()).unwrap();
    assert_eq!(j["requests"]["completed"], N);
    assert_eq!(j["latency_us"]["count"], N);
    assert_eq!(j["bytes"]["body_received"], N * SIZE);
    assert_eq!(j["errors"]["connect"], 0);
    let p = parse_prometheus(&m.to_prometheus());
    assert_eq!(p["h2o_requests_total"], N as f64);
    assert_eq!(p["h2o_request_duration_seconds_count"], N as f64);
    assert_eq!(
        p["h2o_request_duration_seconds_bucket{le=\"+Inf\"}"],
        N as f64
    );
    assert_eq!(p["h2o_response_body_bytes_total"], (N * SIZE) as f64);
    assert_eq!(p["h2o_request_errors_total{kind=\"connect\"}"], 0.0);
    // Histogram buckets are cumulative.
    let mut buckets: Vec<(f64, f64)> = p
        .iter()
        .filter_map(|(k, v)| {
            let le = k
                .strip_prefix("h2o_request_duration_seconds_bucket{le=\"")?
                .strip_suffix("\"}")?;
            Some((le.parse::<f64>().unwrap_or(f64::INFINITY), *v))
        })
        .collect();
    buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    assert!(buckets.len() > 10);
    assert!(buckets.windows(2).all(|w| w[0].1 <= w[1].1));

    // One request to a port nobody listens on: exactly one Connect error.
    let closed_port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let cfg = Config {
        max_retries: 0,
        ..Config::default()
    };
    let lonely = Client::with_config(cfg).unwrap();
    let err = lonely
        .blocking_get(&format!("http://127.0.0.1:{closed_port}/"))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connect, "{err}");
    let m2 = lonely.metrics();
    assert_eq!(m2.errors_of(ErrorKind::Connect), 1);
    assert_eq!(m2.errors.iter().map(|(_, n)| n).sum::<u64>(), 1);
    assert_eq!(m2.stats.requests_failed, 1);
    assert_eq!(
        m2.latency.count, 0,
        "failed requests are not in the histogram"
    );
    let p2 = parse_prometheus(&m2.to_prometheus());
    assert_eq!(p2["h2o_request_errors_total{kind=\"connect\"}"], 1.0);
    client.close();
    lonely.close();
}

#[test]
fn upload_counts_bytes_sent_and_flow_control_stalls() {
    let server = TestServer::start();
    let client = Client::new().unwrap();
    // 4 MiB against the server's 1 MiB windows: the body waits for credit at least once.
    let body = vec![7u8; 4 << 20];
    block_on(async {
        let req = Request::post(&server.url("/sha256"))
            .unwrap()
            .body(body.clone());
        let mut r = client.send(req).await.unwrap();
        r.bytes().await.unwrap();
    });
    let m = client.metrics();
    assert_eq!(m.bytes.body_sent, body.len() as u64);
    assert!(m.flow_control.count >= 1, "{:?}", m.flow_control);
    assert!(m.flow_control.stalled > Duration::ZERO);
    client.close();
}

#[test]
fn debug_dump_lists_in_flight_streams() {
    const K: usize = 3;
    let server = TestServer::start();
    let client = Client::new().unwrap();
    let futs: Vec<_> = (0..K)
        .map(|_| client.send(Request::get(&server.url("/delay/1500")).unwrap()))
        .collect();
    let deadline = Instant::now() + Duration::from_secs(5);
    while client.stats().open_streams() < K as u64 {
        assert!(Instant::now() < deadline, "requests never went out");
        std::thread::sleep(Duration::from_millis(5));
    }
    // Requests may go out before the server's SETTINGS arrive (RFC 9113 §3.4): wait for them
    // too, so the dump shows both sides' settings.
    let (dump, v) = loop {
        let dump = client.debug_dump();
        let v: Value = serde_json::from_str(&dump).expect("dump is JSON");
        if v["connections"][0]["peer_settings_received"] == true {
            break (dump, v);
        }
        assert!(Instant::now() < deadline, "no server SETTINGS: {dump}");
        std::thread::sleep(Duration::from_millis(5));
    };
    let conns = v["connections"].as_array().unwrap();
    assert_eq!(conns.len(), 1, "{dump}");
    let c = &conns[0];
    assert_eq!(c["state"], "open");
    assert!(c["origin"]
        .as_str()
        .unwrap()
        .starts_with("http://127.0.0.1:"));
    assert_eq!(c["peer_settings_received"], true);
    assert!(c["peer_settings"]["initial_window_size"].as_u64().unwrap() > 0);
    assert_eq!(
        c["local_settings"]["max_concurrent_streams"],
        Config::default().proto.max_concurrent_streams
    );
    assert!(c["windows"]["send"].as_i64().unwrap() > 0);
    assert!(c["windows"]["recv"].as_i64().unwrap() > 0);
    let streams = c["streams"].as_array().unwrap();
    assert_eq!(streams.len(), K, "{dump}");
    let mut ids: Vec<u64> = streams
        .iter()
        .map(|s| s["stream_id"].as_u64().unwrap())
        .collect();
    ids.sort();
    assert_eq!(ids, vec![1, 3, 5]);
    for s in streams {
        assert_eq!(s["state"], "half_closed_local", "GET sent END_STREAM: {s}");
        assert_eq!(s["head_received"], false);
        assert!(s["age_ms"].as_f64().unwrap() >= 0.0);
        assert!(s["request_age_ms"].as_f64().unwrap() >= s["age_ms"].as_f64().unwrap() - 1.0);
        assert!(s["recv_window"].as_i64().unwrap() > 0);
    }
    assert_eq!(v["requests_in_flight"], K as u64);
    block_on(async {
        for f in futs {
            let mut r = f.await.unwrap();
            assert_eq!(&r.bytes().await.unwrap()[..], b"Hello, world!");
        }
    });
    // Nothing in flight any more.
    let v: Value = serde_json::from_str(&client.debug_dump()).unwrap();
    assert_eq!(v["connections"][0]["streams"].as_array().unwrap().len(), 0);
    client.close();
}

#[test]
fn debug_dump_shows_queued_requests() {
    // One stream at a time on the server: the rest wait in the connection's queue.
    let server = TestServer::with_options(
        h2o_testsupport::Mode::H2c,
        h2o_testsupport::TestServerOptions {
            max_concurrent_streams: Some(1),
            ..Default::default()
        },
    );
    let client = Client::new().unwrap();
    let warm = client.blocking_get(&server.url("/hello")).unwrap();
    assert_eq!(warm.0.status(), 200);
    let futs: Vec<_> = (0..3)
        .map(|_| client.send(Request::new(Method::GET, &server.url("/delay/800")).unwrap()))
        .collect();
    let deadline = Instant::now() + Duration::from_secs(5);
    while client
        .stats()
        .connections
        .iter()
        .map(|c| c.queued)
        .sum::<u64>()
        < 2
    {
        assert!(Instant::now() < deadline, "requests never queued");
        std::thread::sleep(Duration::from_millis(5));
    }
    let v: Value = serde_json::from_str(&client.debug_dump()).unwrap();
    let c = &v["connections"][0];
    assert_eq!(c["peer_settings"]["max_concurrent_streams"], 1);
    assert_eq!(c["streams"].as_array().unwrap().len(), 1);
    assert_eq!(c["queued"].as_array().unwrap().len(), 2);
    block_on(async {
        for f in futs {
            f.await.unwrap().bytes().await.unwrap();
        }
    });
    client.close();
}

#[test]
fn errors_are_counted_by_kind() {
    let server = TestServer::start();
    let client = Client::new().unwrap();
    client.blocking_get(&server.url("/hello")).unwrap();
    // A deadline that passes: RequestTimeout.
    let req = Request::get(&server.url("/delay/3000"))
        .unwrap()
        .timeout(Duration::from_millis(100));
    let err = block_on(client.send(req)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RequestTimeout);
    // A cancelled request: Cancelled.
    let (tx, rx) = std::sync::mpsc::channel();
    let handle = client.submit(
        Request::get(&server.url("/delay/3000")).unwrap(),
        move |ev: h2o_core::client::ResponseEvent| {
            if let h2o_core::client::ResponseEvent::Error(e) = ev {
                let _ = tx.send(e.kind());
            }
            h2o_core::client::Consumed::Now
        },
    );
    handle.cancel();
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(5)).unwrap(),
        ErrorKind::Cancelled
    );
    let m = client.metrics();
    assert_eq!(m.errors_of(ErrorKind::RequestTimeout), 1);
    assert_eq!(m.errors_of(ErrorKind::Cancelled), 1);
    assert_eq!(m.stats.requests_failed, 2);
    assert_eq!(m.errors.iter().map(|(_, n)| n).sum::<u64>(), 2);
    assert_eq!(m.stats.requests_completed, 1);
    assert_eq!(m.latency.count, 1);
    client.close();
}
