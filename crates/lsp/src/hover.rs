//! `textDocument/hover`: a field's description and type; a macro's or list's definition
//! with its appends; a rule's expanded condition.

use crate::analysis::Analysis;
use crate::symbols::{Role, SymbolKind};
use falcoc_lang::rulefile::{Item, ItemKind, Node};
use falcoc_lang::Span;
use falcoc_schema::fields::ResolvedField;
use falcoc_schema::fields::{self, PluginProfile, SYSCALL_SOURCE};
use lsp_types::{Hover, HoverContents, MarkupContent, MarkupKind};

/// The hover at byte `offset` of file `file`.
pub fn hover(a: &Analysis, file: usize, offset: usize) -> Option<Hover> {
    if let Some(o) = a.symbols.at(file, offset) {
        let text = match o.kind {
            SymbolKind::Macro => macro_text(a, &o.name),
            SymbolKind::List => list_text(a, &o.name),
            SymbolKind::Rule => rule_text(a, &o.name),
        };
        return Some(markdown(text, a.location(o.file, o.span).map(|l| l.range)));
    }
    let f = a.file(file)?;
    let (start, end) = field_at(&f.text, offset)?;
    let word = f.text.get(start..end)?;
    let source = a
        .item_at(file, offset)
        .map(|(_, item)| item_source(a, item))
        .unwrap_or_else(|| SYSCALL_SOURCE.to_string());
    let resolved = lookup_field(&a.profile, &source, word)?;
    Some(markdown(
        field_text(&resolved),
        a.location(file, Span::new(start, end)).map(|l| l.range),
    ))
}

fn markdown(value: String, range: Option<lsp_types::Range>) -> Hover {
    Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value,
        }),
        range,
    }
}

/// The event source of an item: a rule's `source:` (else its collected source, else
/// `syscall`); `syscall` for everything else.
pub fn item_source(a: &Analysis, item: &Item) -> String {
    if item.kind != ItemKind::Rule {
        return SYSCALL_SOURCE.to_string();
    }
    if let Some(s) = item.get("source").and_then(Node::as_str) {
        return s.to_string();
    }
    item.name_str()
        .and_then(|n| a.loaded.collection.rule(n))
        .map_or_else(|| SYSCALL_SOURCE.to_string(), |r| r.source.clone())
}

/// Resolves `word` (`name` or `name[arg]`) as a field of `source`, else of any source of
/// the profile, else of any known plugin.
pub fn lookup_field(profile: &PluginProfile, source: &str, word: &str) -> Option<ResolvedField> {
    let (name, arg) = falcoc_compiler::load::split_field(word);
    if !name.contains('.') {
        return None;
    }
    let all = fields::default_profile();
    std::iter::once((profile, source.to_string()))
        .chain(
            profile
                .sources()
                .into_iter()
                .map(|s| (profile, s.to_string())),
        )
        .chain(all.sources().into_iter().map(|s| (all, s.to_string())))
        .find_map(|(p, s)| p.lookup(&s, name, arg).ok())
}

/// The field-name-like word around byte `offset` of `text` (`proc.aname[2]` whole).
pub fn field_at(text: &str, offset: usize) -> Option<(usize, usize)> {
    let b = text.as_bytes();
    let is_field = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b'.';
    let offset = offset.min(b.len());
    let mut start = offset;
    // Right after `name[arg]`: from the `[`.
    if start > 0 && b[start - 1] == b']' {
        if let Some(open) = text[..start].rfind('[') {
            start = open;
        }
    }
    while start > 0 && is_field(b[start - 1]) {
        start -= 1;
    }
    // Inside a bracket argument: go back to the field before `[`.
    if start == offset || (start > 0 && b[start - 1] == b'[') {
        let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
        if let Some(open) = text[line_start..offset].rfind('[') {
            let open = line_start + open;
            if !text[open..offset].contains(']') {
                let mut s = open;
                while s > 0 && is_field(b[s - 1]) {
                    s -= 1;
                }
                if s < open {
                    start = s;
                }
            }
        }
    }
    let mut end = start;
    while end < b.len() && is_field(b[end]) {
        end += 1;
    }
    if end < b.len() && b[end] == b'[' {
        let line_end = text[end..].find('\n').map_or(b.len(), |i| end + i);
        if let Some(close) = text[end..line_end].find(']') {
            end += close + 1;
        }
    }
    (start < end && end >= offset).then_some((start, end))
}

/// A field's hover text: name, type, flags, description, where it comes from.
pub fn field_text(r: &ResolvedField) -> String {
    let f = r.field;
    let mut s = format!("**field** `{}` — `{}`", f.name, r.ty.name());
    if f.is_list() {
        s.push_str(" (list)");
    }
    s.push_str("\n\n");
    if !f.description.is_empty() {
        s.push_str(&f.description);
        s.push_str("\n\n");
    }
    let mut facts = vec![format!("class `{}`", r.class.name)];
    if let Some(p) = r.plugin {
        facts.push(format!("plugin `{}`", p.name));
    }
    if f.arg_required() {
        facts.push("takes an argument `[…]`".to_string());
    } else if f.arg_allowed() {
        facts.push("optional argument `[…]`".to_string());
    }
    if let Some(v) = f.deprecated_since {
        facts.push(format!("deprecated since Falco {v}"));
    }
    s.push_str(&facts.join(" · "));
    s
}

fn scalar_text<'a>(item: &'a Item, key: &str) -> Option<&'a str> {
    item.get(key).and_then(Node::as_str)
}

/// Definitions and updates of `kind` `name`: (file, item, role), in load order.
fn items_of<'a>(a: &'a Analysis, kind: SymbolKind, name: &str) -> Vec<(usize, &'a Item, Role)> {
    a.symbols
        .of(kind, name)
        .filter(|o| o.role != Role::Use)
        .filter_map(|o| Some((o.file, a.file(o.file)?.items.get(o.item)?, o.role)))
        .collect()
}

fn placed(a: &Analysis, file: usize, item: &Item, role: Role) -> String {
    let what = match role {
        Role::Definition => "defined",
        _ if item.get("override").is_some() => "overridden",
        _ => "appended",
    };
    format!(
        "{what} at {}",
        a.describe(file, item.key_span.start as usize)
    )
}

fn macro_text(a: &Analysis, name: &str) -> String {
    let mut s = format!("**macro** `{name}`\n");
    for (file, item, role) in items_of(a, SymbolKind::Macro, name) {
        s.push_str(&format!("\n{}:\n", placed(a, file, item, role)));
        if let Some(c) = scalar_text(item, "condition") {
            s.push_str(&format!("```\n{}\n```\n", c.trim_end()));
        }
    }
    if a.loaded.collection.macro_(name).is_none() {
        s.push_str("\n(not defined in this rule set)\n");
    }
    s
}

fn list_text(a: &Analysis, name: &str) -> String {
    let mut s = format!("**list** `{name}`\n");
    if let Some(l) = a.loaded.collection.list(name) {
        s.push_str(&format!(
            "\n{} item(s): `[{}]`\n",
            l.items.len(),
            l.items.join(", ")
        ));
    } else {
        s.push_str("\n(not defined in this rule set)\n");
    }
    for (file, item, role) in items_of(a, SymbolKind::List, name) {
        let items: Vec<&str> = item
            .get("items")
            .and_then(Node::as_sequence)
            .map(|q| q.items.iter().filter_map(Node::as_str).collect())
            .unwrap_or_default();
        s.push_str(&format!(
            "\n{}: `[{}]`\n",
            placed(a, file, item, role),
            items.join(", ")
        ));
    }
    s
}

fn rule_text(a: &Analysis, name: &str) -> String {
    let mut s = format!("**rule** `{name}`\n");
    match a.loaded.rules.iter().find(|r| r.name == name) {
        Some(r) => {
            s.push_str(&format!(
                "\npriority `{}` · source `{}` · {}\n",
                r.priority.name().to_uppercase(),
                r.source,
                if r.enabled { "enabled" } else { "disabled" }
            ));
            if !r.desc.is_empty() {
                s.push_str(&format!("\n{}\n", r.desc.trim_end()));
            }
            s.push_str(&format!(
                "\nexpanded condition:\n```\n{}\n```\n",
                r.compiled_condition
            ));
        }
        None => s.push_str("\n(the rule does not compile in this rule set)\n"),
    }
    for (file, item, role) in items_of(a, SymbolKind::Rule, name) {
        s.push_str(&format!("\n{}", placed(a, file, item, role)));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_words_include_their_argument() {
        let t = "c: proc.aname[2] = x and %evt.time";
        let at = |s: &str| t.find(s).unwrap();
        let w = |o| field_at(t, o).map(|(s, e)| &t[s..e]);
        assert_eq!(w(at("aname")), Some("proc.aname[2]"));
        assert_eq!(w(at("2]")), Some("proc.aname[2]"));
        assert_eq!(w(at("evt.time") + 3), Some("evt.time"));
        assert_eq!(w(at(" = ")), Some("proc.aname[2]"));
        assert_eq!(w(at("= ") + 1), None);
    }
}
