//! Engine behaviour on synthetic events: selection and order, rule matching, outputs.

use std::collections::HashMap;

use falcoc_codegen::{FieldDesc, FieldId};
use falcoc_compiler::ir::Operand;
use falcoc_compiler::priority::Priority;
use falcoc_compiler::{load, Input, LoadOptions};
use falcoc_schema::fields::ResolvedField;
use serde_json::{json, Value};

use super::{Engine, EngineOptions, EventFields};
use crate::vm::{FieldSource, Values};
use falcoc_config::{AppendMatch, AppendOutput, ExtraField, RuleMatching, RuleSelection};
use falcoc_config::{Config, SelectionOp};

const OPENAT_X: u16 = 307;
const EXECVE_X: u16 = 293;

/// An event as a map of field values (strings or integers); absent fields are missing.
struct Map(HashMap<&'static str, Value>);

impl Map {
    fn new(pairs: &[(&'static str, Value)]) -> Map {
        Map(pairs.iter().cloned().collect())
    }
}

impl FieldSource for Map {
    fn extract(&mut self, _id: FieldId, field: &FieldDesc, out: &mut Values) -> bool {
        match self.0.get(field.field.name.as_str()) {
            Some(Value::String(s)) => out.push_str(s),
            Some(Value::Number(n)) => out.push_i64(n.as_i64().unwrap_or_default()),
            _ => return false,
        }
        true
    }
}

impl EventFields for Map {
    fn display_operand(&mut self, operand: &Operand) -> Option<String> {
        let f = operand.base_field()?;
        let v = match self.0.get(f.name.as_str())? {
            Value::String(s) => s.clone(),
            v => v.to_string(),
        };
        Some(if operand.has_transformers() {
            v.to_uppercase()
        } else {
            v
        })
    }

    fn json_field(&mut self, field: &ResolvedField) -> Value {
        self.0
            .get(field.name.as_str())
            .cloned()
            .unwrap_or(Value::Null)
    }
}

const RULES: &str = r#"
- rule: A open
  desc: a
  condition: evt.type = openat and proc.name = cat
  output: "a (name=%proc.name pid=%proc.pid)"
  priority: WARNING
  tags: [zeta, alpha]
- rule: B open disabled
  desc: b
  condition: evt.type = openat and proc.name = cat
  output: "b %5proc.name|%2proc.name|%toupper(proc.name)|%fd.name"
  priority: ERROR
  enabled: false
  tags: [files]
- rule: C exec
  desc: c
  condition: evt.type = execve and proc.name = cat
  output: "c %proc.name"
  priority: DEBUG
- rule: D open any
  desc: d
  condition: evt.type = openat
  output: "d %proc.name"
  priority: NOTICE
  tags: [files]
"#;

fn rules() -> Vec<falcoc_compiler::compile::CompiledRule> {
    let loaded = load(
        &[Input {
            name: "rules.yaml",
            bytes: RULES.as_bytes(),
        }],
        &LoadOptions::default(),
    );
    assert!(!loaded.has_errors());
    loaded.rules
}

fn options() -> EngineOptions {
    EngineOptions {
        hostname: "h".into(),
        ..EngineOptions::default()
    }
}

fn cat() -> Map {
    Map::new(&[
        ("evt.type", json!("openat")),
        ("proc.name", json!("cat")),
        ("proc.pid", json!(42)),
    ])
}

fn names(e: &Engine) -> Vec<&str> {
    e.active_rules().collect()
}

#[test]
fn defaults_and_first_match() {
    let mut e = Engine::new(rules(), options()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(names(&e), ["A open", "C exec", "D open any"]);
    let alerts = e.evaluate_fields(OPENAT_X, 7, &mut cat());
    assert_eq!(alerts.len(), 1);
    let a = &alerts[0];
    assert_eq!(a.rule, "A open");
    assert_eq!(a.message, "a (name=cat pid=42)");
    assert_eq!(a.priority, Priority::Warning);
    assert_eq!(a.tags, ["alpha", "zeta"]);
    assert_eq!(a.time_ns, 7);
    assert_eq!(a.hostname, "h");
    assert_eq!(a.source, "syscall");
    assert_eq!(
        a.output_fields,
        vec![
            ("proc.name".to_string(), json!("cat")),
            ("proc.pid".to_string(), json!(42))
        ]
    );
    // First match: D is not evaluated. On an execve event only C runs (and fails).
    assert_eq!(e.stats().rule_evaluations, 1);
    assert!(e.evaluate_fields(EXECVE_X, 8, &mut cat()).is_empty());
    assert_eq!(e.stats().rule_evaluations, 2);
    // No rule is registered under close exit (5): nothing runs.
    assert!(e.evaluate_fields(5, 9, &mut cat()).is_empty());
    assert_eq!(e.stats().rule_evaluations, 2);
    assert_eq!(e.stats().events, 3);
    assert_eq!(e.match_counts(), vec![("A open", 1)]);
}

#[test]
fn output_fields_can_be_left_out() {
    let mut e = Engine::new(rules(), options()).unwrap_or_else(|e| panic!("{e}"));
    e.set_output_fields(false);
    let alerts = e.evaluate_fields(OPENAT_X, 7, &mut cat());
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].message, "a (name=cat pid=42)");
    assert!(alerts[0].output_fields.is_empty());
    e.set_output_fields(true);
    let alerts = e.evaluate_fields(OPENAT_X, 8, &mut cat());
    assert_eq!(alerts[0].output_fields.len(), 2);
}

#[test]
fn match_all_and_selection_order() {
    let mut o = options();
    o.rule_matching = RuleMatching::All;
    o.selection = vec![RuleSelection {
        op: SelectionOp::Enable,
        rule: Some("*".into()),
        tag: None,
    }];
    let mut e = Engine::new(rules(), o).unwrap_or_else(|e| panic!("{e}"));
    // A rule enabled by selection runs after the rules enabled by default.
    assert_eq!(
        names(&e),
        ["A open", "C exec", "D open any", "B open disabled"]
    );
    let alerts = e.evaluate_fields(OPENAT_X, 7, &mut cat());
    let rules: Vec<&str> = alerts.iter().map(|a| a.rule.as_str()).collect();
    assert_eq!(rules, ["A open", "D open any", "B open disabled"]);
    // Widths pad and cut; missing values are <NA>; transformed keys are left out.
    assert_eq!(alerts[2].message, "b cat  |ca|CAT|<NA>");
    assert_eq!(
        alerts[2].output_fields,
        vec![
            ("proc.name".to_string(), json!("cat")),
            ("proc.name".to_string(), json!("cat")),
            ("proc.name".to_string(), json!("cat")),
            ("fd.name".to_string(), Value::Null)
        ]
    );
}

#[test]
fn selection_by_tag_and_priority() {
    let mut o = options();
    o.selection = vec![
        RuleSelection {
            op: SelectionOp::Disable,
            rule: Some("A *".into()),
            tag: None,
        },
        RuleSelection {
            op: SelectionOp::Enable,
            rule: None,
            tag: Some("files".into()),
        },
    ];
    o.priority = Priority::Notice;
    let e = Engine::new(rules(), o).unwrap_or_else(|e| panic!("{e}"));
    // C (Debug) is below the threshold; D was already enabled and keeps its place.
    assert_eq!(names(&e), ["D open any", "B open disabled"]);
}

#[test]
fn append_output() {
    let mut o = options();
    o.append_output = vec![
        AppendOutput {
            match_: AppendMatch {
                tags: vec!["files".into()],
                ..AppendMatch::default()
            },
            extra_output: Some("pid=%proc.pid".into()),
            extra_fields: vec![
                ExtraField::Raw("proc.pid".into()),
                ExtraField::Formatted {
                    key: "who".into(),
                    format: "%proc.name:%proc.pid".into(),
                },
            ],
            suggested_output: false,
        },
        AppendOutput {
            match_: AppendMatch {
                rule: Some("A open".into()),
                ..AppendMatch::default()
            },
            suggested_output: true,
            ..AppendOutput::default()
        },
    ];
    let e = Engine::new(rules(), o).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        e.rule_output("D open any"),
        Some("d %proc.name pid=%proc.pid")
    );
    assert_eq!(
        e.rule_output("A open"),
        Some(
            "a (name=%proc.name pid=%proc.pid) container_id=%container.id \
             container_name=%container.name container_image_repository=%container.image.repository \
             container_image_tag=%container.image.tag k8s_pod_name=%k8s.pod.name \
             k8s_ns_name=%k8s.ns.name"
        )
    );
    let mut o2 = options();
    o2.rule_matching = RuleMatching::All;
    o2.append_output = vec![AppendOutput {
        extra_fields: vec![
            ExtraField::Raw("proc.pid".into()),
            ExtraField::Formatted {
                key: "who".into(),
                format: "%proc.name:%proc.pid".into(),
            },
        ],
        ..AppendOutput::default()
    }];
    let mut e = Engine::new(rules(), o2).unwrap_or_else(|e| panic!("{e}"));
    let alerts = e.evaluate_fields(OPENAT_X, 7, &mut cat());
    let d = alerts
        .iter()
        .find(|a| a.rule == "D open any")
        .unwrap_or_else(|| panic!("no D"));
    assert_eq!(
        d.output_fields,
        vec![
            ("proc.name".to_string(), json!("cat")),
            ("proc.pid".to_string(), json!(42)),
            ("who".to_string(), json!("cat:42"))
        ]
    );
}

#[test]
fn bad_appended_output() {
    let mut o = options();
    o.append_output = vec![AppendOutput {
        extra_output: Some("%not.a.field".into()),
        ..AppendOutput::default()
    }];
    let err = Engine::new(rules(), o)
        .err()
        .unwrap_or_else(|| panic!("compiled"));
    assert_eq!(err.rule, "A open");
    assert!(
        err.message.starts_with("invalid formatting token"),
        "{}",
        err.message
    );
}

#[test]
fn from_config() {
    let (mut c, _) = Config::from_yaml("f", "priority: warning\nrule_matching: all\n")
        .unwrap_or_else(|e| panic!("{e:?}"));
    c.apply_override("rules[].enable.rule=B*")
        .unwrap_or_else(|e| panic!("{e:?}"));
    let e = Engine::new(rules(), EngineOptions::from_config(&c)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(names(&e), ["A open", "B open disabled"]);
}

#[test]
fn other_sources_are_skipped() {
    let text = r#"
- required_plugin_versions:
  - name: k8saudit
    version: 0.1.0
- rule: K
  desc: k
  condition: ka.verb = create
  output: "k %ka.verb"
  priority: WARNING
  source: k8s_audit
"#;
    let loaded = load(
        &[Input {
            name: "k.yaml",
            bytes: text.as_bytes(),
        }],
        &LoadOptions::default(),
    );
    assert!(!loaded.has_errors());
    let e = Engine::new(loaded.rules, options()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(e.skipped_rules(), ["K"]);
    assert_eq!(e.active_rules().count(), 0);
}

#[test]
fn profile_counts_evaluations_and_matches() {
    let mut e = Engine::new(rules(), options()).unwrap_or_else(|e| panic!("{e}"));
    assert!(e.profile().is_none());
    e.set_profiling(true);
    let cat_events = 40;
    for _ in 0..cat_events {
        e.evaluate_fields(OPENAT_X, 7, &mut cat());
    }
    let mut other = Map::new(&[("evt.type", json!("openat")), ("proc.name", json!("ls"))]);
    e.evaluate_fields(OPENAT_X, 8, &mut other);
    e.evaluate_fields(EXECVE_X, 9, &mut cat());
    let p = e.profile().unwrap_or_default();
    let by = |n: &str| {
        p.iter()
            .find(|r| r.rule == n)
            .cloned()
            .unwrap_or_else(|| panic!("{n}"))
    };
    // rule_matching first: "A open" matches every cat open, so "D open any" only runs on ls.
    assert_eq!((by("A open").evaluations, by("A open").matches), (41, 40));
    assert_eq!(
        (by("D open any").evaluations, by("D open any").matches),
        (1, 1)
    );
    assert_eq!((by("C exec").evaluations, by("C exec").matches), (1, 0));
    let total: u64 = p.iter().map(|r| r.evaluations).sum();
    assert_eq!(total, e.stats().rule_evaluations);
    // Timed: the first evaluated event, then one in 16 (events 1, 17, 33 of 42).
    let timed: u64 = p.iter().map(|r| r.timed_evaluations).sum();
    assert_eq!(timed, 3);
    e.set_profiling(false);
    assert!(e.profile().is_none());
}

/// `evt.type` fixed per code as a syscall source knows it (`openat` exit 307, `execve`
/// exit 293, the enter codes one below, `evt.dir` by parity as in the event table).
struct Names;

impl crate::CodeFacts for Names {
    fn may_fix(&self, field: &FieldDesc) -> bool {
        matches!(field.name(), "evt.type" | "evt.dir")
    }

    fn fixed(&self, code: u16, field: &FieldDesc, out: &mut Values) -> Option<bool> {
        let v = match field.name() {
            "evt.type" => match code {
                306 | 307 => "openat",
                292 | 293 => "execve",
                _ => return None,
            },
            _ => ["<", ">"][usize::from(code % 2 == 0)],
        };
        out.push_str(v);
        Some(true)
    }
}

#[test]
fn specialised_rules_skip_what_the_code_decides() {
    let rules = r#"
- rule: Open read
  desc: o
  condition: evt.type in (openat, execve) and evt.dir = < and (evt.type = openat or proc.name = sh) and proc.name = cat
  output: "o %proc.name %evt.type"
  priority: WARNING
- rule: Not exec
  desc: n
  condition: not (evt.type = execve and evt.dir = <) and proc.name = cat
  output: "n %proc.name"
  priority: WARNING
"#;
    let loaded = load(
        &[Input {
            name: "rules.yaml",
            bytes: rules.as_bytes(),
        }],
        &LoadOptions::default(),
    );
    assert!(!loaded.has_errors());
    let opts = EngineOptions {
        rule_matching: RuleMatching::All,
        ..options()
    };
    let mut plain =
        Engine::new(loaded.rules.clone(), opts.clone()).unwrap_or_else(|e| panic!("{e}"));
    let mut special = Engine::new(loaded.rules, opts).unwrap_or_else(|e| panic!("{e}"));
    special.specialize(&Names);
    let event = |ty: &'static str, dir: &'static str, comm: &'static str| {
        Map::new(&[
            ("evt.type", json!(ty)),
            ("evt.dir", json!(dir)),
            ("proc.name", json!(comm)),
        ])
    };
    let cases = [
        (OPENAT_X, "openat", "<", "cat"),
        (OPENAT_X, "openat", "<", "sh"),
        (OPENAT_X - 1, "openat", ">", "cat"),
        (EXECVE_X, "execve", "<", "cat"),
        (EXECVE_X, "execve", "<", "sh"),
        (EXECVE_X - 1, "execve", ">", "cat"),
    ];
    for (code, ty, dir, comm) in cases {
        let a = plain.evaluate_fields(code, 1, &mut event(ty, dir, comm));
        let b = special.evaluate_fields(code, 1, &mut event(ty, dir, comm));
        let rules = |v: &[crate::Alert]| v.iter().map(|a| a.rule.clone()).collect::<Vec<_>>();
        assert_eq!(rules(&a), rules(&b), "{code} {comm}");
    }
    assert_eq!(
        special.match_counts(),
        vec![("Open read", 1), ("Not exec", 3)]
    );
    // Plain: both rules on each of the 6 events. Specialised: "Open read" never runs on
    // enter codes, "Not exec" never on the execve exit: 6 + 6 - 2 - 2.
    assert_eq!(plain.stats().rule_evaluations, 12);
    assert_eq!(special.stats().rule_evaluations, 8);
}

#[test]
fn values_truncate_drops_later_values_and_their_bytes() {
    use falcoc_codegen::ValueRef;
    let mut v = Values::new();
    v.push_str("one");
    v.push_u64(7);
    v.push_str("two");
    v.push_str("three");
    v.truncate(2);
    assert_eq!(v.len(), 2);
    v.push_str("four");
    let got: Vec<String> = v
        .iter()
        .map(|x| match x {
            ValueRef::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
            ValueRef::U64(n) => n.to_string(),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(got, ["one", "7", "four"]);
    v.truncate(10);
    assert_eq!(v.len(), 3);
    v.truncate(0);
    assert!(v.is_empty());
}
