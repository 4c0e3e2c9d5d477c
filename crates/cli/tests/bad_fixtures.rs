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
