//! The `k8s_audit` source end to end in the runtime: the `falco-testing-k8saudit` loader
//! cases of `../shared/corpus/loader-cases` give exactly their expected detections (by
//! rule and by priority) when their audit-event files go through the engine, and syscall
//! rules never run on audit events.

#[path = "support/k8saudit_cases.rs"]
mod support;

use falcoc_compiler::load::{load, Input, LoadOptions, Mode};
use falcoc_engine::{Engine, EngineOptions};
use falcoc_k8saudit::{self as k8saudit, FieldOptions, K8S_AUDIT_SOURCE};
use falcoc_schema::fields::PluginProfile;
use support::{cases, check, shared, Case};

fn engine_for(case: &Case) -> Engine {
    let texts: Vec<(String, Vec<u8>)> = case
        .inputs
        .iter()
        .map(|p| {
            (
                p.display().to_string(),
                std::fs::read(p).expect("rule file"),
            )
        })
        .collect();
    let inputs: Vec<Input> = texts
        .iter()
        .map(|(n, b)| Input { name: n, bytes: b })
        .collect();
    let profile = PluginProfile::from_names(&["container", "k8saudit", "json"]).expect("plugins");
    let loaded = load(
        &inputs,
        &LoadOptions {
            profile: profile.clone(),
            mode: Mode::Falco,
            ..LoadOptions::default()
        },
    );
    assert!(!loaded.has_errors(), "{}: rules load", case.id);
    let options = EngineOptions {
        source: K8S_AUDIT_SOURCE.to_string(),
        profile,
        hostname: "test".into(),
        ..EngineOptions::default()
    };
    Engine::new(loaded.rules, options).expect("outputs compile")
}

#[test]
fn loader_cases_give_their_detections() {
    let Some(shared) = shared() else {
        eprintln!("note: ../shared not found; skipped");
        return;
    };
    let cases = cases(&shared);
    assert_eq!(cases.len(), 46, "the manifest's k8saudit cases");
    let opts = FieldOptions {
        hostname: "test".into(),
        ..FieldOptions::default()
    };
    let mut failures = Vec::new();
    let mut alerted = 0;
    for case in &cases {
        let mut engine = engine_for(case);
        let has_syscall_rules = case
            .inputs
            .iter()
            .any(|p| p.ends_with("legacy_falco_rules_v1_0_1.yaml"));
        assert!(
            !has_syscall_rules
                || engine
                    .skipped_rules()
                    .iter()
                    .any(|r| r == "Terminal shell in container"),
            "{}: the syscall rules are skipped",
            case.id
        );
        let text = std::fs::read_to_string(&case.capture).expect("capture");
        let events = k8saudit::read_file(text).expect("capture decodes");
        let mut alerts = Vec::new();
        for (i, ev) in events.iter().enumerate() {
            let ev = ev.as_ref().expect("every event decodes");
            alerts.extend(k8saudit::evaluate(&mut engine, ev, i as u64 + 1, &opts));
        }
        alerted += usize::from(!alerts.is_empty());
        let pairs: Vec<_> = alerts
            .iter()
            .map(|a| (a.rule.clone(), a.priority))
            .collect();
        let problems = check(case, &pairs);
        if !problems.is_empty() {
            let got: Vec<String> = alerts
                .iter()
                .map(|a| format!("{} ({})", a.rule, a.priority.name()))
                .collect();
            failures.push(format!(
                "{}: {} — got {got:?}",
                case.id,
                problems.join("; ")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(alerted >= 30, "most cases alert ({alerted})");
}

#[test]
fn syscall_engine_ignores_audit_rules() {
    let rules = br#"
- rule: audit rule
  desc: d
  condition: ka.verb = create
  output: "verb=%ka.verb"
  priority: WARNING
  source: k8s_audit
- rule: shell
  desc: d
  condition: evt.type = execve and proc.name = bash
  output: "shell"
  priority: WARNING
"#;
    let profile = PluginProfile::from_names(&["container", "k8saudit", "json"]).expect("plugins");
    let load_opts = LoadOptions {
        profile: profile.clone(),
        ..LoadOptions::default()
    };
    let loaded = load(
        &[Input {
            name: "r.yaml",
            bytes: rules,
        }],
        &load_opts,
    );
    assert!(!loaded.has_errors());
    let syscall = Engine::new(
        loaded.rules.clone(),
        EngineOptions {
            profile: profile.clone(),
            ..EngineOptions::default()
        },
    )
    .expect("engine");
    assert_eq!(syscall.active_rules().collect::<Vec<_>>(), ["shell"]);
    assert_eq!(syscall.skipped_rules(), ["audit rule"]);
    let mut audit = Engine::new(
        loaded.rules,
        EngineOptions {
            profile,
            source: K8S_AUDIT_SOURCE.into(),
            ..EngineOptions::default()
        },
    )
    .expect("engine");
    assert_eq!(audit.active_rules().collect::<Vec<_>>(), ["audit rule"]);
    let ev = r#"{"kind":"Event","auditID":"1","verb":"create","stageTimestamp":"2024-01-02T03:04:05.5Z"}"#;
    let events = k8saudit::decode_payload(ev.to_string()).expect("payload");
    let ev = events[0].as_ref().expect("event");
    let alerts = k8saudit::evaluate(&mut audit, ev, 1, &FieldOptions::default());
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].message, "verb=create");
    assert_eq!(alerts[0].source, "k8s_audit");
    assert_eq!(alerts[0].time_ns, 1_704_164_645_500_000_000);
}

/// Every k8s audit rule file of the corpus that Falco 0.42.1 loads (golden
/// `validate/plugins-all`: exit code 0) builds a `k8s_audit` engine whose rules all run
/// on every corpus audit event, and the files of the k8saudit plugin raise alerts on them.
#[test]
fn corpus_audit_rule_files_run_on_every_event() {
    let Some(shared) = shared() else {
        return;
    };
    let summary = std::fs::read_to_string(shared.join("golden/validate/plugins-all/summary.tsv"))
        .expect("golden summary");
    let mut files = Vec::new();
    for line in summary.lines() {
        let cols: Vec<&str> = line.split('\t').collect();
        let (Some(file), Some(code)) = (cols.first(), cols.get(3)) else {
            continue;
        };
        let audit = file.ends_with("/k8s_audit_rules.yaml");
        if audit && *code == "0" {
            files.push(shared.join(file.trim_start_matches("shared/")));
        }
    }
    assert!(files.len() >= 10, "{files:?}");
    let caps = shared.join("corpus/captures/k8s_audit");
    let mut events = Vec::new();
    let mut names: Vec<_> = std::fs::read_dir(&caps)
        .expect("captures")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    names.sort();
    for p in names {
        let text = std::fs::read_to_string(&p).expect("capture");
        // (`fal_01_003.json` is a malformed event, `{"kind": 0}`.)
        events.extend(
            k8saudit::read_file(text)
                .into_iter()
                .flatten()
                .filter_map(Result::ok),
        );
    }
    assert!(events.len() >= 50);
    let opts = FieldOptions::default();
    for file in files {
        let bytes = std::fs::read(&file).expect("rules");
        let name = file.display().to_string();
        let profile = PluginProfile::all();
        let loaded = load(
            &[Input {
                name: &name,
                bytes: &bytes,
            }],
            &LoadOptions {
                profile: profile.clone(),
                mode: Mode::Falco,
                ..LoadOptions::default()
            },
        );
        assert!(!loaded.has_errors(), "{name} loads");
        let enabled = loaded
            .rules
            .iter()
            .filter(|r| r.source == K8S_AUDIT_SOURCE && r.enabled)
            .count();
        let mut engine = Engine::new(
            loaded.rules,
            EngineOptions {
                source: K8S_AUDIT_SOURCE.into(),
                profile,
                rule_matching: falcoc_config::RuleMatching::All,
                ..EngineOptions::default()
            },
        )
        .expect("engine");
        assert_eq!(engine.active_rules().count(), enabled, "{name}");
        let mut alerts = 0;
        for (i, ev) in events.iter().enumerate() {
            alerts += k8saudit::evaluate(&mut engine, ev, i as u64 + 1, &opts).len();
        }
        assert_eq!(engine.stats().events, events.len() as u64);
        if name.contains("/plugins/k8saudit/") {
            assert!(alerts > 0, "{name}: no alert on the corpus events");
        }
    }
}
