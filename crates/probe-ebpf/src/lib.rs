//! falcoc's live event source: a bundled CO-RE eBPF syscall probe, its loader, and the
//! conversion of its records into the runtime's events.
//!
//! * `bpf/` — the kernel side in C (`probe.bpf.c`, the record contract `record.h`, the
//!   kernel types it reads `kernel_types.h`) and the committed object `probe.bpf.o`,
//!   rebuilt by `build-probe.sh` (CI checks that the object matches its source).
//! * [`loader`] — requirement checks, loading and attaching with aya, the ring buffer
//!   and the kernel-side counters.
//! * [`record`] — the record format.
//! * [`syscalls`] — which syscalls can be traced and how each becomes a libscap event;
//!   [`syscalls_for`] picks those the rules and the state need.
//! * [`convert`] — records → [`falcoc_scap::Event`]s.
//! * [`procfs`] — the state at start, read from `/proc` as libscap reads it.
//! * [`sensor`] — the live pipeline: records → events → state → rules → alerts.
//!
//! The data flow is one way: kernel → ring buffer → [`convert::Converter`] → the
//! runtime's `State` and `Engine` ([`Sensor`], driven by `falcoc run` in the CLI).

pub mod containers;
pub mod convert;
pub mod loader;
pub mod procfs;
pub mod record;
pub mod sensor;
pub mod syscalls;

pub use containers::Containers;
pub use convert::Converter;
pub use loader::{missing_requirements, KernelCounters, Probe, ProbeError, ProbeOptions};
pub use procfs::ProcFs;
pub use sensor::{Sensor, SensorStats};

use syscalls::{Syscall, SYSCALLS};

/// The syscalls to trace: those whose exit event `wants` (the event codes the loaded
/// rules are registered under) plus those the state tracking needs. Also returns the
/// syscall event types `wants` accepts that no traceable syscall produces (event types
/// of the rules that the probe cannot deliver), sorted by name.
pub fn syscalls_for(wants: impl Fn(u16) -> bool) -> (Vec<&'static Syscall>, Vec<&'static str>) {
    use falcoc_schema::events::{event, Direction, PPM_EVENT_MAX};
    let chosen = SYSCALLS
        .iter()
        .filter(|s| s.state || wants(s.exit_code))
        .collect();
    let mut missing: Vec<&'static str> = (0..PPM_EVENT_MAX as u16)
        .filter(|&c| wants(c))
        .filter_map(event)
        .filter(|e| e.direction == Direction::Exit && e.category.is_syscall())
        .map(|e| e.name)
        .filter(|name| !SYSCALLS.iter().any(|s| s.name == *name))
        .collect();
    missing.sort_unstable();
    missing.dedup();
    (chosen, missing)
}
