//! Noticing that the computer slept (a closed lid, a suspend) so the window can lock at once on
//! waking. Platforms report suspend differently; what every platform shares is that a thread
//! which ticks every few seconds sees a long gap in wall-clock time when it wakes.

use std::time::{Duration, SystemTime};

/// Watches the wall-clock gaps between regular ticks.
#[derive(Debug, Clone)]
pub struct SleepDetector {
    last: SystemTime,
    threshold: Duration,
}

impl SleepDetector {
    /// `threshold` must be well above the tick interval (a busy machine delays ticks a little).
    pub fn new(now: SystemTime, threshold: Duration) -> Self {
        SleepDetector {
            last: now,
            threshold,
        }
    }

    /// Records a tick at `now`; true when the gap since the last tick means the machine slept
    /// (or the clock jumped forward: locking then is harmless).
    pub fn tick(&mut self, now: SystemTime) -> bool {
        let gap = now.duration_since(self.last).unwrap_or(Duration::ZERO);
        self.last = now;
        gap > self.threshold
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000 + secs)
    }

    #[test]
    fn regular_ticks_are_not_sleep_and_a_long_gap_is() {
        let mut d = SleepDetector::new(at(0), Duration::from_secs(30));
        assert!(!d.tick(at(2)));
        assert!(!d.tick(at(4)));
        assert!(!d.tick(at(20)), "a 16 s stall under load is not sleep");
        assert!(d.tick(at(20 + 3600)), "an hour with the lid shut is");
        assert!(!d.tick(at(20 + 3602)), "and the next tick is normal again");
    }

    #[test]
    fn a_clock_set_backwards_is_not_sleep() {
        let mut d = SleepDetector::new(at(1000), Duration::from_secs(30));
        assert!(!d.tick(at(10)));
        assert!(!d.tick(at(12)));
    }
}
