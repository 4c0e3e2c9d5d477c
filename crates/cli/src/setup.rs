//! What the commands that raise alerts (`replay`, `run`) set up the same way: the
//! `falco.yaml` configuration with `-o` overrides, the rule files it names, and the
//! output channels.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::inputs::load_paths;
use crate::render;
use crate::{EXIT_PROBLEMS, EXIT_USAGE};
use falcoc_compiler::load::{Loaded, Mode};
use falcoc_compiler::result::FileResult;
use falcoc_config::Config;
use falcoc_engine::hostname_from_env;
use falcoc_engine::time::TimeZone;
use falcoc_engine::{EngineOptions, SHIPPED_CONFIG};
use falcoc_lang::diagnostic::{render_to_string, Diagnostic, SourceFile};
use falcoc_outputs::{AbandonReason, CloseReport, Outputs, OutputsOptions};
use falcoc_schema::fields::PluginProfile;
use falcoc_syscall::SyscallOptions;

/// Prints configuration diagnostics (rendered against the configuration text).
pub fn print_config_diagnostics(name: &str, text: &str, diags: &[Diagnostic]) {
    if diags.is_empty() {
        return;
    }
    let files = [SourceFile::new(name, text)];
    eprint!("{}", render_to_string(&files, diags));
}

/// The configuration: the file at `path` (or [`SHIPPED_CONFIG`] with `stdout_output`
/// enabled) with the `-o` overrides applied. Problems are printed; the error is the exit
/// code.
pub fn load_config(path: Option<&Path>, overrides: &[String]) -> Result<Config, u8> {
    let (name, text) = match path {
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
    for o in overrides {
        match config.apply_override(o) {
            Ok(warnings) => print_config_diagnostics(&name, &text, &warnings),
            Err(diags) => {
                print_config_diagnostics(&name, &text, &diags);
                return Err(EXIT_USAGE);
            }
        }
    }
    if path.is_none() && !overrides.iter().any(|o| o.starts_with("stdout_output")) {
        // Without a configuration, alerts go to stdout (as Falco's shipped file does).
        config.stdout_output.enabled = true;
    }
    Ok(config)
}

/// Falco's error when neither `-r` nor the configuration names a rule file.
pub const NO_RULE_FILES: &str =
    "You must specify at least one rules file/directory via -r or a rules_file entry in falco.yaml";

/// The rule files to load, as Falco's `load_rules_files` finds them: the `-r` entries if
/// any are given (they replace the configuration's list, as Falco's `-r` does), else the
/// configuration's `rules_files` (or the older `rules_file`), in order. Each entry is:
///
/// * a directory: its regular files (symbolic links followed, subdirectories not entered),
///   sorted by path, that are rule-file names ([`is_rule_file_name`]);
/// * anything else: the path itself if it is a rule-file name. A missing file is kept, so
///   reading it fails later with Falco's `Could not open file … for reading`.
///
/// Entries that are not rule-file names are skipped as Falco skips them, with a warning
/// where the skip may surprise (Falco is silent): see `warn_skipped`. Error: no entries at all ([`NO_RULE_FILES`]), or an unreadable
/// directory.
pub fn rule_paths(cli: &[PathBuf], config: &Config) -> Result<Vec<PathBuf>, String> {
    let entries: Vec<PathBuf> = if cli.is_empty() {
        config.rules_files.iter().map(PathBuf::from).collect()
    } else {
        cli.to_vec()
    };
    if entries.is_empty() {
        return Err(NO_RULE_FILES.to_string());
    }
    let mut out = Vec::new();
    for e in entries {
        if e.is_dir() {
            let rd = std::fs::read_dir(&e)
                .map_err(|err| format!("cannot read {}: {err}", e.display()))?;
            // Falco sorts the path strings (byte order), then filters them.
            let mut files: Vec<(String, PathBuf)> = rd
                .filter_map(|d| d.ok().map(|d| d.path()))
                .filter(|p| p.is_file())
                .map(|p| (p.to_string_lossy().into_owned(), p))
                .collect();
            files.sort();
            for (name, p) in files {
                if is_rule_file_name(&name) {
                    out.push(p);
                } else if name.ends_with(".yaml") || name.ends_with(".yml") {
                    // Other files of a rules directory (READMEs…) are skipped quietly.
                    warn_skipped(&p);
                }
            }
        } else if is_rule_file_name(&e.to_string_lossy()) {
            out.push(e);
        } else {
            warn_skipped(&e);
        }
    }
    Ok(out)
}

/// The warning for a rule file Falco does not load (where Falco is silent): a named entry
/// that is not a rule-file name, or a directory's `.yaml`/`.yml` file that fails Falco's
/// match.
fn warn_skipped(p: &Path) {
    eprintln!(
        "warning: {} is not loaded: Falco loads only paths matching *.yaml or *.yml",
        p.display()
    );
}

/// Falco's test for a rule-file path: `matches_wildcard("*.yaml", path)` or the same with
/// `*.yml`. Its wildcard match looks for the *first* occurrence of `.yaml` (`.yml`) and
/// needs it to end the path, so `a.yaml` matches but `rules.yaml.d/a.yaml` (whose first
/// `.yaml` is in the directory name) and `a.yaml.yaml` do not.
pub fn is_rule_file_name(path: &str) -> bool {
    let ends_with_first = |suffix: &str| {
        path.find(suffix)
            .is_some_and(|i| i + suffix.len() == path.len())
    };
    ends_with_first(".yaml") || ends_with_first(".yml")
}

/// Loads rule files as Falco does; load errors and unreadable files are printed (exit 1,
/// as Falco's), a bad `--plugins` is a usage error (exit 2).
pub fn load_rules(paths: &[PathBuf], plugins: &str) -> Result<(Loaded, PluginProfile), u8> {
    let (loaded, profile) = match load_paths(paths, plugins, Mode::Falco) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: {e}");
            return Err(e.exit_code());
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
        return Err(EXIT_PROBLEMS);
    }
    Ok((loaded, profile))
}

/// The output channels of `config` (with `json_output` forced on by `json`).
pub fn open_outputs(config: &Config, json: bool, timezone: TimeZone) -> Result<Outputs, u8> {
    let mut out_config = config.clone();
    out_config.json_output |= json;
    let out_options = OutputsOptions {
        timezone,
        ..OutputsOptions::default()
    };
    match Outputs::new(&out_config, out_options) {
        Ok((o, warnings)) => {
            for w in warnings {
                eprintln!("warning: {w}");
            }
            Ok(o)
        }
        Err(e) => {
            eprintln!("error: {e}");
            Err(EXIT_USAGE)
        }
    }
}

/// How long the channels get to deliver their alerts at the end when `output_timeout`
/// is 0 (no per-write timeout).
const DEFAULT_CLOSE_TIMEOUT: Duration = Duration::from_secs(2);

/// Prints the per-channel counters to stderr when a channel other than stdout is enabled
/// or some alert was not delivered (failed, dropped, rate-limited or abandoned).
pub fn print_output_report(report: &CloseReport, close_timeout: Duration) {
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

/// How long the channels get at exit: `output_timeout`, or [`DEFAULT_CLOSE_TIMEOUT`] when
/// it is 0.
pub fn close_timeout(config: &Config) -> Duration {
    match config.output_timeout {
        0 => DEFAULT_CLOSE_TIMEOUT,
        ms => Duration::from_millis(u64::from(ms)),
    }
}

/// The engine settings of `config` for rules loaded with `profile`: the host name from
/// the environment; and the time zone of `TZ` (a warning is printed when `TZ` is not
/// understood), for the outputs and field extraction ([`syscall_options`]).
pub fn engine_options(config: &Config, profile: PluginProfile) -> (EngineOptions, TimeZone) {
    let (timezone, warning) = TimeZone::from_env();
    if let Some(w) = warning {
        eprintln!("warning: {w}");
    }
    let mut options = EngineOptions::from_config(config);
    options.hostname = hostname_from_env();
    options.profile = profile;
    (options, timezone)
}

/// The syscall settings of the engine: extraction in `timezone`, the other defaults.
pub fn syscall_options(timezone: TimeZone) -> SyscallOptions {
    let mut options = SyscallOptions::default();
    options.extract.timezone = timezone;
    options
}

#[cfg(test)]
mod tests {
    use super::is_rule_file_name;

    #[test]
    fn rule_file_names_as_falco_matches_them() {
        for yes in [
            "a.yaml",
            "a.yml",
            "/etc/falco/rules.d/x.yaml",
            ".yaml",
            "a.yml.yaml",
        ] {
            assert!(is_rule_file_name(yes), "{yes}");
        }
        // The first `.yaml` (`.yml`) must end the path.
        for no in [
            "a.txt",
            "a.yaml.bak",
            "a.YAML",
            "rules.yaml.d/x.yaml",
            "a.yaml.yaml",
            "a.yml.yml",
            "yaml",
        ] {
            assert!(!is_rule_file_name(no), "{no}");
        }
    }
}
