//! Where macros, lists and rules are named in the files of a rule set: their definitions,
//! their appends and overrides, and their uses in conditions, exception values and list
//! items — each at its exact byte span, for definition, references, rename and hover.

use falcoc_lang::rulefile::{Item, ItemKind, Node, ReadResult, Scalar};
use falcoc_lang::Span;
use std::collections::HashSet;

/// What a name names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SymbolKind {
    /// A `- macro:` item.
    Macro,
    /// A `- list:` item.
    List,
    /// A `- rule:` item.
    Rule,
}

impl SymbolKind {
    /// `macro`, `list` or `rule`.
    pub fn as_str(self) -> &'static str {
        match self {
            SymbolKind::Macro => "macro",
            SymbolKind::List => "list",
            SymbolKind::Rule => "rule",
        }
    }

    fn of(kind: ItemKind) -> Option<SymbolKind> {
        match kind {
            ItemKind::Macro => Some(SymbolKind::Macro),
            ItemKind::List => Some(SymbolKind::List),
            ItemKind::Rule => Some(SymbolKind::Rule),
            _ => None,
        }
    }
}

/// The part an occurrence plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The name of an item that defines (or redefines) it.
    Definition,
    /// The name of an item that appends to or overrides it (`append: true`, `override:`),
    /// or only switches a rule on or off.
    Update,
    /// A use: a macro or list in a condition, a list in exception values or list items.
    Use,
}

/// One place a macro, list or rule is named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    /// What is named.
    pub kind: SymbolKind,
    /// The name.
    pub name: String,
    /// Index of the file in the rule set.
    pub file: usize,
    /// The name's bytes in that file.
    pub span: Span,
    /// Definition, update or use.
    pub role: Role,
    /// Index of the item that holds it in the file's items.
    pub item: usize,
}

/// Every occurrence in a rule set, in load order.
#[derive(Debug, Clone, Default)]
pub struct Symbols {
    /// The occurrences, by file and position.
    pub occurrences: Vec<Occurrence>,
}

impl Symbols {
    /// Indexes the files (items as read, in load order).
    pub fn build(files: &[ReadResult]) -> Symbols {
        let mut macros = HashSet::new();
        let mut lists = HashSet::new();
        for f in files {
            for item in &f.items {
                if let Some(name) = item.name_str() {
                    match item.kind {
                        ItemKind::Macro => macros.insert(name.to_string()),
                        ItemKind::List => lists.insert(name.to_string()),
                        _ => false,
                    };
                }
            }
        }
        let mut occurrences = Vec::new();
        for (fi, f) in files.iter().enumerate() {
            for (ii, item) in f.items.iter().enumerate() {
                let mut push = |kind, name: &str, span, role| {
                    occurrences.push(Occurrence {
                        kind,
                        name: name.to_string(),
                        file: fi,
                        span,
                        role,
                        item: ii,
                    })
                };
                let Some(kind) = SymbolKind::of(item.kind) else {
                    continue;
                };
                if let Some(scalar) = item.name().and_then(Node::as_scalar) {
                    let role = if is_update(item) {
                        Role::Update
                    } else {
                        Role::Definition
                    };
                    push(kind, scalar.value(), scalar.content_span(), role);
                }
                if let Some(cond) = item.get("condition").and_then(Node::as_scalar) {
                    for (s, e) in words(cond.value()) {
                        let word = &cond.value()[s..e];
                        let span = || cond.source_span(s..e);
                        if macros.contains(word) {
                            push(SymbolKind::Macro, word, span(), Role::Use);
                        }
                        if lists.contains(word) {
                            push(SymbolKind::List, word, span(), Role::Use);
                        }
                    }
                }
                if item.kind == ItemKind::List {
                    if let Some(seq) = item.get("items").and_then(Node::as_sequence) {
                        for s in seq.items.iter().filter_map(Node::as_scalar) {
                            if lists.contains(s.value()) {
                                push(SymbolKind::List, s.value(), s.content_span(), Role::Use);
                            }
                        }
                    }
                }
                if let Some(seq) = item.get("exceptions").and_then(Node::as_sequence) {
                    for ex in &seq.items {
                        if let Some(values) = ex.get("values") {
                            let mut scalars = Vec::new();
                            collect_scalars(values, &mut scalars);
                            for s in scalars {
                                if lists.contains(s.value()) {
                                    push(SymbolKind::List, s.value(), s.content_span(), Role::Use);
                                }
                            }
                        }
                    }
                }
            }
        }
        occurrences.sort_by_key(|o| (o.file, o.span.start));
        Symbols { occurrences }
    }

    /// The occurrence whose name covers byte `offset` of file `file` (its end included,
    /// so a cursor right after a name finds it).
    pub fn at(&self, file: usize, offset: usize) -> Option<&Occurrence> {
        self.occurrences.iter().find(|o| {
            o.file == file && (o.span.start as usize) <= offset && offset <= o.span.end as usize
        })
    }

    /// Every occurrence of the `kind` named `name`, in load order.
    pub fn of<'a>(
        &'a self,
        kind: SymbolKind,
        name: &'a str,
    ) -> impl Iterator<Item = &'a Occurrence> + 'a {
        self.occurrences
            .iter()
            .filter(move |o| o.kind == kind && o.name == name)
    }

    /// The names of every `kind` defined or updated in the set, each once, in load order,
    /// with the first defining occurrence.
    pub fn names(&self, kind: SymbolKind) -> Vec<&Occurrence> {
        let mut seen = HashSet::new();
        self.occurrences
            .iter()
            .filter(|o| o.kind == kind && o.role != Role::Use)
            .filter(|o| seen.insert(o.name.as_str()))
            .collect()
    }
}

/// Whether an item appends to or overrides an earlier one, or is a rule's standalone
/// `enabled:` switch (a rule item without a condition).
pub fn is_update(item: &Item) -> bool {
    let append = item
        .get("append")
        .and_then(Node::as_str)
        .is_some_and(|s| matches!(s, "true" | "True" | "TRUE" | "yes" | "on"));
    let enable_only = item.kind == ItemKind::Rule
        && item.get("condition").is_none()
        && item.get("enabled").is_some();
    append || item.get("override").is_some() || enable_only
}

fn collect_scalars<'a>(node: &'a Node, out: &mut Vec<&'a Scalar>) {
    match node {
        Node::Scalar(s) => out.push(s),
        Node::Sequence(seq) => seq.items.iter().for_each(|n| collect_scalars(n, out)),
        Node::Mapping(m) => m
            .entries
            .iter()
            .for_each(|e| collect_scalars(&e.value, out)),
        _ => {}
    }
}

/// The bytes that end a word of a condition: blanks, brackets, commas, comparison signs.
pub fn is_delimiter(c: char) -> bool {
    c.is_whitespace() || "(),=<>!\"'[]%".contains(c)
}

/// The words of a condition text (byte ranges), skipping quoted strings: the candidates
/// for macro and list names (Falco substitutes lists textually, word by word).
pub fn words(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    let mut start: Option<usize> = None;
    while let Some((i, c)) = chars.next() {
        if c == '"' || c == '\'' {
            if let Some(s) = start.take() {
                out.push((s, i));
            }
            // A quoted string: up to the matching quote (backslash escapes).
            while let Some((_, d)) = chars.next() {
                if d == '\\' {
                    chars.next();
                } else if d == c {
                    break;
                }
            }
        } else if is_delimiter(c) {
            if let Some(s) = start.take() {
                out.push((s, i));
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        out.push((s, text.len()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_skip_strings_and_split_at_operators() {
        let t = r#"a and (b.c=d or e in (f, "g h", 'x\'y')) and not z"#;
        let w: Vec<&str> = words(t).into_iter().map(|(s, e)| &t[s..e]).collect();
        assert_eq!(
            w,
            ["a", "and", "b.c", "d", "or", "e", "in", "f", "and", "not", "z"]
        );
    }
}
