//! Server restart under load: nginx reloaded (graceful, GOAWAY) and then restarted (killed
//! and started again on the same port) while 50 000 requests run with 100 in flight. Every
//! request ends exactly once; counting on both sides (nginx's access log against the
//! client's results), nothing is lost and nothing is duplicated; failures are only of the
//! documented kinds, and those marked unprocessed never reached the server.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use h2o_core::client::{Consumed, Request, ResponseEvent};
use h2o_core::{Client, ErrorKind, Processed};
use h2o_testsupport::{Mode, RealServer, ServerKind};

#[derive(Clone, Debug)]
enum Outcome {
    Ok,
    Failed(ErrorKind, Processed),
}

struct Run {
    client: Client,
    port: u16,
    next: AtomicU64,
    total: u64,
    outcomes: Mutex<HashMap<u64, Vec<Outcome>>>,
    done: (Mutex<u64>, Condvar),
}

fn launch(run: &Arc<Run>) {
    let id = run.next.fetch_add(1, Ordering::Relaxed);
    if id >= run.total {
        return;
    }
    let url = format!("http://127.0.0.1:{}/13b?id={id}", run.port);
    let r = run.clone();
    let mut ok = false;
    run.client
        .submit(Request::get(&url).unwrap(), move |ev: ResponseEvent| {
            match &ev {
                ResponseEvent::Head { status, .. } => ok = *status == 200,
                ResponseEvent::Done | ResponseEvent::Error(_) => {
                    let outcome = match ev {
                        ResponseEvent::Error(e) => Outcome::Failed(e.kind(), e.processed()),
                        _ if ok => Outcome::Ok,
                        _ => Outcome::Failed(ErrorKind::Protocol, Processed::Maybe),
                    };
                    r.outcomes
                        .lock()
                        .unwrap()
                        .entry(id)
                        .or_default()
                        .push(outcome);
                    {
                        let (m, cv) = &r.done;
                        *m.lock().unwrap() += 1;
                        cv.notify_all();
                    }
                    launch(&r);
                }
                _ => {}
            }
            Consumed::Now
        });
}

fn wait_done(run: &Run, at_least: u64) {
    let (m, cv) = &run.done;
    let mut g = m.lock().unwrap();
    while *g < at_least {
        let (ng, t) = cv.wait_timeout(g, Duration::from_secs(60)).unwrap();
        g = ng;
        assert!(!t.timed_out(), "stalled at {} of {at_least}", *g);
    }
}

#[test]
fn nginx_reload_and_restart_under_load_lose_and_duplicate_nothing() {
    let mut server = RealServer::start(ServerKind::Nginx, Mode::H2c);
    let total = 50_000;
    let run = Arc::new(Run {
        client: Client::new().unwrap(),
        port: server.port(),
        next: AtomicU64::new(0),
        total,
        outcomes: Mutex::new(HashMap::new()),
        done: (Mutex::new(0), Condvar::new()),
    });
    for _ in 0..100 {
        launch(&run);
    }
    wait_done(&run, total / 3);
    assert!(server.graceful_reload().unwrap(), "nginx reloads on SIGHUP");
    wait_done(&run, 2 * total / 3);
    server.restart(Duration::from_millis(100));
    wait_done(&run, total);

    // Client side: every request ended exactly once.
    let outcomes = run.outcomes.lock().unwrap();
    assert_eq!(outcomes.len() as u64, total);
    assert!(
        outcomes.values().all(|v| v.len() == 1),
        "a request ended twice"
    );
    // Server side: ids in the access log (give nginx a moment to flush it).
    std::thread::sleep(Duration::from_millis(300));
    let log = std::fs::read_to_string(server.workdir().join("access.log")).unwrap();
    let mut served: HashMap<u64, u32> = HashMap::new();
    for line in log.lines() {
        if let Some(id) = line
            .split("/13b?id=")
            .nth(1)
            .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|d| d.parse::<u64>().ok())
        {
            *served.entry(id).or_default() += 1;
        }
    }
    let mut ok = 0;
    let mut failed: HashMap<String, u64> = HashMap::new();
    for (id, v) in outcomes.iter() {
        let seen = served.get(id).copied().unwrap_or(0);
        assert!(seen <= 1, "request {id} reached the server {seen} times");
        match &v[0] {
            Outcome::Ok => {
                ok += 1;
                assert_eq!(seen, 1, "request {id} succeeded but nginx did not log it");
            }
            Outcome::Failed(kind, processed) => {
                *failed.entry(format!("{kind:?}/{processed:?}")).or_default() += 1;
                assert!(
                    matches!(
                        kind,
                        ErrorKind::Io | ErrorKind::Connect | ErrorKind::GoAway | ErrorKind::Refused
                    ),
                    "undocumented failure kind {kind:?} for request {id}"
                );
                if *processed == Processed::No {
                    assert_eq!(
                        seen, 0,
                        "request {id} marked unprocessed but nginx served it"
                    );
                }
            }
        }
    }
    eprintln!(
        "restart under load: {ok} ok of {total}, failures {failed:?}, {} retried, {} connections",
        run.client.stats().requests_retried,
        run.client.stats().connections_created
    );
    // The graceful reload alone loses nothing; the hard restart may fail what was in flight.
    assert!(ok as u64 >= total - 200, "{ok} ok of {total}");
}
