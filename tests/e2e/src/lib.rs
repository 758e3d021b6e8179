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
