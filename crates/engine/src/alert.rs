//! The alert data handed to the outputs: what a matched rule (or the drop monitor)
//! produced, already rendered, ready to be formatted as Falco's text line or JSON object.

use falcoc_compiler::priority::Priority;
use serde_json::Value;

/// The event source of internal alerts (outputs.md §5).
pub const INTERNAL_SOURCE: &str = "internal";

/// The rule name of the drop monitor's internal alert (outputs.md §5).
pub const SYSCALL_EVENT_DROP_RULE: &str = "Falco internal: syscall event drop";

/// One alert, ready for formatting.
///
/// The rendering of a rule's `output` format from event fields happens before: here
/// `message` is the rendered rule output (without the `time: Priority` prefix) and
/// `output_fields` the typed values of its field tokens (plus `append_output` extra
/// fields). The formatter adds the prefix time field (`evt.time` or `evt.time.iso8601`,
/// the integer `time_ns`) itself, so it should not be in `output_fields` (if it is, the
/// formatter's value wins, as in Falco).
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// The rule name.
    pub rule: String,
    /// The rule's priority.
    pub priority: Priority,
    /// The event time, nanoseconds since the Unix epoch.
    pub time_ns: u64,
    /// The rendered rule output (Falco's JSON `message`).
    pub message: String,
    /// The output fields in any order: key (field name with argument as written, e.g.
    /// `proc.aname[2]`) and typed JSON value (`null` for a missing value). The JSON
    /// formatter sorts them by key; for a repeated key the last value wins.
    pub output_fields: Vec<(String, Value)>,
    /// The rule's tags (the formatter sorts and de-duplicates them).
    pub tags: Vec<String>,
    /// The event source (`syscall`, `k8s_audit`, …; [`INTERNAL_SOURCE`] for internal
    /// alerts).
    pub source: String,
    /// The host name (`FALCO_HOSTNAME` or the machine's name).
    pub hostname: String,
}

impl Alert {
    /// True for Falco's internal alerts (source `internal`, outputs.md §5), which are
    /// formatted differently.
    pub fn is_internal(&self) -> bool {
        self.source == INTERNAL_SOURCE
    }

    /// The drop monitor's alert (outputs.md §5): rule [`SYSCALL_EVENT_DROP_RULE`],
    /// priority Debug, source `internal`, message `Falco internal: syscall event drop.
    /// <n_drops> system calls dropped in last second.`, every counter as a **string**
    /// field. `counters` are `(name, value)` pairs such as `("n_evts", 1000)`;
    /// `n_drops` must be one of them for the message (0 otherwise).
    pub fn syscall_event_drop(
        time_ns: u64,
        hostname: impl Into<String>,
        counters: &[(&str, u64)],
        ebpf_enabled: bool,
    ) -> Alert {
        let n_drops = counters
            .iter()
            .find(|(k, _)| *k == "n_drops")
            .map_or(0, |(_, v)| *v);
        let mut output_fields: Vec<(String, Value)> = counters
            .iter()
            .map(|(k, v)| ((*k).to_string(), Value::String(v.to_string())))
            .collect();
        output_fields.push((
            "ebpf_enabled".to_string(),
            Value::String(if ebpf_enabled { "1" } else { "0" }.to_string()),
        ));
        Alert {
            rule: SYSCALL_EVENT_DROP_RULE.to_string(),
            priority: Priority::Debug,
            time_ns,
            message: format!(
                "Falco internal: syscall event drop. {n_drops} system calls dropped in last second."
            ),
            output_fields,
            tags: Vec::new(),
            source: INTERNAL_SOURCE.to_string(),
            hostname: hostname.into(),
        }
    }
}

/// The host name Falco puts in alerts: `FALCO_HOSTNAME` if set, else the machine's host
/// name (`/proc/sys/kernel/hostname`, then `/etc/hostname`), else `"unknown"`.
pub fn hostname_from_env() -> String {
    if let Ok(h) = std::env::var("FALCO_HOSTNAME") {
        return h;
    }
    for path in ["/proc/sys/kernel/hostname", "/etc/hostname"] {
        if let Ok(s) = std::fs::read_to_string(path) {
            let s = s.trim();
            if !s.is_empty() {
                return s.to_string();
            }
        }
    }
    "unknown".to_string()
}
