//! The live sensor's drop monitor: `syscall_event_drops` (outputs.md §8).
//!
//! Once per second of event time the monitor reads the driver's counters (events seen
//! and events dropped), and when drops happened in that second with a ratio above
//! `threshold`, counts an occurrence and — if its token bucket (`rate`, `max_burst`,
//! claimed at the event time) has a token — asks for the configured actions, in Falco's
//! fixed order (ignore, log, alert, exit). `simulate_drops` pretends one drop per
//! second with threshold 0.

use falcoc_config::{DropAction, SyscallEventDrops};
use falcoc_engine::ratelimit::{SystemClock, TokenBucket};

const SECOND_NS: u64 = 1_000_000_000;

/// What the monitor found in a second with drops above the threshold, when the bucket
/// allowed acting on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DropReport {
    /// Events the driver saw in the last second (delivered and dropped).
    pub n_evts: u64,
    /// Events dropped in the last second.
    pub n_drops: u64,
    /// Events dropped since the start.
    pub n_drops_total: u64,
    /// The actions to take, in order.
    pub actions: Vec<DropAction>,
}

impl DropReport {
    /// The message Falco logs and alerts with.
    pub fn message(&self) -> String {
        format!(
            "Falco internal: syscall event drop. {} system calls dropped in last second.",
            self.n_drops
        )
    }
}

/// The drop monitor. See the [module documentation](self).
#[derive(Debug, Clone)]
pub struct DropMonitor {
    threshold: f64,
    simulate: bool,
    actions: Vec<DropAction>,
    bucket: TokenBucket<SystemClock>,
    next_check: Option<u64>,
    last: (u64, u64),
    occurrences: u64,
    actions_taken: u64,
}

impl DropMonitor {
    /// A monitor with `config`'s settings, its bucket full at time `now_ns`.
    pub fn new(config: &SyscallEventDrops, now_ns: u64) -> DropMonitor {
        DropMonitor {
            threshold: if config.simulate_drops {
                0.0
            } else {
                config.threshold
            },
            simulate: config.simulate_drops,
            actions: config.effective_actions(),
            bucket: TokenBucket::new(SystemClock, config.rate, config.max_burst, now_ns.max(1)),
            next_check: None,
            last: (0, 0),
            occurrences: 0,
            actions_taken: 0,
        }
    }

    /// Called with the current time and the driver's running totals (events seen,
    /// including dropped ones; events dropped). Returns a report when actions are due.
    pub fn check(
        &mut self,
        now_ns: u64,
        total_events: u64,
        total_drops: u64,
    ) -> Option<DropReport> {
        let Some(next) = self.next_check else {
            self.next_check = Some(now_ns + SECOND_NS);
            self.last = (total_events, total_drops);
            return None;
        };
        if now_ns <= next {
            return None;
        }
        self.next_check = Some(now_ns + SECOND_NS);
        let n_evts = total_events.saturating_sub(self.last.0);
        let mut n_drops = total_drops.saturating_sub(self.last.1);
        self.last = (total_events, total_drops);
        if self.simulate {
            n_drops += 1;
        }
        if n_drops == 0 {
            return None;
        }
        let ratio = if n_evts == 0 {
            1.0
        } else {
            n_drops as f64 / n_evts as f64
        };
        if ratio <= self.threshold {
            return None;
        }
        self.occurrences += 1;
        if !self.bucket.claim_at(1.0, now_ns) {
            return None;
        }
        self.actions_taken += 1;
        Some(DropReport {
            n_evts,
            n_drops,
            n_drops_total: total_drops,
            actions: self.actions.clone(),
        })
    }

    /// Seconds with drops above the threshold.
    pub fn occurrences(&self) -> u64 {
        self.occurrences
    }

    /// Times the actions were taken (the bucket allowed it).
    pub fn actions_taken(&self) -> u64 {
        self.actions_taken
    }

    /// The end-of-run lines Falco prints (`Syscall event drop monitoring:` …).
    pub fn summary(&self) -> String {
        format!(
            "Syscall event drop monitoring:\n   - event drop detected: {} occurrences\n   - num times actions taken: {}",
            self.occurrences, self.actions_taken
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(actions: &[DropAction], rate: f64, max_burst: f64) -> SyscallEventDrops {
        SyscallEventDrops {
            actions: actions.to_vec(),
            rate,
            max_burst,
            ..SyscallEventDrops::default()
        }
    }

    #[test]
    fn acts_once_per_token_on_seconds_above_threshold() {
        let t0 = 1_000 * SECOND_NS;
        let mut m = DropMonitor::new(
            &config(&[DropAction::Alert, DropAction::Log], 0.03333, 1.0),
            t0,
        );
        assert_eq!(m.check(t0, 0, 0), None); // first call: arms the clock
                                             // 1.5 s later: 1000 events, 500 dropped (50% > 10%).
        let r = m.check(t0 + 1_500_000_000, 1000, 500).unwrap();
        assert_eq!((r.n_evts, r.n_drops, r.n_drops_total), (1000, 500, 500));
        assert_eq!(r.actions, vec![DropAction::Log, DropAction::Alert]);
        assert_eq!(
            r.message(),
            "Falco internal: syscall event drop. 500 system calls dropped in last second."
        );
        // The next second drops again, but the bucket is empty (one token per 30 s).
        assert_eq!(m.check(t0 + 3_000_000_000, 2000, 900), None);
        assert_eq!((m.occurrences(), m.actions_taken()), (2, 1));
        // A second below the threshold is not an occurrence.
        assert_eq!(m.check(t0 + 4_500_000_000, 3000, 905), None);
        assert_eq!(m.occurrences(), 2);
        // 40 s later the bucket has a token again.
        assert!(m.check(t0 + 45 * SECOND_NS, 4000, 1905).is_some());
        assert!(m.summary().contains("event drop detected: 3 occurrences"));
    }

    #[test]
    fn no_drops_no_report_and_empty_actions_mean_ignore() {
        let mut m = DropMonitor::new(&config(&[], 1.0, 10.0), 1);
        m.check(1, 0, 0);
        assert_eq!(m.check(2 * SECOND_NS, 100, 0), None);
        let r = m.check(4 * SECOND_NS, 200, 50).unwrap();
        assert_eq!(r.actions, vec![DropAction::Ignore]);
    }

    #[test]
    fn simulated_drops() {
        let mut c = config(&[DropAction::Log], 1.0, 10.0);
        c.simulate_drops = true;
        let mut m = DropMonitor::new(&c, 1);
        m.check(1, 0, 0);
        let r = m.check(2 * SECOND_NS, 100, 0).unwrap();
        assert_eq!(r.n_drops, 1);
    }
}
