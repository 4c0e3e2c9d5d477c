//! `falcoc explain`: why a rule matched an event or not — the rule's expanded condition
//! as a tree, each node's value, the field values each check read, and the first clause
//! that failed. The event is one of a test case (`--test FILE --case NAME [--event N]`)
//! or of a capture (`-r RULES… CAPTURE --evt-num N`).

use std::path::{Path, PathBuf};

use crate::setup::load_rules;
use crate::{EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE};
use falcoc_lang::diagnostic::render_to_string;
use falcoc_ruletest::explain;
use falcoc_ruletest::model::Input;
use falcoc_ruletest::read_test_file;
use falcoc_ruletest::run::{explain_capture, explain_case_event, load_suite};
use falcoc_scap as scap;

/// Arguments of `falcoc explain`.
#[derive(clap::Args)]
pub struct ExplainArgs {
    /// The rule to explain.
    #[arg(long, value_name = "NAME", required = true)]
    rule: String,
    /// A test file: explain on an event of one of its cases.
    #[arg(long = "test", value_name = "FILE", requires = "case", conflicts_with_all = ["rules", "capture"])]
    test: Option<PathBuf>,
    /// The case (with `--test`).
    #[arg(long, value_name = "NAME")]
    case: Option<String>,
    /// The event of the case, from 1 (default: the last one).
    #[arg(long, value_name = "N")]
    event: Option<usize>,
    /// Rule files (with a capture; repeat for several, loaded in order).
    #[arg(short = 'r', long = "rules", value_name = "RULES")]
    rules: Vec<PathBuf>,
    /// A capture (`.scap`, plain or gzip).
    #[arg(value_name = "CAPTURE", requires = "evt_num")]
    capture: Option<PathBuf>,
    /// The event of the capture (`evt.num`, from 1).
    #[arg(long = "evt-num", value_name = "N")]
    evt_num: Option<u64>,
    /// Plugins whose fields are known (with a capture; see `falcoc lint --help`).
    #[arg(long, default_value = "auto")]
    plugins: String,
}

/// Runs `falcoc explain`.
pub fn run(args: ExplainArgs) -> u8 {
    match (&args.test, &args.capture) {
        (Some(t), _) => from_test(&args, t),
        (None, Some(c)) => from_capture(&args, c),
        (None, None) => {
            eprintln!("error: give --test FILE --case NAME, or -r RULES CAPTURE --evt-num N");
            EXIT_USAGE
        }
    }
}

fn from_test(args: &ExplainArgs, path: &Path) -> u8 {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", path.display());
            return EXIT_USAGE;
        }
    };
    let read = read_test_file(&path.display().to_string(), &bytes);
    let Some(file) = read.file else {
        eprint!("{}", render_to_string(&[read.source], &read.diagnostics));
        return EXIT_PROBLEMS;
    };
    let suite = match load_suite(path, &file) {
        Ok(s) => s,
        Err(d) => {
            eprint!("{}", render_to_string(&[read.source], &d));
            return EXIT_PROBLEMS;
        }
    };
    let name = args.case.as_deref().unwrap_or("");
    let Some(case) = file.cases.iter().find(|c| c.name == name) else {
        eprintln!("error: {} has no case named `{name}`", path.display());
        return EXIT_USAGE;
    };
    if suite.rule(&args.rule).is_none() {
        eprintln!("error: no loaded rule is named `{}`", args.rule);
        return EXIT_USAGE;
    }
    let count = match &case.input {
        Input::Events(e) => e.len(),
        Input::K8sAudit(_) => usize::MAX,
        Input::Capture(_) => {
            eprintln!("error: the case replays a capture: use -r RULES CAPTURE --evt-num N");
            return EXIT_USAGE;
        }
    };
    let event = match args.event {
        Some(0) => {
            eprintln!("error: --event counts from 1");
            return EXIT_USAGE;
        }
        Some(n) => n - 1,
        None if count == usize::MAX => usize::MAX,
        None => count - 1,
    };
    match explain_case_event(path, &suite, case, &args.rule, event) {
        Some(text) => {
            print!("{text}");
            EXIT_OK
        }
        None => {
            eprintln!("error: the case has no event {}", event.saturating_add(1));
            EXIT_USAGE
        }
    }
}

fn from_capture(args: &ExplainArgs, capture: &Path) -> u8 {
    if args.rules.is_empty() {
        eprintln!("error: a capture needs rule files: -r RULES");
        return EXIT_USAGE;
    }
    let Some(n) = args.evt_num else {
        eprintln!("error: give the event with --evt-num N");
        return EXIT_USAGE;
    };
    let (loaded, _) = match load_rules(&args.rules, &args.plugins) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let Some(rule) = loaded.rules.iter().find(|r| r.name == args.rule) else {
        eprintln!("error: no loaded rule is named `{}`", args.rule);
        return EXIT_USAGE;
    };
    let mut reader = match scap::open(capture) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {}: {e}", capture.display());
            return EXIT_USAGE;
        }
    };
    match explain_capture(rule, &mut reader, n) {
        Ok(e) => {
            print!("explain on event {n}: {}", explain::render(&e));
            EXIT_OK
        }
        Err(e) => {
            eprintln!("error: {}: {e}", capture.display());
            EXIT_USAGE
        }
    }
}
