//! The falcoc compiler: loads rule files in order exactly as Falco 0.42.1 does, resolves
//! `append`/`override` chains, lists, macros and exceptions, checks every field against the
//! field classes, computes the event types each rule can match, and produces a checked rule
//! set for the runtime — with Falco's load results (codes, messages, contexts) and precise
//! source spans. It performs no I/O: callers hand it file contents.
//!
//! Pipeline (one module per stage):
//! [`reader`] decodes YAML items into [`decl`]arations with Falco's shape checks →
//! [`collector`] merges them across files (definition, append, override, enable) →
//! [`compile`] substitutes [`lists`], rewrites [`exceptions`], parses, splices [`macros`],
//! [`check`]s fields/types/operators into the [`ir`], compiles [`output`] formats and
//! computes event types (`falcoc_schema::events`) → [`load`](mod@load) turns [`issue`]s into
//! [`result`]s. The field and event tables it checks against are the crate `falcoc-schema`
//! ([`falcoc_schema`]); falcoc's own lints over a load are `falcoc-lints`.
//!
//! ```
//! use falcoc_compiler::{load, Input, LoadOptions};
//!
//! let rules = br#"
//! - list: shells
//!   items: [bash, sh]
//! - macro: spawned_process
//!   condition: evt.type = execve
//! - rule: Shell started
//!   desc: a shell was started
//!   condition: spawned_process and proc.name in (shells)
//!   output: "shell started (cmdline=%proc.cmdline)"
//!   priority: WARNING
//! "#;
//! let loaded = load(&[Input { name: "rules.yaml", bytes: rules }], &LoadOptions::default());
//! assert!(!loaded.has_errors());
//! let rule = &loaded.rules[0];
//! assert_eq!(rule.compiled_condition, "(evt.type = execve and proc.name in (bash, sh))");
//! assert_eq!(rule.priority.name(), "Warning");
//! // Every problem is data: Falco's code, message and context, plus an exact span.
//! assert!(loaded.results[0].warnings.is_empty());
//! ```

pub mod check;
pub mod collector;
pub mod compile;
pub mod decl;
pub mod exceptions;
pub mod ir;
pub mod issue;
pub mod lists;
pub mod load;
pub mod macros;
pub mod output;
pub mod priority;
pub mod reader;
pub mod result;
pub mod ruleset;
pub mod text;
pub mod version;

pub use load::{load, Input, LoadOptions, Loaded, Mode};
