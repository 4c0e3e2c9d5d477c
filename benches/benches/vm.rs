//! Rule evaluation: the conditions of the newest `falco_rules.yaml`, compiled to bytecode
//! over shared tables and run by the VM, against a baseline measured in the same run —
//! the plain tree-walking evaluator of `falcoc_engine::vm::reference` (no caches,
//! linear constant scans) over the same mock events.
//!
//! The mock events are synthetic: 16 events whose field values are drawn (from a fixed
//! seed) from the constants the rules compare each field with, plus generic values, with
//! some fields missing — so evaluations go past the first `evt.type` check as they do on
//! matching events. The source hands out precomputed values (a copy per extraction), as
//! a state layer would.
//!
//! * `vm/bytecode`: one iteration evaluates every rule on each of the 16 events
//!   (`next_event` before each event); throughput in rule evaluations;
//! * `vm/bytecode_no_check_cache`: the same without the per-event check-result cache;
//! * `vm/tree_walker`: the baseline.
//!
//! * `vm_indexed/bytecode`, `vm_indexed/tree_walker`: as Falco runs rules, only those
//!   whose event codes include each event's `evt.type` (so most evaluations go deeper).
//!
//! ns per rule evaluation = iteration time / rule evaluations per iteration (printed by
//! the setup; criterion's throughput is in rule evaluations per second).
//!
//! Run: `cargo bench -p falcoc-benches --bench vm -- --warm-up-time 1 --measurement-time 5`.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::hint::black_box;
use std::net::IpAddr;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use falcoc_benches::{corpus_root, newest};
use falcoc_codegen::{FieldDesc, FieldId, FieldMode, RuleSetProgram, Tables, ValueRef};
use falcoc_compiler::ir::Rhs;
use falcoc_compiler::load::{load, Input, LoadOptions};
use falcoc_engine::vm::reference::Reference;
use falcoc_engine::vm::{FieldSource, Values, Vm};
use falcoc_schema::events::names_to_event_set;
use falcoc_schema::fields::{Constant, FieldType};

const EVENTS: u64 = 16;

#[derive(Debug, Clone)]
enum V {
    S(Vec<u8>),
    U(u64),
    I(i64),
    Ip(IpAddr),
}

const GENERIC: [&str; 8] = [
    "",
    "bash",
    "/bin/sh",
    "/etc/passwd",
    "runc",
    "x",
    "sh",
    "/tmp/x",
];

fn harvest(c: &Constant) -> Option<V> {
    Some(match c {
        Constant::Str(s) => V::S(s.as_bytes().to_vec()),
        Constant::Bytes(b) => V::S(b.clone()),
        Constant::Int(i) => V::I(*i),
        Constant::Uint(u) => V::U(*u),
        Constant::Bool(b) => V::U(*b as u64),
        Constant::Ipv4(a) => V::Ip(IpAddr::V4(*a)),
        Constant::Ipv6(a) => V::Ip(IpAddr::V6(*a)),
        Constant::Ipv4Net { addr, .. } => V::Ip(IpAddr::V4(*addr)),
        Constant::Ipv6Net { addr, .. } => V::Ip(IpAddr::V6(*addr)),
        Constant::Double(_) => return None,
    })
}

/// The values of one field in one synthetic event (`None`: missing).
fn synth(seed: u64, f: &FieldDesc, pools: &HashMap<String, Vec<V>>) -> Option<Values> {
    let mut h = DefaultHasher::new();
    (seed, f.name(), f.mode as u8).hash(&mut h);
    let mut s = h.finish() | 1;
    let mut r = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    if r() % 20 == 0 {
        return None;
    }
    let n = if f.field.is_list() || f.mode == FieldMode::Ancestors {
        (r() % 4) as usize
    } else if f.mode == FieldMode::Endpoints {
        (r() % 3) as usize
    } else {
        1
    };
    let mut out = Values::new();
    let pool = pools.get(f.field.field.name).filter(|p| !p.is_empty());
    for _ in 0..n {
        let v = match pool.filter(|_| r() % 10 < 9) {
            Some(p) => p[(r() % p.len() as u64) as usize].clone(),
            None => match f.field.ty {
                FieldType::IpAddr | FieldType::IpNet => {
                    V::Ip(IpAddr::from((r() as u32).to_be_bytes()))
                }
                FieldType::Int8 | FieldType::Int16 | FieldType::Int32 | FieldType::Int64 => {
                    V::I((r() % 7) as i64 - 3)
                }
                FieldType::Charbuf
                | FieldType::Fspath
                | FieldType::FsRelPath
                | FieldType::Bytebuf => V::S(
                    GENERIC[(r() % GENERIC.len() as u64) as usize]
                        .as_bytes()
                        .to_vec(),
                ),
                _ => V::U(r() % 5),
            },
        };
        match v {
            V::S(b) => out.push_bytes(&b),
            V::U(u) => out.push_u64(u),
            V::I(i) => out.push_i64(i),
            V::Ip(a) => out.push_ip(a),
        }
    }
    Some(out)
}

/// Precomputed events: values per field id, and the rules indexed for each event's type.
struct Events {
    events: Vec<Vec<Option<Values>>>,
    /// Per event, the rules whose event codes include the event's `evt.type`.
    indexed: Vec<Vec<usize>>,
    current: usize,
}

impl FieldSource for Events {
    #[inline]
    fn extract(&mut self, id: FieldId, _f: &FieldDesc, out: &mut Values) -> bool {
        match self
            .events
            .get(self.current)
            .and_then(|e| e.get(id.0 as usize))
        {
            Some(Some(v)) => {
                for x in v.iter() {
                    out.push(x);
                }
                true
            }
            _ => false,
        }
    }
}

fn run_vm(vm: &mut Vm, set: &RuleSetProgram, src: &mut Events) -> usize {
    let mut n = 0;
    for e in 0..src.events.len() {
        src.current = e;
        vm.next_event();
        for r in &set.rules {
            n += vm.eval(&set.tables, &r.code, src) as usize;
        }
    }
    n
}

fn run_reference(refs: &[Reference], tables: &Tables, src: &mut Events) -> usize {
    let mut n = 0;
    for e in 0..src.events.len() {
        src.current = e;
        for r in refs {
            n += r.eval(tables, src) as usize;
        }
    }
    n
}

fn run_vm_indexed(vm: &mut Vm, set: &RuleSetProgram, src: &mut Events) -> usize {
    let mut n = 0;
    for e in 0..src.events.len() {
        src.current = e;
        vm.next_event();
        for i in 0..src.indexed[e].len() {
            let r = &set.rules[src.indexed[e][i]];
            n += vm.eval(&set.tables, &r.code, src) as usize;
        }
    }
    n
}

fn run_reference_indexed(refs: &[Reference], tables: &Tables, src: &mut Events) -> usize {
    let mut n = 0;
    for e in 0..src.events.len() {
        src.current = e;
        for i in 0..src.indexed[e].len() {
            n += refs[src.indexed[e][i]].eval(tables, src) as usize;
        }
    }
    n
}

/// The rules Falco would run for event `e`: those whose event codes include the codes of
/// its `evt.type` (rules without event codes always run).
fn index(set: &RuleSetProgram, values: &[Option<Values>]) -> Vec<usize> {
    let name = set
        .tables
        .fields
        .iter()
        .position(|f| f.name() == "evt.type")
        .and_then(|i| values.get(i))
        .and_then(|v| v.as_ref())
        .and_then(|v| match v.first() {
            Some(ValueRef::Bytes(b)) => std::str::from_utf8(b).ok().map(str::to_string),
            _ => None,
        });
    let codes = name.map(|n| names_to_event_set([n.as_str()], &[]));
    (0..set.rules.len())
        .filter(|&i| match (&set.rules[i].event_codes, &codes) {
            (Some(rc), Some(ec)) => !rc.intersect(ec).is_empty(),
            _ => true,
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let Some(dir) = newest(&corpus_root(), "falco-rules-") else {
        eprintln!("note: ../shared corpus not found; vm has nothing to measure");
        return;
    };
    let path = dir.join("falco_rules.yaml");
    let Ok(bytes) = std::fs::read(&path) else {
        eprintln!("note: {} not readable", path.display());
        return;
    };
    let name = path.display().to_string();
    let loaded = load(
        &[Input {
            name: &name,
            bytes: &bytes,
        }],
        &LoadOptions::default(),
    );
    let set = RuleSetProgram::new(&loaded.rules);
    let mut pools: HashMap<String, Vec<V>> = HashMap::new();
    for r in &loaded.rules {
        r.checked.cond.for_each_check(&mut |chk| {
            if let (Some(f), Rhs::Values(vals)) = (chk.left.base_field(), &chk.right) {
                pools
                    .entry(f.field_name().to_string())
                    .or_default()
                    .extend(vals.iter().filter_map(|v| harvest(&v.constant)));
            }
        });
    }
    let events: Vec<Vec<Option<Values>>> = (0..EVENTS)
        .map(|seed| {
            set.tables
                .fields
                .iter()
                .map(|f| synth(seed, f, &pools))
                .collect()
        })
        .collect();
    let indexed = events.iter().map(|e| index(&set, e)).collect();
    let mut src = Events {
        events,
        indexed,
        current: 0,
    };
    let refs: Vec<Reference> = loaded
        .rules
        .iter()
        .map(|r| Reference::new(&r.checked.cond, &set.tables))
        .collect();
    let mut vm = Vm::new(&set.tables);
    let hits_vm = run_vm(&mut vm, &set, &mut src);
    let hits_ref = run_reference(&refs, &set.tables, &mut src);
    assert_eq!(hits_vm, hits_ref, "VM and reference disagree");
    let evals = EVENTS * set.rules.len() as u64;
    let insns: usize = set.rules.iter().map(|r| r.code.code.len()).sum();
    eprintln!(
        "vm: {} ({} rules, {} fields, {} checks, {insns} instructions); {EVENTS} events, \
         {evals} rule evaluations per iteration, {hits_vm} true",
        path.display(),
        set.rules.len(),
        set.tables.fields.len(),
        set.tables.checks.len(),
    );

    let mut g = c.benchmark_group("vm");
    g.throughput(Throughput::Elements(evals));
    g.bench_function("bytecode", |b| {
        b.iter(|| black_box(run_vm(&mut vm, &set, &mut src)))
    });
    let mut vm_nc = Vm::new(&set.tables);
    vm_nc.set_check_cache(false);
    g.bench_function("bytecode_no_check_cache", |b| {
        b.iter(|| black_box(run_vm(&mut vm_nc, &set, &mut src)))
    });
    g.bench_function("tree_walker", |b| {
        b.iter(|| black_box(run_reference(&refs, &set.tables, &mut src)))
    });
    g.finish();

    let hits_vm = run_vm_indexed(&mut vm, &set, &mut src);
    let hits_ref = run_reference_indexed(&refs, &set.tables, &mut src);
    assert_eq!(hits_vm, hits_ref, "VM and reference disagree (indexed)");
    let evals: usize = src.indexed.iter().map(Vec::len).sum();
    eprintln!("vm_indexed: {evals} rule evaluations per iteration (rules selected by evt.type), {hits_vm} true");
    let mut g = c.benchmark_group("vm_indexed");
    g.throughput(Throughput::Elements(evals as u64));
    g.bench_function("bytecode", |b| {
        b.iter(|| black_box(run_vm_indexed(&mut vm, &set, &mut src)))
    });
    g.bench_function("tree_walker", |b| {
        b.iter(|| black_box(run_reference_indexed(&refs, &set.tables, &mut src)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
