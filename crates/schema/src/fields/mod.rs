//! The field registry: every field of the syscall source (libsinsp's built-in classes of
//! libs 0.22.2 plus the container plugin 0.4.1) and of the plugin sources Falco 0.42.1 is
//! validated with (k8saudit and variants, cloudtrail, gcpaudit, github, okta, json, dummy…),
//! with types, flags and argument rules; field-name resolution exactly as libsinsp does it
//! (fields.md §2), the type × operator check (conditions.md §12) and constant parsing
//! (conditions.md §11).
//!
//! * [`lookup`] / [`PluginProfile::lookup`]: resolve `name` + optional `[arg]` for an event
//!   source, with Falco's messages (`filter_check called with nonexistent field X`, …).
//! * [`check_operator`]: which operators a type accepts.
//! * [`parse_constant`]: right-hand constants per type.
//!
//! Data: `builtin_fields.tsv`, `plugin_fields.tsv`, `services.tsv` next to this file,
//! compiled in and parsed once.

pub(crate) mod constant;
mod resolve;
mod services;
mod types;

use std::collections::BTreeSet;
use std::sync::LazyLock;

pub use constant::{
    inet_pton4, inet_pton6, parse_constant, parse_hex_bytes, string_to_rawval, Constant,
    MAX_VALUE_STORAGE,
};
pub use resolve::{FieldArg, ResolvedField};
pub use services::{port_of as service_port, services, Service};
pub use types::{check_operator, operator_name, FieldFlags, FieldType, PrintFormat, TypeClass};

/// The name of the syscall event source.
pub const SYSCALL_SOURCE: &str = "syscall";

/// Which kind of field class a [`FieldClass`] is; built-in classes have their own name
/// parsing rules (fields.md §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClassKind {
    /// Generic event fields valid for every source (`evt.num`, `evt.time*`, `evt.source`…).
    GenericEvent,
    /// Syscall event fields (`evt.*`, `syscall.type`).
    SyscallEvent,
    /// Process/thread fields (`proc.*`, `thread.*`).
    Thread,
    /// `user.*`.
    User,
    /// `group.*`.
    Group,
    /// `fd.*`.
    Fd,
    /// `fs.path.*`.
    FsPath,
    /// `util.*`.
    Util,
    /// `fdlist.*`.
    FdList,
    /// Fields declared by a plugin.
    Plugin,
}

/// One field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldInfo {
    /// Field name, e.g. `proc.aname`.
    pub name: &'static str,
    /// Declared type (`DYN` for `evt.rawarg`).
    pub ty: FieldType,
    /// Flags (list-ness, argument rules, filter-only, no-RHS, deprecated…).
    pub flags: FieldFlags,
    /// Print format.
    pub format: PrintFormat,
    /// Display name (plugin fields; empty for built-ins).
    pub display: String,
    /// One-line meaning.
    pub description: String,
    /// First Falco release that has the field (`0.26` = already in the oldest releases),
    /// when known.
    pub since: Option<&'static str>,
    /// Falco release from which using it is warned as deprecated (`LOAD_DEPRECATED_ITEM`):
    /// `0.42` for `evt.dir`, `0.43` for the latency fields.
    pub deprecated_since: Option<&'static str>,
}

impl FieldInfo {
    /// List-valued (`EPF_IS_LIST`).
    pub fn is_list(&self) -> bool {
        self.flags.contains(FieldFlags::IS_LIST)
    }
    /// Takes a mandatory argument.
    pub fn arg_required(&self) -> bool {
        self.flags.contains(FieldFlags::ARG_REQUIRED)
    }
    /// Takes an optional argument.
    pub fn arg_allowed(&self) -> bool {
        self.flags.contains(FieldFlags::ARG_ALLOWED)
    }
    /// Cannot be used in outputs.
    pub fn is_filter_only(&self) -> bool {
        self.flags.contains(FieldFlags::FILTER_ONLY)
    }
    /// Cannot take part in field-to-field comparisons.
    pub fn is_no_rhs(&self) -> bool {
        self.flags.contains(FieldFlags::NO_RHS)
    }
    /// Refuses transformers.
    pub fn is_no_transformer(&self) -> bool {
        self.flags.contains(FieldFlags::NO_TRANSFORMER)
    }
    /// Deprecated (in the newest libs).
    pub fn is_deprecated(&self) -> bool {
        self.flags.contains(FieldFlags::DEPRECATED)
    }
    /// Hidden from field listings (`EPF_TABLE_ONLY`, plugin property `hidden`).
    pub fn is_hidden(&self) -> bool {
        self.flags.contains(FieldFlags::TABLE_ONLY)
    }
}

/// A field class: a group of fields resolved together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldClass {
    /// Class name as `falco --list` shows it (`evt`, `process`, `fd`, `container`…).
    pub name: &'static str,
    /// Kind (decides the name-parsing rules).
    pub kind: ClassKind,
    /// Fields in table order.
    pub fields: Vec<FieldInfo>,
}

impl FieldClass {
    /// The field named exactly `name`.
    pub fn field(&self, name: &str) -> Option<&FieldInfo> {
        self.fields.iter().find(|f| f.name == name)
    }
}

/// A plugin known to the registry (field table, sources, async events).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginInfo {
    /// Plugin name (`container`, `k8saudit`, …).
    pub name: &'static str,
    /// Version of the field table recorded here.
    pub version: &'static str,
    /// Plugin id (0 = no event sourcing).
    pub id: u32,
    /// Event source it produces (empty = none).
    pub event_source: &'static str,
    /// Sources declared compatible for extraction (empty = all, unless it has a source).
    pub extract_sources: Vec<&'static str>,
    /// Names of the asynchronous events it registers (valid `evt.type` values).
    pub async_events: Vec<&'static str>,
    /// Where the table comes from.
    pub upstream: &'static str,
    /// Its fields.
    pub class: FieldClass,
}

impl PluginInfo {
    /// Whether the plugin produces events of its own source.
    pub fn has_sourcing(&self) -> bool {
        !self.event_source.is_empty()
    }

    /// libsinsp `is_source_compatible` for extraction: the declared sources plus the
    /// plugin's own source; an empty set means every source.
    pub fn extracts_from(&self, source: &str) -> bool {
        let own = self.has_sourcing() && self.event_source == source;
        own || (self.extract_sources.is_empty() && !self.has_sourcing())
            || self.extract_sources.contains(&source)
    }
}

struct Registry {
    builtin: Vec<FieldClass>,
    plugins: Vec<PluginInfo>,
}

fn since_of(s: &'static str) -> Option<&'static str> {
    (!s.is_empty()).then_some(s)
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some(o) => out.push(o),
            None => out.push('\\'),
        }
    }
    out
}

fn builtin_kind(class: &str) -> Option<(ClassKind, &'static str)> {
    Some(match class {
        "evt.generic" => (ClassKind::GenericEvent, "evt"),
        "evt" => (ClassKind::SyscallEvent, "evt"),
        "process" => (ClassKind::Thread, "process"),
        "user" => (ClassKind::User, "user"),
        "group" => (ClassKind::Group, "group"),
        "fd" => (ClassKind::Fd, "fd"),
        "fs.path" => (ClassKind::FsPath, "fs.path"),
        "util" => (ClassKind::Util, "util"),
        "fdlist" => (ClassKind::FdList, "fdlist"),
        _ => return None,
    })
}

fn parse_builtin() -> Vec<FieldClass> {
    let mut classes: Vec<FieldClass> = Vec::new();
    for line in include_str!("builtin_fields.tsv").lines() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let f: Vec<&'static str> = line.split('\t').collect();
        if f.len() != 8 {
            continue;
        }
        let Some((kind, name)) = builtin_kind(f[0]) else {
            continue;
        };
        let (Some(ty), Some(format)) = (FieldType::from_name(f[2]), PrintFormat::from_name(f[4]))
        else {
            continue;
        };
        let flags = f[3]
            .split('|')
            .filter(|s| !s.is_empty())
            .filter_map(FieldFlags::from_name)
            .fold(FieldFlags::NONE, FieldFlags::union);
        let info = FieldInfo {
            name: f[1],
            ty,
            flags,
            format,
            display: String::new(),
            description: f[7].to_string(),
            since: since_of(f[5]),
            deprecated_since: since_of(f[6]),
        };
        match classes.last_mut() {
            Some(c) if c.kind == kind => c.fields.push(info),
            _ => classes.push(FieldClass {
                name,
                kind,
                fields: vec![info],
            }),
        }
    }
    classes
}

fn plugin_flags(s: &str) -> FieldFlags {
    let mut flags = FieldFlags::NONE;
    for f in s.split('|') {
        flags = flags
            | match f {
                "LIST" => FieldFlags::IS_LIST,
                "REQUIRED" => FieldFlags::ARG_REQUIRED,
                "INDEX" => FieldFlags::ARG_INDEX | FieldFlags::ARG_ALLOWED,
                "KEY" => FieldFlags::ARG_KEY | FieldFlags::ARG_ALLOWED,
                "HIDDEN" => FieldFlags::TABLE_ONLY,
                "INFO" => FieldFlags::INFO,
                "CONVERSATION" => FieldFlags::CONVERSATION,
                "SUGGESTED" => FieldFlags::FORMAT_SUGGESTED,
                _ => FieldFlags::NONE,
            };
    }
    flags
}

fn split_list(s: &'static str) -> Vec<&'static str> {
    s.split(',').filter(|x| !x.is_empty()).collect()
}

fn parse_plugins() -> Vec<PluginInfo> {
    let mut plugins: Vec<PluginInfo> = Vec::new();
    for line in include_str!("plugin_fields.tsv").lines() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let f: Vec<&'static str> = line.split('\t').collect();
        match f.first() {
            Some(&"@plugin") if f.len() == 8 => plugins.push(PluginInfo {
                name: f[1],
                version: f[2],
                id: f[3].parse().unwrap_or(0),
                event_source: f[4],
                extract_sources: split_list(f[5]),
                async_events: split_list(f[6]),
                upstream: f[7],
                class: FieldClass {
                    name: f[1],
                    kind: ClassKind::Plugin,
                    fields: Vec::new(),
                },
            }),
            Some(&"field") if f.len() == 6 => {
                let Some(p) = plugins.last_mut() else {
                    continue;
                };
                let Some(ty) = FieldType::from_plugin_type(f[2]) else {
                    continue;
                };
                p.class.fields.push(FieldInfo {
                    name: f[1],
                    ty,
                    flags: plugin_flags(f[3]),
                    format: PrintFormat::Dec,
                    display: unescape(f[4]),
                    description: unescape(f[5]),
                    since: None,
                    deprecated_since: None,
                });
            }
            _ => {}
        }
    }
    plugins
}

static REGISTRY: LazyLock<Registry> = LazyLock::new(|| Registry {
    builtin: parse_builtin(),
    plugins: parse_plugins(),
});

/// The built-in classes of the syscall source in libsinsp's lookup order: generic event,
/// syscall event, process, user, group, fd, fs.path, util, fdlist.
pub fn builtin_classes() -> &'static [FieldClass] {
    &REGISTRY.builtin
}

/// The generic event class (`evt.num`, `evt.time`, `evt.source`, …), present for every
/// source.
pub fn generic_event_class() -> &'static FieldClass {
    &REGISTRY.builtin[0]
}

/// Every plugin whose field table is known.
pub fn known_plugins() -> &'static [PluginInfo] {
    &REGISTRY.plugins
}

/// The known plugin named `name`.
pub fn plugin(name: &str) -> Option<&'static PluginInfo> {
    REGISTRY.plugins.iter().find(|p| p.name == name)
}

/// Every field name known to the registry (built-in and all known plugins), sorted and
/// de-duplicated: the candidates for "did you mean" suggestions.
pub fn all_field_names() -> impl Iterator<Item = &'static str> {
    let mut names: BTreeSet<&'static str> = BTreeSet::new();
    for c in builtin_classes() {
        names.extend(c.fields.iter().map(|f| f.name));
    }
    for p in known_plugins() {
        names.extend(p.class.fields.iter().map(|f| f.name));
    }
    names.into_iter()
}

/// Why a field name could not be resolved.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FieldErrorKind {
    /// `filter_check called with nonexistent field X` (what `skip-if-unknown-filter`
    /// turns into a warning).
    Nonexistent,
    /// Another libsinsp error raised while parsing the name or its argument (e.g.
    /// `unknown event argument X`, `x is not a valid number`,
    /// `filter syntax error: evt.arg`).
    Invalid,
    /// The event source is not known to the plugin profile.
    UnknownSource,
}

/// A field-resolution error with Falco's message.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FieldError {
    /// Category.
    pub kind: FieldErrorKind,
    /// The exact message.
    pub message: String,
}

impl FieldError {
    /// `filter_check called with nonexistent field <name>`.
    pub fn nonexistent(name: &str) -> FieldError {
        FieldError {
            kind: FieldErrorKind::Nonexistent,
            message: format!("filter_check called with nonexistent field {name}"),
        }
    }

    fn invalid(message: String) -> FieldError {
        FieldError {
            kind: FieldErrorKind::Invalid,
            message,
        }
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for FieldError {}

/// An ordered set of loaded plugins: it decides which sources exist and which field
/// classes each source has (Falco adds a plugin's fields to every source the plugin can
/// extract from, after the built-in classes, in plugin-load order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginProfile {
    plugins: Vec<&'static PluginInfo>,
}

/// The plugins of the reference "all plugins" profile, in load order.
const ALL_PROFILE: [&str; 10] = [
    "container",
    "k8saudit",
    "cloudtrail",
    "gcpaudit",
    "github",
    "okta",
    "json",
    "dummy",
    "dummy_c",
    "dummy_rs",
];

static DEFAULT_PROFILE: LazyLock<PluginProfile> = LazyLock::new(PluginProfile::all);

impl PluginProfile {
    /// No plugin: only the syscall source with the built-in classes.
    pub fn none() -> PluginProfile {
        PluginProfile {
            plugins: Vec::new(),
        }
    }

    /// Stock Falco 0.42 (`falco.yaml` loads the container plugin only).
    pub fn container_only() -> PluginProfile {
        PluginProfile {
            plugins: plugin("container").into_iter().collect(),
        }
    }

    /// Every known plugin (the golden `plugins-all` profile): container, k8saudit,
    /// cloudtrail, gcpaudit, github, okta, json, dummy, dummy_c, dummy_rs. The k8saudit
    /// variants (`-eks`, `-gke`, `-aks`) have the same fields and source as k8saudit and
    /// can be chosen with [`PluginProfile::from_names`].
    pub fn all() -> PluginProfile {
        PluginProfile {
            plugins: ALL_PROFILE.iter().filter_map(|n| plugin(n)).collect(),
        }
    }

    /// The given known plugins, in this load order; an unknown name is an error.
    pub fn from_names(names: &[&str]) -> Result<PluginProfile, String> {
        let plugins = names
            .iter()
            .map(|n| plugin(n).ok_or_else(|| format!("unknown plugin {n}")))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(PluginProfile { plugins })
    }

    /// The loaded plugins in load order.
    pub fn plugins(&self) -> &[&'static PluginInfo] {
        &self.plugins
    }

    /// The event sources: `syscall` then each plugin source (first occurrence).
    pub fn sources(&self) -> Vec<&'static str> {
        let mut v = vec![SYSCALL_SOURCE];
        for p in &self.plugins {
            if p.has_sourcing() && !v.contains(&p.event_source) {
                v.push(p.event_source);
            }
        }
        v
    }

    /// Whether `source` exists with this profile.
    pub fn has_source(&self, source: &str) -> bool {
        source == SYSCALL_SOURCE
            || self
                .plugins
                .iter()
                .any(|p| p.has_sourcing() && p.event_source == source)
    }

    /// The field classes of `source`, in lookup order: the built-in classes (syscall) or
    /// the generic event class (plugin sources), then the fields of every plugin that can
    /// extract from that source. `None` for an unknown source.
    pub fn classes(&self, source: &str) -> Option<Vec<&'static FieldClass>> {
        if !self.has_source(source) {
            return None;
        }
        let mut v: Vec<&'static FieldClass> = if source == SYSCALL_SOURCE {
            builtin_classes().iter().collect()
        } else {
            vec![generic_event_class()]
        };
        for p in &self.plugins {
            if p.extracts_from(source) {
                v.push(&p.class);
            }
        }
        Some(v)
    }

    /// The asynchronous event names of the loaded plugins that can produce them for
    /// `source` (valid `evt.type` values mapping to `asyncevent`).
    pub fn async_event_names(&self, source: &str) -> Vec<&'static str> {
        let mut v = Vec::new();
        for p in &self.plugins {
            let compatible = p.extract_sources.is_empty() || p.extract_sources.contains(&source);
            if compatible {
                v.extend(p.async_events.iter().copied());
            }
        }
        v
    }

    /// Every field name resolvable (without argument syntax) for `source`, in class order.
    pub fn field_names(&self, source: &str) -> Vec<&'static str> {
        self.classes(source)
            .unwrap_or_default()
            .into_iter()
            .flat_map(|c| c.fields.iter().map(|f| f.name))
            .collect()
    }

    /// Resolves a field reference for `source` (fields.md §2): `name` is the field token
    /// as written (e.g. `proc.aname`, `evt.arg.flags`, `k8s.pod.label`) and `arg` the
    /// bracket argument if any (`Some("2")` for `proc.aname[2]`).
    ///
    /// Like libsinsp, the text `name[arg]` is offered to each class in order; the first
    /// class in which some field name is a prefix of it decides, and fails unless it
    /// consumes the whole text (`filter_check called with nonexistent field X`). Classes
    /// with argument rules may raise their own errors (`unknown event argument X`,
    /// `evt.arg fields must be expressed explicitly`, plugin argument errors, …).
    pub fn lookup(
        &self,
        source: &str,
        name: &str,
        arg: Option<&str>,
    ) -> Result<ResolvedField, FieldError> {
        let Some(classes) = self.classes(source) else {
            return Err(FieldError {
                kind: FieldErrorKind::UnknownSource,
                message: format!("unknown event source {source}"),
            });
        };
        let full = match arg {
            Some(a) if !a.is_empty() => format!("{name}[{a}]"),
            _ => name.to_string(),
        };
        for class in classes {
            if let Some(resolved) = resolve::parse_in_class(class, &full)? {
                if resolved.consumed != full.len() {
                    return Err(FieldError::nonexistent(&full));
                }
                let plugin = self
                    .plugins
                    .iter()
                    .copied()
                    .find(|p| std::ptr::eq(&p.class, class));
                return Ok(resolved.finish(full, class, plugin));
            }
        }
        Err(FieldError::nonexistent(&full))
    }
}

impl PluginProfile {
    /// Resolves the field that starts `text` (the rest of an output format after `%`), as
    /// libsinsp's formatter does (`new_filter_check_from_fldname` without the exact-length
    /// check): the first class that knows a field name prefixing `text` decides and
    /// reports how many bytes it consumed. `Ok(None)` when no class knows it (the
    /// formatter's `invalid formatting token`); class errors are returned as with
    /// [`lookup`](Self::lookup).
    pub fn lookup_prefix(
        &self,
        source: &str,
        text: &str,
    ) -> Result<Option<(ResolvedField, usize)>, FieldError> {
        let Some(classes) = self.classes(source) else {
            return Err(FieldError {
                kind: FieldErrorKind::UnknownSource,
                message: format!("unknown event source {source}"),
            });
        };
        for class in classes {
            if let Some(resolved) = resolve::parse_in_class(class, text)? {
                let consumed = resolved.consumed.min(text.len());
                let name = text.get(..consumed).unwrap_or(text).to_string();
                let plugin = self
                    .plugins
                    .iter()
                    .copied()
                    .find(|p| std::ptr::eq(&p.class, class));
                return Ok(Some((resolved.finish(name, class, plugin), consumed)));
            }
        }
        Ok(None)
    }
}

/// [`PluginProfile::lookup`] with the default profile ([`PluginProfile::all`]).
pub fn lookup(source: &str, name: &str, arg: Option<&str>) -> Result<ResolvedField, FieldError> {
    DEFAULT_PROFILE.lookup(source, name, arg)
}

/// The default profile used by [`lookup`] ([`PluginProfile::all`]).
pub fn default_profile() -> &'static PluginProfile {
    &DEFAULT_PROFILE
}

#[cfg(test)]
mod tests;
