//! `falcoc replay --source k8s_audit`: the `falco-testing-k8saudit` loader cases give
//! exactly their expected detections (by rule and priority) through the command line,
//! and bad audit files are reported with their location and a non-zero exit.

#[path = "../../k8saudit/tests/support/k8saudit_cases.rs"]
mod support;

use std::path::Path;
use std::process::{Command, Output};

use falcoc_compiler::priority::Priority;
use serde_json::Value;
use support::{cases, check, shared};

fn falcoc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_falcoc"))
        .args(args)
        .env("FALCO_HOSTNAME", "test")
        .env("TZ", "UTC")
        .output()
        .expect("falcoc runs")
}

/// The (rule, priority) of each JSON alert line of stdout.
fn alerts(stdout: &[u8]) -> Vec<(String, Priority)> {
    String::from_utf8_lossy(stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}"));
            let rule = v["rule"].as_str().unwrap_or_default().to_string();
            let prio = v["priority"].as_str().unwrap_or_default().to_lowercase();
            let prio = Priority::parse(&prio).unwrap_or_else(|| panic!("priority in {l}"));
            (rule, prio)
        })
        .collect()
}

#[test]
fn loader_cases_through_replay() {
    let Some(shared) = shared() else {
        eprintln!("note: ../shared not found; skipped");
        return;
    };
    let cases = cases(&shared);
    assert_eq!(cases.len(), 46);
    let mut failures = Vec::new();
    for case in &cases {
        let mut args: Vec<String> = vec!["replay".into(), "--source".into(), "k8s_audit".into()];
        for r in &case.inputs {
            args.push("-r".into());
            args.push(r.display().to_string());
        }
        args.push("--json".into());
        args.push(case.capture.display().to_string());
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = falcoc(&argv);
        if out.status.code() != Some(0) {
            failures.push(format!(
                "{}: exit {:?}: {}",
                case.id,
                out.status.code(),
                String::from_utf8_lossy(&out.stderr)
            ));
            continue;
        }
        let problems = check(case, &alerts(&out.stdout));
        if !problems.is_empty() {
            failures.push(format!("{}: {}", case.id, problems.join("; ")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn several_files_and_text_output() {
    let Some(shared) = shared() else {
        return;
    };
    let files = shared.join("corpus/loader-cases/files/falco-testing");
    let caps = shared.join("corpus/captures/k8s_audit");
    let p = |d: &Path, f: &str| d.join(f).display().to_string();
    let out = falcoc(&[
        "replay",
        "--source",
        "k8s_audit",
        "-r",
        &p(&files, "k8s_audit_rules.yaml"),
        &p(&caps, "create_nginx_pod_privileged.json"),
        &p(&caps, "attach_pod.json"),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stdout.contains("14:09:12.581541000: Warning Pod started with privileged container (user=system:serviceaccount:kube-system:replicaset-controller pod=nginx-deployment-5cdcc99dbf-rgw6z resource=pods ns=default images=(nginx) init_images=<NA> ephemeral_images=<NA>)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Notice Attach/Exec to pod (user=minikube-user"),
        "{stdout}"
    );
    assert!(stderr.contains("Events read: 2 "), "{stderr}");
    assert!(stderr.contains("Alerts: 2"), "{stderr}");
}

#[test]
fn bad_audit_files_are_located_errors() {
    let Some(shared) = shared() else {
        return;
    };
    let rules = shared
        .join("corpus/loader-cases/files/falco-testing/k8s_audit_rules.yaml")
        .display()
        .to_string();
    let dir = std::env::temp_dir().join(format!("falcoc-k8s-replay-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let good = r#"{"kind":"Event","auditID":"1","stage":"ResponseComplete","verb":"create","stageTimestamp":"2020-01-01T00:00:00Z","objectRef":{"resource":"configmaps","name":"c","namespace":"default"},"user":{"username":"u"},"responseStatus":{"code":201}}"#;
    let bad_line = dir.join("bad_line.json");
    std::fs::write(&bad_line, format!("{good}\n{{\"kind\": oops}}\n")).expect("write");
    let no_time = dir.join("no_time.json");
    std::fs::write(&no_time, r#"{"kind":"Event","auditID":"2"}"#).expect("write");
    let not_audit = dir.join("pod.json");
    std::fs::write(&not_audit, r#"{"kind":"Pod"}"#).expect("write");
    let out = falcoc(&[
        "replay",
        "--source",
        "k8s_audit",
        "-r",
        &rules,
        &bad_line.display().to_string(),
        &no_time.display().to_string(),
        &not_audit.display().to_string(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("bad_line.json: line 2: invalid JSON at byte 9: expected a value"),
        "{stderr}"
    );
    assert!(
        stderr.contains("no_time.json: event: missing stageTimestamp (event skipped)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("pod.json: payload: not a Kubernetes audit Event"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);

    // A syscall replay still takes exactly one capture.
    let out = falcoc(&["replay", "-r", &rules, "a.scap", "b.scap"]);
    assert_eq!(out.status.code(), Some(2));
}
