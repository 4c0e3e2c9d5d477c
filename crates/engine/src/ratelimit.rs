//! The token bucket of Falco's `outputs.rate` / `outputs.max_burst` (outputs.md §7) and of
//! the `syscall_event_drops` actions (§8).
//!
//! The arithmetic is libsinsp's `token_bucket` exactly:
//!
//! * [`TokenBucket::new`] (`init(rate, max_tokens, now)`): `tokens = max_tokens` (the
//!   bucket starts **full**), `last_seen = now` (the clock's time when `now` is 0).
//! * [`TokenBucket::claim_at`] (`claim(tokens, now)`):
//!   `gained = rate * ((now - last_seen) / 1e9)` with the difference taken in **unsigned
//!   64-bit wrapping** arithmetic and converted to `f64` before the division, as in C++;
//!   `last_seen = now`; `tokens += gained`; `tokens = min(tokens, max_tokens)`; if
//!   `tokens < wanted` the claim fails (tokens are kept), else `tokens -= wanted`.
//!
//! The alert limiter claims one token per alert at wall-clock time ([`SystemClock`]); the
//! drop monitor claims with **event** timestamps ([`TokenBucket::claim_at`]). Tests use a
//! [`FakeClock`].

#![warn(missing_docs)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// A source of "now" in nanoseconds since the Unix epoch.
pub trait Clock {
    /// The current time in nanoseconds.
    fn now_ns(&self) -> u64;
}

/// A shared clock (the outputs hold theirs behind an `Arc`).
impl Clock for Arc<dyn Clock + Send + Sync> {
    fn now_ns(&self) -> u64 {
        (**self).now_ns()
    }
}

/// The wall clock (`sinsp_utils::get_current_time_ns`).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ns(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
    }
}

/// A clock that only moves when told to; clones share the same time.
#[derive(Debug, Clone, Default)]
pub struct FakeClock {
    now: Arc<AtomicU64>,
}

impl FakeClock {
    /// A fake clock reading `now_ns`.
    pub fn new(now_ns: u64) -> FakeClock {
        FakeClock {
            now: Arc::new(AtomicU64::new(now_ns)),
        }
    }

    /// Sets the time.
    pub fn set(&self, now_ns: u64) {
        self.now.store(now_ns, Ordering::SeqCst);
    }

    /// Moves the time forward by `delta_ns` (wrapping, like the C++ arithmetic).
    pub fn advance(&self, delta_ns: u64) {
        let _ = self
            .now
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |t| {
                Some(t.wrapping_add(delta_ns))
            });
    }
}

impl Clock for FakeClock {
    fn now_ns(&self) -> u64 {
        self.now.load(Ordering::SeqCst)
    }
}

/// libsinsp's token bucket, over any [`Clock`].
#[derive(Debug, Clone)]
pub struct TokenBucket<C: Clock = SystemClock> {
    clock: C,
    rate: f64,
    max_tokens: f64,
    tokens: f64,
    last_seen: u64,
}

impl<C: Clock> TokenBucket<C> {
    /// `init(rate, max_tokens, now)`: a full bucket refilled with `rate` tokens per second
    /// up to `max_tokens`; `now == 0` means "the clock's current time".
    pub fn new(clock: C, rate: f64, max_tokens: f64, now: u64) -> TokenBucket<C> {
        let last_seen = if now == 0 { clock.now_ns() } else { now };
        TokenBucket {
            clock,
            rate,
            max_tokens,
            tokens: max_tokens,
            last_seen,
        }
    }

    /// The bucket Falco builds before `init`: rate 1, one token, `last_seen` = the clock.
    pub fn with_clock(clock: C) -> TokenBucket<C> {
        TokenBucket::new(clock, 1.0, 1.0, 0)
    }

    /// Re-initialises the bucket (`init`): full again, `last_seen = now` (or the clock's
    /// time when `now` is 0).
    pub fn init(&mut self, rate: f64, max_tokens: f64, now: u64) {
        self.rate = rate;
        self.max_tokens = max_tokens;
        self.tokens = max_tokens;
        self.last_seen = if now == 0 { self.clock.now_ns() } else { now };
    }

    /// Claims one token at the clock's current time (`claim()`).
    pub fn claim(&mut self) -> bool {
        let now = self.clock.now_ns();
        self.claim_at(1.0, now)
    }

    /// Claims `wanted` tokens at time `now` (ns), with libsinsp's exact arithmetic (see
    /// the module docs). Returns whether the tokens were taken.
    pub fn claim_at(&mut self, wanted: f64, now: u64) -> bool {
        // C++: m_rate * ((now - m_last_seen) / (1000000000.0)), uint64_t difference.
        let gained = self.rate * (now.wrapping_sub(self.last_seen) as f64 / 1_000_000_000.0);
        self.last_seen = now;
        self.tokens += gained;
        if self.tokens > self.max_tokens {
            self.tokens = self.max_tokens;
        }
        if self.tokens < wanted {
            return false;
        }
        self.tokens -= wanted;
        true
    }

    /// The tokens currently in the bucket.
    pub fn tokens(&self) -> f64 {
        self.tokens
    }

    /// The time of the last claim (or of initialisation).
    pub fn last_seen(&self) -> u64 {
        self.last_seen
    }

    /// The refill rate in tokens per second.
    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// The bucket size.
    pub fn max_tokens(&self) -> f64 {
        self.max_tokens
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn approx(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    // The upstream unit tests (falco 0.26.0 tests/engine/test_token_bucket.cpp).
    #[test]
    fn default_ctor() {
        let tb = TokenBucket::with_clock(FakeClock::new(22));
        assert_eq!(tb.tokens(), 1.0);
        assert_eq!(tb.last_seen(), 22);
        let mut tb = tb;
        tb.init(1.0, 2.0, 1);
        assert_eq!(tb.last_seen(), 1);
        assert_eq!(tb.tokens(), 2.0);
    }

    #[test]
    fn two_per_second_max_ten() {
        let mut tb = TokenBucket::new(FakeClock::new(0), 2.0, 10.0, 1);
        assert!(tb.claim_at(5.0, 1_000_000_001));
        assert_eq!(tb.last_seen(), 1_000_000_001);
        assert!(approx(tb.tokens(), 5.0));
        assert!(tb.claim_at(7.0, 2_000_000_001));
        assert_eq!(tb.last_seen(), 2_000_000_001);
        assert!(approx(tb.tokens(), 0.0));
        assert!(!tb.claim_at(3.0, 3_000_000_001));
        assert_eq!(tb.last_seen(), 3_000_000_001);
        assert!(approx(tb.tokens(), 2.0));
    }

    /// outputs.md §7: Falco 0.26–0.32 defaults (`rate: 1`, `max_burst: 1000`): a burst
    /// of 1000 alerts passes, then one alert per second.
    #[test]
    fn outputs_rate_defaults_of_falco_0_26() {
        let clock = FakeClock::new(5_000_000_000);
        let mut tb = TokenBucket::new(clock.clone(), 1.0, 1000.0, 0);
        assert_eq!(tb.last_seen(), 5_000_000_000);
        let passed = (0..1500).filter(|_| tb.claim()).count();
        assert_eq!(passed, 1000);
        clock.advance(500_000_000);
        assert!(!tb.claim(), "half a token");
        assert!(approx(tb.tokens(), 0.5));
        clock.advance(500_000_000);
        assert!(tb.claim());
        assert!(!tb.claim());
        // A long pause refills up to max_burst only.
        clock.advance(3_600_000_000_000);
        let passed = (0..1500).filter(|_| tb.claim()).count();
        assert_eq!(passed, 1000);
    }

    /// outputs.md §8: the drop monitor's bucket (`rate: 0.03333`, `max_burst: 1`) claimed
    /// with event times once a second lets the actions run at t = 0, 31 s, 62 s…: 30
    /// seconds give 0.9999 tokens, one short of a whole one.
    #[test]
    fn syscall_event_drops_bucket() {
        let t0 = 1_705_312_800_000_000_000u64;
        let mut tb = TokenBucket::new(FakeClock::new(0), 0.03333, 1.0, t0);
        let fired: Vec<u64> = (0..100u64)
            .filter(|s| tb.claim_at(1.0, t0 + s * 1_000_000_000))
            .collect();
        assert_eq!(fired, [0, 31, 62, 93]);
    }

    #[test]
    fn time_going_backwards_wraps_and_refills() {
        let mut tb = TokenBucket::new(FakeClock::new(0), 1.0, 3.0, 10_000_000_000);
        for _ in 0..3 {
            assert!(tb.claim_at(1.0, 10_000_000_000));
        }
        assert!(!tb.claim_at(1.0, 10_000_000_000));
        // u64 wrap: a huge positive difference, so the bucket is full again.
        assert!(tb.claim_at(1.0, 9_000_000_000));
        assert!(approx(tb.tokens(), 2.0));
    }
}
