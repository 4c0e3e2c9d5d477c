//! Tests of field resolution, operator checks and constant parsing: hand-written cases from
//! fields.md §2 and conditions.md §11/§12/§17.1, and data-driven checks against the shared
//! corpus (rule files, compile vectors, golden `falco -L`/`-V` results of Falco 0.42.1).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};

use falcoc_lang::condition::ast::{CmpOp, Expr, ExprKind, Operand, OperandKind, Rhs};
use falcoc_lang::condition::parse;

use super::*;

fn shared() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
}

const ASYNC: [&str; 2] = ["container", "container_removed"];

fn ok(source: &str, name: &str, arg: Option<&str>) -> ResolvedField {
    lookup(source, name, arg).unwrap_or_else(|e| panic!("{name} {arg:?}: {e}"))
}

fn err(source: &str, name: &str, arg: Option<&str>) -> String {
    match lookup(source, name, arg) {
        Ok(r) => panic!("{name} {arg:?} resolved to {}", r.field.name),
        Err(e) => e.message,
    }
}

fn nonexistent(name: &str) -> String {
    format!("filter_check called with nonexistent field {name}")
}

#[test]
fn registry_shape() {
    let classes: Vec<&str> = builtin_classes().iter().map(|c| c.name).collect();
    assert_eq!(
        classes,
        ["evt", "evt", "process", "user", "group", "fd", "fs.path", "util", "fdlist"]
    );
    let total: usize = builtin_classes().iter().map(|c| c.fields.len()).sum();
    assert_eq!(total, 233);
    assert_eq!(plugin("container").map(|p| p.class.fields.len()), Some(61));
    assert_eq!(plugin("k8saudit").map(|p| p.class.fields.len()), Some(100));
    assert!(all_field_names().any(|n| n == "ka.user.name"));
    assert_eq!(
        default_profile().sources(),
        [
            "syscall",
            "k8s_audit",
            "aws_cloudtrail",
            "gcp_auditlog",
            "github",
            "okta",
            "dummy",
            "dummy_c",
            "dummy_rs"
        ]
    );
    assert_eq!(PluginProfile::container_only().sources(), ["syscall"]);
    assert_eq!(default_profile().async_event_names("syscall"), ASYNC);
}

#[test]
fn resolution_rules() {
    // Plain fields and types.
    let r = ok("syscall", "proc.name", None);
    assert_eq!(
        (r.ty, r.is_list(), r.class.name),
        (FieldType::Charbuf, false, "process")
    );
    assert_eq!(ok("syscall", "user.uid", None).ty, FieldType::Uint32);
    assert_eq!(
        ok("syscall", "evt.num", None).class.kind,
        ClassKind::GenericEvent
    );
    assert!(ok("syscall", "evt.dir", None).field.is_deprecated());
    assert_eq!(
        ok("syscall", "evt.dir", None).field.deprecated_since,
        Some("0.42")
    );
    assert_eq!(
        ok("syscall", "evt.latency", None).field.deprecated_since,
        Some("0.43")
    );
    // Longest prefix must cover the whole name; the first matching class decides.
    for bad in [
        "proc.names",
        "evt.timestamp",
        "fd.name.x",
        "evt.typex",
        "evt.args.x",
        "proc.anamex",
    ] {
        assert_eq!(err("syscall", bad, None), nonexistent(bad));
    }
    assert_eq!(err("syscall", "no.such", None), nonexistent("no.such"));
    // Thread class arguments.
    assert_eq!(
        ok("syscall", "proc.aname", Some("2")).arg,
        FieldArg::Index(2)
    );
    assert!(ok("syscall", "proc.aname", None).is_unindexed_ancestor());
    assert_eq!(
        err("syscall", "proc.aname", Some("x")),
        nonexistent("proc.aname[x]")
    );
    assert_eq!(
        ok("syscall", "proc.args", Some("0")).arg,
        FieldArg::Index(0)
    );
    assert_eq!(
        ok("syscall", "proc.env", Some("HOME")).arg,
        FieldArg::Key("HOME".to_string())
    );
    assert_eq!(
        ok("syscall", "proc.aenv", Some("3")).arg,
        FieldArg::Index(3)
    );
    assert_eq!(
        err("syscall", "user.name", Some("1")),
        nonexistent("user.name[1]")
    );
    assert_eq!(
        ok("syscall", "thread.cgroup.cpuacct", None).arg,
        FieldArg::Cgroup("cpuacct".to_string())
    );
    assert_eq!(
        err("syscall", "thread.cgroup", None),
        "filter syntax error: thread.cgroup"
    );
    assert_eq!(
        err("syscall", "thread.cgroup.cpu2", None),
        nonexistent("thread.cgroup.cpu2")
    );
    assert_eq!(
        err("syscall", "arg.x", None),
        "filter error: proc.arg filter not implemented yet"
    );
    // Event class arguments.
    assert_eq!(ok("syscall", "evt.arg", Some("1")).arg, FieldArg::Index(1));
    let r = ok("syscall", "evt.arg.flags", None);
    assert_eq!(
        (r.arg.clone(), r.ty),
        (FieldArg::EventParam("flags"), FieldType::Charbuf)
    );
    let r = ok("syscall", "evt.rawarg.res", None);
    assert_eq!((r.ty, r.field.ty), (FieldType::Errno, FieldType::Dyn));
    assert_eq!(
        ok("syscall", "evt.rawarg.flags", None).ty,
        FieldType::Flags32
    );
    assert_eq!(
        err("syscall", "evt.arg.nosuch", None),
        "unknown event argument nosuch"
    );
    assert_eq!(
        err("syscall", "evt.arg.fdx", None),
        nonexistent("evt.arg.fdx")
    );
    assert_eq!(
        err("syscall", "evt.rawarg", Some("0")),
        "evt.arg fields must be expressed explicitly"
    );
    assert_eq!(
        err("syscall", "evt.arg", None),
        "filter syntax error: evt.arg"
    );
    assert_eq!(
        err("syscall", "evt.arg", Some("x")),
        "x is not a valid number"
    );
    assert_eq!(
        ok("syscall", "evt.type.is.open", None).arg,
        FieldArg::EventType {
            id: 2,
            by_name: true
        }
    );
    assert_eq!(
        err("syscall", "evt.type.is.nosuch", None),
        nonexistent("evt.type.is.nosuch")
    );
    assert_eq!(
        err("syscall", "evt.type.is", None),
        "filter syntax error: evt.type.is"
    );
    let r = ok("syscall", "evt.around", Some("1404996934793590564"));
    assert_eq!(r.arg, FieldArg::Around(1404996934793590564));
    assert!(r.field.is_filter_only() && r.check_display().is_err());
    assert_eq!(
        err("syscall", "evt.around.x", None),
        "wrong syntax for evt.around"
    );
    assert_eq!(
        ok("syscall", "evt.abspath.src", None).arg,
        FieldArg::Suffix("src")
    );
    assert_eq!(ok("syscall", "evt.abspath", None).arg, FieldArg::None);
    assert_eq!(
        err("syscall", "evt.abspath.foo", None),
        nonexistent("evt.abspath.foo")
    );
    // fd.types.
    let r = ok("syscall", "fd.types", Some("0"));
    assert_eq!((r.arg.clone(), r.is_list()), (FieldArg::Index(0), true));
    assert_eq!(
        err("syscall", "fd.types", Some("x")),
        "x is not a valid number"
    );
    assert_eq!(err("syscall", "fd.typesx", None), nonexistent("fd.typesx"));
    // Plugin fields (container plugin for syscall, k8saudit, json).
    let r = ok("syscall", "k8s.pod.label", Some("app.kubernetes.io/name"));
    assert_eq!(
        r.arg,
        FieldArg::Plugin {
            text: "app.kubernetes.io/name".to_string(),
            index: None
        }
    );
    assert_eq!(r.plugin.map(|p| p.name), Some("container"));
    assert_eq!(
        err("syscall", "k8s.pod.label", None),
        "filter 'k8s.pod.label': k8s.pod.label requires an argument but none provided"
    );
    // Falco 0.42.1's plugin field parser has no dotted-argument form.
    assert_eq!(
        err("syscall", "k8s.pod.label.app", None),
        "filter 'k8s.pod.label.app': k8s.pod.label requires an argument but none provided"
    );
    let r = ok("syscall", "container.mount.dest", Some("3"));
    assert_eq!(
        r.arg,
        FieldArg::Plugin {
            text: "3".to_string(),
            index: Some(3)
        }
    );
    assert!(
        ok(
            "syscall",
            "container.mount.dest",
            Some("/var/run/docker.sock")
        )
        .arg != FieldArg::None
    );
    let r = ok("k8s_audit", "ka.req.pod.containers.image", Some("0"));
    assert!(r.is_list());
    assert_eq!(
        err("k8s_audit", "ka.req.pod.containers.image", Some("x")),
        "filter ka.req.pod.containers.image[x] ka.req.pod.containers.image has an invalid index argument not composed only by digits: x"
    );
    assert_eq!(
        err("k8s_audit", "ka.req.pod.containers.image", Some("01")),
        "filter ka.req.pod.containers.image[01] ka.req.pod.containers.image has an invalid index argument starting with 0: 01"
    );
    assert_eq!(
        err("k8s_audit", "ka.user.name", Some("1")),
        "filter 'ka.user.name[1]': ka.user.name does not allow nor require an argument but one is provided: 1"
    );
    assert_eq!(
        err("k8s_audit", "ka.uri.param", Some("a b")),
        "filter 'ka.uri.param[a': ka.uri.param has unbalanced argument brackets"
    );
    assert_eq!(
        err("k8s_audit", "ka.user.namex", None),
        nonexistent("ka.user.namex")
    );
    assert!(lookup("k8s_audit", "jevt.value", Some("/user/name")).is_ok());
    assert!(lookup("k8s_audit", "evt.num", None).is_ok());
    assert_eq!(
        err("k8s_audit", "proc.name", None),
        nonexistent("proc.name")
    );
    assert_eq!(
        err("k8s_audit", "k8s.ns.name", None),
        nonexistent("k8s.ns.name")
    );
    assert!(lookup("syscall", "k8s.ns.name", None).is_ok());
    assert!(lookup("aws_cloudtrail", "ct.user", None).is_ok());
    assert_eq!(
        PluginProfile::none()
            .lookup("syscall", "container.id", None)
            .map_err(|e| e.kind),
        Err(FieldErrorKind::Nonexistent)
    );
    assert_eq!(
        lookup("twitter", "proc.name", None).map_err(|e| e.kind),
        Err(FieldErrorKind::UnknownSource)
    );
}

#[test]
fn operator_checks() {
    let chk = |ty, list, op| check_operator(ty, list, op, false);
    assert_eq!(
        chk(FieldType::Uint64, false, CmpOp::Contains),
        Err("'contains' operator not supported for numeric filters".to_string())
    );
    assert_eq!(
        chk(FieldType::Bool, false, CmpOp::Lt),
        Err("'<' operator not supported for numeric filters".to_string())
    );
    assert_eq!(
        chk(FieldType::Charbuf, false, CmpOp::BContains),
        Err("'bcontains' operator not supported for string filters".to_string())
    );
    assert_eq!(
        chk(FieldType::Bytebuf, false, CmpOp::Glob),
        Err("'glob' operator not supported for buffer filters".to_string())
    );
    assert_eq!(
        chk(FieldType::IpNet, false, CmpOp::Contains),
        Err("'contains' operator not supported for ip address and network filters".to_string())
    );
    assert_eq!(
        check_operator(FieldType::IpAddr, false, CmpOp::Contains, true),
        Err(
            "'contains' with modifier not supported for ip address and network filters".to_string()
        )
    );
    assert_eq!(
        chk(FieldType::Charbuf, true, CmpOp::Contains),
        Err("'contains' operator not supported list filters".to_string())
    );
    assert_eq!(
        chk(FieldType::Charbuf, true, CmpOp::EqEq),
        Err("'=' operator not supported list filters".to_string())
    );
    assert_eq!(
        chk(FieldType::Int64, true, CmpOp::In),
        Err("list filters are not supported for type 'INT64'".to_string())
    );
    assert_eq!(
        chk(FieldType::SigSet, false, CmpOp::Eq),
        Err("'=' operator not supported for type 'SIGSET'".to_string())
    );
    assert!(chk(FieldType::Charbuf, false, CmpOp::PMatch).is_ok());
    assert!(chk(FieldType::Port, false, CmpOp::Ge).is_ok());
    assert!(chk(FieldType::Charbuf, true, CmpOp::Intersects).is_ok());
}

#[test]
fn constants() {
    let p = parse_constant;
    // §17.1 #16, #17, #31.
    assert_eq!(
        p(FieldType::Uint64, "0x10"),
        Err("0x10 is not a valid number".to_string())
    );
    assert_eq!(p(FieldType::Uint32, "-1"), Ok(Constant::Uint(4294967295)));
    assert_eq!(p(FieldType::Port, "http"), Ok(Constant::Uint(80)));
    assert_eq!(p(FieldType::Port, "www"), Ok(Constant::Uint(80)));
    assert_eq!(p(FieldType::Port, "https"), Ok(Constant::Uint(443)));
    assert_eq!(
        p(FieldType::Port, "nosuchsvc"),
        Err("unrecognized protocol nosuchsvc".to_string())
    );
    assert_eq!(p(FieldType::Port, ""), Ok(Constant::Uint(0)));
    assert_eq!(p(FieldType::Port, "70000"), Ok(Constant::Uint(4464)));
    assert_eq!(
        p(FieldType::Port, "-1"),
        Err("unrecognized protocol -1".to_string())
    );
    assert_eq!(p(FieldType::Port, "99999999999"), Err("stoi".to_string()));
    // Numbers: sscanf semantics.
    for bad in ["1.5", "2.5", "abc", "1e5", "12 ", "", "- 1", "+-1"] {
        assert_eq!(
            p(FieldType::Int64, bad),
            Err(format!("{bad} is not a valid number"))
        );
    }
    assert_eq!(p(FieldType::Int64, " 42"), Ok(Constant::Int(42)));
    assert_eq!(p(FieldType::Int64, "-42"), Ok(Constant::Int(-42)));
    assert_eq!(p(FieldType::Int16, "70000"), Ok(Constant::Int(4464)));
    assert_eq!(p(FieldType::Int8, "-129"), Ok(Constant::Int(127)));
    assert_eq!(p(FieldType::Uint8, "256"), Ok(Constant::Uint(0)));
    assert_eq!(p(FieldType::Uint64, "-1"), Ok(Constant::Uint(u64::MAX)));
    assert_eq!(p(FieldType::RelTime, "1000"), Ok(Constant::Uint(1000)));
    assert_eq!(p(FieldType::Double, "3"), Ok(Constant::Double(3.0)));
    assert_eq!(
        p(FieldType::Double, "1.5"),
        Err("1.5 is not a valid number".to_string())
    );
    // Booleans.
    assert_eq!(p(FieldType::Bool, "true"), Ok(Constant::Bool(true)));
    assert_eq!(
        p(FieldType::Bool, "yes"),
        Err("filter error: unrecognized boolean value yes".to_string())
    );
    assert_eq!(
        p(FieldType::Bool, "TRUE"),
        Err("filter error: unrecognized boolean value TRUE".to_string())
    );
    // Addresses and networks.
    assert_eq!(
        p(FieldType::IpAddr, "10.0.0.1"),
        Ok(Constant::Ipv4(Ipv4Addr::new(10, 0, 0, 1)))
    );
    assert_eq!(
        p(FieldType::IpAddr, "::1"),
        Ok(Constant::Ipv6(Ipv6Addr::LOCALHOST))
    );
    assert_eq!(
        p(FieldType::IpAddr, "10.0.0.0/8"),
        Err("unrecognized IPv4 address 10.0.0.0/8".to_string())
    );
    assert_eq!(
        p(FieldType::IpAddr, "::ffff:1.2.3.4"),
        Err("unrecognized IPv4 address ::ffff:1.2.3.4".to_string())
    );
    assert_eq!(
        p(FieldType::IpAddr, "zz"),
        Err("unrecognized IPv6 address zz".to_string())
    );
    assert_eq!(
        p(FieldType::IpNet, "10.0.0.0/8"),
        Ok(Constant::Ipv4Net {
            addr: Ipv4Addr::new(10, 0, 0, 0),
            prefix: 8
        })
    );
    assert_eq!(
        p(FieldType::IpNet, "10.0.0.0"),
        Err("unrecognized IP network 10.0.0.0".to_string())
    );
    assert_eq!(
        p(FieldType::IpNet, "10.0.0/8"),
        Err("unrecognized IP address 10.0.0/8".to_string())
    );
    assert_eq!(
        p(FieldType::IpNet, "10.0.0.0/33"),
        Err("invalid netmask 33".to_string())
    );
    assert_eq!(
        p(FieldType::IpNet, "10.0.0.0/x"),
        Err("x is not a valid number".to_string())
    );
    assert_eq!(
        p(FieldType::IpNet, "2001:db8::/32"),
        Ok(Constant::Ipv6Net {
            addr: "2001:db8::".parse().unwrap_or(Ipv6Addr::UNSPECIFIED),
            prefix: 32
        })
    );
    assert_eq!(
        p(FieldType::IpNet, "::/0"),
        Err("invalid v6 netmask 0".to_string())
    );
    assert_eq!(
        p(FieldType::IpNet, "::1"),
        Err("invalid v6 netmask: ::1".to_string())
    );
    // Strings, buffers, unsupported types.
    assert_eq!(
        p(FieldType::Charbuf, "a b"),
        Ok(Constant::Str("a b".to_string()))
    );
    let long = "x".repeat(256);
    assert_eq!(
        p(FieldType::Charbuf, &long),
        Err(format!(
            "filter parameter too long (used=257, available=256):{long}"
        ))
    );
    assert!(p(FieldType::Charbuf, &long[..255]).is_ok());
    assert_eq!(
        p(FieldType::Bytebuf, "ab"),
        Ok(Constant::Bytes(b"ab".to_vec()))
    );
    assert_eq!(
        p(FieldType::SyscallId, "1"),
        Err("wrong parameter type 18".to_string())
    );
    assert_eq!(parse_hex_bytes("2f657463"), Ok(b"/etc".to_vec()));
    let hex_err = Err(
        "filter error: bcontains and bstartswith operator support hex strings only".to_string(),
    );
    assert_eq!(parse_hex_bytes("2"), hex_err);
    assert_eq!(parse_hex_bytes("2g"), hex_err);
}

#[test]
fn field_values() {
    // §17.1 #16: `evt.num > 0x10` parses but does not compile.
    assert_eq!(
        ok("syscall", "evt.num", None).parse_value(CmpOp::Gt, "0x10", &[]),
        Err("0x10 is not a valid number".to_string())
    );
    let t = ok("syscall", "evt.type", None);
    assert!(t.parse_value(CmpOp::Eq, "open", &[]).is_ok());
    assert_eq!(
        t.parse_value(CmpOp::Eq, "OPEN", &[]),
        Err("unknown event type OPEN".to_string())
    );
    assert_eq!(
        t.parse_value(CmpOp::Eq, "opn", &[]),
        Err("unknown event type opn".to_string())
    );
    assert!(t
        .parse_value(CmpOp::Eq, "container_removed", &ASYNC)
        .is_ok());
    assert!(ok("syscall", "syscall.type", None)
        .parse_value(CmpOp::Eq, "OPEN", &[])
        .is_ok());
    let a = ok("syscall", "evt.around", Some("1"));
    assert!(a.parse_value(CmpOp::Eq, "1000", &[]).is_ok());
    assert_eq!(
        a.parse_value(CmpOp::Lt, "1000", &[]),
        Err("evt.around supports only '=' comparison operator".to_string())
    );
    let raw = ok("syscall", "evt.rawarg.data", None);
    assert_eq!(raw.ty, FieldType::Bytebuf);
    assert_eq!(
        raw.parse_value(CmpOp::Eq, "x", &[]),
        Err("wrong parameter type 10".to_string())
    );
    let b = ok("syscall", "evt.buffer", None);
    assert_eq!(
        b.parse_value(CmpOp::BContains, "2f65", &[]),
        Ok(Constant::Bytes(b"/e".to_vec()))
    );
    assert!(ok("syscall", "fd.sport", None)
        .parse_value(CmpOp::Eq, "http", &[])
        .is_ok());
    assert!(ok("syscall", "user.uid", None)
        .parse_value(CmpOp::Eq, "-1", &[])
        .is_ok());
}

// ---------------------------------------------------------------------------------------
// Corpus-driven tests.

/// A rule-file item with its condition text and declared source.
struct Item {
    is_rule: bool,
    /// Macro name, for macros.
    macro_name: Option<String>,
    source: Option<String>,
    condition: String,
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// Extracts the `condition:` scalars (and `source:`) of every top-level item of a rules
/// YAML file, line-based (enough for the corpus files).
fn extract_items(text: &str) -> Vec<Item> {
    let lines: Vec<&str> = text.lines().collect();
    let mut items: Vec<Item> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if line.starts_with("- ") {
            items.push(Item {
                is_rule: line.starts_with("- rule:"),
                macro_name: line
                    .strip_prefix("- macro:")
                    .map(|n| n.trim().trim_matches('"').trim_matches('\'').to_string()),
                source: None,
                condition: String::new(),
            });
        }
        let trimmed = line.trim_start().trim_start_matches("- ");
        let ind = indent_of(line);
        if let Some(rest) = trimmed.strip_prefix("source:") {
            if let Some(it) = items.last_mut() {
                it.source = Some(rest.trim().trim_matches('"').trim_matches('\'').to_string());
            }
        }
        if let Some(rest) = trimmed.strip_prefix("condition:") {
            let mut text = String::new();
            let rest = rest.trim();
            if !matches!(rest, ">" | "|" | ">-" | "|-" | ">+" | "|+") {
                text.push_str(rest);
            }
            let mut j = i + 1;
            while j < lines.len() {
                let l = lines[j];
                if !l.trim().is_empty() && indent_of(l) <= ind {
                    break;
                }
                text.push(' ');
                text.push_str(l.trim());
                j += 1;
            }
            let t = text.trim();
            let t = if (t.starts_with('"') && t.ends_with('"'))
                || (t.starts_with('\'') && t.ends_with('\''))
            {
                &t[1..t.len() - 1]
            } else {
                t
            };
            if let Some(it) = items.last_mut() {
                it.condition = t.to_string();
            }
            i = j;
            continue;
        }
        i += 1;
    }
    items
}

/// Field tokens (`[a-zA-Z]+[a-zA-Z0-9_]*(\.[a-zA-Z]+[a-zA-Z0-9_]*)+` plus an optional
/// `[…]`) outside quoted strings, whose first segment is one of `classes`.
fn field_tokens(cond: &str, classes: &BTreeSet<&str>) -> Vec<(String, Option<String>)> {
    let b = cond.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'"' || c == b'\'' {
            // skip a quoted string (a quote preceded by a backslash does not close it)
            let mut j = i + 1;
            while j < b.len() && !(b[j] == c && b[j - 1] != b'\\') {
                j += 1;
            }
            i = j + 1;
            continue;
        }
        let boundary =
            i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b"_./-:@%*".contains(&b[i - 1]));
        if !(boundary && c.is_ascii_alphabetic()) {
            i += 1;
            continue;
        }
        // match the token
        let start = i;
        let mut j = i;
        let mut segments = 0;
        loop {
            if j >= b.len() || !b[j].is_ascii_alphabetic() {
                break;
            }
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                j += 1;
            }
            segments += 1;
            if j + 1 < b.len() && b[j] == b'.' && b[j + 1].is_ascii_alphabetic() {
                j += 1;
            } else {
                break;
            }
        }
        if segments < 2 {
            i = j.max(i + 1);
            continue;
        }
        let name = &cond[start..j];
        let mut arg = None;
        let mut end = j;
        if j < b.len() && b[j] == b'[' {
            if let Some(close) = cond[j..].find(']') {
                arg = Some(cond[j + 1..j + close].to_string());
                end = j + close + 1;
            }
        }
        let follows_path = end < b.len() && b"/-:".contains(&b[end]);
        let first = name.split('.').next().unwrap_or("");
        if classes.contains(first) && !follows_path {
            out.push((name.to_string(), arg));
        }
        i = end;
    }
    out
}

fn rule_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rule_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "yaml") && !p.ends_with("manifest.yaml") {
            out.push(p);
        }
    }
}

/// Errors Falco 0.42.1 reported per rule file (golden `-V`, all plugins), by file path
/// relative to `shared/`.
fn golden_errors() -> BTreeMap<String, Vec<String>> {
    let dir = shared().join("golden/validate/plugins-all/shared/corpus/rules");
    let mut files = Vec::new();
    fn walk(d: &Path, out: &mut Vec<PathBuf>) {
        let Ok(rd) = std::fs::read_dir(d) else { return };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else {
                out.push(p);
            }
        }
    }
    walk(&dir, &mut files);
    let mut map = BTreeMap::new();
    for f in files {
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else {
            continue;
        };
        let rel = f
            .strip_prefix(&dir)
            .map(|p| p.to_string_lossy().trim_end_matches(".json").to_string())
            .unwrap_or_default();
        let mut errs = Vec::new();
        match v["json_mode"]["result"]["falco_load_results"].as_array() {
            Some(results) => {
                for r in results {
                    for e in r["errors"].as_array().cloned().unwrap_or_default() {
                        errs.push(e["message"].as_str().unwrap_or_default().to_string());
                    }
                }
            }
            None => errs.push("fatal".to_string()),
        }
        map.insert(rel, errs);
    }
    map
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// Whether `word` occurs in `text` as a whole identifier (not part of a field or word).
fn mentions(text: &str, word: &str) -> bool {
    let b = text.as_bytes();
    let mut from = 0;
    while let Some(i) = text[from..].find(word) {
        let s = from + i;
        let e = s + word.len();
        let before_ok = s == 0 || !(is_ident(b[s - 1]) || b[s - 1] == b'.');
        let after_ok = e >= b.len() || !(is_ident(b[e]) || b[e] == b'.');
        if before_ok && after_ok {
            return true;
        }
        from = s + 1;
    }
    false
}

/// The sources each item's condition is compiled for: a rule's own source (default
/// `syscall`); for a macro, the sources of the rules that use it, directly or through other
/// macros (empty for unused macros).
fn item_sources(items: &[Item]) -> Vec<BTreeSet<String>> {
    let mut out: Vec<BTreeSet<String>> = vec![BTreeSet::new(); items.len()];
    let macros: Vec<(usize, &str)> = items
        .iter()
        .enumerate()
        .filter_map(|(i, it)| it.macro_name.as_deref().map(|n| (i, n)))
        .collect();
    for (ri, rule) in items.iter().enumerate().filter(|(_, i)| i.is_rule) {
        let source = rule.source.clone().unwrap_or_else(|| "syscall".to_string());
        out[ri].insert(source.clone());
        let mut stack = vec![rule.condition.as_str()];
        let mut seen = BTreeSet::new();
        while let Some(cond) = stack.pop() {
            for (mi, name) in &macros {
                if mentions(cond, name) && seen.insert(*mi) {
                    out[*mi].insert(source.clone());
                    stack.push(items[*mi].condition.as_str());
                }
            }
        }
    }
    out
}

/// The constants compared with `evt.type` (`=`, `==`, `!=`, `in`) in a condition.
fn evt_type_values(e: &Expr, out: &mut BTreeSet<String>) {
    let mut ls = Vec::new();
    leaves(e, &mut ls);
    for l in ls {
        let Leaf::Compare(c) = l else { continue };
        let Some(f) = real_field(&c.left) else {
            continue;
        };
        if f.name != "evt.type" || !matches!(c.op, CmpOp::Eq | CmpOp::EqEq | CmpOp::Ne | CmpOp::In)
        {
            continue;
        }
        match &c.right {
            Rhs::Value(v) | Rhs::ListRef(v) => {
                out.insert(v.text.clone());
            }
            Rhs::List(l) => out.extend(l.items.iter().map(|v| v.text.clone())),
            Rhs::Operand(_) => {}
        }
    }
}

/// Every field token in every condition of every corpus rule file resolves for its
/// source (with all plugins), except where Falco 0.42.1 itself reported the field as
/// nonexistent, in which case the message is the same.
#[test]
fn rule_file_condition_fields() {
    let profile = PluginProfile::all();
    let mut classes: BTreeSet<&str> = all_field_names()
        .filter_map(|n| n.split('.').next())
        .collect();
    classes.insert("syscall");
    let root = shared().join("corpus/rules");
    let mut files = Vec::new();
    rule_files(&root, &mut files);
    let golden = golden_errors();
    let (mut checked, mut distinct, mut expected_failures) = (0, BTreeSet::new(), 0);
    let mut failures = Vec::new();
    let mut matched = BTreeSet::new();
    let mut evt_types = BTreeSet::new();
    let mut list_names = BTreeSet::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap_or_default();
        for l in text.lines() {
            if let Some(n) = l.strip_prefix("- list:") {
                list_names.insert(n.trim().to_string());
            }
        }
    }
    for f in &files {
        let rel = f
            .strip_prefix(&root)
            .map(|p| p.to_string_lossy().to_string())
            .unwrap_or_default();
        let text = std::fs::read_to_string(f).unwrap_or_else(|e| panic!("{f:?}: {e}"));
        let items = extract_items(&text);
        let sources = item_sources(&items);
        let errors = golden.get(&rel).cloned().unwrap_or_default();
        // Files Falco could not get to compile-time at all (fatal plugin requirement,
        // undefined macros, bad appends) have no authoritative field verdict.
        let lenient = errors
            .iter()
            .any(|e| e == "fatal" || !(e.contains("nonexistent field") || e.contains("operator")));
        for (item, item_sources) in items.iter().zip(&sources) {
            // (Files Falco rejected, e.g. the krsi examples with `krsi_*` events of an
            // unavailable plugin, are not judged.)
            if let (Ok(expr), false) = (parse(&item.condition), lenient) {
                evt_type_values(&expr, &mut evt_types);
            }
            for (name, arg) in field_tokens(&item.condition, &classes) {
                // An unused macro is never compiled: it only has to resolve somewhere.
                let strict = !item_sources.is_empty();
                let candidates: Vec<&str> = if strict {
                    item_sources.iter().map(String::as_str).collect()
                } else {
                    profile.sources()
                };
                let mut any_ok = false;
                for source in &candidates {
                    checked += 1;
                    distinct.insert((source.to_string(), name.clone(), arg.clone()));
                    match profile.lookup(source, &name, arg.as_deref()) {
                        Ok(_) => any_ok = true,
                        Err(e) if strict => {
                            if errors.contains(&e.message) {
                                expected_failures += 1;
                                matched.insert((rel.clone(), e.message.clone()));
                            } else if !lenient {
                                failures.push(format!("{rel}: [{source}] {name} {arg:?}: {e}"));
                            } else {
                                println!("not judged ({rel} did not compile in Falco): [{source}] {name} {arg:?}: {e}");
                            }
                        }
                        Err(_) => {}
                    }
                }
                if !strict && !any_ok && !lenient {
                    failures.push(format!(
                        "{rel}: unused macro: {name} {arg:?} resolves nowhere"
                    ));
                }
            }
        }
    }
    println!(
        "rule files: {}, field references checked: {checked} ({} distinct), failing as in Falco: {expected_failures}",
        files.len(),
        distinct.len()
    );
    // Every `evt.type` constant is a known event/syscall name (or a list name, expanded
    // by Falco before parsing).
    let unknown: Vec<&String> = evt_types
        .iter()
        .filter(|t| {
            !crate::events::is_known_event_type(t, &ASYNC) && !list_names.contains(t.as_str())
        })
        .collect();
    println!(
        "distinct evt.type constants in rule-file conditions: {}",
        evt_types.len()
    );
    assert!(
        unknown.is_empty(),
        "unknown evt.type constants: {unknown:?}"
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // And every "nonexistent field" Falco reported is reproduced.
    for (file, errs) in &golden {
        for e in errs.iter().filter(|e| e.contains("nonexistent field")) {
            assert!(
                matched.contains(&(file.clone(), e.clone())),
                "{file}: Falco reported {e:?}, not reproduced"
            );
        }
    }
    assert!(checked > 10000);
}

fn gunzip(path: &Path) -> String {
    let f = std::fs::File::open(path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let mut s = String::new();
    flate2::read::GzDecoder::new(f)
        .read_to_string(&mut s)
        .unwrap_or_else(|e| panic!("{path:?}: {e}"));
    s
}

fn split_field(text: &str) -> (&str, Option<&str>) {
    match text.find('[') {
        Some(i) if text.ends_with(']') => (&text[..i], Some(&text[i + 1..text.len() - 1])),
        _ => (text, None),
    }
}

/// The `condition_fields` and `output_fields` of every rule in the golden `falco -L`
/// descriptions resolve for the rule's source (output fields are not filter-only).
#[test]
fn golden_describe_fields() {
    let dir = shared().join("golden/describe");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{dir:?}: {e}"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    paths.sort();
    let mut seen = BTreeSet::new();
    let mut failures = Vec::new();
    for p in &paths {
        let d: serde_json::Value =
            serde_json::from_str(&gunzip(p)).unwrap_or_else(|e| panic!("{p:?}: {e}"));
        for r in d["rules"].as_array().cloned().unwrap_or_default() {
            let source = r["info"]["source"]
                .as_str()
                .unwrap_or("syscall")
                .to_string();
            for (key, output) in [("condition_fields", false), ("output_fields", true)] {
                for f in r["details"][key].as_array().cloned().unwrap_or_default() {
                    let Some(text) = f.as_str() else { continue };
                    if !seen.insert((source.clone(), text.to_string(), output)) {
                        continue;
                    }
                    let (name, arg) = split_field(text);
                    match lookup(&source, name, arg) {
                        Ok(rf) if output => {
                            if let Err(e) = rf.check_display() {
                                failures.push(format!("[{source}] {text}: {e}"));
                            }
                        }
                        Ok(_) => {}
                        Err(e) => failures.push(format!("[{source}] {text}: {e}")),
                    }
                }
            }
        }
    }
    println!("golden describe field references checked: {}", seen.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(seen.len() > 300);
}

/// A leaf check of a condition.
enum Leaf<'a> {
    Exists(&'a Operand),
    Compare(&'a falcoc_lang::condition::ast::Comparison),
    Macro,
}

fn leaves<'a>(e: &'a Expr, out: &mut Vec<Leaf<'a>>) {
    match &e.kind {
        ExprKind::And(c) | ExprKind::Or(c) => c.iter().for_each(|x| leaves(x, out)),
        ExprKind::Not(c) => leaves(c, out),
        ExprKind::Macro(_) => out.push(Leaf::Macro),
        ExprKind::Exists(o) => out.push(Leaf::Exists(o)),
        ExprKind::Compare(c) => out.push(Leaf::Compare(c)),
    }
}

fn real_field(o: &Operand) -> Option<&falcoc_lang::condition::ast::FieldRef> {
    match &o.kind {
        OperandKind::Field(f) if !f.name.starts_with("c.") => Some(f),
        _ => None,
    }
}

/// Judges a condition made only of checks on real fields with constant right sides:
/// `None` if it uses anything that cannot be judged in isolation (macros, transformers,
/// right-hand fields, mock fields).
fn judge(e: &Expr) -> Option<Result<(), String>> {
    let mut ls = Vec::new();
    leaves(e, &mut ls);
    let simple = ls.iter().all(|l| match l {
        Leaf::Macro => false,
        Leaf::Exists(o) => real_field(o).is_some(),
        Leaf::Compare(c) => real_field(&c.left).is_some() && !matches!(c.right, Rhs::Operand(_)),
    });
    if !simple {
        return None;
    }
    let run = || -> Result<(), String> {
        for l in &ls {
            match l {
                Leaf::Macro => {}
                Leaf::Exists(o) => {
                    if let Some(f) = real_field(o) {
                        lookup("syscall", &f.name, f.arg.as_deref()).map_err(|e| e.message)?;
                    }
                }
                Leaf::Compare(c) => {
                    let Some(f) = real_field(&c.left) else {
                        continue;
                    };
                    let rf = lookup("syscall", &f.name, f.arg.as_deref()).map_err(|e| e.message)?;
                    rf.check_operator(c.op, c.modifier.is_some())
                        .map_err(|e| format!("filter error: {e}"))?;
                    let values: Vec<&str> = match &c.right {
                        Rhs::Value(v) | Rhs::ListRef(v) => vec![v.text.as_str()],
                        Rhs::List(l) => l.items.iter().map(|v| v.text.as_str()).collect(),
                        Rhs::Operand(_) => Vec::new(),
                    };
                    for v in values {
                        rf.parse_value(c.op, v, &ASYNC)?;
                    }
                }
            }
        }
        Ok(())
    };
    Some(run())
}

/// The `compile` vectors of the condition-vector manifest that involve only real fields,
/// operators and constants agree with lookup + operator check + constant parsing.
#[test]
fn compile_vectors() {
    let path = shared().join("corpus/condition-vectors/manifest.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let m: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    let (mut checked, mut skipped) = (0, 0);
    let mut failures = Vec::new();
    for v in m["vectors"].as_array().cloned().unwrap_or_default() {
        if v["kind"] != "compile" || v["since_libs"] == "unreleased(master)" {
            continue;
        }
        let input = v["input"].as_str().unwrap_or_default();
        let Ok(expr) = parse(input) else {
            skipped += 1;
            continue;
        };
        let Some(verdict) = judge(&expr) else {
            skipped += 1;
            continue;
        };
        checked += 1;
        let want_accept = v["expect"] == "accept";
        if verdict.is_ok() != want_accept {
            failures.push(format!(
                "{}: {input}: expected {}, got {verdict:?}",
                v["id"], v["expect"]
            ));
        }
        if let (Some(msg), Err(got)) = (v["message"].as_str(), &verdict) {
            if msg != got {
                failures.push(format!(
                    "{}: {input}: message {got:?}, want {msg:?}",
                    v["id"]
                ));
            }
        }
    }
    println!("compile vectors checked: {checked}, not checkable in isolation: {skipped}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked > 150);
}
