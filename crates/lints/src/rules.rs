//! FC006 `shadowed-rule` and FC007 `unused-exception-fields`.

use super::{Cx, Hit};
use falcoc_compiler::check::condition_details;
use falcoc_compiler::compile::CompiledRule;
use falcoc_compiler::load::split_field;
use falcoc_compiler::macros::{MacroDef, MacroTable, Viewer};
use falcoc_lang::condition::ast::{ExprKind, Operand, OperandKind, TransformArg};
use falcoc_lang::condition::{self};
use falcoc_lang::rulefile::{ItemKind, Node};
use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap, HashSet};

pub(crate) fn fc006(cx: &Cx<'_>, out: &mut Vec<Hit>) {
    let mut firsts: HashMap<(&str, &str, &str), &CompiledRule> = HashMap::new();
    for r in &cx.loaded.rules {
        let key = (
            r.source.as_str(),
            r.compiled_condition.as_str(),
            r.output.text.as_str(),
        );
        match firsts.get(&key) {
            Some(first) => {
                let Some(item) = cx.item_at(r.at) else {
                    continue;
                };
                let span = item.name().map_or(item.key_span, Node::span);
                let mut hit = Hit::new(
                    r.at.file,
                    span,
                    format!(
                        "rule `{}` has the same condition, source and output as rule `{}`",
                        r.name, first.name
                    ),
                )
                .note(format!(
                    "with `rule_matching: first` (Falco's default) only the first matching rule fires, so `{}` never fires; with `rule_matching: all` every alert is duplicated",
                    r.name
                ));
                if let Some(fi) = cx.item_at(first.at) {
                    let fspan = fi.name().map_or(fi.key_span, Node::span);
                    hit = hit
                        .note(format!(
                            "`{}` is defined at {}",
                            first.name,
                            cx.pos(first.at.file, fspan.start)
                        ))
                        .secondary(first.at.file, fspan, "the earlier rule");
                }
                out.push(hit);
            }
            None if r.enabled => {
                firsts.insert(key, r);
            }
            None => {}
        }
    }
}

pub(crate) fn fc007(cx: &Cx<'_>, out: &mut Vec<Hit>) {
    let c = &cx.loaded.collection;
    let parses = cx.parses();
    let mut table = MacroTable::default();
    for m in &c.macros {
        table.insert(
            m.name.clone(),
            MacroDef {
                body: parses.get(&m.condition.text).map(Cow::into_owned),
                first_defined: m.first_defined,
                last_defined: m.last_defined,
            },
        );
    }
    // Rule name → base names of the fields of its expanded condition (None: unknown).
    let mut cache: HashMap<&str, Option<BTreeSet<String>>> = HashMap::new();
    for (fi, item) in cx.items() {
        if item.kind != ItemKind::Rule {
            continue;
        }
        let Some(seq) = item.get("exceptions").and_then(Node::as_sequence) else {
            continue;
        };
        let Some(name) = item.name_str() else {
            continue;
        };
        let used = cache.entry(name).or_insert_with(|| {
            let rule = c.rule(name)?;
            let ast = parses.get(&rule.def.condition.text)?;
            let mut ignored = HashSet::new();
            let expanded = table.expand(&ast, Viewer::Rule, &mut ignored).ok()?;
            Some(
                condition_details(&expanded)
                    .fields
                    .iter()
                    .map(|f| split_field(f).0.to_string())
                    .collect(),
            )
        });
        let Some(used) = used else { continue };
        for ex in &seq.items {
            let Some(fields) = ex.get("fields") else {
                continue;
            };
            let written: Vec<&str> = match fields {
                Node::Scalar(s) => vec![s.value()],
                Node::Sequence(fs) => fs.items.iter().filter_map(Node::as_str).collect(),
                _ => continue,
            };
            let mut bases = BTreeSet::new();
            for f in &written {
                exception_field_bases(f, &mut bases);
            }
            if bases.is_empty() || bases.iter().any(|b| used.contains(b)) {
                continue;
            }
            let ex_name = ex.get("name").and_then(Node::as_str).unwrap_or_default();
            out.push(
                Hit::new(
                    fi,
                    fields.span(),
                    format!(
                        "exception `{ex_name}` tests {} that rule `{name}`'s condition never uses",
                        describe(&bases)
                    ),
                )
                .note("exceptions usually narrow what the condition matches on the same fields; one on unrelated fields is often copied from another rule"),
            );
        }
    }
}

fn describe(bases: &BTreeSet<String>) -> String {
    let list: Vec<String> = bases.iter().map(|b| format!("`{b}`")).collect();
    if list.len() == 1 {
        format!("field {}", list[0])
    } else {
        format!("fields {}", list.join(", "))
    }
}

/// The base field names of an exception field (a field, or a transformer expression).
fn exception_field_bases(field: &str, out: &mut BTreeSet<String>) {
    fn operand(o: &Operand, out: &mut BTreeSet<String>) {
        match &o.kind {
            OperandKind::Field(f) => {
                out.insert(f.name.clone());
            }
            OperandKind::Transform(t) => {
                for a in &t.args {
                    if let TransformArg::Operand(o) = a {
                        operand(o, out);
                    }
                }
            }
        }
    }
    if let Ok(e) = condition::parse(&format!("{field} exists")) {
        if let ExprKind::Exists(o) = &e.kind {
            operand(o, out);
        }
    }
}
