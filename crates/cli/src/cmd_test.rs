//! `falcoc test [PATH…]`: runs rule unit tests (see `docs/testing.md`) and reports like
//! `cargo test`, or as JSON or JUnit XML. A directory stands for the test files under
//! it: `*_test.yaml`/`*_test.yml` files, and every `.yaml`/`.yml` file in a folder named
//! `tests`. Exit 0 when every case passed, 1 when one failed (or a test file has
//! errors), 2 when no test file was found.

use std::path::{Path, PathBuf};

use crate::{EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE};
use falcoc_ruletest::{report, run_file, RunOptions};

/// Arguments of `falcoc test`.
#[derive(clap::Args)]
pub struct TestArgs {
    /// Test files or directories (default: the current directory).
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Report format.
    #[arg(long, default_value = "text", value_parser = ["text", "json", "junit"])]
    format: String,
    /// Only cases whose name contains this text.
    #[arg(long, value_name = "TEXT")]
    filter: Option<String>,
}

fn is_test_file(p: &Path, in_tests_dir: bool) -> bool {
    let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let yaml = name.ends_with(".yaml") || name.ends_with(".yml");
    yaml && (in_tests_dir || name.ends_with("_test.yaml") || name.ends_with("_test.yml"))
}

/// The test files under `dir`, in name order (at most 32 levels deep).
fn collect(
    dir: &Path,
    in_tests_dir: bool,
    depth: usize,
    out: &mut Vec<PathBuf>,
) -> Result<(), String> {
    if depth > 32 {
        return Ok(());
    }
    let rd = std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        let ft = std::fs::symlink_metadata(&p).map(|m| m.file_type());
        match ft {
            Ok(t) if t.is_dir() => {
                let tests = p.file_name().is_some_and(|n| n == "tests");
                collect(&p, in_tests_dir || tests, depth + 1, out)?;
            }
            Ok(t) if t.is_file() && is_test_file(&p, in_tests_dir) => out.push(p),
            _ => {}
        }
    }
    Ok(())
}

/// Runs `falcoc test`.
pub fn run(args: TestArgs) -> u8 {
    let roots = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let mut files = Vec::new();
    for r in &roots {
        if r.is_dir() {
            let in_tests = r.file_name().is_some_and(|n| n == "tests");
            if let Err(e) = collect(r, in_tests, 0, &mut files) {
                eprintln!("error: {e}");
                return EXIT_USAGE;
            }
        } else if r.exists() {
            files.push(r.clone());
        } else {
            eprintln!("error: {}: no such file or directory", r.display());
            return EXIT_USAGE;
        }
    }
    if files.is_empty() {
        eprintln!("error: no test files found (*_test.yaml, or YAML files in a tests/ folder)");
        return EXIT_USAGE;
    }
    let opts = RunOptions {
        filter: args.filter.clone(),
    };
    let reports: Vec<_> = files.iter().map(|f| run_file(f, &opts)).collect();
    match args.format.as_str() {
        "json" => println!("{:#}", report::json_report(&reports)),
        "junit" => print!("{}", report::junit(&reports)),
        _ => print!("{}", report::text(&reports)),
    }
    let (_, failed) = report::totals(&reports);
    if failed == 0 {
        EXIT_OK
    } else {
        EXIT_PROBLEMS
    }
}
