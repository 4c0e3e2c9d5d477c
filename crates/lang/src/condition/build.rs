//! Small constructors used by the grammar's actions.

use super::ast::{Expr, ExprKind, Value, ValueForm};
use crate::span::Span;

/// An n-ary `or` (`is_or`) or `and` node.
pub fn nary(is_or: bool, first: Expr, rest: Vec<Expr>, l: usize, r: usize) -> Expr {
    let mut children = Vec::with_capacity(rest.len() + 1);
    children.push(first);
    children.extend(rest);
    let kind = if is_or {
        ExprKind::Or(children)
    } else {
        ExprKind::And(children)
    };
    Expr {
        kind,
        span: Span::new(l, r),
    }
}

/// `n` consecutive `not`s before `e`: they cancel in pairs.
pub fn negate(n: usize, e: Expr, l: usize, r: usize) -> Expr {
    if n % 2 == 0 {
        return e;
    }
    Expr {
        kind: ExprKind::Not(Box::new(e)),
        span: Span::new(l, r),
    }
}

/// A parenthesised group starting at `start` (just after its `(`). Like libsinsp, the
/// `and`/`or`/`not` nodes that begin the group are positioned at the group's start.
pub fn group(mut e: Expr, start: usize) -> Expr {
    set_chain_start(&mut e, start);
    e
}

/// Moves the start of `e` and of its leftmost `and`/`or`/`not` descendants to `start`,
/// stopping at a nested group (whose nodes already start after its own `(`).
pub fn set_chain_start(e: &mut Expr, start: usize) {
    let start = Span::new(start, start).start;
    let mut node = e;
    loop {
        if !matches!(
            node.kind,
            ExprKind::And(_) | ExprKind::Or(_) | ExprKind::Not(_)
        ) {
            return;
        }
        let old = node.span.start;
        node.span.start = old.min(start);
        let child = match &mut node.kind {
            ExprKind::And(c) | ExprKind::Or(c) => match c.first_mut() {
                Some(f) => f,
                None => return,
            },
            ExprKind::Not(c) => c,
            _ => return,
        };
        if child.span.start != old {
            return;
        }
        node = child;
    }
}

/// A constant token.
pub fn value(text: String, form: ValueForm, l: usize, r: usize) -> Value {
    Value {
        text,
        form,
        span: Span::new(l, r),
    }
}
