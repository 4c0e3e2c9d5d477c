//! `falcoc lint FILE…`: reads the files in order and reports every problem found.

use crate::{EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE};
use falcoc_lang::diagnostic::{self, Diagnostic, SourceFile};
use falcoc_lang::rulefile::read_rules_file;
use falcoc_lang::syntax::check_conditions;
use std::io::IsTerminal;

/// Arguments of `falcoc lint`.
#[derive(clap::Args)]
pub struct LintArgs {
    /// Rule files, in load order.
    #[arg(required = true)]
    files: Vec<std::path::PathBuf>,
    /// Colour: auto, always or never.
    #[arg(long, default_value = "auto")]
    color: String,
}

/// Runs `falcoc lint`.
pub fn run(args: LintArgs) -> u8 {
    let mut sources = Vec::new();
    let mut diags: Vec<Diagnostic> = Vec::new();
    for path in &args.files {
        let name = path.display().to_string();
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("error: cannot read {name}: {e}");
                return EXIT_USAGE;
            }
        };
        let index = sources.len();
        let mut read = read_rules_file(&name, &bytes);
        read.set_file_index(index);
        diags.extend(read.diagnostics.iter().cloned());
        diags.extend(check_conditions(&read, index));
        sources.push(SourceFile::new(name, read.text));
    }
    let color = match args.color.as_str() {
        "always" => true,
        "never" => false,
        _ => std::io::stderr().is_terminal(),
    };
    print_human(&sources, &diags, color);
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let warnings = diags.len() - errors;
    if diags.is_empty() {
        eprintln!("{} file(s) checked: no problems", sources.len());
    } else {
        eprintln!(
            "{} file(s) checked: {errors} error(s), {warnings} warning(s)",
            sources.len()
        );
    }
    if errors > 0 {
        EXIT_PROBLEMS
    } else {
        EXIT_OK
    }
}

fn print_human(files: &[SourceFile], diags: &[Diagnostic], color: bool) {
    use codespan_reporting::term::termcolor::{ColorChoice, StandardStream};
    if diags.is_empty() {
        return;
    }
    let choice = if color {
        ColorChoice::Always
    } else {
        ColorChoice::Never
    };
    let mut out = StandardStream::stderr(choice);
    if diagnostic::render(&mut out, files, diags).is_err() {
        eprint!("{}", diagnostic::render_to_string(files, diags));
    }
}
