//! Tests of the event table and the event-type analysis against the shared corpus: the
//! `evttypes` condition vectors and the `events` lists of every rule in the golden
//! `falco -L` descriptions of Falco 0.42.1.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::PathBuf;

use falcoc_lang::condition::ast::{CmpOp, Expr, ExprKind, OperandKind, Rhs};
use falcoc_lang::condition::parse;

use super::analysis::{
    describe_event_names, event_codes, event_codes_as, Semantics, ERR_RHS_FIELD, ERR_TRANSFORMER,
    ERR_TRANSFORMER_MASTER,
};
use super::*;

fn shared() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
}

const CONTAINER_ASYNC: [&str; 2] = ["container", "container_removed"];

fn codes(cond: &str) -> EventSet {
    let e = parse(cond).unwrap_or_else(|err| panic!("{cond}: {err}"));
    event_codes(&e, &[]).unwrap_or_else(|err| panic!("{cond}: {err}"))
}

fn names_of(set: &EventSet) -> BTreeSet<&'static str> {
    set.iter().filter_map(event_name).collect()
}

#[test]
fn table_shape() {
    assert_eq!(events().len(), PPM_EVENT_MAX);
    for (i, e) in events().iter().enumerate() {
        assert_eq!(e.code as usize, i);
        let want = if i % 2 == 0 {
            Direction::Enter
        } else {
            Direction::Exit
        };
        assert_eq!(e.direction, want);
    }
    assert_eq!(event_name(PPME_GENERIC_E), Some("syscall"));
    assert_eq!(event_name(PPME_PLUGINEVENT_E), Some("pluginevent"));
    assert_eq!(event_name(PPME_ASYNCEVENT_E), Some("asyncevent"));
    assert_eq!(event_name(354), Some("useradded"));
    assert_eq!(event_name(358), Some("groupadded"));
    assert_eq!(event_name(429), Some("setregid"));
    let open_x = event(3).map(|e| e.params.iter().map(|p| p.name).collect::<Vec<_>>());
    assert_eq!(
        open_x,
        Some(vec!["fd", "name", "flags", "mode", "dev", "ino"])
    );
    assert_eq!(syscall_name(0), Some("unknown"));
    assert_eq!(
        syscall_code("openat"),
        event(306).and_then(|e| e.syscalls.first().copied())
    );
    assert_eq!(syscall_code(""), None);
    assert!(all_sc_set().len() > 400);
    assert_eq!(all_event_set().len(), 430);
    assert!(event(2).is_some_and(|e| e.category.is_syscall() && e.category.name() == Some("file")));
    assert!(event(324).is_some_and(|e| e.is_metaevent()));
}

#[test]
fn name_sets() {
    let open = names_to_event_set(["open"], &[]);
    assert_eq!(open.iter().collect::<Vec<_>>(), vec![2, 3]);
    // A syscall without a dedicated event maps to the generic events.
    assert_eq!(names_to_event_set(["mlock2x"], &[]).len(), 0);
    assert_eq!(
        names_to_event_set(["umask"], &[])
            .iter()
            .collect::<Vec<_>>(),
        vec![0, 1]
    );
    // `syscall` itself is not matched by name (codes start at 2).
    assert!(names_to_event_set(["syscall"], &[]).is_empty());
    // Async event names of plugins add `asyncevent`.
    let c = names_to_event_set(["container"], &CONTAINER_ASYNC);
    assert!(c.contains(PPME_ASYNCEVENT_E) && c.contains(324) && c.contains(228));
    assert!(!names_to_event_set(["container"], &[]).contains(PPME_ASYNCEVENT_E));
    assert!(is_known_event_type("container_removed", &CONTAINER_ASYNC));
    assert!(!is_known_event_type("container_removed", &[]));
    assert_eq!(
        validate_event_type("OPEN", &[]),
        Err("unknown event type OPEN".to_string())
    );
    assert!(validate_event_type("NA", &[]).is_ok());
    assert!(validate_event_type("mlock", &[]).is_ok());
    let sc = event_names_to_sc_set(["umask", "open"], &[]);
    assert_eq!(
        sc_set_to_sc_names(&sc),
        ["open", "umask"].into_iter().collect::<BTreeSet<_>>()
    );
    assert_eq!(
        find_longest_matching_param("fdx").map(|p| (p.name, p.ty)),
        Some(("fd", FieldType::Fd))
    );
    assert_eq!(
        find_longest_matching_param("res").map(|p| p.ty),
        Some(FieldType::Errno)
    );
    assert!(find_longest_matching_param("zzz").is_none());
}

#[test]
fn analysis_examples() {
    // fields.md §8.2 examples.
    let u = all_event_set();
    let open = names_to_event_set(["open"], &[]);
    let close = names_to_event_set(["close"], &[]);
    assert_eq!(codes("evt.type = open"), open);
    assert_eq!(codes("evt.type = open or proc.name = cat"), u);
    assert_eq!(
        codes("not evt.type in (open, close)"),
        u.diff(&open.union(&close))
    );
    assert_eq!(codes("not (evt.type = open and proc.name = cat)"), u);
    assert!(codes("evt.type = open and evt.type = close").is_empty());
    assert_eq!(codes("evt.type exists"), u);
    assert!(codes("not evt.type exists").is_empty());
    assert_eq!(codes("not proc.name exists"), u);
    assert_eq!(codes("evt.type startswith open"), u);
    assert_eq!(codes("evt.type != open"), u.diff(&open));
    assert_eq!(codes("not evt.type != open"), open);
    assert_eq!(codes("some_macro"), u);
    let e = parse("tolower(evt.type) = open").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(event_codes(&e, &[]), Err(ERR_TRANSFORMER.to_string()));
    let e = parse("evt.type = val(proc.name)").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(event_codes(&e, &[]), Err(ERR_RHS_FIELD.to_string()));
    assert!(warns_no_evttype(&u) && warns_no_evttype(&EventSet::new()) && !warns_no_evttype(&open));
}

/// The `evt.num` invariant (libs master): decided leaves are real sets, complemented under
/// negation; constants are read as libsinsp's `UINT64` parser reads them.
#[test]
fn evt_num_invariant() {
    let master = |c: &str| {
        let e = parse(c).unwrap_or_else(|e| panic!("{c}: {e}"));
        event_codes_as(&e, &[], Semantics::LibsMaster).unwrap_or_else(|e| panic!("{c}: {e}"))
    };
    // Falco 0.42.1 (libs 0.22) knows no invariant: the leaf is neutral.
    assert_eq!(codes("evt.num = 0"), all_event_set());
    assert_eq!(codes("not evt.num != 0"), all_event_set());
    let u = all_event_set();
    let openat = names_to_event_set(["openat"], &[]);
    // Forms of zero `sscanf("%lu%c")` accepts: sign, leading zeros, leading blanks.
    for never in [
        "evt.num = 0",
        "evt.num = +0",
        "evt.num = -0",
        "evt.num = 000",
        "evt.num = \" 0\"",
        "evt.num == '0'",
        "evt.num < 1",
        "evt.num < 01",
        "evt.num <= 0",
        "evt.num in ()",
        "evt.num in (0, +0, 00)",
        // -(2^64 - 1) wraps to 1.
        "evt.num < -18446744073709551615",
        "not evt.num != 0",
        "not evt.num >= 1",
        "not not evt.num = 0",
    ] {
        assert!(
            master(never).is_empty(),
            "{never}: {:?}",
            names_of(&master(never))
        );
    }
    for always in [
        "evt.num != 0",
        "evt.num > 0",
        "evt.num >= 0",
        "evt.num >= 1",
        "evt.num >= +1",
        "not evt.num = 0",
        "not evt.num in ()",
    ] {
        assert_eq!(master(always), u, "{always}");
    }
    // Undecided: not a number for `%lu` (hex, fraction, trailing blank), a wrapped
    // negative, other values, an argument, a transformer, a list name, a field.
    for unknown in [
        "evt.num = 0x0",
        "evt.num = 1.5",
        "evt.num = \"0 \"",
        "evt.num = -1",
        "evt.num = 1",
        "evt.num < 2",
        "evt.num in (0, 1)",
        "evt.num[1] = 0",
        "b64(evt.num) = 0",
        "evt.num in zero",
        "evt.num = val(evt.num)",
        "evt.num contains 0",
        "not evt.num = 1",
    ] {
        assert_eq!(master(unknown), u, "{unknown}");
    }
    assert!(master("evt.type = openat and evt.num = 0").is_empty());
    assert_eq!(master("evt.type = openat or evt.num = 0"), openat);
    assert_eq!(master("evt.type = openat and not evt.num = 0"), openat);
    assert_eq!(
        master("not (evt.type = openat or evt.num = 0)"),
        u.diff(&openat)
    );
}

/// libs master's other differences: `evt.type['']` has an (empty) argument, and every
/// argument of a multi-argument transformer is visited.
#[test]
fn master_transformer_arguments() {
    let master = |c: &str| {
        let e = parse(c).unwrap_or_else(|e| panic!("{c}: {e}"));
        event_codes_as(&e, &[], Semantics::LibsMaster)
    };
    let u = all_event_set();
    assert_eq!(master("evt.type[''] = open"), Ok(u.clone()));
    assert_eq!(
        codes("evt.type[''] = open"),
        names_to_event_set(["open"], &[])
    );
    assert_eq!(
        master("concat(proc.name, evt.type) = x"),
        Err(ERR_TRANSFORMER_MASTER.to_string())
    );
    assert_eq!(master("concat(proc.name, fd.name) = x"), Ok(u.clone()));
    // A literal argument is visited as a value node: under a negation the leaf it ends
    // is then complemented (libs master's visitor keeps that value's "has codes" state).
    assert!(master("not concat(proc.name, 'x') = y").is_ok_and(|s| s.is_empty()));
    assert_eq!(master("not concat('x', proc.name) = y"), Ok(u));
}

/// The `evttypes` vectors of the condition-vector manifest.
#[test]
fn evttypes_vectors() {
    let path = shared().join("corpus/condition-vectors/manifest.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let m: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    let vectors = m["vectors"].as_array().cloned().unwrap_or_default();
    let u = all_event_set();
    let (mut checked, mut errors) = (0, 0);
    for v in vectors.iter().filter(|v| v["kind"] == "evttypes") {
        let input = v["input"].as_str().unwrap_or_default();
        let id = v["id"].as_str().unwrap_or_default();
        let Ok(e) = parse(input) else {
            assert_eq!(v["expect"], "reject", "{id}: {input} does not parse");
            continue;
        };
        if v["expect"] == "accept" {
            let mut consts = BTreeSet::new();
            evt_type_constants(&e, &mut consts);
            for c in &consts {
                assert!(is_known_event_type(c, &[]), "{id}: unknown event type {c}");
            }
        }
        // The vectors are libs master's unit tests (those of `unreleased(master)` assert the
        // `evt.num` invariant; the others hold for libs 0.22 too).
        let got = event_codes_as(&e, &[], Semantics::LibsMaster);
        if v["evttype_extraction"] == "error" {
            assert!(got.is_err(), "{id}: {input} should fail, got {got:?}");
            errors += 1;
            continue;
        }
        if v["expect"] == "reject" {
            assert!(
                got.is_err(),
                "{id}: {input} should be rejected, got {got:?}"
            );
            errors += 1;
            continue;
        }
        let got = got.unwrap_or_else(|err| panic!("{id}: {input}: {err}"));
        let want = &v["evttypes"];
        if let Some(other) = v["same_evttypes_as"].as_str() {
            let other_codes = parse(other)
                .map_err(|e| e.message)
                .and_then(|o| event_codes_as(&o, &[], Semantics::LibsMaster));
            assert_eq!(Ok(got), other_codes, "{id}: {input} vs {other}");
        } else if want == "all" {
            assert_eq!(got, u, "{id}: {input}");
        } else if want == "none" {
            assert!(got.is_empty(), "{id}: {input}: {:?}", names_of(&got));
        } else if let Some(only) = want["only"].as_array() {
            let names: Vec<&str> = only.iter().filter_map(|n| n.as_str()).collect();
            for n in &names {
                assert!(is_known_event_type(n, &[]), "{id}: unknown event {n}");
            }
            assert_eq!(got, names_to_event_set(names, &[]), "{id}: {input}");
        } else if let Some(except) = want["all_except"].as_array() {
            let names: Vec<&str> = except.iter().filter_map(|n| n.as_str()).collect();
            assert_eq!(
                got,
                u.diff(&names_to_event_set(names, &[])),
                "{id}: {input}"
            );
        } else {
            // No expectation recorded: the analysis must at least succeed.
        }
        checked += 1;
    }
    println!("evttypes vectors checked: {checked} (+{errors} expected errors)");
    assert!(checked > 70);
}

fn gunzip(path: &std::path::Path) -> String {
    let f = std::fs::File::open(path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let mut s = String::new();
    flate2::read::GzDecoder::new(f)
        .read_to_string(&mut s)
        .unwrap_or_else(|e| panic!("{path:?}: {e}"));
    s
}

fn evt_type_constants(e: &Expr, out: &mut BTreeSet<String>) {
    e.walk(&mut |n| {
        if let ExprKind::Compare(c) = &n.kind {
            let OperandKind::Field(f) = &c.left.kind else {
                return;
            };
            if f.name != "evt.type"
                || !matches!(c.op, CmpOp::Eq | CmpOp::EqEq | CmpOp::Ne | CmpOp::In)
            {
                return;
            }
            match &c.right {
                Rhs::Value(v) | Rhs::ListRef(v) => {
                    out.insert(v.text.clone());
                }
                Rhs::List(l) => out.extend(l.items.iter().map(|v| v.text.clone())),
                Rhs::Operand(_) => {}
            }
        }
    });
}

/// Every syscall rule of the golden `falco -L` descriptions: the event names computed from
/// its compiled condition equal Falco's `events`, and every `evt.type` constant is known.
#[test]
fn golden_describe_events() {
    let dir = shared().join("golden/describe");
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{dir:?}: {e}"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".json.gz"))
        .collect();
    entries.sort();
    let (mut rules, mut syscall_rules, mut constants) = (0, 0, BTreeSet::new());
    let mut unparsable = 0;
    let mut mismatches = Vec::new();
    for path in &entries {
        let d: serde_json::Value =
            serde_json::from_str(&gunzip(path)).unwrap_or_else(|e| panic!("{path:?}: {e}"));
        for r in d["rules"].as_array().cloned().unwrap_or_default() {
            let det = &r["details"];
            let source = r["info"]["source"].as_str().unwrap_or("syscall");
            let cond = det["condition_compiled"].as_str().unwrap_or_default();
            let want: BTreeSet<&str> = det["events"]
                .as_array()
                .map(|a| a.iter().filter_map(|x| x.as_str()).collect())
                .unwrap_or_default();
            // The printed form does not always re-parse (values with parentheses are not
            // quoted, empty strings print as nothing): those rules are skipped.
            let Ok(expr) = parse(cond) else {
                unparsable += 1;
                continue;
            };
            rules += 1;
            let is_syscall = source == "syscall";
            syscall_rules += usize::from(is_syscall);
            evt_type_constants(&expr, &mut constants);
            match describe_event_names(&expr, is_syscall, &CONTAINER_ASYNC) {
                Ok(got) if got == want => {}
                Ok(got) => {
                    let extra: Vec<_> = got.difference(&want).collect();
                    let missing: Vec<_> = want.difference(&got).collect();
                    mismatches.push(format!("{cond}\n  extra {extra:?}\n  missing {missing:?}"));
                }
                Err(e) => mismatches.push(format!("{cond}: {e}")),
            }
        }
    }
    println!(
        "golden rules checked: {rules} ({syscall_rules} syscall; {unparsable} skipped), distinct evt.type constants: {}",
        constants.len()
    );
    let unknown: Vec<_> = constants
        .iter()
        .filter(|c| !is_known_event_type(c, &CONTAINER_ASYNC))
        .collect();
    assert!(
        unknown.is_empty(),
        "unknown evt.type constants: {unknown:?}"
    );
    assert!(
        mismatches.is_empty(),
        "{} mismatches, first: {}",
        mismatches.len(),
        mismatches
            .iter()
            .take(5)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(rules > 1000);
}
