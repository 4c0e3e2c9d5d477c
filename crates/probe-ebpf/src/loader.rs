//! Loading the bundled probe with aya: requirement checks, configuration (the syscalls
//! to trace, the sensor's own pid, ring-buffer size and wakeup threshold), attachment to
//! the syscall exit tracepoint (BTF-typed `sys_exit`) and the raw
//! `sched_process_exit`, and reading the ring buffer and the kernel-side counters.
//!
//! Dropping a [`Probe`] detaches its programs and frees its maps.

use std::os::fd::AsFd;
use std::path::Path;
use std::time::Duration;

use aya::maps::{Array, MapData, PerCpuArray, RingBuf};
use aya::programs::{BtfTracePoint, RawTracePoint};
use aya::{Btf, Ebpf, EbpfLoader};
use thiserror::Error;

use crate::record::MAX_SYSCALLS;
use crate::syscalls::Syscall;

/// The compiled probe (`bpf/probe.bpf.o`, built from `bpf/probe.bpf.c` by
/// `crates/probe-ebpf/build-probe.sh`; CI rebuilds it and compares the bytes).
pub static PROBE_OBJECT: &[u8] = aya::include_bytes_aligned!("../bpf/probe.bpf.o");

/// Where the kernel's BTF is read from (CO-RE relocations need it).
pub const BTF_PATH: &str = "/sys/kernel/btf/vmlinux";

/// The BTF-typed tracepoints the probe attaches to (its programs have the same names).
const BTF_TRACEPOINTS: [&str; 1] = ["sys_exit"];
/// The raw tracepoints the probe attaches to (likewise).
const RAW_TRACEPOINTS: [&str; 1] = ["sched_process_exit"];

/// Why the probe cannot run.
#[derive(Debug, Error)]
pub enum ProbeError {
    /// The machine lacks something the probe needs (capabilities, BTF).
    #[error("the eBPF probe cannot run here: {0}")]
    Requirements(String),
    /// The kernel refused the object, a map or a program.
    #[error("loading the eBPF probe failed: {0}")]
    Load(String),
    /// Attaching to a tracepoint failed.
    #[error("attaching the eBPF probe to {tracepoint} failed: {message}")]
    Attach {
        /// The raw tracepoint.
        tracepoint: &'static str,
        /// aya's message.
        message: String,
    },
    /// Reading a map or waiting on the ring buffer failed.
    #[error("reading the eBPF probe's {what} failed: {message}")]
    Read {
        /// What was read.
        what: &'static str,
        /// The error.
        message: String,
    },
}

/// Settings of a [`Probe`].
#[derive(Debug, Clone)]
pub struct ProbeOptions {
    /// The syscalls to trace.
    pub syscalls: Vec<&'static Syscall>,
    /// Ring-buffer size in bytes (a power of two, at least a page; default 8 MiB).
    pub ring_bytes: u32,
    /// Pending bytes above which the kernel wakes the reader (between timer polls).
    pub wakeup_bytes: u64,
    /// The process whose events are ignored (the sensor itself).
    pub self_pid: u32,
}

impl Default for ProbeOptions {
    fn default() -> ProbeOptions {
        ProbeOptions {
            syscalls: Vec::new(),
            ring_bytes: 8 << 20,
            wakeup_bytes: 1 << 20,
            self_pid: std::process::id(),
        }
    }
}

/// Kernel-side counters, summed over CPUs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KernelCounters {
    /// Records written to the ring buffer.
    pub sent: u64,
    /// Records dropped because the ring buffer was full.
    pub dropped: u64,
}

/// What the probe needs that this process or machine lacks, as one message per item
/// (empty: nothing is missing). Root has every capability; otherwise CAP_BPF and
/// CAP_PERFMON (or CAP_SYS_ADMIN) must be effective.
pub fn missing_requirements() -> Vec<String> {
    let mut missing = Vec::new();
    if !Path::new(BTF_PATH).exists() {
        missing.push(format!(
            "kernel BTF is missing ({BTF_PATH}): the probe needs a kernel built with CONFIG_DEBUG_INFO_BTF=y"
        ));
    }
    let caps = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("CapEff:"))
                .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
        })
        .unwrap_or(0);
    const CAP_SYS_ADMIN: u32 = 21;
    const CAP_PERFMON: u32 = 38;
    const CAP_BPF: u32 = 39;
    let has = |c: u32| caps & (1 << c) != 0;
    let can_load = has(CAP_SYS_ADMIN) || (has(CAP_BPF) && has(CAP_PERFMON));
    if !can_load {
        missing.push(
            "the process lacks CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN): run as root or grant them, e.g. `setcap cap_bpf,cap_perfmon,cap_sys_ptrace+ep falcoc`"
                .to_string(),
        );
    }
    missing
}

/// The loaded and attached probe.
pub struct Probe {
    /// Keeps the programs attached and the maps alive.
    _ebpf: Ebpf,
    ring: RingBuf<MapData>,
    stats: PerCpuArray<MapData, u64>,
}

impl std::fmt::Debug for Probe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Probe").finish_non_exhaustive()
    }
}

fn load_err(e: impl std::fmt::Display) -> ProbeError {
    ProbeError::Load(e.to_string())
}

impl Probe {
    /// Checks the requirements, loads the probe, configures the syscalls to trace and
    /// attaches it.
    pub fn load(opts: &ProbeOptions) -> Result<Probe, ProbeError> {
        let missing = missing_requirements();
        if !missing.is_empty() {
            return Err(ProbeError::Requirements(missing.join("; ")));
        }
        let ring_bytes = opts.ring_bytes.max(4096).next_power_of_two();
        let mut ebpf = EbpfLoader::new()
            .override_global("self_tgid", &opts.self_pid, true)
            .override_global("wakeup_bytes", &opts.wakeup_bytes, true)
            .map_max_entries("events", ring_bytes)
            .load(PROBE_OBJECT)
            .map_err(load_err)?;
        {
            let map = ebpf
                .map_mut("syscall_cfg")
                .ok_or_else(|| load_err("the object has no syscall_cfg map"))?;
            let mut cfg: Array<_, u32> = Array::try_from(map).map_err(load_err)?;
            for sc in &opts.syscalls {
                if (sc.nr as usize) < MAX_SYSCALLS {
                    cfg.set(u32::from(sc.nr), sc.config(), 0)
                        .map_err(load_err)?;
                }
            }
        }
        // The loader parsed the kernel's BTF for the CO-RE relocations and freed it; the
        // BTF tracepoints need it again. Parsing it twice, with the first copy returned to
        // the kernel in between, peaks lower than sharing one (measured: 46 vs 54 MiB).
        release_free_memory();
        let btf = Btf::from_sys_fs().map_err(load_err)?;
        for tracepoint in BTF_TRACEPOINTS {
            let attach_err = |e: &dyn std::fmt::Display| ProbeError::Attach {
                tracepoint,
                message: e.to_string(),
            };
            let prog: &mut BtfTracePoint = ebpf
                .program_mut(tracepoint)
                .ok_or_else(|| load_err(format!("the object has no {tracepoint} program")))?
                .try_into()
                .map_err(|e| attach_err(&e))?;
            prog.load(tracepoint, &btf).map_err(|e| attach_err(&e))?;
            prog.attach().map_err(|e| attach_err(&e))?;
        }
        for tracepoint in RAW_TRACEPOINTS {
            let attach_err = |e: &dyn std::fmt::Display| ProbeError::Attach {
                tracepoint,
                message: e.to_string(),
            };
            let prog: &mut RawTracePoint = ebpf
                .program_mut(tracepoint)
                .ok_or_else(|| load_err(format!("the object has no {tracepoint} program")))?
                .try_into()
                .map_err(|e| attach_err(&e))?;
            prog.load().map_err(|e| attach_err(&e))?;
            prog.attach(tracepoint).map_err(|e| attach_err(&e))?;
        }
        let ring = RingBuf::try_from(
            ebpf.take_map("events")
                .ok_or_else(|| load_err("the object has no events map"))?,
        )
        .map_err(load_err)?;
        let stats = PerCpuArray::try_from(
            ebpf.take_map("stats")
                .ok_or_else(|| load_err("the object has no stats map"))?,
        )
        .map_err(load_err)?;
        drop(btf);
        release_free_memory();
        Ok(Probe {
            _ebpf: ebpf,
            ring,
            stats,
        })
    }

    /// Waits until records are pending or `timeout` passes (the kernel wakes the reader
    /// only above the wakeup threshold). Interrupted waits return normally.
    pub fn wait(&self, timeout: Duration) -> Result<(), ProbeError> {
        use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
        let mut fds = [PollFd::new(self.ring.as_fd(), PollFlags::POLLIN)];
        let timeout = PollTimeout::try_from(timeout).unwrap_or(PollTimeout::MAX);
        match poll(&mut fds, timeout) {
            Ok(_) | Err(nix::errno::Errno::EINTR) => Ok(()),
            Err(e) => Err(ProbeError::Read {
                what: "ring buffer",
                message: e.to_string(),
            }),
        }
    }

    /// Hands every pending record to `f` (at most `max`); returns how many.
    pub fn drain(&mut self, max: usize, mut f: impl FnMut(&[u8])) -> usize {
        let mut n = 0;
        while n < max {
            let Some(item) = self.ring.next() else {
                break;
            };
            f(&item);
            n += 1;
        }
        n
    }

    /// The kernel-side counters, summed over CPUs.
    pub fn counters(&self) -> Result<KernelCounters, ProbeError> {
        let read = |key: u32| -> Result<u64, ProbeError> {
            let values = self.stats.get(&key, 0).map_err(|e| ProbeError::Read {
                what: "counters",
                message: e.to_string(),
            })?;
            Ok(values.iter().sum())
        };
        Ok(KernelCounters {
            sent: read(0)?,
            dropped: read(1)?,
        })
    }
}

/// Returns the heap's free pages to the kernel. Loading parses the kernel's BTF (tens of
/// MiB of small allocations, freed once the probe is attached); without this the
/// sensor's resident set keeps them (measured with the default rules: 27 → 12 MiB).
fn release_free_memory() {
    // SAFETY: malloc_trim only releases free heap memory; it has no preconditions and
    // does not touch live allocations.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// `CLOCK_REALTIME − CLOCK_BOOTTIME` in ns: added to the probe's boot-relative times
/// it gives epoch times.
pub fn boot_offset_ns() -> u64 {
    use nix::time::{clock_gettime, ClockId};
    let ns = |c: ClockId| {
        clock_gettime(c).map_or(0i128, |t| {
            i128::from(t.tv_sec()) * 1_000_000_000 + i128::from(t.tv_nsec())
        })
    };
    let real = ns(ClockId::CLOCK_REALTIME);
    let boot = ns(ClockId::CLOCK_BOOTTIME);
    u64::try_from(real - boot).unwrap_or(0)
}
