//! The live probe's costs, each against a baseline measured in the same run (needs root
//! or CAP_BPF + CAP_PERFMON, and kernel BTF; skipped otherwise):
//!
//! * `probe/getppid/detached` vs `probe/getppid/attached`: a syscall the probe never
//!   sends (`getppid`), without and with the probe attached — the cost every syscall
//!   of the machine pays (goal ≤ 100 ns added);
//! * `probe/open_close/detached` vs `probe/open_close/attached`: `open("/dev/null")` +
//!   `close`, both traced (two records) — (attached − detached) / 2 is the cost of one
//!   traced event in the calling thread (goal ≤ 0.6 µs);
//! * `probe/sustained` (printed, not a criterion case): one thread opening and closing
//!   `/dev/null` for 3 s while a consumer thread runs the whole live pipeline
//!   (records → events → state → the default falco_rules) — events/s delivered, drops,
//!   and the consumer's CPU time per record, i.e. records/s on one core (goal ≥ 1 M).
//!
//! The probe is attached with the syscalls the newest default falco_rules need, as
//! `falcoc run` attaches it; this process is not excluded (the probe normally skips the
//! sensor's own pid). The consumer thread drains the ring buffer during the attached
//! cases, so they measure a steady state.
//!
//! Run: `cargo bench -p falcoc-benches --bench probe -- --warm-up-time 1 --measurement-time 3`
//! as root. Peak RSS of `falcoc run`: `scripts/bench-sensor`.

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use criterion::Criterion;
use falcoc_compiler::{load, Input, LoadOptions};
use falcoc_engine::EngineOptions;
use falcoc_probe_ebpf::loader::boot_offset_ns;
use falcoc_probe_ebpf::{syscalls_for, Probe, ProbeOptions, ProcFs, Sensor, SensorStats};
use falcoc_syscall::{SyscallEngine, SyscallOptions};

/// The engine of the newest default falco_rules.
fn default_engine() -> SyscallEngine {
    let root = falcoc_benches::corpus_root();
    let dir = falcoc_benches::newest(&root, "falco-rules-").expect("falco_rules in the corpus");
    let path = dir.join("falco_rules.yaml");
    let text = std::fs::read(&path).expect("falco_rules.yaml");
    let name = path.display().to_string();
    let loaded = load(
        &[Input {
            name: &name,
            bytes: &text,
        }],
        &LoadOptions::default(),
    );
    assert!(!loaded.has_errors(), "falco_rules loads");
    SyscallEngine::new(
        loaded.rules,
        EngineOptions::default(),
        SyscallOptions::default(),
    )
    .expect("engine")
}

fn thread_cpu() -> Duration {
    use nix::time::{clock_gettime, ClockId};
    clock_gettime(ClockId::CLOCK_THREAD_CPUTIME_ID)
        .map(|t| Duration::new(t.tv_sec() as u64, t.tv_nsec() as u32))
        .unwrap_or_default()
}

/// What the consumer thread measured.
struct Consumed {
    stats: SensorStats,
    cpu: Duration,
    dropped: u64,
}

/// The probe attached with the default rules' syscalls and a consumer thread running
/// the live pipeline until `stop`.
fn attach(stop: Arc<AtomicBool>) -> JoinHandle<Consumed> {
    let (tx, rx) = std::sync::mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("consumer".into())
        .spawn(move || {
            let engine = default_engine();
            let (syscalls, _) = syscalls_for(|c| engine.wants(c));
            let mut probe = Probe::load(&ProbeOptions {
                syscalls,
                ring_bytes: 64 << 20,
                wakeup_bytes: 16 << 20,
                self_pid: 0,
            })
            .expect("probe loads");
            let mut sensor = Sensor::new(engine, ProcFs::default(), boot_offset_ns());
            let _ = tx.send(());
            let cpu0 = thread_cpu();
            let mut alerts = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let _ = probe.wait(Duration::from_millis(10));
                sensor.pump(&mut probe, usize::MAX, |_| alerts += 1);
            }
            while sensor.pump(&mut probe, usize::MAX, |_| alerts += 1) > 0 {}
            let cpu = thread_cpu() - cpu0;
            let dropped = probe.counters().map(|k| k.dropped).unwrap_or(0);
            black_box(alerts);
            Consumed {
                stats: sensor.stats(),
                cpu,
                dropped,
            }
        });
    let handle = spawned.expect("consumer thread starts");
    rx.recv().expect("consumer ready");
    handle
}

fn open_close() {
    drop(black_box(std::fs::File::open("/dev/null")));
}

fn main() {
    let missing = falcoc_probe_ebpf::missing_requirements();
    if !missing.is_empty() {
        eprintln!("probe benchmarks skipped: {}", missing.join("; "));
        return;
    }
    let mut c = Criterion::default().configure_from_args();

    c.bench_function("probe/getppid/detached", |b| {
        b.iter(|| black_box(std::os::unix::process::parent_id()))
    });
    c.bench_function("probe/open_close/detached", |b| b.iter(open_close));

    let stop = Arc::new(AtomicBool::new(false));
    let consumer = attach(Arc::clone(&stop));
    c.bench_function("probe/getppid/attached", |b| {
        b.iter(|| black_box(std::os::unix::process::parent_id()))
    });
    c.bench_function("probe/open_close/attached", |b| b.iter(open_close));
    stop.store(true, Ordering::Relaxed);
    let _ = consumer.join();

    // Sustained: one producer for 3 s against a fresh consumer.
    let stop = Arc::new(AtomicBool::new(false));
    let consumer = attach(Arc::clone(&stop));
    let start = Instant::now();
    let mut pairs = 0u64;
    while start.elapsed() < Duration::from_secs(3) {
        for _ in 0..1000 {
            open_close();
        }
        pairs += 1000;
    }
    let produced_for = start.elapsed();
    stop.store(true, Ordering::Relaxed);
    let Ok(done) = consumer.join() else {
        eprintln!("probe/sustained: the consumer thread failed");
        return;
    };
    let records = done.stats.records.max(1);
    println!(
        "probe/sustained: produced {} open+close pairs in {:.2} s; consumer handled {} records ({} events, {:.0} records/s delivered), dropped {}",
        pairs,
        produced_for.as_secs_f64(),
        done.stats.records,
        done.stats.events,
        done.stats.records as f64 / produced_for.as_secs_f64(),
        done.dropped
    );
    println!(
        "probe/sustained: consumer CPU {:.3} s = {:.0} ns per record = {:.2} M records/s on one core",
        done.cpu.as_secs_f64(),
        done.cpu.as_nanos() as f64 / records as f64,
        records as f64 / done.cpu.as_secs_f64().max(1e-9) / 1e6
    );
    c.final_summary();
}
