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
//!
//! `--source k8s_audit FILE.json…` replays Kubernetes audit events instead (see
//! [`falcoc_runtime::k8saudit`]): each file is one JSON payload (an `Event`, an
//! `EventList`, an array of them) or one payload per line, as the API server's log and
//! webhook backends write them. Only `source: k8s_audit` rules run; with `--plugins auto`
//! the k8saudit and json plugins are added to the plugins the rule files declare. A file
//! that is not audit events, or an event without a readable `stageTimestamp`, is
//! reported with its file and line and skipped; the replay goes on and exits 1.

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
use falcoc_runtime::k8saudit::{self, FieldOptions, K8S_AUDIT_SOURCE};
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
    /// The capture to replay (`.scap`, plain or gzip); with `--source k8s_audit`, one or
    /// more files of audit events (JSON).
    #[arg(value_name = "CAPTURE", required = true, num_args = 1..)]
    captures: Vec<PathBuf>,
    /// The event source: `syscall` (a capture) or `k8s_audit` (Kubernetes audit events).
    #[arg(long, default_value = "syscall", value_parser = ["syscall", K8S_AUDIT_SOURCE])]
    source: String,
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
pub(crate) fn print_output_report(report: &CloseReport, close_timeout: Duration) {
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
    let k8s = args.source == K8S_AUDIT_SOURCE;
    if !k8s && args.captures.len() != 1 {
        eprintln!("error: replay takes one capture (several files only with --source k8s_audit)");
        return EXIT_USAGE;
    }
    let plugins = if k8s && args.plugins == "auto" {
        match k8s_audit_plugins(&args.rules) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("error: {e}");
                return EXIT_USAGE;
            }
        }
    } else {
        args.plugins.clone()
    };
    let (loaded, profile) = match load_paths(&args.rules, &plugins, Mode::Falco) {
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
    if k8s {
        options.source = K8S_AUDIT_SOURCE.to_string();
    }
    let field_options = FieldOptions {
        timezone,
        hostname: options.hostname.clone(),
    };
    let rules = loaded.rules;
    let mut engine = match Engine::new(rules, options) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_PROBLEMS;
        }
    };
    if k8s {
        return replay_k8s_audit(&args, &config, timezone, &mut engine, &field_options);
    }
    let Some(capture) = args.captures.first() else {
        return EXIT_USAGE;
    };
    let file = match std::fs::File::open(capture) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: cannot open {}: {e}", capture.display());
            return EXIT_USAGE;
        }
    };
    let mut reader = match Reader::new(file) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {}: {e}", capture.display());
            return EXIT_USAGE;
        }
    };
    let (mut outputs, out_config) = match open_outputs(&args, &config, timezone) {
        Ok(o) => o,
        Err(code) => return code,
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
    print_summary(&engine, summary.events, summary.alerts, replayed);
    print_output_report(&report, close_timeout);
    match summary.error {
        None => EXIT_OK,
        // Not a capture at all (not even one block): a usage error.
        Some(e) if summary.events == 0 && reader.stats().blocks == 0 => {
            eprintln!("error: {}: {e}", capture.display());
            EXIT_USAGE
        }
        Some(e) => {
            eprintln!(
                "error: {}: {e} (after {} events)",
                capture.display(),
                summary.events
            );
            EXIT_PROBLEMS
        }
    }
}

/// The output channels of the configuration (`--json` applied), and that configuration.
fn open_outputs(
    args: &ReplayArgs,
    config: &Config,
    timezone: TimeZone,
) -> Result<(Outputs, Config), u8> {
    let mut out_config = config.clone();
    out_config.json_output |= args.json;
    let out_options = OutputsOptions {
        timezone,
        ..OutputsOptions::default()
    };
    match Outputs::new(&out_config, out_options) {
        Ok((o, warnings)) => {
            for w in warnings {
                eprintln!("warning: {w}");
            }
            Ok((o, out_config))
        }
        Err(e) => {
            eprintln!("error: {e}");
            Err(EXIT_USAGE)
        }
    }
}

/// The end-of-replay counters on stderr.
fn print_summary(engine: &Engine, events: u64, alerts: u64, replayed: Duration) {
    let elapsed = replayed.as_secs_f64();
    eprintln!(
        "Events read: {} ({:.2} s, {:.0} events/s)",
        events,
        elapsed,
        events as f64 / elapsed.max(1e-9)
    );
    eprintln!("Alerts: {alerts}");
    let counts = engine.match_counts();
    if !counts.is_empty() {
        eprintln!("Triggered rules by rule name:");
        for (rule, n) in counts {
            eprintln!("   {rule}: {n}");
        }
    }
}

/// `--plugins auto` for `--source k8s_audit`: the plugins the rule files declare, plus
/// the k8saudit plugin (unless a variant is declared) and the json plugin.
fn k8s_audit_plugins(rules: &[PathBuf]) -> Result<String, String> {
    let contents = crate::inputs::read_files(rules)?;
    let inputs: Vec<falcoc_compiler::load::Input> = contents
        .iter()
        .map(|(n, b)| falcoc_compiler::load::Input { name: n, bytes: b })
        .collect();
    let profile = falcoc_compiler::load::auto_profile(&inputs);
    let mut names: Vec<&str> = profile.plugins().iter().map(|p| p.name).collect();
    if !names.iter().any(|n| n.starts_with("k8saudit")) {
        names.push("k8saudit");
    }
    if !names.contains(&"json") {
        names.push("json");
    }
    Ok(names.join(","))
}

/// `falcoc replay --source k8s_audit`: every audit event of every file through the
/// engine, in file order; alerts to the output channels.
fn replay_k8s_audit(
    args: &ReplayArgs,
    config: &Config,
    timezone: TimeZone,
    engine: &mut Engine,
    field_options: &FieldOptions,
) -> u8 {
    let mut texts = Vec::with_capacity(args.captures.len());
    for p in &args.captures {
        match std::fs::read(p) {
            Ok(b) => texts.push((p, b)),
            Err(e) => {
                eprintln!("error: cannot read {}: {e}", p.display());
                return EXIT_USAGE;
            }
        }
    }
    let (mut outputs, out_config) = match open_outputs(args, config, timezone) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let start = Instant::now();
    let (mut events, mut alerts, mut errors) = (0u64, 0u64, 0u64);
    for (path, bytes) in texts {
        let text = match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => {
                eprintln!(
                    "error: {}: not UTF-8 text (byte {})",
                    path.display(),
                    e.utf8_error().valid_up_to()
                );
                errors += 1;
                continue;
            }
        };
        let decoded = match k8saudit::read_file(text) {
            Ok(d) => d,
            Err(e) => {
                eprintln!("error: {}: {e}", path.display());
                errors += 1;
                continue;
            }
        };
        for ev in decoded {
            match ev {
                Ok(ev) => {
                    events += 1;
                    for alert in k8saudit::evaluate(engine, &ev, events, field_options) {
                        alerts += 1;
                        outputs.emit(&alert);
                    }
                }
                Err(e) => {
                    eprintln!("error: {}: {e} (event skipped)", path.display());
                    errors += 1;
                }
            }
        }
    }
    let replayed = start.elapsed();
    let close_timeout = match out_config.output_timeout {
        0 => DEFAULT_CLOSE_TIMEOUT,
        ms => Duration::from_millis(u64::from(ms)),
    };
    let report = outputs.flush_and_close(close_timeout);
    print_summary(engine, events, alerts, replayed);
    print_output_report(&report, close_timeout);
    if errors > 0 {
        eprintln!("error: {errors} file(s) or event(s) could not be read");
        return EXIT_PROBLEMS;
    }
    EXIT_OK
}
