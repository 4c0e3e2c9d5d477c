//! The condition VM: runs the bytecode of [`falcoc_codegen`] against an event.
//!
//! * [`FieldSource`] is what the event/state layer implements: it extracts one field of
//!   the current event into a reusable [`Values`] buffer (typed values; several for list
//!   fields, ancestors and socket endpoints), or reports it missing.
//! * [`Vm`] keeps a per-event cache of every expression of the rule set's
//!   [`Tables`] (fields and transformer results) and of every check result, cleared in
//!   O(1) by bumping a generation counter ([`Vm::next_event`]); so across all rules each
//!   field is extracted, each transformer applied and each distinct check evaluated at
//!   most once per event.
//! * [`Vm::eval`] runs one rule's [`RuleCode`] with short-circuit jumps: a missing value
//!   makes its check false, `not` inverts (conditions.md §13).
//!
//! ```
//! use falcoc_compiler::check::check_condition;
//! use falcoc_codegen::{compile_cond, FieldDesc, FieldId};
//! use falcoc_schema::fields::PluginProfile;
//! use falcoc_lang::condition::parse;
//! use falcoc_engine::vm::{FieldSource, Values, Vm};
//!
//! struct Event;
//! impl FieldSource for Event {
//!     fn extract(&mut self, _id: FieldId, f: &FieldDesc, out: &mut Values) -> bool {
//!         match f.name() {
//!             "proc.name" => out.push_str("bash"),
//!             _ => return false, // missing
//!         }
//!         true
//!     }
//! }
//!
//! let expr = parse("proc.name in (sh, bash) and not fd.name startswith /etc").unwrap();
//! let checked = check_condition(&expr, "syscall", &PluginProfile::none()).unwrap();
//! let program = compile_cond(&checked.cond);
//! let mut vm = Vm::new(&program.tables);
//! vm.next_event();
//! assert!(vm.eval_program(&program, &mut Event));
//! ```

pub mod reference;
pub mod transform;

use std::net::IpAddr;

use falcoc_codegen::{
    compare, CheckCode, CheckId, CheckKind, ExprId, ExprNode, FieldCompare, FieldDesc, FieldId,
    Insn, Program, RuleCode, Tables, ValueRef,
};
use falcoc_lang::condition::ast::{CmpOp, Modifier};
use falcoc_schema::fields::{FieldType, TypeClass};

/// One stored value.
#[derive(Debug, Clone, Copy)]
enum Item {
    Bytes(usize, usize),
    U64(u64),
    I64(i64),
    F64(f64),
    Bool(bool),
    Ip(IpAddr),
}

/// A reusable buffer of typed values: what a field or expression extracts for one event.
///
/// Strings and buffers are stored in one byte arena, so refilling the buffer for the next
/// event allocates nothing once it has grown. Strings (`CHARBUF`, `FSPATH`, `FSRELPATH`)
/// must be pushed without NUL bytes — libsinsp compares C strings, so cut a string at its
/// first NUL; buffers (`BYTEBUF`) keep every byte. Numbers may be pushed as `u64` or
/// `i64` whatever their declared type: checks truncate and sign-extend them to the
/// field's width as libsinsp does.
#[derive(Debug, Clone, Default)]
pub struct Values {
    items: Vec<Item>,
    bytes: Vec<u8>,
}

impl Values {
    /// An empty buffer.
    #[inline]
    pub fn new() -> Values {
        Values::default()
    }

    /// Removes every value (keeps the capacity).
    #[inline]
    pub fn clear(&mut self) {
        self.items.clear();
        self.bytes.clear();
    }

    /// Keeps the first `n` values (and their bytes).
    #[inline]
    pub fn truncate(&mut self, n: usize) {
        let cut = self.items.get(n..).and_then(|rest| {
            rest.iter().find_map(|it| match it {
                Item::Bytes(start, _) => Some(*start),
                _ => None,
            })
        });
        self.items.truncate(n);
        if let Some(cut) = cut {
            self.bytes.truncate(cut);
        }
    }

    /// Number of values.
    #[inline]
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there is no value.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Appends a string or buffer.
    #[inline]
    pub fn push_bytes(&mut self, b: &[u8]) {
        let start = self.bytes.len();
        self.bytes.extend_from_slice(b);
        self.items.push(Item::Bytes(start, b.len()));
    }

    /// Appends a string.
    #[inline]
    pub fn push_str(&mut self, s: &str) {
        self.push_bytes(s.as_bytes());
    }

    /// Appends one string made of `parts` concatenated (no intermediate string).
    #[inline]
    pub fn push_concat<'a>(&mut self, parts: impl IntoIterator<Item = &'a str>) {
        let start = self.bytes.len();
        for p in parts {
            self.bytes.extend_from_slice(p.as_bytes());
        }
        self.items
            .push(Item::Bytes(start, self.bytes.len() - start));
    }

    /// Appends an unsigned integer.
    #[inline]
    pub fn push_u64(&mut self, v: u64) {
        self.items.push(Item::U64(v));
    }

    /// Appends a signed integer.
    #[inline]
    pub fn push_i64(&mut self, v: i64) {
        self.items.push(Item::I64(v));
    }

    /// Appends a double.
    #[inline]
    pub fn push_f64(&mut self, v: f64) {
        self.items.push(Item::F64(v));
    }

    /// Appends a boolean.
    #[inline]
    pub fn push_bool(&mut self, v: bool) {
        self.items.push(Item::Bool(v));
    }

    /// Appends an address (IP and IP-network fields).
    #[inline]
    pub fn push_ip(&mut self, v: IpAddr) {
        self.items.push(Item::Ip(v));
    }

    /// Appends a borrowed value.
    #[inline]
    pub fn push(&mut self, v: ValueRef<'_>) {
        match v {
            ValueRef::Bytes(b) => self.push_bytes(b),
            ValueRef::U64(u) => self.push_u64(u),
            ValueRef::I64(i) => self.push_i64(i),
            ValueRef::F64(f) => self.push_f64(f),
            ValueRef::Bool(b) => self.push_bool(b),
            ValueRef::Ip(a) => self.push_ip(a),
        }
    }

    /// The value at `i`.
    #[inline]
    pub fn get(&self, i: usize) -> Option<ValueRef<'_>> {
        self.items.get(i).map(|it| self.view(*it))
    }

    /// The first value.
    #[inline]
    pub fn first(&self) -> Option<ValueRef<'_>> {
        self.get(0)
    }

    /// Every value, in order.
    #[inline]
    pub fn iter(&self) -> impl Iterator<Item = ValueRef<'_>> + '_ {
        self.items.iter().map(|it| self.view(*it))
    }

    #[inline]
    fn view(&self, it: Item) -> ValueRef<'_> {
        match it {
            Item::Bytes(s, n) => ValueRef::Bytes(self.bytes.get(s..s + n).unwrap_or_default()),
            Item::U64(u) => ValueRef::U64(u),
            Item::I64(i) => ValueRef::I64(i),
            Item::F64(f) => ValueRef::F64(f),
            Item::Bool(b) => ValueRef::Bool(b),
            Item::Ip(a) => ValueRef::Ip(a),
        }
    }
}

/// The event/state layer's side of the VM: extracting fields of the current event.
pub trait FieldSource {
    /// Extracts `field` (id `id` in the rule set's [`Tables::fields`]) into `out`, which
    /// the VM has cleared. Returns `false` when the field is missing for this event (no
    /// fd for `fd.*`, no such parameter, …): every check on it is then false.
    ///
    /// Single-valued fields push one value, list fields their elements (possibly none);
    /// see [`FieldMode`](falcoc_codegen::FieldMode) for ancestor and endpoint
    /// fields, which push one value per ancestor or endpoint. `evt.around[T] = D` checks
    /// ask for `evt.rawtime` (the event timestamp in ns, as `u64`).
    fn extract(&mut self, id: FieldId, field: &FieldDesc, out: &mut Values) -> bool;
}

#[derive(Debug, Clone, Default)]
struct Slot {
    generation: u32,
    ok: bool,
    values: Values,
}

/// The evaluator, with its per-event caches. One per thread; reuse it across events.
/// Its caches are indexed by the ids of one [`Tables`]: use a VM with a single rule set's
/// tables (or call [`next_event`](Vm::next_event) before switching tables).
#[derive(Debug, Clone)]
pub struct Vm {
    slots: Vec<Slot>,
    /// `generation << 1 | result` per check; stale when the generation differs.
    checks: Vec<u32>,
    generation: u32,
    cache_checks: bool,
}

const MAX_GENERATION: u32 = (u32::MAX >> 1) - 1;

impl Vm {
    /// A VM sized for `tables` (it grows if later given larger tables).
    pub fn new(tables: &Tables) -> Vm {
        let mut vm = Vm {
            slots: Vec::new(),
            checks: Vec::new(),
            generation: 1,
            cache_checks: true,
        };
        vm.fit(tables);
        vm
    }

    /// Enables or disables the per-event cache of check results (on by default;
    /// expressions are always cached).
    pub fn set_check_cache(&mut self, on: bool) {
        self.cache_checks = on;
    }

    /// Starts a new event: forgets every cached value and result, in O(1).
    pub fn next_event(&mut self) {
        if self.generation >= MAX_GENERATION {
            for s in &mut self.slots {
                s.generation = 0;
            }
            for c in &mut self.checks {
                *c = 0;
            }
            self.generation = 0;
        }
        self.generation += 1;
    }

    #[inline]
    fn fit(&mut self, tables: &Tables) {
        if self.slots.len() < tables.exprs.len() || self.checks.len() < tables.checks.len() {
            self.grow(tables);
        }
    }

    #[cold]
    fn grow(&mut self, tables: &Tables) {
        if self.slots.len() < tables.exprs.len() {
            self.slots.resize_with(tables.exprs.len(), Slot::default);
        }
        if self.checks.len() < tables.checks.len() {
            self.checks.resize(tables.checks.len(), 0);
        }
    }

    /// Evaluates a self-contained program on the current event.
    pub fn eval_program<S: FieldSource + ?Sized>(&mut self, p: &Program, src: &mut S) -> bool {
        self.eval(&p.tables, &p.code, src)
    }

    /// Evaluates one rule's code (over `tables`) on the current event. Call
    /// [`next_event`](Vm::next_event) before the first rule of each event.
    pub fn eval<S: FieldSource + ?Sized>(
        &mut self,
        tables: &Tables,
        code: &RuleCode,
        src: &mut S,
    ) -> bool {
        self.fit(tables);
        self.run(tables, code, src)
    }

    /// [`eval`](Self::eval) on a VM already sized for `tables` (by [`Vm::new`]): the
    /// engine's per-rule path.
    #[inline]
    pub(crate) fn run<S: FieldSource + ?Sized>(
        &mut self,
        tables: &Tables,
        code: &RuleCode,
        src: &mut S,
    ) -> bool {
        let code = &code.code;
        let mut acc = false;
        let mut pc = 0usize;
        while let Some(insn) = code.get(pc) {
            match *insn {
                Insn::Check(id) => acc = self.check(tables, id, src),
                Insn::JumpIfFalse(t) => {
                    if !acc {
                        pc = t as usize;
                        continue;
                    }
                }
                Insn::JumpIfTrue(t) => {
                    if acc {
                        pc = t as usize;
                        continue;
                    }
                }
                Insn::Not => acc = !acc,
                Insn::Push(b) => acc = b,
            }
            pc += 1;
        }
        acc
    }

    /// The values of expression `id` for the current event, if already computed and not
    /// missing (for diagnostics and outputs).
    pub fn cached(&self, id: ExprId) -> Option<&Values> {
        self.slots
            .get(id.0 as usize)
            .filter(|s| s.generation == self.generation && s.ok)
            .map(|s| &s.values)
    }

    #[inline]
    fn check<S: FieldSource + ?Sized>(
        &mut self,
        tables: &Tables,
        id: CheckId,
        src: &mut S,
    ) -> bool {
        let i = id.0 as usize;
        if self.cache_checks {
            if let Some(&st) = self.checks.get(i) {
                if st >> 1 == self.generation {
                    return st & 1 == 1;
                }
            }
        }
        let Some(chk) = tables.checks.get(i) else {
            return false;
        };
        let r = self.run_check(tables, chk, src);
        if let Some(st) = self.checks.get_mut(i) {
            *st = (self.generation << 1) | r as u32;
        }
        r
    }

    /// Runs a check not in the cache (kept out of line: the loop of [`run`](Self::run)
    /// stays small for the cached checks).
    #[inline(never)]
    fn run_check<S: FieldSource + ?Sized>(
        &mut self,
        tables: &Tables,
        chk: &CheckCode,
        src: &mut S,
    ) -> bool {
        if !self.ensure(tables, chk.lhs, src) {
            return false;
        }
        if let CheckKind::Field(fc) = &chk.kind {
            if !self.ensure(tables, fc.rhs, src) {
                return false;
            }
            let (Some(l), Some(r)) = (
                self.slots.get(chk.lhs.0 as usize),
                self.slots.get(fc.rhs.0 as usize),
            ) else {
                return false;
            };
            return field_compare(fc, &l.values, &r.values);
        }
        let Some(slot) = self.slots.get(chk.lhs.0 as usize) else {
            return false;
        };
        let vals = &slot.values;
        match &chk.kind {
            CheckKind::Exists { nonempty } => !nonempty || !vals.is_empty(),
            CheckKind::Single(t) => vals.first().is_some_and(|v| t.matches(v)),
            CheckKind::Any(t) => vals.iter().any(|v| t.matches(v)),
            CheckKind::All { test, nonempty } => {
                (!nonempty || !vals.is_empty()) && vals.iter().all(|v| test.matches(v))
            }
            CheckKind::Field(_) => false,
        }
    }

    /// Computes expression `id` for the current event if not yet done; whether it is
    /// present. Fields (most expressions) are extracted here directly.
    #[inline]
    fn ensure<S: FieldSource + ?Sized>(
        &mut self,
        tables: &Tables,
        id: ExprId,
        src: &mut S,
    ) -> bool {
        let i = id.0 as usize;
        let generation = self.generation;
        let Some(slot) = self.slots.get_mut(i) else {
            return false;
        };
        if slot.generation == generation {
            return slot.ok;
        }
        let Some(ExprNode::Field(fid)) = tables.exprs.get(i).map(|e| &e.node) else {
            return self.ensure_expr(tables, id, src);
        };
        slot.values.clear();
        let ok = match tables.fields.get(fid.0 as usize) {
            Some(desc) => src.extract(*fid, desc, &mut slot.values),
            None => false,
        };
        slot.generation = generation;
        slot.ok = ok;
        ok
    }

    /// [`ensure`](Self::ensure) for transformer expressions and literals (children
    /// first).
    #[inline(never)]
    fn ensure_expr<S: FieldSource + ?Sized>(
        &mut self,
        tables: &Tables,
        id: ExprId,
        src: &mut S,
    ) -> bool {
        let i = id.0 as usize;
        match self.slots.get(i) {
            Some(s) if s.generation == self.generation => return s.ok,
            Some(_) => {}
            None => return false,
        }
        let Some(expr) = tables.exprs.get(i) else {
            return false;
        };
        // Children first (they have smaller ids).
        let children_ok = match &expr.node {
            ExprNode::Field(_) | ExprNode::Literal(_) => true,
            ExprNode::Transform(_, a) => self.child(tables, *a, i, src),
            ExprNode::Join { sep, list } => {
                self.child(tables, *sep, i, src) && self.child(tables, *list, i, src)
            }
            ExprNode::Getopt {
                args, optstring, ..
            } => self.child(tables, *optstring, i, src) && self.child(tables, *args, i, src),
            ExprNode::Concat(args) | ExprNode::List(args) => {
                args.iter().all(|a| self.child(tables, *a, i, src))
            }
        };
        let (lo, hi) = self.slots.split_at_mut(i);
        let Some(slot) = hi.first_mut() else {
            return false;
        };
        slot.values.clear();
        let ok = children_ok
            && match &expr.node {
                ExprNode::Field(fid) => match tables.fields.get(fid.0 as usize) {
                    Some(desc) => src.extract(*fid, desc, &mut slot.values),
                    None => false,
                },
                ExprNode::Literal(b) => {
                    slot.values.push_bytes(b);
                    true
                }
                ExprNode::Transform(kind, a) => {
                    let (in_ty, in_list) = tables
                        .exprs
                        .get(a.0 as usize)
                        .map_or((FieldType::Charbuf, false), |e| (e.ty, e.is_list));
                    transform::unary(
                        *kind,
                        in_ty,
                        in_list,
                        expr.ty,
                        &lo[a.0 as usize].values,
                        &mut slot.values,
                    )
                }
                ExprNode::Join { sep, list } => transform::join(
                    &lo[sep.0 as usize].values,
                    &lo[list.0 as usize].values,
                    &mut slot.values,
                ),
                ExprNode::Concat(args) => transform::concat(
                    args.iter().map(|a| &lo[a.0 as usize].values),
                    &mut slot.values,
                ),
                ExprNode::Getopt {
                    args,
                    optstring,
                    select,
                } => transform::getopt(
                    &lo[args.0 as usize].values,
                    &lo[optstring.0 as usize].values,
                    *select,
                    &mut slot.values,
                ),
                ExprNode::List(items) => {
                    for a in items.iter() {
                        let numeric = tables
                            .exprs
                            .get(a.0 as usize)
                            .is_some_and(|e| e.ty.class() == TypeClass::Numeric);
                        let vals = &lo[a.0 as usize].values;
                        if numeric {
                            // libsinsp renders a numeric element (its first value) as text.
                            let mut t = Vec::new();
                            if let Some(v) = vals.first() {
                                transform::c_text(v, &mut t);
                            }
                            slot.values.push_bytes(&t);
                        } else {
                            for v in vals.iter() {
                                slot.values.push(v);
                            }
                        }
                    }
                    true
                }
            };
        slot.generation = self.generation;
        slot.ok = ok;
        ok
    }

    /// Ensures a child expression (whose id must be below the parent's).
    fn child<S: FieldSource + ?Sized>(
        &mut self,
        tables: &Tables,
        child: ExprId,
        parent: usize,
        src: &mut S,
    ) -> bool {
        (child.0 as usize) < parent && self.ensure(tables, child, src)
    }
}

/// A field-to-field check (conditions.md §7): the right side's values form the constant
/// set of `in`/`intersects` and of modifiers; other operators compare with its first
/// value.
fn field_compare(fc: &FieldCompare, l: &Values, r: &Values) -> bool {
    let fam = fc.family;
    let eq = |a: ValueRef<'_>, b: ValueRef<'_>| compare(CmpOp::Eq, fam, a, b);
    if fc.is_list {
        return match fc.op {
            CmpOp::In => l.iter().all(|a| r.iter().any(|b| eq(a, b))),
            CmpOp::Intersects => l.iter().any(|a| r.iter().any(|b| eq(a, b))),
            _ => false,
        };
    }
    let Some(a) = l.first() else {
        return false;
    };
    if let Some(m) = fc.modifier {
        let mut n = 0usize;
        let total = r.len();
        for b in r.iter() {
            if compare(fc.op, fam, a, b) {
                n += 1;
            }
        }
        return total > 0
            && match m {
                Modifier::OneOf => n == 1,
                Modifier::AnyOf => n > 0,
                Modifier::AllOf => n == total,
            };
    }
    match fc.op {
        CmpOp::In | CmpOp::Intersects => r.iter().any(|b| eq(a, b)),
        op => r.first().is_some_and(|b| compare(op, fam, a, b)),
    }
}
