//! Event-type analysis of a (macro-expanded) condition, fields.md §8: the set of event
//! codes (and, in parallel, syscall codes) for which the condition could be true.
//!
//! This follows libsinsp's `ppm_code_visitor` (filter/ppm_codes.cpp): set algebra over the
//! AST with negation pushed to the leaves (De Morgan's laws), because whether a set must be
//! complemented cannot be carried through `and`/`or` nodes, only applied at a leaf. The
//! leaves:
//!
//! * `evt.type`/`syscall.type` with `=`, `==`, `!=`, `in` and a constant right side give
//!   the codes of the named events (`!=` complements them; a negation complements again);
//!   `evt.type exists` gives the universe, complemented under negation.
//! * Leaves whose truth is known from a runtime invariant of their field (libs master
//!   only, [`Semantics::LibsMaster`]: `evt.num`, see `field_invariant`) give the empty set
//!   when they can never hold and the universe when they always hold; both are real sets,
//!   complemented under negation.
//! * Every other leaf (other fields, other operators, unresolved macros) is neutral: the
//!   universe, never complemented, since it says nothing about event types.

use std::collections::BTreeSet;

use falcoc_lang::condition::ast::{
    CmpOp, Comparison, Expr, ExprKind, Operand, OperandKind, Rhs, TransformArg,
};

use crate::fields::constant::parse_u64;

use super::{
    event_names_to_sc_set, event_set_to_names, names_to_event_set, sc_set_to_event_names, EventSet,
    ScSet, PPME_ASYNCEVENT_E, PPME_PLUGINEVENT_E,
};

/// Error when `evt.type`/`syscall.type` is under a transformer (in Falco: a fatal runtime
/// error, not a load result).
pub const ERR_TRANSFORMER: &str =
    "event code search does not support `evt.type`/`syscall.type` checks with transformers";
/// [`ERR_TRANSFORMER`] in libs master's words.
pub const ERR_TRANSFORMER_MASTER: &str =
    "event code search does not support `evt.type` checks with transformers";
/// Error when `evt.type`/`syscall.type` is compared with a right-hand field.
pub const ERR_RHS_FIELD: &str = "right-hand field comparisons on `evt.type`/`syscall.type` checks are not supported by event code search";

/// The code sets the analysis can compute.
trait Codes: Clone {
    fn all() -> Self;
    fn empty() -> Self;
    fn of_names(names: &[&str], async_names: &[&str]) -> Self;
    fn minus(&self, o: &Self) -> Self;
    fn and(&self, o: &Self) -> Self;
    fn or(&self, o: &Self) -> Self;
}

impl Codes for EventSet {
    fn all() -> Self {
        super::all_event_set()
    }
    fn empty() -> Self {
        EventSet::new()
    }
    fn of_names(names: &[&str], async_names: &[&str]) -> Self {
        names_to_event_set(names.iter().copied(), async_names)
    }
    fn minus(&self, o: &Self) -> Self {
        self.diff(o)
    }
    fn and(&self, o: &Self) -> Self {
        self.intersect(o)
    }
    fn or(&self, o: &Self) -> Self {
        self.union(o)
    }
}

impl Codes for ScSet {
    fn all() -> Self {
        super::all_sc_set()
    }
    fn empty() -> Self {
        ScSet::new()
    }
    fn of_names(names: &[&str], async_names: &[&str]) -> Self {
        event_names_to_sc_set(names.iter().copied(), async_names)
    }
    fn minus(&self, o: &Self) -> Self {
        self.diff(o)
    }
    fn and(&self, o: &Self) -> Self {
        self.intersect(o)
    }
    fn or(&self, o: &Self) -> Self {
        self.union(o)
    }
}

/// Which libsinsp's event-type analysis to follow.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Semantics {
    /// libs 0.22 (Falco 0.42.1): no field invariants, an `evt.num` check is neutral. Rule
    /// loading uses it, so load results, routing and `falco -L` events are Falco 0.42.1's.
    #[default]
    Libs022,
    /// libs master (what the upstream `filter_ppm_codes` tests assert): adds the `evt.num`
    /// invariant, so `evt.num = 0` matches no event type.
    LibsMaster,
}

/// What a leaf's field invariant says of it (libsinsp `invariant_result`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Invariant {
    /// The check can never be true: it matches no event type.
    Never,
    /// The check is always true: it matches every event type.
    Always,
    /// Nothing is known; the leaf is analysed as usual.
    Unknown,
}

/// libsinsp's `evaluate_field_invariant` (libs master): the one field with a runtime
/// invariant is a bare `evt.num` (no transformer, no argument, no operator modifier). Every
/// event the event loop delivers is numbered from 1 upwards (`sinsp::next` increments the
/// counter before numbering the event), so a comparison with a constant can be decided
/// when the constant is 0 or 1:
///
/// | check | with | result |
/// |---|---|---|
/// | `evt.num = N`, `== N` | N = 0 | never |
/// | `evt.num != N` | N = 0 | always |
/// | `evt.num < N` | N ≤ 1 | never |
/// | `evt.num <= N` | N = 0 | never |
/// | `evt.num > N` | N = 0 | always |
/// | `evt.num >= N` | N ≤ 1 | always |
/// | `evt.num in (…)` | empty list, or every element 0 | never |
///
/// Constants are read with the parser libsinsp uses for `UINT64` field values at runtime
/// (`sinsp_numparser::tryparseu64`, `sscanf("%lu%c")`: optional leading blanks, an
/// optional sign, decimal digits and nothing after them; `-N` wraps modulo 2^64). So
/// `+0`, `00`, `-0` and ` 0` are 0, while `0x0`, `1.5` or `0 ` do not parse and leave the
/// leaf undecided, as does a negative constant (a huge unsigned value) or a right side
/// that is not a constant (a field, a list name, a transformer).
fn field_invariant(c: &Comparison) -> Invariant {
    let OperandKind::Field(f) = &c.left.kind else {
        return Invariant::Unknown;
    };
    if f.name != "evt.num" || f.arg.is_some() || c.modifier.is_some() {
        return Invariant::Unknown;
    }
    if c.op == CmpOp::In {
        // Only a written list counts: `evt.num in name` is a single value, not a list.
        let Rhs::List(l) = &c.right else {
            return Invariant::Unknown;
        };
        let all_zero = l.items.iter().all(|v| parse_u64(&v.text) == Ok(0));
        return if all_zero {
            Invariant::Never
        } else {
            Invariant::Unknown
        };
    }
    let Rhs::Value(v) = &c.right else {
        return Invariant::Unknown;
    };
    let Ok(n) = parse_u64(&v.text) else {
        return Invariant::Unknown;
    };
    match c.op {
        CmpOp::Eq | CmpOp::EqEq if n == 0 => Invariant::Never,
        CmpOp::Ne if n == 0 => Invariant::Always,
        CmpOp::Lt if n <= 1 => Invariant::Never,
        CmpOp::Le if n == 0 => Invariant::Never,
        CmpOp::Gt if n == 0 => Invariant::Always,
        CmpOp::Ge if n <= 1 => Invariant::Always,
        _ => Invariant::Unknown,
    }
}

struct Visitor<'a, S: Codes> {
    async_names: &'a [&'a str],
    invariants: bool,
    last_is_evttype_field: bool,
    last_is_field_or_transformer: bool,
    inside_negation: bool,
    last_has_codes: bool,
    last_codes: S,
}

impl<'a, S: Codes> Visitor<'a, S> {
    fn new(async_names: &'a [&'a str], semantics: Semantics) -> Self {
        Visitor {
            async_names,
            invariants: semantics == Semantics::LibsMaster,
            last_is_evttype_field: false,
            last_is_field_or_transformer: true,
            inside_negation: false,
            last_has_codes: false,
            last_codes: S::empty(),
        }
    }

    fn inversion(&mut self) {
        if self.last_has_codes {
            self.last_codes = S::all().minus(&self.last_codes);
        }
    }

    fn try_inversion(&mut self) {
        if self.inside_negation {
            self.inversion();
        }
    }

    fn conjunction(&mut self, children: &[Expr]) -> Result<(), String> {
        let mut types = S::all();
        for c in children {
            self.expr(c)?;
            types = types.and(&self.last_codes);
        }
        self.last_codes = types;
        self.last_is_evttype_field = false;
        Ok(())
    }

    fn disjunction(&mut self, children: &[Expr]) -> Result<(), String> {
        let mut types = S::empty();
        for c in children {
            self.expr(c)?;
            types = types.or(&self.last_codes);
        }
        self.last_codes = types;
        self.last_is_evttype_field = false;
        Ok(())
    }

    fn expr(&mut self, e: &Expr) -> Result<(), String> {
        match &e.kind {
            ExprKind::And(c) => {
                if self.inside_negation {
                    self.disjunction(c)
                } else {
                    self.conjunction(c)
                }
            }
            ExprKind::Or(c) => {
                if self.inside_negation {
                    self.conjunction(c)
                } else {
                    self.disjunction(c)
                }
            }
            ExprKind::Not(c) => {
                self.last_codes = S::empty();
                let saved = self.inside_negation;
                self.inside_negation = !saved;
                self.expr(c)?;
                self.inside_negation = saved;
                self.last_is_evttype_field = false;
                Ok(())
            }
            ExprKind::Macro(_) => {
                self.last_has_codes = false;
                self.last_codes = S::all();
                self.last_is_evttype_field = false;
                self.try_inversion();
                Ok(())
            }
            ExprKind::Exists(op) => {
                self.operand(op)?;
                self.last_has_codes = self.last_is_evttype_field;
                self.last_codes = S::all();
                self.last_is_evttype_field = false;
                self.try_inversion();
                Ok(())
            }
            ExprKind::Compare(c) => self.compare(c),
        }
    }

    fn compare(&mut self, c: &Comparison) -> Result<(), String> {
        self.last_has_codes = false;
        // A decided leaf is a real set (so a negation above it complements it).
        let invariant = if self.invariants {
            field_invariant(c)
        } else {
            Invariant::Unknown
        };
        let decided = match invariant {
            Invariant::Never => Some(S::empty()),
            Invariant::Always => Some(S::all()),
            Invariant::Unknown => None,
        };
        if let Some(codes) = decided {
            self.last_codes = codes;
            self.last_has_codes = true;
            self.last_is_evttype_field = false;
            self.try_inversion();
            return Ok(());
        }
        let evttype_op =
            c.modifier.is_none() && matches!(c.op, CmpOp::Eq | CmpOp::EqEq | CmpOp::Ne | CmpOp::In);
        if evttype_op {
            self.operand(&c.left)?;
            if self.last_is_evttype_field {
                self.last_is_field_or_transformer = false;
                self.rhs(&c.right)?;
                if self.last_is_field_or_transformer {
                    return Err(ERR_RHS_FIELD.to_string());
                }
                if c.op == CmpOp::Ne {
                    self.inversion();
                }
                self.last_is_evttype_field = false;
                return Ok(());
            }
        }
        self.last_codes = S::all();
        self.last_is_evttype_field = false;
        self.try_inversion();
        Ok(())
    }

    fn rhs(&mut self, r: &Rhs) -> Result<(), String> {
        match r {
            Rhs::Value(v) | Rhs::ListRef(v) => {
                self.names(&[v.text.as_str()]);
                Ok(())
            }
            Rhs::List(l) => {
                let names: Vec<&str> = l.items.iter().map(|v| v.text.as_str()).collect();
                self.names(&names);
                Ok(())
            }
            Rhs::Operand(o) => self.operand(o),
        }
    }

    fn names(&mut self, names: &[&str]) {
        self.last_has_codes = true;
        self.last_codes = S::of_names(names, self.async_names);
        self.last_is_evttype_field = false;
        self.try_inversion();
    }

    fn operand(&mut self, o: &Operand) -> Result<(), String> {
        match &o.kind {
            OperandKind::Field(f) => {
                self.last_has_codes = false;
                self.last_is_field_or_transformer = true;
                // libs 0.22 keeps the argument as a string (`evt.type[]` has none); libs
                // master as an optional one (`evt.type[]` has an empty one).
                let no_arg = if self.invariants {
                    f.arg.is_none()
                } else {
                    f.arg.as_deref().is_none_or(str::is_empty)
                };
                self.last_is_evttype_field =
                    (f.name == "evt.type" || f.name == "syscall.type") && no_arg;
                self.last_codes = S::all();
                self.try_inversion();
                Ok(())
            }
            OperandKind::Transform(t) if self.invariants => {
                // libs master visits every argument and fails on the first one that
                // leaves an `evt.type` field as the last node seen.
                for a in &t.args {
                    self.transform_arg(a)?;
                    if self.last_is_evttype_field {
                        return Err(ERR_TRANSFORMER_MASTER.to_string());
                    }
                }
                self.last_is_field_or_transformer = true;
                Ok(())
            }
            OperandKind::Transform(t) => {
                // libs 0.22: transformers have one argument.
                if let Some(TransformArg::Operand(inner)) = t.args.first() {
                    self.operand(inner)?;
                }
                if self.last_is_evttype_field {
                    return Err(ERR_TRANSFORMER.to_string());
                }
                self.last_is_field_or_transformer = true;
                Ok(())
            }
        }
    }

    /// A transformer argument as libs master's visitor sees it: a literal is visited as a
    /// value node (it becomes the last node's set of named events, as any value does), a
    /// list visits its elements.
    fn transform_arg(&mut self, a: &TransformArg) -> Result<(), String> {
        match a {
            TransformArg::Operand(o) => self.operand(o),
            TransformArg::Value(v) => {
                self.names(&[v.text.as_str()]);
                Ok(())
            }
            TransformArg::List(items, _) => {
                for i in items {
                    self.transform_arg(i)?;
                }
                Ok(())
            }
        }
    }
}

/// The event codes a syscall-source condition can match (libsinsp
/// `ppm_event_codes`) as Falco 0.42.1 computes them ([`Semantics::Libs022`]).
/// `async_names` are the asynchronous event names of the loaded plugins (e.g.
/// `["container", "container_removed"]` with the container plugin), which map to
/// `asyncevent`.
///
/// Errors: [`ERR_TRANSFORMER`], [`ERR_RHS_FIELD`].
pub fn event_codes(expr: &Expr, async_names: &[&str]) -> Result<EventSet, String> {
    event_codes_as(expr, async_names, Semantics::Libs022)
}

/// [`event_codes`] with the analysis of the libsinsp `semantics` names.
pub fn event_codes_as(
    expr: &Expr,
    async_names: &[&str],
    semantics: Semantics,
) -> Result<EventSet, String> {
    let mut v = Visitor::<EventSet>::new(async_names, semantics);
    v.expr(expr)?;
    Ok(v.last_codes)
}

/// The syscall codes a syscall-source condition can match (libsinsp `ppm_sc_codes`),
/// used for kernel-side syscall selection.
pub fn sc_codes(expr: &Expr, async_names: &[&str]) -> Result<ScSet, String> {
    let mut v = Visitor::<ScSet>::new(async_names, Semantics::Libs022);
    v.expr(expr)?;
    Ok(v.last_codes)
}

/// The event codes a rule is registered under in Falco's ruleset: its
/// [`event_codes`] plus `asyncevent` for the syscall source; `pluginevent` and
/// `asyncevent` for any other source.
pub fn routing_codes(codes: &EventSet, is_syscall_source: bool) -> EventSet {
    let mut r = if is_syscall_source {
        codes.clone()
    } else {
        [PPME_PLUGINEVENT_E].into_iter().collect()
    };
    r.insert(PPME_ASYNCEVENT_E);
    r
}

/// The `events` list of `falco -L` for a rule (falco_engine `get_json_evt_types`): for the
/// syscall source, the event names of the condition's syscall codes together with the
/// names of its event codes plus `asyncevent`; for other sources `pluginevent` and
/// `asyncevent`.
pub fn describe_event_names(
    expr: &Expr,
    is_syscall_source: bool,
    async_names: &[&str],
) -> Result<BTreeSet<&'static str>, String> {
    if !is_syscall_source {
        let set: EventSet = [PPME_PLUGINEVENT_E, PPME_ASYNCEVENT_E]
            .into_iter()
            .collect();
        return Ok(event_set_to_names(&set, true));
    }
    let mut ev = event_codes(expr, async_names)?;
    ev.insert(PPME_ASYNCEVENT_E);
    let sc = sc_codes(expr, async_names)?;
    let mut names = sc_set_to_event_names(&sc);
    names.extend(event_set_to_names(&ev, false));
    Ok(names)
}
