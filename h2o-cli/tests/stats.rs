//! `h2o get --stats` and `h2o bench --stats` print the metrics snapshot as JSON on stderr,
//! with counts matching what was run.

use std::process::Command;

use serde_json::Value;

fn last_json_line(stderr: &[u8]) -> Value {
    let text = String::from_utf8_lossy(stderr);
    let line = text
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .unwrap_or_else(|| panic!("no JSON line on stderr: {text}"));
    serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"))
}

#[test]
fn get_stats_prints_metrics_json() {
    let server = h2o_testserver::spawn(Default::default()).unwrap();
    let base = format!("http://{}", server.addr());
    let out = Command::new(env!("CARGO_BIN_EXE_h2o"))
        .args(["get", "--stats"])
        .arg(format!("{base}/bytes/1000"))
        .arg(format!("{base}/hello"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(out.stdout.len(), 1000 + 13);
    let m = last_json_line(&out.stderr);
    assert_eq!(m["requests"]["completed"], 2);
    assert_eq!(m["latency_us"]["count"], 2);
    assert_eq!(m["bytes"]["body_received"], 1013);
    assert_eq!(m["pool"]["connections_created"], 1);

    // Without --stats nothing is printed to stderr.
    let out = Command::new(env!("CARGO_BIN_EXE_h2o"))
        .args(["get", &format!("{base}/hello")])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn bench_stats_prints_metrics_json() {
    let server = h2o_testserver::spawn(Default::default()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_h2o"))
        .args(["bench", "-n", "200", "-m", "10", "--stats"])
        .arg(format!("http://{}/hello", server.addr()))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let m = last_json_line(&out.stderr);
    assert_eq!(m["requests"]["completed"], 200);
    assert_eq!(m["latency_us"]["count"], 200);
    assert_eq!(m["bytes"]["body_received"], 200 * 13);
    assert_eq!(m["errors"]["connect"], 0);
    assert!(m["latency_us"]["p99"].as_u64().unwrap() > 0);
}
