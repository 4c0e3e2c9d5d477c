//! `textDocument/completion`. The context is read from the text around the cursor (a
//! half-typed file rarely parses): a key of an item or exception, a `priority`, a
//! `source`, a boolean, a condition (fields, operators valid for the field's type, macros
//! visible there, lists after `in (`), an output's `%field`, a list's items.

use crate::analysis::Analysis;
use crate::hover::lookup_field;
use crate::symbols::{Role, SymbolKind};
use falcoc_compiler::priority::Priority;
use falcoc_lang::condition::ast::CmpOp;
use falcoc_lang::rulefile::ItemKind;
use falcoc_lints as lints;
use falcoc_schema::fields::{check_operator, SYSCALL_SOURCE};
use lsp_types::{
    CompletionItem, CompletionItemKind, CompletionTextEdit, Documentation, MarkupContent,
    MarkupKind, TextEdit,
};

/// What the cursor is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Context {
    /// A new top-level item (`- |`).
    ItemStart,
    /// A key of an item of this kind.
    Key(ItemKind),
    /// A key of an exception.
    ExceptionKey,
    /// The value of `key`; `prefix` is the value's text before the cursor.
    Value {
        /// The key.
        key: String,
        /// The value's text up to the cursor.
        prefix: String,
    },
    /// Nothing to offer.
    None,
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// `(leading spaces, whether it is a `- ` entry, key column, key)` of a `key:` line.
fn key_line(line: &str) -> Option<(usize, bool, usize, &str)> {
    let lead = indent(line);
    let rest = &line[lead..];
    let (dash, rest, col) = match rest.strip_prefix('-') {
        Some(r) if r.starts_with(' ') || r.is_empty() => {
            let r2 = r.trim_start_matches(' ');
            (true, r2, lead + 1 + (r.len() - r2.len()))
        }
        _ => (false, rest, lead),
    };
    let end = rest.find(':')?;
    let key = &rest[..end];
    let ok = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    ok.then_some((lead, dash, col, key))
}

fn is_blank_or_comment(line: &str) -> bool {
    let t = line.trim_start();
    t.is_empty() || t.starts_with('#')
}

/// Reads the completion context at byte `offset` of `text`.
pub fn context(text: &str, offset: usize) -> Context {
    let offset = crate::text::floor_char_boundary(text, offset);
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line_prefix = &text[line_start..offset];
    let before: Vec<&str> = text[..line_start].lines().collect();
    // Lines above, nearest first, without blanks and comments.
    let above = || {
        before
            .iter()
            .rev()
            .copied()
            .filter(|l| !is_blank_or_comment(l))
    };
    // A key being typed: only indentation, an optional `- `, a partial key.
    let lead = indent(line_prefix);
    let rest = &line_prefix[lead..];
    let (dash, partial) = match rest.strip_prefix("- ") {
        Some(r) => (true, r.trim_start()),
        None if rest == "-" => (true, ""),
        None => (false, rest),
    };
    let partial_ok = partial
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if partial_ok {
        let col = if dash {
            lead + (rest.len() - partial.len())
        } else {
            lead
        };
        if col == 0 || (dash && lead == 0) {
            return Context::ItemStart;
        }
        if dash {
            // A new entry of a sequence: exceptions are the only keyed sequence.
            return match above().find(|l| indent(l) < lead).and_then(key_line) {
                Some((_, _, _, "exceptions")) => Context::ExceptionKey,
                _ => Context::None,
            };
        }
        // The mapping we are in: the nearest line above indented less than our key.
        let container = above().find(|l| indent(l) < col);
        if let Some(l) = container {
            if let Some((lead_l, true, kcol, key)) = key_line(l) {
                if kcol == col {
                    return match key {
                        "rule" => Context::Key(ItemKind::Rule),
                        "macro" => Context::Key(ItemKind::Macro),
                        "list" => Context::Key(ItemKind::List),
                        _ => {
                            // `- name:` of an exception?
                            let parent = above()
                                .skip_while(|x| !std::ptr::eq(*x, l))
                                .skip(1)
                                .find(|x| indent(x) < lead_l);
                            match parent.and_then(key_line) {
                                Some((_, _, _, "exceptions")) => Context::ExceptionKey,
                                _ => Context::None,
                            }
                        }
                    };
                }
            }
        }
        // Otherwise a continuation line of a value.
    }
    // A value: the current line's key, or the nearest key line above indented less.
    if let Some((_, _, col, key)) = key_line(line_prefix) {
        let colon = line_prefix[col..].find(':').map_or(0, |i| col + i + 1);
        return Context::Value {
            key: key.to_string(),
            prefix: line_prefix[colon..].to_string(),
        };
    }
    let cur = indent(line_prefix);
    let mut prefix_lines: Vec<&str> = vec![line_prefix];
    for l in before.iter().rev().copied() {
        match key_line(l) {
            Some((_, _, col, key)) if col < cur => {
                let colon = l[col..].find(':').map_or(0, |i| col + i + 1);
                prefix_lines.push(&l[colon..]);
                prefix_lines.reverse();
                return Context::Value {
                    key: key.to_string(),
                    prefix: prefix_lines.join("\n"),
                };
            }
            _ => prefix_lines.push(l),
        }
        if prefix_lines.len() > 400 {
            break;
        }
    }
    Context::None
}

/// The completion items at byte `offset` of file `file`.
pub fn completion(a: &Analysis, file: usize, offset: usize) -> Vec<CompletionItem> {
    let Some(f) = a.file(file) else {
        return Vec::new();
    };
    let text = &f.text;
    let offset = crate::text::floor_char_boundary(text, offset.min(text.len()));
    let partial_len = text[..offset]
        .bytes()
        .rev()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c == b'.' || *c == b'-')
        .count();
    let edit_range = a.lines[file].range(text, offset - partial_len, offset);
    let partial = &text[offset - partial_len..offset];
    let mut out: Vec<CompletionItem> = Vec::new();
    let mut push =
        |label: &str, insert: String, kind, detail: Option<String>, doc: Option<String>| {
            let e = CompletionTextEdit::Edit(TextEdit::new(edit_range, insert));
            out.push(CompletionItem {
                label: label.to_string(),
                kind: Some(kind),
                detail,
                documentation: doc.map(|d| {
                    Documentation::MarkupContent(MarkupContent {
                        kind: MarkupKind::Markdown,
                        value: d,
                    })
                }),
                text_edit: Some(e),
                ..CompletionItem::default()
            });
        };
    let item = a.item_at(file, offset);
    let source = item
        .map(|(_, i)| crate::hover::item_source(a, i))
        .unwrap_or_else(|| SYSCALL_SOURCE.to_string());
    match context(text, offset) {
        Context::ItemStart => {
            for k in ItemKind::KEYED {
                if let Some(key) = k.key() {
                    push(
                        key,
                        format!("{key}: "),
                        CompletionItemKind::KEYWORD,
                        None,
                        None,
                    );
                }
            }
        }
        Context::Key(kind) => {
            for key in lints::item_keys(kind) {
                push(
                    key,
                    format!("{key}: "),
                    CompletionItemKind::PROPERTY,
                    None,
                    None,
                );
            }
        }
        Context::ExceptionKey => {
            for key in lints::exception_keys() {
                push(
                    key,
                    format!("{key}: "),
                    CompletionItemKind::PROPERTY,
                    None,
                    None,
                );
            }
        }
        Context::Value { key, prefix } => match key.as_str() {
            "priority" => {
                for p in Priority::ALL {
                    let name = p.name().to_uppercase();
                    push(
                        &name,
                        name.clone(),
                        CompletionItemKind::ENUM_MEMBER,
                        None,
                        None,
                    );
                }
            }
            "source" => {
                for s in a.profile.sources() {
                    push(
                        s,
                        s.to_string(),
                        CompletionItemKind::ENUM_MEMBER,
                        None,
                        None,
                    );
                }
            }
            "enabled" | "append" | "warn_evttypes" | "skip-if-unknown-filter" | "capture" => {
                for b in ["true", "false"] {
                    push(b, b.to_string(), CompletionItemKind::VALUE, None, None);
                }
            }
            "items" => {
                for o in a.symbols.names(SymbolKind::List) {
                    push(
                        &o.name,
                        o.name.clone(),
                        CompletionItemKind::VARIABLE,
                        Some("list".into()),
                        None,
                    );
                }
            }
            "fields" => fields(a, &source, partial, &mut push),
            "comps" => {
                for op in CmpOp::ALL.into_iter().filter(|op| *op != CmpOp::EqEq) {
                    push(
                        op.as_str(),
                        op.as_str().to_string(),
                        CompletionItemKind::OPERATOR,
                        None,
                        None,
                    );
                }
            }
            "output" if prefix[..prefix.len() - partial_len.min(prefix.len())].ends_with('%') => {
                fields(a, &source, partial, &mut push);
            }
            "condition" => {
                let cond = &prefix[..prefix.len().saturating_sub(partial_len)];
                match condition_slot(a, &source, cond) {
                    Slot::Factor => {
                        push(
                            "not",
                            "not ".to_string(),
                            CompletionItemKind::KEYWORD,
                            None,
                            None,
                        );
                        let here = item.map(|(i, it)| (file, i, it.kind));
                        for o in a.symbols.names(SymbolKind::Macro) {
                            if let Some((_, _, ItemKind::Macro)) = here {
                                // A macro body sees only the macros defined before it.
                                let this = item.map_or(0, |(_, it)| it.span().start as usize);
                                if (o.file, o.span.start as usize) >= (file, this) {
                                    continue;
                                }
                            }
                            let doc = first_condition(a, &o.name);
                            push(
                                &o.name,
                                o.name.clone(),
                                CompletionItemKind::FUNCTION,
                                Some("macro".into()),
                                doc,
                            );
                        }
                        fields(a, &source, partial, &mut push);
                    }
                    Slot::Operator(ops) => {
                        for op in ops {
                            push(
                                op,
                                format!("{op} "),
                                CompletionItemKind::OPERATOR,
                                None,
                                None,
                            );
                        }
                    }
                    Slot::ListName => {
                        for o in a.symbols.names(SymbolKind::List) {
                            push(
                                &o.name,
                                o.name.clone(),
                                CompletionItemKind::VARIABLE,
                                Some("list".into()),
                                None,
                            );
                        }
                    }
                    Slot::Connective => {
                        for c in ["and", "or"] {
                            push(c, format!("{c} "), CompletionItemKind::KEYWORD, None, None);
                        }
                    }
                    Slot::Value => {}
                }
            }
            _ => {}
        },
        Context::None => {}
    }
    out
}

fn first_condition(a: &Analysis, name: &str) -> Option<String> {
    let o = a
        .symbols
        .of(SymbolKind::Macro, name)
        .find(|o| o.role == Role::Definition)?;
    let item = a.file(o.file)?.items.get(o.item)?;
    let c = item.get("condition")?.as_str()?;
    Some(format!("```\n{}\n```", c.trim_end()))
}

type Push<'a> = dyn FnMut(&str, String, CompletionItemKind, Option<String>, Option<String>) + 'a;

fn fields(a: &Analysis, source: &str, partial: &str, push: &mut Push<'_>) {
    let classes = a
        .profile
        .classes(source)
        .or_else(|| a.profile.classes(SYSCALL_SOURCE))
        .unwrap_or_default();
    for class in classes {
        for f in &class.fields {
            if f.is_hidden() || !f.name.starts_with(partial) {
                continue;
            }
            let detail = format!(
                "{}{}",
                f.ty.name(),
                if f.is_list() { " (list)" } else { "" }
            );
            push(
                f.name,
                f.name.to_string(),
                CompletionItemKind::FIELD,
                Some(detail),
                (!f.description.is_empty()).then(|| f.description.clone()),
            );
        }
    }
}

/// What may come at the end of a condition prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Slot {
    /// A field, a macro, `not`, `(`.
    Factor,
    /// An operator (those valid for the field before).
    Operator(Vec<&'static str>),
    /// A list name (inside `in (…)`).
    ListName,
    /// `and` / `or`.
    Connective,
    /// A literal value.
    Value,
}

fn condition_slot(a: &Analysis, source: &str, cond: &str) -> Slot {
    let t = cond.trim_end();
    if t.is_empty() || matches!(t.trim(), ">" | "|" | ">-" | "|-" | ">+" | "|+") {
        return Slot::Factor;
    }
    if t.ends_with('(') || t.ends_with(',') {
        // Inside a value list of `in`, `intersects`, `pmatch`?
        let mut depth = 0i32;
        for (i, c) in t.char_indices().rev() {
            match c {
                ')' => depth += 1,
                '(' if depth == 0 => {
                    let before = t[..i].trim_end();
                    let word = last_word(before);
                    return if matches!(word, "in" | "intersects" | "pmatch") {
                        Slot::ListName
                    } else if t.ends_with(',') {
                        Slot::Value
                    } else {
                        Slot::Factor
                    };
                }
                '(' => depth -= 1,
                _ => {}
            }
        }
        return Slot::Factor;
    }
    if t.ends_with(')') {
        return Slot::Connective;
    }
    let word = last_word(t);
    match word {
        "and" | "or" | "not" => return Slot::Factor,
        "in" | "intersects" | "pmatch" => return Slot::Value,
        _ => {}
    }
    if CmpOp::from_name(word).is_some() || matches!(word, "=" | "!=" | "<" | ">" | "<=" | ">=") {
        return Slot::Value;
    }
    if t.ends_with(['=', '<', '>']) {
        return Slot::Value;
    }
    if let Some(r) = lookup_field(&a.profile, source, word) {
        let is_list = r.field.is_list();
        let mut ops: Vec<&'static str> = CmpOp::ALL
            .into_iter()
            .filter(|op| *op != CmpOp::EqEq && check_operator(r.ty, is_list, *op, false).is_ok())
            .map(CmpOp::as_str)
            .collect();
        ops.push("exists");
        return Slot::Operator(ops);
    }
    // A value or macro just written.
    Slot::Connective
}

fn last_word(t: &str) -> &str {
    let start = t
        .char_indices()
        .rev()
        .find(|(_, c)| c.is_whitespace() || *c == '(' || *c == ')' || *c == ',')
        .map_or(0, |(i, c)| i + c.len_utf8());
    &t[start..]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels_at(text: &str, marker: &str) -> Vec<String> {
        let at = text.find(marker).unwrap() + marker.len();
        let uri: lsp_types::Uri = "file:///t.yaml".parse().unwrap();
        let a = Analysis::new(&[(uri, "t.yaml".into(), text.to_string())], "auto");
        completion(&a, 0, at).into_iter().map(|i| i.label).collect()
    }

    #[test]
    fn outputs_exception_fields_and_comps() {
        let text = "- rule: r\n  desc: d\n  condition: evt.type = open\n  \
                    output: \"x %proc.cm\"\n  priority: INFO\n  exceptions:\n    \
                    - name: e\n      fields: [fd.na]\n      comps: [i]\n";
        let l = labels_at(text, "%proc.cm");
        assert!(l.contains(&"proc.cmdline".to_string()), "{l:?}");
        assert!(!l.contains(&"proc.name".to_string()));
        let l = labels_at(text, "[fd.na");
        assert!(l.contains(&"fd.name".to_string()), "{l:?}");
        let l = labels_at(text, "comps: [");
        assert!(
            l.contains(&"startswith".to_string()) && l.contains(&"in".to_string()),
            "{l:?}"
        );
        // Plain text in an output offers nothing.
        assert!(labels_at(text, "\"x").is_empty());
    }

    fn ctx(t: &str) -> Context {
        context(t, t.find('|').unwrap())
    }

    #[test]
    fn contexts_from_text() {
        assert_eq!(ctx("- rule: x\n  des|"), Context::Key(ItemKind::Rule));
        assert_eq!(
            ctx("- macro: m\n  condition: a\n  |"),
            Context::Key(ItemKind::Macro)
        );
        assert_eq!(ctx("- list: l\n  items: [a]\n- |"), Context::ItemStart);
        assert_eq!(
            ctx("- rule: x\n  exceptions:\n    - name: e\n      fie|"),
            Context::ExceptionKey
        );
        assert_eq!(
            ctx("- rule: x\n  exceptions:\n    - |"),
            Context::ExceptionKey
        );
        assert_eq!(
            ctx("- rule: x\n  priority: WA|"),
            Context::Value {
                key: "priority".into(),
                prefix: " WA".into()
            }
        );
        assert_eq!(
            ctx("- rule: x\n  condition: >\n    a and\n    proc.|"),
            Context::Value {
                key: "condition".into(),
                prefix: " >\n    a and\n    proc.".into()
            }
        );
    }
}
