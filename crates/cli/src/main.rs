//! `falcoc`: the command line of the falcoc toolchain. Argument parsing and printing only;
//! the work is done by the library crates.

mod cmd_capture;
mod cmd_compile;
mod cmd_events;
mod cmd_explain;
mod cmd_lint;
mod cmd_lsp;
mod cmd_parse;
mod cmd_replay;
mod cmd_run;
mod cmd_test;
mod inputs;
mod profile;
mod render;
mod run_k8s_audit;
mod setup;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Exit code: success.
pub const EXIT_OK: u8 = 0;
/// Exit code: the input has problems (syntax errors, lint errors).
pub const EXIT_PROBLEMS: u8 = 1;
/// Exit code: usage or I/O error.
pub const EXIT_USAGE: u8 = 2;

#[derive(Parser)]
#[command(
    name = "falcoc",
    version,
    about = "A toolchain for the Falco rules language"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check rule files and report every problem found.
    Lint(cmd_lint::LintArgs),
    /// Parse one condition and print its syntax tree.
    Parse(cmd_parse::ParseArgs),
    /// Show compiled rules and conditions (expanded conditions, event types).
    Compile(cmd_compile::CompileArgs),
    /// Print the events of a capture that match a condition (like `sysdig -r -p`).
    Events(cmd_events::EventsArgs),
    /// Replay a capture through rules and print Falco's alerts.
    Replay(cmd_replay::ReplayArgs),
    /// Run the live sensor: the eBPF probe, the rules, the outputs of falco.yaml.
    Run(cmd_run::RunArgs),
    /// Write what the live eBPF probe sees to a scap capture file.
    Capture(cmd_capture::CaptureArgs),
    /// Run the language server for editors (LSP over stdio).
    Lsp(cmd_lsp::LspArgs),
    /// Run rule unit tests (test files of cases and expected alerts).
    Test(cmd_test::TestArgs),
    /// Explain why a rule matches an event or not, clause by clause.
    Explain(cmd_explain::ExplainArgs),
}

fn main() -> ExitCode {
    quiet_dependency_panics();
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_USAGE } else { EXIT_OK });
        }
    };
    let code = match cli.command {
        Command::Lint(a) => cmd_lint::run(a),
        Command::Parse(a) => cmd_parse::run(a),
        Command::Compile(a) => cmd_compile::run(a),
        Command::Events(a) => cmd_events::run(a),
        Command::Replay(a) => cmd_replay::run(a),
        Command::Run(a) => cmd_run::run(a),
        Command::Capture(a) => cmd_capture::run(a),
        Command::Lsp(a) => cmd_lsp::run(a),
        Command::Test(a) => cmd_test::run(a),
        Command::Explain(a) => cmd_explain::run(a),
    };
    ExitCode::from(code)
}

/// The YAML parser (libyaml-safer) can panic on some malformed inputs; the rule-file reader
/// catches that and reports a located error. Keep the default hook for everything else,
/// but do not print the caught dependency panic on top of the real diagnostic.
fn quiet_dependency_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if info
            .location()
            .is_some_and(|l| l.file().contains("libyaml-safer"))
        {
            return;
        }
        default(info);
    }));
}
