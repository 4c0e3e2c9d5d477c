//! `falcoc lint FILE…`: loads the files in order, as Falco would, and reports every
//! problem found. `falcoc lint -c falco.yaml` lints the rule files the configuration's
//! `rules_files` (or `rules_file`) names, files and directories, in the order Falco loads
//! them; `-r RULES` (repeatable) replaces that list, as Falco's `-r` does.

use crate::inputs::load_paths_with;
use crate::render;
use crate::{EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE};
use falcoc_compiler::load::Mode;
use falcoc_compiler::result::{FileResult, LoadMessage};
use falcoc_lang::diagnostic::SourceFile;
use falcoc_lints::{self as lints, Level, LintConfig};
use std::io::IsTerminal;

/// Output formats.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Located diagnostics for people (default).
    Human,
    /// Falco's `falco_load_results` JSON (what `falco -V` prints with `json_output`).
    Json,
    /// SARIF 2.1.0.
    Sarif,
    /// GitHub Actions workflow annotations.
    Github,
}

/// Arguments of `falcoc lint`.
#[derive(clap::Args)]
pub struct LintArgs {
    /// Rule files, in load order (each read as given, as `falco -V FILE` reads it).
    #[arg(required_unless_present_any = ["list_lints", "config", "rules"], conflicts_with = "rules")]
    files: Vec<std::path::PathBuf>,
    /// A `falco.yaml` whose `rules_files` (or `rules_file`) list is linted when no file is
    /// given: files and directories (their `*.yaml`/`*.yml` files in name order), in order.
    #[arg(short = 'c', long = "config", value_name = "FILE")]
    config: Option<std::path::PathBuf>,
    /// A rule file or directory to lint (repeatable, in order) instead of the
    /// configuration's `rules_files`, as Falco's `-r`.
    #[arg(short = 'r', long = "rules", value_name = "RULES")]
    rules: Vec<std::path::PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
    /// Treat warnings as errors (exit 1 when there is any warning).
    #[arg(long)]
    strict: bool,
    /// Plugins whose fields and sources are known: `auto` (default: the container plugin
    /// plus the plugins the files declare in `required_plugin_versions`), `all`,
    /// `container` (stock Falco 0.42), `none`, or a comma-separated list of plugin names.
    #[arg(long, default_value = "auto")]
    plugins: String,
    /// Colour for human output: auto, always or never.
    #[arg(long, default_value = "auto")]
    color: String,
    /// Report a falcoc lint (code like `FC004`, name, or `all`) as a warning.
    #[arg(long = "warn", value_name = "LINT")]
    warn: Vec<String>,
    /// Report a falcoc lint as an error.
    #[arg(long = "deny", value_name = "LINT")]
    deny: Vec<String>,
    /// Turn a falcoc lint off.
    #[arg(long = "allow", value_name = "LINT")]
    allow: Vec<String>,
    /// List falcoc's own lints and exit.
    #[arg(long)]
    list_lints: bool,
}

/// The lint levels from `--warn/--deny/--allow`, applied in command-line order.
fn lint_config(args: &LintArgs) -> Result<LintConfig, String> {
    let mut flags: Vec<(usize, &str, Level)> = Vec::new();
    let argv: Vec<String> = std::env::args().collect();
    // clap keeps each flag's values apart; recover their order from the command line.
    let position = |flag: &str, value: &str| -> usize {
        argv.windows(2)
            .position(|w| (w[0] == flag && w[1] == value) || w[0] == format!("{flag}={value}"))
            .unwrap_or(usize::MAX)
    };
    for (list, flag, level) in [
        (&args.warn, "--warn", Level::Warn),
        (&args.deny, "--deny", Level::Deny),
        (&args.allow, "--allow", Level::Allow),
    ] {
        for v in list {
            flags.push((position(flag, v), v, level));
        }
    }
    flags.sort_by_key(|f| f.0);
    let mut config = LintConfig::new();
    for (_, key, level) in flags {
        config.set(key, level)?;
    }
    Ok(config)
}

fn print_lint_list() {
    for r in lints::registry() {
        println!(
            "{}  {:<26} {:<5}  {}",
            r.code,
            r.name,
            r.default.as_str(),
            r.summary
        );
    }
}

/// Messages of all results without the repeats that cumulative loading produces (the
/// same warning about an earlier item in every later file's result).
fn deduplicated(results: &[FileResult]) -> Vec<FileResult> {
    let mut seen = std::collections::HashSet::new();
    let key = |m: &LoadMessage| {
        (
            m.code,
            m.message.clone(),
            m.span,
            m.locations.get(1).cloned(),
        )
    };
    results
        .iter()
        .map(|r| FileResult {
            name: r.name.clone(),
            errors: r
                .errors
                .iter()
                .filter(|m| seen.insert(key(m)))
                .cloned()
                .collect(),
            warnings: r
                .warnings
                .iter()
                .filter(|m| seen.insert(key(m)))
                .cloned()
                .collect(),
        })
        .collect()
}

/// Runs `falcoc lint`.
pub fn run(args: LintArgs) -> u8 {
    if args.list_lints {
        print_lint_list();
        return EXIT_OK;
    }
    let config = match lint_config(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_USAGE;
        }
    };
    let mode = if args.format == Format::Json {
        Mode::Falco
    } else {
        Mode::AllProblems
    };
    let paths = if args.files.is_empty() {
        let config = match crate::setup::load_config(args.config.as_deref(), &[]) {
            Ok(c) => c,
            Err(code) => return code,
        };
        match crate::setup::rule_paths(&args.rules, &config) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("error: {e}");
                return EXIT_USAGE;
            }
        }
    } else {
        args.files.clone()
    };
    // The cache is kept: the lints reuse its parses, and the process ends without freeing.
    let loaded = match load_paths_with(&paths, &args.plugins, mode, true) {
        Ok((l, _)) => l,
        Err(e) => {
            eprintln!("error: {e}");
            return e.exit_code();
        }
    };
    let files: Vec<SourceFile> = loaded.files.iter().map(|f| f.source_file()).collect();
    let results = if mode == Mode::Falco {
        loaded.results.clone()
    } else {
        deduplicated(&loaded.results)
    };
    // falcoc's own lints (not in Falco's JSON, which stays Falco-exact).
    let findings = if mode == Mode::Falco {
        Vec::new()
    } else {
        lints::run(&loaded, &config)
    };
    let lint_diags: Vec<_> = findings.iter().map(|f| f.to_diagnostic()).collect();
    let lint_errors = findings.iter().filter(|f| f.level == Level::Deny).count();
    let errors: usize = results.iter().map(|r| r.errors.len()).sum::<usize>() + lint_errors;
    let warnings: usize =
        results.iter().map(|r| r.warnings.len()).sum::<usize>() + findings.len() - lint_errors;
    match args.format {
        Format::Human => {
            let color = match args.color.as_str() {
                "always" => true,
                "never" => false,
                _ => std::io::stderr().is_terminal(),
            };
            eprint!("{}", render::human(&results, &lint_diags, &files, color));
            if errors + warnings == 0 {
                eprintln!("{} file(s) checked: no problems", files.len());
            } else {
                eprintln!(
                    "{} file(s) checked: {errors} error(s), {warnings} warning(s)",
                    files.len()
                );
            }
        }
        Format::Json => println!("{}", render::falco_json(&results)),
        Format::Sarif => println!("{}", render::sarif(&results, &lint_diags, &files)),
        Format::Github => print!("{}", render::github(&results, &lint_diags, &files)),
    }
    // The process ends here: skip freeing the (large) compiled rule set.
    std::mem::forget(loaded);
    if errors > 0 || (args.strict && warnings > 0) {
        EXIT_PROBLEMS
    } else {
        EXIT_OK
    }
}
