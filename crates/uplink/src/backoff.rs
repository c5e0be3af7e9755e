//! Exponential backoff with full jitter: the n-th wait is uniform in `0..=min(cap, base·2ⁿ)`,
//! so stations that lost the centre together do not all come back in the same instant.

use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// A backoff sequence.
#[derive(Debug)]
pub struct Backoff {
    base: Duration,
    cap: Duration,
    attempt: u32,
    rng: StdRng,
}

impl Backoff {
    /// Waits from `base` doubling up to `cap`; `seed` makes the jitter reproducible (tests),
    /// `None` seeds from the operating system.
    pub fn new(base: Duration, cap: Duration, seed: Option<u64>) -> Self {
        Self {
            base,
            cap: cap.max(base),
            attempt: 0,
            rng: match seed {
                Some(s) => StdRng::seed_from_u64(s),
                None => StdRng::from_entropy(),
            },
        }
    }

    /// The ceiling of the next wait.
    pub fn ceiling(&self) -> Duration {
        let factor = 1u32.checked_shl(self.attempt.min(31)).unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.cap)
    }

    /// The next wait.
    pub fn next_delay(&mut self) -> Duration {
        let ceiling = self.ceiling();
        self.attempt = self.attempt.saturating_add(1);
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(self.rng.gen_range(0..=nanos))
    }

    /// How many waits since the last success.
    pub fn attempts(&self) -> u32 {
        self.attempt
    }

    /// After a success: start again from `base`.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_stay_under_the_doubling_ceiling_and_the_cap() {
        let base = Duration::from_millis(100);
        let cap = Duration::from_secs(10);
        let mut b = Backoff::new(base, cap, Some(7));
        for n in 0..40u32 {
            let ceiling = if n < 7 { base * 2u32.pow(n) } else { cap };
            assert_eq!(b.ceiling(), ceiling, "attempt {n}");
            assert!(b.next_delay() <= ceiling);
        }
        b.reset();
        assert_eq!(b.ceiling(), base);
    }

    #[test]
    fn jitter_is_full_and_seeded() {
        let mut a = Backoff::new(Duration::from_secs(1), Duration::from_secs(1), Some(42));
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(1), Some(42));
        let xs: Vec<Duration> = (0..200).map(|_| a.next_delay()).collect();
        let ys: Vec<Duration> = (0..200).map(|_| b.next_delay()).collect();
        assert_eq!(xs, ys, "same seed, same waits");
        // Full jitter: the waits spread over the whole range, not clustered at the ceiling.
        let low = xs
            .iter()
            .filter(|d| **d < Duration::from_millis(250))
            .count();
        let high = xs
            .iter()
            .filter(|d| **d > Duration::from_millis(750))
            .count();
        assert!(low > 20 && high > 20, "low {low}, high {high}");
        let mut c = Backoff::new(Duration::from_secs(1), Duration::from_secs(1), Some(43));
        assert_ne!(xs, (0..200).map(|_| c.next_delay()).collect::<Vec<_>>());
    }
}
