//! Lowering checked conditions into [`Tables`] and [`RuleCode`].

use std::collections::HashMap;
use std::net::IpAddr;

use falcoc_lang::condition::ast::{CmpOp, Modifier, TransformerKind};
use falcoc_lang::Span;
use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use memchr::memmem::Finder;

use super::glob::Glob;
use super::matcher::{Family, NumKind, Ord6, Quant, Test};
use super::pmatch::PathSet;
use super::sets::{ByteSet, SuffixSet};
use super::{
    re2, CheckCode, CheckId, CheckKind, Expr, ExprId, ExprNode, FieldCompare, FieldDesc, FieldId,
    FieldMode, Insn, RuleCode, Tables,
};
use falcoc_compiler::ir::{Check, CheckOp, Cond, CondKind, Operand, OperandKind, Rhs};
use falcoc_schema::fields::{
    generic_event_class, ClassKind, Constant, FieldArg, FieldType, ResolvedField,
};

/// Builds shared [`Tables`] from many conditions.
#[derive(Debug, Default)]
pub struct Builder {
    tables: Tables,
    fields: HashMap<(&'static str, String, FieldMode), FieldId>,
    exprs: HashMap<ExprNode, ExprId>,
    checks: HashMap<String, CheckId>,
}

/// A lowered boolean tree (after flattening and merging).
enum LNode {
    And(Vec<LNode>),
    Or(Vec<LNode>),
    Not(Box<LNode>),
    Const(bool),
    Check(CheckId),
}

/// A check ready to be compiled.
struct Pending<'a> {
    lhs: ExprId,
    ty: FieldType,
    is_list: bool,
    mode: FieldMode,
    /// The left side is `fd.net` (endpoint mode): `in` uses only the first network.
    first_net_only: bool,
    /// `evt.around[T]`: the timestamp T (the left side is then `evt.rawtime`).
    around: Option<u64>,
    op: CheckOp,
    values: Vec<&'a Constant>,
    rhs: Option<ExprId>,
    span: Span,
}

/// Operators whose alternatives on one left side merge into one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum MergeClass {
    /// `=`, `in`, `intersects` (single-valued left side): a set.
    Set,
    /// `contains`, `bcontains`.
    Contains,
    /// `icontains`.
    IContains,
    /// `startswith`, `bstartswith`.
    StartsWith,
    /// `endswith`.
    EndsWith,
    /// `glob`.
    Glob,
    /// `iglob`.
    IGlob,
    /// `pmatch`.
    PMatch,
}

impl MergeClass {
    fn op(self) -> (CmpOp, Option<Modifier>) {
        let any = Some(Modifier::AnyOf);
        match self {
            MergeClass::Set => (CmpOp::In, None),
            MergeClass::Contains => (CmpOp::Contains, any),
            MergeClass::IContains => (CmpOp::IContains, any),
            MergeClass::StartsWith => (CmpOp::StartsWith, any),
            MergeClass::EndsWith => (CmpOp::EndsWith, any),
            MergeClass::Glob => (CmpOp::Glob, any),
            MergeClass::IGlob => (CmpOp::IGlob, any),
            MergeClass::PMatch => (CmpOp::PMatch, None),
        }
    }
}

fn is_around(rf: &ResolvedField) -> Option<u64> {
    match rf.arg {
        FieldArg::Around(t)
            if rf.class.kind == ClassKind::SyscallEvent && rf.field.name == "evt.around" =>
        {
            Some(t)
        }
        _ => None,
    }
}

fn rawtime_field() -> Option<ResolvedField> {
    let class = generic_event_class();
    let field = class.field("evt.rawtime")?;
    Some(ResolvedField {
        name: "evt.rawtime".to_string(),
        field,
        class,
        plugin: None,
        ty: field.ty,
        arg: FieldArg::None,
    })
}

fn const_bytes(c: &Constant) -> Option<&[u8]> {
    match c {
        Constant::Str(s) => Some(s.as_bytes()),
        Constant::Bytes(b) => Some(b),
        _ => None,
    }
}

fn const_raw(c: &Constant, kind: NumKind) -> Option<super::Num> {
    Some(match (c, kind) {
        (Constant::Double(f), NumKind::Double) => super::Num::F(*f),
        (Constant::Double(f), _) => kind.from_raw(*f as i64 as u64),
        (Constant::Int(i), NumKind::Double) => super::Num::F(*i as f64),
        (Constant::Uint(u), NumKind::Double) => super::Num::F(*u as f64),
        (Constant::Int(i), _) => kind.from_raw(*i as u64),
        (Constant::Uint(u), _) => kind.from_raw(*u),
        (Constant::Bool(b), _) => kind.from_raw(*b as u64),
        _ => return None,
    })
}

fn const_ip(c: &Constant) -> Option<IpAddr> {
    match c {
        Constant::Ipv4(a) => Some(IpAddr::V4(*a)),
        Constant::Ipv6(a) => Some(IpAddr::V6(*a)),
        _ => None,
    }
}

fn const_net(c: &Constant) -> Option<IpNet> {
    match c {
        Constant::Ipv4Net { addr, prefix } => Ipv4Net::new(*addr, *prefix).ok().map(IpNet::V4),
        Constant::Ipv6Net { addr, prefix } => Ipv6Net::new(*addr, *prefix).ok().map(IpNet::V6),
        _ => None,
    }
}

/// All constants converted, or `None` if one does not fit the family.
fn all<'a, T>(cs: &[&'a Constant], f: impl Fn(&'a Constant) -> Option<T>) -> Option<Vec<T>> {
    cs.iter().map(|c| f(c)).collect()
}

/// Membership of the value in the constants.
fn set_test(fam: Family, cs: &[&Constant]) -> Option<Test> {
    if cs.is_empty() {
        return Some(Test::Const(false));
    }
    Some(match fam {
        Family::Str | Family::Buf => {
            let b = all(cs, const_bytes)?;
            if b.len() == 1 {
                Test::Eq(b[0].into())
            } else {
                Test::In(ByteSet::new(b))
            }
        }
        Family::Num(kind) => {
            let n = all(cs, |c| const_raw(c, kind))?;
            if n.len() == 1 {
                Test::Num(kind, Ord6::Eq, n[0])
            } else {
                let mut keys: Vec<u64> = n.iter().map(|n| n.key()).collect();
                keys.sort_unstable();
                keys.dedup();
                Test::NumIn(kind, keys.into())
            }
        }
        Family::Addr => {
            let a = all(cs, const_ip)?;
            if a.len() == 1 {
                Test::Ip(Ord6::Eq, a[0])
            } else {
                Test::IpIn(a.into())
            }
        }
        Family::Net => Test::NetIn(all(cs, const_net)?.into()),
        Family::Other => Test::Const(false),
    })
}

/// Non-membership (`!= allof`).
fn not_set_test(fam: Family, cs: &[&Constant]) -> Option<Test> {
    Some(match set_test(fam, cs)? {
        Test::In(s) => Test::NotIn(s),
        Test::Eq(b) => Test::Ne(b),
        Test::NumIn(k, s) => Test::NumNotIn(k, s),
        Test::Num(k, _, n) => Test::Num(k, Ord6::Ne, n),
        Test::IpIn(s) => Test::IpNotIn(s),
        Test::Ip(_, a) => Test::Ip(Ord6::Ne, a),
        Test::NetIn(s) => Test::NetNotIn(s),
        other => other,
    })
}

/// `value op c` for one constant.
fn single_test(fam: Family, op: CmpOp, c: &Constant) -> Option<Test> {
    Some(match fam {
        Family::Str | Family::Buf => {
            let b = const_bytes(c)?;
            let string = fam == Family::Str;
            match op {
                CmpOp::Eq | CmpOp::EqEq | CmpOp::In | CmpOp::Intersects => Test::Eq(b.into()),
                CmpOp::Ne => Test::Ne(b.into()),
                CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge if string => {
                    Test::StrOrd(Ord6::of(op)?, b.into())
                }
                CmpOp::Contains | CmpOp::BContains => Test::Contains(Finder::new(b).into_owned()),
                CmpOp::IContains if string => Test::contains_any(&[b], true)?,
                CmpOp::StartsWith | CmpOp::BStartsWith => Test::StartsWith(b.into()),
                CmpOp::EndsWith => Test::EndsWith(b.into()),
                CmpOp::Glob if string => {
                    let g = Glob::new(b, false);
                    match g.literal() {
                        Some(l) => Test::Eq(l.into()),
                        None => Test::Glob(g),
                    }
                }
                CmpOp::IGlob if string => Test::Glob(Glob::new(b, true)),
                CmpOp::Regex if string => Test::Regex(re2::compile(&String::from_utf8_lossy(b))),
                CmpOp::PMatch if string => Test::PMatch(PathSet::new([b])),
                _ => Test::Const(false),
            }
        }
        Family::Num(kind) => match Ord6::of(op) {
            Some(o) => Test::Num(kind, o, const_raw(c, kind)?),
            None => Test::Const(false),
        },
        Family::Addr => match Ord6::of(op) {
            Some(o @ (Ord6::Eq | Ord6::Ne)) => Test::Ip(o, const_ip(c)?),
            _ => Test::Const(false),
        },
        Family::Net => match Ord6::of(op) {
            Some(Ord6::Eq) => Test::NetIn(vec![const_net(c)?].into()),
            Some(Ord6::Ne) => Test::NetNotIn(vec![const_net(c)?].into()),
            _ => Test::Const(false),
        },
        Family::Other => Test::Const(false),
    })
}

/// The test of one value against all constants, with the operator's modifier.
fn values_test(
    fam: Family,
    op: CmpOp,
    modifier: Option<Modifier>,
    cs: &[&Constant],
) -> Option<Test> {
    let Some(first) = cs.first() else {
        return Some(Test::Const(false));
    };
    let Some(m) = modifier else {
        return match op {
            CmpOp::In | CmpOp::Intersects => set_test(fam, cs),
            CmpOp::PMatch if fam == Family::Str => {
                Some(Test::PMatch(PathSet::new(all(cs, const_bytes)?)))
            }
            _ => single_test(fam, op, first),
        };
    };
    if cs.len() == 1 {
        return single_test(fam, op, first);
    }
    let bytes = || all(cs, const_bytes);
    let string = matches!(fam, Family::Str | Family::Buf);
    let fast = match (m, op) {
        (Modifier::AnyOf, CmpOp::Eq | CmpOp::EqEq) => set_test(fam, cs),
        (Modifier::AllOf, CmpOp::Ne) => not_set_test(fam, cs),
        (Modifier::AnyOf, CmpOp::Contains | CmpOp::BContains) if string => {
            Test::contains_any(&bytes()?, false)
        }
        (Modifier::AnyOf, CmpOp::IContains) if fam == Family::Str => {
            Test::contains_any(&bytes()?, true)
        }
        (Modifier::AnyOf, CmpOp::StartsWith | CmpOp::BStartsWith) if string => {
            Test::starts_with_any(&bytes()?)
        }
        (Modifier::AnyOf, CmpOp::EndsWith) if string => {
            Some(Test::EndsWithAny(SuffixSet::new(bytes()?)))
        }
        (Modifier::AnyOf, CmpOp::Glob | CmpOp::IGlob) if fam == Family::Str => {
            let fold = op == CmpOp::IGlob;
            Some(Test::GlobAny(
                bytes()?.into_iter().map(|b| Glob::new(b, fold)).collect(),
            ))
        }
        _ => None,
    };
    if fast.is_some() {
        return fast;
    }
    let q = match m {
        Modifier::OneOf => Quant::One,
        Modifier::AnyOf => Quant::Any,
        Modifier::AllOf => Quant::All,
    };
    let tests: Option<Vec<Test>> = cs.iter().map(|c| single_test(fam, op, c)).collect();
    Some(Test::Count(q, tests?.into()))
}

impl Builder {
    /// An empty builder.
    pub fn new() -> Builder {
        Builder::default()
    }

    /// The tables built so far.
    pub fn tables(&self) -> &Tables {
        &self.tables
    }

    /// The tables.
    pub fn finish(self) -> Tables {
        self.tables
    }

    /// Lowers one condition; its code refers to the builder's tables.
    pub fn add(&mut self, cond: &Cond) -> RuleCode {
        let node = self.lower(cond);
        let mut code = Vec::new();
        emit(&node, &mut code);
        thread_jumps(&mut code);
        RuleCode { code: code.into() }
    }

    fn field(&mut self, rf: &ResolvedField, mode: FieldMode) -> FieldId {
        let key = (rf.class.name, rf.name.clone(), mode);
        if let Some(id) = self.fields.get(&key) {
            return *id;
        }
        let id = FieldId(self.tables.fields.len() as u32);
        self.tables.fields.push(FieldDesc {
            field: rf.clone(),
            mode,
        });
        self.fields.insert(key, id);
        id
    }

    fn expr(&mut self, node: ExprNode, ty: FieldType, is_list: bool) -> ExprId {
        if let Some(id) = self.exprs.get(&node) {
            return *id;
        }
        let id = ExprId(self.tables.exprs.len() as u32);
        self.tables.exprs.push(Expr {
            node: node.clone(),
            ty,
            is_list,
        });
        self.exprs.insert(node, id);
        id
    }

    /// Lowers an operand; `top` is true for a check's left side (where field modes apply).
    fn operand(&mut self, o: &Operand, top: bool) -> ExprId {
        let node = match &o.kind {
            OperandKind::Field(rf) => {
                let mode = if top {
                    FieldMode::of(rf)
                } else {
                    FieldMode::Plain
                };
                ExprNode::Field(self.field(rf, mode))
            }
            OperandKind::Transform { kind, args, arg } => {
                let mut ids: Vec<ExprId> = args.iter().map(|a| self.operand(a, false)).collect();
                let empty = |b: &mut Builder| {
                    b.expr(ExprNode::Literal(Box::new([])), FieldType::Charbuf, false)
                };
                match kind {
                    TransformerKind::Val => match ids.first() {
                        Some(id) => return *id,
                        None => ExprNode::Literal(Box::new([])),
                    },
                    TransformerKind::Join => {
                        while ids.len() < 2 {
                            ids.push(empty(self));
                        }
                        ExprNode::Join {
                            sep: ids[0],
                            list: ids[1],
                        }
                    }
                    TransformerKind::Concat => ExprNode::Concat(ids.into()),
                    TransformerKind::Getopt => {
                        while ids.len() < 2 {
                            ids.push(empty(self));
                        }
                        ExprNode::Getopt {
                            args: ids[0],
                            optstring: ids[1],
                            select: arg.as_ref().and_then(|a| a.bytes().next()),
                        }
                    }
                    k => match ids.first() {
                        Some(id) => ExprNode::Transform(*k, *id),
                        None => ExprNode::Literal(Box::new([])),
                    },
                }
            }
            OperandKind::Literal(s) => ExprNode::Literal(s.as_bytes().into()),
            OperandKind::List(items) => {
                ExprNode::List(items.iter().map(|a| self.operand(a, false)).collect())
            }
        };
        self.expr(node, o.ty, o.is_list)
    }

    fn pending<'a>(&mut self, chk: &'a Check) -> Pending<'a> {
        let mut p = Pending {
            lhs: ExprId(0),
            ty: chk.left.ty,
            is_list: chk.left.is_list,
            mode: FieldMode::Plain,
            first_net_only: false,
            around: None,
            op: chk.op,
            values: Vec::new(),
            rhs: None,
            span: chk.span,
        };
        match &chk.left.kind {
            OperandKind::Field(rf) => {
                let rawtime = is_around(rf).and_then(|t| Some((t, rawtime_field()?)));
                match rawtime {
                    Some((t, raw)) => {
                        p.around = Some(t);
                        p.ty = raw.ty;
                        let fid = self.field(&raw, FieldMode::Plain);
                        p.lhs = self.expr(ExprNode::Field(fid), raw.ty, false);
                    }
                    None => {
                        p.mode = FieldMode::of(rf);
                        p.first_net_only =
                            p.mode == FieldMode::Endpoints && rf.field.name == "fd.net";
                        p.lhs = self.operand(&chk.left, true);
                    }
                }
            }
            _ => p.lhs = self.operand(&chk.left, true),
        }
        match &chk.right {
            Rhs::None => {}
            Rhs::Values(v) => p.values = v.iter().map(|v| &v.constant).collect(),
            Rhs::Operand(o) => p.rhs = Some(self.operand(o, false)),
        }
        p
    }

    /// Whether a check can merge with alternatives on the same left side.
    fn merge_key(&mut self, chk: &Check) -> Option<(ExprId, MergeClass)> {
        let CheckOp::Compare { op, modifier: None } = chk.op else {
            return None;
        };
        if !matches!(chk.right, Rhs::Values(_)) || chk.left.is_list {
            return None;
        }
        if let OperandKind::Field(rf) = &chk.left.kind {
            if FieldMode::of(rf) != FieldMode::Plain || is_around(rf).is_some() {
                return None;
            }
        }
        let fam = Family::of(chk.left.ty);
        let string = fam == Family::Str;
        let bytes = matches!(fam, Family::Str | Family::Buf);
        let class = match op {
            CmpOp::Eq | CmpOp::EqEq | CmpOp::In | CmpOp::Intersects if fam != Family::Other => {
                MergeClass::Set
            }
            CmpOp::Contains | CmpOp::BContains if bytes => MergeClass::Contains,
            CmpOp::IContains if string => MergeClass::IContains,
            CmpOp::StartsWith | CmpOp::BStartsWith if bytes => MergeClass::StartsWith,
            CmpOp::EndsWith if bytes => MergeClass::EndsWith,
            CmpOp::Glob if string => MergeClass::Glob,
            CmpOp::IGlob if string => MergeClass::IGlob,
            CmpOp::PMatch if string => MergeClass::PMatch,
            _ => return None,
        };
        Some((self.operand(&chk.left, true), class))
    }

    fn lower(&mut self, c: &Cond) -> LNode {
        match &c.kind {
            CondKind::Const(b) => LNode::Const(*b),
            CondKind::Check(chk) => {
                let p = self.pending(chk);
                LNode::Check(self.intern(p))
            }
            CondKind::Not(x) => match &x.kind {
                CondKind::Not(y) => self.lower(y),
                _ => LNode::Not(Box::new(self.lower(x))),
            },
            CondKind::And(v) | CondKind::Or(v) => {
                let is_and = matches!(c.kind, CondKind::And(_));
                let mut flat = Vec::new();
                flatten(v, is_and, &mut flat);
                self.junction(&flat, is_and)
            }
        }
    }

    /// An `and` (`is_and`) or `or` of `children`, merging alternatives: positive checks
    /// under `or`, negated checks under `and`.
    fn junction(&mut self, children: &[&Cond], is_and: bool) -> LNode {
        enum Slot<'a> {
            Node(&'a Cond),
            Group(Vec<&'a Check>, MergeClass),
        }
        let mut slots: Vec<Slot> = Vec::new();
        let mut groups: HashMap<(ExprId, MergeClass), usize> = HashMap::new();
        for child in children {
            let leaf = match (&child.kind, is_and) {
                (CondKind::Check(chk), false) => Some(&**chk),
                (CondKind::Not(x), true) => match &x.kind {
                    CondKind::Check(chk) => Some(&**chk),
                    _ => None,
                },
                _ => None,
            };
            if let Some(chk) = leaf {
                if let Some(key) = self.merge_key(chk) {
                    match groups.get(&key) {
                        Some(&i) => {
                            if let Slot::Group(v, _) = &mut slots[i] {
                                v.push(chk);
                            }
                        }
                        None => {
                            groups.insert(key, slots.len());
                            slots.push(Slot::Group(vec![chk], key.1));
                        }
                    }
                    continue;
                }
            }
            slots.push(Slot::Node(child));
        }
        let mut out = Vec::with_capacity(slots.len());
        for slot in slots {
            let node = match slot {
                Slot::Node(c) => self.lower(c),
                Slot::Group(checks, class) => {
                    let mut p = self.pending(checks[0]);
                    if checks.len() > 1 {
                        let (op, modifier) = class.op();
                        p.op = CheckOp::Compare { op, modifier };
                        for c in &checks[1..] {
                            if let Rhs::Values(v) = &c.right {
                                p.values.extend(v.iter().map(|v| &v.constant));
                            }
                        }
                    }
                    let check = LNode::Check(self.intern(p));
                    if is_and {
                        LNode::Not(Box::new(check))
                    } else {
                        check
                    }
                }
            };
            out.push(node);
        }
        if out.len() == 1 {
            return out.pop().unwrap_or(LNode::Const(is_and));
        }
        if is_and {
            LNode::And(out)
        } else {
            LNode::Or(out)
        }
    }

    fn intern(&mut self, p: Pending<'_>) -> CheckId {
        let key = format!(
            "{}|{:?}|{}|{:?}|{:?}|{}|{:?}|{:?}",
            p.lhs.0, p.mode, p.is_list, p.around, p.op, p.first_net_only, p.values, p.rhs
        );
        if let Some(id) = self.checks.get(&key) {
            return *id;
        }
        let code = CheckCode {
            lhs: p.lhs,
            kind: kind(&p),
            span: p.span,
        };
        let id = CheckId(self.tables.checks.len() as u32);
        self.tables.checks.push(code);
        self.checks.insert(key, id);
        id
    }
}

/// What a pending check does with its values.
fn kind(p: &Pending<'_>) -> CheckKind {
    let fam = Family::of(p.ty);
    let CheckOp::Compare { op, modifier } = p.op else {
        return CheckKind::Exists {
            nonempty: p.mode == FieldMode::Ancestors,
        };
    };
    if let Some(rhs) = p.rhs {
        return CheckKind::Field(FieldCompare {
            op,
            modifier,
            family: fam,
            is_list: p.is_list,
            rhs,
        });
    }
    let never = Test::Const(false);
    if let Some(t) = p.around {
        let delta = match p.values.first() {
            Some(Constant::Uint(d)) => d.wrapping_mul(1_000_000),
            _ => return CheckKind::Single(never),
        };
        return CheckKind::Single(Test::Around { t, delta });
    }
    if p.is_list {
        let test = set_test(fam, &p.values).unwrap_or(never);
        return match op {
            CmpOp::In => CheckKind::All {
                test,
                nonempty: false,
            },
            CmpOp::Intersects => CheckKind::Any(test),
            _ => CheckKind::Single(Test::Const(false)),
        };
    }
    let test = if p.first_net_only && matches!(op, CmpOp::In | CmpOp::Intersects) {
        p.values
            .first()
            .and_then(|c| single_test(fam, CmpOp::Eq, c))
    } else {
        values_test(fam, op, modifier, &p.values)
    }
    .unwrap_or(never);
    match p.mode {
        FieldMode::Plain => CheckKind::Single(test),
        FieldMode::Ancestors => CheckKind::Any(test),
        FieldMode::Endpoints if op == CmpOp::Ne => CheckKind::All {
            test,
            nonempty: true,
        },
        FieldMode::Endpoints => CheckKind::Any(test),
    }
}

fn flatten<'a>(v: &'a [Cond], is_and: bool, out: &mut Vec<&'a Cond>) {
    for c in v {
        match &c.kind {
            CondKind::And(w) if is_and => flatten(w, is_and, out),
            CondKind::Or(w) if !is_and => flatten(w, is_and, out),
            _ => out.push(c),
        }
    }
}

fn emit(node: &LNode, code: &mut Vec<Insn>) {
    match node {
        LNode::Check(id) => code.push(Insn::Check(*id)),
        LNode::Const(b) => code.push(Insn::Push(*b)),
        LNode::Not(x) => {
            emit(x, code);
            code.push(Insn::Not);
        }
        LNode::And(v) | LNode::Or(v) => {
            let is_and = matches!(node, LNode::And(_));
            let mut patches = Vec::new();
            for (i, c) in v.iter().enumerate() {
                emit(c, code);
                if i + 1 < v.len() {
                    patches.push(code.len());
                    code.push(if is_and {
                        Insn::JumpIfFalse(0)
                    } else {
                        Insn::JumpIfTrue(0)
                    });
                }
            }
            let end = code.len() as u32;
            for p in patches {
                code[p] = match code[p] {
                    Insn::JumpIfFalse(_) => Insn::JumpIfFalse(end),
                    _ => Insn::JumpIfTrue(end),
                };
            }
        }
    }
}

/// Retargets each jump past jumps it would take next: a `JumpIfFalse` landing on another
/// `JumpIfFalse` goes to that one's target; landing on a `JumpIfTrue` (not taken) goes to
/// the instruction after it; likewise for `JumpIfTrue`. Jumps only go forward.
fn thread_jumps(code: &mut [Insn]) {
    for i in 0..code.len() {
        let (on_false, mut t) = match code[i] {
            Insn::JumpIfFalse(t) => (true, t),
            Insn::JumpIfTrue(t) => (false, t),
            _ => continue,
        };
        loop {
            match code.get(t as usize) {
                Some(Insn::JumpIfFalse(t2)) if on_false => t = *t2,
                Some(Insn::JumpIfTrue(t2)) if !on_false => t = *t2,
                Some(Insn::JumpIfTrue(_)) if on_false => t += 1,
                Some(Insn::JumpIfFalse(_)) if !on_false => t += 1,
                _ => break,
            }
        }
        code[i] = if on_false {
            Insn::JumpIfFalse(t)
        } else {
            Insn::JumpIfTrue(t)
        };
    }
}
