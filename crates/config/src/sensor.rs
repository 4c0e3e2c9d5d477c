//! The event source settings: `engine` (kind and driver buffers), `capture`,
//! `syscall_event_drops`, `syscall_event_timeouts`, `base_syscalls`, `falco_libs`,
//! `plugins`, and the libs logger and metrics.

use super::*;

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
