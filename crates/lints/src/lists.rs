//! FC002 `unknown-list-reference` and FC005 `duplicate-list-items`.

use super::similar::distance;
use super::{is_append, Cx, Hit};
use falcoc_lang::condition::ast::{ExprKind, Rhs, Value, ValueForm};
use falcoc_lang::rulefile::{ItemKind, Node};
use falcoc_lang::Span;
use rustc_hash::FxHashMap as HashMap;

pub(crate) fn fc002(cx: &Cx<'_>, out: &mut Vec<Hit>) {
    let lists: Vec<&str> = cx
        .loaded
        .collection
        .lists
        .iter()
        .map(|l| l.name.as_str())
        .collect();
    if lists.is_empty() {
        return;
    }
    let lists = ListNames::new(lists);
    // The same words recur in many conditions: decide each once.
    let mut decided: HashMap<String, Option<&str>> = HashMap::default();
    for ci in &cx.conds {
        let Some(expr) = &ci.expr else { continue };
        let mut values: Vec<Value> = Vec::new();
        expr.walk(&mut |e| {
            if let ExprKind::Compare(c) = &e.kind {
                match &c.right {
                    Rhs::List(l) => values.extend(
                        l.items
                            .iter()
                            .filter(|v| v.form == ValueForm::Bare)
                            .cloned(),
                    ),
                    Rhs::ListRef(v) => values.push(v.clone()),
                    _ => {}
                }
            }
        });
        for v in values {
            let name = match decided.get(v.text.as_str()) {
                Some(d) => *d,
                None => {
                    let d = if cx.loaded.collection.list(&v.text).is_some() {
                        None
                    } else {
                        list_suggestion(&v.text, &lists)
                    };
                    decided.insert(v.text.clone(), d);
                    d
                }
            };
            let Some(name) = name else {
                continue;
            };
            out.push(
                Hit::new(
                    ci.file,
                    ci.span(v.span),
                    format!(
                        "`{}` is not a defined list and is compared as a literal string",
                        v.text
                    ),
                )
                .note(format!("did you mean list `{name}`?")),
            );
        }
    }
}

/// The defined list names with their [`stem`]s, computed once.
struct ListNames<'l> {
    names: Vec<(&'l str, String)>,
}

impl<'l> ListNames<'l> {
    fn new(names: Vec<&'l str>) -> Self {
        ListNames {
            names: names.into_iter().map(|n| (n, stem(n))).collect(),
        }
    }
}

/// The defined list `word` most likely misspells, if any.
fn list_suggestion<'l>(word: &str, lists: &ListNames<'l>) -> Option<&'l str> {
    let ident = word.len() >= 4
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        && word.bytes().any(|b| b.is_ascii_alphabetic());
    if !ident {
        return None;
    }
    if word.contains('_') {
        let stem_w = stem(word);
        if let Some((n, _)) = lists.names.iter().find(|(n, s)| *n != word && *s == stem_w) {
            return Some(n);
        }
    }
    let max = if word.len() >= 8 { 2 } else { 1 };
    let mut best: Option<(usize, &str)> = None;
    for (n, _) in &lists.names {
        if n.len() < 5 || *n == word || n.len().abs_diff(word.len()) > max {
            continue;
        }
        if let Some(d) = distance(word, n, max) {
            if best.is_none_or(|(bd, _)| d < bd) {
                best = Some((d, n));
            }
        }
    }
    best.map(|(_, n)| n)
}

/// A list name without a `_list`/`_lists` suffix and a plural ending, lower-cased.
fn stem(name: &str) -> String {
    let mut s = name.to_ascii_lowercase();
    for suffix in ["_lists", "_list"] {
        if let Some(x) = s.strip_suffix(suffix) {
            s = x.to_string();
            break;
        }
    }
    if let Some(x) = s.strip_suffix("ies") {
        return format!("{x}y");
    }
    if let Some(x) = s.strip_suffix("es") {
        if x.ends_with("sh") || x.ends_with("ch") || x.ends_with('x') || x.ends_with('s') {
            return x.to_string();
        }
    }
    if let Some(x) = s.strip_suffix('s') {
        if !x.ends_with('s') {
            return x.to_string();
        }
    }
    s
}

pub(crate) fn fc005(cx: &Cx<'_>, out: &mut Vec<Hit>) {
    // name → (file, span, value) of every item, through appends, reset on redefinition.
    let mut lists: HashMap<&str, Vec<(usize, Span, &str)>> = HashMap::default();
    let mut order: Vec<&str> = Vec::new();
    for (fi, item) in cx.items() {
        if item.kind != ItemKind::List {
            continue;
        }
        let Some(name) = item.name_str() else {
            continue;
        };
        let Some(seq) = item.get("items").and_then(Node::as_sequence) else {
            continue;
        };
        let entries = lists.entry(name).or_insert_with(|| {
            order.push(name);
            Vec::new()
        });
        if !is_append(item) {
            entries.clear();
        }
        entries.extend(
            seq.items
                .iter()
                .filter_map(Node::as_scalar)
                .map(|s| (fi, s.span(), s.value())),
        );
    }
    let mut first: HashMap<&str, (usize, Span)> = HashMap::default();
    for name in order {
        let Some(entries) = lists.get(name) else {
            continue;
        };
        first.clear();
        for &(fi, span, value) in entries {
            match first.get(value) {
                Some(&(ff, fs)) => out.push(
                    Hit::new(
                        fi,
                        span,
                        format!("duplicate list item '{value}' in list `{name}`"),
                    )
                    .note(format!("first listed at {}", cx.pos(ff, fs.start)))
                    .secondary(ff, fs, "first listed here"),
                ),
                None => {
                    first.insert(value, (fi, span));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems() {
        assert_eq!(stem("shell_binaries"), "shell_binary");
        assert_eq!(stem("shell_binary"), "shell_binary");
        assert_eq!(stem("shell_binaries_list"), "shell_binary");
        assert_eq!(stem("known_hashes"), "known_hash");
        assert_eq!(stem("sensitive_files"), "sensitive_file");
    }

    #[test]
    fn suggestions() {
        let lists = ListNames::new(vec![
            "shell_binaries",
            "sensitive_file_names",
            "known_hosts",
        ]);
        assert_eq!(
            list_suggestion("shell_binary", &lists),
            Some("shell_binaries")
        );
        assert_eq!(
            list_suggestion("shell_binaris", &lists),
            Some("shell_binaries")
        );
        assert_eq!(list_suggestion("bash", &lists), None);
        assert_eq!(list_suggestion("/etc/shadow", &lists), None);
    }
}
