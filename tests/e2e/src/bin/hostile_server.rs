//! `hostile_server`: serves the hostile-server catalogue (tests/e2e/src/catalogue.rs) to
//! clients that are not the Rust runner — the C API's tests (tests/c/test_hostile.c, run by
//! `make c-test-plain`, `c-test-asan`, `c-test-valgrind`). The scripts and the expectations
//! stay single-sourced in the catalogue: this binary only transports them.
//!
//! It prints `listening on 127.0.0.1:PORT` (a control port), then answers line commands on
//! each control connection, one at a time:
//!
//! - `list` or `list valgrind`: one line per scenario, then `end`. A runnable scenario is
//!   `scenario\tNAME\tGROUP\tREQUESTS\tSTAGGER_MS\tPOST_BODY\tTIMEOUT_MS\tEXPECT\tCONFIG_JSON`
//!   where EXPECT is one space-separated token per request (the last repeats): `ok:STATUS`
//!   or `fail:KIND:CODE` (KIND = the h2o_result number, CODE = the RFC 9113 error code or
//!   `-` when any code is accepted), and CONFIG_JSON is the scenario's client config as the
//!   settings that differ from the defaults (`h2o_config_from_json` input). A scenario whose
//!   config cannot be expressed that way is `skip\tNAME\tREASON` (the C test lists these
//!   and fails). `valgrind` lists the [`VALGRIND_TOO_SLOW`] scenarios as
//!   `excluded\tNAME\tREASON` instead (the C test lists them; they run in the other modes).
//! - `start NAME`: starts that scenario's server; answers `port PORT`. Request `i` goes to
//!   `http://127.0.0.1:PORT/i` (GET), or `/` (POST with POST_BODY bytes of `p`).
//! - `check NAME`: once the caller has every outcome (client still alive), checks what the
//!   client wrote (GOAWAY / RST_STREAM codes, a valid frame stream, the script's own checks,
//!   the connection count); answers `pass` or `fail WHY`, and forgets the server.
//! - `stop NAME`: forgets the server without a verdict (the caller closed its client
//!   mid-scenario); answers `stopped`.
//!
//! Errors answer `error WHY`.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};

use h2o_core::Config;
use h2o_e2e::catalogue::catalogue;
use h2o_e2e::conformance::{scenario_config, Expect, Scenario, ScenarioServer};

/// Scenarios whose expectation needs the client to process frames at native speed, with
/// the reason: under valgrind (~40x slower per frame, measured) they would fail on time, not
/// on behaviour. They run in the plain and ASan+UBSan modes.
const VALGRIND_TOO_SLOW: &[(&str, &str)] = &[
    (
        "9113-10.5-window-update-flood",
        "its budget is 200000 WINDOW_UPDATE/s; valgrind slows the client to ~25000 frames/s, \
         so the budget is never exceeded (no ENHANCE_YOUR_CALM) and the 4 s headers timeout ends it",
    ),
    (
        "9113-10.5-goaway-flood",
        "100000 GOAWAY frames before the response take ~4.5 s under valgrind: over the 4 s headers timeout",
    ),
    (
        "9113-10.5-settings-ack-flood",
        "100000 SETTINGS ACKs before the response take ~3.5 s under valgrind: on the edge of the 4 s headers timeout",
    ),
    (
        "9113-10.5-ping-ack-flood",
        "100000 PING ACKs before the response take ~2.8 s under valgrind: near the 4 s headers timeout",
    ),
];

fn expect_token(e: &Expect) -> String {
    match e {
        Expect::Ok(status) => format!("ok:{status}"),
        Expect::Fail(kind, code) => format!(
            "fail:{}:{}",
            *kind as u32,
            code.map_or("-".to_string(), |c| c.to_u32().to_string())
        ),
    }
}

/// The scenario's manifest line.
fn manifest_line(s: &Scenario) -> String {
    let cfg = scenario_config(s);
    let json = cfg.to_json_changes().to_string();
    match Config::from_json_str(&json) {
        Ok(back) if back == cfg => {}
        Ok(_) => {
            return format!(
                "skip\t{}\tits client config does not round-trip through JSON settings",
                s.name
            )
        }
        Err(e) => return format!("skip\t{}\tits client config JSON is rejected: {e}", s.name),
    }
    let expect: Vec<String> = s.expect.iter().map(expect_token).collect();
    format!(
        "scenario\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
        s.name,
        s.group.name(),
        s.requests,
        s.stagger.as_millis(),
        s.post_body,
        s.timeout.as_millis(),
        expect.join(" "),
        json
    )
}

fn valgrind_line(s: &Scenario) -> String {
    match VALGRIND_TOO_SLOW.iter().find(|(n, _)| *n == s.name) {
        Some((_, why)) => format!("excluded\t{}\t{why}", s.name),
        None => manifest_line(s),
    }
}

fn serve(conn: TcpStream, all: &[Scenario], running: &mut HashMap<String, ScenarioServer>) {
    let mut out = match conn.try_clone() {
        Ok(c) => c,
        Err(_) => return,
    };
    for line in BufReader::new(conn).lines() {
        let Ok(line) = line else { return };
        let (cmd, arg) = line.trim().split_once(' ').unwrap_or((line.trim(), ""));
        let find = |name: &str| all.iter().find(|s| s.name == name);
        let reply = match cmd {
            "list" => {
                let line: fn(&Scenario) -> String = match arg {
                    "" => manifest_line,
                    "valgrind" => valgrind_line,
                    other => {
                        let _ = writeln!(out, "error unknown subset {other:?}");
                        continue;
                    }
                };
                let mut r: Vec<String> = all.iter().map(line).collect();
                r.push("end".into());
                r.join("\n")
            }
            "start" => match find(arg) {
                Some(s) => {
                    let srv = ScenarioServer::start(s);
                    let port = srv.port();
                    running.insert(arg.to_string(), srv);
                    format!("port {port}")
                }
                None => format!("error no scenario {arg:?}"),
            },
            // Ends a scenario without a verdict (a client closed mid-scenario: what it
            // wrote is not what the script expects, so there is nothing to wait for).
            "stop" => match running.remove(arg) {
                Some(_) => "stopped".to_string(),
                None => format!("error {arg:?} is not running"),
            },
            "check" => match (find(arg), running.remove(arg)) {
                (Some(s), Some(srv)) => {
                    let why = srv.verdict(s);
                    if why.is_empty() {
                        "pass".to_string()
                    } else {
                        format!("fail {}", why.join("; ").replace('\n', " "))
                    }
                }
                _ => format!("error {arg:?} is not running"),
            },
            _ => format!("error unknown command {line:?}"),
        };
        if writeln!(out, "{reply}").is_err() {
            return;
        }
    }
}

fn main() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind the control port");
    println!(
        "listening on {}",
        listener.local_addr().expect("local addr")
    );
    let _ = std::io::stdout().flush();
    let all = catalogue();
    let mut running = HashMap::new();
    for conn in listener.incoming().flatten() {
        serve(conn, &all, &mut running);
    }
}
