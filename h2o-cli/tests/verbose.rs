//! `h2o get -v` against the hyper test server: frames are printed on stderr as they flow,
//! nghttp style, with credentials redacted; `--log` takes an EnvFilter and rejects bad ones.

use std::process::Command;

fn h2o() -> Command {
    Command::new(env!("CARGO_BIN_EXE_h2o"))
}

#[test]
fn verbose_prints_frames_with_secrets_redacted() {
    let server = h2o_testserver::spawn(Default::default()).expect("test server");
    let url = format!("http://{}/hello", server.addr());
    let out = h2o()
        .args(["get", "-v", "-H", "authorization: Bearer hunter2", &url])
        .env_remove("H2O_LOG")
        .output()
        .expect("run h2o");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(out.stdout, b"Hello, world!");
    // `[  0.001] send HEADERS frame <length=.., flags=0x05, stream_id=1>` then the headers.
    let send_headers = stderr
        .lines()
        .position(|l| {
            l.starts_with('[')
                && l.contains("] send HEADERS frame <length=")
                && l.ends_with("flags=0x05, stream_id=1>")
        })
        .unwrap_or_else(|| panic!("no send HEADERS line in:\n{stderr}"));
    let after: Vec<&str> = stderr.lines().skip(send_headers + 1).take(8).collect();
    assert!(
        after.iter().any(|l| l.trim() == ":method: GET"),
        "{after:?}"
    );
    assert!(
        after
            .iter()
            .any(|l| l.trim() == "authorization: <redacted>"),
        "{after:?}"
    );
    assert!(!stderr.contains("hunter2"), "{stderr}");
    assert!(
        stderr.contains("] send SETTINGS frame <length="),
        "{stderr}"
    );
    assert!(
        stderr.contains("] recv SETTINGS frame <length="),
        "{stderr}"
    );
    assert!(stderr.contains("] recv HEADERS frame <length="), "{stderr}");
    assert!(
        stderr.contains("] recv header block <stream_id=1>"),
        "{stderr}"
    );
    assert!(stderr.contains(":status: 200"), "{stderr}");
    assert!(
        stderr
            .lines()
            .any(|l| l.contains("] recv DATA frame <length=") && l.contains("stream_id=1>")),
        "{stderr}"
    );
}

#[test]
fn quiet_without_verbose_and_log_filter_works() {
    let server = h2o_testserver::spawn(Default::default()).expect("test server");
    let url = format!("http://{}/hello", server.addr());
    let quiet = h2o()
        .args(["get", &url])
        .env_remove("H2O_LOG")
        .output()
        .unwrap();
    assert!(quiet.status.success());
    assert!(
        quiet.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&quiet.stderr)
    );

    let debug = h2o()
        .args([
            "get",
            "--log",
            "h2o::proto=debug,h2o::client=debug",
            &format!("{url}?token=s3cr3t"),
        ])
        .env_remove("H2O_LOG")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&debug.stderr);
    assert!(debug.status.success(), "{stderr}");
    assert!(
        stderr.contains("DEBUG h2o::proto: stream opened"),
        "{stderr}"
    );
    assert!(!stderr.contains("frame <length="), "{stderr}");
    assert!(
        stderr.contains("DEBUG h2o::client: request submitted request=1 method=GET host=127.0.0.1"),
        "{stderr}"
    );
    assert!(stderr.contains("path=/hello"), "{stderr}");
    assert!(
        !stderr.contains("s3cr3t"),
        "the query string leaked: {stderr}"
    );

    // H2O_LOG is honoured too.
    let env = h2o()
        .args(["get", &url])
        .env("H2O_LOG", "h2o::transport=debug")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&env.stderr);
    assert!(
        stderr.contains("DEBUG h2o::transport: connected"),
        "{stderr}"
    );

    let bad = h2o()
        .args(["get", "--log", "h2o=loud", &url])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        stderr.contains("invalid log filter \"h2o=loud\""),
        "{stderr}"
    );
}
