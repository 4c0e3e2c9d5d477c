//! The catalogue of malformed test files (`fixtures/bad/tests/`): each gets located
//! errors (file:line:col), never a panic; the rendered diagnostics are snapshots.

use std::path::{Path, PathBuf};

use falcoc_lang::diagnostic::render_to_string;
use falcoc_ruletest::{run_file, RunOptions};

fn catalogue() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/bad/tests");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("fixtures/bad/tests exists")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_bad_test_file_gets_a_located_error() {
    let files = catalogue();
    assert!(files.len() >= 10, "the catalogue has {} files", files.len());
    // Run from the fixtures folder so the names in the snapshots are short.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/bad/tests");
    for f in files {
        let name = f
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_string();
        let report = run_file(&root.join(&name), &RunOptions::default());
        assert!(
            !report.errors.is_empty(),
            "{name}: no error (cases: {:?})",
            report.cases.iter().map(|c| &c.verdict).collect::<Vec<_>>()
        );
        assert!(report.cases.is_empty(), "{name}: cases ran");
        for d in &report.errors {
            assert!(d.primary.is_some(), "{name}: unlocated error {}", d.message);
            assert!(d.code.starts_with("FT"), "{name}: code {}", d.code);
        }
        let mut source = report.source.clone();
        source.name = format!("fixtures/bad/tests/{name}");
        let rendered = render_to_string(&[source], &report.errors);
        let rendered = rendered.replace(root.to_str().unwrap_or(""), "fixtures/bad/tests");
        insta::assert_snapshot!(name.trim_end_matches(".yaml").to_string(), rendered);
    }
}
