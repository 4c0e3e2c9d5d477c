//! The `falco-testing-k8saudit` loader cases of `../shared/corpus/loader-cases` and
//! their expected detections, shared by the runtime, CLI and webserver tests (included
//! with `#[path]`).

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use falcoc_compiler::priority::Priority;
use falcoc_lang::rulefile::{parse_yaml, Node};

/// An expected count: exact, or at least one.
#[derive(Debug, Clone, Copy)]
enum Count {
    Exact(u64),
    NonZero,
}

impl Count {
    fn of(n: &Node) -> Option<Count> {
        match n.as_str()? {
            "nonzero" => Some(Count::NonZero),
            s => s.parse().ok().map(Count::Exact),
        }
    }

    fn ok(self, n: u64) -> bool {
        match self {
            Count::Exact(e) => n == e,
            Count::NonZero => n > 0,
        }
    }
}

/// Cases whose upstream test asserts no detections at all (only that Falco runs): the
/// rule the case is about must stay quiet (its trusted list, allowed set or missing
/// property keeps it from matching). Not listed: `CompatEngineV4CreateHostnetworkTrustedPod`,
/// where the later `engine_v4` definition of `Create HostNetwork Pod` tests the list
/// `falco_hostnetwork_images`, which no file defines (so it is the literal string; Falco
/// 0.42.1 compiles it so, see its describe output in golden/loader-cases) and the alert
/// does fire.
const QUIET: &[(&str, &str)] = &[
    ("NamespaceInAllowedSet", "Create Disallowed Namespace"),
    ("CreateNohostnetworkPod", "Create HostNetwork Pod"),
    ("CompatEngineV4CreateAllowedPod", "Create Disallowed Pod"),
    ("CreateUnsensitiveMountPod", "Create Sensitive Mount Pod"),
    (
        "CreateSensitiveMountTrustedPod",
        "Create Sensitive Mount Pod",
    ),
    (
        "CreateUnsensitiveMountTrustedPod",
        "Create Sensitive Mount Pod",
    ),
    ("CreateHostnetworkTrustedPod", "Create HostNetwork Pod"),
    ("UserInAllowedSet", "Disallowed K8s User"),
    ("CreateNohostnetworkTrustedPod", "Create HostNetwork Pod"),
    ("CreatePrivilegedTrustedPod", "Create Privileged Pod"),
    ("CreateUnprivilegedPod", "Create Privileged Pod"),
];

#[derive(Debug)]
pub struct Case {
    pub id: String,
    pub inputs: Vec<PathBuf>,
    pub capture: PathBuf,
    /// `None`: the upstream test asserts nothing about detections.
    total: Option<Count>,
    by_rule: BTreeMap<String, Count>,
    by_priority: BTreeMap<String, Count>,
}

pub fn shared() -> Option<PathBuf> {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    d.join("corpus/loader-cases/manifest.yaml")
        .is_file()
        .then_some(d)
}

fn counts(n: Option<&Node>) -> BTreeMap<String, Count> {
    let mut m = BTreeMap::new();
    for e in n.and_then(Node::as_mapping).map_or(&[][..], |m| &m.entries) {
        if let (Some(k), Some(c)) = (e.key_str(), Count::of(&e.value)) {
            m.insert(k.to_string(), c);
        }
    }
    m
}

/// The `falco-testing-k8saudit` cases of the manifest.
pub fn cases(shared: &Path) -> Vec<Case> {
    let dir = shared.join("corpus/loader-cases");
    let text = std::fs::read_to_string(dir.join("manifest.yaml")).expect("manifest readable");
    let (docs, err) = parse_yaml(&text);
    assert!(err.is_none(), "manifest parses: {err:?}");
    let mut out = Vec::new();
    let list = docs
        .first()
        .and_then(|d| d.get("cases"))
        .and_then(Node::as_sequence);
    for c in list.map_or(&[][..], |s| &s.items) {
        if c.get("group").and_then(Node::as_str) != Some("falco-testing-k8saudit") {
            continue;
        }
        let id = c
            .get("id")
            .and_then(Node::as_str)
            .unwrap_or_default()
            .to_string();
        let inputs = c
            .get("inputs")
            .and_then(Node::as_sequence)
            .map_or(&[][..], |s| &s.items)
            .iter()
            .filter_map(Node::as_str)
            .map(|p| dir.join(p))
            .collect();
        let capture = c
            .get("capture")
            .and_then(|n| n.get("name"))
            .and_then(Node::as_str)
            .map(|p| shared.join("corpus/captures").join(p))
            .expect("capture name");
        let det = c.get("detections");
        out.push(Case {
            id,
            inputs,
            capture,
            total: det.and_then(|d| d.get("total")).and_then(Count::of),
            by_rule: counts(det.and_then(|d| d.get("by_rule"))),
            by_priority: counts(det.and_then(|d| d.get("by_priority"))),
        });
    }
    out
}

/// Checks the alerts of one case against its expectations; the problems found.
pub fn check(case: &Case, alerts: &[(String, Priority)]) -> Vec<String> {
    let mut problems = Vec::new();
    let mut by_rule: BTreeMap<&str, u64> = BTreeMap::new();
    let mut by_priority: BTreeMap<Priority, u64> = BTreeMap::new();
    for (rule, priority) in alerts {
        *by_rule.entry(rule.as_str()).or_default() += 1;
        *by_priority.entry(*priority).or_default() += 1;
    }
    if let Some(total) = case.total {
        if !total.ok(alerts.len() as u64) {
            problems.push(format!("total {} expected {total:?}", alerts.len()));
        }
    } else {
        let name = case.id.rsplit("_Legacy_").next().unwrap_or_default();
        let quiet = QUIET.iter().find(|(c, _)| *c == name).map(|(_, r)| *r);
        match quiet {
            Some(rule) if by_rule.contains_key(rule) => {
                problems.push(format!("rule {rule:?} alerted"));
            }
            Some(_) => {}
            None if name == "CompatEngineV4CreateHostnetworkTrustedPod" => {}
            None => problems.push("case without expectations".into()),
        }
    }
    for (rule, want) in &case.by_rule {
        let got = by_rule.get(rule.as_str()).copied().unwrap_or(0);
        if !want.ok(got) {
            problems.push(format!("rule {rule:?}: {got} alerts, expected {want:?}"));
        }
    }
    for (p, want) in &case.by_priority {
        let Some(prio) = Priority::parse(&p.to_lowercase()) else {
            problems.push(format!("unknown priority {p}"));
            continue;
        };
        let got = by_priority.get(&prio).copied().unwrap_or(0);
        if !want.ok(got) {
            problems.push(format!("priority {p}: {got} alerts, expected {want:?}"));
        }
    }
    problems
}
