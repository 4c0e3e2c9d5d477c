//! Every event type of the newest upstream rules (falco, incubating, sandbox; all rules
//! enabled) is one the probe can deliver, and the syscalls it would trace cover them.

use std::path::PathBuf;

use falcoc_compiler::{load, Input, LoadOptions};
use falcoc_config::{RuleSelection, SelectionOp};
use falcoc_engine::{Engine, EngineOptions};
use falcoc_probe_ebpf::syscalls_for;

fn rules_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus/rules/falcosecurity-rules")
}

#[test]
fn newest_upstream_rules_need_only_traceable_syscalls() {
    let files = [
        "falco-rules-5.1.0/falco_rules.yaml",
        "falco-incubating-rules-6.0.1/falco-incubating_rules.yaml",
        "falco-sandbox-rules-6.1.0/falco-sandbox_rules.yaml",
    ];
    let texts: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|f| {
            let p = rules_dir().join(f);
            (f.to_string(), std::fs::read(&p).expect("rule file"))
        })
        .collect();
    let inputs: Vec<Input> = texts
        .iter()
        .map(|(n, b)| Input { name: n, bytes: b })
        .collect();
    let loaded = load(&inputs, &LoadOptions::default());
    assert!(!loaded.has_errors());
    let n_rules = loaded.rules.len();
    let engine = Engine::new(
        loaded.rules,
        EngineOptions {
            selection: vec![RuleSelection {
                op: SelectionOp::Enable,
                rule: Some("*".into()),
                tag: None,
            }],
            ..EngineOptions::default()
        },
    )
    .expect("engine");
    assert_eq!(engine.active_rules().count(), n_rules);
    let (syscalls, missing) = syscalls_for(|c| engine.wants(c));
    assert!(
        missing.is_empty(),
        "event types the probe cannot deliver: {missing:?}"
    );
    let names: Vec<&str> = syscalls.iter().map(|s| s.name).collect();
    for must in [
        "execve",
        "openat",
        "connect",
        "ptrace",
        "setns",
        "bpf",
        "init_module",
    ] {
        assert!(names.contains(&must), "{must} is not traced: {names:?}");
    }
}
