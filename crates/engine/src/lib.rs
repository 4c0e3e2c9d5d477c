//! The embeddable rule engine: compiled rules in, alerts out, for any event source.
//!
//! The crate holds what every event source shares: the condition [`vm`] over the bytecode
//! of `falcoc-compiler`, the [`Engine`] (rules indexed by event type, rule selection,
//! output rendering), the [`Alert`] it produces, Falco's token bucket ([`ratelimit`]),
//! time zones and Falco's timestamp texts ([`time`]), and the text and JSON of extracted
//! values ([`values`]). An event source plugs in by implementing [`EventFields`]
//! (`falcoc-syscall` for capture and live syscall events, `falcoc-k8saudit` for
//! Kubernetes audit events); it never depends on the CLI or on the output channels.
//!
//! # The engine
//!
//!
//! [`Engine::new`] takes the compiled rules of [`falcoc_compiler::load()`] and
//! [`EngineOptions`] (the `falco.yaml` settings that decide which rules run and what their
//! alerts contain) and builds, once:
//!
//! * the **active rules** in evaluation order (rules-file.md §12): rules less severe than
//!   the `priority` threshold are dropped; the others are enabled by their `enabled`
//!   flag, then by the `rules:` selection entries in order (Falco's greedy `*` wildcard on
//!   names, or tags). A rule enabled by a selection runs after the rules enabled by
//!   default, as in Falco's ruleset;
//! * one [`RuleSetProgram`] over shared tables and one [`Vm`], so a field, transformer
//!   or check shared by many rules is computed at most once per event;
//! * an **index by event code** (fields.md §8.3): each syscall rule is registered under
//!   the event codes its condition can match plus `asyncevent`; an event only runs the
//!   rules registered under its code, in evaluation order, and stops at the first match
//!   unless `rule_matching` is `all`;
//! * with what the source knows of each code ([`CodeFacts`]: for syscall events
//!   `evt.type` and `evt.dir`, [`Engine::with_facts`]), each rule **specialised per
//!   code**: the checks the code decides are folded away, and a rule the code makes
//!   false is not registered under it;
//! * each rule's **output**: the rule `output` with the matching `append_output` formats
//!   appended (`suggested_output` adds the fields the loaded plugins suggest, such as the
//!   container plugin's `container_id=%container.id …`), compiled into text pieces and
//!   `output_fields` keys.
//!
//! On a match the engine builds an [`Alert`]: the rendered message (literal text and
//! each field's display text, `<NA>` when missing, padded or cut to a token's width),
//! `output_fields` (each token's untransformed field with its typed JSON value, `null`
//! when missing, plus `append_output` extra fields), the rule's sorted tags, source and
//! priority, and the event time. Format it with `falcoc_outputs::format_alert` or hand it
//! to `falcoc_outputs::Outputs`.
//!
//! Events come from an event source: implement [`EventFields`] (field extraction for
//! conditions and outputs) and call [`Engine::evaluate_fields`]. Syscall events (a
//! capture, the live sensor) go through `falcoc_syscall::SyscallEngine`, which keeps the
//! libsinsp state and applies Falco's event conversion around this engine.
//!
//! Only rules of one event source run: `syscall` by default, or the source chosen with
//! [`EngineOptions::source`] (e.g. `k8s_audit`, whose rules are all registered under the
//! plugin event code; see `falcoc_k8saudit`). Rules of other sources are counted in
//! [`Engine::skipped_rules`].
//!
//! ```
//! use falcoc_codegen::{FieldDesc, FieldId};
//! use falcoc_schema::fields::ResolvedField;
//! use falcoc_compiler::ir::Operand;
//! use falcoc_compiler::{load, Input, LoadOptions};
//! use falcoc_engine::vm::{FieldSource, Values};
//! use falcoc_engine::{Engine, EngineOptions, EventFields};
//! use serde_json::Value;
//!
//! let rules = br#"
//! - rule: Shell started
//!   desc: a shell was started
//!   condition: evt.type = execve and evt.dir = < and proc.name in (bash, sh)
//!   output: "shell started (user=%user.name cmd=%proc.cmdline pid=%proc.pid tty=%proc.tty)"
//!   priority: WARNING
//!   tags: [shell, mitre_execution]
//! "#;
//! let loaded = load(&[Input { name: "rules.yaml", bytes: rules }], &LoadOptions::default());
//! assert!(!loaded.has_errors());
//! let options = EngineOptions {
//!     hostname: "example-host".into(),
//!     ..EngineOptions::default()
//! };
//! let mut engine = Engine::new(loaded.rules, options).expect("outputs compile");
//!
//! // An event from the embedder's own source: an execve exit.
//! struct Exec {
//!     comm: &'static str,
//!     pid: i64,
//! }
//! impl Exec {
//!     /// The value of a field (`None`: missing, `<NA>` in text, null in JSON).
//!     fn get(&self, name: &str) -> Option<Value> {
//!         Some(match name {
//!             "evt.type" => "execve".into(),
//!             "evt.dir" => "<".into(),
//!             "proc.name" => self.comm.into(),
//!             "proc.cmdline" => format!("{} -i", self.comm).into(),
//!             "proc.pid" => self.pid.into(),
//!             "user.name" => "root".into(),
//!             _ => return None,
//!         })
//!     }
//! }
//! impl FieldSource for Exec {
//!     fn extract(&mut self, _id: FieldId, field: &FieldDesc, out: &mut Values) -> bool {
//!         match self.get(field.name()) {
//!             Some(Value::String(s)) => out.push_str(&s),
//!             Some(Value::Number(n)) => out.push_i64(n.as_i64().unwrap_or_default()),
//!             _ => return false,
//!         }
//!         true
//!     }
//! }
//! impl EventFields for Exec {
//!     fn display_operand(&mut self, operand: &Operand) -> Option<String> {
//!         // (this toy source ignores transformers such as `%toupper(proc.name)`)
//!         match self.get(&operand.base_field()?.name)? {
//!             Value::String(s) => Some(s),
//!             v => Some(v.to_string()),
//!         }
//!     }
//!     fn json_field(&mut self, field: &ResolvedField) -> Value {
//!         self.get(&field.name).unwrap_or(Value::Null)
//!     }
//! }
//!
//! const EXECVE_EXIT: u16 = 293; // PPME_SYSCALL_EXECVE_19_X
//! let ts = 1_705_312_800_000_380_323;
//! let alerts = engine.evaluate_fields(EXECVE_EXIT, ts, &mut Exec { comm: "bash", pid: 3008 });
//! assert_eq!(alerts.len(), 1);
//! let alert = &alerts[0];
//! assert_eq!(alert.rule, "Shell started");
//! assert_eq!(alert.message, "shell started (user=root cmd=bash -i pid=3008 tty=<NA>)");
//! assert_eq!(alert.tags, ["mitre_execution", "shell"]);
//! let fields: Vec<(&str, &Value)> =
//!     alert.output_fields.iter().map(|(k, v)| (k.as_str(), v)).collect();
//! assert_eq!(
//!     fields,
//!     [
//!         ("user.name", &Value::from("root")),
//!         ("proc.cmdline", &Value::from("bash -i")),
//!         ("proc.pid", &Value::from(3008)),
//!         ("proc.tty", &Value::Null),
//!     ]
//! );
//!
//! // Not a shell: no alert.
//! assert!(engine.evaluate_fields(EXECVE_EXIT, ts, &mut Exec { comm: "cat", pid: 3009 }).is_empty());
//! assert_eq!(engine.match_counts(), vec![("Shell started", 1)]);
//! ```

#![warn(missing_docs)]

pub mod alert;
mod output;
pub mod profile;
pub mod ratelimit;
mod select;
mod specialize;
#[cfg(test)]
mod tests;
pub mod time;
pub mod values;
pub mod vm;

pub use alert::{hostname_from_env, Alert};
pub use output::NA;
pub use specialize::CodeFacts;

use falcoc_codegen::{Builder, RuleCode, RuleProgram, RuleSetProgram, Tables};
use falcoc_compiler::compile::CompiledRule;
use falcoc_compiler::ir::{Cond, Operand};
use falcoc_compiler::priority::Priority;
use falcoc_schema::events::{analysis::routing_codes, PPM_EVENT_MAX};
use falcoc_schema::fields::{PluginProfile, ResolvedField, SYSCALL_SOURCE};
use serde_json::Value;

use falcoc_config::{AppendOutput, Config, RuleMatching, RuleSelection};
use output::RuleFormat;
use vm::{FieldSource, Vm};

/// The alert settings of the `falco.yaml` Falco ships, as a configuration text: the code
/// defaults plus `append_output: [{suggested_output: true}]`, which appends the fields
/// the loaded plugins suggest (the container plugin's `container_id=%container.id
/// container_name=%container.name …`) to every rule output. `falcoc replay` uses it
/// without `-c`; Falco's reference replays ran with it.
pub const SHIPPED_CONFIG: &str = "append_output:\n  - suggested_output: true\n";

/// What the engine needs from an event: the condition fields ([`FieldSource`]) and the
/// renderings of output fields: what an event source implements. `falcoc-syscall`'s
/// extractor implements it for syscall events, `falcoc-k8saudit` for audit events; an
/// embedder with its own event model implements it to use [`Engine::evaluate_fields`].
pub trait EventFields: FieldSource {
    /// The display text of an output token (a field, or transformers over one), as
    /// Falco prints it in the alert text; `None` when the value is missing (`<NA>`).
    fn display_operand(&mut self, operand: &Operand) -> Option<String>;
    /// The typed JSON value of a field for `output_fields` (numbers, strings, booleans,
    /// arrays for list fields, the integer ns timestamp for `evt.time*`; `null` when
    /// missing).
    fn json_field(&mut self, field: &ResolvedField) -> Value;
}

/// Settings of an [`Engine`]: the `falco.yaml` keys that decide which rules run and what
/// their alerts contain.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// `priority`: rules less severe than this are not loaded (default `Debug`: all).
    pub priority: Priority,
    /// `rules`: enable/disable selection entries, applied in order after the rules'
    /// own `enabled` flags.
    pub selection: Vec<RuleSelection>,
    /// `rule_matching`: stop at the first matching rule of an event, or alert for all.
    pub rule_matching: RuleMatching,
    /// The host name of the alerts (`FALCO_HOSTNAME` or the machine's name by default).
    pub hostname: String,
    /// `append_output` entries (extra formats, suggested fields, extra fields).
    pub append_output: Vec<AppendOutput>,
    /// The loaded plugins: fields of appended formats and suggested output fields
    /// (default: the container plugin, as stock Falco 0.42).
    pub profile: PluginProfile,
    /// The event source whose rules run (default `syscall`). For another source (the
    /// k8saudit plugin's `k8s_audit`), its rules are registered under the plugin event
    /// code and events are given with [`Engine::evaluate_fields`]; syscall rules never
    /// run.
    pub source: String,
}

impl Default for EngineOptions {
    fn default() -> EngineOptions {
        EngineOptions {
            priority: Priority::Debug,
            selection: Vec::new(),
            rule_matching: RuleMatching::First,
            hostname: hostname_from_env(),
            append_output: Vec::new(),
            profile: PluginProfile::container_only(),
            source: SYSCALL_SOURCE.to_string(),
        }
    }
}

impl EngineOptions {
    /// The options of a configuration (`priority`, `rules`, `rule_matching`,
    /// `append_output`); the host name from the environment, the container plugin.
    pub fn from_config(config: &Config) -> EngineOptions {
        EngineOptions {
            priority: config.priority,
            selection: config.rules.clone(),
            rule_matching: config.rule_matching,
            append_output: config.append_output.clone(),
            ..EngineOptions::default()
        }
    }
}

/// A rule output that does not compile once `append_output` formats are appended
/// (Falco: `LOAD_ERR_COMPILE_OUTPUT`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineError {
    /// The rule.
    pub rule: String,
    /// The formatter's message.
    pub message: String,
}

impl std::fmt::Display for EngineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "rule '{}': output: {}", self.rule, self.message)
    }
}

impl std::error::Error for EngineError {}

/// One active rule.
#[derive(Debug, Clone)]
struct Active {
    name: String,
    source: String,
    priority: Priority,
    tags: Vec<String>,
    format: RuleFormat,
    matches: u64,
}

/// Counters of an [`Engine`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EngineStats {
    /// Events given to the engine.
    pub events: u64,
    /// Events that had at least one rule registered under their code.
    pub evaluated: u64,
    /// Rule evaluations (conditions run).
    pub rule_evaluations: u64,
    /// Alerts produced.
    pub alerts: u64,
}

/// The rule engine. See the [module documentation](self).
#[derive(Debug)]
pub struct Engine {
    active: Vec<Active>,
    program: RuleSetProgram,
    vm: Vm,
    /// The active rules' conditions, in evaluation order (for [`Engine::specialize`]).
    conds: Vec<Cond>,
    /// Per event code, the active rules registered under it, in evaluation order, each
    /// with the index of its code in `codes`.
    by_code: Vec<Box<[(u32, u32)]>>,
    /// The codes `by_code` runs: each rule's own (index = rule) or, once specialised,
    /// the whole and specialised conditions the codes need.
    codes: Vec<RuleCode>,
    /// Whether [`Engine::specialize`] ran.
    specialized: bool,
    matching: RuleMatching,
    hostname: String,
    skipped: Vec<String>,
    stats: EngineStats,
    /// Per-rule counters and sampled times while profiling ([`Engine::set_profiling`]).
    profiler: Option<Box<profile::Profiler>>,
    /// Whether alerts carry `output_fields` ([`Engine::set_output_fields`]).
    output_fields: bool,
}

impl Engine {
    /// Builds the engine for `rules` (in load order, as [`falcoc_compiler::load()`]
    /// returns them). Fails when a rule output with its `append_output` formats does not
    /// compile.
    pub fn new(rules: Vec<CompiledRule>, options: EngineOptions) -> Result<Engine, EngineError> {
        Engine::build(rules, options, None)
    }

    /// [`Engine::new`] with the rules specialised per event code by what the source
    /// knows of each code ([`Engine::specialize`]), the tables built once.
    pub fn with_facts(
        rules: Vec<CompiledRule>,
        options: EngineOptions,
        facts: &dyn CodeFacts,
    ) -> Result<Engine, EngineError> {
        Engine::build(rules, options, Some(facts))
    }

    fn build(
        mut rules: Vec<CompiledRule>,
        options: EngineOptions,
        facts: Option<&dyn CodeFacts>,
    ) -> Result<Engine, EngineError> {
        let source = options.source.as_str();
        let is_syscall = source == SYSCALL_SOURCE;
        let skipped = rules
            .iter()
            .filter(|r| r.source != source)
            .map(|r| r.name.clone())
            .collect();
        let order = select::active_rules(
            &rules,
            |r| r.source == source,
            options.priority,
            &options.selection,
        );
        let chosen: Vec<&CompiledRule> = order.iter().filter_map(|&i| rules.get(i)).collect();
        let mut active = Vec::with_capacity(chosen.len());
        let mut by_code: Vec<Vec<u32>> = vec![Vec::new(); PPM_EVENT_MAX];
        for (k, r) in chosen.iter().enumerate() {
            let format = RuleFormat::new(r, &options.append_output, &options.profile).map_err(
                |message| EngineError {
                    rule: r.name.clone(),
                    message,
                },
            )?;
            let codes = routing_codes(&r.event_codes.clone().unwrap_or_default(), is_syscall);
            for c in codes.iter() {
                if let Some(list) = by_code.get_mut(c as usize) {
                    list.push(k as u32);
                }
            }
            active.push(Active {
                name: r.name.clone(),
                source: r.source.clone(),
                priority: r.priority,
                tags: r.tags.iter().cloned().collect(),
                format,
                matches: 0,
            });
        }
        // With facts, `specialize` below compiles the conditions (once).
        let program = match facts {
            Some(_) => RuleSetProgram {
                tables: Tables::default(),
                rules: chosen
                    .iter()
                    .map(|r| RuleProgram {
                        name: r.name.clone(),
                        source: r.source.clone(),
                        event_codes: r.event_codes.clone(),
                        code: RuleCode::default(),
                    })
                    .collect(),
            },
            None => RuleSetProgram::new(chosen.iter().copied()),
        };
        let vm = Vm::new(&program.tables);
        let codes = program.rules.iter().map(|r| r.code.clone()).collect();
        // The conditions move out of the rules (no longer needed there).
        let mut conds = Vec::with_capacity(order.len());
        for &i in &order {
            if let Some(r) = rules.get_mut(i) {
                let span = r.checked.cond.span;
                conds.push(std::mem::replace(
                    &mut r.checked.cond,
                    Cond {
                        kind: falcoc_compiler::ir::CondKind::Const(false),
                        span,
                    },
                ));
            }
        }
        let mut engine = Engine {
            active,
            program,
            vm,
            conds,
            specialized: false,
            by_code: by_code
                .into_iter()
                .map(|l| l.into_iter().map(|k| (k, k)).collect())
                .collect(),
            codes,
            matching: options.rule_matching,
            hostname: options.hostname,
            skipped,
            stats: EngineStats::default(),
            profiler: None,
            output_fields: true,
        };
        if let Some(f) = facts {
            engine.specialize(f);
        }
        Ok(engine)
    }

    /// Whether the rules are specialised per event code ([`Engine::specialize`]).
    pub fn specialized(&self) -> bool {
        self.specialized
    }

    /// Specialises the rules per event code with what the source knows of each code
    /// (see [`CodeFacts`]): under each code a rule runs its condition with the checks
    /// the code decides folded away, and a rule the code makes false is not run. Alerts
    /// are unchanged; [`EngineStats::rule_evaluations`] and the profile's evaluations
    /// count the rules that still run. Rebuilds the shared tables: ids given to
    /// [`FieldSource::extract`] change, so call it before resolving them (field plans).
    pub fn specialize(&mut self, facts: &dyn CodeFacts) {
        let mut b = Builder::new();
        let mut codes: Vec<RuleCode> = Vec::new();
        // Each rule's whole condition, compiled when a code needs it.
        let mut whole: Vec<Option<u32>> = vec![None; self.conds.len()];
        let mut by_code: Vec<Vec<(u32, u32)>> = vec![Vec::new(); self.by_code.len()];
        let mut vm = Vm::new(&Tables::default());
        // The codes each rule is registered under.
        let mut rule_codes: Vec<Vec<usize>> = vec![Vec::new(); self.conds.len()];
        for (code, list) in self.by_code.iter().enumerate() {
            for &(r, _) in list.iter() {
                if let Some(v) = rule_codes.get_mut(r as usize) {
                    v.push(code);
                }
            }
        }
        // Rules are visited in evaluation order, so every list stays in that order.
        for (k, (cond, its_codes)) in self.conds.iter().zip(&rule_codes).enumerate() {
            let rf = specialize::RuleFacts::new(cond, facts);
            // Specialised codes of this rule by the candidates' results (None: never runs).
            let mut memo: Vec<(Vec<Option<bool>>, Option<u32>)> = Vec::new();
            for &code in its_codes {
                let Some(out) = by_code.get_mut(code) else {
                    continue;
                };
                let mut whole_code = || match whole.get(k).copied().flatten() {
                    Some(i) => i,
                    None => {
                        codes.push(b.add(cond));
                        let i = (codes.len() - 1) as u32;
                        if let Some(w) = whole.get_mut(k) {
                            *w = Some(i);
                        }
                        i
                    }
                };
                if rf.is_empty() {
                    out.push((k as u32, whole_code()));
                    continue;
                }
                let decided = rf.decide(code as u16, facts, &mut vm);
                let slot = match memo.iter().find(|(d, _)| *d == decided) {
                    Some((_, s)) => *s,
                    None => {
                        let s = if decided.iter().all(Option::is_none) {
                            Some(whole_code())
                        } else {
                            let folded = rf.fold(cond, &decided);
                            match folded.kind {
                                falcoc_compiler::ir::CondKind::Const(false) => None,
                                _ => {
                                    codes.push(b.add(&folded));
                                    Some((codes.len() - 1) as u32)
                                }
                            }
                        };
                        memo.push((decided, s));
                        s
                    }
                };
                if let Some(s) = slot {
                    out.push((k as u32, s));
                }
            }
        }
        let tables = b.finish();
        let rules = self
            .program
            .rules
            .drain(..)
            .zip(&whole)
            .map(|(r, w)| RuleProgram {
                code: w
                    .and_then(|i| codes.get(i as usize))
                    .cloned()
                    .unwrap_or_default(),
                ..r
            })
            .collect();
        self.program = RuleSetProgram { tables, rules };
        self.vm = Vm::new(&self.program.tables);
        self.codes = codes;
        self.by_code = by_code.into_iter().map(Vec::into_boxed_slice).collect();
        self.specialized = true;
    }

    /// Whether alerts carry their `output_fields` (on by default). An embedder that
    /// only prints text lines turns it off: the fields' typed values are then never
    /// extracted, and [`Alert::output_fields`] stays empty.
    pub fn set_output_fields(&mut self, on: bool) {
        self.output_fields = on;
    }

    /// Starts (and resets) or stops the per-rule profile (see [`profile`]).
    pub fn set_profiling(&mut self, on: bool) {
        self.profiler = on.then(|| Box::new(profile::Profiler::new(self.active.len())));
    }

    /// The per-rule profile so far (`None` unless [`set_profiling`](Self::set_profiling)
    /// is on), for the active rules in evaluation order.
    pub fn profile(&self) -> Option<Vec<profile::RuleProfile>> {
        let p = self.profiler.as_deref()?;
        Some(
            self.active
                .iter()
                .enumerate()
                .map(|(k, a)| profile::RuleProfile {
                    rule: a.name.clone(),
                    source: a.source.clone(),
                    evaluations: p.evaluations.get(k).copied().unwrap_or(0),
                    matches: a.matches,
                    timed_evaluations: p.timed.get(k).copied().unwrap_or(0),
                    timed_ns: p.ns.get(k).copied().unwrap_or(0),
                })
                .collect(),
        )
    }

    /// The active rules, in evaluation order.
    pub fn active_rules(&self) -> impl Iterator<Item = &str> + '_ {
        self.active.iter().map(|a| a.name.as_str())
    }

    /// The full output format of an active rule, after `append_output` (`None` for a
    /// rule that is not active).
    pub fn rule_output(&self, rule: &str) -> Option<&str> {
        self.active
            .iter()
            .find(|a| a.name == rule)
            .map(|a| a.format.text.as_str())
    }

    /// The shared tables of the active rules' program: the field ids given to
    /// [`FieldSource::extract`] index `tables().fields`.
    pub fn tables(&self) -> &Tables {
        &self.program.tables
    }

    /// Every field the active rules read: the fields of their conditions, then those of
    /// their outputs (with `append_output`), with repeats.
    pub fn fields_used(&self) -> impl Iterator<Item = &ResolvedField> + '_ {
        self.program
            .tables
            .fields
            .iter()
            .map(|d| &d.field)
            .chain(self.active.iter().flat_map(|a| a.format.fields_used()))
    }

    /// Rules not run because their source is not the engine's
    /// ([`EngineOptions::source`]).
    pub fn skipped_rules(&self) -> &[String] {
        &self.skipped
    }

    /// Whether any active rule is registered under event `code`.
    pub fn wants(&self, code: u16) -> bool {
        self.by_code
            .get(code as usize)
            .is_some_and(|l| !l.is_empty())
    }

    /// Alerts per active rule with at least one, in evaluation order.
    pub fn match_counts(&self) -> Vec<(&str, u64)> {
        self.active
            .iter()
            .filter(|a| a.matches > 0)
            .map(|a| (a.name.as_str(), a.matches))
            .collect()
    }

    /// The counters.
    pub fn stats(&self) -> EngineStats {
        self.stats
    }

    /// Counts an event the source gives to the engine but on which no rule runs (an
    /// event the source filters out before evaluation).
    pub fn skip_event(&mut self) {
        self.stats.events += 1;
    }

    /// Evaluates the rules on an event of the embedder's own source: `code` is the
    /// event type (`ppm_event_code`, which selects the rules to run), `ts` the event
    /// time in ns since the epoch, `src` extracts the fields. The field ids given to
    /// [`FieldSource::extract`] are those of this engine's tables.
    pub fn evaluate_fields<S: EventFields + ?Sized>(
        &mut self,
        code: u16,
        ts: u64,
        src: &mut S,
    ) -> Vec<Alert> {
        let mut out = Vec::new();
        self.evaluate_fields_into(code, ts, src, &mut out);
        out
    }

    /// [`evaluate_fields`](Self::evaluate_fields), appending the alerts to `out`;
    /// returns how many.
    pub fn evaluate_fields_into<S: EventFields + ?Sized>(
        &mut self,
        code: u16,
        ts: u64,
        src: &mut S,
        out: &mut Vec<Alert>,
    ) -> usize {
        self.stats.events += 1;
        let Some(list) = self.by_code.get(code as usize).filter(|l| !l.is_empty()) else {
            return 0;
        };
        self.stats.evaluated += 1;
        self.vm.next_event();
        if let Some(p) = self.profiler.as_deref_mut() {
            p.start_event();
        }
        let mut n = 0;
        for &(k, c) in list.iter() {
            let k = k as usize;
            let (Some(code), Some(rule)) = (self.codes.get(c as usize), self.active.get_mut(k))
            else {
                continue;
            };
            self.stats.rule_evaluations += 1;
            // The VM was sized for these tables when they were built.
            let matched = self.vm.run(&self.program.tables, code, src);
            if let Some(p) = self.profiler.as_deref_mut() {
                p.evaluated(k);
            }
            if !matched {
                continue;
            }
            rule.matches += 1;
            out.push(Alert {
                rule: rule.name.clone(),
                priority: rule.priority,
                time_ns: ts,
                message: rule.format.message(src),
                output_fields: if self.output_fields {
                    rule.format.fields(src)
                } else {
                    Vec::new()
                },
                tags: rule.tags.clone(),
                source: rule.source.clone(),
                hostname: self.hostname.clone(),
            });
            n += 1;
            if let Some(p) = self.profiler.as_deref_mut() {
                p.resume();
            }
            if self.matching == RuleMatching::First {
                break;
            }
        }
        self.stats.alerts += n as u64;
        n
    }
}
