//! The newest falco_rules, incubating and sandbox rule files, compiled into one
//! [`RuleSetProgram`] and evaluated by the VM on synthetic events, must agree rule by rule
//! with the reference tree-walker. Events draw each field's values from the constants the
//! rules compare that field with (so deep checks are reached), plus generic values, with
//! missing fields, empty lists, several ancestors and endpoints.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use falcoc_codegen::{FieldDesc, FieldId, FieldMode, RuleSetProgram};
use falcoc_compiler::ir::Rhs;
use falcoc_compiler::load::{load, Input, LoadOptions};
use falcoc_engine::vm::reference::Reference;
use falcoc_engine::vm::{FieldSource, Values, Vm};
use falcoc_schema::fields::{Constant, FieldType};

fn newest(root: &Path, family: &str) -> Option<PathBuf> {
    std::fs::read_dir(root)
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let v: Vec<u64> = name
                .strip_prefix(family)?
                .split('.')
                .map(|p| p.parse().ok())
                .collect::<Option<_>>()?;
            Some((v, e.path()))
        })
        .max()
        .map(|(_, p)| p)
}

fn rule_files() -> Vec<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus/rules/falcosecurity-rules");
    let mut out = Vec::new();
    for family in [
        "falco-rules-",
        "falco-incubating-rules-",
        "falco-sandbox-rules-",
    ] {
        let Some(dir) = newest(&root, family) else {
            continue;
        };
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
            .collect();
        files.sort();
        out.extend(files);
    }
    out
}

#[derive(Debug, Clone)]
enum V {
    S(Vec<u8>),
    U(u64),
    I(i64),
    Ip(IpAddr),
}

/// Synthetic events: each field's values are a pure function of (event seed, field), so
/// the VM and the reference see the same event whatever order they extract in.
struct Synth {
    seed: u64,
    pools: HashMap<String, Vec<V>>,
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

impl Synth {
    fn rng(&self, f: &FieldDesc) -> impl FnMut() -> u64 {
        let mut h = DefaultHasher::new();
        (self.seed, f.name(), f.mode as u8).hash(&mut h);
        let mut s = h.finish() | 1;
        move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        }
    }

    fn value(&self, f: &FieldDesc, r: &mut impl FnMut() -> u64) -> V {
        let pool = self.pools.get(f.field.field.name).filter(|p| !p.is_empty());
        let from_pool = pool.filter(|_| r() % 10 < 9);
        if let Some(p) = from_pool {
            let v = p[(r() % p.len() as u64) as usize].clone();
            return match v {
                V::S(mut s) if r() % 5 == 0 => {
                    s.extend_from_slice(b"/suffix");
                    V::S(s)
                }
                v => v,
            };
        }
        match f.field.ty {
            FieldType::Charbuf | FieldType::Fspath | FieldType::FsRelPath | FieldType::Bytebuf => {
                V::S(
                    GENERIC[(r() % GENERIC.len() as u64) as usize]
                        .as_bytes()
                        .to_vec(),
                )
            }
            FieldType::IpAddr | FieldType::IpNet | FieldType::Ipv4Addr | FieldType::Ipv4Net => {
                V::Ip(IpAddr::from((r() as u32).to_be_bytes()))
            }
            FieldType::Bool => V::U(r() % 2),
            FieldType::Int8 | FieldType::Int16 | FieldType::Int32 | FieldType::Int64 => {
                V::I((r() % 7) as i64 - 3)
            }
            _ => V::U(r() % 5),
        }
    }
}

impl FieldSource for Synth {
    fn extract(&mut self, _id: FieldId, f: &FieldDesc, out: &mut Values) -> bool {
        let mut r = self.rng(f);
        if r() % 20 == 0 {
            return false;
        }
        let n = if f.field.is_list() || f.mode == FieldMode::Ancestors {
            (r() % 4) as usize
        } else if f.mode == FieldMode::Endpoints {
            (r() % 3) as usize
        } else {
            1
        };
        for _ in 0..n {
            match self.value(f, &mut r) {
                V::S(s) => out.push_bytes(&s),
                V::U(u) => out.push_u64(u),
                V::I(i) => out.push_i64(i),
                V::Ip(a) => out.push_ip(a),
            }
        }
        true
    }
}

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

#[test]
fn falco_rules_vm_matches_reference() {
    let paths = rule_files();
    if paths.is_empty() {
        eprintln!("note: ../shared corpus not found; skipped");
        return;
    }
    let contents: Vec<(String, Vec<u8>)> = paths
        .iter()
        .filter_map(|p| Some((p.display().to_string(), std::fs::read(p).ok()?)))
        .collect();
    let inputs: Vec<Input> = contents
        .iter()
        .map(|(n, b)| Input { name: n, bytes: b })
        .collect();
    let loaded = load(&inputs, &LoadOptions::default());
    assert!(!loaded.rules.is_empty());
    let set = RuleSetProgram::new(&loaded.rules);
    let mut pools: HashMap<String, Vec<V>> = HashMap::new();
    for r in &loaded.rules {
        r.checked.cond.for_each_check(&mut |chk| {
            if let (Some(f), Rhs::Values(vals)) = (chk.left.base_field(), &chk.right) {
                let pool = pools.entry(f.field_name().to_string()).or_default();
                pool.extend(vals.iter().filter_map(|v| harvest(&v.constant)));
            }
        });
    }
    let refs: Vec<Reference> = loaded
        .rules
        .iter()
        .map(|r| Reference::new(&r.checked.cond, &set.tables))
        .collect();
    let mut vm = Vm::new(&set.tables);
    let mut src = Synth { seed: 0, pools };
    let (mut evaluations, mut matches) = (0usize, 0usize);
    let mut failures = Vec::new();
    for seed in 0..1000u64 {
        src.seed = seed;
        vm.next_event();
        for (rule, reference) in set.rules.iter().zip(&refs) {
            let got = vm.eval(&set.tables, &rule.code, &mut src);
            let want = reference.eval(&set.tables, &mut src);
            evaluations += 1;
            matches += got as usize;
            if got != want && failures.len() < 20 {
                failures.push(format!(
                    "event {seed}: rule {:?}: vm {got}, reference {want}",
                    rule.name
                ));
            }
        }
    }
    eprintln!(
        "falco rules: {} rules, {} fields, {} expressions, {} checks; {evaluations} evaluations, {matches} true",
        set.rules.len(),
        set.tables.fields.len(),
        set.tables.exprs.len(),
        set.tables.checks.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(matches > 0, "synthetic events should trigger some rules");
}
