//! Hand-written events through the real rules of `../shared/corpus`: the newest default
//! rules (falco_rules 5.0.0: `Terminal shell in container`, `Read sensitive file
//! untrusted`, `Contact K8S API Server From Container`) and the k8saudit plugin's
//! `Attach/Exec Pod`, each case with a negative twin that stays silent.

use std::path::Path;

use falcoc_ruletest::{report, run_file, RunOptions};

fn run(file: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus")
        .join(file);
    let r = run_file(&p, &RunOptions::default());
    let text = report::text(std::slice::from_ref(&r));
    assert!(r.errors.is_empty(), "{text}");
    for c in &r.cases {
        assert!(c.passed(), "{text}");
    }
    text
}

#[test]
fn falco_rules_5_0_0() {
    let text = run("falco_rules_5_0_0_test.yaml");
    for rule_case in [
        "kubectl exec into a container starts an interactive shell",
        "a shell without a terminal in a container is not interactive",
        "cat reads /etc/shadow",
        "passwd reading /etc/shadow is trusted",
        "a pod connects to the Kubernetes API server",
        "a pod connecting elsewhere stays silent",
    ] {
        assert!(text.contains(&format!("test {rule_case} ... ok")), "{text}");
    }
    assert!(text.ends_with("6 passed, 0 failed\n"), "{text}");
}

#[test]
fn k8saudit_rules() {
    let text = run("k8saudit_test.yaml");
    assert!(text.ends_with("2 passed, 0 failed\n"), "{text}");
}
