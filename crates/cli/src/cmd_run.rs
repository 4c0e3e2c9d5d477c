//! `falcoc run [-c falco.yaml] [-r RULES]… [-o key=value]… [--json]`: the live sensor.
//!
//! It loads the rules (`-r`, else the configuration's `rules_files`) and the outputs of
//! the configuration (stdout without `-c`), attaches the bundled eBPF probe with the
//! syscalls the rules' event types and the state tracking need, fills the process and fd
//! tables from `/proc`, and then runs every probe event through the same state, rule
//! engine and outputs as `falcoc replay`. The sensor's own process is not traced.
//!
//! Container and pod metadata (`container.*`, `k8s.*`) come from the container
//! runtimes' sockets (CRI, docker, podman; the `container` plugin's `init_config` in the
//! configuration picks them), asked on a worker thread when a container is first seen;
//! `--no-container-metadata` turns that off (then only `container.id` is known).
//!
//! Once a second the kernel-side drop counter feeds the `syscall_event_drops` monitor
//! (log, alert, exit); `--stats-interval` prints a stats line to stderr. SIGINT or
//! SIGTERM (or `--duration`) stops it cleanly: the probe is detached, the events still
//! in the ring buffer are processed, the outputs get `output_timeout` to deliver, and a
//! summary goes to stderr.
//!
//! Exit codes: 0 stopped normally; 1 the rules do not load, the probe fails, or the drop
//! monitor's `exit` action fired; 2 usage errors (bad configuration, unreadable files)
//! and a machine that cannot run the probe (missing capabilities or BTF).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::setup::{
    close_timeout, engine_options, load_config, load_rules, open_outputs, print_output_report,
    rule_paths, syscall_options,
};
use crate::{EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE};
use falcoc_config::{Config, DropAction};
use falcoc_engine::{hostname_from_env, Alert};
use falcoc_outputs::Outputs;
use falcoc_probe_ebpf::loader::boot_offset_ns;
use falcoc_probe_ebpf::{
    syscalls_for, Containers, Probe, ProbeError, ProbeOptions, ProcFs, Sensor,
};
use falcoc_syscall::drops::DropMonitor;
use falcoc_syscall::SyscallEngine;

/// Arguments of `falcoc run`.
#[derive(clap::Args)]
pub struct RunArgs {
    /// A `falco.yaml` (default: Falco's shipped alert settings, stdout output).
    #[arg(short = 'c', long = "config", value_name = "FILE")]
    config: Option<PathBuf>,
    /// A rule file or directory (repeat for several; default: `rules_files` of the
    /// configuration).
    #[arg(short = 'r', long = "rules", value_name = "RULES")]
    rules: Vec<PathBuf>,
    /// Override a configuration key (`-o priority=warning`, `-o json_output=true`).
    #[arg(short = 'o', long = "option", value_name = "KEY=VALUE")]
    options: Vec<String>,
    /// Print alerts as Falco's JSON objects (as `json_output: true`).
    #[arg(long)]
    json: bool,
    /// Plugins whose fields are known (see `falcoc lint --help`).
    #[arg(long, default_value = "auto")]
    plugins: String,
    /// Do not run an event source (`syscall`: no eBPF probe, e.g. to serve only
    /// Kubernetes audit events); repeatable.
    #[arg(long = "disable-source", value_name = "SOURCE")]
    disable_source: Vec<String>,
    /// Print a stats line to stderr every this many seconds (0: never).
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    stats_interval: u64,
    /// Stop after this many seconds (default: run until SIGINT or SIGTERM).
    #[arg(long, value_name = "SECS")]
    duration: Option<f64>,
    /// Size of the probe's ring buffer in KiB (rounded up to a power of two, at least a
    /// page). The kernel wakes the reader when a quarter of it is pending; the reader
    /// also polls every 10 ms.
    #[arg(long, value_name = "KIB", default_value_t = 8192)]
    ring_buffer_kb: u32,
    /// Do not ask the container runtimes for container and pod metadata.
    #[arg(long)]
    no_container_metadata: bool,
}

/// How often the reader wakes up when the kernel has not woken it.
const POLL_INTERVAL: Duration = Duration::from_millis(10);
/// Records handled per drain before the loop checks its timers and the stop flag.
const DRAIN_BATCH: usize = 16 * 1024;

/// A memory figure of this process in KiB (`VmHWM`: peak resident set, `VmRSS`: now).
fn memory_kb(key: &str) -> Option<u64> {
    std::fs::read_to_string("/proc/self/status")
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn mib(kb: Option<u64>) -> String {
    kb.map_or("unknown".to_string(), |kb| {
        format!("{:.1} MiB", kb as f64 / 1024.0)
    })
}

fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

/// The output channels, shared by the event sources.
struct SharedOutputs(Mutex<Outputs>);

impl SharedOutputs {
    fn emit(&self, alert: &Alert) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).emit(alert);
    }
}

/// Runs `falcoc run`.
pub fn run(args: RunArgs) -> u8 {
    let config = match load_config(args.config.as_deref(), &args.options) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let paths = match rule_paths(&args.rules, &config) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_USAGE;
        }
    };
    let (loaded, profile) = match load_rules(&paths, &args.plugins) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let (options, timezone) = engine_options(&config, profile);
    // Shared with the audit webserver's threads (the channels' receivers are not `Sync`).
    let outputs = match open_outputs(&config, args.json, timezone) {
        Ok(o) => Arc::new(SharedOutputs(Mutex::new(o))),
        Err(code) => return code,
    };
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        if let Err(e) = signal_hook::flag::register(sig, Arc::clone(&stop)) {
            eprintln!("error: cannot handle signal {sig}: {e}");
            return EXIT_USAGE;
        }
    }
    let deadline = args
        .duration
        .map(|s| Instant::now() + Duration::from_secs_f64(s.max(0.0)));

    // HOOK(k8s_audit): the Kubernetes audit webserver starts here.
    let audit_outputs = Arc::clone(&outputs);
    let k8s_audit = match crate::run_k8s_audit::start(
        &config,
        loaded.rules.clone(),
        options.clone(),
        timezone,
        Arc::new(move |alert: Alert| audit_outputs.emit(&alert)),
    ) {
        Ok(h) => h,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_USAGE;
        }
    };

    let code = if args.disable_source.iter().any(|s| s == "syscall") {
        eprintln!("falcoc run: syscall source disabled");
        while !stop.load(Ordering::Relaxed) && deadline.is_none_or(|d| Instant::now() < d) {
            std::thread::sleep(POLL_INTERVAL);
        }
        EXIT_OK
    } else {
        let engine = match SyscallEngine::new(loaded.rules, options, syscall_options(timezone)) {
            Ok(e) => e,
            Err(e) => {
                eprintln!("error: {e}");
                return EXIT_PROBLEMS;
            }
        };
        let sensor = SyscallSource {
            args: &args,
            config: &config,
            outputs: &outputs,
            stop: &stop,
            deadline,
        };
        sensor.run(engine)
    };

    // The audit webserver holds the outputs too: stop it (its queued events run first).
    if let Some(h) = k8s_audit {
        h.shutdown();
    }
    let Ok(SharedOutputs(outputs)) = Arc::try_unwrap(outputs) else {
        eprintln!("error: outputs still in use at exit");
        return EXIT_PROBLEMS;
    };
    let close_timeout = close_timeout(&config);
    let mut outputs = outputs.into_inner().unwrap_or_else(|e| e.into_inner());
    let report = outputs.flush_and_close(close_timeout);
    print_output_report(&report, close_timeout);
    code
}

/// The syscall source: probe → converter → state → engine → outputs.
struct SyscallSource<'a> {
    args: &'a RunArgs,
    config: &'a Config,
    outputs: &'a SharedOutputs,
    stop: &'a AtomicBool,
    deadline: Option<Instant>,
}

impl SyscallSource<'_> {
    fn run(&self, engine: SyscallEngine) -> u8 {
        let containers = if self.args.no_container_metadata {
            None
        } else {
            match container_config(self.config)
                .and_then(|c| Containers::start(c).map_err(|e| format!("container metadata: {e}")))
            {
                Ok(c) => Some(c),
                Err(e) => {
                    eprintln!("error: {e}");
                    return EXIT_USAGE;
                }
            }
        };
        let (syscalls, missing) = syscalls_for(|c| engine.wants(c));
        if !missing.is_empty() {
            eprintln!(
                "warning: the rules use event types the probe does not deliver: {}",
                missing.join(", ")
            );
        }
        let n_syscalls = syscalls.len();
        let ring_bytes = self
            .args
            .ring_buffer_kb
            .clamp(4, 1 << 20)
            .next_power_of_two()
            .saturating_mul(1024);
        let probe_options = ProbeOptions {
            syscalls,
            ring_bytes,
            wakeup_bytes: u64::from(ring_bytes / 4),
            ..ProbeOptions::default()
        };
        let mut probe = match Probe::load(&probe_options) {
            Ok(p) => p,
            Err(e @ ProbeError::Requirements(_)) => {
                eprintln!("error: {e}");
                return EXIT_USAGE;
            }
            Err(e) => {
                eprintln!("error: {e}");
                return EXIT_PROBLEMS;
            }
        };
        // Attached first, then /proc: what starts during the scan is in the ring buffer.
        let mut p =
            Sensor::with_containers(engine, ProcFs::default(), boot_offset_ns(), containers);
        eprintln!(
            "falcoc run: probe attached ({n_syscalls} syscalls traced), {} rules active, {} threads read from /proc",
            p.engine().active_rules().count(),
            p.stats().threads_at_start
        );
        let mut drops = DropMonitor::new(&self.config.syscall_event_drops, now_ns());
        let emit = |a: Alert| self.outputs.emit(&a);
        let mut exit_code = EXIT_OK;
        let started = Instant::now();
        let stats_every = Duration::from_secs(self.args.stats_interval);
        let mut next_stats = started + stats_every;
        let mut next_drop_check = started;
        loop {
            if self.stop.load(Ordering::Relaxed)
                || self.deadline.is_some_and(|d| Instant::now() >= d)
            {
                break;
            }
            if let Err(e) = probe.wait(POLL_INTERVAL) {
                eprintln!("error: {e}");
                exit_code = EXIT_PROBLEMS;
                break;
            }
            p.pump(&mut probe, DRAIN_BATCH, emit);
            let now = Instant::now();
            if now >= next_drop_check {
                next_drop_check = now + Duration::from_millis(250);
                if let Ok(k) = probe.counters() {
                    if let Some(report) = drops.check(now_ns(), k.sent + k.dropped, k.dropped) {
                        if self.act_on_drops(&report) {
                            exit_code = EXIT_PROBLEMS;
                            break;
                        }
                    }
                }
            }
            if !stats_every.is_zero() && now >= next_stats {
                next_stats = now + stats_every;
                let k = probe.counters().unwrap_or_default();
                eprintln!(
                    "falcoc stats: {} events ({:.0}/s), {} alerts, {} dropped by the kernel, {} threads, {} fds{}",
                    p.stats().events,
                    p.stats().events as f64 / started.elapsed().as_secs_f64().max(1e-9),
                    p.stats().alerts,
                    k.dropped,
                    p.state().thread_count(),
                    p.state().fd_count(),
                    container_stats(&p)
                );
            }
        }
        // What is still in the ring buffer when we stop.
        while p.pump(&mut probe, DRAIN_BATCH, emit) > 0 {}
        let kernel = probe.counters().unwrap_or_default();
        drop(probe);
        let conv = p.convert_stats();
        eprintln!(
            "Events: {} ({} records, {} unreadable, {} dropped by the kernel), alerts: {}, {:.1} s, RSS {} (peak {})",
            p.stats().events,
            kernel.sent,
            conv.bad_records,
            kernel.dropped,
            p.stats().alerts,
            started.elapsed().as_secs_f64(),
            mib(memory_kb("VmRSS")),
            mib(memory_kb("VmHWM"))
        );
        if p.containers().is_some() {
            eprintln!(
                "Containers:{}",
                container_stats(&p).trim_start_matches(", containers:")
            );
        }
        for (rule, n) in p.engine().match_counts() {
            eprintln!("   {rule}: {n}");
        }
        eprintln!("{}", drops.summary());
        exit_code
    }

    /// Takes the drop monitor's actions; returns whether the sensor must exit.
    fn act_on_drops(&self, report: &falcoc_syscall::drops::DropReport) -> bool {
        let mut exit = false;
        for action in &report.actions {
            match action {
                DropAction::Ignore => {}
                DropAction::Log => eprintln!("{}", report.message()),
                DropAction::Alert => {
                    let alert = Alert::syscall_event_drop(
                        now_ns(),
                        hostname_from_env(),
                        &[
                            ("n_evts", report.n_evts),
                            ("n_drops", report.n_drops),
                            ("n_drops_buffer_total", report.n_drops_total),
                        ],
                        true,
                    );
                    self.outputs.emit(&alert);
                }
                DropAction::Exit => {
                    eprintln!("{} Exiting.", report.message());
                    exit = true;
                }
            }
        }
        exit
    }
}

/// The container metadata configuration: the `init_config` of the `container` plugin
/// entry of `plugins`, if any, else the defaults (every runtime on its default sockets).
pub(crate) fn container_config(config: &Config) -> Result<falcoc_container::Config, String> {
    match config.plugins.iter().find(|p| p.name == "container") {
        Some(p) => falcoc_container::Config::from_init_config(
            p.init_config.as_ref().unwrap_or(&serde_json::Value::Null),
        )
        .map_err(|e| format!("plugins (container): {e}")),
        None => Ok(falcoc_container::Config::default()),
    }
}

/// `, containers: N known (E evicted), L lookups, F failed, T timed out, W late` for the
/// stats line (empty without container metadata).
fn container_stats(p: &Sensor) -> String {
    let Some(c) = p.containers() else {
        return String::new();
    };
    let s = c.stats();
    let (known, evicted) = c.counts();
    format!(
        ", containers: {known} known ({evicted} evicted), {} lookups, {} found, {} failed, {} timed out, {} late",
        s.lookups, s.found, s.failures, s.timeouts, s.late
    )
}
