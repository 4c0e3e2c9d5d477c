//! Fuzzes the Kubernetes audit source, which reads what the webserver receives from the
//! network: arbitrary bytes (non-UTF-8 is rejected before, as the webserver does) are
//! decoded as a payload and as a file, never panicking; every decoded event then runs
//! through the k8s audit rules bundled in `deploy/kubernetes/rules` (every rule enabled,
//! `rule_matching: all`), which extracts their fields and renders their outputs.

#![no_main]

use std::sync::{Mutex, OnceLock};

use falcoc_schema::fields::PluginProfile;
use falcoc_compiler::load::Mode;
use falcoc_compiler::{load, Input, LoadOptions};
use falcoc_config::{RuleMatching, RuleSelection, SelectionOp};
use falcoc_engine::{Engine, EngineOptions};
use falcoc_k8saudit::{self as k8saudit, FieldOptions, K8S_AUDIT_SOURCE};
use libfuzzer_sys::fuzz_target;

const RULES: &str = include_str!("../../deploy/kubernetes/rules/k8s_audit_rules.yaml");

fn engine() -> &'static Mutex<Engine> {
    static ENGINE: OnceLock<Mutex<Engine>> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let profile = PluginProfile::from_names(&["container", "k8saudit", "json"])
            .expect("plugin names");
        let loaded = load(
            &[Input {
                name: "k8s_audit_rules.yaml",
                bytes: RULES.as_bytes(),
            }],
            &LoadOptions {
                profile: profile.clone(),
                mode: Mode::Falco,
                ..LoadOptions::default()
            },
        );
        assert!(!loaded.has_errors(), "bundled audit rules load");
        let options = EngineOptions {
            source: K8S_AUDIT_SOURCE.to_string(),
            profile,
            hostname: "fuzz".into(),
            rule_matching: RuleMatching::All,
            selection: vec![RuleSelection {
                op: SelectionOp::Enable,
                rule: Some("*".into()),
                tag: None,
            }],
            ..EngineOptions::default()
        };
        Mutex::new(Engine::new(loaded.rules, options).expect("outputs compile"))
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let opts = FieldOptions {
        hostname: "fuzz".into(),
        ..FieldOptions::default()
    };
    let mut engine = engine().lock().unwrap_or_else(|e| e.into_inner());
    let payload = k8saudit::decode_payload(text.to_string());
    let file = k8saudit::read_file(text.to_string());
    for decoded in [payload.ok(), file.ok()].into_iter().flatten() {
        for (i, ev) in decoded.iter().enumerate() {
            if let Ok(ev) = ev {
                let _ = ev.to_json();
                let _ = k8saudit::evaluate(&mut engine, ev, i as u64 + 1, &opts);
            }
        }
    }
});
