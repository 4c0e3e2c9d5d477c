//! Per-rule cost (`falcoc replay --profile`): how often each rule's condition ran, how
//! often it matched, and how long it took.
//!
//! Counts are exact. Time is *sampled*: the condition evaluations of the first evaluated
//! event and then of one in [`SAMPLE_EVERY`] are timed (one clock read per rule, between consecutive rules),
//! and a rule's total is its mean time per timed evaluation × its evaluations. Sampling
//! keeps the profile's cost small against a plain run (a clock read costs about as much
//! as a cheap condition). Field values and check results are cached per event across
//! rules, so a value's extraction is charged to the first rule that needs it. Samples
//! longer than [`MAX_SAMPLE_NS`] are dropped (preemption, not the condition), and the
//! cost of one clock read (measured when profiling starts) is subtracted from each. Without
//! profiling the engine's cost is a predictable branch per event and per evaluation.

use std::time::Instant;

/// One evaluated event in this many has its rule evaluations timed.
pub const SAMPLE_EVERY: u32 = 16;

/// A timed evaluation longer than this (ns) is discarded: on a shared machine such a
/// sample measures the thread being descheduled, not the condition.
pub const MAX_SAMPLE_NS: u64 = 100_000;

/// What the profile knows of one rule.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleProfile {
    /// The rule.
    pub rule: String,
    /// Its source.
    pub source: String,
    /// Condition evaluations.
    pub evaluations: u64,
    /// Matches (alerts).
    pub matches: u64,
    /// Evaluations timed (see [`SAMPLE_EVERY`]; samples over [`MAX_SAMPLE_NS`] are not
    /// counted).
    pub timed_evaluations: u64,
    /// Their total time, ns.
    pub timed_ns: u64,
}

impl RuleProfile {
    /// Mean time of one evaluation, ns (0 when none was timed).
    pub fn ns_per_eval(&self) -> f64 {
        if self.timed_evaluations == 0 {
            0.0
        } else {
            self.timed_ns as f64 / self.timed_evaluations as f64
        }
    }

    /// Estimated total time of the rule's evaluations, ns.
    pub fn total_ns(&self) -> f64 {
        self.ns_per_eval() * self.evaluations as f64
    }
}

/// The counters the engine keeps while profiling, by active rule index.
#[derive(Debug, Clone, Default)]
pub(crate) struct Profiler {
    pub(crate) evaluations: Vec<u64>,
    pub(crate) timed: Vec<u64>,
    pub(crate) ns: Vec<u64>,
    tick: u32,
    /// The clock read after the previous timed rule of the current event.
    last: Option<Instant>,
    /// What one clock read costs (ns), subtracted from every sample.
    clock_ns: u64,
}

/// The smallest interval between two consecutive clock reads, over a few tries.
fn clock_cost() -> u64 {
    (0..64)
        .map(|_| {
            let a = Instant::now();
            Instant::now().duration_since(a).as_nanos() as u64
        })
        .min()
        .unwrap_or(0)
}

impl Profiler {
    pub(crate) fn new(rules: usize) -> Profiler {
        Profiler {
            evaluations: vec![0; rules],
            timed: vec![0; rules],
            ns: vec![0; rules],
            // The first event is timed (then one in SAMPLE_EVERY).
            tick: SAMPLE_EVERY - 1,
            last: None,
            clock_ns: clock_cost(),
        }
    }

    /// A new event: whether its evaluations are timed.
    #[inline]
    pub(crate) fn start_event(&mut self) {
        self.tick += 1;
        self.last = if self.tick >= SAMPLE_EVERY {
            self.tick = 0;
            Some(Instant::now())
        } else {
            None
        };
    }

    /// Rule `k` was evaluated.
    #[inline]
    pub(crate) fn evaluated(&mut self, k: usize) {
        if let Some(e) = self.evaluations.get_mut(k) {
            *e += 1;
        }
        if let Some(prev) = self.last {
            let now = Instant::now();
            let d = (now.duration_since(prev).as_nanos() as u64).saturating_sub(self.clock_ns);
            if d <= MAX_SAMPLE_NS {
                if let (Some(t), Some(n)) = (self.timed.get_mut(k), self.ns.get_mut(k)) {
                    *t += 1;
                    *n += d;
                }
            }
            self.last = Some(now);
        }
    }

    /// Alert building is not the condition's time: restart the clock after it.
    #[inline]
    pub(crate) fn resume(&mut self) {
        if self.last.is_some() {
            self.last = Some(Instant::now());
        }
    }
}
