//! The configuration document: an owned YAML tree that remembers where each node came
//! from (a byte span of the file, or a `-o` option), so that every diagnostic can point
//! at it, and that `-o key=value` options can edit.

use falcoc_lang::rulefile::Node;
use falcoc_lang::{Diagnostic, Span};

/// Where a node comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Loc {
    /// Bytes of the configuration file.
    File(Span),
    /// The `-o` option with this index (in [`super::Config::overrides`]).
    Override(usize),
}

/// A node of the configuration document.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    /// `~`, `null`, an empty value.
    Null(Loc),
    /// A scalar; `plain` is false for quoted and block scalars.
    Scalar { text: String, plain: bool, loc: Loc },
    /// A sequence.
    Seq { items: Vec<Value>, loc: Loc },
    /// A mapping with unique keys, in source order (the first of duplicate keys is kept,
    /// as yaml-cpp's `node[key]` reads it).
    Map { entries: Vec<Entry>, loc: Loc },
}

/// One `key: value` pair.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    pub key: String,
    pub key_loc: Loc,
    pub value: Value,
}

/// Code of duplicate-key warnings.
pub(crate) const DUPLICATE_KEY: &str = "CONFIG_DUPLICATE_KEY";

impl Value {
    /// An empty mapping (the document of an empty file).
    pub fn empty_map(loc: Loc) -> Value {
        Value::Map {
            entries: Vec::new(),
            loc,
        }
    }

    /// Where the node is.
    pub fn loc(&self) -> Loc {
        match self {
            Value::Null(l) => *l,
            Value::Scalar { loc, .. } | Value::Seq { loc, .. } | Value::Map { loc, .. } => *loc,
        }
    }

    /// `null`, `scalar`, `sequence` or `mapping`.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::Null(_) => "null",
            Value::Scalar { .. } => "scalar",
            Value::Seq { .. } => "sequence",
            Value::Map { .. } => "mapping",
        }
    }

    /// Converts a span-keeping YAML node; non-scalar keys are errors, duplicate keys
    /// warnings.
    pub fn from_node(node: &Node, diags: &mut Vec<Diagnostic>) -> Value {
        let loc = Loc::File(node.span());
        match node {
            Node::Null(_) => Value::Null(loc),
            Node::Scalar(s) => Value::Scalar {
                text: s.value().to_string(),
                plain: s.style() == falcoc_lang::rulefile::ScalarStyle::Plain,
                loc,
            },
            Node::Sequence(seq) => Value::Seq {
                items: seq
                    .items
                    .iter()
                    .map(|n| Value::from_node(n, diags))
                    .collect(),
                loc,
            },
            Node::Mapping(m) => {
                let mut entries: Vec<Entry> = Vec::new();
                for e in &m.entries {
                    let Some(key) = e.key.as_str() else {
                        diags.push(
                            Diagnostic::error(
                                super::INVALID,
                                format!(
                                    "mapping keys must be scalars, found a {}",
                                    e.key.kind_name()
                                ),
                            )
                            .with_primary(
                                0,
                                e.key.span(),
                                "not a scalar key",
                            ),
                        );
                        continue;
                    };
                    if let Some(first) = entries.iter().find(|x| x.key == key) {
                        let mut d = Diagnostic::warning(
                            DUPLICATE_KEY,
                            format!("duplicate key `{key}`: the first one is used"),
                        )
                        .with_primary(0, e.key.span(), "ignored");
                        if let Loc::File(sp) = first.key_loc {
                            d = d.with_secondary(0, sp, "first defined here");
                        }
                        diags.push(d);
                        continue;
                    }
                    entries.push(Entry {
                        key: key.to_string(),
                        key_loc: Loc::File(e.key.span()),
                        value: Value::from_node(&e.value, diags),
                    });
                }
                Value::Map { entries, loc }
            }
        }
    }

    /// Every node with a new location (for values parsed from a `-o` option).
    pub fn relocated(mut self, loc: Loc) -> Value {
        self.relocate(loc);
        self
    }

    fn relocate(&mut self, new: Loc) {
        match self {
            Value::Null(l) => *l = new,
            Value::Scalar { loc, .. } => *loc = new,
            Value::Seq { items, loc } => {
                *loc = new;
                items.iter_mut().for_each(|v| v.relocate(new));
            }
            Value::Map { entries, loc } => {
                *loc = new;
                for e in entries {
                    e.key_loc = new;
                    e.value.relocate(new);
                }
            }
        }
    }

    /// The entry of mapping key `key`.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        match self {
            Value::Map { entries, .. } => entries.iter().find(|e| e.key == key),
            _ => None,
        }
    }

    /// The value at a dotted path of mapping keys (`file_output.enabled`).
    pub fn get_path(&self, path: &str) -> Option<&Value> {
        path.split('.')
            .try_fold(self, |v, k| v.entry(k).map(|e| &e.value))
    }

    /// The entry at a dotted path of mapping keys.
    pub fn entry_path(&self, path: &str) -> Option<&Entry> {
        let (parent, last) = match path.rsplit_once('.') {
            Some((p, l)) => (self.get_path(p)?, l),
            None => (self, path),
        };
        parent.entry(last)
    }

    /// Removes the node at `path` (a mapping entry or a sequence item) so that decoding
    /// can go on past a bad value. Returns false if there is no such node.
    pub fn remove_at(&mut self, path: &[PathPart]) -> bool {
        let Some((last, parents)) = path.split_last() else {
            return false;
        };
        let mut cur = self;
        for p in parents {
            let next = match (cur, p) {
                (Value::Map { entries, .. }, PathPart::Key(k)) => entries
                    .iter_mut()
                    .find(|e| &e.key == k)
                    .map(|e| &mut e.value),
                (Value::Seq { items, .. }, PathPart::Index(i)) => items.get_mut(*i),
                _ => None,
            };
            match next {
                Some(n) => cur = n,
                None => return false,
            }
        }
        match (cur, last) {
            (Value::Map { entries, .. }, PathPart::Key(k)) => {
                let before = entries.len();
                entries.retain(|e| &e.key != k);
                entries.len() != before
            }
            (Value::Seq { items, .. }, PathPart::Index(i)) if *i < items.len() => {
                items.remove(*i);
                true
            }
            _ => false,
        }
    }

    /// Expands `${VAR}` in every scalar with `env` (unset ⇒ removed) and turns `$${` into
    /// `${`, as Falco does for configuration files (`yaml_helper::pre_process_env_vars`).
    pub fn expand_env(&mut self, env: &dyn Fn(&str) -> Option<String>) {
        match self {
            Value::Null(_) => {}
            Value::Scalar { text, .. } => *text = expand_env_str(text, env),
            Value::Seq { items, .. } => items.iter_mut().for_each(|v| v.expand_env(env)),
            Value::Map { entries, .. } => {
                entries.iter_mut().for_each(|e| e.value.expand_env(env));
            }
        }
    }
}

/// Falco's `${VAR}` / `$${...}` substitution of one scalar.
fn expand_env_str(value: &str, env: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let sub = &rest[pos..];
        if let Some(body) = sub.strip_prefix("${") {
            match body.find('}') {
                Some(end) => {
                    if let Some(v) = env(&body[..end]) {
                        out.push_str(&v);
                    }
                    rest = &body[end + 1..];
                }
                None => {
                    out.push_str(sub);
                    rest = "";
                }
            }
        } else if let Some(after) = sub.strip_prefix("$${") {
            if after.contains('}') {
                // `$${str}` ⇒ `${str}`: drop one `$`, keep the rest as text.
                out.push_str("${");
                rest = after;
            } else {
                out.push_str(sub);
                rest = "";
            }
        } else {
            out.push('$');
            rest = &sub[1..];
        }
    }
    out.push_str(rest);
    out
}

/// One step of a path into the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PathPart {
    /// A mapping key.
    Key(String),
    /// A sequence index.
    Index(usize),
}

/// Prints a path as `a.b[2].c`.
pub(crate) fn path_to_string(path: &[PathPart]) -> String {
    let mut s = String::new();
    for p in path {
        match p {
            PathPart::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            PathPart::Index(i) => {
                s.push('[');
                s.push_str(&i.to_string());
                s.push(']');
            }
        }
    }
    s
}

/// One step of a `-o` key (yaml_helper's `Key := NodeKey ('.' NodeKey)*`,
/// `NodeKey := name ('[' index? ']')*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OptStep {
    Key(String),
    Index(usize),
    /// `[]`: a new item at the end of the sequence.
    Append,
}

/// Parses a `-o` key like `rules[].disable.rule` or `plugins[0].name`.
pub(crate) fn parse_option_key(key: &str) -> Result<Vec<OptStep>, String> {
    let mut steps = Vec::new();
    let mut name = String::new();
    let mut chars = key.char_indices().peekable();
    let mut after_bracket = false;
    while let Some((i, c)) = chars.next() {
        match c {
            '.' => {
                if name.is_empty() {
                    if after_bracket {
                        after_bracket = false;
                        continue;
                    }
                    return Err(format!("unexpected character '.' at pos {i}"));
                }
                steps.push(OptStep::Key(std::mem::take(&mut name)));
                after_bracket = false;
            }
            '[' => {
                if !name.is_empty() {
                    steps.push(OptStep::Key(std::mem::take(&mut name)));
                } else if steps.is_empty() {
                    return Err(format!("unexpected character '[' at pos {i}"));
                }
                let mut idx = String::new();
                let mut closed = false;
                for (_, c) in chars.by_ref() {
                    if c == ']' {
                        closed = true;
                        break;
                    }
                    idx.push(c);
                }
                if !closed {
                    return Err("missing ']'".to_string());
                }
                if idx.is_empty() {
                    steps.push(OptStep::Append);
                } else {
                    let n = idx
                        .parse::<usize>()
                        .map_err(|_| format!("expected a numeric index, found '{idx}'"))?;
                    steps.push(OptStep::Index(n));
                }
                after_bracket = true;
            }
            _ => {
                if after_bracket && name.is_empty() {
                    return Err(format!(
                        "expected '.' character at pos {}",
                        i.saturating_sub(1)
                    ));
                }
                name.push(c);
            }
        }
    }
    if !name.is_empty() {
        steps.push(OptStep::Key(name));
    } else if !after_bracket {
        return Err("empty key".to_string());
    }
    Ok(steps)
}

/// Sets the node at `steps` to `value`, creating mappings and sequences on the way as
/// yaml-cpp does (a null node becomes what the step needs; `[n]` with `n` = length
/// appends).
pub(crate) fn set_at(root: &mut Value, steps: &[OptStep], value: Value) -> Result<(), String> {
    let loc = value.loc();
    let mut cur = root;
    for (i, step) in steps.iter().enumerate() {
        let here = || {
            let mut s = String::new();
            for st in &steps[..i] {
                match st {
                    OptStep::Key(k) => {
                        if !s.is_empty() {
                            s.push('.');
                        }
                        s.push_str(k);
                    }
                    OptStep::Index(n) => s.push_str(&format!("[{n}]")),
                    OptStep::Append => s.push_str("[]"),
                }
            }
            s
        };
        if matches!(cur, Value::Null(_)) {
            *cur = match step {
                OptStep::Key(_) => Value::empty_map(loc),
                _ => Value::Seq {
                    items: Vec::new(),
                    loc,
                },
            };
        }
        if let (Value::Seq { items, .. }, OptStep::Key(_)) = (&mut *cur, step) {
            // yaml-cpp turns a sequence indexed by a name into a mapping whose keys are
            // the item indexes; the name is then added to it.
            let entries = std::mem::take(items)
                .into_iter()
                .enumerate()
                .map(|(i, v)| Entry {
                    key: i.to_string(),
                    key_loc: v.loc(),
                    value: v,
                })
                .collect();
            // The mapping is the option's doing: locate it there.
            *cur = Value::Map { entries, loc };
        }
        cur = match (cur, step) {
            (Value::Map { entries, .. }, OptStep::Key(k)) => {
                let pos = match entries.iter().position(|e| &e.key == k) {
                    Some(p) => p,
                    None => {
                        entries.push(Entry {
                            key: k.clone(),
                            key_loc: loc,
                            value: Value::Null(loc),
                        });
                        entries.len() - 1
                    }
                };
                &mut entries[pos].value
            }
            (Value::Seq { items, .. }, OptStep::Index(n)) => {
                if *n == items.len() {
                    items.push(Value::Null(loc));
                }
                let len = items.len();
                items.get_mut(*n).ok_or_else(|| {
                    format!("index {n} is out of range: `{}` has {len} items", here())
                })?
            }
            (Value::Seq { items, .. }, OptStep::Append) => {
                items.push(Value::Null(loc));
                let last = items.len() - 1;
                &mut items[last]
            }
            (other, step) => {
                let what = match step {
                    OptStep::Key(k) => format!("key `{k}`"),
                    OptStep::Index(n) => format!("index [{n}]"),
                    OptStep::Append => "[]".to_string(),
                };
                return Err(format!(
                    "cannot set {what}: `{}` is a {}",
                    here(),
                    other.kind_name()
                ));
            }
        };
    }
    *cur = value;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn option_keys() {
        use OptStep::*;
        assert_eq!(
            parse_option_key("rules[].disable.rule"),
            Ok(vec![
                Key("rules".into()),
                Append,
                Key("disable".into()),
                Key("rule".into())
            ])
        );
        assert_eq!(
            parse_option_key("m[1][3]"),
            Ok(vec![Key("m".into()), Index(1), Index(3)])
        );
        assert_eq!(
            parse_option_key("json_output"),
            Ok(vec![Key("json_output".into())])
        );
        assert!(parse_option_key("a..b").is_err());
        assert!(parse_option_key("a[x]").is_err());
        assert!(parse_option_key("a[1]b").is_err());
        assert!(parse_option_key("").is_err());
    }

    #[test]
    fn env_expansion() {
        let env = |k: &str| (k == "HOME").then(|| "/root".to_string());
        assert_eq!(expand_env_str("${HOME}/x", &env), "/root/x");
        assert_eq!(expand_env_str("a${NOPE}b", &env), "ab");
        assert_eq!(expand_env_str("$${HOME}", &env), "${HOME}");
        assert_eq!(expand_env_str("cost $5 ${", &env), "cost $5 ${");
    }
}
