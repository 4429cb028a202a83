//! The idle lock, decided in the core and run by the shell: the window only *reports* activity;
//! a watcher outside the webview drops the key when none has come for the idle time. A frozen or
//! closed webview therefore cannot keep a store open — the lock fails closed.

use std::time::{Duration, Instant};

/// When the last activity was, and how long the store may stay open without another.
#[derive(Debug, Clone)]
pub struct IdleLock {
    last: Instant,
    limit: Duration,
}

impl IdleLock {
    pub fn new(now: Instant, minutes: u32) -> Self {
        IdleLock {
            last: now,
            // The setting is 1 to 60 minutes; a stored value outside that is held to it.
            limit: Duration::from_secs(u64::from(minutes.clamp(1, 60)) * 60),
        }
    }

    /// The person did something in the window.
    pub fn activity(&mut self, now: Instant) {
        if now > self.last {
            self.last = now;
        }
    }

    /// True once the idle time has passed with no activity.
    pub fn due(&self, now: Instant) -> bool {
        now.saturating_duration_since(self.last) >= self.limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_after_the_idle_time_and_not_before() {
        let t0 = Instant::now();
        let mut idle = IdleLock::new(t0, 5);
        assert!(!idle.due(t0 + Duration::from_secs(299)));
        assert!(idle.due(t0 + Duration::from_secs(300)));
        idle.activity(t0 + Duration::from_secs(200));
        assert!(!idle.due(t0 + Duration::from_secs(499)));
        assert!(idle.due(t0 + Duration::from_secs(500)));
    }

    #[test]
    fn a_stored_value_beyond_an_hour_is_held_to_an_hour() {
        let t0 = Instant::now();
        assert!(IdleLock::new(t0, 100_000).due(t0 + Duration::from_secs(3600)));
    }

    #[test]
    fn a_late_report_never_moves_the_clock_back_and_zero_minutes_is_one() {
        let t0 = Instant::now();
        let mut idle = IdleLock::new(t0 + Duration::from_secs(10), 0);
        idle.activity(t0);
        assert!(!idle.due(t0 + Duration::from_secs(69)));
        assert!(idle.due(t0 + Duration::from_secs(70)));
    }
}
