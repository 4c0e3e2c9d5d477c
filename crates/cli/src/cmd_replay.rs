//! `falcoc replay [-r RULES]… CAPTURE [-c falco.yaml] [-o key=value]… [--json]`: replays a
//! capture through the state and the rule engine and delivers the alerts as Falco does
//! (text lines, or JSON objects with `--json` / `json_output: true`) through the output
//! channels of the configuration ([`falcoc_outputs::Outputs`]: `stdout_output`,
//! `file_output`, `program_output`, `http_output`, `syslog_output`, with `outputs.rate`).
//! Without `-c` only `stdout_output` is enabled. A summary goes to stderr, with the
//! per-channel counters (sent, failed, dropped) when a channel other than stdout is
//! enabled or an alert was not delivered.
//!
//! The replay itself never waits for a channel. At the end, a channel that is
//! delivering gets up to `output_timeout` milliseconds (2000 when 0) to write what it
//! holds; a channel whose last write failed (refused, timed out, HTTP 5xx…) or that has
//! held one alert for `output_timeout` (a hung endpoint) is given up at once. The alerts
//! a channel did not deliver are reported as dropped, with the reason it was given up
//! (`Outputs::flush_and_close`).
//!
//! The rules are the `-r` files and directories, else the configuration's `rules_files`
//! (as Falco loads them: [`crate::setup::rule_paths`]).
//!
//! Exit codes: 0 replayed (alerts or not); 1 the rules do not load (a rule file that
//! cannot be read included, as in Falco), or the capture is corrupt (reported with its
//! byte offset after the alerts of the events before it); 2 usage errors: no rule files,
//! an unreadable capture or configuration, a bad configuration or `-o` option, a file that
//! is not a capture at all.
//!
//! `--source k8s_audit FILE.json…` replays Kubernetes audit events instead (see
//! [`falcoc_k8saudit`]): each file is one JSON payload (an `Event`, an
//! `EventList`, an array of them) or one payload per line, as the API server's log and
//! webhook backends write them. Only `source: k8s_audit` rules run; with `--plugins auto`
//! the k8saudit and json plugins are added to the plugins the rule files declare. A file
//! that is not audit events, or an event without a readable `stageTimestamp`, is
//! reported with its file and line and skipped; the replay goes on and exits 1.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::inputs::InputError;
use crate::setup::{
    close_timeout, engine_options, load_config, load_rules, open_outputs, print_output_report,
    rule_paths, syscall_options,
};
use crate::{EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE};
use falcoc_config::Config;
use falcoc_engine::time::TimeZone;
use falcoc_engine::Engine;
use falcoc_k8saudit::{self as k8saudit, FieldOptions, K8S_AUDIT_SOURCE};
use falcoc_scap::Reader;
use falcoc_syscall::{replay, SyscallEngine};

/// Arguments of `falcoc replay`.
#[derive(clap::Args)]
pub struct ReplayArgs {
    /// A rule file or directory (repeat for several, loaded in order); replaces the
    /// `rules_files` of the configuration, as Falco's `-r` does.
    #[arg(short = 'r', long = "rules", value_name = "RULES")]
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
    /// enabled). Used keys: `rules_files` (or `rules_file`; without `-r`), `priority`, `rules`, `rule_matching`, `append_output`,
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
    /// After the summary, print a per-rule profile on stderr: evaluations, matches,
    /// condition time per evaluation (sampled) and share of the rules' total, sorted by
    /// time.
    #[arg(long)]
    profile: bool,
    /// Write the per-rule profile as JSON to FILE (`-`: stdout).
    #[arg(long = "profile-json", value_name = "FILE")]
    profile_json: Option<PathBuf>,
}

/// Prints or writes the profile that `--profile`/`--profile-json` ask for.
fn report_profile(args: &ReplayArgs, engine: &Engine) -> Result<(), u8> {
    if args.profile {
        crate::profile::print_table(engine);
    }
    match &args.profile_json {
        Some(p) => crate::profile::write_json(engine, p),
        None => Ok(()),
    }
}

/// Runs `falcoc replay`.
pub fn run(args: ReplayArgs) -> u8 {
    let config = match load_config(args.config.as_deref(), &args.options) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let k8s = args.source == K8S_AUDIT_SOURCE;
    if !k8s && args.captures.len() != 1 {
        eprintln!("error: replay takes one capture (several files only with --source k8s_audit)");
        return EXIT_USAGE;
    }
    let paths = match rule_paths(&args.rules, &config) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_USAGE;
        }
    };
    let plugins = if k8s && args.plugins == "auto" {
        match k8s_audit_plugins(&paths) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("error: {e}");
                return e.exit_code();
            }
        }
    } else {
        args.plugins.clone()
    };
    let (loaded, profile) = match load_rules(&paths, &plugins) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let (mut options, timezone) = engine_options(&config, profile);
    if k8s {
        options.source = K8S_AUDIT_SOURCE.to_string();
    }
    let field_options = FieldOptions {
        timezone,
        hostname: options.hostname.clone(),
    };
    let rules = loaded.rules;
    // Syscall rules are specialised per event code as they are compiled.
    let built = if k8s {
        Engine::new(rules, options)
    } else {
        Engine::with_facts(rules, options, &syscall_options(timezone).code_facts())
    };
    let mut engine = match built {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_PROBLEMS;
        }
    };
    engine.set_profiling(args.profile || args.profile_json.is_some());
    // Text lines never show `output_fields`: skip extracting them.
    engine.set_output_fields(config.json_output || args.json);
    if k8s {
        return replay_k8s_audit(&args, &config, timezone, &mut engine, &field_options);
    }
    let mut engine = SyscallEngine::from_engine(engine, syscall_options(timezone));
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
    let mut outputs = match open_outputs(&config, args.json, timezone) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let start = Instant::now();
    let summary = replay(&mut engine, &mut reader, Default::default(), |alert| {
        outputs.emit(&alert);
    });
    let replayed = start.elapsed();
    let close_timeout = close_timeout(&config);
    let report = outputs.flush_and_close(close_timeout);
    print_summary(&engine, summary.events, summary.alerts, replayed);
    print_output_report(&report, close_timeout);
    if let Err(code) = report_profile(&args, &engine) {
        return code;
    }
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
fn k8s_audit_plugins(rules: &[PathBuf]) -> Result<String, InputError> {
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
    let mut outputs = match open_outputs(config, args.json, timezone) {
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
    let close_timeout = close_timeout(config);
    let report = outputs.flush_and_close(close_timeout);
    print_summary(engine, events, alerts, replayed);
    print_output_report(&report, close_timeout);
    if let Err(code) = report_profile(args, engine) {
        return code;
    }
    if errors > 0 {
        eprintln!("error: {errors} file(s) or event(s) could not be read");
        return EXIT_PROBLEMS;
    }
    EXIT_OK
}
