//! FC003 `no-evttype-restriction`, FC004 `constant-condition`, FC010 `mixed-and-or`.

use super::{clip, CondItem, Cx, Hit};
use falcoc_lang::condition::ast::{CmpOp, Comparison, Expr, ExprKind, OperandKind, Rhs};
use falcoc_lang::condition::print;
use falcoc_lang::rulefile::{Item, ItemKind, Node};
use falcoc_lang::Span;
use falcoc_schema::events::all_event_set;
use falcoc_schema::fields::SYSCALL_SOURCE;
use std::collections::HashSet;

/// The span of a rule item's condition value (else of its name, else of its key).
fn condition_span(item: &Item) -> Span {
    item.get("condition")
        .or_else(|| item.name())
        .map_or(item.key_span, Node::span)
}

pub(crate) fn fc003(cx: &Cx<'_>, out: &mut Vec<Hit>) {
    let all = all_event_set();
    for r in &cx.loaded.rules {
        if r.source != SYSCALL_SOURCE || r.event_codes.as_ref() != Some(&all) {
            continue;
        }
        let Some(item) = cx.item_at(r.at) else {
            continue;
        };
        let mut hit = Hit::new(
            r.at.file,
            condition_span(item),
            format!("rule `{}` does not restrict the event type", r.name),
        )
        .note(format!(
            "no `evt.type` check narrows its condition, so Falco evaluates it on every event \
             (all {} event codes) instead of only on the events it is about; on a busy host \
             that is CPU spent on every syscall and can make the sensor drop events",
            all.len()
        ))
        .note("start the condition with the events it is about, e.g. `evt.type in (open, openat, openat2) and …`");
        let quiet = cx
            .loaded
            .collection
            .rule(&r.name)
            .is_some_and(|s| !s.def.warn_evttypes);
        if quiet {
            hit = hit.note(
                "`warn_evttypes: false` hides Falco's own LOAD_NO_EVTTYPE warning for this rule",
            );
        }
        out.push(hit);
    }
}

pub(crate) fn fc004(cx: &Cx<'_>, out: &mut Vec<Hit>) {
    let mut flagged: HashSet<(usize, u32)> = HashSet::new();
    for ci in &cx.conds {
        let Some(expr) = &ci.expr else { continue };
        let source = (ci.item.kind == ItemKind::Rule).then(|| cx.rule_source(ci.item));
        let before = out.len();
        if is_empty_in(expr) {
            out.push(empty_in_hit(ci, expr));
        }
        expr.walk(&mut |e| match &e.kind {
            ExprKind::And(children) => {
                for c in children {
                    if is_empty_in(c) {
                        out.push(empty_in_hit(ci, c));
                    }
                }
                negated_pairs(ci, children, true, out);
                contradictions(cx, ci, source.as_deref(), children, out);
            }
            ExprKind::Or(children) => negated_pairs(ci, children, false, out),
            _ => {}
        });
        if out.len() > before {
            flagged.insert((ci.file, ci.item.map.span.start));
        }
    }
    // Rules whose event-type set is empty, unless their own condition was reported.
    for r in &cx.loaded.rules {
        if !r.event_codes.as_ref().is_some_and(|c| c.is_empty()) {
            continue;
        }
        let Some(item) = cx.item_at(r.at) else {
            continue;
        };
        if flagged.contains(&(r.at.file, item.map.span.start)) {
            continue;
        }
        out.push(
            Hit::new(
                r.at.file,
                condition_span(item),
                format!(
                    "rule `{}` can never match: no event type satisfies its condition",
                    r.name
                ),
            )
            .note("its `evt.type` checks (macros included) contradict each other, e.g. `evt.type = open and evt.type = close`"),
        );
    }
}

/// `x in ()` (also `intersects`/`pmatch`) with nothing between the parentheses. (A
/// defined list that is empty is not reported: rule sets ship empty lists on purpose, for
/// users to append to.)
fn is_empty_in(e: &Expr) -> bool {
    let ExprKind::Compare(c) = &e.kind else {
        return false;
    };
    c.op.is_list_op()
        && c.modifier.is_none()
        && matches!(&c.right, Rhs::List(l) if l.items.is_empty())
}

fn empty_in_hit(ci: &CondItem<'_>, e: &Expr) -> Hit {
    Hit::new(
        ci.file,
        ci.span(e.span),
        format!(
            "always-false condition: `{}` has an empty list",
            clip(ci.text(e.span), 60)
        ),
    )
    .note("nothing is in an empty list, so the enclosing `and` can never be true")
}

/// `A and not A` / `A or not A`.
fn negated_pairs(ci: &CondItem<'_>, children: &[Expr], is_and: bool, out: &mut Vec<Hit>) {
    let printed: Vec<String> = children.iter().map(print::as_string).collect();
    for c in children {
        let ExprKind::Not(inner) = &c.kind else {
            continue;
        };
        let key = print::as_string(inner);
        if !printed.contains(&key) {
            continue;
        }
        let a = clip(&key, 60);
        let (msg, why) = if is_and {
            (
                format!("always-false condition: `{a}` and `not {a}`"),
                "a condition and its negation joined by `and` can never both hold",
            )
        } else {
            (
                format!("always-true condition: `{a}` or `not {a}`"),
                "a condition or its negation always holds",
            )
        };
        out.push(Hit::new(ci.file, ci.span(c.span), msg).note(why));
    }
}

/// One single-valued field compared with `=` to two different constants under one `and`.
fn contradictions(
    cx: &Cx<'_>,
    ci: &CondItem<'_>,
    source: Option<&str>,
    children: &[Expr],
    out: &mut Vec<Hit>,
) {
    let mut seen: Vec<(&str, Option<&str>, &str)> = Vec::new();
    for e in children {
        let ExprKind::Compare(Comparison {
            left,
            op: CmpOp::Eq | CmpOp::EqEq,
            modifier: None,
            right: Rhs::Value(v),
        }) = &e.kind
        else {
            continue;
        };
        let OperandKind::Field(f) = &left.kind else {
            continue;
        };
        let arg = f.arg.as_deref();
        let earlier = seen
            .iter()
            .find(|(n, a, _)| *n == f.name && *a == arg)
            .map(|(_, _, v)| *v);
        match earlier {
            Some(first) if !same_constant(first, &v.text) => {
                if single_valued(cx, source, &f.name, arg) {
                    let field = match arg {
                        Some(a) => format!("{}[{a}]", f.name),
                        None => f.name.clone(),
                    };
                    out.push(
                        Hit::new(
                            ci.file,
                            ci.span(e.span),
                            format!(
                                "always-false condition: `{field}` cannot equal both `{first}` and `{}`",
                                v.text
                            ),
                        )
                        .note("a field with one value per event cannot be equal to two different constants; did you mean `or`, or `in (…)`?"),
                    );
                }
            }
            Some(_) => {}
            None => seen.push((&f.name, arg, &v.text)),
        }
    }
}

fn same_constant(a: &str, b: &str) -> bool {
    match (a.parse::<i128>(), b.parse::<i128>()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

/// Whether the field has one value per event (not a list field) for the rule's source, or
/// for a macro, for the first source that knows it.
fn single_valued(cx: &Cx<'_>, source: Option<&str>, name: &str, arg: Option<&str>) -> bool {
    let sources = match source {
        Some(s) => vec![s],
        None => cx.profile.sources(),
    };
    // These match either endpoint of a connection, so two values can both hold.
    const EITHER_ENDPOINT: [&str; 4] = ["fd.ip", "fd.port", "fd.net", "fd.proto"];
    if EITHER_ENDPOINT.contains(&name) {
        return false;
    }
    sources
        .into_iter()
        .find_map(|s| cx.profile.lookup(s, name, arg).ok())
        .is_some_and(|f| !f.is_list() && !f.is_unindexed_ancestor())
}

pub(crate) fn fc010(cx: &Cx<'_>, out: &mut Vec<Hit>) {
    for ci in &cx.conds {
        let Some(expr) = &ci.expr else { continue };
        let text = ci.scalar.value();
        expr.walk(&mut |e| {
            let ExprKind::Or(children) = &e.kind else {
                return;
            };
            for c in children {
                if !matches!(c.kind, ExprKind::And(_)) {
                    continue;
                }
                let before = text
                    .get(..c.span.start as usize)
                    .unwrap_or_default()
                    .trim_end();
                if before.ends_with('(') {
                    continue;
                }
                out.push(
                    Hit::new(
                        ci.file,
                        ci.span(c.span),
                        format!(
                            "`and` inside `or` without parentheses: `{}`",
                            clip(ci.text(c.span), 60)
                        ),
                    )
                    .note("`and` binds tighter than `or`, so this is `… or (… and …)`; add the parentheses to show that is what you mean"),
                );
            }
        });
    }
}
