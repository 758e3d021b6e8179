//! Budgets against hostile peers (and against ourselves): frames that cost work but carry
//! nothing the caller asked for are counted per one-second window; a peer that exceeds a
//! budget gets GOAWAY(ENHANCE_YOUR_CALM). Our own RST_STREAM rate has a budget too, so a
//! storm of cancellations never turns the client into a rapid-reset attacker: once it is
//! spent, new streams wait for the next window instead of being opened and reset.

use std::time::{Duration, Instant};

/// Per-second limits; the defaults are far above what a well-behaved server sends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FloodLimits {
    /// Non-ACK SETTINGS frames from the peer.
    pub settings_per_sec: u32,
    /// Non-ACK PING frames from the peer.
    pub pings_per_sec: u32,
    /// RST_STREAM frames from the peer.
    pub resets_per_sec: u32,
    /// WINDOW_UPDATE frames from the peer.
    pub window_updates_per_sec: u32,
    /// Empty DATA frames without END_STREAM, empty CONTINUATION, unknown-type frames.
    pub empty_frames_per_sec: u32,
    /// RST_STREAM frames we send (cancellations); beyond it new streams wait.
    pub local_resets_per_sec: u32,
    /// Bytes of control frames (PING/SETTINGS ACKs, RST_STREAM) waiting unwritten because
    /// the peer does not read: beyond it, ENHANCE_YOUR_CALM.
    pub max_control_backlog: usize,
}

impl Default for FloodLimits {
    fn default() -> FloodLimits {
        FloodLimits {
            settings_per_sec: 200,
            pings_per_sec: 2_000,
            resets_per_sec: 20_000,
            window_updates_per_sec: 200_000,
            empty_frames_per_sec: 2_000,
            local_resets_per_sec: 5_000,
            max_control_backlog: 1 << 20,
        }
    }
}

/// What a counted frame was.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Cost {
    Settings,
    Ping,
    Reset,
    WindowUpdate,
    Empty,
    LocalReset,
}

#[derive(Debug)]
pub(crate) struct FloodGuard {
    window_start: Option<Instant>,
    counts: [u32; 6],
}

impl FloodGuard {
    pub fn new() -> FloodGuard {
        FloodGuard {
            window_start: None,
            counts: [0; 6],
        }
    }

    fn roll(&mut self, now: Instant) {
        match self.window_start {
            Some(start) if now.saturating_duration_since(start) < Duration::from_secs(1) => {}
            _ => {
                self.window_start = Some(now);
                self.counts = [0; 6];
            }
        }
    }

    /// Counts one frame; false when it exceeds its budget.
    pub fn spend(&mut self, cost: Cost, now: Instant, limits: &FloodLimits) -> bool {
        self.roll(now);
        let limit = match cost {
            Cost::Settings => limits.settings_per_sec,
            Cost::Ping => limits.pings_per_sec,
            Cost::Reset => limits.resets_per_sec,
            Cost::WindowUpdate => limits.window_updates_per_sec,
            Cost::Empty => limits.empty_frames_per_sec,
            Cost::LocalReset => limits.local_resets_per_sec,
        };
        let c = &mut self.counts[cost as usize];
        *c = c.saturating_add(1);
        *c <= limit
    }

    /// Whether our own reset budget is spent in the window that contains `now`.
    pub fn local_resets_exhausted(&self, now: Instant, limits: &FloodLimits) -> bool {
        // The count first: this runs for every stream opened, and the budget is almost
        // never spent.
        self.counts[Cost::LocalReset as usize] >= limits.local_resets_per_sec
            && self
                .window_start
                .is_some_and(|start| now.saturating_duration_since(start) < Duration::from_secs(1))
    }

    /// When the current window ends (new streams held back by the reset budget resume).
    pub fn window_end(&self) -> Option<Instant> {
        self.window_start.map(|s| s + Duration::from_secs(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_per_window_then_reset() {
        let limits = FloodLimits {
            pings_per_sec: 3,
            ..FloodLimits::default()
        };
        let mut g = FloodGuard::new();
        let t = Instant::now();
        assert!((0..3).all(|_| g.spend(Cost::Ping, t, &limits)));
        assert!(!g.spend(Cost::Ping, t, &limits));
        assert!(g.spend(Cost::Settings, t, &limits), "budgets are per kind");
        assert!(g.spend(Cost::Ping, t + Duration::from_millis(1001), &limits));
    }
}
