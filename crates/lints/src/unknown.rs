//! FC001 `unknown-field-suggestion`: Falco's unknown-field and undefined-macro errors,
//! located at the exact token and with a suggestion.

use super::similar::suggest;
use super::{Cx, Hit};
use falcoc_compiler::load::split_field;
use falcoc_compiler::result::{Code, LoadMessage};
use falcoc_lang::rulefile::{Item, ItemKind, Node, Scalar};
use falcoc_lang::Span;
use std::collections::{HashSet, VecDeque};

/// What a Falco message says is unknown.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Unknown {
    /// A field of a condition (`name` or `name[arg]`).
    CondField(String),
    /// A field of an output.
    OutputField(String),
    /// A field of an exception's `fields`.
    ExceptionField(String),
    /// A macro.
    Macro(String),
}

pub(crate) fn fc001(cx: &Cx<'_>, out: &mut Vec<Hit>) {
    let mut seen = HashSet::new();
    for r in &cx.loaded.results {
        for m in r.errors.iter().chain(&r.warnings) {
            let Some(what) = classify(m) else { continue };
            let (owner_kind, owner) = match m.locations.get(1) {
                Some(l) if l.item_type == "macro" => (ItemKind::Macro, l.item_name.clone()),
                Some(l) if l.item_type == "rule" => (ItemKind::Rule, l.item_name.clone()),
                _ => continue,
            };
            if !seen.insert((what.clone(), owner_kind == ItemKind::Rule, owner.clone())) {
                continue;
            }
            let source = if owner_kind == ItemKind::Rule {
                cx.loaded.collection.rule(&owner).map(|r| r.source.clone())
            } else {
                None
            };
            let notes = match &what {
                Unknown::CondField(f) | Unknown::OutputField(f) | Unknown::ExceptionField(f) => {
                    field_notes(cx, f, source.as_deref())
                }
                Unknown::Macro(name) => macro_notes(cx, name),
            };
            // Under skip-if-unknown-filter an unknown field is usually deliberate (a field
            // of a newer Falco); report it only when it looks like a typo.
            if m.code == Code::LoadUnknownFilter && !notes.iter().any(|n| n.starts_with("did you"))
            {
                continue;
            }
            let Some((file, span)) = locate(cx, &what, owner_kind, &owner).or(m.span) else {
                continue;
            };
            let message = match &what {
                Unknown::CondField(f) | Unknown::ExceptionField(f) => {
                    format!("unknown field `{f}`")
                }
                Unknown::OutputField(f) => format!("unknown field `{f}` in output"),
                Unknown::Macro(n) => format!("undefined macro `{n}`"),
            };
            let mut hit = Hit::new(file, span, message);
            hit.notes = notes;
            if let Some((mf, ms)) = m.span {
                if (mf, ms) != (file, span) && !matches!(what, Unknown::Macro(_)) {
                    hit = hit.secondary(mf, ms, "Falco reports it here");
                }
            }
            out.push(hit);
        }
    }
}

/// Recognises Falco's messages about unknown fields and macros.
fn classify(m: &LoadMessage) -> Option<Unknown> {
    let in_output = m.locations.iter().any(|l| l.item_type == "rule output");
    match m.code {
        Code::LoadErrCompileCondition | Code::LoadUnknownFilter | Code::LoadErrCompileOutput => {
            if let Some(i) = m.message.find("nonexistent field ") {
                let f = m.message[i + "nonexistent field ".len()..]
                    .trim()
                    .to_string();
                if f.is_empty() {
                    return None;
                }
                return Some(if in_output || m.code == Code::LoadErrCompileOutput {
                    Unknown::OutputField(f)
                } else {
                    Unknown::CondField(f)
                });
            }
            let rest = m.message.strip_prefix("invalid formatting token ")?;
            let token = output_token(rest);
            (!token.is_empty()).then(|| Unknown::OutputField(token.to_string()))
        }
        Code::LoadErrValidate => {
            if let Some(rest) = m.message.strip_prefix("Undefined macro '") {
                let name = rest.strip_suffix("' used in filter.")?;
                return Some(Unknown::Macro(name.to_string()));
            }
            let f = m
                .message
                .strip_prefix('\'')?
                .strip_suffix("' is not a supported filter field")?;
            Some(Unknown::ExceptionField(f.to_string()))
        }
        _ => None,
    }
}

/// The field-like token at the start of the rest of an output format (`proc.nme and …`
/// gives `proc.nme`, `proc.aname[2]x` gives `proc.aname[2]`).
fn output_token(rest: &str) -> &str {
    let rest = rest.trim_start_matches('(');
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '_'))
        .unwrap_or(rest.len());
    if rest[end..].starts_with('[') {
        if let Some(close) = rest[end..].find(']') {
            return &rest[..end + close + 1];
        }
    }
    &rest[..end]
}

/// "did you mean", other sources, plugins.
fn field_notes(cx: &Cx<'_>, field: &str, source: Option<&str>) -> Vec<String> {
    let (base, arg) = split_field(field);
    let mut notes = Vec::new();
    let source = source.unwrap_or(falcoc_schema::fields::SYSCALL_SOURCE);
    if cx.profile.lookup(source, base, None).is_ok() && arg.is_some() {
        notes.push(format!(
            "`{base}` exists but does not take the argument `[{}]`",
            arg.unwrap_or_default()
        ));
        return notes;
    }
    for p in falcoc_schema::fields::known_plugins() {
        if p.class.field(base).is_some() && p.extracts_from(source) {
            notes.push(format!(
                "`{base}` is provided by the `{}` plugin, which is not loaded",
                p.name
            ));
            return notes;
        }
    }
    let candidates: Vec<&'static str> = match cx.profile.field_names(source) {
        v if v.is_empty() => falcoc_schema::fields::all_field_names().collect(),
        v => v,
    };
    if let Some(s) = suggest(base, candidates.iter().copied()) {
        let s = match arg {
            Some(a) => format!("{s}[{a}]"),
            None => s.to_string(),
        };
        notes.push(format!("did you mean `{s}`?"));
    }
    let others: Vec<&str> = cx
        .profile
        .sources()
        .into_iter()
        .filter(|s| *s != source && cx.profile.lookup(s, base, arg).is_ok())
        .collect();
    if !others.is_empty() && others.len() < 4 {
        notes.push(format!(
            "`{base}` is a field of the `{}` source, but this rule's source is `{source}`",
            others.join("`/`")
        ));
    }
    notes
}

fn macro_notes(cx: &Cx<'_>, name: &str) -> Vec<String> {
    let c = &cx.loaded.collection;
    if c.list(name).is_some() {
        return vec![format!(
            "`{name}` is a list, not a macro: compare a field with it, e.g. `proc.name in ({name})`"
        )];
    }
    match suggest(name, c.macros.iter().map(|m| m.name.as_str())) {
        Some(s) => vec![format!("did you mean macro `{s}`?")],
        None => Vec::new(),
    }
}

/// Finds the token in the owner's items (then in the macros they use, transitively).
fn locate(cx: &Cx<'_>, what: &Unknown, kind: ItemKind, owner: &str) -> Option<(usize, Span)> {
    let owner_items = cx.items_named(kind, owner);
    match what {
        Unknown::OutputField(f) => {
            let (base, _) = split_field(f);
            owner_items.iter().find_map(|(fi, item)| {
                let s = item.get("output")?.as_scalar()?;
                find_in_scalar(s, base, true).map(|sp| (*fi, sp))
            })
        }
        Unknown::ExceptionField(f) => owner_items
            .iter()
            .find_map(|(fi, item)| exception_field(item, f).map(|sp| (*fi, sp))),
        Unknown::CondField(f) => {
            let (base, _) = split_field(f);
            search_conditions(cx, owner_items, base)
        }
        Unknown::Macro(name) => search_conditions(cx, owner_items, name),
    }
}

/// Searches `word` in the condition scalars of `start`, then breadth-first in the macros
/// they mention.
fn search_conditions(cx: &Cx<'_>, start: Vec<(usize, &Item)>, word: &str) -> Option<(usize, Span)> {
    let mut queue: VecDeque<Vec<(usize, &Item)>> = VecDeque::from([start]);
    let mut visited: HashSet<String> = HashSet::new();
    while let Some(items) = queue.pop_front() {
        for (fi, item) in &items {
            let Some(s) = item.get("condition").and_then(Node::as_scalar) else {
                continue;
            };
            if let Some(span) = find_in_scalar(s, word, false) {
                return Some((*fi, span));
            }
        }
        for (_, item) in &items {
            let Some(s) = item.get("condition").and_then(Node::as_str) else {
                continue;
            };
            for w in words(s) {
                if cx.loaded.collection.macro_(w).is_some() && visited.insert(w.to_string()) {
                    queue.push_back(cx.items_named(ItemKind::Macro, w));
                }
            }
        }
    }
    None
}

/// The identifier-like words of a text.
fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
        .filter(|w| !w.is_empty())
}

/// The file span of the first whole-word occurrence of `word` in the scalar's value
/// (in an output, only after a `%`).
fn find_in_scalar(s: &Scalar, word: &str, after_percent: bool) -> Option<Span> {
    let text = s.value();
    let b = text.as_bytes();
    let is_word = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b'.';
    let mut from = 0;
    while let Some(i) = text.get(from..)?.find(word) {
        let st = from + i;
        let en = st + word.len();
        let left_ok = st == 0 || !is_word(b[st - 1]);
        let right_ok = en >= b.len() || !is_word(b[en]);
        let percent_ok =
            !after_percent || matches!(text[..st].chars().next_back(), Some('%' | '('));
        if left_ok && right_ok && percent_ok {
            return Some(s.source_span(st..en));
        }
        from = st + 1;
    }
    None
}

/// The span of an exception `fields` entry equal to `field` in a rule item.
fn exception_field(item: &Item, field: &str) -> Option<Span> {
    let seq = item.get("exceptions")?.as_sequence()?;
    for ex in &seq.items {
        let Some(fields) = ex.get("fields") else {
            continue;
        };
        let hit = match fields {
            Node::Scalar(s) if s.value().trim() == field => Some(s.span()),
            Node::Sequence(fs) => fs
                .items
                .iter()
                .filter_map(Node::as_scalar)
                .find(|s| s.value().trim() == field)
                .map(Scalar::span),
            _ => None,
        };
        if hit.is_some() {
            return hit;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::output_token;

    #[test]
    fn output_tokens() {
        assert_eq!(output_token("proc.nme and more"), "proc.nme");
        assert_eq!(output_token("proc.anme[2] x"), "proc.anme[2]");
        assert_eq!(output_token("% x"), "");
    }
}
