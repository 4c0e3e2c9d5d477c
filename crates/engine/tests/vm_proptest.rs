//! Property test: for random small conditions over a mock event source, the VM (with and
//! without its check cache, over tables shared by two rules, across consecutive events)
//! agrees with the plain tree-walking reference evaluator
//! ([`falcoc_engine::vm::reference`]).
//!
//! Leaves are drawn from an enumeration covering every operator family: strings (all
//! string operators, modifiers, transformers, right-hand fields), numbers of several
//! widths, buffers, addresses, networks, booleans, list fields, ancestor and endpoint
//! fields, and the 0.44 multi-value transformers. Several leaves share a left side so the
//! code generator's merging of alternatives is exercised.

use std::collections::HashMap;
use std::net::IpAddr;

use falcoc_codegen::{Builder, FieldDesc, FieldId};
use falcoc_compiler::check::check_condition;
use falcoc_compiler::ir::Cond;
use falcoc_engine::vm::reference::Reference;
use falcoc_engine::vm::{FieldSource, Values, Vm};
use falcoc_lang::condition::parse;
use falcoc_schema::fields::PluginProfile;
use proptest::prelude::*;

const STRS: [&str; 12] = [
    "", "a", "b", "ab", "ba", "abc", "A", "Ab", "/a", "/a/b", "/b/a", "a/b",
];
const LITS: [&str; 7] = ["", "a", "b", "ab", "A", "/a", "b/a"];
const NUMS: [i64; 6] = [-1, 0, 1, 2, 300, 70000];
const IPS: [&str; 4] = ["1.2.3.4", "1.2.3.5", "::1", "10.0.0.1"];
const BUFS: [&[u8]; 4] = [b"", b"ab", b"a\0b", b"hello"];

fn q(s: &str) -> String {
    format!("'{s}'")
}

fn list(items: &[&str]) -> String {
    format!(
        "({})",
        items.iter().map(|s| q(s)).collect::<Vec<_>>().join(", ")
    )
}

/// Every leaf check used by the generator.
fn leaves() -> Vec<String> {
    let mut v = Vec::new();
    let lists: [&[&str]; 5] = [&[], &["a"], &["a", "b"], &["ab", "a", "ab"], &["A", "/a"]];
    for f in ["proc.name", "fd.name"] {
        for op in ["=", "!=", "contains", "icontains", "startswith", "endswith"] {
            for l in LITS {
                v.push(format!("{f} {op} {}", q(l)));
            }
        }
        for p in ["a*", "*b", "?b", "[ab]*", "*", "a[!b]", "A*", "a\\\\*"] {
            v.push(format!("{f} glob {}", q(p)));
            v.push(format!("{f} iglob {}", q(p)));
        }
        for p in ["a.*", "(a|b)+", "[ab]c?", "a**", "[a-", "/a/.*"] {
            v.push(format!("{f} regex {}", q(p)));
        }
        for p in [
            &["/a"][..],
            &["/a/b"],
            &["/*/a"],
            &["/"],
            &["/b", "/a/*"],
            &[],
        ] {
            v.push(format!("{f} pmatch {}", list(p)));
        }
        for l in lists {
            v.push(format!("{f} in {}", list(l)));
            v.push(format!("{f} intersects {}", list(l)));
        }
        for op in [
            "=",
            "!=",
            "contains",
            "icontains",
            "startswith",
            "endswith",
            "glob",
            "iglob",
            "regex",
        ] {
            for m in ["oneof", "anyof", "allof"] {
                for l in &lists[1..] {
                    v.push(format!("{f} {op} {m} {}", list(l)));
                }
            }
        }
        v.push(format!("tolower({f}) = 'ab'"));
        v.push(format!("toupper({f}) startswith 'A'"));
        v.push(format!("basename({f}) = 'b'"));
        v.push(format!("len({f}) > 1"));
        v.push(format!("len({f}) in (0, 2)"));
        v.push(format!("b64({f}) = 'i'"));
        for op in [
            "=",
            "!=",
            "<",
            "<=",
            ">",
            ">=",
            "contains",
            "startswith",
            "endswith",
            "glob",
            "iglob",
            "in",
            "icontains",
        ] {
            v.push(format!("{f} {op} val(proc.pname)"));
        }
        v.push(format!("tolower({f}) = tolower(proc.pname)"));
        v.push(format!("{f} exists"));
    }
    for f in ["proc.pid", "evt.cpu", "evt.count"] {
        for op in ["=", "!=", "<", "<=", ">", ">="] {
            for n in NUMS {
                v.push(format!("{f} {op} {n}"));
            }
        }
        v.push(format!("{f} in (1, 2, 70000)"));
        v.push(format!("{f} in (-1)"));
        v.push(format!("{f} == anyof (0, 1)"));
        v.push(format!("{f} != allof (0, 1)"));
        v.push(format!("{f} == oneof (1, 1)"));
        v.push(format!("{f} = val({f})"));
        v.push(format!("{f} < val({f})"));
    }
    for c in [
        "evt.buffer = 'ab'",
        "evt.buffer != 'ab'",
        "evt.buffer contains 'b'",
        "evt.buffer bcontains 00",
        "evt.buffer bcontains 6162",
        "evt.buffer bstartswith 61",
        "evt.buffer startswith 'a'",
        "evt.buffer endswith 'b'",
        "evt.buffer in ('ab', 'hello')",
        "len(evt.buffer) = 3",
        "fd.sip = 1.2.3.4",
        "fd.sip != 1.2.3.4",
        "fd.sip = ::1",
        "fd.sip in (1.2.3.4, ::1)",
        "fd.sip == anyof (1.2.3.4, 10.0.0.1)",
        "fd.sip != allof (1.2.3.4, 10.0.0.1)",
        "fd.sip == oneof (1.2.3.4, 1.2.3.4)",
        "fd.snet = 1.2.3.0/24",
        "fd.snet != 10.0.0.0/8",
        "fd.snet in (1.2.3.0/24, ::1/128)",
        "fd.types in ('a', 'b')",
        "fd.types in ()",
        "fd.types intersects ('a')",
        "fd.types intersects ('ab', 'b')",
        "fd.types exists",
        "len(fd.types) > 1",
        "tolower(fd.types) intersects ('a')",
        "evt.is_io = true",
        "evt.is_io != false",
        "evt.is_io in (true)",
        "proc.aname = 'a'",
        "proc.aname != 'a'",
        "proc.aname startswith 'a'",
        "proc.aname in ('a', 'b')",
        "proc.aname glob 'a*'",
        "proc.aname exists",
        "proc.apid = 1",
        "proc.apid in (1, 2)",
        "proc.apid > 0",
        "fd.ip = 1.2.3.4",
        "fd.ip != 1.2.3.4",
        "fd.ip in (1.2.3.4, ::1)",
        "fd.ip exists",
        "fd.port = 80",
        "fd.port != 80",
        "fd.port < 100",
        "fd.port in (80, 443)",
        "fd.net = 1.2.3.0/24",
        "fd.net != 1.2.3.0/24",
        "fd.net in (10.0.0.0/8, 1.2.3.0/24)",
        "concat(proc.name, 'x') = 'ax'",
        "join('-', (proc.name, fd.name)) contains '-'",
        "join('-', (proc.name, proc.pid)) = 'a-1'",
        "len(getopt(('-a', proc.name), 'a:')) = 2",
        "getopt(('-a', proc.name), 'a:')[a] = 'b'",
    ] {
        v.push(c.to_string());
    }
    v
}

/// A mock value.
#[derive(Debug, Clone)]
enum V {
    S(&'static str),
    B(&'static [u8]),
    I(i64),
    Ip(IpAddr),
    Bool(bool),
}

/// A mock event: field name → values (absent = missing).
#[derive(Debug, Clone)]
struct Event(HashMap<&'static str, Vec<V>>);

impl FieldSource for Event {
    fn extract(&mut self, _id: FieldId, f: &FieldDesc, out: &mut Values) -> bool {
        let Some(vals) = self.0.get(f.name()) else {
            return false;
        };
        for v in vals {
            match v {
                V::S(s) => out.push_str(s),
                V::B(b) => out.push_bytes(b),
                V::I(i) => out.push_i64(*i),
                V::Ip(a) => out.push_ip(*a),
                V::Bool(b) => out.push_bool(*b),
            }
        }
        true
    }
}

fn ips() -> Vec<IpAddr> {
    IPS.iter().filter_map(|s| s.parse().ok()).collect()
}

fn event() -> impl Strategy<Value = Event> {
    let s = || prop::sample::select(&STRS[..]).prop_map(V::S);
    let n = || prop::sample::select(&NUMS[..]).prop_map(V::I);
    let ip = || prop::sample::select(ips()).prop_map(V::Ip);
    let one = |st: BoxedStrategy<V>| prop::option::weighted(0.85, st.prop_map(|v| vec![v]));
    let many = |st: BoxedStrategy<V>, max: usize| {
        prop::option::weighted(0.85, prop::collection::vec(st, 0..=max))
    };
    (
        (
            one(s().boxed()),
            one(s().boxed()),
            one(s().boxed()),
            one(n().boxed()),
            one(n().boxed()),
            one(n().boxed()),
        ),
        (
            one(prop::sample::select(&BUFS[..]).prop_map(V::B).boxed()),
            one(ip().boxed()),
            one(ip().boxed()),
            many(s().boxed(), 3),
            one(any::<bool>().prop_map(V::Bool).boxed()),
        ),
        (
            many(s().boxed(), 3),
            many(n().boxed(), 3),
            many(ip().boxed(), 2),
            many(
                prop::sample::select(&[80i64, 443, 0, 70000][..])
                    .prop_map(V::I)
                    .boxed(),
                2,
            ),
            many(ip().boxed(), 2),
        ),
    )
        .prop_map(|(a, b, c)| {
            let mut m = HashMap::new();
            let mut put = |k: &'static str, v: Option<Vec<V>>| {
                if let Some(v) = v {
                    m.insert(k, v);
                }
            };
            put("proc.name", a.0);
            put("fd.name", a.1);
            put("proc.pname", a.2);
            put("proc.pid", a.3);
            put("evt.cpu", a.4);
            put("evt.count", a.5);
            put("evt.buffer", b.0);
            put("fd.sip", b.1);
            put("fd.snet", b.2);
            put("fd.types", b.3);
            put("evt.is_io", b.4);
            put("proc.aname", c.0);
            put("proc.apid", c.1);
            put("fd.ip", c.2);
            put("fd.port", c.3);
            put("fd.net", c.4);
            Event(m)
        })
}

fn condition(leaves: &'static [String]) -> impl Strategy<Value = String> {
    let leaf = prop::sample::select(leaves);
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..=4)
                .prop_map(|v| format!("({})", v.join(" and "))),
            prop::collection::vec(inner.clone(), 2..=4)
                .prop_map(|v| format!("({})", v.join(" or "))),
            inner.prop_map(|c| format!("not {c}")),
        ]
    })
}

fn checked(src: &str) -> Option<Cond> {
    let e = parse(src).ok()?;
    check_condition(&e, "syscall", &PluginProfile::none())
        .ok()
        .map(|c| c.cond)
}

#[test]
fn every_leaf_compiles() {
    let bad: Vec<String> = leaves()
        .into_iter()
        .filter(|l| checked(l).is_none())
        .collect();
    assert!(bad.is_empty(), "leaves that do not compile: {bad:#?}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn vm_agrees_with_reference(
        a in condition(Box::leak(leaves().into_boxed_slice())),
        b in condition(Box::leak(leaves().into_boxed_slice())),
        events in prop::collection::vec(event(), 1..4),
    ) {
        let (Some(ca), Some(cb)) = (checked(&a), checked(&b)) else {
            return Err(TestCaseError::reject("does not compile"));
        };
        let mut builder = Builder::new();
        let code_a = builder.add(&ca);
        let code_b = builder.add(&cb);
        let tables = builder.finish();
        let ref_a = Reference::new(&ca, &tables);
        let ref_b = Reference::new(&cb, &tables);
        let mut vm = Vm::new(&tables);
        let mut vm_nocache = Vm::new(&tables);
        vm_nocache.set_check_cache(false);
        for mut ev in events {
            vm.next_event();
            vm_nocache.next_event();
            let want_a = ref_a.eval(&tables, &mut ev);
            let want_b = ref_b.eval(&tables, &mut ev);
            // Rule b first, then a, then a again (cached).
            prop_assert_eq!(vm.eval(&tables, &code_b, &mut ev), want_b, "{} on {:?}\n{}", b, ev, code_b);
            prop_assert_eq!(vm.eval(&tables, &code_a, &mut ev), want_a, "{} on {:?}\n{}", a, ev, code_a);
            prop_assert_eq!(vm.eval(&tables, &code_a, &mut ev), want_a, "{} (cached) on {:?}", a, ev);
            prop_assert_eq!(vm_nocache.eval(&tables, &code_a, &mut ev), want_a, "{} (no check cache) on {:?}", a, ev);
        }
    }
}
