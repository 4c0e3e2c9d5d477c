//! `falcoc capture -w FILE [-r RULES]… [-c falco.yaml] [--duration SECS]
//! [--ring-buffer-kb N]`: writes what the live eBPF probe sees as a scap capture, to be
//! replayed later (`falcoc replay`, `falcoc events`) or opened by sysdig.
//!
//! The probe traces the syscalls the rules need (their event types plus what the state
//! tracking needs) when rules are given (`-r`, or the `rules_files` of `-c`), else every
//! syscall it can trace. The capture starts with the machine as `/proc` shows it after
//! the probe is attached (machine info, interfaces, users and groups, every thread and
//! its fds), then holds every event the probe delivers until SIGINT, SIGTERM or
//! `--duration`; a path ending in `.gz` is gzip-compressed. Each container seen gets a
//! container JSON event with its runtime metadata (as `falcoc run` makes them; the
//! `container` plugin entry of `-c` picks the sockets, `--no-container-metadata` turns it
//! off) before the event that revealed it, so a replay shows the same `container.*` and
//! `k8s.*` fields as the live sensor. The capture's own process is
//! not traced. A summary (events written, kernel drops) goes to stderr.
//!
//! Exit codes: 0 stopped normally; 1 the rules do not load, the probe fails while
//! running, or writing the file fails; 2 usage errors (an unwritable file, bad
//! configuration) and a machine that cannot run the probe (missing capabilities or BTF).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::setup::{engine_options, load_config, load_rules, rule_paths};
use crate::{EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE};
use falcoc_engine::Engine;
use falcoc_probe_ebpf::loader::boot_offset_ns;
use falcoc_probe_ebpf::record::HEADER_LEN;
use falcoc_probe_ebpf::syscalls::{Syscall, SYSCALLS};
use falcoc_probe_ebpf::{
    syscalls_for, Containers, Converter, Probe, ProbeError, ProbeOptions, ProcFs,
};
use falcoc_scap::{self as scap, Event, FileSink, Writer, WriterOptions};
use falcoc_state::{State, StateOptions};

/// Arguments of `falcoc capture`.
#[derive(clap::Args)]
pub struct CaptureArgs {
    /// The capture file to write (`.scap`; gzip-compressed when the name ends in `.gz`).
    #[arg(short = 'w', long = "write", value_name = "FILE")]
    write: PathBuf,
    /// Trace only the syscalls these rules (file or directory; repeatable) and the state
    /// tracking need (default: every syscall the probe can trace).
    #[arg(short = 'r', long = "rules", value_name = "RULES")]
    rules: Vec<PathBuf>,
    /// A `falco.yaml` whose `rules_files` choose the syscalls when `-r` is not given.
    #[arg(short = 'c', long = "config", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Stop after this many seconds (default: run until SIGINT or SIGTERM).
    #[arg(long, value_name = "SECS")]
    duration: Option<f64>,
    /// Size of the probe's ring buffer in KiB (4 to 1048576, rounded up to a power of
    /// two).
    #[arg(long, value_name = "KIB", default_value_t = 8192,
          value_parser = clap::value_parser!(u32).range(4..=1 << 20))]
    ring_buffer_kb: u32,
    /// Do not ask the container runtimes for container and pod metadata.
    #[arg(long)]
    no_container_metadata: bool,
}

/// How long the loop waits for the kernel before checking the stop conditions.
const POLL_INTERVAL: Duration = Duration::from_millis(10);
/// Records taken per drain before the loop checks the stop conditions again.
const DRAIN_BATCH: usize = 16 * 1024;

/// The syscalls to trace: those of the rules (with `-r` or `-c`), else all of them.
/// Problems are printed; the error is the exit code.
fn chosen_syscalls(args: &CaptureArgs) -> Result<Vec<&'static Syscall>, u8> {
    if args.rules.is_empty() && args.config.is_none() {
        return Ok(SYSCALLS.iter().collect());
    }
    let config = load_config(args.config.as_deref(), &[])?;
    let paths = rule_paths(&args.rules, &config).map_err(|e| {
        eprintln!("error: {e}");
        EXIT_USAGE
    })?;
    let (loaded, profile) = load_rules(&paths, "auto")?;
    let (options, _) = engine_options(&config, profile);
    let engine = Engine::new(loaded.rules, options).map_err(|e| {
        eprintln!("error: {e}");
        EXIT_PROBLEMS
    })?;
    let (syscalls, missing) = syscalls_for(|c| engine.wants(c));
    if !missing.is_empty() {
        eprintln!(
            "warning: the rules use event types the probe does not deliver: {}",
            missing.join(", ")
        );
    }
    Ok(syscalls)
}

/// Runs `falcoc capture`.
pub fn run(args: CaptureArgs) -> u8 {
    let duration = match args.duration {
        None => None,
        Some(s) => match Duration::try_from_secs_f64(s) {
            Ok(d) => Some(d),
            Err(_) => {
                eprintln!("error: --duration {s}: not a number of seconds ≥ 0");
                return EXIT_USAGE;
            }
        },
    };
    let syscalls = match chosen_syscalls(&args) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let containers = if args.no_container_metadata {
        None
    } else {
        let config = match load_config(args.config.as_deref(), &[]) {
            Ok(c) => c,
            Err(code) => return code,
        };
        match crate::cmd_run::container_config(&config)
            .and_then(|c| Containers::start(c).map_err(|e| format!("container metadata: {e}")))
        {
            Ok(c) => Some(c),
            Err(e) => {
                eprintln!("error: {e}");
                return EXIT_USAGE;
            }
        }
    };
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        if let Err(e) = signal_hook::flag::register(sig, Arc::clone(&stop)) {
            eprintln!("error: cannot handle signal {sig}: {e}");
            return EXIT_USAGE;
        }
    }
    let path = args.write.as_path();
    // Fd types sysdig 0.29 does not know are written as unsupported fds (names kept).
    let writer_options = WriterOptions {
        legacy_fd_types: true,
    };
    let writer = match scap::create_with(path, writer_options) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("error: cannot write {}: {e}", path.display());
            return EXIT_USAGE;
        }
    };
    let n_syscalls = syscalls.len();
    let ring_bytes = args.ring_buffer_kb.next_power_of_two().saturating_mul(1024);
    let probe_options = ProbeOptions {
        syscalls,
        ring_bytes,
        wakeup_bytes: u64::from(ring_bytes / 4),
        ..ProbeOptions::default()
    };
    let probe = match Probe::load(&probe_options) {
        Ok(p) => p,
        Err(e) => {
            drop(writer);
            let _ = std::fs::remove_file(path);
            eprintln!("error: {e}");
            return match e {
                ProbeError::Requirements(_) => EXIT_USAGE,
                _ => EXIT_PROBLEMS,
            };
        }
    };
    let capture = Capture {
        path,
        writer,
        probe,
        state: State::new(StateOptions::default()),
        converter: Converter::new(boot_offset_ns(), ProcFs::default()),
        events: Vec::new(),
        records: 0,
        ring_bytes,
        containers,
        injected: Vec::new(),
    };
    capture.run(n_syscalls, &stop, duration)
}

/// A running capture: probe → converter (→ state, which the conversion reads) → file.
struct Capture<'a> {
    path: &'a Path,
    writer: Writer<FileSink>,
    probe: Probe,
    state: State,
    converter: Converter,
    events: Vec<Event>,
    records: u64,
    ring_bytes: u32,
    containers: Option<Containers>,
    /// Container events to write before the next event.
    injected: Vec<Event>,
}

impl Capture<'_> {
    /// Writes the metadata, then the events until `stop` is set or `duration` (counted
    /// from here, the probe being attached) has passed; returns the exit code.
    fn run(mut self, n_syscalls: usize, stop: &AtomicBool, duration: Option<Duration>) -> u8 {
        // Attached first, then /proc: what starts during the scan is in the ring buffer.
        let meta = ProcFs::default().scan();
        let threads = meta.processes.len();
        if let Err(e) = self.writer.write_metadata(&meta) {
            return self.write_failed(&e);
        }
        // The containers of the scan: their events come first, as libsinsp writes them.
        if let Some(c) = &mut self.containers {
            let ts = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64);
            c.at_start(&meta, ts, &mut self.injected);
        }
        self.state.set_metadata(meta);
        eprintln!(
            "falcoc capture: probe attached ({n_syscalls} syscalls traced), {threads} threads read from /proc, writing {}",
            self.path.display()
        );
        let started = Instant::now();
        let deadline = duration.and_then(|d| started.checked_add(d));
        let mut exit_code = EXIT_OK;
        loop {
            if stop.load(Ordering::Relaxed) || deadline.is_some_and(|d| Instant::now() >= d) {
                break;
            }
            if let Err(e) = self.probe.wait(POLL_INTERVAL) {
                eprintln!("error: {e}");
                exit_code = EXIT_PROBLEMS;
                break;
            }
            match self.pump(DRAIN_BATCH) {
                Ok(_) => {}
                Err(e) => return self.write_failed(&e),
            }
        }
        // What is still in the ring buffer when we stop: at most a full buffer of the
        // smallest records, so a busy machine cannot keep the loop going.
        let mut left = (self.ring_bytes as usize / HEADER_LEN).max(1);
        while left > 0 {
            match self.pump(left.min(DRAIN_BATCH)) {
                Ok(0) => break,
                Ok(n) => left = left.saturating_sub(n),
                Err(e) => return self.write_failed(&e),
            }
        }
        let kernel = self.probe.counters().unwrap_or_default();
        let bad = self.converter.stats().bad_records;
        let events = self.writer.events_written();
        let Capture { writer, probe, .. } = self;
        drop(probe);
        if let Err(e) = writer.close() {
            eprintln!("error: cannot write {}: {e}", self.path.display());
            return EXIT_PROBLEMS;
        }
        eprintln!(
            "falcoc capture: {events} events written to {} ({} records, {bad} unreadable, {} dropped by the kernel), {:.1} s",
            self.path.display(),
            self.records,
            kernel.dropped,
            started.elapsed().as_secs_f64()
        );
        exit_code
    }

    /// Converts and writes up to `max` pending records; returns how many.
    fn pump(&mut self, max: usize) -> std::io::Result<usize> {
        let mut result = Ok(());
        let Capture {
            writer,
            probe,
            state,
            converter,
            events,
            records,
            containers,
            injected,
            ..
        } = self;
        if let Some(c) = containers.as_mut() {
            c.late(injected);
        }
        write_injected(injected, state, writer)?;
        let n = probe.drain(max, |raw| {
            if result.is_err() {
                return;
            }
            *records += 1;
            converter.convert(raw, state, events);
            for owned in events.drain(..) {
                let e = owned.as_event_ref();
                if let Some(c) = containers.as_mut() {
                    c.before(&e, injected);
                    if let Err(err) = write_injected(injected, state, writer) {
                        result = Err(err);
                        break;
                    }
                }
                // The conversion of later records reads the state (threads, fds).
                state.process(&e);
                if let Err(err) = writer.write_event(&e) {
                    result = Err(err);
                    break;
                }
            }
        });
        result.map(|()| n)
    }

    fn write_failed(self, e: &std::io::Error) -> u8 {
        eprintln!(
            "error: writing {} failed after {} events: {e}",
            self.path.display(),
            self.writer.events_written()
        );
        EXIT_PROBLEMS
    }
}

/// Writes the pending container events, each through the state first (as every event).
fn write_injected(
    injected: &mut Vec<Event>,
    state: &mut State,
    writer: &mut Writer<FileSink>,
) -> std::io::Result<()> {
    for owned in injected.drain(..) {
        let e = owned.as_event_ref();
        state.process(&e);
        writer.write_event(&e)?;
    }
    Ok(())
}
