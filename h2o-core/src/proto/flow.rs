//! Flow-control window arithmetic (RFC 9113 §5.2, §6.9). Windows are signed: a
//! SETTINGS_INITIAL_WINDOW_SIZE decrease can push a send window below zero.

use crate::frame::MAX_WINDOW_SIZE;

/// One flow-control window.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct Window(i64);

/// A window would exceed 2^31-1: FLOW_CONTROL_ERROR.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct Overflow;

impl Window {
    pub fn new(size: u32) -> Window {
        Window(size as i64)
    }

    /// Credit usable now (0 when the window is zero or negative).
    pub fn available(self) -> u32 {
        self.0.clamp(0, MAX_WINDOW_SIZE as i64) as u32
    }

    /// Raw value, possibly negative.
    #[cfg_attr(not(test), allow(dead_code))]
    pub fn get(self) -> i64 {
        self.0
    }

    /// Spends `n` bytes of credit; the caller checked `n <= available()` where it matters.
    pub fn consume(&mut self, n: u32) {
        self.0 -= n as i64;
    }

    /// Adds a WINDOW_UPDATE increment or applies a SETTINGS delta.
    pub fn adjust(&mut self, delta: i64) -> Result<(), Overflow> {
        let next = self.0 + delta;
        if next > MAX_WINDOW_SIZE as i64 {
            return Err(Overflow);
        }
        self.0 = next;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_rules() {
        let mut w = Window::new(65_535);
        w.consume(65_535);
        assert_eq!(w.available(), 0);
        w.adjust(-10).unwrap();
        assert_eq!((w.get(), w.available()), (-10, 0));
        w.adjust(20).unwrap();
        assert_eq!(w.available(), 10);
        let mut w = Window::new(MAX_WINDOW_SIZE);
        assert_eq!(w.adjust(1), Err(Overflow));
        assert_eq!(w.get(), MAX_WINDOW_SIZE as i64);
    }
}
