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

#![warn(missing_docs)]

mod de;
mod value;

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

/// `rule_matching`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RuleMatching {
    /// `first`: only the first matching rule (in load order) alerts.
    #[default]
    First,
    /// `all`: every matching rule alerts.
    All,
}

impl<'de> Deserialize<'de> for RuleMatching {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        match s.as_str() {
            "first" => Ok(RuleMatching::First),
            "all" => Ok(RuleMatching::All),
            _ => Err(serde::de::Error::custom(format!(
                "Unknown rule matching strategy \"{s}\"--must be one of first, all"
            ))),
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

/// `outputs_queue`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct OutputsQueue {
    /// `capacity` (0 = unbounded in Falco; falcoc bounds each channel's queue, see
    /// `outputs`).
    pub capacity: u64,
}

/// `outputs.rate` / `outputs.max_burst`: the alert token bucket of Falco 0.26–0.36
/// (outputs.md §7), removed in 0.37. Falco 0.33–0.36 defaults, `rate: 0` = disabled;
/// falcoc applies the bucket when `rate > 0` (and warns that Falco ≥ 0.37 ignores it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct OutputsRate {
    /// Tokens per second (0: no rate limiting).
    pub rate: u32,
    /// Bucket size (1000).
    pub max_burst: u32,
}

impl Default for OutputsRate {
    fn default() -> OutputsRate {
        OutputsRate {
            rate: 0,
            max_burst: 1000,
        }
    }
}

/// One action of `syscall_event_drops.actions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DropAction {
    /// `ignore`.
    Ignore,
    /// `log`: a DEBUG log message.
    Log,
    /// `alert`: the internal alert of outputs.md §5.
    Alert,
    /// `exit`: Falco stops.
    Exit,
}

impl<'de> Deserialize<'de> for DropAction {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        match s.as_str() {
            "ignore" => Ok(DropAction::Ignore),
            "log" => Ok(DropAction::Log),
            "alert" => Ok(DropAction::Alert),
            "exit" => Ok(DropAction::Exit),
            _ => Err(serde::de::Error::custom(
                "available actions for syscall event drops are \"ignore\", \"log\", \"alert\", and \"exit\"",
            )),
        }
    }
}

/// `syscall_event_drops` (outputs.md §8).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default)]
pub struct SyscallEventDrops {
    /// `actions` as written ([]: see [`SyscallEventDrops::effective_actions`]).
    pub actions: Vec<DropAction>,
    /// `threshold` (0.1), in [0, 1].
    pub threshold: f64,
    /// `rate` (0.03333 tokens/s).
    pub rate: f64,
    /// `max_burst` (1).
    pub max_burst: f64,
    /// `simulate_drops` (false).
    pub simulate_drops: bool,
}

impl Default for SyscallEventDrops {
    fn default() -> SyscallEventDrops {
        SyscallEventDrops {
            actions: Vec::new(),
            threshold: 0.1,
            rate: 0.03333,
            max_burst: 1.0,
            simulate_drops: false,
        }
    }
}

impl SyscallEventDrops {
    /// The actions as a set in Falco's fixed order (ignore, log, alert, exit); empty ⇒
    /// `[ignore]`.
    pub fn effective_actions(&self) -> Vec<DropAction> {
        let mut a = self.actions.clone();
        a.sort();
        a.dedup();
        if a.is_empty() {
            a.push(DropAction::Ignore);
        }
        a
    }
}

/// `syscall_event_timeouts`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct SyscallEventTimeouts {
    /// `max_consecutives` (1000, > 0).
    pub max_consecutives: u32,
}

impl Default for SyscallEventTimeouts {
    fn default() -> SyscallEventTimeouts {
        SyscallEventTimeouts {
            max_consecutives: 1000,
        }
    }
}

/// A section with only `enabled` (`stdout_output`, `syslog_output`, `grpc_output`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct Enabled {
    /// `enabled`.
    pub enabled: bool,
}

/// `file_output`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct FileOutput {
    /// `enabled` (false).
    pub enabled: bool,
    /// `keep_alive` (false: the file is opened and closed for every alert).
    pub keep_alive: bool,
    /// `filename` (required when enabled).
    pub filename: String,
}

/// `program_output`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct ProgramOutput {
    /// `enabled` (false).
    pub enabled: bool,
    /// `keep_alive` (false: one process per alert).
    pub keep_alive: bool,
    /// `program` (required when enabled), run with `sh -c`.
    pub program: String,
}

/// `http_output`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct HttpOutput {
    /// `enabled` (false).
    pub enabled: bool,
    /// `url` (required when enabled).
    pub url: String,
    /// `user_agent` (`falcosecurity/falco`).
    pub user_agent: String,
    /// `insecure` (false).
    pub insecure: bool,
    /// `ca_cert` ("").
    pub ca_cert: String,
    /// `ca_bundle` ("").
    pub ca_bundle: String,
    /// `ca_path` (`/etc/ssl/certs`).
    pub ca_path: String,
    /// `mtls` (false).
    pub mtls: bool,
    /// `client_cert` (`/etc/ssl/certs/client.crt`).
    pub client_cert: String,
    /// `client_key` (`/etc/ssl/certs/client.key`).
    pub client_key: String,
    /// `echo` (false): print response bodies to stdout.
    pub echo: bool,
    /// `compress_uploads` (false).
    pub compress_uploads: bool,
    /// `keep_alive` (false): TCP keep-alive.
    pub keep_alive: bool,
    /// `max_consecutive_timeouts` (5): retries after a timeout.
    pub max_consecutive_timeouts: u8,
}

impl Default for HttpOutput {
    fn default() -> HttpOutput {
        HttpOutput {
            enabled: false,
            url: String::new(),
            user_agent: "falcosecurity/falco".into(),
            insecure: false,
            ca_cert: String::new(),
            ca_bundle: String::new(),
            ca_path: "/etc/ssl/certs".into(),
            mtls: false,
            client_cert: "/etc/ssl/certs/client.crt".into(),
            client_key: "/etc/ssl/certs/client.key".into(),
            echo: false,
            compress_uploads: false,
            keep_alive: false,
            max_consecutive_timeouts: 5,
        }
    }
}

/// `grpc` (Falco ≤ 0.43).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Grpc {
    /// `enabled` (false).
    pub enabled: bool,
    /// `bind_address` (`0.0.0.0:5060` in code, `unix:///run/falco/falco.sock` shipped).
    pub bind_address: String,
    /// `threadiness` (0 = number of CPUs).
    pub threadiness: u32,
    /// `private_key`.
    pub private_key: String,
    /// `cert_chain`.
    pub cert_chain: String,
    /// `root_certs`.
    pub root_certs: String,
}

impl Default for Grpc {
    fn default() -> Grpc {
        Grpc {
            enabled: false,
            bind_address: "0.0.0.0:5060".into(),
            threadiness: 0,
            private_key: "/etc/falco/certs/server.key".into(),
            cert_chain: "/etc/falco/certs/server.crt".into(),
            root_certs: "/etc/falco/certs/ca.crt".into(),
        }
    }
}

/// `webserver` (parsed only).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Webserver {
    /// `enabled` (false).
    pub enabled: bool,
    /// `threadiness` (0 = number of CPUs).
    pub threadiness: u32,
    /// `listen_port` (8765).
    pub listen_port: u32,
    /// `listen_address` (`0.0.0.0`; must be an IP address).
    pub listen_address: String,
    /// `k8s_healthz_endpoint` (`/healthz`).
    pub k8s_healthz_endpoint: String,
    /// `k8s_audit_endpoint` (`/k8s-audit`; Falco ≤ 0.31 only).
    pub k8s_audit_endpoint: String,
    /// `ssl_enabled` (false).
    pub ssl_enabled: bool,
    /// `ssl_certificate` (`/etc/falco/falco.pem`).
    pub ssl_certificate: String,
    /// `prometheus_metrics_enabled` (false).
    pub prometheus_metrics_enabled: bool,
}

impl Default for Webserver {
    fn default() -> Webserver {
        Webserver {
            enabled: false,
            threadiness: 0,
            listen_port: 8765,
            listen_address: "0.0.0.0".into(),
            k8s_healthz_endpoint: "/healthz".into(),
            k8s_audit_endpoint: "/k8s-audit".into(),
            ssl_enabled: false,
            ssl_certificate: "/etc/falco/falco.pem".into(),
            prometheus_metrics_enabled: false,
        }
    }
}

/// `libs_logger`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct LibsLogger {
    /// `enabled` (true).
    pub enabled: bool,
    /// `severity` (info).
    #[serde(deserialize_with = "de_log_level")]
    pub severity: Priority,
}

impl Default for LibsLogger {
    fn default() -> LibsLogger {
        LibsLogger {
            enabled: true,
            severity: Priority::Informational,
        }
    }
}

/// `engine.kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EngineKind {
    /// `kmod` (the code default).
    #[default]
    Kmod,
    /// `ebpf`.
    Ebpf,
    /// `modern_ebpf` (the shipped default since 0.38).
    ModernEbpf,
    /// `replay` (`engine.replay.capture_file`).
    Replay,
    /// `gvisor`.
    Gvisor,
    /// `nodriver`.
    Nodriver,
}

impl<'de> Deserialize<'de> for EngineKind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(match s.as_str() {
            "kmod" => EngineKind::Kmod,
            "ebpf" => EngineKind::Ebpf,
            "modern_ebpf" => EngineKind::ModernEbpf,
            "replay" => EngineKind::Replay,
            "gvisor" => EngineKind::Gvisor,
            "nodriver" => EngineKind::Nodriver,
            _ => {
                return Err(serde::de::Error::custom(format!(
                    "engine.kind '{s}' is not a valid kind."
                )))
            }
        })
    }
}

/// `engine`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct Engine {
    /// `kind` (kmod).
    pub kind: EngineKind,
    /// `kmod`.
    pub kmod: DriverBuffers,
    /// `ebpf`.
    pub ebpf: EbpfEngine,
    /// `modern_ebpf`.
    pub modern_ebpf: ModernEbpfEngine,
    /// `replay`.
    pub replay: ReplayEngine,
    /// `gvisor`.
    pub gvisor: GvisorEngine,
}

/// `engine.kmod`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct DriverBuffers {
    /// `buf_size_preset` (4).
    pub buf_size_preset: i16,
    /// `drop_failed_exit` (false).
    pub drop_failed_exit: bool,
}

impl Default for DriverBuffers {
    fn default() -> DriverBuffers {
        DriverBuffers {
            buf_size_preset: 4,
            drop_failed_exit: false,
        }
    }
}

/// `engine.ebpf`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct EbpfEngine {
    /// `probe` (`${HOME}/.falco/falco-bpf.o`).
    pub probe: String,
    /// `buf_size_preset` (4).
    pub buf_size_preset: i16,
    /// `drop_failed_exit` (false).
    pub drop_failed_exit: bool,
}

impl Default for EbpfEngine {
    fn default() -> EbpfEngine {
        EbpfEngine {
            probe: "${HOME}/.falco/falco-bpf.o".into(),
            buf_size_preset: 4,
            drop_failed_exit: false,
        }
    }
}

/// `engine.modern_ebpf`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct ModernEbpfEngine {
    /// `cpus_for_each_buffer` (2).
    pub cpus_for_each_buffer: u16,
    /// `buf_size_preset` (4).
    pub buf_size_preset: i16,
    /// `drop_failed_exit` (false).
    pub drop_failed_exit: bool,
    /// `disable_iterators` (false; Falco master).
    pub disable_iterators: bool,
}

impl Default for ModernEbpfEngine {
    fn default() -> ModernEbpfEngine {
        ModernEbpfEngine {
            cpus_for_each_buffer: 2,
            buf_size_preset: 4,
            drop_failed_exit: false,
            disable_iterators: false,
        }
    }
}

/// `engine.replay`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct ReplayEngine {
    /// `capture_file` (required with `kind: replay`).
    pub capture_file: String,
}

/// `engine.gvisor`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct GvisorEngine {
    /// `config` (required with `kind: gvisor`).
    pub config: String,
    /// `root`.
    pub root: String,
}

/// `capture.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CaptureMode {
    /// `rules`: capture for rules with `capture: true`.
    #[default]
    Rules,
    /// `all_rules`.
    AllRules,
}

impl<'de> Deserialize<'de> for CaptureMode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        match s.as_str() {
            "rules" => Ok(CaptureMode::Rules),
            "all_rules" => Ok(CaptureMode::AllRules),
            _ => Err(serde::de::Error::custom(format!(
                "capture.mode '{s}' is not a valid mode."
            ))),
        }
    }
}

/// `capture`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Capture {
    /// `enabled` (false).
    pub enabled: bool,
    /// `path_prefix` (`/tmp/falco`).
    pub path_prefix: String,
    /// `mode` (rules).
    pub mode: CaptureMode,
    /// `default_duration` in ms (5000).
    pub default_duration: u32,
}

impl Default for Capture {
    fn default() -> Capture {
        Capture {
            enabled: false,
            path_prefix: "/tmp/falco".into(),
            mode: CaptureMode::Rules,
            default_duration: 5000,
        }
    }
}

/// One entry of `plugins`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default)]
pub struct PluginConfig {
    /// `name` (required).
    pub name: String,
    /// `library_path` (required; relative paths are under Falco's plugin directory).
    pub library_path: String,
    /// `init_config`: a string, or a mapping Falco turns into a JSON string.
    pub init_config: Option<serde_json::Value>,
    /// `open_params`.
    pub open_params: Option<String>,
}

/// `base_syscalls`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct BaseSyscalls {
    /// `custom_set` ([]).
    pub custom_set: Vec<String>,
    /// `repair` (false).
    pub repair: bool,
    /// `all` (false).
    pub all: bool,
}

/// Whether a rule selection enables or disables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelectionOp {
    /// `- enable: ...`
    Enable,
    /// `- disable: ...`
    Disable,
}

/// One entry of `rules`: `- enable: {rule: NAME}` / `- disable: {tag: TAG}` (names may
/// use `*` wildcards; rules-file.md §12).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "RawSelection")]
pub struct RuleSelection {
    /// Enable or disable.
    pub op: SelectionOp,
    /// `rule` pattern, if given.
    pub rule: Option<String>,
    /// `tag` pattern, if given.
    pub tag: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawSelection {
    enable: Option<Able>,
    disable: Option<Able>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Able {
    rule: Option<String>,
    tag: Option<String>,
}

impl TryFrom<RawSelection> for RuleSelection {
    type Error = String;

    fn try_from(raw: RawSelection) -> Result<RuleSelection, String> {
        // Falco reads `enable` first.
        let (op, able) = match (raw.enable, raw.disable) {
            (Some(a), _) => (SelectionOp::Enable, a),
            (None, Some(a)) => (SelectionOp::Disable, a),
            (None, None) => {
                return Err(
                    "a rule selection needs `enable:` or `disable:` with a `rule` or a `tag`"
                        .into(),
                )
            }
        };
        let rule = able.rule.filter(|s| !s.is_empty());
        let tag = able.tag.filter(|s| !s.is_empty());
        if rule.is_none() && tag.is_none() {
            return Err("a rule selection needs a non-empty `rule` or `tag`".into());
        }
        Ok(RuleSelection { op, rule, tag })
    }
}

/// `append_output[].match`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct AppendMatch {
    /// `source` (empty: all).
    pub source: Option<String>,
    /// `tags`: all must be on the rule.
    pub tags: Vec<String>,
    /// `rule` (empty: all).
    pub rule: Option<String>,
}

/// One entry of `append_output[].extra_fields`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExtraField {
    /// A plain field name (`proc.pid`): the typed value under that key.
    Raw(String),
    /// `{key: "<format>"}`: the rendered format string under `key`.
    Formatted {
        /// The output field key.
        key: String,
        /// The format.
        format: String,
    },
}

impl<'de> Deserialize<'de> for ExtraField {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        match v {
            serde_json::Value::String(s) => Ok(ExtraField::Raw(s)),
            serde_json::Value::Number(n) => Ok(ExtraField::Raw(n.to_string())),
            serde_json::Value::Object(m) if m.len() == 1 => {
                let (k, v) = m
                    .into_iter()
                    .next()
                    .ok_or_else(|| serde::de::Error::custom("an extra field must have one key"))?;
                let format = match v {
                    serde_json::Value::String(s) => s,
                    other => other.to_string(),
                };
                Ok(ExtraField::Formatted { key: k, format })
            }
            _ => Err(serde::de::Error::custom(
                "an extra field is a field name or a one-entry mapping `{key: \"<format>\"}`",
            )),
        }
    }
}

impl ExtraField {
    /// The output field key.
    pub fn key(&self) -> &str {
        match self {
            ExtraField::Raw(k) => k,
            ExtraField::Formatted { key, .. } => key,
        }
    }
}

/// One entry of `append_output` (outputs.md §9, §10).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct AppendOutput {
    /// `match`.
    #[serde(rename = "match")]
    pub match_: AppendMatch,
    /// `extra_output`: appended to matching outputs with a space.
    pub extra_output: Option<String>,
    /// `extra_fields`: added to `output_fields` only.
    pub extra_fields: Vec<ExtraField>,
    /// `suggested_output` (false): add the fields plugins suggest.
    pub suggested_output: bool,
}

/// `metrics` (parsed only).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Metrics {
    /// `enabled` (false).
    pub enabled: bool,
    /// `interval` (`5000` ms in code; Prometheus-style durations like `1h`).
    pub interval: String,
    /// `output_rule` (false).
    pub output_rule: bool,
    /// `output_file` ("").
    pub output_file: String,
    /// `rules_counters_enabled` (true).
    pub rules_counters_enabled: bool,
    /// `resource_utilization_enabled` (true).
    pub resource_utilization_enabled: bool,
    /// `state_counters_enabled` (true).
    pub state_counters_enabled: bool,
    /// `kernel_event_counters_enabled` (true).
    pub kernel_event_counters_enabled: bool,
    /// `kernel_event_counters_per_cpu_enabled` (true).
    pub kernel_event_counters_per_cpu_enabled: bool,
    /// `kernel_iter_event_counters_enabled` (true; Falco master).
    pub kernel_iter_event_counters_enabled: bool,
    /// `libbpf_stats_enabled` (true).
    pub libbpf_stats_enabled: bool,
    /// `plugins_metrics_enabled` (true).
    pub plugins_metrics_enabled: bool,
    /// `jemalloc_stats_enabled` (true).
    pub jemalloc_stats_enabled: bool,
    /// `convert_memory_to_mb` (true).
    pub convert_memory_to_mb: bool,
    /// `include_empty_values` (false).
    pub include_empty_values: bool,
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics {
            enabled: false,
            interval: "5000".into(),
            output_rule: false,
            output_file: String::new(),
            rules_counters_enabled: true,
            resource_utilization_enabled: true,
            state_counters_enabled: true,
            kernel_event_counters_enabled: true,
            kernel_event_counters_per_cpu_enabled: true,
            kernel_iter_event_counters_enabled: true,
            libbpf_stats_enabled: true,
            plugins_metrics_enabled: true,
            jemalloc_stats_enabled: true,
            convert_memory_to_mb: true,
            include_empty_values: false,
        }
    }
}

/// `falco_libs`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct FalcoLibs {
    /// `thread_table_size` (262144).
    pub thread_table_size: u32,
    /// `thread_table_auto_purging_interval_s` (300).
    pub thread_table_auto_purging_interval_s: u32,
    /// `thread_table_auto_purging_thread_timeout_s` (300).
    pub thread_table_auto_purging_thread_timeout_s: u32,
    /// `snaplen` (0 = the libs' default, 80 bytes).
    pub snaplen: u64,
}

impl Default for FalcoLibs {
    fn default() -> FalcoLibs {
        FalcoLibs {
            thread_table_size: 262_144,
            thread_table_auto_purging_interval_s: 300,
            thread_table_auto_purging_thread_timeout_s: 300,
            snaplen: 0,
        }
    }
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

/// Falco's checks after reading (configuration.cpp `load_yaml`), and deprecation warnings.
fn check(
    config: &mut Config,
    doc: &Value,
    overrides: &[String],
    name: &str,
    diags: &mut Vec<Diagnostic>,
) {
    let key_loc = |path: &str| doc.entry_path(path).map(|e| e.key_loc);
    let val_loc = |path: &str| doc.get_path(path).map(Value::loc);
    let mut error = |msg: String, loc: Option<Loc>| {
        diags.push(to_diagnostic(INVALID, true, msg, loc, overrides));
    };
    let file_error = |what: &str| format!("Error reading config file ({name}): {what}");
    let mut later = Vec::new();

    // rules_file / rules_files.
    if let Some(old) = config.rules_file_deprecated.take() {
        if doc.entry("rules_files").is_some() {
            error(
                file_error("both 'rules_files' and 'rules_file' keys set"),
                key_loc("rules_file"),
            );
        } else {
            config.rules_files = old;
        }
    }

    if config.file_output.enabled && config.file_output.filename.is_empty() {
        error(
            file_error("file output enabled but no filename in configuration block"),
            key_loc("file_output.enabled"),
        );
    }
    if config.program_output.enabled && config.program_output.program.is_empty() {
        error(
            file_error("program output enabled but no program in configuration block"),
            key_loc("program_output.enabled"),
        );
    }
    if config.http_output.enabled && config.http_output.url.is_empty() {
        error(
            file_error("http output enabled but no url in configuration block"),
            key_loc("http_output.enabled"),
        );
    }
    let acts = &config.syscall_event_drops.actions;
    if acts.contains(&DropAction::Ignore) {
        for bad in [DropAction::Log, DropAction::Alert] {
            if acts.contains(&bad) {
                let n = if bad == DropAction::Log {
                    "log"
                } else {
                    "alert"
                };
                error(
                    file_error(&format!(
                        "syscall event drop action \"{n}\" does not make sense with the \"ignore\" action"
                    )),
                    val_loc("syscall_event_drops.actions"),
                );
            }
        }
    }
    let t = config.syscall_event_drops.threshold;
    if !(0.0..=1.0).contains(&t) {
        error(
            file_error("syscall event drops threshold must be a double in the range [0, 1]"),
            val_loc("syscall_event_drops.threshold"),
        );
    }
    if config.syscall_event_timeouts.max_consecutives == 0 {
        error(
            file_error(
                "the maximum consecutive timeouts without an event must be an unsigned integer > 0",
            ),
            val_loc("syscall_event_timeouts.max_consecutives"),
        );
    }
    if config
        .webserver
        .listen_address
        .parse::<std::net::IpAddr>()
        .is_err()
    {
        error(
            file_error(&format!(
                "webserver listen address \"{}\" is not a valid IP address",
                config.webserver.listen_address
            )),
            val_loc("webserver.listen_address"),
        );
    }
    match config.engine.kind {
        EngineKind::Replay if config.engine.replay.capture_file.is_empty() => error(
            file_error("engine.kind is 'replay' but no engine.replay.capture_file specified."),
            val_loc("engine.kind"),
        ),
        EngineKind::Gvisor if config.engine.gvisor.config.is_empty() => error(
            file_error("engine.kind is 'gvisor' but no engine.gvisor.config specified."),
            val_loc("engine.kind"),
        ),
        _ => {}
    }
    for (i, p) in config.plugins.iter().enumerate() {
        let loc = doc.get_path("plugins").and_then(|v| match v {
            Value::Seq { items, .. } => items.get(i).map(Value::loc),
            _ => None,
        });
        if p.name.is_empty() || p.library_path.is_empty() {
            error(
                file_error(
                    "could not load plugins config: a plugin needs a `name` and a `library_path`",
                ),
                loc,
            );
        }
    }
    for (i, a) in config.append_output.iter().enumerate() {
        let loc = doc.get_path("append_output").and_then(|v| match v {
            Value::Seq { items, .. } => items.get(i).map(Value::loc),
            _ => None,
        });
        let mut seen: Vec<&str> = Vec::new();
        for f in &a.extra_fields {
            if seen.contains(&f.key()) {
                error(
                    format!(
                        "append_output[{i}].extra_fields: the key `{}` is defined twice",
                        f.key()
                    ),
                    loc,
                );
            }
            seen.push(f.key());
        }
        if a.match_.rule.as_deref().is_some_and(|r| !r.is_empty()) && !a.match_.tags.is_empty() {
            later.push(to_diagnostic(
                INVALID_WARNING,
                false,
                format!(
                    "An append_output entry specifies both a rule ({}) and a list of tags ({}). \
                     This means that output will be appended only to the {} rule and only if it \
                     has all the tags: {}.",
                    a.match_.rule.as_deref().unwrap_or_default(),
                    a.match_.tags.join(", "),
                    a.match_.rule.as_deref().unwrap_or_default(),
                    a.match_.tags.join(", ")
                ),
                loc,
                overrides,
            ));
        }
    }

    if config.http_output.enabled && !config.json_output {
        later.push(to_diagnostic(
            INVALID_WARNING,
            false,
            "http_output posts text/plain bodies because json_output is false; falcosidekick \
             and most webhooks expect JSON alerts (json_output: true)"
                .to_string(),
            key_loc("http_output.enabled"),
            overrides,
        ));
    }
    if config.program_output.enabled
        && !config.json_output
        && config.program_output.program.contains("jq ")
    {
        later.push(to_diagnostic(
            INVALID_WARNING,
            false,
            "program_output pipes text alert lines into `jq`, which expects JSON \
             (json_output is false)"
                .to_string(),
            val_loc("program_output.program"),
            overrides,
        ));
    }
    diags.append(&mut later);

    // Warnings.
    let mut warn = |msg: &str, loc: Option<Loc>| {
        diags.push(to_diagnostic(
            DEPRECATED,
            false,
            msg.to_string(),
            loc,
            overrides,
        ));
    };
    if doc.entry("rules_file").is_some() && doc.entry("rules_files").is_none() {
        warn(
            "Using deprecated config key 'rules_file' (singular form). Please use new 'rules_files' config key (plural form).",
            key_loc("rules_file"),
        );
    }
    if doc.entry("rule_files").is_some() {
        warn(
            "`rule_files` is not read by Falco (did you mean `rules_files`?)",
            key_loc("rule_files"),
        );
    }
    if doc.entry("outputs").is_some() {
        warn(
            "'outputs.rate' and 'outputs.max_burst' were removed in Falco 0.37 (Falco ignores them); falcoc applies the rate limit as Falco 0.33-0.36 did when rate > 0",
            key_loc("outputs"),
        );
    }
    if doc.entry_path("webserver.k8s_audit_endpoint").is_some() {
        warn(
            "'webserver.k8s_audit_endpoint' is only used by Falco <= 0.31 (later: the k8saudit plugin's open_params)",
            key_loc("webserver.k8s_audit_endpoint"),
        );
    }
    if config.grpc.enabled {
        warn(
            "the gRPC output was removed in Falco 0.44; falcoc parses but does not serve it",
            key_loc("grpc.enabled"),
        );
    }
}

/// Code of Falco's informational configuration warnings (e.g. an `append_output` entry
/// with both a rule and tags).
pub const INVALID_WARNING: &str = "CONFIG_WARNING";
