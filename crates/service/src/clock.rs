//! Where "now" comes from: the system clock at the station, a settable clock in tests.

use std::fmt;
use std::sync::Mutex;

use time::{Duration, OffsetDateTime};

/// A source of the current instant. Every time the crate records comes from here, so tests can
/// move time without sleeping.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current instant (any offset; the crate converts to the office's zone).
    fn now(&self) -> OffsetDateTime;
}

/// The operating system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that stands still until told to move.
#[derive(Debug)]
pub struct TestClock {
    now: Mutex<OffsetDateTime>,
}

impl TestClock {
    /// A clock showing `start`.
    pub fn new(start: OffsetDateTime) -> TestClock {
        TestClock {
            now: Mutex::new(start),
        }
    }

    /// Moves the clock to `t`.
    pub fn set(&self, t: OffsetDateTime) {
        let mut now = self.now.lock().unwrap_or_else(|p| p.into_inner());
        *now = t;
    }

    /// Moves the clock forward by `d`.
    pub fn advance(&self, d: Duration) {
        let mut now = self.now.lock().unwrap_or_else(|p| p.into_inner());
        *now += d;
    }
}

impl Clock for TestClock {
    fn now(&self) -> OffsetDateTime {
        *self.now.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn test_clock_moves_only_when_told() {
        let c = TestClock::new(datetime!(2026-03-02 08:00 +7));
        assert_eq!(c.now(), datetime!(2026-03-02 08:00 +7));
        c.advance(Duration::minutes(31));
        assert_eq!(c.now(), datetime!(2026-03-02 08:31 +7));
        c.set(datetime!(2026-03-03 09:00 +7));
        assert_eq!(c.now(), datetime!(2026-03-03 09:00 +7));
    }

    #[test]
    fn system_clock_is_near_now() {
        let d = SystemClock.now() - OffsetDateTime::now_utc();
        assert!(d.abs() < Duration::seconds(5));
    }
}
