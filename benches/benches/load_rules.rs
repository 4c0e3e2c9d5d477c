//! Loading and compiling the newest falco_rules + incubating + sandbox files together, as
//! `falcoc lint` does, against a baseline measured in the same run: reading the same
//! files with the YAML reader only.
//!
//! * `load_rules/read_only`: the rule-file reader over the three files (baseline);
//! * `load_rules/falco_mode`: the whole load, Falco-exact (stop at first error, per-file
//!   cumulative compile), as `falcoc lint --format json` runs it;
//! * `load_rules/all_problems`: the same in all-problems mode (human output).
//!
//! Run: `cargo bench -p falcoc-benches --bench load_rules -- --warm-up-time 1
//! --measurement-time 5`. Without `../shared` there is nothing to load: it says so.

use criterion::{criterion_group, criterion_main, Criterion};
use falcoc_benches::newest_rule_files;
use falcoc_compiler::load::{load, read_inputs, Input, LoadOptions, Mode};
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let paths = newest_rule_files();
    if paths.is_empty() {
        eprintln!("note: ../shared corpus not found; load_rules has nothing to measure");
        return;
    }
    let contents: Vec<(String, Vec<u8>)> = paths
        .iter()
        .filter_map(|p| Some((p.display().to_string(), std::fs::read(p).ok()?)))
        .collect();
    let inputs: Vec<Input> = contents
        .iter()
        .map(|(n, b)| Input { name: n, bytes: b })
        .collect();
    let mut g = c.benchmark_group("load_rules");
    g.bench_function("read_only", |b| b.iter(|| black_box(read_inputs(&inputs))));
    for (name, mode) in [
        ("falco_mode", Mode::Falco),
        ("all_problems", Mode::AllProblems),
    ] {
        let opts = LoadOptions {
            mode,
            ..LoadOptions::default()
        };
        g.bench_function(name, |b| b.iter(|| black_box(load(&inputs, &opts))));
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
