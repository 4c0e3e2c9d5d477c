//! Unit tests of the code generator: layout, jump threading, interning, merging and the
//! structure chosen for each operator.

use super::*;
use falcoc_compiler::check::check_condition;
use falcoc_lang::condition::parse;
use falcoc_schema::fields::PluginProfile;

fn cond(src: &str) -> Cond {
    let e = parse(src).unwrap_or_else(|e| panic!("{src}: {e}"));
    check_condition(&e, "syscall", &PluginProfile::all())
        .unwrap_or_else(|e| panic!("{src}: {e}"))
        .cond
}

fn program(src: &str) -> Program {
    compile_cond(&cond(src))
}

/// The kind of the only check of a program.
fn only_kind(src: &str) -> CheckKind {
    let p = program(src);
    assert_eq!(p.tables.checks.len(), 1, "{src}: {:?}", p.tables.checks);
    p.tables.checks[0].kind.clone()
}

fn test_of(src: &str) -> Test {
    match only_kind(src) {
        CheckKind::Single(t) | CheckKind::Any(t) => t,
        CheckKind::All { test, .. } => test,
        k => panic!("{src}: {k:?}"),
    }
}

#[test]
fn layout_and_threading() {
    let p = program("proc.name = a and (fd.name = b or fd.num = 3) and evt.num > 1");
    // The inner `or`'s `jt` would land on `jf 7`, not taken with a true accumulator:
    // threaded to 6.
    assert_eq!(
        p.code.to_string(),
        "0000 check 0\n0001 jf 7\n0002 check 1\n0003 jt 6\n0004 check 2\n0005 jf 7\n0006 check 3\n"
    );
    let p = program("(proc.name = a or fd.name = b) and evt.num > 1");
    assert_eq!(
        p.code.to_string(),
        "0000 check 0\n0001 jt 4\n0002 check 1\n0003 jf 5\n0004 check 2\n"
    );
    let p = program("not (proc.name = a and fd.name = b)");
    assert_eq!(
        p.code.to_string(),
        "0000 check 0\n0001 jf 3\n0002 check 1\n0003 not\n"
    );
    let p = program("not not proc.name = a");
    assert_eq!(p.code.code.len(), 1, "double negation removed");
}

#[test]
fn interning_across_rules() {
    let mut b = Builder::new();
    let a = b.add(&cond("evt.type = execve and proc.name = bash"));
    let c = b.add(&cond("evt.type = execve and tolower(proc.name) = bash"));
    let t = b.finish();
    assert_eq!(a.code[0], c.code[0], "identical checks are shared");
    assert_eq!(t.fields.len(), 2, "evt.type and proc.name once each");
    assert_eq!(t.checks.len(), 3);
    assert_eq!(t.exprs.len(), 3, "two fields and one transformer");
    assert!(matches!(t.exprs[2].node, ExprNode::Transform(_, ExprId(1))));
}

#[test]
fn merging_alternatives() {
    let p = program("proc.name = a or proc.name in (b, c) or proc.name = d");
    assert_eq!(p.tables.checks.len(), 1);
    match &p.tables.checks[0].kind {
        CheckKind::Single(Test::In(s)) => assert_eq!(s.len(), 4),
        k => panic!("{k:?}"),
    }
    let p = program("fd.name startswith /etc or fd.name startswith /usr or evt.num = 1");
    assert_eq!(p.tables.checks.len(), 2);
    assert!(matches!(
        p.tables.checks[0].kind,
        CheckKind::Single(Test::StartsWithAny(_))
    ));
    let p = program("not proc.name in (a, b) and not proc.name = c and fd.num = 1");
    assert_eq!(p.tables.checks.len(), 2);
    assert_eq!(
        p.code.to_string(),
        "0000 check 0\n0001 not\n0002 jf 4\n0003 check 1\n"
    );
    // Different left sides or operators are not merged.
    let p = program("proc.name = a or proc.pname = b or proc.name contains c");
    assert_eq!(p.tables.checks.len(), 3);
    // Ancestors compare per ancestor: never merged.
    let p = program("proc.aname = a or proc.aname = b");
    assert_eq!(p.tables.checks.len(), 2);
}

#[test]
fn structures() {
    assert!(matches!(
        test_of("proc.name contains ab"),
        Test::Contains(_)
    ));
    assert!(matches!(
        test_of("proc.name icontains ab"),
        Test::ContainsAny(_)
    ));
    assert!(matches!(
        test_of("proc.name contains anyof (a, b)"),
        Test::ContainsAny(_)
    ));
    assert!(matches!(
        test_of("proc.name endswith anyof (a, bc)"),
        Test::EndsWithAny(_)
    ));
    assert!(matches!(
        test_of("proc.name != allof (a, b)"),
        Test::NotIn(_)
    ));
    assert!(matches!(test_of("proc.name == anyof (a, b)"), Test::In(_)));
    assert!(matches!(
        test_of("proc.name startswith oneof (a, b)"),
        Test::Count(Quant::One, _)
    ));
    assert!(matches!(test_of("proc.name glob abc"), Test::Eq(_)));
    assert!(matches!(test_of("proc.name glob 'a*'"), Test::Glob(_)));
    assert!(matches!(
        test_of("proc.name regex '[a-'"),
        Test::Regex(None)
    ));
    assert!(matches!(
        test_of("proc.name regex 'a.*'"),
        Test::Regex(Some(_))
    ));
    assert!(matches!(test_of("proc.name in ()"), Test::Const(false)));
    assert!(matches!(
        test_of("fd.name pmatch (/a, /b/*)"),
        Test::PMatch(_)
    ));
    assert!(matches!(test_of("proc.pid in (1, 2, 3)"), Test::NumIn(..)));
    assert!(matches!(
        test_of("evt.num > 5"),
        Test::Num(NumKind::Unsigned(64), Ord6::Gt, Num::U(5))
    ));
    assert!(matches!(test_of("fd.sip in (1.2.3.4, ::1)"), Test::IpIn(_)));
    assert!(matches!(test_of("fd.snet = 10.0.0.0/8"), Test::NetIn(_)));
    assert!(matches!(
        test_of("fd.snet != 10.0.0.0/8"),
        Test::NetNotIn(_)
    ));
    assert!(matches!(
        test_of("evt.buffer bcontains 68656c6c6f"),
        Test::Contains(_)
    ));
    assert!(matches!(
        test_of("evt.around[1404996934793590564] = 1000"),
        Test::Around {
            t: 1404996934793590564,
            delta: 1_000_000_000
        }
    ));
}

#[test]
fn modes() {
    assert!(matches!(only_kind("proc.aname = bash"), CheckKind::Any(_)));
    assert!(matches!(
        only_kind("proc.aname exists"),
        CheckKind::Exists { nonempty: true }
    ));
    assert!(matches!(
        only_kind("proc.aname[2] = bash"),
        CheckKind::Single(_)
    ));
    assert!(matches!(
        only_kind("fd.ip != 1.2.3.4"),
        CheckKind::All { nonempty: true, .. }
    ));
    assert!(matches!(only_kind("fd.port = 80"), CheckKind::Any(_)));
    match only_kind("fd.net in (10.0.0.0/8, 192.168.0.0/16)") {
        CheckKind::Any(Test::NetIn(n)) => assert_eq!(n.len(), 1, "first network only"),
        k => panic!("{k:?}"),
    }
    assert!(matches!(
        only_kind("fd.types in (file, ipv4)"),
        CheckKind::All {
            nonempty: false,
            ..
        }
    ));
    assert!(matches!(
        only_kind("fd.types intersects (file)"),
        CheckKind::Any(_)
    ));
    assert!(matches!(
        only_kind("proc.name = val(proc.pname)"),
        CheckKind::Field(_)
    ));
    let p = program("proc.aname = a and proc.aname[1] = b");
    let modes: Vec<FieldMode> = p.tables.fields.iter().map(|f| f.mode).collect();
    assert_eq!(modes, vec![FieldMode::Ancestors, FieldMode::Plain]);
}

#[test]
fn tests_on_values() {
    let t = test_of("proc.name glob oneof (my*, *exe)");
    assert!(!t.matches(ValueRef::Bytes(b"myexe")));
    assert!(t.matches(ValueRef::Bytes(b"myfile")));
    let t = test_of("evt.cpu > -500");
    assert!(t.matches(ValueRef::I64(1)));
    assert!(t.matches(ValueRef::U64(1)));
    let t = test_of("fd.name pmatch (/opt/*/subdir)");
    assert!(t.matches(ValueRef::Bytes(b"/opt/dir/subdir/file.txt")));
    assert!(!t.matches(ValueRef::Bytes(b"/opt/dir")));
    assert!(!t.matches(ValueRef::U64(1)), "wrong kind fails");
}
