//! `falcoc replay -r RULES… CAPTURE [-c falco.yaml] [-o key=value]… [--json]`: replays a
//! capture through the state and the rule engine and delivers the alerts as Falco does
//! (text lines, or JSON objects with `--json` / `json_output: true`) through the output
//! channels of the configuration ([`Outputs`]: `stdout_output`, `file_output`,
//! `program_output`, `http_output`, `syslog_output`, with `outputs.rate`). Without `-c`
//! only `stdout_output` is enabled. A summary goes to stderr, with the per-channel
//! counters (sent, failed, dropped) when a channel other than stdout is enabled or an
//! alert was not delivered.
//!
//! The replay itself never waits for a channel. At the end, a channel that is
//! delivering gets up to `output_timeout` milliseconds (2000 when 0) to write what it
//! holds; a channel whose last write failed (refused, timed out, HTTP 5xx…) or that has
//! held one alert for `output_timeout` (a hung endpoint) is given up at once. The alerts
//! a channel did not deliver are reported as dropped, with the reason it was given up
//! (`Outputs::flush_and_close`).
//!
//! Exit codes: 0 replayed (alerts or not); 1 the rules do not load, or the capture is
//! corrupt (reported with its byte offset after the alerts of the events before it);
//! 2 usage errors: unreadable files, a bad configuration or `-o` option, a file that is
//! not a capture at all.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::inputs::load_paths;
use crate::render;
use crate::{EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE};
use falcoc_compiler::load::Mode;
use falcoc_compiler::result::FileResult;
use falcoc_lang::diagnostic::{render_to_string, Diagnostic, SourceFile};
use falcoc_runtime::config::Config;
use falcoc_runtime::engine::{replay, Engine, EngineOptions, SHIPPED_CONFIG};
use falcoc_runtime::outputs::{
    hostname_from_env, AbandonReason, CloseReport, Outputs, OutputsOptions, TimeZone,
};
use falcoc_runtime::scap::Reader;

/// Arguments of `falcoc replay`.
#[derive(clap::Args)]
pub struct ReplayArgs {
    /// A rule file (repeat for several, loaded in order).
    #[arg(short = 'r', long = "rules", value_name = "RULES", required = true)]
    rules: Vec<PathBuf>,
    /// The capture to replay (`.scap`, plain or gzip).
    #[arg(value_name = "CAPTURE")]
    capture: PathBuf,
    /// A `falco.yaml` (default: the alert settings of Falco's shipped file: the code
    /// defaults with `append_output: [{suggested_output: true}]`, and `stdout_output`
    /// enabled). Used keys: `priority`, `rules`, `rule_matching`, `append_output`,
    /// `json_output`, `json_include_*`, `time_format_iso_8601`, `buffered_outputs`,
    /// `outputs`, `outputs_queue`, `output_timeout`, `stdout_output`, `file_output`,
    /// `program_output`, `http_output`, `syslog_output`.
    #[arg(short = 'c', long = "config", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Override a configuration key (`-o rule_matching=all`, `-o rules[].enable.rule=*`,
    /// `-o priority=warning`, `-o json_output=true`); repeatable, applied in order.
    #[arg(short = 'o', long = "option", value_name = "KEY=VALUE")]
    options: Vec<String>,
    /// Print alerts as Falco's JSON objects (as `json_output: true`).
    #[arg(long)]
    json: bool,
    /// Plugins whose fields are known (see `falcoc lint --help`).
    #[arg(long, default_value = "auto")]
    plugins: String,
}

/// Prints configuration diagnostics (rendered against the configuration text).
fn print_config_diagnostics(name: &str, text: &str, diags: &[Diagnostic]) {
    if diags.is_empty() {
        return;
    }
    let files = [SourceFile::new(name, text)];
    eprint!("{}", render_to_string(&files, diags));
}

/// The configuration: the file (or [`SHIPPED_CONFIG`]) with the `-o` options applied.
fn load_config(args: &ReplayArgs) -> Result<Config, u8> {
    let (name, text) = match &args.config {
        Some(p) => match std::fs::read_to_string(p) {
            Ok(t) => (p.display().to_string(), t),
            Err(e) => {
                eprintln!("error: cannot read {}: {e}", p.display());
                return Err(EXIT_USAGE);
            }
        },
        None => (
            "(default falco.yaml)".to_string(),
            SHIPPED_CONFIG.to_string(),
        ),
    };
    let mut config = match Config::from_yaml(&name, &text) {
        Ok((c, warnings)) => {
            print_config_diagnostics(&name, &text, &warnings);
            c
        }
        Err(diags) => {
            print_config_diagnostics(&name, &text, &diags);
            return Err(EXIT_USAGE);
        }
    };
    if args.config.is_none() {
        // Without a configuration, alerts go to stdout (as Falco's shipped file does).
        config.stdout_output.enabled = true;
    }
    for o in &args.options {
        match config.apply_override(o) {
            Ok(warnings) => print_config_diagnostics(&name, &text, &warnings),
            Err(diags) => {
                print_config_diagnostics(&name, &text, &diags);
                return Err(EXIT_USAGE);
            }
        }
    }
    Ok(config)
}

/// How long the channels get to deliver their alerts at the end when `output_timeout`
/// is 0 (no per-write timeout).
const DEFAULT_CLOSE_TIMEOUT: Duration = Duration::from_secs(2);

/// Prints the per-channel counters to stderr when a channel other than stdout is enabled
/// or some alert was not delivered (failed, dropped, rate-limited or abandoned).
fn print_output_report(report: &CloseReport, close_timeout: Duration) {
    let stats = &report.stats;
    let undelivered = stats.rate_limited > 0
        || !report.abandoned.is_empty()
        || stats
            .channels
            .iter()
            .any(|c| c.failed > 0 || c.dropped > 0 || c.pending > 0);
    let others = stats.channels.iter().any(|c| c.name != "stdout");
    if !undelivered && !others {
        return;
    }
    eprintln!("Outputs (sent, failed, dropped):");
    for c in &stats.channels {
        // Alerts still queued or in flight when the channel was abandoned are lost.
        let dropped = c.dropped + c.pending;
        let mut line = format!(
            "   {}: sent {}, failed {}, dropped {}",
            c.name, c.sent, c.failed, dropped
        );
        if let Some(a) = report.abandoned(c.name) {
            let ms = close_timeout.as_millis();
            line.push_str(&match a.reason {
                AbandonReason::Failing => " (failing at exit; abandoned)".to_string(),
                AbandonReason::Stuck => format!(" (one alert pending for {ms} ms; abandoned)"),
                AbandonReason::Timeout => format!(" (still busy after {ms} ms; abandoned)"),
            });
        }
        if let Some(e) = &c.last_error {
            line.push_str(&format!("; last error: {e}"));
        }
        eprintln!("{line}");
    }
    if stats.rate_limited > 0 {
        eprintln!(
            "   rate-limited (outputs.rate): {} alerts",
            stats.rate_limited
        );
    }
}

/// Runs `falcoc replay`.
pub fn run(args: ReplayArgs) -> u8 {
    let config = match load_config(&args) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let (loaded, profile) = match load_paths(&args.rules, &args.plugins, Mode::Falco) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_USAGE;
        }
    };
    if loaded.has_errors() {
        let files: Vec<SourceFile> = loaded.files.iter().map(|f| f.source_file()).collect();
        let errors: Vec<FileResult> = loaded
            .results
            .iter()
            .map(|r| FileResult {
                name: r.name.clone(),
                errors: r.errors.clone(),
                warnings: Vec::new(),
            })
            .collect();
        eprint!("{}", render::human(&errors, &[], &files, false));
        eprintln!("error: the rule files do not load (see `falcoc lint`)");
        return EXIT_PROBLEMS;
    }
    let (timezone, warning) = TimeZone::from_env();
    if let Some(w) = warning {
        eprintln!("warning: {w}");
    }
    let mut options = EngineOptions::from_config(&config);
    options.hostname = hostname_from_env();
    options.profile = profile;
    options.extract.timezone = timezone;
    let rules = loaded.rules;
    let mut engine = match Engine::new(rules, options) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_PROBLEMS;
        }
    };
    let file = match std::fs::File::open(&args.capture) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: cannot open {}: {e}", args.capture.display());
            return EXIT_USAGE;
        }
    };
    let mut reader = match Reader::new(file) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {}: {e}", args.capture.display());
            return EXIT_USAGE;
        }
    };
    let mut out_config = config.clone();
    out_config.json_output |= args.json;
    let out_options = OutputsOptions {
        timezone,
        ..OutputsOptions::default()
    };
    let mut outputs = match Outputs::new(&out_config, out_options) {
        Ok((o, warnings)) => {
            for w in warnings {
                eprintln!("warning: {w}");
            }
            o
        }
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_USAGE;
        }
    };
    let start = Instant::now();
    let summary = replay(&mut engine, &mut reader, Default::default(), |alert| {
        outputs.emit(&alert);
    });
    let replayed = start.elapsed();
    let close_timeout = match out_config.output_timeout {
        0 => DEFAULT_CLOSE_TIMEOUT,
        ms => Duration::from_millis(u64::from(ms)),
    };
    let report = outputs.flush_and_close(close_timeout);
    let elapsed = replayed.as_secs_f64();
    eprintln!(
        "Events read: {} ({:.2} s, {:.0} events/s)",
        summary.events,
        elapsed,
        summary.events as f64 / elapsed.max(1e-9)
    );
    eprintln!("Alerts: {}", summary.alerts);
    let counts = engine.match_counts();
    if !counts.is_empty() {
        eprintln!("Triggered rules by rule name:");
        for (rule, n) in counts {
            eprintln!("   {rule}: {n}");
        }
    }
    print_output_report(&report, close_timeout);
    match summary.error {
        None => EXIT_OK,
        // Not a capture at all (not even one block): a usage error.
        Some(e) if summary.events == 0 && reader.stats().blocks == 0 => {
            eprintln!("error: {}: {e}", args.capture.display());
            EXIT_USAGE
        }
        Some(e) => {
            eprintln!(
                "error: {}: {e} (after {} events)",
                args.capture.display(),
                summary.events
            );
            EXIT_PROBLEMS
        }
    }
}
