//! One fixture per Falco load-result code (`fixtures/codes/<CODE>.yaml`): the code comes
//! out (in Falco's JSON, as Falco would report it) and the human diagnostics are snapshots.
//! Codes Falco never emits (`LOAD_ERR_FILE_READ`, the extension codes) and the 0.44-only
//! `LOAD_UNKNOWN_KEY` have no fixture.

use std::path::PathBuf;
use std::process::Command;

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn falcoc(args: &[&str]) -> (Option<i32>, String, String) {
    match Command::new(env!("CARGO_BIN_EXE_falcoc"))
        .current_dir(workspace())
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
fn every_code_has_a_fixture_that_produces_it() {
    let root = workspace();
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("fixtures/codes"))
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    assert!(files.len() >= 18);
    for f in files {
        let code = f
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let rel = format!("fixtures/codes/{code}.yaml");
        let (exit, stdout, _) = falcoc(&["lint", "--format", "json", &rel]);
        let doc: serde_json::Value = serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("{rel}: not JSON ({e}): {stdout}"));
        let r = &doc["falco_load_results"][0];
        let codes: Vec<&str> = ["errors", "warnings"]
            .iter()
            .flat_map(|k| r[*k].as_array().into_iter().flatten())
            .filter_map(|m| m["code"].as_str())
            .collect();
        assert!(codes.contains(&code.as_str()), "{rel}: got {codes:?}");
        let is_error = code.starts_with("LOAD_ERR_");
        assert_eq!(exit, Some(if is_error { 1 } else { 0 }), "{rel}");
        let (_, _, human) = falcoc(&["lint", "--color", "never", &rel]);
        insta::assert_snapshot!(code.clone(), format!("$ falcoc lint {rel}\n{human}"));
    }
}

/// One fixture per falcoc lint (`fixtures/lints/FCxxx_*.yaml`): the lint fires and the
/// rendered diagnostics are snapshots.
#[test]
fn every_lint_has_a_fixture_that_produces_it() {
    let root = workspace();
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("fixtures/lints"))
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|x| x == "yaml"));
    files.sort();
    assert!(files.len() >= 10);
    for f in files {
        let stem = f
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let code = stem.split('_').next().unwrap_or("").to_string();
        let rel = format!("fixtures/lints/{stem}.yaml");
        let (_, _, human) = falcoc(&["lint", "--color", "never", &rel]);
        assert!(
            human.contains(&format!("[{code}]")),
            "{rel}: no {code}\n{human}"
        );
        insta::assert_snapshot!(stem.clone(), format!("$ falcoc lint {rel}\n{human}"));
    }
}
