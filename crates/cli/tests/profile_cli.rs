//! `falcoc replay --profile` / `--profile-json`: per-rule evaluations and matches equal
//! the engine's counts, times are sampled, rules are sorted by time; for syscall and
//! k8s_audit rules.

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

fn check_profile(v: &serde_json::Value, stderr: &str) {
    assert_eq!(v["sample_every"], 16);
    let rules = v["rules"].as_array().expect("rules");
    assert!(!rules.is_empty());
    let mut last = f64::INFINITY;
    let mut share = 0.0;
    for r in rules {
        let total = r["total_ns"].as_f64().expect("total");
        assert!(total <= last, "not sorted by time: {v:#}");
        last = total;
        share += r["share"].as_f64().expect("share");
        let evals = r["evaluations"].as_u64().expect("evaluations");
        assert!(evals > 0);
        assert!(r["timed_evaluations"].as_u64().expect("timed") <= evals);
        // Matches are the summary's "Triggered rules" counts.
        let m = r["matches"].as_u64().expect("matches");
        let line = format!("   {}: {m}", r["rule"].as_str().expect("name"));
        assert_eq!(m > 0, stderr.contains(&line), "{line} / {stderr}");
    }
    assert!((share - 1.0).abs() < 1e-6, "shares sum to {share}");
}

#[test]
fn syscall_profile() {
    let (code, out, err) = falcoc(&[
        "replay",
        "-r",
        "examples/rules/demo_rules.yaml",
        "-o",
        "rule_matching=all",
        "--profile",
        "--profile-json",
        "-",
        "examples/captures/web-01-attack.scap.gz",
        "-o",
        "stdout_output.enabled=false",
        "-o",
        "file_output.filename=/dev/null",
        "-o",
        "file_output.enabled=true",
    ]);
    assert_eq!(code, Some(0), "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("JSON profile on stdout");
    check_profile(&v, &err);
    // Every event of a type a rule is registered for evaluates it: `Read sensitive file
    // untrusted` (open family) is evaluated far more often than the connect rule.
    let evals = |name: &str| {
        v["rules"]
            .as_array()
            .and_then(|r| r.iter().find(|r| r["rule"] == name))
            .and_then(|r| r["evaluations"].as_u64())
            .unwrap_or(0)
    };
    assert!(
        evals("Read sensitive file untrusted") > evals("Outbound connection to suspicious port")
    );
    assert!(
        err.contains("Rule profile (condition time sampled on 1 evaluated event in 16;"),
        "{err}"
    );
    assert!(
        err.contains("  share    ns/eval   evaluations   matches  rule"),
        "{err}"
    );
}

#[test]
fn k8s_audit_profile() {
    let shared = root().join("../shared/corpus");
    if !shared.is_dir() {
        return;
    }
    let rules = shared.join("loader-cases/files/falco-testing/k8s_audit_rules.yaml");
    let caps = shared.join("captures/k8s_audit");
    let s = |p: PathBuf| p.display().to_string();
    let (code, out, err) = falcoc(&[
        "replay",
        "--source",
        "k8s_audit",
        "-r",
        &s(rules),
        "--profile-json",
        "-",
        "-o",
        "stdout_output.enabled=false",
        "-o",
        "file_output.filename=/dev/null",
        "-o",
        "file_output.enabled=true",
        &s(caps.join("create_nginx_pod_privileged.json")),
        &s(caps.join("attach_pod.json")),
    ]);
    assert_eq!(code, Some(0), "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("JSON profile");
    check_profile(&v, &err);
    assert!(v["rules"]
        .as_array()
        .is_some_and(|r| r.iter().all(|r| r["source"] == "k8s_audit")));
}
