//! VM semantics on hand-made events: missing values (conditions.md §13), list fields,
//! ancestors, endpoints, field-to-field checks, transformers, CIDRs, modifiers, and the
//! per-event caches.

use std::collections::HashMap;
use std::net::IpAddr;

use falcoc_codegen::{compile_cond, FieldDesc, FieldId, FieldMode, Program};
use falcoc_compiler::check::check_condition;
use falcoc_engine::vm::reference::Reference;
use falcoc_engine::vm::{FieldSource, Values, Vm};
use falcoc_lang::condition::parse;
use falcoc_schema::fields::PluginProfile;

#[derive(Clone)]
enum V {
    S(&'static str),
    I(i64),
    Ip(&'static str),
}

/// Field name (endpoint fields as `name*`) → values; absent = missing.
#[derive(Default)]
struct Ev {
    fields: HashMap<String, Vec<V>>,
    calls: usize,
}

impl Ev {
    fn with(mut self, name: &str, vals: &[V]) -> Ev {
        self.fields.insert(name.to_string(), vals.to_vec());
        self
    }
}

impl FieldSource for Ev {
    fn extract(&mut self, _id: FieldId, f: &FieldDesc, out: &mut Values) -> bool {
        self.calls += 1;
        let key = match f.mode {
            FieldMode::Endpoints => format!("{}*", f.name()),
            _ => f.name().to_string(),
        };
        let Some(vals) = self.fields.get(&key) else {
            return false;
        };
        for v in vals {
            match v {
                V::S(s) => out.push_str(s),
                V::I(i) => out.push_i64(*i),
                V::Ip(a) => match a.parse::<IpAddr>() {
                    Ok(a) => out.push_ip(a),
                    Err(_) => return false,
                },
            }
        }
        true
    }
}

fn program(src: &str) -> (Program, falcoc_compiler::ir::Cond) {
    let e = parse(src).unwrap_or_else(|e| panic!("{src}: {e}"));
    let c = check_condition(&e, "syscall", &PluginProfile::none())
        .unwrap_or_else(|e| panic!("{src}: {e}"))
        .cond;
    (compile_cond(&c), c)
}

/// Evaluates with the VM, checking the reference agrees.
fn eval(src: &str, ev: &mut Ev) -> bool {
    let (p, c) = program(src);
    let mut vm = Vm::new(&p.tables);
    vm.next_event();
    let got = vm.eval_program(&p, ev);
    let want = Reference::new(&c, &p.tables).eval(&p.tables, ev);
    assert_eq!(got, want, "{src}: vm and reference disagree");
    got
}

#[test]
fn missing_is_false_for_every_operator() {
    let mut ev = Ev::default();
    for c in [
        "fd.name = /x",
        "fd.name != /x",
        "fd.name exists",
        "fd.name in (/x)",
        "fd.name contains x",
        "fd.name glob '*'",
        "fd.name pmatch (/)",
        "fd.name regex '.*'",
        "fd.name != allof (/x, /y)",
        "fd.num < 10",
        "fd.num != 1",
        "tolower(fd.name) != x",
        "len(fd.name) >= 0",
    ] {
        assert!(!eval(c, &mut ev), "{c} on a missing field");
    }
    assert!(eval("not fd.name = /x", &mut ev));
    assert!(eval("not fd.name exists", &mut ev));
    // A missing right-hand field.
    let mut ev = Ev::default().with("proc.name", &[V::S("a")]);
    assert!(!eval("proc.name = val(proc.pname)", &mut ev));
    assert!(!eval("proc.name != val(proc.pname)", &mut ev));
}

#[test]
fn lists() {
    let mut ev = Ev::default().with("fd.types", &[V::S("file"), V::S("ipv4")]);
    assert!(eval("fd.types in (file, ipv4, ipv6)", &mut ev));
    assert!(!eval("fd.types in (file)", &mut ev));
    assert!(eval("fd.types intersects (ipv4, x)", &mut ev));
    assert!(!eval("fd.types intersects (x)", &mut ev));
    assert!(eval("len(fd.types) = 2", &mut ev));
    assert!(eval("toupper(fd.types) intersects (FILE)", &mut ev));
    let mut empty = Ev::default().with("fd.types", &[]);
    assert!(eval("fd.types in (file)", &mut empty), "vacuously true");
    assert!(eval("fd.types in ()", &mut empty));
    assert!(!eval("fd.types intersects (file)", &mut empty));
    assert!(eval("fd.types exists", &mut empty));
}

#[test]
fn ancestors() {
    let mut ev = Ev::default().with("proc.aname", &[V::S("cron"), V::S("systemd")]);
    assert!(eval("proc.aname = systemd", &mut ev));
    assert!(
        eval("proc.aname != cron", &mut ev),
        "some ancestor is not cron"
    );
    assert!(!eval("proc.aname = bash", &mut ev));
    assert!(eval("proc.aname in (bash, systemd)", &mut ev));
    assert!(eval("proc.aname exists", &mut ev));
    let mut none = Ev::default().with("proc.aname", &[]);
    assert!(!eval("proc.aname exists", &mut none));
    assert!(!eval("proc.aname != x", &mut none));
}

#[test]
fn endpoints() {
    let mut ev = Ev::default()
        .with(
            "fd.ip*",
            &[V::Ip("172.40.111.222"), V::Ip("142.251.111.147")],
        )
        .with(
            "fd.net*",
            &[V::Ip("172.40.111.222"), V::Ip("142.251.111.147")],
        )
        .with("fd.port*", &[V::I(54321), V::I(443)]);
    assert!(eval("fd.ip = 142.251.111.147", &mut ev));
    assert!(
        !eval("fd.ip != 142.251.111.147", &mut ev),
        "!= needs neither end"
    );
    assert!(eval("fd.ip != 10.0.0.1", &mut ev));
    assert!(eval("fd.ip in (10.0.0.1, 172.40.111.222)", &mut ev));
    assert!(eval("fd.port = https", &mut ev));
    assert!(eval("fd.port < 1024", &mut ev));
    assert!(eval("fd.port in (80, 443)", &mut ev));
    assert!(eval("fd.net = 142.0.0.0/8", &mut ev));
    assert!(eval("fd.net != 10.0.0.0/8", &mut ev));
    assert!(
        !eval("fd.net in (10.0.0.0/8, 142.0.0.0/8)", &mut ev),
        "first network only"
    );
    assert!(eval("fd.net in (142.0.0.0/8, 10.0.0.0/8)", &mut ev));
    // A non-IP fd: extracted, no endpoint.
    let mut file = Ev::default().with("fd.ip*", &[]);
    assert!(eval("fd.ip exists", &mut file));
    assert!(!eval("fd.ip != 1.2.3.4", &mut file));
    assert!(!eval("fd.ip = 1.2.3.4", &mut file));
}

#[test]
fn cidrs_and_addresses() {
    let mut ev = Ev::default()
        .with("fd.sip", &[V::Ip("2001:4860:4860::8888")])
        .with("fd.snet", &[V::Ip("10.1.2.3")]);
    assert!(
        eval("fd.sip != 127.0.0.1", &mut ev),
        "family mismatch is unequal"
    );
    assert!(!eval("fd.sip = 127.0.0.1", &mut ev));
    assert!(eval("fd.sip in (::1, 2001:4860:4860::8888)", &mut ev));
    assert!(eval("fd.snet = 10.0.0.0/8", &mut ev));
    assert!(eval("fd.snet in (192.168.0.0/16, 10.1.0.0/16)", &mut ev));
    assert!(!eval("fd.snet = 10.1.3.0/24", &mut ev));
    assert!(eval("fd.snet != 2001::/16", &mut ev));
}

#[test]
fn modifiers_and_field_compares() {
    let mut ev = Ev::default()
        .with("proc.name", &[V::S("myexe")])
        .with("proc.pname", &[V::S("MYEXE")])
        .with("proc.pid", &[V::I(7)]);
    assert!(!eval("proc.name == oneof (myexe, myexe)", &mut ev));
    assert!(eval("proc.name != oneof (myexe, myexe, bash)", &mut ev));
    assert!(eval("proc.name contains allof (my, exe)", &mut ev));
    assert!(eval("proc.name startswith anyof (x, my)", &mut ev));
    assert!(!eval("proc.name != anyof ()", &mut ev));
    assert!(eval("proc.pid != allof (1, 2)", &mut ev));
    assert!(eval("proc.name = tolower(proc.pname)", &mut ev));
    assert!(eval("toupper(proc.name) = val(proc.pname)", &mut ev));
    assert!(eval("proc.name icontains val(proc.pname)", &mut ev));
    assert!(eval("proc.pid = val(proc.pid)", &mut ev));
    assert!(!eval("proc.pid > val(proc.pid)", &mut ev));
}

#[test]
fn transformers() {
    let mut ev = Ev::default()
        .with("fd.name", &[V::S("/tmp/file_to_run")])
        .with("proc.name", &[V::S("aGVsbG8=")])
        .with("proc.pname", &[V::S("***")]);
    assert!(eval("basename(fd.name) = file_to_run", &mut ev));
    assert!(eval("len(fd.name) = 16", &mut ev));
    assert!(eval("b64(proc.name) = hello", &mut ev));
    assert!(
        !eval("b64(proc.pname) exists", &mut ev),
        "invalid base64 is missing"
    );
    assert!(eval("not b64(proc.pname) != x", &mut ev));
    assert!(eval(
        "concat(fd.name, \"-\", proc.name) = \"/tmp/file_to_run-aGVsbG8=\"",
        &mut ev
    ));
    assert!(eval(
        "join(\",\", (fd.name, \"x\")) = \"/tmp/file_to_run,x\"",
        &mut ev
    ));
}

#[test]
fn caches() {
    // Each field is extracted once per event across checks and rules.
    let (p, _) = program(
        "(proc.name = a or proc.name contains b or tolower(proc.name) = c) and proc.name != d",
    );
    let mut vm = Vm::new(&p.tables);
    let mut ev = Ev::default().with("proc.name", &[V::S("xb")]);
    vm.next_event();
    assert!(vm.eval_program(&p, &mut ev));
    assert!(vm.eval_program(&p, &mut ev));
    assert_eq!(ev.calls, 1);
    // A new event is extracted again; stale values are not reused.
    vm.next_event();
    ev.fields.insert("proc.name".into(), vec![V::S("d")]);
    assert!(!vm.eval_program(&p, &mut ev));
    assert_eq!(ev.calls, 2);
}
