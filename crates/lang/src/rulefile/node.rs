//! The span-keeping YAML tree.
//!
//! It mirrors what yaml-cpp builds for Falco: a node is null, a scalar, a sequence or a
//! mapping. A plain scalar `~`, `null`, `Null`, `NULL` or an empty node without a tag is
//! **null** (yaml-cpp's `IsNullString`); every other scalar, quoted `"null"` included, is
//! a [`Scalar`]. Mappings keep their entries in source order, duplicate keys included,
//! and [`Mapping::get`] returns the **first** entry whose key matches — exactly what
//! yaml-cpp does (`node_data::insert_map_pair` appends, and `node_data::get` returns
//! the first key that compares equal), so `item["condition"]` in Falco sees the first of
//! two `condition:` keys. [`Mapping::duplicates`] lists the others for linting.
//! Aliases are resolved into copies of the anchored node (spans point at the anchored
//! node, as yaml-cpp's alias nodes share the anchored node and its mark).

use super::scalar::Scalar;
use crate::span::Span;

/// A YAML node with its position in the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// A null node (`~`, `null`, an empty value, a lone `-`).
    Null(Null),
    /// A scalar.
    Scalar(Scalar),
    /// A sequence.
    Sequence(Sequence),
    /// A mapping.
    Mapping(Mapping),
}

/// A null node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Null {
    /// Where it is: the `~`/`null` text, or an empty span where the value is missing.
    pub span: Span,
}

/// A sequence node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sequence {
    /// From its first property or its first `-`/`[` to the end of its last item (or its
    /// closing `]`).
    pub span: Span,
    /// The resolved tag, if any.
    pub tag: Option<String>,
    /// True for `[...]`, false for a block sequence.
    pub flow: bool,
    /// The items in order.
    pub items: Vec<Node>,
}

/// One `key: value` pair of a mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The key node (usually a plain scalar).
    pub key: Node,
    /// The value node (null when the value is missing).
    pub value: Node,
}

impl Entry {
    /// The key's text when the key is a scalar.
    pub fn key_str(&self) -> Option<&str> {
        self.key.as_str()
    }
}

/// A mapping node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    /// From its first property or first key (or `{`) to the end of its last value (or its
    /// closing `}`).
    pub span: Span,
    /// The resolved tag, if any.
    pub tag: Option<String>,
    /// True for `{...}`, false for a block mapping.
    pub flow: bool,
    /// The entries in source order, duplicate keys included.
    pub entries: Vec<Entry>,
}

impl Mapping {
    /// The first entry whose key is a scalar equal to `key` (yaml-cpp's `node[key]`).
    pub fn get_entry(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.key_str() == Some(key))
    }

    /// The value of the first entry whose key is a scalar equal to `key`.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.get_entry(key).map(|e| &e.value)
    }

    /// True if some key is a scalar equal to `key`.
    pub fn contains_key(&self, key: &str) -> bool {
        self.get_entry(key).is_some()
    }

    /// Entries whose scalar key repeats an earlier key, each with the first entry of that
    /// key: `(first, duplicate)`, in source order of the duplicates. Falco ignores the
    /// duplicates (it reads the first).
    pub fn duplicates(&self) -> Vec<(&Entry, &Entry)> {
        // An item has a handful of keys: comparing with the earlier ones beats hashing.
        if self.entries.len() <= 16 {
            let mut out = Vec::new();
            for (i, e) in self.entries.iter().enumerate() {
                let Some(k) = e.key_str() else { continue };
                if let Some(first) = self.entries[..i].iter().find(|p| p.key_str() == Some(k)) {
                    out.push((first, e));
                }
            }
            return out;
        }
        let mut seen: std::collections::HashMap<&str, &Entry> = Default::default();
        let mut out = Vec::new();
        for e in &self.entries {
            if let Some(k) = e.key_str() {
                match seen.get(k) {
                    Some(first) => out.push((*first, e)),
                    None => {
                        seen.insert(k, e);
                    }
                }
            }
        }
        out
    }
}

impl Node {
    /// The node's span (see the span docs of each kind).
    pub fn span(&self) -> Span {
        match self {
            Node::Null(n) => n.span,
            Node::Scalar(s) => s.span(),
            Node::Sequence(s) => s.span,
            Node::Mapping(m) => m.span,
        }
    }

    /// The resolved tag, if any (nulls have none).
    pub fn tag(&self) -> Option<&str> {
        match self {
            Node::Null(_) => None,
            Node::Scalar(s) => s.tag(),
            Node::Sequence(s) => s.tag.as_deref(),
            Node::Mapping(m) => m.tag.as_deref(),
        }
    }

    /// `"null"`, `"scalar"`, `"sequence"` or `"mapping"`.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Node::Null(_) => "null",
            Node::Scalar(_) => "scalar",
            Node::Sequence(_) => "sequence",
            Node::Mapping(_) => "mapping",
        }
    }

    /// True for a null node.
    pub fn is_null(&self) -> bool {
        matches!(self, Node::Null(_))
    }

    /// The scalar, if this is one.
    pub fn as_scalar(&self) -> Option<&Scalar> {
        match self {
            Node::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// The scalar's decoded value, if this is a scalar.
    pub fn as_str(&self) -> Option<&str> {
        self.as_scalar().map(Scalar::value)
    }

    /// The sequence, if this is one.
    pub fn as_sequence(&self) -> Option<&Sequence> {
        match self {
            Node::Sequence(s) => Some(s),
            _ => None,
        }
    }

    /// The mapping, if this is one.
    pub fn as_mapping(&self) -> Option<&Mapping> {
        match self {
            Node::Mapping(m) => Some(m),
            _ => None,
        }
    }

    /// For a mapping, the value of the first entry with scalar key `key`.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_mapping().and_then(|m| m.get(key))
    }
}
