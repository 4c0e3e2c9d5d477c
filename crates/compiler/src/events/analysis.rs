//! Event-type analysis of a (macro-expanded) condition, fields.md §8: the set of event
//! codes (and, in parallel, syscall codes) for which the condition could be true.
//!
//! This is a faithful port of libsinsp's `ppm_code_visitor` (filter/ppm_codes.cpp, libs
//! 0.22.2): set algebra over the AST with negation pushed to the leaves (De Morgan), where
//! `evt.type`/`syscall.type` checks with `=`, `==`, `!=`, `in` and a constant right side
//! give the codes of the named events, `evt.type exists` gives the universe, and every
//! other leaf is neutral (the universe, never complemented).

use std::collections::BTreeSet;

use falcoc_lang::condition::ast::{
    CmpOp, Comparison, Expr, ExprKind, Operand, OperandKind, Rhs, TransformArg,
};

use super::{
    event_names_to_sc_set, event_set_to_names, names_to_event_set, sc_set_to_event_names, EventSet,
    ScSet, PPME_ASYNCEVENT_E, PPME_PLUGINEVENT_E,
};

/// Error when `evt.type`/`syscall.type` is under a transformer (in Falco: a fatal runtime
/// error, not a load result).
pub const ERR_TRANSFORMER: &str =
    "event code search does not support `evt.type`/`syscall.type` checks with transformers";
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

struct Visitor<'a, S: Codes> {
    async_names: &'a [&'a str],
    last_is_evttype_field: bool,
    last_is_field_or_transformer: bool,
    inside_negation: bool,
    last_has_codes: bool,
    last_codes: S,
}

impl<'a, S: Codes> Visitor<'a, S> {
    fn new(async_names: &'a [&'a str]) -> Self {
        Visitor {
            async_names,
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
                let no_arg = f.arg.as_deref().is_none_or(str::is_empty);
                self.last_is_evttype_field =
                    (f.name == "evt.type" || f.name == "syscall.type") && no_arg;
                self.last_codes = S::all();
                self.try_inversion();
                Ok(())
            }
            OperandKind::Transform(t) => {
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
}

/// The event codes a syscall-source condition can match (libsinsp
/// `ppm_event_codes`). `async_names` are the asynchronous event names of the loaded plugins
/// (e.g. `["container", "container_removed"]` with the container plugin), which map to
/// `asyncevent`.
///
/// Errors: [`ERR_TRANSFORMER`], [`ERR_RHS_FIELD`].
pub fn event_codes(expr: &Expr, async_names: &[&str]) -> Result<EventSet, String> {
    let mut v = Visitor::<EventSet>::new(async_names);
    v.expr(expr)?;
    Ok(v.last_codes)
}

/// The syscall codes a syscall-source condition can match (libsinsp `ppm_sc_codes`),
/// used for kernel-side syscall selection.
pub fn sc_codes(expr: &Expr, async_names: &[&str]) -> Result<ScSet, String> {
    let mut v = Visitor::<ScSet>::new(async_names);
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
