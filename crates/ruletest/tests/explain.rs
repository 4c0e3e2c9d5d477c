//! Explanations of rules on events that do not match (and one that does): the failing
//! clause and the field values it read (snapshots).

use std::path::{Path, PathBuf};

use falcoc_ruletest::read_test_file;
use falcoc_ruletest::run::{explain_case_event, load_suite};

fn path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel)
}

/// The explanation of `rule` on the last event of case `case` of test file `file`.
fn explain(file: &str, case: &str, rule: &str) -> String {
    let p = path(file);
    let bytes = std::fs::read(&p).expect("test file");
    let read = read_test_file(file, &bytes);
    let tf = read.file.expect("the test file reads");
    let suite = load_suite(&p, &tf).expect("rules load");
    let c = tf.cases.iter().find(|c| c.name == case).expect("case");
    let last = match &c.input {
        falcoc_ruletest::model::Input::Events(e) => e.len() - 1,
        _ => usize::MAX,
    };
    explain_case_event(&p, &suite, c, rule, last).expect("an explanation")
}

#[test]
fn shell_without_terminal() {
    let e = explain(
        "examples/tests/demo_rules_test.yaml",
        "shell in a container without a terminal stays silent",
        "Terminal shell in container",
    );
    assert!(
        e.contains("first failing clause: proc.tty != 0  [proc.tty=0]"),
        "{e}"
    );
    insta::assert_snapshot!(e);
}

#[test]
fn https_is_not_a_reverse_shell_port() {
    let e = explain(
        "examples/tests/demo_rules_test.yaml",
        "connection to https stays silent",
        "Outbound connection to suspicious port",
    );
    assert!(e.contains("fd.sport=443"), "{e}");
    insta::assert_snapshot!(e);
}

#[test]
fn trusted_reader_matches_nothing() {
    let e = explain(
        "examples/tests/demo_rules_test.yaml",
        "sshd reading /etc/shadow is trusted",
        "Read sensitive file untrusted",
    );
    assert!(e.contains("first failing clause: not proc.name in (sshd, sudo, su, login, passwd)  [proc.name=sshd]"), "{e}");
    insta::assert_snapshot!(e);
}

#[test]
fn a_matching_event() {
    let e = explain(
        "examples/tests/demo_rules_test.yaml",
        "cat reads /etc/shadow",
        "Read sensitive file untrusted",
    );
    assert!(e.contains(": matches\n"), "{e}");
    assert!(!e.contains("first failing clause"), "{e}");
    insta::assert_snapshot!(e);
}

#[test]
fn audit_event_of_another_verb() {
    let e = explain(
        "deploy/kubernetes/tests/k8s_audit_rules_test.yaml",
        "reading pod logs stays silent",
        "K8s Exec Into Pod",
    );
    assert!(e.contains("ka.target.subresource=log"), "{e}");
    insta::assert_snapshot!(e);
}

#[test]
fn connection_elsewhere_than_the_api_server() {
    // falco_rules 5.0.0 from ../shared: the host name of the server address is not the
    // API server's.
    let e = explain(
        "crates/ruletest/tests/corpus/falco_rules_5_0_0_test.yaml",
        "a pod connecting elsewhere stays silent",
        "Contact K8S API Server From Container",
    );
    assert!(e.contains("first failing clause: fd.sip.name = kubernetes.default.svc.cluster.local  [fd.sip.name=<NA>]"), "{e}");
    insta::assert_snapshot!(e);
}
