//! Shared helpers of the end-to-end tests: streaming checksums and the expected digest of
//! the test servers' pattern bodies (byte i = i % 251).

pub mod catalogue;
pub mod conformance;
pub mod interop;
pub mod proxy;
pub mod raw;

use sha2::{Digest, Sha256};

use h2o_core::client::{block_on, Request};
use h2o_core::{Client, Response};

/// SHA-256 of `len` bytes of the servers' pattern, computed without holding it in memory.
pub fn pattern_sha256(len: u64) -> String {
    let block: Vec<u8> = (0..251u32 * 64).map(|i| (i % 251) as u8).collect();
    let mut h = Sha256::new();
    let mut left = len;
    while left > 0 {
        let n = left.min(block.len() as u64) as usize;
        h.update(&block[..n]);
        left -= n as u64;
    }
    hex(&h.finalize())
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What a fetch produced: status, body length and SHA-256, trailers.
#[derive(Debug)]
pub struct Fetched {
    pub status: u16,
    pub len: u64,
    pub sha256: String,
    pub response: Response,
}

/// Sends `req` and reads the body chunk by chunk into a running checksum.
pub fn fetch(client: &Client, req: Request) -> h2o_core::Result<Fetched> {
    block_on(async {
        let mut resp = client.send(req).await?;
        let mut h = Sha256::new();
        let mut len = 0u64;
        while let Some(c) = resp.chunk().await? {
            len += c.len() as u64;
            h.update(&c);
        }
        Ok(Fetched {
            status: resp.status(),
            len,
            sha256: hex(&h.finalize()),
            response: resp,
        })
    })
}

/// Asserts the client holds no request, stream or queued work (leak check after a test).
pub fn assert_no_leaks(client: &Client) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let s = client.stats();
        let clean = s.requests_in_flight() == 0
            && s.open_streams() == 0
            && s.connections.iter().all(|c| c.queued == 0);
        if clean {
            return;
        }
        if std::time::Instant::now() > deadline {
            panic!("leaked requests or streams: {s:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// GET `url` via [`fetch`].
pub fn get(client: &Client, url: &str) -> h2o_core::Result<Fetched> {
    fetch(client, Request::get(url)?)
}

/// What [`closed_loop`] saw.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct LoopCounts {
    /// Requests that ended with status 200 and a body of the expected length.
    pub ok: u64,
    /// Requests that ended with an error.
    pub errors: u64,
    /// Requests that ended, however.
    pub ended: u64,
}

/// Keeps `in_flight` GETs of `url` going through the event-sink API, each new one submitted
/// from a completion callback (on the runtime thread, as the C callbacks and `h2o bench`
/// do), until `total` have ended. Panics if none ends for 60 s.
pub fn closed_loop(
    client: &Client,
    url: &str,
    total: u64,
    in_flight: u64,
    body_len: usize,
) -> LoopCounts {
    use h2o_core::client::{Consumed, ResponseEvent};
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::{Arc, Condvar, Mutex};

    struct Run {
        client: Client,
        url: String,
        body_len: usize,
        remaining: AtomicU64,
        ended: Mutex<LoopCounts>,
        cv: Condvar,
    }
    fn launch(run: Arc<Run>) {
        let claimed = run
            .remaining
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |r| r.checked_sub(1));
        if claimed.is_err() {
            return;
        }
        let (mut status, mut len) = (0u16, 0usize);
        let me = run.clone();
        run.client
            .submit(Request::get(&run.url).unwrap(), move |ev: ResponseEvent| {
                match ev {
                    ResponseEvent::Head { status: s, .. } => status = s,
                    ResponseEvent::Data(d) => len += d.len(),
                    ResponseEvent::Done | ResponseEvent::Error(_) => {
                        {
                            let mut c = me.ended.lock().unwrap();
                            c.ended += 1;
                            if matches!(ev, ResponseEvent::Error(_)) {
                                c.errors += 1;
                            } else if status == 200 && len == me.body_len {
                                c.ok += 1;
                            }
                        }
                        me.cv.notify_all();
                        launch(me.clone());
                    }
                    _ => {}
                }
                Consumed::Now
            });
    }
    let run = Arc::new(Run {
        client: client.clone(),
        url: url.to_owned(),
        body_len,
        remaining: AtomicU64::new(total),
        ended: Mutex::new(LoopCounts::default()),
        cv: Condvar::new(),
    });
    for _ in 0..in_flight {
        launch(run.clone());
    }
    let mut c = run.ended.lock().unwrap();
    let mut seen = (c.ended, std::time::Instant::now());
    while c.ended < total {
        if c.ended != seen.0 {
            seen = (c.ended, std::time::Instant::now());
        }
        assert!(
            seen.1.elapsed() < std::time::Duration::from_secs(60),
            "closed loop stalled after {} of {total}",
            c.ended
        );
        c = run
            .cv
            .wait_timeout(c, std::time::Duration::from_millis(100))
            .unwrap()
            .0;
    }
    *c
}
