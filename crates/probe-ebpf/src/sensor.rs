//! The live pipeline: probe records → [`Converter`] → the runtime's [`State`] → the
//! rule [`SyscallEngine`] → alerts. `falcoc run` drives it from the ring buffer; benchmarks and
//! tests can feed it records directly. With [`Containers`], each container seen for
//! the first time gets its container event (runtime metadata) before the event that
//! revealed it, as in a capture.

use falcoc_engine::Alert;
use falcoc_scap::Event;
use falcoc_state::{State, StateOptions};
use falcoc_syscall::SyscallEngine;

use crate::containers::Containers;
use crate::convert::{ConvertStats, Converter};
use crate::loader::Probe;
use crate::procfs::ProcFs;

/// Counters of a [`Sensor`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SensorStats {
    /// Records handled.
    pub records: u64,
    /// Events given to the state and the rules (an exec or a syscall with an enter event
    /// makes two).
    pub events: u64,
    /// Alerts raised.
    pub alerts: u64,
    /// Threads read from `/proc` at start.
    pub threads_at_start: usize,
}

/// The live pipeline. See the [module documentation](self).
#[derive(Debug)]
pub struct Sensor {
    converter: Converter,
    state: State,
    engine: SyscallEngine,
    events: Vec<Event>,
    stats: SensorStats,
    containers: Option<Containers>,
    /// Container events to process before the next event.
    injected: Vec<Event>,
    next_sweep: std::time::Instant,
}

/// How often gone containers are looked for.
const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

impl Sensor {
    /// A pipeline for `engine` whose state starts from `proc` (every thread and fd,
    /// users, interfaces), with event times `CLOCK_BOOTTIME + boot_offset_ns`. Attach the
    /// probe first: what starts during the scan then waits in the ring buffer.
    pub fn new(engine: SyscallEngine, proc: ProcFs, boot_offset_ns: u64) -> Sensor {
        Sensor::with_containers(engine, proc, boot_offset_ns, None)
    }

    /// [`new`](Self::new) with container metadata from `containers`: the containers of
    /// the `/proc` scan are looked up first (one bounded wait for all of them).
    pub fn with_containers(
        engine: SyscallEngine,
        proc: ProcFs,
        boot_offset_ns: u64,
        mut containers: Option<Containers>,
    ) -> Sensor {
        let mut state = State::new(StateOptions {
            libs: engine.libs(),
            ..StateOptions::default()
        });
        let meta = proc.scan();
        let threads_at_start = meta.processes.len();
        let mut injected = Vec::new();
        if let Some(c) = &mut containers {
            c.at_start(&meta, wall_clock_ns(), &mut injected);
        }
        state.set_metadata(meta);
        Sensor {
            converter: Converter::new(boot_offset_ns, proc),
            state,
            engine,
            events: Vec::new(),
            stats: SensorStats {
                threads_at_start,
                ..SensorStats::default()
            },
            containers,
            injected,
            next_sweep: std::time::Instant::now() + SWEEP_EVERY,
        }
    }

    /// Runs the pending container events through the state and the rules.
    fn run_injected(&mut self, on_alert: &mut impl FnMut(Alert)) {
        for e in self.injected.drain(..) {
            self.stats.events += 1;
            for alert in self.engine.process(&mut self.state, &e.as_event_ref()) {
                self.stats.alerts += 1;
                on_alert(alert);
            }
        }
    }

    /// Handles one record: its events go through the state and the rules before the
    /// next record is converted (the conversion reads the state: the creator of a clone,
    /// threads to look up in `/proc`).
    pub fn handle_record(&mut self, raw: &[u8], on_alert: &mut impl FnMut(Alert)) {
        self.stats.records += 1;
        self.converter
            .convert(raw, &mut self.state, &mut self.events);
        let mut events = std::mem::take(&mut self.events);
        for e in events.drain(..) {
            if let Some(c) = &mut self.containers {
                c.before(&e.as_event_ref(), &mut self.injected);
            }
            if !self.injected.is_empty() {
                self.run_injected(on_alert);
            }
            self.stats.events += 1;
            for alert in self.engine.process(&mut self.state, &e.as_event_ref()) {
                self.stats.alerts += 1;
                on_alert(alert);
            }
        }
        self.events = events;
    }

    /// The container events of lookups answered after their bounded wait, and the
    /// eviction of gone containers (every few seconds); `pump` calls it.
    pub fn poll_containers(&mut self, on_alert: &mut impl FnMut(Alert)) {
        let Some(c) = &mut self.containers else {
            return;
        };
        c.late(&mut self.injected);
        let now = std::time::Instant::now();
        if now >= self.next_sweep {
            self.next_sweep = now + SWEEP_EVERY;
            c.sweep(&mut self.state);
        }
        if !self.injected.is_empty() {
            self.run_injected(on_alert);
        }
    }

    /// Handles up to `max` records pending in the probe's ring buffer; returns how many.
    pub fn pump(
        &mut self,
        probe: &mut Probe,
        max: usize,
        mut on_alert: impl FnMut(Alert),
    ) -> usize {
        self.poll_containers(&mut on_alert);
        probe.drain(max, |raw| self.handle_record(raw, &mut on_alert))
    }

    /// The counters.
    pub fn stats(&self) -> SensorStats {
        self.stats
    }

    /// The conversion's counters.
    pub fn convert_stats(&self) -> ConvertStats {
        self.converter.stats()
    }

    /// The engine (active rules, match counts).
    pub fn engine(&self) -> &SyscallEngine {
        &self.engine
    }

    /// The state (threads, fds).
    pub fn state(&self) -> &State {
        &self.state
    }

    /// The container metadata source, if on.
    pub fn containers(&self) -> Option<&Containers> {
        self.containers.as_ref()
    }
}

/// Nanoseconds since the epoch now (the time of the start's container events).
fn wall_clock_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}
