//! Per-origin circuit breaker with exponential backoff and jitter: after `threshold`
//! consecutive failed connection attempts an origin is "open" for a backoff period, during
//! which requests fail fast with a clear error instead of piling up; when it ends, the next
//! request is the probe whose connection attempt closes or re-opens the circuit.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use super::OriginKey;
use crate::error::{Error, ErrorKind, Processed};

#[derive(Debug)]
struct State {
    failures: u32,
    open_until: Option<Instant>,
    last_error: String,
}

/// Backoff settings.
#[derive(Copy, Clone, Debug)]
pub(crate) struct Backoff {
    pub base: Duration,
    pub max: Duration,
    pub threshold: u32,
}

impl Backoff {
    /// The open period after `failures` consecutive failures (≥ threshold), with jitter in
    /// [50%, 100%] so many clients do not retry in lockstep.
    pub fn delay(&self, failures: u32, seed: u64) -> Duration {
        let exp = failures.saturating_sub(self.threshold).min(20);
        let full = self.base.saturating_mul(1u32 << exp).min(self.max);
        // xorshift of the seed: jitter needs spread, not cryptographic randomness.
        let mut x = seed | 1;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let frac = 0.5 + (x % 1000) as f64 / 2000.0;
        full.mul_f64(frac)
    }
}

pub(crate) struct Breakers {
    states: Mutex<HashMap<OriginKey, State>>,
    backoff: Backoff,
}

impl Breakers {
    pub fn new(backoff: Backoff) -> Breakers {
        Breakers {
            states: Mutex::new(HashMap::new()),
            backoff,
        }
    }

    /// The error to fail fast with while `origin`'s circuit is open.
    pub fn check(&self, origin: &OriginKey, now: Instant) -> Option<Error> {
        let states = self.states.lock();
        let s = states.get(origin)?;
        let until = s.open_until?;
        if now >= until {
            return None; // half-open: let the next attempt probe
        }
        Some(
            Error::new(
                ErrorKind::Connect,
                format!(
                    "{}:{} is unreachable ({} failed connection attempts; next try in {} ms): {}",
                    origin.host,
                    origin.port,
                    s.failures,
                    (until - now).as_millis(),
                    s.last_error
                ),
            )
            .with_processed(Processed::No),
        )
    }

    /// How long `origin`'s circuit stays open from `now`, if it is open.
    pub fn open_for(&self, origin: &OriginKey, now: Instant) -> Option<Duration> {
        let until = self.states.lock().get(origin)?.open_until?;
        (until > now).then(|| until - now)
    }

    /// The backoff before retry number `attempt` (1-based) of a failed connection attempt.
    pub fn retry_delay(&self, attempt: u32) -> Duration {
        let clock = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos() as u64);
        self.backoff
            .delay(self.backoff.threshold + attempt.saturating_sub(1), clock)
    }

    pub fn on_success(&self, origin: &OriginKey) {
        self.states.lock().remove(origin);
    }

    pub fn on_failure(&self, origin: &OriginKey, error: &Error, now: Instant) {
        let mut states = self.states.lock();
        let s = states.entry(origin.clone()).or_insert(State {
            failures: 0,
            open_until: None,
            last_error: String::new(),
        });
        s.failures += 1;
        s.last_error = error.message().to_owned();
        if s.failures >= self.backoff.threshold {
            let clock = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos() as u64);
            let seed = clock ^ (s.failures as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            s.open_until = Some(now + self.backoff.delay(s.failures, seed));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_with_jitter_and_caps() {
        let b = Backoff {
            base: Duration::from_millis(100),
            max: Duration::from_secs(2),
            threshold: 3,
        };
        for seed in 1..50u64 {
            let d3 = b.delay(3, seed);
            assert!(d3 >= Duration::from_millis(50) && d3 <= Duration::from_millis(100));
            let d5 = b.delay(5, seed);
            assert!(d5 >= Duration::from_millis(200) && d5 <= Duration::from_millis(400));
            let d30 = b.delay(30, seed);
            assert!(d30 >= Duration::from_secs(1) && d30 <= Duration::from_secs(2));
        }
    }

    #[test]
    fn opens_after_threshold_and_half_opens_after_backoff() {
        let br = Breakers::new(Backoff {
            base: Duration::from_millis(100),
            max: Duration::from_secs(1),
            threshold: 2,
        });
        let o = OriginKey {
            scheme: crate::request::Scheme::Http,
            host: "h".into(),
            port: 1,
            lane: 0,
        };
        let t = Instant::now();
        let e = Error::new(ErrorKind::Connect, "refused");
        br.on_failure(&o, &e, t);
        assert!(br.check(&o, t).is_none(), "below threshold");
        br.on_failure(&o, &e, t);
        let err = br.check(&o, t).expect("open");
        assert!(err.is_unprocessed() && err.message().contains("refused"));
        assert!(
            br.check(&o, t + Duration::from_millis(101)).is_none(),
            "half-open"
        );
        br.on_success(&o);
        assert!(br.check(&o, t).is_none());
    }
}
