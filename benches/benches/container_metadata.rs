//! The cost of container metadata in the live pipeline, against the same pipeline
//! without it, in the same run: `sensor/containers/off` vs `sensor/containers/on`.
//!
//! Both feed the same probe records through [`Sensor::handle_record`] (conversion,
//! state, the newest default falco_rules): 8 processes, each in its own Kubernetes-style
//! container (its `/proc/PID/cgroup`, in a private `/proc`, names
//! `/kubepods/besteffort/pod…/<id>`), each cloned, exec'ing `cat`, opening and closing
//! `/etc/hosts` 100 times and exiting — 1,624 records, 3,240 events per iteration. With
//! metadata on, every record's events pass the container hook (a look at the event's
//! `cgroups` parameter, a table lookup for clones and execs); the containers' lookups
//! happen in the first iteration only (a socket that is absent answers at once), so the
//! figure is the steady per-event cost. Goal: on ≤ 1.05 × off.
//!
//! On a shared machine the two criterion cases, measured one after the other, see
//! different loads; the bench therefore also prints `on/off interleaved`: the median,
//! over 41 rounds, of the ratio of the thread CPU time of 20 iterations with metadata on
//! to 20 without, the two run back to back in alternating order.
//!
//! Run: `cargo bench -p falcoc-benches --bench container_metadata -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput};
use falcoc_compiler::{load, Input, LoadOptions};
use falcoc_container::config::{Api, Config, Socket};
use falcoc_engine::EngineOptions;
use falcoc_probe_ebpf::record::RecordBuilder;
use falcoc_probe_ebpf::{Containers, ProcFs, Sensor};
use falcoc_syscall::{SyscallEngine, SyscallOptions};

const PROCESSES: u32 = 8;
const OPENS: usize = 100;

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

/// A private `/proc` where each process of the workload is in its container's cgroups.
fn fake_proc() -> PathBuf {
    let root = std::env::temp_dir().join(format!("falcoc-bench-proc-{}", std::process::id()));
    for i in 0..PROCESSES {
        let pid = 5000 + i;
        let dir = root.join(pid.to_string());
        std::fs::create_dir_all(&dir).expect("fake /proc");
        let id = format!("{:02x}{}", 0xa0 + i, "c".repeat(62));
        std::fs::write(
            dir.join("cgroup"),
            format!(
                "4:memory:/kubepods/besteffort/pod{i}/{id}\n3:cpu,cpuacct:/kubepods/besteffort/pod{i}/{id}\n0::/\n"
            ),
        )
        .expect("cgroup file");
    }
    root
}

fn rec(id: u16, kind: u16, tid: u32, ret: i64, comm: &str) -> RecordBuilder {
    RecordBuilder {
        id,
        kind,
        tid,
        pid: tid,
        ppid: 1,
        ret,
        comm: comm.as_bytes().to_vec(),
        loginuid: u32::MAX,
        ..RecordBuilder::default()
    }
}

/// The workload's records.
fn records() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for i in 0..PROCESSES {
        let pid = 5000 + i;
        out.push(rec(56, 3, pid, 0, "sh").build());
        let mut exec = rec(59, 1, pid, 0, "cat");
        exec.pieces[0] = b"/bin/cat\0".to_vec();
        exec.pieces[1] = b"cat\0/etc/hosts\0".to_vec();
        out.push(exec.build());
        for _ in 0..OPENS {
            let mut open = rec(257, 1, pid, 3, "cat");
            open.args[0] = (-100i64) as u64;
            open.pieces[0] = b"/etc/hosts\0".to_vec();
            out.push(open.build());
            let mut close = rec(3, 1, pid, 0, "cat");
            close.args[0] = 3;
            out.push(close.build());
        }
        out.push(rec(0, 2, pid, 0, "cat").build());
    }
    out
}

fn sensor(proc: &Path, containers: bool) -> Sensor {
    let c = containers.then(|| {
        Containers::start(Config {
            sockets: vec![Socket {
                api: Api::Cri,
                path: proc.join("absent.sock"),
            }],
            ..Config::default()
        })
        .expect("metadata source")
    });
    Sensor::with_containers(default_engine(), ProcFs::new(proc, "/etc"), 0, c)
}

fn run(s: &mut Sensor, records: &[Vec<u8>]) {
    for r in records {
        s.handle_record(black_box(r), &mut |a| {
            black_box(a);
        });
    }
}

/// This thread's CPU time (preemption by other processes excluded).
fn thread_cpu() -> f64 {
    use nix::time::{clock_gettime, ClockId};
    clock_gettime(ClockId::CLOCK_THREAD_CPUTIME_ID)
        .map(|t| t.tv_sec() as f64 + t.tv_nsec() as f64 * 1e-9)
        .unwrap_or(0.0)
}

/// CPU seconds of 20 iterations.
fn timed(s: &mut Sensor, records: &[Vec<u8>]) -> f64 {
    let t = thread_cpu();
    for _ in 0..20 {
        run(s, records);
    }
    thread_cpu() - t
}

fn main() {
    let proc = fake_proc();
    let records = records();
    let mut c = Criterion::default().configure_from_args();
    let mut group = c.benchmark_group("sensor/containers");
    // Events per iteration, counted by a first run.
    let mut probe = sensor(&proc, true);
    for r in &records {
        probe.handle_record(r, &mut |_| {});
    }
    let events = probe.stats().events;
    let seen = probe.containers().map(|c| c.stats().lookups).unwrap_or(0);
    assert_eq!(seen, u64::from(PROCESSES), "every container is seen");
    eprintln!("{} records, {events} events per iteration", records.len());
    group.throughput(Throughput::Elements(events));
    let mut off = sensor(&proc, false);
    let mut on = sensor(&proc, true);
    for (name, s) in [("off", &mut off), ("on", &mut on)] {
        group.bench_function(name, |b| b.iter(|| run(s, &records)));
    }
    group.finish();
    c.final_summary();
    let mut ratios = Vec::new();
    for round in 0..41 {
        let (a, b) = if round % 2 == 0 {
            let a = timed(&mut off, &records);
            (a, timed(&mut on, &records))
        } else {
            let b = timed(&mut on, &records);
            (timed(&mut off, &records), b)
        };
        ratios.push(b / a);
    }
    ratios.sort_by(f64::total_cmp);
    println!(
        "sensor/containers on/off interleaved: {:.3} (median of {} rounds; quartiles {:.3}..{:.3})",
        ratios[ratios.len() / 2],
        ratios.len(),
        ratios[ratios.len() / 4],
        ratios[3 * ratios.len() / 4]
    );
    let _ = std::fs::remove_dir_all(&proc);
}
