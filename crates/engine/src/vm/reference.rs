//! A deliberately plain tree-walking evaluator of checked conditions, written straight
//! from conditions.md §6–§10 and §13 and independent of the code generator's structures:
//! it walks the IR, re-extracts every field for every check (no cache), scans constant
//! lists linearly and matches globs and path prefixes with naive recursive code.
//!
//! It is the oracle of the VM's property tests and the baseline of its benchmark. It
//! shares with the VM only the [`FieldSource`] interface, the transformer functions of
//! [`super::transform`] and the RE2 translation of
//! [`falcoc_codegen::re2`].

use std::net::IpAddr;

use falcoc_codegen::{re2, FieldId, FieldMode, Tables, ValueRef};
use falcoc_compiler::ir::{Check, CheckOp, Cond, CondKind, Operand, OperandKind, Rhs};
use falcoc_lang::condition::ast::{CmpOp, Modifier, TransformerKind};
use falcoc_schema::fields::{ClassKind, Constant, FieldArg, FieldType, TypeClass};

use super::transform;
use super::{FieldSource, Values};

/// A condition prepared for the reference evaluator (fields resolved to the ids of the
/// rule set's tables; nothing else precomputed).
#[derive(Debug)]
pub struct Reference {
    root: Node,
}

#[derive(Debug)]
enum Node {
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    Const(bool),
    Check(Box<RCheck>),
}

#[derive(Debug)]
enum RExpr {
    /// A field the tables do not have: always missing.
    Missing,
    Field(FieldId),
    Unary {
        kind: TransformerKind,
        arg: Box<RExpr>,
        in_ty: FieldType,
        in_list: bool,
        out_ty: FieldType,
    },
    Join(Box<RExpr>, Box<RExpr>),
    Concat(Vec<RExpr>),
    Getopt(Box<RExpr>, Box<RExpr>, Option<u8>),
    Lit(Vec<u8>),
    List(Vec<(RExpr, bool)>),
}

#[derive(Debug)]
enum RConst {
    Bytes(Vec<u8>),
    Int(i64),
    Uint(u64),
    Double(f64),
    Ip(IpAddr),
    Net(IpAddr, u8),
    Regex(Option<regex::Regex>),
}

#[derive(Debug)]
struct RCheck {
    lhs: RExpr,
    ty: FieldType,
    is_list: bool,
    mode: FieldMode,
    net_first: bool,
    around: Option<u64>,
    op: CheckOp,
    consts: Vec<RConst>,
    rhs: Option<RExpr>,
}

fn rconst(c: &Constant, op: CheckOp) -> RConst {
    match c {
        Constant::Str(s)
            if matches!(
                op,
                CheckOp::Compare {
                    op: CmpOp::Regex,
                    ..
                }
            ) =>
        {
            RConst::Regex(re2::compile(s))
        }
        Constant::Str(s) => RConst::Bytes(s.as_bytes().to_vec()),
        Constant::Bytes(b) => RConst::Bytes(b.clone()),
        Constant::Int(i) => RConst::Int(*i),
        Constant::Uint(u) => RConst::Uint(*u),
        Constant::Double(d) => RConst::Double(*d),
        Constant::Bool(b) => RConst::Uint(*b as u64),
        Constant::Ipv4(a) => RConst::Ip(IpAddr::V4(*a)),
        Constant::Ipv6(a) => RConst::Ip(IpAddr::V6(*a)),
        Constant::Ipv4Net { addr, prefix } => RConst::Net(IpAddr::V4(*addr), *prefix),
        Constant::Ipv6Net { addr, prefix } => RConst::Net(IpAddr::V6(*addr), *prefix),
    }
}

impl Reference {
    /// Prepares `cond`, resolving its fields in `tables` (built from the same condition).
    pub fn new(cond: &Cond, tables: &Tables) -> Reference {
        Reference {
            root: node(cond, tables),
        }
    }

    /// Evaluates on the current event of `src`.
    pub fn eval<S: FieldSource + ?Sized>(&self, tables: &Tables, src: &mut S) -> bool {
        eval_node(&self.root, tables, src)
    }
}

fn node(c: &Cond, t: &Tables) -> Node {
    match &c.kind {
        CondKind::And(v) => Node::And(v.iter().map(|c| node(c, t)).collect()),
        CondKind::Or(v) => Node::Or(v.iter().map(|c| node(c, t)).collect()),
        CondKind::Not(x) => Node::Not(Box::new(node(x, t))),
        CondKind::Const(b) => Node::Const(*b),
        CondKind::Check(chk) => Node::Check(Box::new(check(chk, t))),
    }
}

fn rexpr(o: &Operand, t: &Tables, top: bool) -> RExpr {
    match &o.kind {
        OperandKind::Field(rf) => {
            let mode = if top {
                FieldMode::of(rf)
            } else {
                FieldMode::Plain
            };
            t.field_id(rf, mode).map_or(RExpr::Missing, RExpr::Field)
        }
        OperandKind::Transform { kind, args, arg } => {
            let mut a: Vec<RExpr> = args.iter().map(|x| rexpr(x, t, false)).collect();
            match kind {
                TransformerKind::Join if a.len() == 2 => {
                    let list = a.pop().unwrap_or(RExpr::Missing);
                    let sep = a.pop().unwrap_or(RExpr::Missing);
                    RExpr::Join(Box::new(sep), Box::new(list))
                }
                TransformerKind::Concat => RExpr::Concat(a),
                TransformerKind::Getopt if a.len() == 2 => {
                    let opts = a.pop().unwrap_or(RExpr::Missing);
                    let args = a.pop().unwrap_or(RExpr::Missing);
                    RExpr::Getopt(
                        Box::new(args),
                        Box::new(opts),
                        arg.as_ref().and_then(|s| s.bytes().next()),
                    )
                }
                TransformerKind::Val => a.pop().unwrap_or(RExpr::Missing),
                k if a.len() == 1 => RExpr::Unary {
                    kind: *k,
                    arg: Box::new(a.pop().unwrap_or(RExpr::Missing)),
                    in_ty: args[0].ty,
                    in_list: args[0].is_list,
                    out_ty: o.ty,
                },
                _ => RExpr::Missing,
            }
        }
        OperandKind::Literal(s) => RExpr::Lit(s.as_bytes().to_vec()),
        OperandKind::List(items) => RExpr::List(
            items
                .iter()
                .map(|x| (rexpr(x, t, false), x.ty.class() == TypeClass::Numeric))
                .collect(),
        ),
    }
}

fn check(chk: &Check, t: &Tables) -> RCheck {
    let mut around = None;
    let mut mode = FieldMode::Plain;
    let mut net_first = false;
    let mut ty = chk.left.ty;
    let lhs = match &chk.left.kind {
        OperandKind::Field(rf) => match rf.arg {
            FieldArg::Around(ts)
                if rf.class.kind == ClassKind::SyscallEvent && rf.field.name == "evt.around" =>
            {
                around = Some(ts);
                ty = FieldType::AbsTime;
                t.fields
                    .iter()
                    .position(|d| d.name() == "evt.rawtime" && d.mode == FieldMode::Plain)
                    .map_or(RExpr::Missing, |i| RExpr::Field(FieldId(i as u32)))
            }
            _ => {
                mode = FieldMode::of(rf);
                net_first = mode == FieldMode::Endpoints && rf.field.name == "fd.net";
                rexpr(&chk.left, t, true)
            }
        },
        _ => rexpr(&chk.left, t, true),
    };
    let (consts, rhs) = match &chk.right {
        Rhs::None => (Vec::new(), None),
        Rhs::Values(v) => (
            v.iter().map(|v| rconst(&v.constant, chk.op)).collect(),
            None,
        ),
        Rhs::Operand(o) => (Vec::new(), Some(rexpr(o, t, false))),
    };
    RCheck {
        lhs,
        ty,
        is_list: chk.left.is_list,
        mode,
        net_first,
        around,
        op: chk.op,
        consts,
        rhs,
    }
}

fn eval_node<S: FieldSource + ?Sized>(n: &Node, t: &Tables, src: &mut S) -> bool {
    match n {
        Node::And(v) => v.iter().all(|c| eval_node(c, t, src)),
        Node::Or(v) => v.iter().any(|c| eval_node(c, t, src)),
        Node::Not(x) => !eval_node(x, t, src),
        Node::Const(b) => *b,
        Node::Check(c) => eval_check(c, t, src),
    }
}

fn extract<S: FieldSource + ?Sized>(e: &RExpr, t: &Tables, src: &mut S) -> Option<Values> {
    let mut out = Values::new();
    let ok = match e {
        RExpr::Missing => false,
        RExpr::Field(id) => match t.field(*id) {
            Some(d) => src.extract(*id, d, &mut out),
            None => false,
        },
        RExpr::Unary {
            kind,
            arg,
            in_ty,
            in_list,
            out_ty,
        } => {
            let input = extract(arg, t, src)?;
            transform::unary(*kind, *in_ty, *in_list, *out_ty, &input, &mut out)
        }
        RExpr::Join(sep, list) => {
            let sep = extract(sep, t, src)?;
            let list = extract(list, t, src)?;
            transform::join(&sep, &list, &mut out)
        }
        RExpr::Concat(args) => {
            let mut vals = Vec::new();
            for a in args {
                vals.push(extract(a, t, src)?);
            }
            transform::concat(vals.iter(), &mut out)
        }
        RExpr::Getopt(args, opts, sel) => {
            let o = extract(opts, t, src)?;
            let a = extract(args, t, src)?;
            transform::getopt(&a, &o, *sel, &mut out)
        }
        RExpr::Lit(b) => {
            out.push_bytes(b);
            true
        }
        RExpr::List(items) => {
            for (x, numeric) in items {
                let v = extract(x, t, src)?;
                if *numeric {
                    let mut s = Vec::new();
                    if let Some(first) = v.first() {
                        transform::c_text(first, &mut s);
                    }
                    out.push_bytes(&s);
                } else {
                    for y in v.iter() {
                        out.push(y);
                    }
                }
            }
            true
        }
    };
    ok.then_some(out)
}

fn eval_check<S: FieldSource + ?Sized>(c: &RCheck, t: &Tables, src: &mut S) -> bool {
    let Some(vals) = extract(&c.lhs, t, src) else {
        return false;
    };
    let CheckOp::Compare { op, modifier } = c.op else {
        return c.mode != FieldMode::Ancestors || !vals.is_empty();
    };
    if let Some(ts) = c.around {
        let (Some(ValueRef::U64(now)), Some(RConst::Uint(d))) = (vals.first(), c.consts.first())
        else {
            return false;
        };
        let delta = d.wrapping_mul(1_000_000);
        return ts >= now.wrapping_sub(delta) && ts <= now.wrapping_add(delta);
    }
    if let Some(rhs) = &c.rhs {
        let Some(r) = extract(rhs, t, src) else {
            return false;
        };
        let consts: Vec<RConst> = r.iter().map(owned).collect();
        return compare_values(c, op, modifier, &vals, &consts);
    }
    compare_values(c, op, modifier, &vals, &c.consts)
}

fn owned(v: ValueRef<'_>) -> RConst {
    match v {
        ValueRef::Bytes(b) => RConst::Bytes(b.to_vec()),
        ValueRef::U64(u) => RConst::Uint(u),
        ValueRef::I64(i) => RConst::Int(i),
        ValueRef::F64(f) => RConst::Double(f),
        ValueRef::Bool(b) => RConst::Uint(b as u64),
        ValueRef::Ip(a) => RConst::Ip(a),
    }
}

fn compare_values(
    c: &RCheck,
    op: CmpOp,
    modifier: Option<Modifier>,
    vals: &Values,
    consts: &[RConst],
) -> bool {
    let one = |v: ValueRef<'_>, k: &RConst, op: CmpOp| naive_cmp(op, c.ty, v, k);
    if c.is_list {
        let member = |v: ValueRef<'_>| consts.iter().any(|k| one(v, k, CmpOp::Eq));
        return match op {
            CmpOp::In => vals.iter().all(member),
            CmpOp::Intersects => vals.iter().any(member),
            _ => false,
        };
    }
    let single = |v: ValueRef<'_>| -> bool {
        if c.net_first && matches!(op, CmpOp::In | CmpOp::Intersects) {
            return consts.first().is_some_and(|k| one(v, k, CmpOp::Eq));
        }
        match modifier {
            None => match op {
                CmpOp::In | CmpOp::Intersects | CmpOp::PMatch => {
                    consts.iter().any(|k| one(v, k, op))
                }
                _ => consts.first().is_some_and(|k| one(v, k, op)),
            },
            Some(m) => {
                let n = consts.iter().filter(|k| one(v, k, op)).count();
                !consts.is_empty()
                    && match m {
                        Modifier::OneOf => n == 1,
                        Modifier::AnyOf => n >= 1,
                        Modifier::AllOf => n == consts.len(),
                    }
            }
        }
    };
    match c.mode {
        FieldMode::Plain => vals.first().is_some_and(single),
        FieldMode::Ancestors => vals.iter().any(single),
        FieldMode::Endpoints if op == CmpOp::Ne => !vals.is_empty() && vals.iter().all(single),
        FieldMode::Endpoints => vals.iter().any(single),
    }
}

/// A number as (is_float, integer, float), truncated to the type's width.
fn num(ty: FieldType, v: &RConst) -> Option<(bool, i128, f64)> {
    use FieldType as T;
    if ty == T::Double {
        return match v {
            RConst::Int(i) => Some((true, 0, *i as f64)),
            RConst::Uint(u) => Some((true, 0, *u as f64)),
            RConst::Double(d) => Some((true, 0, *d)),
            _ => None,
        };
    }
    let raw: u64 = match v {
        RConst::Int(i) => *i as u64,
        RConst::Uint(u) => *u,
        RConst::Double(d) => *d as i64 as u64,
        _ => return None,
    };
    let (signed, bits) = match ty {
        T::Int8 => (true, 8),
        T::Int16 => (true, 16),
        T::Int32 => (true, 32),
        T::Int64 | T::Fd | T::Pid | T::Errno => (true, 64),
        T::Uint8 | T::Flags8 | T::EnumFlags8 | T::SigType => (false, 8),
        T::Uint16 | T::Flags16 | T::EnumFlags16 | T::Port | T::SyscallId => (false, 16),
        T::Uint32 | T::Flags32 | T::EnumFlags32 | T::Mode | T::Uid | T::Gid | T::Bool => {
            (false, 32)
        }
        T::Uint64 | T::RelTime | T::AbsTime => (false, 64),
        _ => return None,
    };
    let masked = if bits == 64 {
        raw
    } else {
        raw & ((1u64 << bits) - 1)
    };
    let value: i128 = if signed {
        let sign = 1u64 << (bits - 1);
        if masked & sign != 0 {
            masked as i128 - (1i128 << bits)
        } else {
            masked as i128
        }
    } else {
        masked as i128
    };
    Some((false, value, 0.0))
}

/// Naive `fnmatch` (recursive, no precompilation).
fn naive_glob(p: &[u8], s: &[u8], fold: bool) -> bool {
    let f = |c: u8| if fold { c.to_ascii_lowercase() } else { c };
    match p.first() {
        None => s.is_empty(),
        Some(b'*') => (0..=s.len()).any(|i| naive_glob(&p[1..], &s[i..], fold)),
        Some(b'?') => !s.is_empty() && naive_glob(&p[1..], &s[1..], fold),
        Some(b'\\') => match p.get(1) {
            None => false,
            Some(&e) => {
                s.first().is_some_and(|&c| f(c) == f(e)) && naive_glob(&p[2..], &s[1..], fold)
            }
        },
        Some(b'[') => match naive_bracket(&p[1..], fold) {
            Some((set, rest)) => {
                s.first().is_some_and(|&c| set(f(c))) && naive_glob(rest, &s[1..], fold)
            }
            None => s.first() == Some(&b'[') && naive_glob(&p[1..], &s[1..], fold),
        },
        Some(&c) => s.first().is_some_and(|&x| f(x) == f(c)) && naive_glob(&p[1..], &s[1..], fold),
    }
}

type ByteSet = Box<dyn Fn(u8) -> bool>;

/// A bracket expression after `[`: (membership, rest of pattern), `None` if unterminated.
fn naive_bracket(p: &[u8], fold: bool) -> Option<(ByteSet, &[u8])> {
    let f = move |c: u8| if fold { c.to_ascii_lowercase() } else { c };
    let (neg, mut i) = match p.first() {
        Some(b'!') | Some(b'^') => (true, 1),
        _ => (false, 0),
    };
    let mut ranges: Vec<(u8, u8)> = Vec::new();
    let mut classes: Vec<String> = Vec::new();
    let mut first = true;
    loop {
        let c = *p.get(i)?;
        if c == b']' && !first {
            i += 1;
            break;
        }
        first = false;
        if c == b'[' && p.get(i + 1) == Some(&b':') {
            if let Some(end) =
                (i + 2..p.len().saturating_sub(1)).find(|&j| p[j] == b':' && p[j + 1] == b']')
            {
                let name = String::from_utf8_lossy(&p[i + 2..end]).into_owned();
                if name.bytes().all(|b| b.is_ascii_lowercase()) {
                    classes.push(name);
                    i = end + 2;
                    continue;
                }
            }
        }
        let (lo, n) = if c == b'\\' {
            (*p.get(i + 1)?, 2)
        } else {
            (c, 1)
        };
        i += n;
        if p.get(i) == Some(&b'-') && p.get(i + 1).is_some_and(|&x| x != b']') {
            let (hi, n) = if p[i + 1] == b'\\' {
                (*p.get(i + 2)?, 3)
            } else {
                (p[i + 1], 2)
            };
            i += n;
            ranges.push((f(lo), f(hi)));
        } else {
            ranges.push((f(lo), f(lo)));
        }
    }
    let set = move |c: u8| {
        let hit = ranges.iter().any(|&(a, b)| a <= c && c <= b)
            || classes.iter().any(|n| class_has(n, c));
        hit != neg
    };
    Some((Box::new(set), &p[i..]))
}

fn class_has(name: &str, c: u8) -> bool {
    match name {
        "alnum" => c.is_ascii_alphanumeric(),
        "alpha" => c.is_ascii_alphabetic(),
        "blank" => c == b' ' || c == b'\t',
        "cntrl" => c.is_ascii_control(),
        "digit" => c.is_ascii_digit(),
        "graph" => c.is_ascii_graphic(),
        "lower" => c.is_ascii_lowercase(),
        "print" => c.is_ascii_graphic() || c == b' ',
        "punct" => c.is_ascii_punctuation(),
        "space" => matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'),
        "upper" => c.is_ascii_uppercase(),
        "xdigit" => c.is_ascii_hexdigit(),
        _ => false,
    }
}

fn comps(p: &[u8]) -> Vec<&[u8]> {
    p.split(|&c| c == b'/').filter(|c| !c.is_empty()).collect()
}

fn naive_pmatch(prefix: &[u8], path: &[u8]) -> bool {
    let (pc, vc) = (comps(prefix), comps(path));
    pc.len() <= vc.len()
        && pc.iter().zip(vc.iter()).all(|(p, v)| {
            if p.iter().any(|c| matches!(c, b'?' | b'*' | b'[')) {
                naive_glob(p, v, false)
            } else {
                p == v
            }
        })
}

fn in_net(a: IpAddr, net: IpAddr, prefix: u8) -> bool {
    match (a, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let m = if prefix == 0 {
                0
            } else {
                u32::MAX << (32 - prefix as u32)
            };
            u32::from(a) & m == u32::from(n) & m
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let m = if prefix == 0 {
                0
            } else {
                u128::MAX << (128 - prefix as u32)
            };
            u128::from(a) & m == u128::from(n) & m
        }
        _ => false,
    }
}

/// `value op constant`, naively, for a left type `ty`.
fn naive_cmp(op: CmpOp, ty: FieldType, v: ValueRef<'_>, k: &RConst) -> bool {
    use FieldType as T;
    let eqish = matches!(op, CmpOp::Eq | CmpOp::EqEq | CmpOp::In | CmpOp::Intersects);
    match ty {
        T::Charbuf | T::Fspath | T::FsRelPath | T::Bytebuf => {
            let ValueRef::Bytes(s) = v else {
                return false;
            };
            let string = ty != T::Bytebuf;
            if let RConst::Regex(re) = k {
                return op == CmpOp::Regex
                    && re
                        .as_ref()
                        .is_some_and(|re| re.is_match(&String::from_utf8_lossy(s)));
            }
            let RConst::Bytes(c) = k else {
                return false;
            };
            let c = c.as_slice();
            match op {
                _ if eqish => s == c,
                CmpOp::Ne => s != c,
                CmpOp::Lt => string && s < c,
                CmpOp::Le => string && s <= c,
                CmpOp::Gt => string && s > c,
                CmpOp::Ge => string && s >= c,
                CmpOp::Contains | CmpOp::BContains => {
                    c.is_empty() || s.windows(c.len()).any(|w| w == c)
                }
                CmpOp::IContains => {
                    let (ls, lc) = (s.to_ascii_lowercase(), c.to_ascii_lowercase());
                    lc.is_empty() || ls.windows(lc.len()).any(|w| w == lc.as_slice())
                }
                CmpOp::StartsWith | CmpOp::BStartsWith => s.starts_with(c),
                CmpOp::EndsWith => s.ends_with(c),
                CmpOp::Glob => string && naive_glob(c, s, false),
                CmpOp::IGlob => string && naive_glob(c, s, true),
                CmpOp::PMatch => string && naive_pmatch(c, s),
                _ => false,
            }
        }
        T::Ipv4Addr | T::Ipv6Addr | T::IpAddr => {
            let (ValueRef::Ip(a), RConst::Ip(b)) = (v, k) else {
                return false;
            };
            match op {
                _ if eqish => a == *b,
                CmpOp::Ne => a != *b,
                _ => false,
            }
        }
        T::Ipv4Net | T::Ipv6Net | T::IpNet => {
            let (ValueRef::Ip(a), RConst::Net(n, p)) = (v, k) else {
                return false;
            };
            match op {
                _ if eqish => in_net(a, *n, *p),
                CmpOp::Ne => !in_net(a, *n, *p),
                _ => false,
            }
        }
        _ => {
            let (Some(x), Some(y)) = (num(ty, &owned(v)), num(ty, k)) else {
                return false;
            };
            let ord = if x.0 || y.0 {
                x.2.partial_cmp(&y.2)
            } else {
                Some(x.1.cmp(&y.1))
            };
            let Some(ord) = ord else {
                return op == CmpOp::Ne;
            };
            match op {
                _ if eqish => ord.is_eq(),
                CmpOp::Ne => ord.is_ne(),
                CmpOp::Lt => ord.is_lt(),
                CmpOp::Le => ord.is_le(),
                CmpOp::Gt => ord.is_gt(),
                CmpOp::Ge => ord.is_ge(),
                _ => false,
            }
        }
    }
}
