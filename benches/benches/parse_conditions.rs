//! Condition parsing throughput over real rule files.
//!
//! Parses every `condition:` (macros and rules) of the newest `falco_rules.yaml`,
//! `falco-incubating_rules.yaml` and `falco-sandbox_rules.yaml` found under
//! `../shared/corpus/rules/falcosecurity-rules/` (newest = highest released version among
//! the `falco-rules-X.Y.Z`, `falco-incubating-rules-X.Y.Z`, `falco-sandbox-rules-X.Y.Z`
//! folders). The conditions are extracted with the rule-file reader in the setup, outside
//! the timed loop; lists are not substituted (the parser does not need them).
//!
//! * `parse_conditions/<file>`: one iteration parses every condition of the file;
//!   throughput in bytes of condition text (MB/s).
//! * `parse_conditions/per_condition`: one iteration parses one condition, cycling over all
//!   of them, so the reported time is the mean ns per condition.
//!
//! Without `../shared` a small built-in set is benchmarked instead (with a note).
//!
//! Run: `cargo bench -p falcoc-benches --bench parse_conditions -- --warm-up-time 1
//! --measurement-time 5`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use falcoc_benches::{newest, FAMILIES};
use falcoc_lang::condition::parse;
use falcoc_lang::rulefile::{read_rules_file, ItemKind, Node};
use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Used when the shared corpus is absent.
const BUILTIN: &[&str] = &[
    "evt.type in (open, openat, openat2) and evt.is_open_write=true and fd.typechar='f' and fd.num>=0",
    "spawned_process and container and proc.name in (shell_binaries) and proc.tty != 0 and container_entrypoint and not user_expected_terminal_shell_in_container_conditions",
    "(evt.type in (sendto, sendmsg) and evt.dir=< and fd.num>=0 and (fd.typechar=4 or fd.typechar=6))",
    "proc.aname[2] in (sshd, systemd) or proc.pname startswith runc: or proc.cmdline contains \"pip install\"",
    "fd.name glob '/etc/*' and not fd.directory pmatch (/etc/ssl, /etc/pki)",
    "tolower(proc.name) = val(proc.pname) and len(proc.args) > 0x10",
    "proc.name = oneof (bash, sh) and getopt(proc.args, \"c:\")[c] exists",
    "not (k8s.ns.name = kube-system or ka.user.name in (admin, \"system:serviceaccount:kube-system:x\"))",
];

struct CondSet {
    name: String,
    conditions: Vec<String>,
}

impl CondSet {
    fn bytes(&self) -> usize {
        self.conditions.iter().map(String::len).sum()
    }
}

/// The conditions of every macro and rule of a rules file, read with the rule-file reader.
fn conditions_of(name: &str, bytes: &[u8]) -> Result<Vec<String>, String> {
    let r = read_rules_file(name, bytes);
    if let Some(e) = r.error() {
        return Err(e.message.clone());
    }
    Ok(r.items
        .iter()
        .filter(|i| matches!(i.kind, ItemKind::Macro | ItemKind::Rule))
        .filter_map(|i| i.get("condition").and_then(Node::as_str).map(str::to_owned))
        .collect())
}

fn load() -> Vec<CondSet> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/corpus/rules/falcosecurity-rules");
    let mut sets = Vec::new();
    for family in FAMILIES {
        let Some(dir) = newest(&root, family) else {
            continue;
        };
        let files = std::fs::read_dir(&dir).into_iter().flatten().flatten();
        for file in files {
            let path = file.path();
            if path.extension().is_none_or(|x| x != "yaml") {
                continue;
            }
            let bytes = match std::fs::read(&path) {
                Ok(b) => b,
                Err(e) => {
                    eprintln!("note: cannot read {}: {e}", path.display());
                    continue;
                }
            };
            match conditions_of(&path.to_string_lossy(), &bytes) {
                Ok(conditions) => sets.push(CondSet {
                    name: format!(
                        "{}/{}",
                        dir.file_name().unwrap_or_default().to_string_lossy(),
                        path.file_name().unwrap_or_default().to_string_lossy()
                    ),
                    conditions,
                }),
                Err(e) => eprintln!("note: cannot read {}: {e}", path.display()),
            }
        }
    }
    if sets.is_empty() {
        eprintln!(
            "note: no rule files under {}; benchmarking {} built-in conditions instead",
            root.display(),
            BUILTIN.len()
        );
        sets.push(CondSet {
            name: "builtin".into(),
            conditions: BUILTIN.iter().map(|s| s.to_string()).collect(),
        });
    }
    sets
}

fn bench(c: &mut Criterion) {
    let sets = load();
    let all: Vec<&str> = sets
        .iter()
        .flat_map(|s| s.conditions.iter().map(String::as_str))
        .collect();
    for s in &sets {
        let failed = s.conditions.iter().filter(|c| parse(c).is_err()).count();
        eprintln!(
            "{}: {} conditions, {} bytes, {} rejected by the parser",
            s.name,
            s.conditions.len(),
            s.bytes(),
            failed
        );
    }

    let mut group = c.benchmark_group("parse_conditions");
    for s in &sets {
        group.throughput(Throughput::Bytes(s.bytes() as u64));
        group.bench_function(&s.name, |b| {
            b.iter(|| {
                for cond in &s.conditions {
                    let _ = black_box(parse(black_box(cond)));
                }
            })
        });
    }
    if sets.len() > 1 {
        let bytes: usize = sets.iter().map(CondSet::bytes).sum();
        group.throughput(Throughput::Bytes(bytes as u64));
        group.bench_function("all", |b| {
            b.iter(|| {
                for cond in &all {
                    let _ = black_box(parse(black_box(cond)));
                }
            })
        });
    }

    if all.is_empty() {
        group.finish();
        eprintln!("note: no conditions found");
        return;
    }

    // One condition per iteration, cycling through all of them: the time is ns/condition.
    group.throughput(Throughput::Elements(1));
    group.bench_function("per_condition", |b| {
        b.iter_custom(|iters| {
            let mut i = 0;
            let start = Instant::now();
            for _ in 0..iters {
                let _ = black_box(parse(black_box(all[i])));
                i += 1;
                if i == all.len() {
                    i = 0;
                }
            }
            start.elapsed()
        })
    });
    group.finish();

    // A direct figure, independent of criterion's statistics.
    let rounds = 20;
    let start = Instant::now();
    for _ in 0..rounds {
        for cond in &all {
            let _ = black_box(parse(black_box(cond)));
        }
    }
    let elapsed: Duration = start.elapsed();
    let n = (rounds * all.len()) as f64;
    let bytes = (rounds * all.iter().map(|c| c.len()).sum::<usize>()) as f64;
    eprintln!(
        "summary: {} conditions, {:.0} ns/condition, {:.1} MB/s (plain loop, {rounds} rounds)",
        all.len(),
        elapsed.as_nanos() as f64 / n,
        bytes / elapsed.as_secs_f64() / 1e6
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
