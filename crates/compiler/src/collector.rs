//! The collector: merges declarations across files the way Falco's rule collector does
//! (rules-file.md §4): redefinition keeps the first position, `append`/`override` need a
//! previous item (except list/macro `replace`), standalone `enabled` items, and the
//! exception append rules of §6.4.

use crate::decl::*;
use crate::exceptions::{self, Strings};
use crate::issue::{Issue, Loc};
use crate::result::Code;
use crate::text::SourcedText;
use crate::version::Version;
use rustc_hash::FxHashMap;

/// A list as collected.
#[derive(Debug, Clone, PartialEq)]
pub struct ListState {
    /// Name.
    pub name: String,
    /// Items, in order.
    pub items: Vec<String>,
    /// Position of the first definition.
    pub first: ItemAt,
    /// Position of the latest definition or append.
    pub last: ItemAt,
}

/// A macro as collected.
#[derive(Debug, Clone, PartialEq)]
pub struct MacroState {
    /// Name.
    pub name: String,
    /// Condition text (appends concatenated).
    pub condition: SourcedText,
    /// Offset of the (latest defining) condition scalar.
    pub condition_offset: usize,
    /// Visibility stamp of the first definition.
    pub first_defined: usize,
    /// Visibility stamp of the latest definition or append.
    pub last_defined: usize,
    /// Position of the first definition.
    pub first: ItemAt,
    /// Position of the latest definition or append.
    pub last: ItemAt,
}

/// A rule as collected.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleState {
    /// Name.
    pub name: String,
    /// Event source (`syscall` unless given).
    pub source: String,
    /// Whether `source` was written on the defining item.
    pub source_explicit: bool,
    /// The merged definition.
    pub def: RuleDef,
    /// Position of the first definition.
    pub first: ItemAt,
    /// Position of the latest item that changed it.
    pub last: ItemAt,
}

/// Everything collected so far, in first-definition order.
#[derive(Debug, Clone, Default)]
pub struct Collection {
    /// Lists.
    pub lists: Vec<ListState>,
    /// Macros.
    pub macros: Vec<MacroState>,
    /// Rules.
    pub rules: Vec<RuleState>,
    /// Highest `required_engine_version` seen.
    pub required_engine_version: Option<Version>,
    /// Plugin requirements, in order.
    pub plugin_requirements: Vec<PluginRequirement>,
    list_index: FxHashMap<String, usize>,
    macro_index: FxHashMap<String, usize>,
    rule_index: FxHashMap<String, usize>,
    stamp: usize,
}

/// Decides whether a field exists for a source (for exception validation).
pub type FieldCheck<'a> = &'a dyn Fn(&str, &str) -> bool;

impl Collection {
    /// Finds a list by name.
    pub fn list(&self, name: &str) -> Option<&ListState> {
        self.list_index.get(name).map(|&i| &self.lists[i])
    }

    /// Finds a macro by name.
    pub fn macro_(&self, name: &str) -> Option<&MacroState> {
        self.macro_index.get(name).map(|&i| &self.macros[i])
    }

    /// Finds a rule by name.
    pub fn rule(&self, name: &str) -> Option<&RuleState> {
        self.rule_index.get(name).map(|&i| &self.rules[i])
    }

    fn next_stamp(&mut self) -> usize {
        self.stamp += 1;
        self.stamp
    }

    /// Applies one declaration. Returns warnings, or the error that stops the file.
    pub fn apply(&mut self, decl: Decl, fields: FieldCheck<'_>) -> Result<Vec<Issue>, Issue> {
        match decl {
            Decl::EngineVersion(v, _) => {
                if self.required_engine_version.is_none_or(|old| v > old) {
                    self.required_engine_version = Some(v);
                }
                Ok(Vec::new())
            }
            Decl::PluginVersions(reqs, _) => {
                self.plugin_requirements.extend(reqs);
                Ok(Vec::new())
            }
            Decl::List(l) => self.list_decl(l).map(|_| Vec::new()),
            Decl::Macro(m) => self.macro_decl(m).map(|_| Vec::new()),
            Decl::Rule(r) => self.rule_decl(r, fields),
        }
    }

    fn list_decl(&mut self, l: ListDecl) -> Result<(), Issue> {
        match (self.list_index.get(&l.name).copied(), l.update) {
            (Some(i), Update::Append) => {
                let s = &mut self.lists[i];
                s.items.extend(l.items);
                s.last = l.at;
            }
            (None, Update::Append) => {
                return Err(issue(
                    "List uses 'append' or 'override.items: append' but no list by that name already exists",
                    "list",
                    &l.name,
                    l.at,
                ))
            }
            (Some(i), _) => {
                let s = &mut self.lists[i];
                s.items = l.items;
                s.last = l.at;
            }
            (None, _) => {
                self.list_index.insert(l.name.clone(), self.lists.len());
                self.lists.push(ListState {
                    name: l.name,
                    items: l.items,
                    first: l.at,
                    last: l.at,
                });
            }
        }
        Ok(())
    }

    fn macro_decl(&mut self, m: MacroDecl) -> Result<(), Issue> {
        let stamp = self.next_stamp();
        match (self.macro_index.get(&m.name).copied(), m.update) {
            (Some(i), Update::Append) => {
                let s = &mut self.macros[i];
                s.condition.push_synthetic(" ", None);
                s.condition.push_text(&m.condition);
                s.last_defined = stamp;
                s.last = m.at;
            }
            (None, Update::Append) => {
                return Err(issue(
                    "Macro uses 'append' or 'override.condition: append' but no macro by that name already exists",
                    "macro",
                    &m.name,
                    m.at,
                ))
            }
            (Some(i), _) => {
                let s = &mut self.macros[i];
                s.condition = m.condition;
                s.condition_offset = m.condition_offset;
                s.last_defined = stamp;
                s.last = m.at;
            }
            (None, _) => {
                self.macro_index.insert(m.name.clone(), self.macros.len());
                self.macros.push(MacroState {
                    name: m.name,
                    condition: m.condition,
                    condition_offset: m.condition_offset,
                    first_defined: stamp,
                    last_defined: stamp,
                    first: m.at,
                    last: m.at,
                });
            }
        }
        Ok(())
    }

    fn rule_decl(&mut self, r: RuleDecl, fields: FieldCheck<'_>) -> Result<Vec<Issue>, Issue> {
        let existing = self.rule_index.get(&r.name).copied();
        let mut warnings = Vec::new();
        if let (Some(i), Some(src)) = (existing, &r.source) {
            let old = &self.rules[i];
            if old.source_explicit && &old.source != src {
                return Err(issue(
                    "Rule has been re-defined with a different source",
                    "rule",
                    &r.name,
                    r.at,
                ));
            }
        }
        match r.body {
            RuleBody::Define(def) => {
                let source = r.source.clone().unwrap_or_else(|| "syscall".to_string());
                validate_exceptions(&def.exceptions, &source, &r.name, r.at, fields, true)?;
                let state = RuleState {
                    name: r.name.clone(),
                    source,
                    source_explicit: r.source.is_some(),
                    def: *def,
                    first: r.at,
                    last: r.at,
                };
                match existing {
                    Some(i) => {
                        let first = self.rules[i].first;
                        self.rules[i] = RuleState { first, ..state };
                    }
                    None => {
                        self.rule_index.insert(r.name, self.rules.len());
                        self.rules.push(state);
                    }
                }
            }
            RuleBody::Append {
                condition,
                exceptions,
            } => {
                let Some(i) = existing else {
                    return Err(issue(
                        "Rule uses 'append' or 'override.<key>: append' but no rule by that name already exists",
                        "rule",
                        &r.name,
                        r.at,
                    ));
                };
                let patch = RulePatch {
                    condition,
                    exceptions,
                    ..RulePatch::default()
                };
                warnings.extend(self.append_to_rule(i, patch, r.at, fields)?);
            }
            RuleBody::Override { append, replace } => {
                let Some(i) = existing else {
                    let msg = if *append != RulePatch::default() {
                        "Rule uses 'append' or 'override.<key>: append' but no rule by that name already exists"
                    } else {
                        "An 'override.<key>: replace' to a rule was requested but no rule by that name already exists"
                    };
                    return Err(issue(msg, "rule", &r.name, r.at));
                };
                warnings.extend(self.append_to_rule(i, *append, r.at, fields)?);
                self.replace_in_rule(i, *replace, r.at, fields)?;
            }
            RuleBody::Enable(enabled) => {
                let Some(i) = existing else {
                    return Err(issue(
                        "Rule has 'enabled' key but no rule by that name already exists",
                        "rule",
                        &r.name,
                        r.at,
                    ));
                };
                self.rules[i].def.enabled = enabled;
                self.rules[i].last = r.at;
            }
        }
        Ok(warnings)
    }

    fn append_to_rule(
        &mut self,
        i: usize,
        patch: RulePatch,
        at: ItemAt,
        fields: FieldCheck<'_>,
    ) -> Result<Vec<Issue>, Issue> {
        let warnings = Vec::new();
        let name = self.rules[i].name.clone();
        let source = self.rules[i].source.clone();
        if let Some(excs) = patch.exceptions {
            for e in excs {
                let rule = &mut self.rules[i];
                let found = rule
                    .def
                    .exceptions
                    .iter_mut()
                    .find(|x| x.exception.name == e.exception.name);
                match found {
                    Some(old) => {
                        if e.has_fields {
                            return Err(exception_issue(
                                "Can not append exception fields to existing exception, only values",
                                &name,
                                at,
                                &e,
                            ));
                        }
                        if e.has_comps {
                            return Err(exception_issue(
                                "Can not append exception comps to existing exception, only values",
                                &name,
                                at,
                                &e,
                            ));
                        }
                        old.exception.values.extend(e.exception.values);
                    }
                    None => {
                        if !e.has_fields {
                            return Err(exception_issue(
                                "Rule exception must have fields property with a list of fields",
                                &name,
                                at,
                                &e,
                            ));
                        }
                        if !e.has_values {
                            return Err(exception_issue(
                                "Rule exception must have values property with a list of values",
                                &name,
                                at,
                                &e,
                            ));
                        }
                        validate_exceptions(
                            std::slice::from_ref(&e),
                            &source,
                            &name,
                            at,
                            fields,
                            false,
                        )?;
                        rule.def.exceptions.push(e);
                    }
                }
            }
        }
        let rule = &mut self.rules[i];
        if let Some(c) = patch.condition {
            rule.def.condition.push_synthetic(" ", None);
            rule.def.condition.push_text(&c);
        }
        if let Some(o) = patch.output {
            if !o.text.is_empty() {
                rule.def.output.push_synthetic(" ", None);
                rule.def.output.push_text(&o);
            }
        }
        if let Some(d) = patch.desc {
            if !d.is_empty() {
                rule.def.desc.push(' ');
                rule.def.desc.push_str(&d);
            }
        }
        if let Some(t) = patch.tags {
            rule.def.tags.extend(t);
        }
        rule.last = at;
        Ok(warnings)
    }

    fn replace_in_rule(
        &mut self,
        i: usize,
        patch: RulePatch,
        at: ItemAt,
        fields: FieldCheck<'_>,
    ) -> Result<(), Issue> {
        let name = self.rules[i].name.clone();
        let source = self.rules[i].source.clone();
        if let Some(e) = &patch.exceptions {
            validate_exceptions(e, &source, &name, at, fields, true)?;
        }
        let d = &mut self.rules[i].def;
        if let Some(v) = patch.condition {
            d.condition = v;
        }
        if let Some(v) = patch.output {
            d.output = v;
        }
        if let Some(v) = patch.desc {
            d.desc = v;
        }
        if let Some(v) = patch.priority {
            d.priority = v;
        }
        if let Some(v) = patch.tags {
            d.tags = v.into_iter().collect();
        }
        if let Some(v) = patch.exceptions {
            d.exceptions = v;
        }
        if let Some(v) = patch.enabled {
            d.enabled = v;
        }
        if let Some(v) = patch.warn_evttypes {
            d.warn_evttypes = v;
        }
        if let Some(v) = patch.skip_if_unknown_filter {
            d.skip_if_unknown_filter = v;
        }
        if let Some(v) = patch.capture {
            d.capture = v;
        }
        if let Some(v) = patch.capture_duration {
            d.capture_duration = v;
        }
        self.rules[i].last = at;
        Ok(())
    }
}

fn issue(message: &str, item_type: &'static str, name: &str, at: ItemAt) -> Issue {
    Issue::new(
        Code::LoadErrValidate,
        message,
        at.file,
        vec![Loc::new(item_type, name, at.offset)],
    )
    .at(falcoc_lang::Span::new(at.offset, at.end))
}

fn exception_issue(message: &str, rule: &str, at: ItemAt, e: &ExceptionDecl) -> Issue {
    let mut i = issue(message, "rule", rule, at);
    i.locs
        .push(Loc::new("exception", e.exception.name.clone(), e.offset));
    i.span = Some((at.file, falcoc_lang::Span::new(e.offset, e.offset + 4)));
    i
}

/// Falco's exception checks (rules-file.md §6.2).
fn validate_exceptions(
    list: &[ExceptionDecl],
    source: &str,
    rule: &str,
    at: ItemAt,
    fields: FieldCheck<'_>,
    definition: bool,
) -> Result<(), Issue> {
    for e in list {
        let x = &e.exception;
        let err = |m: String| exception_issue(&m, rule, at, e);
        match &x.fields {
            None => {
                let m = if definition {
                    "Rule exception item must have fields property with a list of fields"
                } else {
                    "Rule exception must have fields property with a list of fields"
                };
                return Err(err(m.to_string()));
            }
            Some(Strings::Many(fs)) => {
                match &x.comps {
                    Some(Strings::Many(cs)) => {
                        if cs.len() != fs.len() {
                            return Err(
                                err("Fields and comps lists must have equal length".into()),
                            );
                        }
                        for c in cs {
                            if !exceptions::is_supported_comp(c) {
                                return Err(err(format!(
                                    "'{c}' is not a supported comparison operator"
                                )));
                            }
                        }
                    }
                    Some(Strings::One(_)) => {
                        return Err(err("Fields and comps lists must have equal length".into()))
                    }
                    None => {}
                }
                for f in fs {
                    if !fields(source, f) {
                        return Err(err(format!("'{f}' is not a supported filter field")));
                    }
                }
            }
            Some(Strings::One(f)) => {
                match &x.comps {
                    Some(Strings::Many(_)) => {
                        return Err(err("Fields and comps must both be strings".into()))
                    }
                    Some(Strings::One(c))
                        if !(exceptions::is_list_comp(c) && exceptions::is_supported_comp(c)) =>
                    {
                        return Err(err(
                            "When fields is a single value, comps must be one of (in, pmatch, intersects) or a modifier operator (e.g. startswith oneof)"
                                .into(),
                        ));
                    }
                    _ => {}
                }
                if !fields(source, f) {
                    return Err(err(format!("'{f}' is not a supported filter field")));
                }
            }
        }
    }
    Ok(())
}
