//! The `fixtures/bad/` catalogue: every malformed input is reported with a located
//! diagnostic and exit code 1, never a panic. The rendered diagnostics are snapshots.

use std::path::PathBuf;
use std::process::Command;

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn bad_fixtures_are_reported() {
    let root = workspace();
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("fixtures/bad"))
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|x| x == "yaml"));
    files.sort();
    assert!(files.len() >= 25, "the catalogue has {} files", files.len());
    for f in files {
        let rel = f.strip_prefix(&root).unwrap_or(&f).display().to_string();
        let out = Command::new(env!("CARGO_BIN_EXE_falcoc"))
            .current_dir(&root)
            .args(["lint", "--color", "never", &rel])
            .output();
        let out = match out {
            Ok(o) => o,
            Err(e) => panic!("cannot run falcoc: {e}"),
        };
        let code = out.status.code();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(code, Some(1), "{rel}: exit {code:?}\n{stderr}");
        assert!(
            stderr.contains("error["),
            "{rel}: no error diagnostic\n{stderr}"
        );
        assert!(!stderr.contains("panicked"), "{rel}: panic\n{stderr}");
        let name = f
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        insta::assert_snapshot!(name, format!("$ falcoc lint {rel}\nexit: 1\n{stderr}"));
    }
}

/// A list of 200 000 items (a few MB) loads, and a rule using it compiles, in one run.
#[test]
fn huge_list_loads() {
    let dir = std::env::temp_dir().join(format!("falcoc-huge-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join("huge.yaml");
    let items: Vec<String> = (0..200_000).map(|i| format!("bin{i}")).collect();
    let text = format!(
        "- list: many\n  items: [{}]\n- rule: Many\n  desc: d\n  condition: evt.type = execve and proc.name in (many)\n  output: \"x %proc.name\"\n  priority: INFO\n",
        items.join(", ")
    );
    if std::fs::write(&path, text).is_err() {
        return;
    }
    let out = Command::new(env!("CARGO_BIN_EXE_falcoc"))
        .args(["lint", "--format", "json"])
        .arg(&path)
        .output();
    let _ = std::fs::remove_dir_all(&dir);
    let out = match out {
        Ok(o) => o,
        Err(e) => panic!("cannot run falcoc: {e}"),
    };
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    assert_eq!(v["falco_load_results"][0]["successful"], true);
}
