//! Shared helpers for the criterion benchmarks in `benches/benches/`: finding the newest
//! released rule files of the shared corpus.

use std::path::{Path, PathBuf};

/// The rule families benchmarked: folder prefixes in the corpus.
pub const FAMILIES: [&str; 3] = [
    "falco-rules-",
    "falco-incubating-rules-",
    "falco-sandbox-rules-",
];

/// `../shared/corpus/rules/falcosecurity-rules` beside the checkout.
pub fn corpus_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/rules/falcosecurity-rules")
}

/// `X.Y.Z` as numbers; `None` for pre-releases (`2.0.0-rc2`) and other names.
pub fn release(version: &str) -> Option<Vec<u64>> {
    version.split('.').map(|p| p.parse().ok()).collect()
}

/// The folder of the highest released version of `family` under `root`.
pub fn newest(root: &Path, family: &str) -> Option<PathBuf> {
    std::fs::read_dir(root)
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let v = release(name.strip_prefix(family)?)?;
            Some((v, e.path()))
        })
        .max()
        .map(|(_, p)| p)
}

/// The `.yaml` files of the newest release of each family, in family order (falco_rules,
/// incubating, sandbox): the load order Falco users use.
pub fn newest_rule_files() -> Vec<PathBuf> {
    let root = corpus_root();
    let mut out = Vec::new();
    for family in FAMILIES {
        let Some(dir) = newest(&root, family) else {
            continue;
        };
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
            .collect();
        files.sort();
        out.extend(files);
    }
    out
}
