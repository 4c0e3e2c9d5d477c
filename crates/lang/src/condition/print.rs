//! Canonical printing of a condition AST (libsinsp's `as_string`, which Falco shows as
//! `condition_compiled`).

use super::ast::*;
use super::escape::push_escaped;

/// Prints `e` in canonical form: boolean nodes parenthesised with single spaces, values
/// escaped and quoted only where needed, lists as `(a, b)`.
pub fn as_string(e: &Expr) -> String {
    let mut out = String::new();
    write_expr(&mut out, e);
    out
}

fn write_expr(out: &mut String, e: &Expr) {
    match &e.kind {
        ExprKind::And(c) | ExprKind::Or(c) => {
            let sep = if matches!(e.kind, ExprKind::And(_)) {
                " and "
            } else {
                " or "
            };
            out.push('(');
            for (i, child) in c.iter().enumerate() {
                if i > 0 {
                    out.push_str(sep);
                }
                write_expr(out, child);
            }
            out.push(')');
        }
        ExprKind::Not(c) => {
            out.push_str("not ");
            write_expr(out, c);
        }
        ExprKind::Macro(name) => out.push_str(name),
        ExprKind::Exists(o) => {
            write_operand(out, o);
            out.push_str(" exists");
        }
        ExprKind::Compare(c) => {
            write_operand(out, &c.left);
            out.push(' ');
            out.push_str(c.op.as_str());
            if let Some(m) = c.modifier {
                out.push(' ');
                out.push_str(m.as_str());
            }
            out.push(' ');
            match &c.right {
                Rhs::Value(v) | Rhs::ListRef(v) => push_escaped(out, &v.text),
                Rhs::List(l) => write_list(out, &l.items),
                Rhs::Operand(o) => write_operand(out, o),
            }
        }
    }
}

fn write_list(out: &mut String, items: &[Value]) {
    out.push('(');
    for (i, v) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        push_escaped(out, &v.text);
    }
    out.push(')');
}

/// Prints an operand (`proc.aname[2]`, `tolower(proc.name)`).
pub fn operand_to_string(o: &Operand) -> String {
    let mut out = String::new();
    write_operand(&mut out, o);
    out
}

fn write_arg(out: &mut String, arg: &Option<String>) {
    if let Some(a) = arg {
        out.push('[');
        push_escaped(out, a);
        out.push(']');
    }
}

fn write_operand(out: &mut String, o: &Operand) {
    match &o.kind {
        OperandKind::Field(f) => {
            out.push_str(&f.name);
            write_arg(out, &f.arg);
        }
        OperandKind::Transform(t) => {
            out.push_str(t.kind.as_str());
            out.push('(');
            write_transform_args(out, &t.args);
            out.push(')');
            write_arg(out, &t.arg);
        }
    }
}

fn write_transform_args(out: &mut String, args: &[TransformArg]) {
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        match a {
            TransformArg::Operand(o) => write_operand(out, o),
            TransformArg::Value(v) => push_escaped(out, &v.text),
            TransformArg::List(items, _) => {
                out.push('(');
                write_transform_args(out, items);
                out.push(')');
            }
        }
    }
}
