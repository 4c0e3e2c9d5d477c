//! `load::read_inputs` reads files on several threads: its results are those of reading
//! each file on its own, in the order given.

use falcoc_compiler::load::{read_inputs, Input};
use falcoc_lang::rulefile::read_rules_file;
use std::path::PathBuf;

#[test]
fn threaded_reading_keeps_order_and_results() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
    let mut paths: Vec<PathBuf> = ["codes", "bad", "lints"]
        .iter()
        .flat_map(|d| std::fs::read_dir(dir.join(d)).into_iter().flatten())
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    paths.sort();
    assert!(paths.len() > 20, "{}", paths.len());
    let files: Vec<(String, Vec<u8>)> = paths
        .iter()
        .map(|p| {
            let bytes = std::fs::read(p).unwrap_or_else(|e| panic!("{p:?}: {e}"));
            (p.display().to_string(), bytes)
        })
        .collect();
    let inputs: Vec<Input> = files
        .iter()
        .map(|(n, b)| Input { name: n, bytes: b })
        .collect();
    let together = read_inputs(&inputs);
    assert_eq!(together.len(), files.len());
    for ((name, bytes), got) in files.iter().zip(&together) {
        let alone = read_rules_file(name, bytes);
        assert_eq!(format!("{got:?}"), format!("{alone:?}"), "{name}");
    }
    // One file, and none.
    assert_eq!(read_inputs(&inputs[..1]).len(), 1);
    assert!(read_inputs(&[]).is_empty());
}
