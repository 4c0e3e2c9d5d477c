//! Fuzzes the condition parser: arbitrary UTF-8 must parse or fail cleanly (error offset
//! within the input); a condition that parses must print, and its canonical form must
//! re-parse to the same AST and print identically — unless the AST holds one of the
//! documented cases where canonical printing is lossy (`shared/spec/conditions.md` §5; see
//! `lossy_expr` below and `crates/lang/tests/roundtrip.rs`).

#![no_main]

use falcoc_lang::condition::ast::*;
use falcoc_lang::condition::escape::needs_quotes;
use falcoc_lang::condition::{json::to_json, parse, print::as_string};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let ast = match parse(text) {
        Ok(ast) => ast,
        Err(e) => {
            assert!(
                e.offset <= text.len(),
                "error offset {} beyond input length {}: {e}",
                e.offset,
                text.len()
            );
            let _ = e.pos(text);
            return;
        }
    };
    let printed = as_string(&ast);
    let reparsed = parse(&printed);
    if lossy_expr(&ast) {
        // Printing is known not to round-trip; re-parsing must still not panic.
        return;
    }
    let reparsed = match reparsed {
        Ok(r) => r,
        Err(e) => panic!("canonical form {printed:?} of {text:?} does not parse: {e}"),
    };
    assert_eq!(
        to_json(&reparsed),
        to_json(&ast),
        "canonical form {printed:?} of {text:?} parses differently"
    );
    assert_eq!(
        as_string(&reparsed),
        printed,
        "printing is not stable for {text:?}"
    );
});

/// A value printed by `escape_str` that does not read back: empty (prints as nothing),
/// unquoted with `(`, `)` or `,` (spec §5), or quoted and ending in a backslash (the
/// escaped `\\` hides the closing quote from the lexer).
fn lossy_text(s: &str) -> bool {
    if needs_quotes(s) {
        s.ends_with('\\')
    } else {
        s.is_empty() || s.contains(['(', ')', ','])
    }
}

/// A `[argument]` that does not read back: as [`lossy_text`], or unquoted with a bracket.
fn lossy_arg(a: &Option<String>) -> bool {
    a.as_deref()
        .is_some_and(|s| lossy_text(s) || (!needs_quotes(s) && s.contains(['[', ']'])))
}

fn lossy_operand(o: &Operand) -> bool {
    match &o.kind {
        OperandKind::Field(f) => lossy_arg(&f.arg),
        OperandKind::Transform(t) => lossy_arg(&t.arg) || t.args.iter().any(lossy_targ),
    }
}

/// A quoted transformer argument prints unquoted unless it needs quotes, and then reads
/// back as a field, an identifier or a number (`getopt(proc.args,nt:)`).
fn lossy_targ(a: &TransformArg) -> bool {
    match a {
        TransformArg::Operand(o) => lossy_operand(o),
        TransformArg::Value(v) => match v.form {
            ValueForm::Quoted => !needs_quotes(&v.text) || lossy_text(&v.text),
            _ => lossy_text(&v.text),
        },
        TransformArg::List(items, _) => items.iter().any(lossy_targ),
    }
}

fn lossy_expr(e: &Expr) -> bool {
    let mut lossy = false;
    e.walk(&mut |n| {
        lossy |= match &n.kind {
            // `not(not(a))` keeps both negations but prints as `not not a`, which is `a`.
            ExprKind::Not(c) => matches!(c.kind, ExprKind::Not(_)),
            // `(not) or x` prints as `(not or x)`, where `not ` is a negation.
            ExprKind::Macro(name) => name == "not",
            ExprKind::Exists(o) => lossy_operand(o),
            ExprKind::Compare(c) => {
                lossy_operand(&c.left)
                    || match &c.right {
                        Rhs::Value(v) | Rhs::ListRef(v) => lossy_text(&v.text),
                        Rhs::List(l) => l.items.iter().any(|v| lossy_text(&v.text)),
                        Rhs::Operand(o) => lossy_operand(o),
                    }
            }
            _ => false,
        };
    });
    lossy
}
