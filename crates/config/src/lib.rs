//! `falco.yaml`: every key of outputs.md §6–§9 with Falco 0.42.1's code defaults, read
//! with `serde` from the project's span-keeping YAML tree, and `-o key=value` options.
//!
//! # How it is read
//!
//! The text is parsed by [`falcoc_lang::rulefile::parse_yaml`] — the same YAML parser
//! (`libyaml-safer`) and tree that read rule files, with a byte span on every node —
//! and converted into an owned document. [`Config`] and its sections derive
//! `serde::Deserialize`; a small deserializer over the document (`de.rs`) feeds them.
//! This is why falcoc needs no `serde_yaml` successor (`serde_yaml_ng` 0.10.0 and
//! `serde_norway` 0.9.42 were considered): one YAML parser for rules and configuration
//! (two parsers could disagree on what is valid YAML), every value and every key located
//! (a serde YAML crate locates syntax and type errors but not semantic errors such as
//! "both `rules_file` and `rules_files`", nor unknown keys, which would need a second
//! pass over another tree anyway), and scalars converted the way yaml-cpp's `as<T>()` does
//! for Falco rather than by the YAML 1.2 core schema (`yes`/`on` are booleans, a quoted
//! `"true"` is too, a scalar where a list is expected is a one-item list).
//!
//! # Diagnostics
//!
//! [`Config::from_yaml`] returns warnings on success and every error on failure, as
//! [`falcoc_lang::Diagnostic`]s whose labels point into file index 0 (render them with
//! `SourceFile::new(name, text)`). Decoding goes on after a bad value (the value is
//! dropped and decoding restarts, up to [`MAX_ERRORS`] errors), so one run reports every
//! problem. Codes:
//!
//! | code | severity | meaning |
//! |---|---|---|
//! | `CONFIG_YAML_PARSE` | error | YAML syntax error |
//! | `CONFIG_INVALID` | error | a value of the wrong type or out of range, a missing required value, an inconsistent setting (Falco's own messages where it has one) |
//! | `CONFIG_OPTION` | error | a malformed `-o key=value` |
//! | `CONFIG_UNKNOWN_KEY` | warning | a key Falco 0.42.1 does not know (Falco: schema validation warning) |
//! | `CONFIG_DUPLICATE_KEY` | warning | a repeated key (the first is used, as in yaml-cpp) |
//! | `CONFIG_IGNORED_VALUE` | warning | a mapping where a sequence is expected (Falco reads no items from it) |
//! | `CONFIG_WARNING` | warning | Falco's own configuration warnings, and hints (text alerts sent to an HTTP endpoint or into `jq`) |
//! | `CONFIG_DEPRECATED` | warning | `rules_file`, `outputs.rate`/`max_burst`, `webserver.k8s_audit_endpoint`, `grpc.enabled`… |
//!
//! Falco itself silently uses the default for a value it cannot convert (only its schema
//! validation warns); falcoc reports an error instead.
//!
//! # `-o key=value`
//!
//! [`Config::apply_override`] edits the document as Falco's `yaml_helper` does: the key is
//! a path of names separated by `.`, with `[n]` indexes and `[]` to append a new item
//! (`rules[].disable.rule=*`, `append_output[].match.source=syscall`,
//! `plugins[0].name=x`); the value is a scalar, or a YAML mapping when it is written
//! `{...}`. Then the whole document is decoded again.
//!
//! ```
//! use falcoc_config::{Config, RuleMatching, INVALID};
//!
//! let text = "rule_matching: all\njson_output: true\nunknown_key: 1\n";
//! let (mut config, warnings) = Config::from_yaml("falco.yaml", text).expect("valid");
//! assert_eq!(config.rule_matching, RuleMatching::All);
//! assert!(config.json_output);
//! assert_eq!(warnings[0].code, "CONFIG_UNKNOWN_KEY");
//!
//! config.apply_override("priority=warning").expect("a valid -o option");
//! assert_eq!(config.priority.name(), "Warning");
//!
//! let errors = Config::from_yaml("falco.yaml", "json_output: [1]\n").unwrap_err();
//! assert_eq!(errors[0].code, INVALID);
//! ```

#![warn(missing_docs)]

mod check;
mod de;
mod outputs;
mod rules;
mod sensor;
mod value;

pub use outputs::{
    Enabled, FileOutput, Grpc, HttpOutput, OutputsQueue, OutputsRate, ProgramOutput, Webserver,
};
pub use rules::{AppendMatch, AppendOutput, ExtraField, RuleMatching, RuleSelection, SelectionOp};
pub use sensor::{
    BaseSyscalls, Capture, CaptureMode, DriverBuffers, DropAction, EbpfEngine, Engine, EngineKind,
    FalcoLibs, GvisorEngine, LibsLogger, Metrics, ModernEbpfEngine, PluginConfig, ReplayEngine,
    SyscallEventDrops, SyscallEventTimeouts,
};

use check::check;
use de::{to_diagnostic, Ctx, De, DeError, UNKNOWN_KEY};
use falcoc_compiler::priority::Priority;
use falcoc_lang::Diagnostic;
use serde::{Deserialize, Deserializer};
use std::collections::BTreeMap;
use value::{Loc, Value};

/// Code of YAML syntax errors in a configuration file.
pub const YAML_PARSE: &str = "CONFIG_YAML_PARSE";
/// Code of invalid values and inconsistent settings.
pub const INVALID: &str = "CONFIG_INVALID";
/// Code of malformed `-o` options.
pub const OPTION: &str = "CONFIG_OPTION";
/// Code of deprecated or removed keys.
pub const DEPRECATED: &str = "CONFIG_DEPRECATED";
/// Code of unknown keys (re-exported from the decoder).
pub const UNKNOWN: &str = UNKNOWN_KEY;
/// Code of duplicate keys.
pub const DUPLICATE: &str = value::DUPLICATE_KEY;
/// Code of values Falco ignores (a mapping where a sequence is expected).
pub const IGNORED: &str = de::IGNORED_VALUE;

/// Decoding stops after this many errors.
pub const MAX_ERRORS: usize = 50;

/// The whole configuration. Field names are the `falco.yaml` keys; defaults are Falco
/// 0.42.1's code defaults (what `falco -c /dev/null` uses), see [`Config::default`].
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Config {
    /// `rules_files` (or the deprecated `rules_file`): files and directories to load.
    pub rules_files: Vec<String>,
    #[serde(rename = "rules_file")]
    rules_file_deprecated: Option<Vec<String>>,
    #[serde(rename = "rule_files")]
    rule_files_typo: Option<serde::de::IgnoredAny>,
    /// `json_output` (false).
    pub json_output: bool,
    /// `json_include_output_property` (true).
    pub json_include_output_property: bool,
    /// `json_include_message_property` (false).
    pub json_include_message_property: bool,
    /// `json_include_output_fields_property` (true).
    pub json_include_output_fields_property: bool,
    /// `json_include_tags_property` (true).
    pub json_include_tags_property: bool,
    /// `time_format_iso_8601` (false).
    pub time_format_iso_8601: bool,
    /// `buffer_format_base64` (false).
    pub buffer_format_base64: bool,
    /// `priority` (debug): the minimum rule priority loaded.
    #[serde(deserialize_with = "de_priority")]
    pub priority: Priority,
    /// `rule_matching` (first).
    pub rule_matching: RuleMatching,
    /// `buffered_outputs` (false).
    pub buffered_outputs: bool,
    /// `outputs_queue` (capacity 0 = unbounded).
    pub outputs_queue: OutputsQueue,
    /// `output_timeout` in milliseconds (2000).
    pub output_timeout: u32,
    /// `outputs.rate` / `outputs.max_burst` (removed in Falco 0.37; see [`OutputsRate`]).
    pub outputs: OutputsRate,
    /// `syscall_event_drops`.
    pub syscall_event_drops: SyscallEventDrops,
    /// `syscall_event_timeouts`.
    pub syscall_event_timeouts: SyscallEventTimeouts,
    /// `stdout_output` (disabled).
    pub stdout_output: Enabled,
    /// `syslog_output` (disabled).
    pub syslog_output: Enabled,
    /// `file_output`.
    pub file_output: FileOutput,
    /// `program_output`.
    pub program_output: ProgramOutput,
    /// `http_output`.
    pub http_output: HttpOutput,
    /// `grpc_output` (removed in Falco 0.44; parsed only; enabled by default but only
    /// used with `grpc.enabled`).
    pub grpc_output: Enabled,
    /// `grpc` (removed in Falco 0.44; parsed only).
    pub grpc: Grpc,
    /// `webserver` (parsed only).
    pub webserver: Webserver,
    /// `log_stderr` (false).
    pub log_stderr: bool,
    /// `log_syslog` (true).
    pub log_syslog: bool,
    /// `log_level` (info).
    #[serde(deserialize_with = "de_log_level")]
    pub log_level: Priority,
    /// `libs_logger`.
    pub libs_logger: LibsLogger,
    /// `engine`.
    pub engine: Engine,
    /// `capture`.
    pub capture: Capture,
    /// `load_plugins` ([]).
    pub load_plugins: Vec<String>,
    /// `plugins` ([]).
    pub plugins: Vec<PluginConfig>,
    /// `plugins_hostinfo` (true).
    pub plugins_hostinfo: bool,
    /// `base_syscalls`.
    pub base_syscalls: BaseSyscalls,
    /// `rules`: rule selection by name or tag, in order (rules-file.md §12).
    pub rules: Vec<RuleSelection>,
    /// `append_output` ([]; the shipped file has `[{suggested_output: true}]`).
    pub append_output: Vec<AppendOutput>,
    /// `static_fields` ({}).
    pub static_fields: BTreeMap<String, String>,
    /// `config_files` (parsed only: each a path or `{path, strategy}`).
    pub config_files: Vec<serde_json::Value>,
    /// `watch_config_files` (true).
    pub watch_config_files: bool,
    /// `metrics`.
    pub metrics: Metrics,
    /// `falco_libs`.
    pub falco_libs: FalcoLibs,
    /// `container_engines` (legacy, parsed only).
    pub container_engines: Option<serde_json::Value>,
    #[serde(skip)]
    doc: Option<Value>,
    #[serde(skip)]
    overrides: Vec<String>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            rules_files: Vec::new(),
            rules_file_deprecated: None,
            rule_files_typo: None,
            json_output: false,
            json_include_output_property: true,
            json_include_message_property: false,
            json_include_output_fields_property: true,
            json_include_tags_property: true,
            time_format_iso_8601: false,
            buffer_format_base64: false,
            priority: Priority::Debug,
            rule_matching: RuleMatching::First,
            buffered_outputs: false,
            outputs_queue: OutputsQueue::default(),
            output_timeout: 2000,
            outputs: OutputsRate::default(),
            syscall_event_drops: SyscallEventDrops::default(),
            syscall_event_timeouts: SyscallEventTimeouts::default(),
            stdout_output: Enabled::default(),
            syslog_output: Enabled::default(),
            file_output: FileOutput::default(),
            program_output: ProgramOutput::default(),
            http_output: HttpOutput::default(),
            grpc_output: Enabled { enabled: true },
            grpc: Grpc::default(),
            webserver: Webserver::default(),
            log_stderr: false,
            log_syslog: true,
            log_level: Priority::Informational,
            libs_logger: LibsLogger::default(),
            engine: Engine::default(),
            capture: Capture::default(),
            load_plugins: Vec::new(),
            plugins: Vec::new(),
            plugins_hostinfo: true,
            base_syscalls: BaseSyscalls::default(),
            rules: Vec::new(),
            append_output: Vec::new(),
            static_fields: BTreeMap::new(),
            config_files: Vec::new(),
            watch_config_files: true,
            metrics: Metrics::default(),
            falco_libs: FalcoLibs::default(),
            container_engines: None,
            doc: None,
            overrides: Vec::new(),
        }
    }
}

fn de_priority<'de, D: Deserializer<'de>>(d: D) -> Result<Priority, D::Error> {
    let s = String::deserialize(d)?;
    Priority::parse(&s).ok_or_else(|| {
        serde::de::Error::custom(format!(
            "Unknown priority \"{s}\"--must be one of emergency, alert, critical, error, \
             warning, notice, informational, debug"
        ))
    })
}

fn de_log_level<'de, D: Deserializer<'de>>(d: D) -> Result<Priority, D::Error> {
    let s = String::deserialize(d)?;
    Priority::parse(&s).ok_or_else(|| {
        serde::de::Error::custom(format!(
            "Unknown log level \"{s}\"--must be one of emergency, alert, critical, error, \
             warning, notice, info, debug"
        ))
    })
}

/// A lookup of environment variables for `${VAR}` expansion.
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Successful load: the configuration and its warnings.
pub type Loaded = (Config, Vec<Diagnostic>);

impl Config {
    /// Reads a `falco.yaml` text (`name` is only used in messages). Returns the
    /// configuration and its warnings, or every error (with the warnings). Labels point
    /// into file index 0. `${VAR}` references are **not** expanded; see
    /// [`Config::from_yaml_with_env`].
    pub fn from_yaml(name: &str, text: &str) -> Result<Loaded, Vec<Diagnostic>> {
        Config::load(name, text, None)
    }

    /// Like [`Config::from_yaml`], with Falco's substitution of `${VAR}` in every scalar
    /// (`env` returns the variable's value; unset variables are removed; `$${` stands for
    /// a literal `${`).
    pub fn from_yaml_with_env(
        name: &str,
        text: &str,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Loaded, Vec<Diagnostic>> {
        Config::load(name, text, Some(env))
    }

    fn load(name: &str, text: &str, env: Option<EnvLookup<'_>>) -> Result<Loaded, Vec<Diagnostic>> {
        let mut diags = Vec::new();
        let (docs, err) = falcoc_lang::rulefile::parse_yaml(text);
        if let Some(mut e) = err {
            e.code = YAML_PARSE;
            return Err(vec![e]);
        }
        let mut doc = match docs.into_iter().next() {
            None => Value::empty_map(Loc::File(falcoc_lang::Span::new(0, 0))),
            Some(node) => {
                let v = Value::from_node(&node, &mut diags);
                match v {
                    Value::Null(l) => Value::empty_map(l),
                    Value::Map { .. } => v,
                    other => {
                        let loc = other.loc();
                        diags.push(to_diagnostic(
                            INVALID,
                            true,
                            format!(
                                "{name}: a configuration file must be a mapping of keys, found a {}",
                                other.kind_name()
                            ),
                            Some(loc),
                            &[],
                        ));
                        return Err(diags);
                    }
                }
            }
        };
        if let Some(env) = env {
            doc.expand_env(env);
        }
        if diags.iter().any(Diagnostic::is_error) {
            return Err(diags);
        }
        let result = decode(doc, Vec::new(), name);
        let ok = result.is_ok();
        let (config, mut more) = match result {
            Ok((c, w)) => (Some(c), w),
            Err(e) => (None, e),
        };
        diags.append(&mut more);
        sort_by_position(&mut diags);
        match config {
            Some(c) if ok => Ok((c, diags)),
            _ => Err(diags),
        }
    }

    /// Applies one `-o key=value` option (see the module docs) and decodes the document
    /// again. On success returns the diagnostics that concern the option (warnings); on
    /// error the configuration is unchanged.
    pub fn apply_override(&mut self, option: &str) -> Result<Vec<Diagnostic>, Vec<Diagnostic>> {
        let option_error = |msg: String| {
            vec![Diagnostic::error(
                OPTION,
                format!("Error parsing config option \"{option}\": {msg}"),
            )]
        };
        let Some((key, val)) = option.split_once('=') else {
            return Err(option_error(
                "Must be of the form key=val or key.subkey=val".into(),
            ));
        };
        let steps = value::parse_option_key(key)
            .map_err(|e| option_error(format!("Config error at key \"{key}\": {e}")))?;
        let index = self.overrides.len();
        let loc = Loc::Override(index);
        let new_value = if val.starts_with('{') && val.ends_with('}') {
            let (docs, err) = falcoc_lang::rulefile::parse_yaml(val);
            if let Some(e) = err {
                return Err(option_error(format!("invalid YAML value: {}", e.message)));
            }
            let mut d = Vec::new();
            let v = docs
                .first()
                .map_or(Value::Null(loc), |n| Value::from_node(n, &mut d));
            v.relocated(loc)
        } else {
            Value::Scalar {
                text: val.to_string(),
                plain: true,
                loc,
            }
        };
        let mut doc = self
            .doc
            .clone()
            .unwrap_or_else(|| Value::empty_map(Loc::Override(index)));
        value::set_at(&mut doc, &steps, new_value)
            .map_err(|e| option_error(format!("Config error at key \"{key}\": {e}")))?;
        let mut overrides = self.overrides.clone();
        overrides.push(option.to_string());
        let (config, warnings) = decode(doc, overrides, "command line")?;
        *self = config;
        let option_note = format!("set by the option `-o {option}`");
        Ok(warnings
            .into_iter()
            .filter(|d| d.notes.contains(&option_note))
            .collect())
    }

    /// The `-o` options applied so far, in order.
    pub fn overrides(&self) -> &[String] {
        &self.overrides
    }

    /// The effective `stdout_output.enabled`, … : the names of the enabled channels in
    /// Falco's order (file, stdout, syslog, program, http).
    pub fn enabled_outputs(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        if self.file_output.enabled {
            v.push("file");
        }
        if self.stdout_output.enabled {
            v.push("stdout");
        }
        if self.syslog_output.enabled {
            v.push("syslog");
        }
        if self.program_output.enabled {
            v.push("program");
        }
        if self.http_output.enabled {
            v.push("http");
        }
        v
    }
}

/// Sorts diagnostics by the position of their primary label (unlocated ones last),
/// keeping the order of those at the same place.
fn sort_by_position(diags: &mut [Diagnostic]) {
    diags.sort_by_key(|d| d.primary.as_ref().map_or(u32::MAX, |l| l.span.start));
}

/// Decodes a document: serde pass(es), then Falco's semantic checks.
fn decode(doc: Value, overrides: Vec<String>, name: &str) -> Result<Loaded, Vec<Diagnostic>> {
    let mut work = doc.clone();
    let mut errors: Vec<DeError> = Vec::new();
    let (config, ctx) = loop {
        let ctx = Ctx::default();
        let result = Config::deserialize(De {
            v: &work,
            ctx: &ctx,
            path: Vec::new(),
        });
        match result {
            Ok(c) => break (Some(c), ctx),
            Err(e) => {
                let removed = match &e.path {
                    Some(p) if !p.is_empty() => work.remove_at(p),
                    _ => false,
                };
                errors.push(e);
                if !removed || errors.len() >= MAX_ERRORS {
                    break (None, ctx);
                }
            }
        }
    };
    let mut diags: Vec<Diagnostic> = errors
        .iter()
        .map(|e| to_diagnostic(INVALID, true, e.message(), e.loc, &overrides))
        .collect();
    for w in ctx.warnings.into_inner() {
        let message = if w.code == UNKNOWN_KEY {
            w.message
        } else {
            format!("{}: {}", value::path_to_string(&w.path), w.message)
        };
        diags.push(to_diagnostic(
            w.code,
            false,
            message,
            Some(w.loc),
            &overrides,
        ));
    }
    let Some(mut config) = config else {
        return Err(diags);
    };
    check(&mut config, &work, &overrides, name, &mut diags);
    if diags.iter().any(Diagnostic::is_error) {
        return Err(diags);
    }
    config.doc = Some(doc);
    config.overrides = overrides;
    Ok((config, diags))
}

/// Code of Falco's informational configuration warnings (e.g. an `append_output` entry
/// with both a rule and tags).
pub const INVALID_WARNING: &str = "CONFIG_WARNING";
