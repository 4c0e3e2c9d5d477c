//! Rule conditions specialised per event code.
//!
//! Some fields have the same value on every event of one code: `evt.type` and `evt.dir`
//! of a syscall event follow from its code (the source says which, through
//! [`CodeFacts`]). A check over such fields only is decided once per code at load time:
//! `evt.type in (open, openat) and evt.dir = < and fd.name startswith /etc` becomes
//! `fd.name startswith /etc` under the `openat` exit code and `false` under the `open`
//! enter code, where the rule is then not run at all. Evaluation is free of side
//! effects and a check's result depends on the event only, so the folded condition
//! gives the same result as the whole one on every event of that code.

use falcoc_codegen::{compile_cond, FieldDesc, FieldId, FieldMode, Program};
use falcoc_compiler::ir::{Check, Cond, CondKind, Operand, OperandKind, Rhs};

use crate::vm::{FieldSource, Values, Vm};

/// What an event source knows of all its events of one code.
pub trait CodeFacts {
    /// Whether `field` can have a fixed value for some code (asked once per field before
    /// [`fixed`](Self::fixed), to skip checks that can never be decided).
    fn may_fix(&self, field: &FieldDesc) -> bool;

    /// `field` as every event of code `code` has it: `Some(true)` with its values pushed
    /// into `out` (empty when called), `Some(false)` when it is missing on all of them,
    /// `None` when it varies from event to event. Only asked for fields
    /// [`may_fix`](Self::may_fix) accepted.
    fn fixed(&self, code: u16, field: &FieldDesc, out: &mut Values) -> Option<bool>;
}

/// A check of one rule whose fields may all be fixed: compiled alone, to be decided
/// per code.
struct Candidate<'a> {
    check: &'a Check,
    program: Program,
}

/// The fixed values of a candidate's fields under one code.
struct Fixed {
    values: Vec<(bool, Values)>,
}

impl FieldSource for Fixed {
    fn extract(&mut self, id: FieldId, _field: &FieldDesc, out: &mut Values) -> bool {
        match self.values.get(id.0 as usize) {
            Some((true, v)) => {
                for x in v.iter() {
                    out.push(x);
                }
                true
            }
            _ => false,
        }
    }
}

/// The checks of one condition that the source's fixed fields may decide.
pub(crate) struct RuleFacts<'a> {
    candidates: Vec<Candidate<'a>>,
}

impl<'a> RuleFacts<'a> {
    /// Finds the candidate checks of `cond` (none when no field may be fixed).
    pub(crate) fn new(cond: &'a Cond, facts: &dyn CodeFacts) -> RuleFacts<'a> {
        let mut candidates = Vec::new();
        collect(cond, facts, &mut candidates);
        RuleFacts { candidates }
    }

    /// Whether no check can be decided by code.
    pub(crate) fn is_empty(&self) -> bool {
        self.candidates.is_empty()
    }

    /// The result of each candidate under `code` (`None`: not decided).
    pub(crate) fn decide(
        &self,
        code: u16,
        facts: &dyn CodeFacts,
        vm: &mut Vm,
    ) -> Vec<Option<bool>> {
        self.candidates
            .iter()
            .map(|c| {
                let mut src = Fixed { values: Vec::new() };
                for f in &c.program.tables.fields {
                    let mut v = Values::new();
                    let ok = facts.fixed(code, f, &mut v)?;
                    src.values.push((ok, v));
                }
                vm.next_event();
                Some(vm.eval_program(&c.program, &mut src))
            })
            .collect()
    }

    /// `cond` with the decided candidates replaced by constants and folded.
    pub(crate) fn fold(&self, cond: &Cond, decided: &[Option<bool>]) -> Cond {
        fold(cond, &|chk: &Check| {
            let i = self
                .candidates
                .iter()
                .position(|c| std::ptr::eq(c.check, chk))?;
            decided.get(i).copied().flatten()
        })
    }
}

fn collect<'a>(c: &'a Cond, facts: &dyn CodeFacts, out: &mut Vec<Candidate<'a>>) {
    match &c.kind {
        CondKind::And(v) | CondKind::Or(v) => v.iter().for_each(|x| collect(x, facts, out)),
        CondKind::Not(x) => collect(x, facts, out),
        CondKind::Const(_) => {}
        CondKind::Check(chk) => {
            let right_ok = match &chk.right {
                Rhs::Operand(o) => fixable(o, facts),
                Rhs::None | Rhs::Values(_) => true,
            };
            if !(right_ok && fixable(&chk.left, facts)) {
                return;
            }
            let alone = Cond {
                kind: CondKind::Check(chk.clone()),
                span: c.span,
            };
            let program = compile_cond(&alone);
            if program.tables.fields.iter().all(|f| facts.may_fix(f)) {
                out.push(Candidate {
                    check: chk,
                    program,
                });
            }
        }
    }
}

/// Whether every field of `o` may be fixed (and it has one).
fn fixable(o: &Operand, facts: &dyn CodeFacts) -> bool {
    match &o.kind {
        OperandKind::Field(rf) => facts.may_fix(&FieldDesc {
            field: rf.clone(),
            mode: FieldMode::of(rf),
        }),
        OperandKind::Transform { args, .. } => args.iter().all(|a| fixable(a, facts)),
        OperandKind::List(items) => items.iter().all(|a| fixable(a, facts)),
        OperandKind::Literal(_) => true,
    }
}

/// Replaces the checks `known` decides by constants and simplifies `and`/`or`/`not`.
fn fold(c: &Cond, known: &dyn Fn(&Check) -> Option<bool>) -> Cond {
    let konst = |b: bool| Cond {
        kind: CondKind::Const(b),
        span: c.span,
    };
    match &c.kind {
        CondKind::Const(_) => c.clone(),
        CondKind::Check(chk) => match known(chk) {
            Some(b) => konst(b),
            None => c.clone(),
        },
        CondKind::Not(x) => match fold(x, known) {
            Cond {
                kind: CondKind::Const(b),
                ..
            } => konst(!b),
            y => Cond {
                kind: CondKind::Not(Box::new(y)),
                span: c.span,
            },
        },
        CondKind::And(v) | CondKind::Or(v) => {
            let is_and = matches!(c.kind, CondKind::And(_));
            let mut kept = Vec::with_capacity(v.len());
            for x in v {
                match fold(x, known) {
                    // The neutral element drops out; the absorbing one decides.
                    Cond {
                        kind: CondKind::Const(b),
                        ..
                    } if b == is_and => {}
                    Cond {
                        kind: CondKind::Const(b),
                        ..
                    } => return konst(b),
                    y => kept.push(y),
                }
            }
            match kept.len() {
                0 => konst(is_and),
                1 => kept.pop().unwrap_or_else(|| konst(is_and)),
                _ => Cond {
                    kind: if is_and {
                        CondKind::And(kept)
                    } else {
                        CondKind::Or(kept)
                    },
                    span: c.span,
                },
            }
        }
    }
}
