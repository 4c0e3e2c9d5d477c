//! Property tests for the condition parser.
//!
//! * **Round trip**: a random valid AST printed with [`as_string`] parses back to the same
//!   AST (spans ignored, value forms compared) and prints to the identical string.
//! * **Robustness**: [`parse`] never panics on arbitrary input, and every error offset is a
//!   char boundary within the input.
//!
//! The generator produces only ASTs whose canonical printing re-parses. Canonical printing
//! (libsinsp's `as_string`, `shared/spec/conditions.md` §5) is lossy in these cases, which
//! are therefore **excluded** from the generator:
//!
//! * an unquoted value containing `(`, `)` or `,` (they do not trigger quoting, so
//!   `in ("a,b", c)` prints as `in (a,b, c)`): bare values never contain them;
//! * the empty string (`a.b = ''` prints as `a.b = `): values are never empty;
//! * a quoted value ending with a backslash (`"C:\\"` prints with an escaped backslash right
//!   before the closing quote, and the lexer stops only at a quote *not* preceded by `\`);
//! * double negation (`not not x` parses to `x`): `not` is only generated over a child that
//!   is not itself a `not`;
//! * a field or transformer `[argument]` that is empty (prints as `[]`) or that contains `[`
//!   or `]` without otherwise needing quotes (the bare argument stops at a bracket);
//! * a quoted transformer argument that does not need quotes (`getopt(proc.args, "nt:")`
//!   prints as `getopt(proc.args,nt:)`, whose `nt:` is not a valid argument token): quoted
//!   transformer arguments always contain a character that forces quoting;
//! * the macro name `not` (at the start of a chain, `not and x` reads `not ` as negation),
//!   and `and`/`or`/`not` as the list name after a modifier (`= oneof and` is the value
//!   `oneof` and-ed with something);
//! * syntax the parser rejects anyway: `val(…)` on the left or nested in a transformer,
//!   transformers without arguments, nested transformer lists, modifiers on `<`/`in`/….
//!
//! Each property runs 256 cases by default; set `PROPTEST_CASES` for a longer run.
//!
//! `and`/`or` children may be `and`/`or` nodes of the same kind: printing parenthesises
//! every boolean node, so `((a and b) and c)` keeps its nesting.

use falcoc_lang::condition::ast::*;
use falcoc_lang::condition::escape::needs_quotes;
use falcoc_lang::condition::{json::to_json, parse, print::as_string};
use falcoc_lang::span::Span;
use proptest::prelude::*;

// ---------------------------------------------------------------------------------------
// Span-insensitive comparison
// ---------------------------------------------------------------------------------------

/// Checks that `s` lies within a text of `len` bytes, then erases it.
fn norm_span(s: &mut Span, len: usize) {
    assert!(
        s.start <= s.end && s.end as usize <= len,
        "span {s:?} outside 0..{len}"
    );
    *s = Span::default();
}

fn norm_value(v: &mut Value, len: usize) {
    norm_span(&mut v.span, len);
}

fn norm_operand(o: &mut Operand, len: usize) {
    norm_span(&mut o.span, len);
    if let OperandKind::Transform(t) = &mut o.kind {
        for a in &mut t.args {
            norm_targ(a, len);
        }
    }
}

fn norm_targ(a: &mut TransformArg, len: usize) {
    match a {
        TransformArg::Operand(o) => norm_operand(o, len),
        TransformArg::Value(v) => norm_value(v, len),
        TransformArg::List(items, span) => {
            norm_span(span, len);
            for i in items {
                norm_targ(i, len);
            }
        }
    }
}

/// Erases every span of `e` (checking each lies within `len` bytes), so that two ASTs can
/// be compared with `==`, which also compares value forms and right-hand side kinds.
fn norm_expr(e: &mut Expr, len: usize) {
    norm_span(&mut e.span, len);
    match &mut e.kind {
        ExprKind::And(c) | ExprKind::Or(c) => {
            for x in c {
                norm_expr(x, len);
            }
        }
        ExprKind::Not(c) => norm_expr(c, len),
        ExprKind::Macro(_) => {}
        ExprKind::Exists(o) => norm_operand(o, len),
        ExprKind::Compare(c) => {
            norm_operand(&mut c.left, len);
            match &mut c.right {
                Rhs::Value(v) | Rhs::ListRef(v) => norm_value(v, len),
                Rhs::List(l) => {
                    norm_span(&mut l.span, len);
                    for v in &mut l.items {
                        norm_value(v, len);
                    }
                }
                Rhs::Operand(o) => norm_operand(o, len),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------

fn expr(kind: ExprKind) -> Expr {
    Expr {
        kind,
        span: Span::default(),
    }
}

fn value(text: String, form: ValueForm) -> Value {
    Value {
        text,
        form,
        span: Span::default(),
    }
}

fn operand(kind: OperandKind) -> Operand {
    Operand {
        kind,
        span: Span::default(),
    }
}

/// Characters for free text: plain ones, the ones that force quoting (blanks, `=`, quotes,
/// backslash, control characters), the unquoted-but-special ones and some non-ASCII.
fn text_char() -> impl Strategy<Value = char> {
    prop_oneof![
        6 => prop::char::ranges(vec!['a'..='z', 'A'..='Z', '0'..='9'].into()),
        3 => prop::sample::select(vec![
            '/', '.', '*', '-', '_', ':', '<', '>', '!', '@', '#', '$', '%', '^', '&', '+',
            '~', '|', '{', '}', '?', ';', '`', '[', ']', '(', ')', ',',
        ]),
        3 => prop::sample::select(vec![
            ' ', ' ', '=', '"', '\'', '\\', '\t', '\n', '\r', '\u{8}', '\u{b}', '\u{c}',
            '\u{0}', '\u{1}', '\u{1f}',
        ]),
        1 => prop::sample::select(vec!['\u{7f}', 'é', 'ß', '日', '\u{85}', '\u{a0}', '🦀']),
    ]
}

fn raw_text(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(text_char(), 1..=max).prop_map(String::from_iter)
}

/// Makes `s` print reparseably as a value: non-empty; if quoted, not ending in `\`; if
/// unquoted, free of `(`, `)` and `,`.
fn fix_value_text(mut s: String) -> String {
    if s.is_empty() {
        s.push('x');
    }
    if needs_quotes(&s) {
        if s.ends_with('\\') {
            s.push('x');
        }
        s
    } else {
        s.replace(['(', ')', ','], "_")
    }
}

/// Text of a right-hand value or list element.
fn value_text() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => "[a-zA-Z0-9/._*:-]{1,12}",
        1 => prop::sample::select(vec![
            "and", "or", "not", "in", "exists", "oneof", "anyof", "allof", "val", "tolower",
            "<", "=<", "x]", "-1", "!0.12e+10", "proc.pname", "é",
        ])
        .prop_map(String::from),
        3 => raw_text(10),
    ]
    .prop_map(fix_value_text)
}

/// A value with the form the parser gives it after `=`, `!=`, word operators and in lists.
fn str_value() -> impl Strategy<Value = Value> {
    value_text().prop_map(|t| {
        let form = if needs_quotes(&t) {
            ValueForm::Quoted
        } else {
            ValueForm::Bare
        };
        value(t, form)
    })
}

/// A quoted transformer argument: its text must need quotes to print as a string.
fn quoted_targ() -> impl Strategy<Value = Value> {
    value_text().prop_map(|mut t| {
        if !needs_quotes(&t) {
            t.push(' ');
        }
        value(fix_value_text(t), ValueForm::Quoted)
    })
}

fn number_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[+-]?[0-9]{1,6}",
        "[+-]?[0-9]{1,4}\\.[0-9]{0,4}",
        "[+-]?[0-9]{1,3}(\\.[0-9]{0,3})?[eE][+-][0-9]{1,3}",
        "0[xX][0-9a-fA-F]{1,8}",
    ]
}

fn number() -> impl Strategy<Value = Value> {
    number_text().prop_map(|t| value(t, ValueForm::Number))
}

fn ident() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-zA-Z][a-zA-Z0-9_]{0,8}",
        1 => prop::sample::select(vec![
            "and", "or", "not", "in", "exists", "oneof", "anyof", "allof", "val", "len",
            "tolower", "nota", "true",
        ])
        .prop_map(String::from),
    ]
}

fn macro_name() -> impl Strategy<Value = String> {
    ident().prop_map(|s| if s == "not" { "notnot".into() } else { s })
}

/// A list name after a modifier: not `and`/`or`/`not`.
fn modifier_list_name() -> impl Strategy<Value = String> {
    ident().prop_map(|s| {
        if matches!(s.as_str(), "and" | "or" | "not") {
            format!("{s}_list")
        } else {
            s
        }
    })
}

fn field_name() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[a-zA-Z][a-zA-Z0-9_]{0,5}(\\.[a-zA-Z][a-zA-Z0-9_]{0,5}){1,3}",
        1 => prop::sample::select(vec![
            "proc.name", "fd.name", "evt.arg.flags", "not.x", "in.x", "and.or", "val.x",
            "tolower.y", "k8s.pod.label",
        ])
        .prop_map(String::from),
    ]
}

/// A `[argument]`: non-empty; unquoted ones cannot contain brackets.
fn bracket_arg() -> impl Strategy<Value = Option<String>> {
    let text = prop_oneof![
        2 => "[a-zA-Z0-9/._*:(),!$%^&-]{1,10}",
        1 => raw_text(8),
    ]
    .prop_map(|s| {
        let s = fix_value_text(s);
        if needs_quotes(&s) {
            s
        } else {
            s.replace(['[', ']'], "_")
        }
    });
    prop::option::weighted(0.3, text)
}

fn field() -> impl Strategy<Value = Operand> {
    (field_name(), bracket_arg())
        .prop_map(|(name, arg)| operand(OperandKind::Field(FieldRef { name, arg })))
}

const TRANSFORMERS: [TransformerKind; 8] = [
    TransformerKind::ToLower,
    TransformerKind::ToUpper,
    TransformerKind::B64,
    TransformerKind::Basename,
    TransformerKind::Len,
    TransformerKind::Join,
    TransformerKind::Concat,
    TransformerKind::Getopt,
];

fn transform(kind: TransformerKind, args: Vec<TransformArg>, arg: Option<String>) -> Operand {
    operand(OperandKind::Transform(Transform { kind, args, arg }))
}

/// A field or a (possibly nested) non-`val` transformer, as allowed on the left of a check
/// and as a transformer argument.
fn left_operand() -> impl Strategy<Value = Operand> {
    field().prop_recursive(3, 12, 3, |inner| {
        let item = prop_oneof![
            3 => inner.clone().prop_map(TransformArg::Operand),
            1 => quoted_targ().prop_map(TransformArg::Value),
            1 => number().prop_map(TransformArg::Value),
        ];
        let targ = prop_oneof![
            4 => item.clone(),
            1 => prop::collection::vec(item, 0..=3)
                .prop_map(|items| TransformArg::List(items, Span::default())),
        ];
        (
            prop::sample::select(TRANSFORMERS.to_vec()),
            prop::collection::vec(targ, 1..=3),
            bracket_arg(),
        )
            .prop_map(|(kind, args, arg)| transform(kind, args, arg))
    })
}

/// A right-hand operand: `val(field)` or a transformer.
fn rhs_operand() -> impl Strategy<Value = Rhs> {
    let val = (field(), bracket_arg())
        .prop_map(|(f, arg)| transform(TransformerKind::Val, vec![TransformArg::Operand(f)], arg));
    // A bare field after an operator would be a value: wrap it in a transformer.
    let xform = left_operand().prop_map(|o| match o.kind {
        OperandKind::Transform(_) => o,
        OperandKind::Field(_) => transform(
            TransformerKind::ToLower,
            vec![TransformArg::Operand(o)],
            None,
        ),
    });
    prop_oneof![val, xform].prop_map(Rhs::Operand)
}

fn list() -> impl Strategy<Value = Rhs> {
    prop::collection::vec(str_value(), 0..=4).prop_map(|items| {
        Rhs::List(ValueList {
            items,
            span: Span::default(),
        })
    })
}

fn compare(left: Operand, op: CmpOp, modifier: Option<Modifier>, right: Rhs) -> ExprKind {
    ExprKind::Compare(Comparison {
        left,
        op,
        modifier,
        right,
    })
}

fn comparison() -> impl Strategy<Value = Expr> {
    let numeric = (
        left_operand(),
        prop::sample::select(vec![CmpOp::Lt, CmpOp::Le, CmpOp::Gt, CmpOp::Ge]),
        prop_oneof![3 => number().prop_map(Rhs::Value), 1 => rhs_operand()],
    )
        .prop_map(|(l, op, r)| compare(l, op, None, r));
    let listy = (
        left_operand(),
        prop::sample::select(vec![CmpOp::In, CmpOp::Intersects, CmpOp::PMatch]),
        prop_oneof![
            3 => list(),
            1 => ident().prop_map(|s| Rhs::ListRef(value(s, ValueForm::Bare))),
            1 => rhs_operand(),
        ],
    )
        .prop_map(|(l, op, r)| compare(l, op, None, r));
    let str_ops = prop::sample::select(
        CmpOp::ALL
            .into_iter()
            .filter(|o| !o.is_list_op() && !o.is_numeric_op())
            .collect::<Vec<_>>(),
    );
    let plain = (
        left_operand(),
        str_ops.clone(),
        prop_oneof![3 => str_value().prop_map(Rhs::Value), 1 => rhs_operand()],
    )
        .prop_map(|(l, op, r)| compare(l, op, None, r));
    let modified = (
        left_operand(),
        str_ops,
        prop::sample::select(vec![Modifier::OneOf, Modifier::AnyOf, Modifier::AllOf]),
        prop_oneof![
            3 => list(),
            1 => modifier_list_name().prop_map(|s| Rhs::ListRef(value(s, ValueForm::Bare))),
        ],
    )
        .prop_map(|(l, op, m, r)| compare(l, op, Some(m), r));
    prop_oneof![2 => numeric, 2 => listy, 4 => plain, 2 => modified].prop_map(expr)
}

fn leaf() -> impl Strategy<Value = Expr> {
    prop_oneof![
        1 => macro_name().prop_map(|n| expr(ExprKind::Macro(n))),
        1 => left_operand().prop_map(|o| expr(ExprKind::Exists(o))),
        4 => comparison(),
    ]
}

fn condition() -> impl Strategy<Value = Expr> {
    leaf().prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            2 => prop::collection::vec(inner.clone(), 2..=4).prop_map(|c| expr(ExprKind::And(c))),
            2 => prop::collection::vec(inner.clone(), 2..=4).prop_map(|c| expr(ExprKind::Or(c))),
            // No double negation: `not` over a `not` would collapse when parsed.
            1 => inner.prop_map(|c| match c.kind {
                ExprKind::Not(_) => c,
                _ => expr(ExprKind::Not(Box::new(c))),
            }),
        ]
    })
}

// ---------------------------------------------------------------------------------------
// Robustness inputs
// ---------------------------------------------------------------------------------------

/// Strings over a condition-ish alphabet.
fn conditionish() -> impl Strategy<Value = String> {
    let ch = prop::sample::select(vec![
        'a', 'b', 'x', 'z', 'A', '0', '1', '9', '.', '.', '(', ')', '(', ')', '[', ']', '"', '\'',
        '\\', ' ', ' ', '\t', '\n', '\r', '\u{8}', '\u{b}', '\u{c}', '=', '!', '<', '>', ',', '+',
        '-', '_', '/', '*', 'é', '\u{0}', 'x',
    ]);
    prop::collection::vec(ch, 0..80).prop_map(String::from_iter)
}

/// Tokens and token fragments for [`token_soup`].
#[rustfmt::skip]
const TOKENS: &[&str] = &[
    "a.b", "proc.name", "x", "mac", "and", "or", "not", "not(", "(", ")", "=", "==", "!=",
    "<", "<=", ">", ">=", "in", "intersects", "pmatch", "contains", "icontains", "glob",
    "startswith", "exists", "oneof", "anyof", "allof", "val(", "tolower(", "join(",
    "getopt(", "concat(", "len(", "[", "]", "[0]", ",", "'", "\"", "\\", "'q'", "\"a b\"",
    "1", "-2.5", "1e+3", "0x1F", "1.", " ", " ", " ", "\t", "\n", "\\\"", "\\'", "\\ ",
];

/// Sequences of tokens and token fragments, which reach deeper parser states than
/// character soup.
fn token_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(TOKENS), 0..40).prop_map(|v| v.concat())
}

fn check_no_panic(s: &str) {
    match parse(s) {
        Ok(e) => {
            // Printing must not panic either (it may legitimately not re-parse, see above).
            let _ = as_string(&e);
            let _ = to_json(&e);
        }
        Err(err) => {
            assert!(
                err.offset <= s.len(),
                "error offset {} > input length {} for {s:?}: {err}",
                err.offset,
                s.len()
            );
            assert!(
                s.is_char_boundary(err.offset),
                "error offset {} not on a char boundary in {s:?}: {err}",
                err.offset
            );
            let _ = err.pos(s);
        }
    }
}

proptest! {
    // 256 cases per property (proptest's default); `PROPTEST_CASES=N` runs more.
    #![proptest_config(ProptestConfig::default())]

    #[test]
    fn printed_ast_reparses_identically(ast in condition()) {
        let printed = as_string(&ast);
        let mut reparsed = match parse(&printed) {
            Ok(e) => e,
            Err(e) => panic!("canonical form {printed:?} does not parse: {e}"),
        };
        prop_assert_eq!(as_string(&reparsed), printed.as_str());
        prop_assert_eq!(to_json(&reparsed), to_json(&ast));
        norm_expr(&mut reparsed, printed.len());
        prop_assert_eq!(reparsed, ast, "via {:?}", printed);
    }

    #[test]
    fn parse_never_panics_on_any_string(s in any::<String>()) {
        check_no_panic(&s);
    }

    #[test]
    fn parse_never_panics_on_conditionish_text(s in conditionish()) {
        check_no_panic(&s);
    }

    #[test]
    fn parse_never_panics_on_token_soup(s in token_soup()) {
        check_no_panic(&s);
    }

    #[test]
    fn parse_never_panics_on_lossy_bytes(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        check_no_panic(&String::from_utf8_lossy(&bytes));
    }
}
