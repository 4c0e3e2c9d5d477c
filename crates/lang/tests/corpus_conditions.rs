//! Every condition of every real rule file in `../shared/corpus/rules` parses.

use falcoc_lang::rulefile::read_rules_file;
use falcoc_lang::syntax::check_conditions;
use std::path::{Path, PathBuf};

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            yaml_files(&p, out);
        } else if matches!(p.extension().and_then(|x| x.to_str()), Some("yaml" | "yml"))
            && p.file_name().and_then(|n| n.to_str()) != Some("manifest.yaml")
        {
            out.push(p);
        }
    }
}

#[test]
fn every_corpus_condition_parses() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/rules");
    if !root.is_dir() {
        eprintln!("note: {} not found; skipped", root.display());
        return;
    }
    let mut files = Vec::new();
    yaml_files(&root, &mut files);
    files.sort();
    assert!(
        files.len() >= 80,
        "expected the whole corpus, found {}",
        files.len()
    );
    let mut conditions = 0;
    let mut failures = Vec::new();
    for f in &files {
        let bytes = std::fs::read(f).unwrap_or_default();
        let read = read_rules_file(&f.display().to_string(), &bytes);
        for d in &read.diagnostics {
            failures.push(format!("{}: {}", f.display(), d.message));
        }
        conditions += read
            .items
            .iter()
            .filter(|i| i.get("condition").and_then(|n| n.as_str()).is_some())
            .count();
        for d in check_conditions(&read, 0) {
            failures.push(format!("{}: {} ({:?})", f.display(), d.message, d.notes));
        }
    }
    eprintln!("{} files, {conditions} conditions", files.len());
    assert!(conditions > 5000, "only {conditions} conditions found");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
