//! Heap allocations per event on the replay hot path, counted by a counting global
//! allocator (not a timing bench: `harness = false`, it prints a table).
//!
//! The loop is [`falcoc_syscall::replay`]'s: read the next event
//! ([`Reader::next_event_ref`]), update the state ([`State::process`]), run the rules
//! ([`SyscallEngine::evaluate_into`]). Each phase's allocations (`alloc`, `alloc_zeroed` and
//! `realloc` calls) are counted on their own; the rules phase is split into events that
//! raised an alert (an [`Alert`](falcoc_engine::Alert) owns its strings) and
//! events that did not. Rule loading and the reader's set-up are outside the counted loop.
//!
//! Captures: `../shared/captures/synth_100k.scap.gz` (or `ALLOCS_CAPTURE`), with the rule
//! sets of the replay golden variants: falco_rules 5.0.0, and falco + incubating + sandbox
//! with every rule enabled and `rule_matching: all`.
//!
//! Run: `cargo bench -p falcoc-benches --bench allocs`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use falcoc_compiler::load::{load, Input, LoadOptions};
use falcoc_config::Config;
use falcoc_engine::{EngineOptions, SHIPPED_CONFIG};
use falcoc_scap::Reader;
use falcoc_schema::fields::PluginProfile;
use falcoc_state::{State, StateOptions};
use falcoc_syscall::{SyscallEngine, SyscallOptions};

/// The system allocator, counting allocation calls.
struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);

// SAFETY: every call is forwarded unchanged to `System`, which upholds the contract; the
// counter is a relaxed atomic with no effect on the allocation.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded with the caller's layout.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded with the caller's layout.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded with the caller's pointer, layout and size.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's pointer and layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocs() -> u64 {
    ALLOCS.load(Ordering::Relaxed)
}

fn shared() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared")
}

/// Allocation counts of one replay.
#[derive(Debug, Default)]
struct Counts {
    events: u64,
    read: u64,
    state: u64,
    state_events: u64,
    rules_quiet: u64,
    rules_quiet_events: u64,
    alert_events: u64,
    rules_alerting: u64,
    alerts: u64,
}

fn engine(files: &[PathBuf], overrides: &[&str]) -> Option<SyscallEngine> {
    let contents: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|f| Some((f.display().to_string(), std::fs::read(f).ok()?)))
        .collect::<Option<_>>()?;
    let inputs: Vec<Input> = contents
        .iter()
        .map(|(n, b)| Input { name: n, bytes: b })
        .collect();
    let loaded = load(
        &inputs,
        &LoadOptions {
            profile: PluginProfile::container_only(),
            ..LoadOptions::default()
        },
    );
    if loaded.has_errors() {
        eprintln!("note: {files:?} do not load");
        return None;
    }
    let (mut config, _) = Config::from_yaml("falco.yaml", SHIPPED_CONFIG).ok()?;
    for o in overrides {
        config.apply_override(o).ok()?;
    }
    SyscallEngine::new(
        loaded.rules,
        EngineOptions::from_config(&config),
        SyscallOptions::default(),
    )
    .ok()
}

fn count(engine: &mut SyscallEngine, capture: &[u8]) -> Option<Counts> {
    let mut reader = Reader::new(capture).ok()?;
    let mut state = State::new(StateOptions {
        libs: engine.libs(),
        ..StateOptions::default()
    });
    reader.read_metadata().ok()?;
    state.set_metadata(reader.take_metadata());
    let mut out = Vec::with_capacity(64);
    let mut c = Counts::default();
    loop {
        let a0 = allocs();
        let Some(next) = reader.next_event_ref() else {
            break;
        };
        let a1 = allocs();
        let evt = next.ok()?;
        c.events += 1;
        c.read += a1 - a0;
        let p = state.process(&evt);
        let a2 = allocs();
        c.state += a2 - a1;
        c.state_events += u64::from(a2 > a1);
        if p.filtered_out {
            continue;
        }
        let n = engine.evaluate_into(&mut state, &evt, &mut out);
        let a3 = allocs();
        if n > 0 {
            c.alert_events += 1;
            c.alerts += n as u64;
            c.rules_alerting += a3 - a2;
            out.clear();
        } else {
            c.rules_quiet += a3 - a2;
            c.rules_quiet_events += u64::from(a3 > a2);
        }
    }
    Some(c)
}

fn main() {
    let root = shared();
    let capture = std::env::var_os("ALLOCS_CAPTURE")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("captures/synth_100k.scap.gz"));
    let Ok(bytes) = std::fs::read(&capture) else {
        eprintln!("note: {} not found; nothing measured", capture.display());
        return;
    };
    let r = root.join("corpus/rules/falcosecurity-rules");
    let fr = r.join("falco-rules-5.0.0/falco_rules.yaml");
    let ir = r.join("falco-incubating-rules-5.0.1/falco-incubating_rules.yaml");
    let sr = r.join("falco-sandbox-rules-5.0.1/falco-sandbox_rules.yaml");
    let variants: [(&str, Vec<PathBuf>, &[&str]); 2] = [
        ("falco_rules 5.0.0", vec![fr.clone()], &[]),
        (
            "falco+incubating+sandbox, all, match all",
            vec![fr, ir, sr],
            &["rules[].enable.rule=*", "rule_matching=all"],
        ),
    ];
    println!("capture: {}", capture.display());
    println!(
        "| rules | events | read allocs/event | state allocs/event (events allocating) | rules, quiet events: allocs/event (events allocating) | alerting events | allocs per alerting event |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (name, files, overrides) in variants {
        let Some(mut e) = engine(&files, overrides) else {
            continue;
        };
        let Some(c) = count(&mut e, &bytes) else {
            eprintln!("note: {} does not read", capture.display());
            return;
        };
        let per = |n: u64| n as f64 / c.events.max(1) as f64;
        println!(
            "| {name} | {} | {:.4} | {:.4} ({}) | {:.4} ({}) | {} ({} alerts) | {:.1} |",
            c.events,
            per(c.read),
            per(c.state),
            c.state_events,
            per(c.rules_quiet),
            c.rules_quiet_events,
            c.alert_events,
            c.alerts,
            c.rules_alerting as f64 / c.alert_events.max(1) as f64,
        );
    }
}
