//! Decoding items into declarations, with Falco's shape checks and messages
//! (rules-file.md §1–§4, §6.1; Falco's `rule_loader_reader`).
//!
//! Every decode error is `LOAD_ERR_YAML_VALIDATE` unless noted, located by a context chain
//! built the way Falco builds it (item, `value for` a key, exception, …).

use crate::decl::*;
use crate::exceptions::{Exception, ExceptionValue, Strings};
use crate::issue::{Issue, Loc};
use crate::priority::Priority;
use crate::result::Code;
use crate::text::SourcedText;
use crate::version::Version;
use falcoc_lang::rulefile::{Item, ItemKind, Mapping, Node, Scalar, ValueMap};
use falcoc_lang::Span;

/// The YAML scalars that conditions and outputs were copied from, so that positions in
/// derived texts can be mapped back to files.
#[derive(Debug, Default, Clone)]
pub struct ScalarStore {
    /// The index of the first scalar (not 0 for a [`continuation`](Self::continuation)).
    base: usize,
    /// Per scalar: its file and where its value's bytes come from.
    scalars: Vec<(usize, ValueMap)>,
}

impl ScalarStore {
    /// Stores a scalar of file `file`; returns its index.
    pub fn add(&mut self, file: usize, s: &Scalar) -> usize {
        self.scalars.push((file, s.value_map()));
        self.base + self.scalars.len() - 1
    }

    /// An empty store whose scalars are numbered after this one's, for decoding ahead
    /// (on another thread); [`append`](Self::append) it to this store before adding more.
    pub fn continuation(&self) -> ScalarStore {
        ScalarStore {
            base: self.base + self.scalars.len(),
            scalars: Vec::new(),
        }
    }

    /// Appends a [`continuation`](Self::continuation) of this store; `false` (and
    /// nothing appended) if scalars were added here since it was made.
    pub fn append(&mut self, next: ScalarStore) -> bool {
        if next.base != self.base + self.scalars.len() {
            return false;
        }
        self.scalars.extend(next.scalars);
        true
    }

    fn get(&self, index: usize) -> Option<&(usize, ValueMap)> {
        self.scalars.get(index.checked_sub(self.base)?)
    }

    /// The file and byte offset of `value_offset` in scalar `index`.
    pub fn source(&self, index: usize, value_offset: usize) -> Option<(usize, usize)> {
        let (file, s) = self.get(index)?;
        Some((*file, s.source_offset(value_offset)))
    }

    /// The file and source span of bytes `range` of scalar `index`'s value.
    pub fn source_span(
        &self,
        index: usize,
        range: std::ops::Range<usize>,
    ) -> Option<(usize, Span)> {
        let (file, s) = self.get(index)?;
        Some((*file, s.source_span(range)))
    }
}

/// What decoding one item gives: the declaration (none for unknown items) and warnings.
pub type Decoded = (Option<Decl>, Vec<Issue>);

/// The failure of one item: the error and the warnings raised before it.
pub type Failed = Box<(Issue, Vec<Issue>)>;

const WARNING_APPEND: &str =
    "'append' key is deprecated. Add an 'append' entry (e.g. 'condition: append') under 'override' instead.";
const WARNING_ENABLED: &str = "The standalone 'enabled' key usage is deprecated. The correct approach requires also a 'replace' entry under the 'override' key (i.e. 'enabled: replace').";
const ERROR_OVERRIDE_APPEND: &str = "Keys 'override' and 'append: true' cannot be used together. Add an 'append' entry (e.g. 'condition: append') under 'override' instead.";
const INVALID_LIST_NAME: &str = "List has an invalid name. List names should match a regular expression: ([^()\"'[:space:]=,]+)";
const INVALID_MACRO_NAME: &str = "Macro has an invalid name. Macro names should match a regular expression: ([a-zA-Z]+[a-zA-Z0-9_]*)";

/// The keys a rule override may append to, and replace.
const RULE_APPEND_KEYS: [&str; 5] = ["condition", "output", "desc", "tags", "exceptions"];
const RULE_REPLACE_KEYS: [&str; 11] = [
    "condition",
    "output",
    "desc",
    "priority",
    "tags",
    "exceptions",
    "enabled",
    "warn_evttypes",
    "skip-if-unknown-filter",
    "capture",
    "capture_duration",
];

/// Decoding state for one item.
struct Cx<'a> {
    file: usize,
    order: usize,
    item: &'a Item,
    scalars: &'a mut ScalarStore,
    warnings: Vec<Issue>,
}

type R<T> = Result<T, Issue>;

fn err(file: usize, chain: &[Loc], message: impl Into<String>, span: Span) -> Issue {
    Issue::new(Code::LoadErrYamlValidate, message, file, chain.to_vec()).at(span)
}

/// Decodes one item of file `file`; `order` is its position in the whole load.
pub fn decode_item(
    item: &Item,
    file: usize,
    order: usize,
    scalars: &mut ScalarStore,
) -> Result<Decoded, Failed> {
    let mut cx = Cx {
        file,
        order,
        item,
        scalars,
        warnings: Vec::new(),
    };
    match cx.decode() {
        Ok(d) => Ok((d, cx.warnings)),
        Err(e) => Err(Box::new((e, cx.warnings))),
    }
}

/// yaml-cpp's boolean spellings.
fn parse_bool(s: &str) -> Option<bool> {
    // Each of true/yes/on/y and false/no/off/n as written, capitalised and upper-case.
    match s {
        "true" | "True" | "TRUE" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "y" | "Y" => {
            Some(true)
        }
        "false" | "False" | "FALSE" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "n" | "N" => {
            Some(false)
        }
        _ => None,
    }
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn is_bare_string(s: &str) -> bool {
    !s.is_empty()
        && !s.bytes().any(|b| {
            matches!(b, b'(' | b')' | b'"' | b'\'' | b'=' | b',')
                || b.is_ascii_whitespace()
                || b == 0x0b
        })
}

impl Cx<'_> {
    fn map(&self) -> &Mapping {
        &self.item.map
    }

    /// Falco's item position: the item mapping's mark.
    fn item_offset(&self) -> usize {
        self.item.map.span.start as usize
    }

    fn at(&self) -> ItemAt {
        ItemAt {
            file: self.file,
            order: self.order,
            offset: self.item_offset(),
            end: self.item.key_span.end as usize,
        }
    }

    fn key_span(&self) -> Span {
        self.item.key_span
    }

    fn warn(&mut self, code: Code, message: &str, chain: &[Loc], span: Span) {
        self.warnings
            .push(Issue::new(code, message, self.file, chain.to_vec()).at(span));
    }

    /// `decode_val` for a string: the scalar of `key` in `map`.
    fn scalar<'m>(
        &self,
        map: &'m Mapping,
        key: &str,
        chain: &[Loc],
        optional: bool,
    ) -> R<Option<&'m Scalar>> {
        let Some(entry) = map.get_entry(key) else {
            return self.missing(map, key, chain, optional);
        };
        let v = &entry.value;
        if v.is_null() {
            return Err(err(
                self.file,
                chain,
                format!("Mapping for key '{key}' is empty"),
                entry.key.span(),
            ));
        }
        // The location chain is only built for an error (the common case has none).
        let vchain = || {
            let mut c = chain.to_vec();
            c.push(Loc::new("value for", key, v.span().start as usize));
            c
        };
        let Some(s) = v.as_scalar() else {
            return Err(err(
                self.file,
                &vchain(),
                "Value is not a scalar value",
                v.span(),
            ));
        };
        if s.value().is_empty() {
            return Err(err(
                self.file,
                &vchain(),
                "Value must be non-empty",
                v.span(),
            ));
        }
        Ok(Some(s))
    }

    fn string(&self, map: &Mapping, key: &str, chain: &[Loc], optional: bool) -> R<Option<String>> {
        Ok(self
            .scalar(map, key, chain, optional)?
            .map(|s| s.value().to_string()))
    }

    /// A scalar converted by `convert` (yaml-cpp's `convert<T>::decode`): `Can't decode
    /// YAML scalar value` when it does not convert.
    fn decoded<T>(
        &self,
        map: &Mapping,
        key: &str,
        chain: &[Loc],
        optional: bool,
        convert: impl Fn(&str) -> Option<T>,
    ) -> R<Option<T>> {
        let Some(s) = self.scalar(map, key, chain, optional)? else {
            return Ok(None);
        };
        match convert(s.value()) {
            Some(v) => Ok(Some(v)),
            None => {
                let mut vchain = chain.to_vec();
                vchain.push(Loc::new("value for", key, s.span().start as usize));
                Err(err(
                    self.file,
                    &vchain,
                    "Can't decode YAML scalar value",
                    s.span(),
                ))
            }
        }
    }

    fn boolean(&self, map: &Mapping, key: &str, chain: &[Loc], optional: bool) -> R<Option<bool>> {
        self.decoded(map, key, chain, optional, parse_bool)
    }

    fn unsigned(&self, map: &Mapping, key: &str, chain: &[Loc], optional: bool) -> R<Option<u64>> {
        self.decoded(map, key, chain, optional, |v| v.trim().parse::<u64>().ok())
    }

    /// `Item has no mapping for key 'K'`, unless the key is optional.
    fn missing<T>(&self, map: &Mapping, key: &str, chain: &[Loc], optional: bool) -> R<Option<T>> {
        if optional {
            return Ok(None);
        }
        Err(err(
            self.file,
            chain,
            format!("Item has no mapping for key '{key}'"),
            map.span,
        ))
    }

    /// `decode_seq`: a sequence of scalars (`items`, `tags`).
    fn sequence(&self, key: &str, chain: &[Loc], optional: bool) -> R<Option<Vec<String>>> {
        let map = self.map();
        let Some(entry) = map.get_entry(key) else {
            return self.missing(map, key, chain, optional);
        };
        let v = &entry.value;
        // The location chains are only built for an error (the common case has none).
        let vchain = || {
            let mut c = chain.to_vec();
            c.push(Loc::new("value for", key, v.span().start as usize));
            c
        };
        let Some(seq) = v.as_sequence() else {
            return Err(err(
                self.file,
                &vchain(),
                "Value is not a sequence",
                v.span(),
            ));
        };
        let mut out = Vec::with_capacity(seq.items.len());
        for n in &seq.items {
            let ichain = || {
                let mut c = vchain();
                c.push(Loc::new("list item", "", n.span().start as usize));
                c
            };
            match n {
                Node::Scalar(s) => out.push(s.value().to_string()),
                // yaml-cpp converts a null element to the text "~"? It fails the scalar
                // test: a null node is not a scalar.
                _ => {
                    return Err(err(
                        self.file,
                        &ichain(),
                        "sequence value is not scalar",
                        n.span(),
                    ))
                }
            }
        }
        Ok(Some(out))
    }

    /// `decode_overrides`: the `override:` map as (append keys, replace keys).
    fn overrides(
        &self,
        chain: &[Loc],
        can_append: &[&str],
        can_replace: &[&str],
    ) -> R<(Vec<String>, Vec<String>)> {
        let mut append = Vec::new();
        let mut replace = Vec::new();
        let Some(entry) = self.map().get_entry("override") else {
            return Ok((append, replace));
        };
        let mut ochain = chain.to_vec();
        ochain.push(Loc::new("overrides", "", self.item_offset()));
        let entries: &[falcoc_lang::rulefile::Entry] = match &entry.value {
            Node::Mapping(m) => &m.entries,
            Node::Null(_) => &[],
            other => {
                return Err(err(
                    self.file,
                    &ochain,
                    "Can't decode YAML scalar value",
                    other.span(),
                ))
            }
        };
        for e in entries {
            let (Some(key), Some(op)) = (e.key.as_str(), e.value.as_str()) else {
                return Err(err(
                    self.file,
                    &ochain,
                    "Can't decode YAML scalar value",
                    e.value.span(),
                ));
            };
            let is_app = can_append.contains(&key);
            let is_rep = can_replace.contains(&key);
            let mut kchain = ochain.clone();
            match op {
                "append" => {
                    kchain.push(Loc::new("overrides", key, e.key.span().start as usize));
                    if !is_app {
                        return Err(err(
                            self.file,
                            &kchain,
                            format!("Key '{key}' cannot be appended to, use 'replace' instead"),
                            e.key.span(),
                        ));
                    }
                    append.push(key.to_string());
                }
                "replace" => {
                    kchain.push(Loc::new("overrides", key, e.key.span().start as usize));
                    if !is_rep {
                        return Err(err(
                            self.file,
                            &kchain,
                            format!("Key '{key}' cannot be replaced"),
                            e.key.span(),
                        ));
                    }
                    replace.push(key.to_string());
                }
                other => {
                    kchain.push(Loc::new("value for", key, e.value.span().start as usize));
                    let mut m = format!("Invalid override operation for key '{key}': '{other}'. Allowed values are: ");
                    if is_app {
                        m.push_str("append ");
                    }
                    if is_rep {
                        m.push_str("replace ");
                    }
                    return Err(err(self.file, &kchain, m, e.value.span()));
                }
            }
        }
        Ok((append, replace))
    }

    fn sourced(&mut self, s: &Scalar, trim: bool) -> SourcedText {
        let id = self.scalars.add(self.file, s);
        let v = s.value();
        if trim {
            let is_ws = |c: char| matches!(c, ' ' | '\t' | '\n' | '\r' | '\u{b}' | '\u{c}');
            let start = v.len() - v.trim_start_matches(is_ws).len();
            let end = v.trim_end_matches(is_ws).len().max(start);
            SourcedText::from_scalar_part(v, start..end, id)
        } else {
            SourcedText::from_scalar(v, id)
        }
    }

    fn decode(&mut self) -> R<Option<Decl>> {
        let item_off = self.item_offset();
        match self.item.kind {
            ItemKind::Unknown => {
                let chain = [Loc::new("rules content item", "", item_off)];
                self.warn(
                    Code::LoadUnknownItem,
                    "Unknown top level item",
                    &chain,
                    self.key_span(),
                );
                Ok(None)
            }
            ItemKind::RequiredEngineVersion => self.engine_version().map(Some),
            ItemKind::RequiredPluginVersions => self.plugin_versions().map(Some),
            ItemKind::List => self.list().map(Some),
            ItemKind::Macro => self.macro_().map(Some),
            ItemKind::Rule => self.rule().map(Some),
        }
    }

    fn engine_version(&mut self) -> R<Decl> {
        let chain = [Loc::new("required_engine_version", "", self.item_offset())];
        let map = self.map().clone();
        let text = self
            .string(&map, "required_engine_version", &chain, false)?
            .unwrap_or_default();
        let version = if !text.is_empty()
            && text.bytes().all(|b| b.is_ascii_digit())
            && text.parse::<u32>().is_ok()
        {
            Version::parse_engine_requirement(&text)
        } else {
            Version::parse_semver(&text)
        };
        match version {
            Some(v) => Ok(Decl::EngineVersion(v, self.at())),
            None => Err(err(
                self.file,
                &chain,
                format!("Unable to parse engine version '{text}' as a semver string. Expected \"x.y.z\" semver format."),
                self.key_span(),
            )),
        }
    }

    fn plugin_versions(&mut self) -> R<Decl> {
        let node = self
            .map()
            .get("required_plugin_versions")
            .cloned()
            .unwrap_or(Node::Null(falcoc_lang::rulefile::Null {
                span: self.key_span(),
            }));
        let chain = vec![Loc::new(
            "required plugin versions",
            "",
            node.span().start as usize,
        )];
        let Some(seq) = node.as_sequence() else {
            return Err(err(
                self.file,
                &chain,
                "Value of required_plugin_versions must be a sequence",
                node.span(),
            ));
        };
        let mut reqs = Vec::new();
        for p in &seq.items {
            let (name, version, pchain) = self.name_version(
                p,
                &chain,
                "required plugin versions entry",
                "Plugin version must be a mapping",
            )?;
            let mut alternatives = vec![(name, version)];
            if let Some(alts) = p.get("alternatives") {
                let Some(aseq) = alts.as_sequence() else {
                    return Err(err(
                        self.file,
                        &pchain,
                        "Value of plugin version alternatives must be a sequence",
                        alts.span(),
                    ));
                };
                for a in &aseq.items {
                    let (an, av, _) = self.name_version(
                        a,
                        &pchain,
                        "required plugin versions alternative",
                        "Plugin version alternative must be a mapping",
                    )?;
                    alternatives.push((an, av));
                }
            }
            // Falco checks the versions and duplicate names when collecting.
            let mut seen = std::collections::HashSet::new();
            let mut parsed = Vec::new();
            for (n, v) in alternatives {
                let vchain = pchain.clone();
                let Some(ver) = Version::parse_semver(&v) else {
                    let mut e = err(
                        self.file,
                        &vchain,
                        format!("Invalid required version '{v}' for plugin '{n}'"),
                        p.span(),
                    );
                    e.code = Code::LoadErrValidate;
                    return Err(e);
                };
                if !seen.insert(n.clone()) {
                    let mut e = err(
                        self.file,
                        &vchain,
                        format!(
                            "Defined multiple alternative version requirements for plugin '{n}'"
                        ),
                        p.span(),
                    );
                    e.code = Code::LoadErrValidate;
                    return Err(e);
                }
                parsed.push((n, ver));
            }
            reqs.push(PluginRequirement {
                alternatives: parsed,
            });
        }
        Ok(Decl::PluginVersions(reqs, self.at()))
    }

    /// A `{name, version}` mapping of a plugin requirement (an entry or an alternative):
    /// the name, the version, and the context chain that names it.
    fn name_version(
        &self,
        node: &Node,
        parent: &[Loc],
        item_type: &'static str,
        not_a_mapping: &str,
    ) -> R<(String, String, Vec<Loc>)> {
        let mut chain = parent.to_vec();
        chain.push(Loc::new(item_type, "", node.span().start as usize));
        let Some(m) = node.as_mapping() else {
            return Err(err(self.file, &chain, not_a_mapping, node.span()));
        };
        let name = self.string(m, "name", &chain, false)?.unwrap_or_default();
        if let Some(last) = chain.last_mut() {
            last.item_name = name.clone();
        }
        let version = self
            .string(m, "version", &chain, false)?
            .unwrap_or_default();
        Ok((name, version, chain))
    }

    fn list(&mut self) -> R<Decl> {
        let off = self.item_offset();
        let tmp = [Loc::new("list", "", off)];
        let map = self.map().clone();
        let name = self.string(&map, "list", &tmp, false)?.unwrap_or_default();
        let chain = [Loc::new("list", name.clone(), off)];
        if !is_bare_string(&name) {
            self.warn(
                Code::LoadInvalidListName,
                INVALID_LIST_NAME,
                &chain,
                self.key_span(),
            );
        }
        let items = self.sequence("items", &chain, false)?.unwrap_or_default();
        let update = self.update_mode(&map, &chain, "items")?;
        Ok(Decl::List(ListDecl {
            name,
            items,
            update,
            at: self.at(),
        }))
    }

    /// How a list or macro item updates what came before: the deprecated `append: true`
    /// (with its warning) or `override: {key: append|replace}` for its one overridable key
    /// — not both.
    fn update_mode(&mut self, map: &Mapping, chain: &[Loc], key: &str) -> R<Update> {
        let append = self.boolean(map, "append", chain, true)?.unwrap_or(false);
        if append {
            self.warn(
                Code::LoadDeprecatedItem,
                WARNING_APPEND,
                chain,
                self.key_span(),
            );
        }
        let (app, rep) = self.overrides(chain, &[key], &[key])?;
        if append && !(app.is_empty() && rep.is_empty()) {
            return Err(err(
                self.file,
                chain,
                ERROR_OVERRIDE_APPEND,
                self.key_span(),
            ));
        }
        Ok(if append || !app.is_empty() {
            Update::Append
        } else if !rep.is_empty() {
            Update::Replace
        } else {
            Update::Define
        })
    }

    fn macro_(&mut self) -> R<Decl> {
        let off = self.item_offset();
        let tmp = [Loc::new("macro", "", off)];
        let map = self.map().clone();
        let name = self.string(&map, "macro", &tmp, false)?.unwrap_or_default();
        let chain = [Loc::new("macro", name.clone(), off)];
        if !is_identifier(&name) {
            self.warn(
                Code::LoadInvalidMacroName,
                INVALID_MACRO_NAME,
                &chain,
                self.key_span(),
            );
        }
        let cond = self.scalar(&map, "condition", &chain, false)?.cloned();
        let update = self.update_mode(&map, &chain, "condition")?;
        let Some(cond) = cond else {
            return Err(err(
                self.file,
                &chain,
                "Item has no mapping for key 'condition'",
                self.key_span(),
            ));
        };
        let condition = self.sourced(&cond, false);
        Ok(Decl::Macro(MacroDecl {
            name,
            condition,
            condition_offset: cond.span().start as usize,
            update,
            at: self.at(),
        }))
    }

    fn rule(&mut self) -> R<Decl> {
        let off = self.item_offset();
        let tmp = [Loc::new("rule", "", off)];
        let map = self.map().clone();
        let name = self.string(&map, "rule", &tmp, false)?.unwrap_or_default();
        let chain = [Loc::new("rule", name.clone(), off)];
        let append_flag = self.boolean(&map, "append", &chain, true)?.unwrap_or(false);
        if append_flag {
            self.warn(
                Code::LoadDeprecatedItem,
                WARNING_APPEND,
                &chain,
                self.key_span(),
            );
        }
        let (app, rep) = self.overrides(&chain, &RULE_APPEND_KEYS, &RULE_REPLACE_KEYS)?;
        let has_overrides = !(app.is_empty() && rep.is_empty());
        if append_flag && has_overrides {
            return Err(err(
                self.file,
                &chain,
                ERROR_OVERRIDE_APPEND,
                self.key_span(),
            ));
        }
        // `source` is read on full definitions and overrides (not on legacy appends).
        let mut source = None;
        let body = if has_overrides {
            source = self.string(&map, "source", &chain, true)?;
            let mut expected: Vec<&str> = RULE_APPEND_KEYS
                .iter()
                .chain(RULE_REPLACE_KEYS.iter())
                .copied()
                .filter(|k| map.contains_key(k))
                .collect();
            expected.sort_unstable();
            expected.dedup();
            let append = self.patch(&map, &chain, &app, "append", &mut expected)?;
            let replace = self.patch(&map, &chain, &rep, "replace", &mut expected)?;
            if let Some(key) = expected.first() {
                let node_off = map.get(key).map_or(off, |n| n.span().start as usize);
                let mut kchain = chain.to_vec();
                kchain.push(Loc::new("overrides", *key, node_off));
                return Err(err(
                    self.file,
                    &kchain,
                    format!("Unexpected key '{key}': no corresponding entry under 'override' is defined."),
                    map.get(key).map_or(self.key_span(), Node::span),
                ));
            }
            RuleBody::Override {
                append: Box::new(append),
                replace: Box::new(replace),
            }
        } else if append_flag {
            let condition = match self.scalar(&map, "condition", &chain, true)? {
                Some(s) => {
                    let s = s.clone();
                    Some(self.sourced(&s, false))
                }
                None => None,
            };
            let exceptions = if map.contains_key("exceptions") {
                Some(self.exceptions(&map, &chain, true)?)
            } else {
                None
            };
            if condition.is_none() && exceptions.is_none() {
                let mut e = err(
                    self.file,
                    &chain,
                    "Appended rule must have exceptions or condition property",
                    self.key_span(),
                );
                e.code = Code::LoadErrValidate;
                return Err(e);
            }
            RuleBody::Append {
                condition,
                exceptions,
            }
        } else if !["condition", "output", "desc", "priority"]
            .iter()
            .any(|k| map.contains_key(k))
        {
            let enabled = self
                .boolean(&map, "enabled", &chain, false)?
                .unwrap_or(true);
            self.warn(
                Code::LoadDeprecatedItem,
                WARNING_ENABLED,
                &chain,
                self.key_span(),
            );
            RuleBody::Enable(enabled)
        } else {
            let cond = self.scalar(&map, "condition", &chain, false)?.cloned();
            let out = self.scalar(&map, "output", &chain, false)?.cloned();
            let desc = self
                .string(&map, "desc", &chain, false)?
                .unwrap_or_default();
            let prio_node = self.scalar(&map, "priority", &chain, false)?.cloned();
            let (Some(cond), Some(out), Some(prio_node)) = (cond, out, prio_node) else {
                return Err(err(
                    self.file,
                    &chain,
                    "Item has no mapping for key 'condition'",
                    self.key_span(),
                ));
            };
            let priority = self.priority(&prio_node, &chain)?;
            source = self.string(&map, "source", &chain, true)?;
            let enabled = self.boolean(&map, "enabled", &chain, true)?.unwrap_or(true);
            let warn_evttypes = self
                .boolean(&map, "warn_evttypes", &chain, true)?
                .unwrap_or(true);
            let skip = self
                .boolean(&map, "skip-if-unknown-filter", &chain, true)?
                .unwrap_or(false);
            let tags = self.sequence("tags", &chain, true)?.unwrap_or_default();
            let exceptions = self.exceptions(&map, &chain, false)?;
            let capture = self
                .boolean(&map, "capture", &chain, true)?
                .unwrap_or(false);
            let capture_duration = self
                .unsigned(&map, "capture_duration", &chain, true)?
                .unwrap_or(0);
            let condition = self.sourced(&cond, false);
            let output = self.sourced(&out, true);
            RuleBody::Define(Box::new(RuleDef {
                condition,
                condition_offset: cond.span().start as usize,
                output,
                output_offset: out.span().start as usize,
                desc,
                priority,
                enabled,
                tags: tags.into_iter().collect(),
                exceptions,
                warn_evttypes,
                skip_if_unknown_filter: skip,
                capture,
                capture_duration,
            }))
        };
        Ok(Decl::Rule(RuleDecl {
            name,
            source,
            body,
            at: self.at(),
        }))
    }

    fn priority(&self, s: &Scalar, chain: &[Loc]) -> R<Priority> {
        Priority::parse(s.value()).ok_or_else(|| {
            let mut pchain = chain.to_vec();
            pchain.push(Loc::new("rule priority", "", s.span().start as usize));
            err(self.file, &pchain, "Invalid priority", s.span())
        })
    }

    /// The keys of one override operation (`append` or `replace`).
    fn patch(
        &mut self,
        map: &Mapping,
        chain: &[Loc],
        keys: &[String],
        op: &str,
        expected: &mut Vec<&str>,
    ) -> R<RulePatch> {
        let mut p = RulePatch::default();
        // Falco visits the keys in this fixed order.
        let order = [
            "condition",
            "exceptions",
            "output",
            "desc",
            "tags",
            "priority",
            "enabled",
            "warn_evttypes",
            "skip-if-unknown-filter",
            "capture",
            "capture_duration",
        ];
        for key in order {
            if !keys.iter().any(|k| k == key) {
                continue;
            }
            let Some(pos) = expected.iter().position(|k| *k == key) else {
                return Err(err(
                    self.file,
                    chain,
                    format!(
                        "An {op} override for '{key}' was specified but '{key}' is not defined"
                    ),
                    self.key_span(),
                ));
            };
            expected.remove(pos);
            match key {
                "condition" => {
                    if let Some(s) = self.scalar(map, key, chain, false)?.cloned() {
                        p.condition = Some(self.sourced(&s, false));
                    }
                }
                "exceptions" => p.exceptions = Some(self.exceptions(map, chain, op == "append")?),
                "output" => {
                    if let Some(s) = self.scalar(map, key, chain, false)?.cloned() {
                        p.output = Some(self.sourced(&s, op == "replace"));
                    }
                }
                "desc" => p.desc = self.string(map, key, chain, false)?,
                "tags" => p.tags = self.sequence(key, chain, true)?,
                "priority" => {
                    if let Some(s) = self.scalar(map, key, chain, false)?.cloned() {
                        p.priority = Some(self.priority(&s, chain)?);
                    }
                }
                "enabled" => p.enabled = self.boolean(map, key, chain, false)?,
                "warn_evttypes" => p.warn_evttypes = self.boolean(map, key, chain, false)?,
                "skip-if-unknown-filter" => {
                    p.skip_if_unknown_filter = self.boolean(map, key, chain, false)?
                }
                "capture" => p.capture = self.boolean(map, key, chain, false)?,
                "capture_duration" => p.capture_duration = self.unsigned(map, key, chain, false)?,
                _ => {}
            }
        }
        Ok(p)
    }

    /// `read_rule_exceptions`.
    fn exceptions(&mut self, map: &Mapping, chain: &[Loc], append: bool) -> R<Vec<ExceptionDecl>> {
        let Some(exs) = map.get("exceptions") else {
            return Ok(Vec::new());
        };
        if exs.is_null() {
            return Ok(Vec::new());
        }
        let mut exchain = chain.to_vec();
        exchain.push(Loc::new("exceptions", "", exs.span().start as usize));
        let Some(seq) = exs.as_sequence() else {
            return Err(err(
                self.file,
                &exchain,
                "Rule exceptions must be a sequence",
                exs.span(),
            ));
        };
        let mut out: Vec<ExceptionDecl> = Vec::new();
        for ex in &seq.items {
            let ex_off = ex.span().start as usize;
            let mut tmp = exchain.clone();
            tmp.push(Loc::new("exception", "", ex_off));
            let Some(em) = ex.as_mapping() else {
                return Err(err(
                    self.file,
                    &tmp,
                    "Rule exception must be a mapping",
                    ex.span(),
                ));
            };
            let name = self.string(em, "name", &tmp, false)?.unwrap_or_default();
            let mut ectx = chain.to_vec();
            ectx.push(Loc::new("exception", name.clone(), ex_off));
            if out.iter().any(|e| e.exception.name == name) {
                self.warn(
                    Code::LoadExceptionNameNotUnique,
                    &format!("Multiple definitions of exception '{name}' in the same rule"),
                    &ectx,
                    ex.span(),
                );
            }
            let fields = self.exception_entry(em.get("fields"), "fields", &ectx, append)?;
            let comps = self.exception_entry(em.get("comps"), "comps", &ectx, true)?;
            let mut values = Vec::new();
            let has_values = em.contains_key("values");
            if let Some(vals) = em.get("values") {
                let mut vchain = ectx.clone();
                vchain.push(Loc::new("exception values", "", vals.span().start as usize));
                let Some(vseq) = vals.as_sequence() else {
                    return Err(err(
                        self.file,
                        &vchain,
                        "Rule exception values must be a sequence",
                        vals.span(),
                    ));
                };
                for v in &vseq.items {
                    let mut ichain = vchain.clone();
                    ichain.push(Loc::new("exception value", "", v.span().start as usize));
                    values.push(self.exception_value(v, &ichain)?);
                }
            } else if append {
                self.warn(
                    Code::LoadAppendNoValues,
                    "Overriding/appending exception with no values",
                    &ectx,
                    ex.span(),
                );
            }
            let to_strings = |v: Option<ExceptionValue>| -> Option<Strings> {
                match v? {
                    ExceptionValue::Scalar(s) => Some(Strings::One(s)),
                    ExceptionValue::List(items) => Some(Strings::Many(
                        items
                            .into_iter()
                            .map(|i| match i {
                                ExceptionValue::Scalar(s) => s,
                                ExceptionValue::List(_) => String::new(),
                            })
                            .collect(),
                    )),
                }
            };
            let has_fields = em.contains_key("fields");
            let has_comps = em.contains_key("comps");
            out.push(ExceptionDecl {
                exception: Exception {
                    name,
                    fields: to_strings(fields),
                    comps: to_strings(comps),
                    values,
                },
                offset: ex_off,
                has_values,
                has_fields,
                has_comps,
            });
        }
        Ok(out)
    }

    /// `decode_exception_info_entry` for `fields`/`comps`.
    fn exception_entry(
        &self,
        node: Option<&Node>,
        key: &str,
        chain: &[Loc],
        optional: bool,
    ) -> R<Option<ExceptionValue>> {
        let Some(node) = node else {
            if optional {
                return Ok(None);
            }
            let span = self.key_span();
            return Err(err(
                self.file,
                chain,
                format!("Item has no mapping for key '{key}'"),
                span,
            ));
        };
        let mut vchain = chain.to_vec();
        vchain.push(Loc::new("value for", key, node.span().start as usize));
        Ok(Some(self.exception_value(node, &vchain)?))
    }

    fn exception_value(&self, node: &Node, chain: &[Loc]) -> R<ExceptionValue> {
        match node {
            Node::Scalar(s) => {
                if s.value().is_empty() {
                    return Err(err(self.file, chain, "Value must be non-empty", s.span()));
                }
                Ok(ExceptionValue::Scalar(s.value().to_string()))
            }
            Node::Sequence(seq) => {
                let mut items = Vec::with_capacity(seq.items.len());
                for n in &seq.items {
                    let mut c = chain.to_vec();
                    c.push(Loc::new("exception", "", n.span().start as usize));
                    items.push(self.exception_value(n, &c)?);
                }
                Ok(ExceptionValue::List(items))
            }
            // yaml-cpp leaves such an entry empty.
            _ => Ok(ExceptionValue::Scalar(String::new())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_like_yaml_cpp() {
        for t in ["true", "True", "TRUE", "yes", "Yes", "on", "ON", "y", "Y"] {
            assert_eq!(parse_bool(t), Some(true), "{t}");
        }
        for f in ["false", "No", "OFF", "n"] {
            assert_eq!(parse_bool(f), Some(false), "{f}");
        }
        assert_eq!(parse_bool("maybe"), None);
        assert_eq!(parse_bool("tRUE"), None);
    }

    #[test]
    fn names() {
        assert!(is_identifier("spawned_process"));
        assert!(!is_identifier("_x"));
        assert!(is_bare_string("my-list.x"));
        assert!(!is_bare_string("my list"));
    }
}
