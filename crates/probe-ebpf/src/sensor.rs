//! The live pipeline: probe records → [`Converter`] → the runtime's [`State`] → the
//! rule [`SyscallEngine`] → alerts. `falcoc run` drives it from the ring buffer; benchmarks and
//! tests can feed it records directly.

use falcoc_engine::Alert;
use falcoc_scap::Event;
use falcoc_syscall::state::{State, StateOptions};
use falcoc_syscall::SyscallEngine;

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
}

impl Sensor {
    /// A pipeline for `engine` whose state starts from `proc` (every thread and fd,
    /// users, interfaces), with event times `CLOCK_BOOTTIME + boot_offset_ns`. Attach the
    /// probe first: what starts during the scan then waits in the ring buffer.
    pub fn new(engine: SyscallEngine, proc: ProcFs, boot_offset_ns: u64) -> Sensor {
        let mut state = State::new(StateOptions {
            libs: engine.libs(),
            ..StateOptions::default()
        });
        let meta = proc.scan();
        let threads_at_start = meta.processes.len();
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
        }
    }

    /// Handles one record: its events go through the state and the rules before the
    /// next record is converted (the conversion reads the state: the creator of a clone,
    /// threads to look up in `/proc`).
    pub fn handle_record(&mut self, raw: &[u8], on_alert: &mut impl FnMut(Alert)) {
        self.stats.records += 1;
        self.converter
            .convert(raw, &mut self.state, &mut self.events);
        for e in self.events.drain(..) {
            self.stats.events += 1;
            for alert in self.engine.process(&mut self.state, &e.as_event_ref()) {
                self.stats.alerts += 1;
                on_alert(alert);
            }
        }
    }

    /// Handles up to `max` records pending in the probe's ring buffer; returns how many.
    pub fn pump(
        &mut self,
        probe: &mut Probe,
        max: usize,
        mut on_alert: impl FnMut(Alert),
    ) -> usize {
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
}
