//! Declarations: the typed items of a rules file, as the collector consumes them.
//!
//! `reader.rs` decodes YAML items into these (with Falco's shape checks); `collector.rs`
//! merges them across files (definition, append, override, enable).

use crate::exceptions::Exception;
use crate::priority::Priority;
use crate::text::SourcedText;
use crate::version::Version;
use std::collections::BTreeSet;

/// Where an item is: its file, its order in the load, and the byte offset of its kind key
/// (`rule` in `- rule: x`), which is where Falco's item locations point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ItemAt {
    /// Index of the file in the load.
    pub file: usize,
    /// Order of the item across the whole load.
    pub order: usize,
    /// Byte offset of the item's kind key in its file.
    pub offset: usize,
    /// Byte offset of the end of the kind key's value (for spans).
    pub end: usize,
}

/// How an item changes what came before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Update {
    /// A full (re)definition.
    Define,
    /// `append: true` (legacy) or `override: {key: append}`.
    Append,
    /// `override: {key: replace}` on a list or macro (a redefinition that may also create).
    Replace,
}

/// A `list` item.
#[derive(Debug, Clone, PartialEq)]
pub struct ListDecl {
    /// Name.
    pub name: String,
    /// Items as written (scalars as text).
    pub items: Vec<String>,
    /// Define, append or replace.
    pub update: Update,
    /// Where.
    pub at: ItemAt,
}

/// A `macro` item.
#[derive(Debug, Clone, PartialEq)]
pub struct MacroDecl {
    /// Name.
    pub name: String,
    /// The condition text.
    pub condition: SourcedText,
    /// Byte offset of the condition scalar in its file.
    pub condition_offset: usize,
    /// Define, append or replace.
    pub update: Update,
    /// Where.
    pub at: ItemAt,
}

/// One exception with where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct ExceptionDecl {
    /// The exception.
    pub exception: Exception,
    /// Byte offset of its `name` key in the file.
    pub offset: usize,
    /// Whether `values:` was given.
    pub has_values: bool,
    /// Whether `fields:` / `comps:` were given.
    pub has_fields: bool,
    /// Whether `comps:` was given.
    pub has_comps: bool,
}

/// The keys of a rule that overrides can change; `None` = not given.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RulePatch {
    /// `condition`.
    pub condition: Option<SourcedText>,
    /// `output`.
    pub output: Option<SourcedText>,
    /// `desc`.
    pub desc: Option<String>,
    /// `priority`.
    pub priority: Option<Priority>,
    /// `tags`.
    pub tags: Option<Vec<String>>,
    /// `exceptions`.
    pub exceptions: Option<Vec<ExceptionDecl>>,
    /// `enabled`.
    pub enabled: Option<bool>,
    /// `warn_evttypes`.
    pub warn_evttypes: Option<bool>,
    /// `skip-if-unknown-filter`.
    pub skip_if_unknown_filter: Option<bool>,
    /// `capture`.
    pub capture: Option<bool>,
    /// `capture_duration`.
    pub capture_duration: Option<u64>,
}

/// A complete rule definition.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleDef {
    /// `condition`.
    pub condition: SourcedText,
    /// Byte offset of the condition scalar.
    pub condition_offset: usize,
    /// `output` (trimmed).
    pub output: SourcedText,
    /// Byte offset of the output scalar.
    pub output_offset: usize,
    /// `desc`.
    pub desc: String,
    /// `priority`.
    pub priority: Priority,
    /// `enabled` (default true).
    pub enabled: bool,
    /// `tags` (a sorted set).
    pub tags: BTreeSet<String>,
    /// `exceptions`.
    pub exceptions: Vec<ExceptionDecl>,
    /// `warn_evttypes` (default true).
    pub warn_evttypes: bool,
    /// `skip-if-unknown-filter` (default false).
    pub skip_if_unknown_filter: bool,
    /// `capture` (default false).
    pub capture: bool,
    /// `capture_duration` in ms (default 0).
    pub capture_duration: u64,
}

/// What a `rule` item does.
#[derive(Debug, Clone, PartialEq)]
pub enum RuleBody {
    /// A full definition.
    Define(Box<RuleDef>),
    /// Legacy `append: true`: only condition and exceptions are read.
    Append {
        /// Text appended to the condition.
        condition: Option<SourcedText>,
        /// Exceptions appended.
        exceptions: Option<Vec<ExceptionDecl>>,
    },
    /// `override:` with the keys to append and to replace.
    Override {
        /// Keys under `override` with `append`.
        append: Box<RulePatch>,
        /// Keys under `override` with `replace`.
        replace: Box<RulePatch>,
    },
    /// A standalone `enabled:` item (deprecated form).
    Enable(bool),
}

/// A `rule` item.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleDecl {
    /// Name.
    pub name: String,
    /// `source:` when given explicitly.
    pub source: Option<String>,
    /// What it does.
    pub body: RuleBody,
    /// Where.
    pub at: ItemAt,
}

/// One `required_plugin_versions` entry: alternatives `(name, version)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginRequirement {
    /// The plugin and its alternatives, in order.
    pub alternatives: Vec<(String, Version)>,
}

/// A decoded item.
#[derive(Debug, Clone, PartialEq)]
pub enum Decl {
    /// `required_engine_version`.
    EngineVersion(Version, ItemAt),
    /// `required_plugin_versions`.
    PluginVersions(Vec<PluginRequirement>, ItemAt),
    /// `list`.
    List(ListDecl),
    /// `macro`.
    Macro(MacroDecl),
    /// `rule`.
    Rule(RuleDecl),
}
