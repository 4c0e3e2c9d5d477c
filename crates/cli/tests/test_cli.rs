//! `falcoc test` and `falcoc explain` from the outside: the project's own test files pass;
//! changing one expectation makes the run fail with exit 1 and a diff; reports in JSON
//! and JUnit; explanations of a test case and of a capture event.

use std::path::PathBuf;
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn falcoc(args: &[&str]) -> (Option<i32>, String, String) {
    match Command::new(env!("CARGO_BIN_EXE_falcoc"))
        .current_dir(root())
        .args(args)
        .output()
    {
        Ok(o) => (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        ),
        Err(e) => panic!("cannot run falcoc: {e}"),
    }
}

#[test]
fn the_project_test_files_pass() {
    let (code, out, err) = falcoc(&["test", "examples/tests", "deploy/kubernetes/tests"]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(
        out.contains("test interactive shell in a container ... ok"),
        "{out}"
    );
    assert!(out.contains("test kubectl exec into a pod ... ok"), "{out}");
    assert_eq!(out.lines().last(), Some("20 passed, 0 failed"), "{out}");
}

/// A copy of the demo test file in a temporary folder, rules path made absolute, with
/// `edit` applied.
fn edited_copy(edit: impl Fn(&str) -> String) -> PathBuf {
    let text = std::fs::read_to_string(root().join("examples/tests/demo_rules_test.yaml"))
        .expect("the demo test file");
    let rules = root().join("examples/rules/demo_rules.yaml");
    let rules = rules.canonicalize().expect("rules exist");
    let text = text.replace("../rules/demo_rules.yaml", &rules.display().to_string());
    let dir = std::env::temp_dir().join(format!("falcoc-test-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("demo_rules_test.yaml");
    std::fs::write(&path, edit(&text)).expect("write");
    path
}

#[test]
fn one_changed_expectation_fails_with_a_diff() {
    let unchanged = edited_copy(|t| t.to_string());
    let (code, out, _) = falcoc(&["test", unchanged.to_str().unwrap_or("")]);
    assert_eq!(code, Some(0), "{out}");

    let path = edited_copy(|t| {
        t.replacen(
            "          proc.pname: runc\n",
            "          proc.pname: containerd-shim\n",
            1,
        )
    });
    let (code, out, _) = falcoc(&["test", path.to_str().unwrap_or("")]);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("test interactive shell in a container ... FAILED"),
        "{out}"
    );
    assert!(
        out.contains("`Terminal shell in container`: output field proc.pname: expected \"containerd-shim\", got \"runc\""),
        "{out}"
    );
    assert!(out.contains("  alerts (- expected, + actual):"), "{out}");
    assert!(out.contains("  - Terminal shell in container ×1 priority=Notice proc.name=\"bash\" proc.pname=\"containerd-shim\""), "{out}");
    assert!(out.contains("  + Terminal shell in container ×1 priority=Notice proc.name=\"bash\" proc.pname=\"runc\""), "{out}");
    assert_eq!(out.lines().last(), Some("7 passed, 1 failed"), "{out}");

    // A rule that must stay silent fires: the explanation shows why it matched.
    let path = edited_copy(|t| t.replacen("process: {name: sshd,", "process: {name: sshd2,", 1));
    let (code, out, _) = falcoc(&["test", path.to_str().unwrap_or("")]);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("`Read sensitive file untrusted`: expected no alert, got 1"),
        "{out}"
    );
    assert!(
        out.contains(
            "explain on event 1 (openat < by sshd2): rule `Read sensitive file untrusted`: matches"
        ),
        "{out}"
    );
    assert!(
        out.contains("✗ proc.name in (sshd, sudo, su, login, passwd)    [proc.name=sshd2]"),
        "{out}"
    );
    let _ = std::fs::remove_dir_all(path.parent().unwrap_or(&path));
}

#[test]
fn json_and_junit_reports() {
    let (code, out, _) = falcoc(&["test", "--format", "json", "examples/tests"]);
    assert_eq!(code, Some(0));
    let v: serde_json::Value = serde_json::from_str(&out).expect("JSON report");
    assert_eq!(v["passed"], 8);
    assert_eq!(v["failed"], 0);
    let case = &v["files"][0]["cases"][0];
    assert_eq!(case["name"], "interactive shell in a container");
    assert_eq!(case["alerts"][0]["rule"], "Terminal shell in container");
    assert_eq!(case["alerts"][0]["output_fields"]["proc.name"], "bash");

    let (code, out, _) = falcoc(&["test", "--format", "junit", "deploy/kubernetes/tests"]);
    assert_eq!(code, Some(0));
    assert!(out.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"falcoc test\" tests=\"12\" failures=\"0\">"), "{out}");
    assert_eq!(out.matches("<testcase ").count(), 12, "{out}");
}

#[test]
fn bad_test_files_and_usage() {
    let (code, out, _) = falcoc(&["test", "fixtures/bad/tests/08_unknown_evt_type.yaml"]);
    assert_eq!(code, Some(1));
    assert!(
        out.contains("error[FT005]: `opennat` is not an event type of the libscap event table"),
        "{out}"
    );
    assert!(
        out.contains("fixtures/bad/tests/08_unknown_evt_type.yaml:5:19"),
        "{out}"
    );
    assert_eq!(out.lines().last(), Some("0 passed, 1 failed"));
    let (code, _, err) = falcoc(&["test", "fixtures/codes"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("no test files found"), "{err}");
    let (code, _, _) = falcoc(&["test", "no/such/dir"]);
    assert_eq!(code, Some(2));
}

#[test]
fn explain_a_case_and_a_capture_event() {
    let (code, out, err) = falcoc(&[
        "explain",
        "--test",
        "examples/tests/demo_rules_test.yaml",
        "--case",
        "shell in a container without a terminal stays silent",
        "--rule",
        "Terminal shell in container",
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("does not match"), "{out}");
    assert!(
        out.contains("first failing clause: proc.tty != 0  [proc.tty=0]"),
        "{out}"
    );

    let (code, out, err) = falcoc(&[
        "explain",
        "-r",
        "examples/rules/demo_rules.yaml",
        "--rule",
        "Read sensitive file untrusted",
        "examples/captures/web-01-attack.scap.gz",
        "--evt-num",
        "5",
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.starts_with("explain on event 5: rule `Read sensitive file untrusted`: "),
        "{out}"
    );
    let (code, _, err) = falcoc(&[
        "explain",
        "-r",
        "examples/rules/demo_rules.yaml",
        "--rule",
        "No such rule",
        "examples/captures/web-01-attack.scap.gz",
        "--evt-num",
        "5",
    ]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("no loaded rule is named `No such rule`"),
        "{err}"
    );
}

/// The README's example test file passes, and the failure it shows is the real one.
#[test]
fn readme_example() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README");
    let section = &readme[readme.find("## Rule tests").expect("a Rule tests section")..];
    let yaml_start = section.find("```yaml\n").expect("a yaml block") + 8;
    let yaml_end = yaml_start + section[yaml_start..].find("```").expect("end of block");
    let yaml = &section[yaml_start..yaml_end];
    let out_start = yaml_end + 3 + section[yaml_end + 3..].find("```\n").expect("output block") + 4;
    let out_end = out_start + section[out_start..].find("```").expect("end of output");
    let shown = &section[out_start..out_end];

    let rules = root()
        .join("examples/rules/demo_rules.yaml")
        .canonicalize()
        .expect("rules");
    let dir = std::env::temp_dir().join(format!("falcoc-readme-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("shell_test.yaml");
    std::fs::write(
        &path,
        yaml.replace("rules/demo_rules.yaml", &rules.display().to_string()),
    )
    .expect("write");
    let (code, out, err) = falcoc(&["test", path.to_str().unwrap_or("")]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert_eq!(out.lines().last(), Some("2 passed, 0 failed"), "{out}");

    std::fs::write(
        &path,
        yaml.replace("rules/demo_rules.yaml", &rules.display().to_string())
            .replace("process: {name: sshd}", "process: {name: sshd2}"),
    )
    .expect("write");
    let (code, out, _) = falcoc(&["test", path.to_str().unwrap_or("")]);
    assert_eq!(code, Some(1), "{out}");
    let real = out.replace(&dir.display().to_string(), "").replace(
        "---- sshd reading /etc/shadow is trusted (/",
        "---- sshd reading /etc/shadow is trusted (",
    );
    let first = shown.lines().next().unwrap_or("");
    let from = real
        .find(first)
        .unwrap_or_else(|| panic!("{first:?} not in {real}"));
    let block: String = real[from..]
        .lines()
        .take_while(|l| !l.is_empty())
        .map(|l| format!("{l}\n"))
        .collect();
    let shown_block: String = shown
        .lines()
        .take_while(|l| !l.is_empty())
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(block, shown_block);
    assert_eq!(real.lines().last(), shown.lines().last());
    let _ = std::fs::remove_dir_all(&dir);
}
