//! Falco-style filters over a real capture: the 34 conditions `falco50-*` of
//! `../shared/captures/expected/filters.tsv` (the runtime issue names
//! `tools/oracle/filters/falco-style.txt`, which does not exist in `../shared`; these are
//! the Falco-style conditions that do), each compiled on its own as `falcoc events`
//! compiles a filter ([`Filter`], `crates/syscall/src/filter.rs`; container plugin
//! fields), evaluated over the 5,011 events of `../shared/captures/synth_small.scap` after
//! the state update, on the events sysdig shows (not libsinsp-internal, not dropped), as `events_cmd::run` does.
//!
//! Every case re-reads the capture from memory and rebuilds the state from scratch in each
//! iteration, so all cases share the same read + state cost:
//!
//! * `falco_style/state_only`: read + decode + state tracking, no filter (the baseline);
//! * `falco_style/vm_indexed`: + the filters whose event codes include the event's type, as
//!   Falco's ruleset (and `sinsp_bench -i`) selects rules;
//! * `falco_style/vm_every_event`: + all 34 filters on every event (`sinsp_bench` without
//!   `-i`);
//! * `falco_style/reference_every_event`: + all 34 filters on every event through the
//!   VM's tree-walking reference evaluator ([`Reference`]: no caches, linear scans) over
//!   the same extractor — the evaluator baseline;
//! * `falco_style/reference_indexed`: the same, indexed by event type.
//!
//! Throughput is in events; ns/event of the filters alone = case − `state_only`.
//!
//! Run: `cargo bench -p falcoc-benches --bench falco_style -- --warm-up-time 1 --measurement-time 5`.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use falcoc_codegen::{compile_cond, Program};
use falcoc_compiler::check::check_condition;
use falcoc_compiler::collector::Collection;
use falcoc_compiler::compile::compile_condition;
use falcoc_engine::vm::reference::Reference;
use falcoc_scap::Reader;
use falcoc_schema::events::EventSet;
use falcoc_schema::fields::{PluginProfile, SYSCALL_SOURCE};
use falcoc_state::{State, StateOptions};
use falcoc_syscall::extract::{ExtractOptions, Extractor, FieldPlan};
use falcoc_syscall::filter::Filter;

/// `../shared/captures` beside the checkout.
fn captures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/captures")
}

/// One condition, compiled for the VM (through `events_cmd::Filter`) and for the
/// reference evaluator, with the event codes it can match.
struct Compiled {
    filter: Filter,
    program: Program,
    plan: FieldPlan,
    reference: Reference,
    codes: EventSet,
}

fn compile(text: &str, profile: &PluginProfile) -> Result<Compiled, String> {
    let rules = Collection::default();
    let filter = Filter::compile(text, &rules, profile).map_err(|e| e.message)?;
    let sc = compile_condition(&rules, text, profile)?;
    let checked = check_condition(&sc.expanded, SYSCALL_SOURCE, profile).map_err(|e| e.message)?;
    let program = compile_cond(&checked.cond);
    let plan = FieldPlan::new(&program.tables);
    let reference = Reference::new(&checked.cond, &program.tables);
    Ok(Compiled {
        filter,
        program,
        plan,
        reference,
        codes: sc.event_codes,
    })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    StateOnly,
    VmIndexed,
    VmEvery,
    RefIndexed,
    RefEvery,
}

/// One pass over the capture; returns the number of (filter, event) matches.
fn pass(bytes: &[u8], filters: &mut [Compiled], mode: Mode) -> u64 {
    let opts = ExtractOptions::default();
    let mut reader = Reader::new(bytes).expect("capture");
    reader.read_metadata().expect("metadata");
    let mut state = State::new(StateOptions::default());
    state.set_metadata(reader.take_metadata());
    let mut hits = 0u64;
    while let Some(next) = reader.next_event_ref() {
        let evt = next.expect("event");
        let p = state.process(&evt);
        if p.filtered_out || p.internal {
            continue;
        }
        for f in filters.iter_mut() {
            let indexed = matches!(mode, Mode::VmIndexed | Mode::RefIndexed);
            if indexed && !f.codes.contains(evt.code) {
                continue;
            }
            let m = match mode {
                Mode::StateOnly => break,
                Mode::VmIndexed | Mode::VmEvery => f.filter.matches(&mut state, &evt, opts),
                Mode::RefIndexed | Mode::RefEvery => {
                    let mut ex = Extractor::new(&mut state, &evt, opts).with_plan(&f.plan);
                    f.reference.eval(&f.program.tables, &mut ex)
                }
            };
            hits += m as u64;
        }
    }
    hits
}

fn bench(c: &mut Criterion) {
    let dir = captures();
    let (Ok(tsv), Ok(bytes)) = (
        std::fs::read_to_string(dir.join("expected/filters.tsv")),
        std::fs::read(dir.join("synth_small.scap")),
    ) else {
        eprintln!("note: ../shared/captures not found; falco_style has nothing to measure");
        return;
    };
    let profile = PluginProfile::container_only();
    let mut filters = Vec::new();
    for line in tsv.lines() {
        let Some((id, text)) = line.split_once('\t') else {
            continue;
        };
        if !id.starts_with("falco50-") {
            continue;
        }
        match compile(text, &profile) {
            Ok(f) => filters.push(f),
            Err(e) => eprintln!("note: {id} does not compile: {e}"),
        }
    }
    // Events counted as the passes count them (all events read).
    let events = {
        let mut reader = Reader::new(&bytes[..]).expect("capture");
        reader.read_metadata().expect("metadata");
        let mut n = 0u64;
        while let Some(e) = reader.next_event_ref() {
            e.expect("event");
            n += 1;
        }
        n
    };
    let vm_hits = pass(&bytes, &mut filters, Mode::VmEvery);
    let vm_idx_hits = pass(&bytes, &mut filters, Mode::VmIndexed);
    let ref_hits = pass(&bytes, &mut filters, Mode::RefEvery);
    assert_eq!(vm_hits, ref_hits, "VM and reference evaluator disagree");
    assert_eq!(vm_hits, vm_idx_hits, "indexing changed the matches");
    eprintln!(
        "falco_style: {} filters, {events} events per iteration, {vm_hits} matches",
        filters.len()
    );

    let mut g = c.benchmark_group("falco_style");
    g.throughput(Throughput::Elements(events));
    for (name, mode) in [
        ("state_only", Mode::StateOnly),
        ("vm_indexed", Mode::VmIndexed),
        ("vm_every_event", Mode::VmEvery),
        ("reference_indexed", Mode::RefIndexed),
        ("reference_every_event", Mode::RefEvery),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| black_box(pass(black_box(&bytes), &mut filters, mode)))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
