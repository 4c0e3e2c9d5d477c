//! The tricky inputs of `shared/spec/conditions.md` §17.1 that concern the parser (the
//! loader- and compiler-level ones are tested in the compiler crate), plus guardrails.

use falcoc_lang::condition::{parse, print::as_string};

fn ok(cond: &str) -> String {
    match parse(cond) {
        Ok(e) => as_string(&e),
        Err(e) => panic!("{cond:?} rejected: {e}"),
    }
}

fn err(cond: &str) -> (String, usize) {
    match parse(cond) {
        Ok(e) => panic!("{cond:?} accepted as {}", as_string(&e)),
        Err(e) => (e.message, e.offset),
    }
}

const UNEXPECTED: &str = "expecting 'or', 'and'";

#[test]
fn list_operator_needs_no_blank() {
    assert_eq!(ok("proc.name inside"), "proc.name in side");
    assert_eq!(ok("proc.name intersectsfoo"), "proc.name intersects foo");
}

#[test]
fn glued_in_then_junk() {
    let (m, at) = err("a.a invalidoperator xxx");
    assert_eq!(
        m,
        format!("unexpected token after 'validoperator', {UNEXPECTED}")
    );
    assert_eq!(at, 20);
}

#[test]
fn exists_needs_no_blank_after() {
    assert_eq!(ok("test.op existsand macro"), "(test.op exists and macro)");
}

#[test]
fn keyword_needs_blank_or_paren() {
    assert_eq!(
        err("a andb"),
        ("expected blank or '(' after 'and'".into(), 5)
    );
    assert_eq!(ok("a and(b)"), "(a and b)");
    assert_eq!(ok("(a)or(b)"), "(a or b)");
}

#[test]
fn no_blank_needed_before_keyword() {
    assert_eq!(ok("a.b='x'and c"), "(a.b = x and c)");
    let (m, _) = err("a.b=1and c");
    assert_eq!(m, format!("unexpected token after '1and', {UNEXPECTED}"));
}

#[test]
fn nots_cancel_in_pairs() {
    assert_eq!(
        ok("not not not not not(not not(not not_macro))"),
        "not not not_macro"
    );
}

#[test]
fn keywords_are_not_reserved() {
    assert_eq!(ok("x and and"), "(x and and)");
    assert_eq!(ok("not"), "not");
    assert_eq!(ok("fd.name = or"), "fd.name = or");
    assert_eq!(ok("a.b = not"), "a.b = not");
}

#[test]
fn identifiers_start_with_a_letter() {
    assert_eq!(
        err("_macro"),
        (
            "expected a '(' token, a field check, or an identifier".into(),
            0
        )
    );
}

#[test]
fn quote_after_backslash_never_closes() {
    let (m, at) = err(r#"proc.name = "C:\\""#);
    assert!(m.starts_with("expected a string value or a field with a valid transformer"));
    assert_eq!(at, 12);
}

#[test]
fn escapes() {
    assert_eq!(
        ok(r#"test.str = "bad escape \ ""#),
        r#"test.str = "bad escape \\""#
    );
    assert_eq!(
        err(r#"test.str = "mixed \'""#),
        ("invalid \\' escape in \"-quoted string".into(), 21)
    );
    assert_eq!(
        err(r#"proc.name = "a\x41b""#).0,
        "unsupported string escape sequence: \\x"
    );
}

#[test]
fn exponent_needs_a_sign() {
    let (m, _) = err("test.num > 1e5");
    assert_eq!(m, format!("unexpected token after '1', {UNEXPECTED}"));
    assert_eq!(ok("test.num > 1.5e+3"), "test.num > 1.5e+3");
    assert_eq!(ok("evt.num > 0x10"), "evt.num > 0x10");
}

#[test]
fn any_blank_after_word_operator() {
    assert_eq!(ok("proc.name contains\tcat"), "proc.name contains cat");
    assert_eq!(
        err("test.op startswithvalue").1,
        8,
        "reported at the operator (Falco 0.44)"
    );
}

#[test]
fn operator_modifiers() {
    assert_eq!(
        ok("proc.name == oneof (cat, nginx)"),
        "proc.name == oneof (cat, nginx)"
    );
    assert_eq!(
        ok("proc.name == anyof and fd.name exists"),
        "(proc.name == anyof and fd.name exists)"
    );
    assert_eq!(ok("proc.name = oneof"), "proc.name = oneof");
    assert!(parse("proc.name ==oneof (a)").is_err());
}

#[test]
fn lists_hold_only_values() {
    assert_eq!(
        err("proc.name in (a, (b))"),
        ("expected a string value".into(), 17)
    );
    assert!(parse("proc.name in (a,,b)").is_err());
    assert!(parse("proc.name in (a,)").is_err());
    assert_eq!(ok("proc.name in ()"), "proc.name in ()");
}

#[test]
fn val_takes_only_a_field() {
    assert_eq!(
        err("some.field = val(toupper(test.field))"),
        ("expected a field within 'val' transformer".into(), 17)
    );
}

#[test]
fn no_blank_between_transformer_and_paren() {
    let (m, _) = err("b64 (test.field) exists");
    assert_eq!(m, format!("unexpected token after 'b64', {UNEXPECTED}"));
}

#[test]
fn no_blank_before_field_argument() {
    let (m, at) = err("proc.aname [2]=bash");
    assert!(m.starts_with("expected a valid check operator"));
    assert_eq!(at, 11);
}

#[test]
fn substituted_list_without_parentheses_fails() {
    // What `proc.name in shells` becomes after Falco's textual list substitution.
    let (m, _) = err(r#"proc.name in bash, sh, "my sh""#);
    assert_eq!(m, format!("unexpected token after 'bash', {UNEXPECTED}"));
}

#[test]
fn empty_and_blank_input() {
    assert_eq!(err(""), ("filter input string is empty".into(), 0));
    assert_eq!(
        err("   ").0,
        "expected a '(' token, a field check, or an identifier"
    );
}

#[test]
fn deep_nesting_is_bounded_without_overflow() {
    let deep = "(".repeat(100_000);
    let (m, _) = err(&deep);
    assert_eq!(m, "exceeded max depth limit of 1000");
    let ok_depth = format!("{}a.b exists{}", "(".repeat(150), ")".repeat(150));
    assert_eq!(ok(&ok_depth), "a.b exists");
    let transformers = format!(
        "{}proc.name{} exists",
        "tolower(".repeat(500),
        ")".repeat(500)
    );
    assert!(parse(&transformers).is_err());
}

#[test]
fn long_flat_chains_are_fine() {
    let chain = vec!["a.b exists"; 50_000].join(" and ");
    assert!(parse(&chain).is_ok());
}
