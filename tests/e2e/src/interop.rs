//! Helpers of the interop matrix (`tests/interop.rs`): byte-exact pattern checks that cost a
//! memcmp (debug builds hash slowly), SHA-1 (what the servers' `/upload` handlers report), and
//! counting the TCP connections to a port.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll, Wake, Waker};

/// Checks a body chunk by chunk against the servers' pattern (byte i = i % 251).
#[derive(Debug, Default)]
pub struct PatternCheck {
    offset: u64,
    first_mismatch: Option<u64>,
}

fn pattern_block() -> &'static [u8] {
    // 251 * 1024 bytes: any offset's continuation is a slice of it.
    static BLOCK: OnceLock<Vec<u8>> = OnceLock::new();
    BLOCK.get_or_init(|| (0..251u32 * 1024).map(|i| (i % 251) as u8).collect())
}

impl PatternCheck {
    /// A check starting at offset 0.
    pub fn new() -> PatternCheck {
        PatternCheck::default()
    }

    /// Feeds the next chunk.
    pub fn update(&mut self, mut chunk: &[u8]) {
        let block = pattern_block();
        while !chunk.is_empty() {
            let start = (self.offset % 251) as usize;
            let n = chunk.len().min(block.len() - start);
            if self.first_mismatch.is_none() && chunk[..n] != block[start..start + n] {
                let at = chunk[..n]
                    .iter()
                    .zip(&block[start..start + n])
                    .position(|(a, b)| a != b)
                    .unwrap_or(0);
                self.first_mismatch = Some(self.offset + at as u64);
            }
            self.offset += n as u64;
            chunk = &chunk[n..];
        }
    }

    /// Bytes seen so far.
    pub fn len(&self) -> u64 {
        self.offset
    }

    /// Whether nothing was seen.
    pub fn is_empty(&self) -> bool {
        self.offset == 0
    }

    /// The offset of the first byte that differs from the pattern, if any.
    pub fn first_mismatch(&self) -> Option<u64> {
        self.first_mismatch
    }
}

/// `len` bytes of the pattern.
pub fn pattern_bytes(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

/// SHA-1 (FIPS 180-4) in lowercase hex: the h2o server's mruby (`Digest::SHA1`) and apache2's
/// mod_lua (`r:sha1`) have no SHA-256.
pub fn sha1_hex(data: &[u8]) -> String {
    let mut h: [u32; 5] = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0];
    let bit_len = (data.len() as u64).wrapping_mul(8);
    let mut tail = data[data.len() - data.len() % 64..].to_vec();
    tail.push(0x80);
    while tail.len() % 64 != 56 {
        tail.push(0);
    }
    tail.extend_from_slice(&bit_len.to_be_bytes());
    let full = &data[..data.len() - data.len() % 64];
    for block in full.chunks_exact(64).chain(tail.chunks_exact(64)) {
        let mut w = [0u32; 80];
        for (i, word) in block.chunks_exact(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..80 {
            w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
        }
        let [mut a, mut b, mut c, mut d, mut e] = h;
        for (i, wi) in w.iter().enumerate() {
            let (f, k) = match i {
                0..=19 => ((b & c) | (!b & d), 0x5A827999),
                20..=39 => (b ^ c ^ d, 0x6ED9EBA1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1BBCDC),
                _ => (b ^ c ^ d, 0xCA62C1D6),
            };
            let t = a
                .rotate_left(5)
                .wrapping_add(f)
                .wrapping_add(e)
                .wrapping_add(k)
                .wrapping_add(*wi);
            e = d;
            d = c;
            c = b.rotate_left(30);
            b = a;
            a = t;
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e]) {
            *x = x.wrapping_add(y);
        }
    }
    h.iter().map(|x| format!("{x:08x}")).collect()
}

/// ESTABLISHED TCP connections (IPv4 and IPv6) whose remote port is `port`: the client side
/// of the connections to a local server on that port.
pub fn established_connections_to(port: u16) -> usize {
    connections_to(port).len()
}

/// The local ports of the ESTABLISHED TCP connections whose remote port is `port`, sorted.
pub fn connections_to(port: u16) -> Vec<u16> {
    let mut out = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            // sl local_address rem_address st ...
            let mut fields = line.split_whitespace();
            let (Some(_), Some(local), Some(remote), Some(state)) =
                (fields.next(), fields.next(), fields.next(), fields.next())
            else {
                continue;
            };
            let remote_port = remote
                .rsplit_once(':')
                .and_then(|(_, p)| u16::from_str_radix(p, 16).ok());
            let local_port = local
                .rsplit_once(':')
                .and_then(|(_, p)| u16::from_str_radix(p, 16).ok());
            if let (Some(local), "01", Some(remote)) = (local_port, state, remote_port) {
                if remote == port {
                    out.push(local);
                }
            }
        }
    }
    out.sort_unstable();
    out
}

/// Drives the futures `make(0)`, `make(1)`, ... on the calling thread, at most `limit` at a
/// time (a new one starts as soon as one finishes), until `make` returns `None`; each is woken
/// individually (no O(n) polling per wake-up). `on_done(i, output, finished_so_far)` runs as
/// each one finishes, on this thread. Returns how many ran.
///
/// Panics if nothing finishes for [`RUN_BOUNDED_WATCHDOG`] while futures are pending: a request
/// the client never finishes shows up as a failure naming the stuck indices, not a hung test.
pub fn run_bounded<T, F, M, D>(limit: usize, make: M, on_done: D) -> usize
where
    F: Future<Output = T>,
    M: FnMut(usize) -> Option<F>,
    D: FnMut(usize, T, usize),
{
    match run_bounded_until(limit, RUN_BOUNDED_WATCHDOG, make, on_done) {
        Ok(ran) => ran,
        Err(stuck) => panic!(
            "{} futures still pending, nothing finished for {RUN_BOUNDED_WATCHDOG:?} (the client \
             lost them?): indices {:?}",
            stuck.len(),
            &stuck[..stuck.len().min(20)]
        ),
    }
}

/// How long [`run_bounded`] waits without any future finishing.
pub const RUN_BOUNDED_WATCHDOG: std::time::Duration = std::time::Duration::from_secs(60);

/// [`run_bounded`] with a stall watchdog: `Err(indices still pending)` (they are dropped) once
/// nothing has finished for `watchdog`.
pub fn run_bounded_until<T, F, M, D>(
    limit: usize,
    watchdog: std::time::Duration,
    mut make: M,
    mut on_done: D,
) -> Result<usize, Vec<usize>>
where
    F: Future<Output = T>,
    M: FnMut(usize) -> Option<F>,
    D: FnMut(usize, T, usize),
{
    struct SlotWaker {
        slot: usize,
        ready: Arc<Mutex<Vec<usize>>>,
        thread: std::thread::Thread,
    }
    impl Wake for SlotWaker {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.ready.lock().unwrap().push(self.slot);
            self.thread.unpark();
        }
    }
    let limit = limit.max(1);
    let ready = Arc::new(Mutex::new(Vec::new()));
    let wakers: Vec<Waker> = (0..limit)
        .map(|slot| {
            Waker::from(Arc::new(SlotWaker {
                slot,
                ready: ready.clone(),
                thread: std::thread::current(),
            }))
        })
        .collect();
    /// A running future and its index.
    type Slot<F> = Option<(usize, Pin<Box<F>>)>;
    let mut slots: Vec<Slot<F>> = (0..limit).map(|_| None).collect();
    let (mut started, mut finished, mut live, mut exhausted) = (0, 0, 0, false);
    let mut to_poll: Vec<usize> = (0..limit).collect();
    let mut last_progress = std::time::Instant::now();
    loop {
        // Refill free slots (the ones about to be polled) while `make` has more.
        for &slot in &to_poll {
            if slots[slot].is_none() && !exhausted {
                match make(started) {
                    Some(fut) => {
                        slots[slot] = Some((started, Box::pin(fut)));
                        started += 1;
                        live += 1;
                    }
                    None => exhausted = true,
                }
            }
        }
        if live == 0 {
            return Ok(started);
        }
        if last_progress.elapsed() > watchdog {
            return Err(slots.iter().flatten().map(|(i, _)| *i).collect());
        }
        for slot in std::mem::take(&mut to_poll) {
            let Some((i, fut)) = slots[slot].as_mut() else {
                continue;
            };
            let mut cx = Context::from_waker(&wakers[slot]);
            if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
                let i = *i;
                slots[slot] = None;
                live -= 1;
                finished += 1;
                last_progress = std::time::Instant::now();
                on_done(i, out, finished);
                // Free: refilled and polled on the next round.
                to_poll.push(slot);
            }
        }
        if to_poll.is_empty() && ready.lock().unwrap().is_empty() {
            std::thread::park_timeout(std::time::Duration::from_millis(500));
        }
        to_poll.append(&mut ready.lock().unwrap());
        to_poll.sort_unstable();
        to_poll.dedup();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha1_known_answers() {
        assert_eq!(sha1_hex(b""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        assert_eq!(sha1_hex(b"abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert_eq!(
            sha1_hex(b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1"
        );
        assert_eq!(
            sha1_hex(&vec![b'a'; 1_000_000]),
            "34aa973cd4c4daa4f61eeb2bdbad27316534016f"
        );
    }

    #[test]
    fn run_bounded_runs_everything_with_the_limit() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let live = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let mut seen = [false; 50];
        let ran = run_bounded(
            7,
            |i| {
                let (live, peak) = (live.clone(), peak.clone());
                (i < 50).then_some(async move {
                    let now = live.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    // Yield once through another thread's wake-up.
                    let mut woken = false;
                    std::future::poll_fn(|cx| {
                        if woken {
                            return Poll::Ready(());
                        }
                        woken = true;
                        let w = cx.waker().clone();
                        std::thread::spawn(move || w.wake());
                        Poll::Pending
                    })
                    .await;
                    live.fetch_sub(1, Ordering::SeqCst);
                    i * 2
                })
            },
            |i, out, _| {
                assert_eq!(out, i * 2);
                seen[i] = true;
            },
        );
        assert_eq!(ran, 50);
        assert!(seen.iter().all(|&s| s));
        assert!(peak.load(Ordering::SeqCst) <= 7);
    }

    #[test]
    fn run_bounded_until_reports_what_never_finished() {
        let r = run_bounded_until(
            4,
            std::time::Duration::from_millis(200),
            |i| {
                (i < 6).then_some(std::future::poll_fn(move |_| {
                    if i == 2 || i == 4 {
                        Poll::Pending
                    } else {
                        Poll::Ready(())
                    }
                }))
            },
            |_, _, _| {},
        );
        assert_eq!(
            r.map_err(|mut s| {
                s.sort();
                s
            }),
            Err(vec![2, 4])
        );
    }

    #[test]
    fn pattern_check_finds_the_first_difference() {
        let mut c = PatternCheck::new();
        let body = pattern_bytes(300_000);
        for part in body.chunks(16_381) {
            c.update(part);
        }
        assert_eq!((c.len(), c.first_mismatch()), (300_000, None));
        let mut bad = pattern_bytes(1000);
        bad[777] ^= 1;
        let mut c = PatternCheck::new();
        c.update(&bad[..500]);
        c.update(&bad[500..]);
        assert_eq!(c.first_mismatch(), Some(777));
    }
}
