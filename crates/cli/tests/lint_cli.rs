//! `falcoc lint` from the outside: formats, exit codes, `--strict`, lint levels.

use std::path::PathBuf;
use std::process::Command;

fn falcoc(args: &[&str]) -> (Option<i32>, String, String) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    match Command::new(env!("CARGO_BIN_EXE_falcoc"))
        .current_dir(root)
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

const CLEAN: &str = "examples/rules/demo_rules.yaml";
const BROKEN: &str = "examples/rules/broken_rules.yaml";
const WARNS: &str = "fixtures/codes/LOAD_UNUSED_MACRO.yaml";

#[test]
fn exit_codes() {
    assert_eq!(falcoc(&["lint", CLEAN]).0, Some(0));
    assert_eq!(falcoc(&["lint", BROKEN]).0, Some(1));
    assert_eq!(falcoc(&["lint", WARNS]).0, Some(0));
    assert_eq!(falcoc(&["lint", "--strict", WARNS]).0, Some(1));
    assert_eq!(falcoc(&["lint", "no/such/file.yaml"]).0, Some(1));
    assert_eq!(falcoc(&["lint", "--format", "nope", CLEAN]).0, Some(2));
    assert_eq!(falcoc(&["lint", "--deny", "FC999", CLEAN]).0, Some(2));
}

#[test]
fn broken_file_reports_every_error_with_its_position() {
    let (_, _, err) = falcoc(&["lint", "--color", "never", BROKEN]);
    for at in [
        "broken_rules.yaml:7:69",
        "broken_rules.yaml:15:15",
        "broken_rules.yaml:21:66",
    ] {
        assert!(err.contains(at), "missing {at} in\n{err}");
    }
    assert!(err.contains("3 error(s)"), "{err}");
}

#[test]
fn json_is_falcos_load_result() {
    let (code, out, _) = falcoc(&["lint", "--format", "json", BROKEN]);
    assert_eq!(code, Some(1));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_default();
    let r = &v["falco_load_results"][0];
    assert_eq!(r["successful"], false);
    // Falco stops at the first error of a file.
    assert_eq!(r["errors"].as_array().map(Vec::len), Some(1));
    let e = &r["errors"][0];
    assert_eq!(e["code"], "LOAD_ERR_COMPILE_CONDITION");
    assert_eq!(e["codedesc"], "Error compiling condition");
    assert_eq!(e["context"]["locations"][1]["item_type"], "rule");
    assert_eq!(
        e["context"]["locations"][1]["item_name"],
        "Unbalanced parentheses"
    );
}

#[test]
fn sarif_and_github() {
    let (code, out, _) = falcoc(&["lint", "--format", "sarif", BROKEN]);
    assert_eq!(code, Some(1));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_default();
    assert_eq!(v["version"], "2.1.0");
    let results: Vec<serde_json::Value> = v["runs"][0]["results"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["level"] == "error")
        .cloned()
        .collect();
    assert_eq!(results.len(), 3);
    assert_eq!(results[0]["level"], "error");
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"]["region"]["startLine"],
        7
    );
    let (_, out, _) = falcoc(&["lint", "--format", "github", BROKEN]);
    let first = out.lines().next().unwrap_or("");
    assert!(
        first.starts_with("::error file=examples/rules/broken_rules.yaml,line=7,col=69"),
        "{first}"
    );
}

#[test]
fn lint_levels_and_suppression() {
    let dup = "fixtures/lints/FC005_duplicate_list_items.yaml";
    let (code, _, err) = falcoc(&["lint", "--color", "never", dup]);
    assert_eq!(code, Some(0));
    assert!(err.contains("warning[FC005]"), "{err}");
    let (code, _, err) = falcoc(&[
        "lint",
        "--color",
        "never",
        "--deny",
        "duplicate-list-items",
        dup,
    ]);
    assert_eq!(code, Some(1));
    assert!(err.contains("error[FC005]"), "{err}");
    let (_, _, err) = falcoc(&[
        "lint", "--color", "never", "--deny", "FC005", "--allow", "all", dup,
    ]);
    assert!(!err.contains("[FC005]"), "{err}");
}
