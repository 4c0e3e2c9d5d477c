//! Bytecode for checked conditions: what the runtime's VM executes.
//!
//! A condition ([`ir::Cond`](falcoc_compiler::ir::Cond)) becomes a [`RuleCode`]: a flat vector of
//! [`Insn`]s over one boolean accumulator. `and`/`or` short-circuit with forward jumps
//! (`JumpIfFalse`/`JumpIfTrue`, threaded so a chain of failures leaves in one jump),
//! `not` flips the accumulator, and each leaf is `Check(id)`.
//!
//! The ids point into shared [`Tables`] built for a whole rule set:
//! * **fields** — every distinct (field, argument, [`FieldMode`]) the rules use, so the
//!   runtime extracts each at most once per event;
//! * **expressions** — fields and transformer expressions over them (`tolower(proc.name)`,
//!   `join(…)`, `getopt(…)[c]`…), interned structurally, so a transformed value is also
//!   computed once per event; children always have smaller ids than their parents;
//! * **checks** — a left expression and a [`CheckKind`] holding the operator compiled
//!   against its constants ([`Test`]): hash sets for `in`/`intersects`/`= anyof`,
//!   Aho-Corasick automata for `contains`/`icontains`/`startswith anyof`, suffix sets for
//!   `endswith anyof`, compiled `fnmatch` globs, RE2-POSIX regexes (full match), a path
//!   trie for `pmatch`, pre-normalised numbers, addresses and CIDRs. Identical checks in
//!   different rules (from shared macros) are one check, so the VM can cache its result
//!   per event.
//!
//! Lowering also merges alternatives on the same left side: `f = a or f in (b, c)` is
//! `f in (a, b, c)`, `f startswith a or f startswith b` is one anchored automaton, and
//! `not f in A and not f in B` is `not f in A∪B` (missing values make every member false,
//! so the merge is exact).
//!
//! Evaluation semantics follow conditions.md §6–§10, §13 (see [`CheckKind`] and
//! [`FieldMode`]). `evt.around[T] = D` becomes a [`Test::Around`] on `evt.rawtime`.

mod glob;
mod lower;
mod matcher;
mod pmatch;
pub mod re2;
mod sets;

#[cfg(test)]
mod tests;

use falcoc_lang::condition::ast::{CmpOp, Modifier, TransformerKind};
use falcoc_lang::Span;

use falcoc_compiler::compile::CompiledRule;
use falcoc_compiler::ir::Cond;
use falcoc_schema::events::EventSet;
use falcoc_schema::fields::{ClassKind, FieldType, ResolvedField};

pub use glob::Glob;
pub use lower::Builder;
pub use matcher::{compare, Family, Num, NumKind, Ord6, Quant, Test, ValueRef};
pub use pmatch::PathSet;
pub use sets::{ByteSet, FxBuild, FxHasher, SuffixSet};

/// Index of a field in [`Tables::fields`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FieldId(pub u32);

/// Index of an expression in [`Tables::exprs`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ExprId(pub u32);

/// Index of a check in [`Tables::checks`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CheckId(pub u32);

/// How a field's values are compared (conditions.md §6, §13.3). It is part of the field's
/// identity: the runtime may extract differently for each mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldMode {
    /// The field's own value (one), or its elements (list fields).
    Plain,
    /// An ancestor field without index (`proc.aname`, `proc.apid`, `proc.aexe`,
    /// `proc.aexepath`, `proc.acmdline`, `proc.aenv`): the source extracts one value per
    /// ancestor, starting at the parent; a check holds if some ancestor satisfies it, and
    /// `exists` needs at least one ancestor.
    Ancestors,
    /// A role-less network field (`fd.ip`, `fd.port`, `fd.proto`, `fd.net`): the source
    /// extracts the value at each endpoint of an IP socket (client then server; the one
    /// local address or port of a listening socket; nothing for a non-IP fd, which still
    /// counts as extracted for `exists`). For `fd.proto` libsinsp compares the *ports*
    /// (its `compare_port`), so the source yields the endpoint ports for it too. A check
    /// holds if some endpoint satisfies it, except `!=`, which needs every endpoint to
    /// (and at least one). `fd.net in (…)` tests only the first network.
    Endpoints,
}

impl FieldMode {
    /// The mode of a resolved field.
    pub fn of(f: &ResolvedField) -> FieldMode {
        if f.is_unindexed_ancestor() {
            FieldMode::Ancestors
        } else if f.class.kind == ClassKind::Fd
            && matches!(f.field.name, "fd.ip" | "fd.port" | "fd.proto" | "fd.net")
        {
            FieldMode::Endpoints
        } else {
            FieldMode::Plain
        }
    }
}

/// One distinct field used by the rules.
#[derive(Debug, Clone)]
pub struct FieldDesc {
    /// The resolved field: name (with argument), table entry, class, effective type.
    pub field: ResolvedField,
    /// How its values are compared.
    pub mode: FieldMode,
}

impl FieldDesc {
    /// The field as written, `name` or `name[arg]`.
    pub fn name(&self) -> &str {
        &self.field.name
    }
}

/// What an expression computes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ExprNode {
    /// A field's values.
    Field(FieldId),
    /// A single-argument transformer (`tolower`, `toupper`, `b64`, `basename`, `len`),
    /// applied to every value of its argument (`len` of a list counts its elements).
    Transform(TransformerKind, ExprId),
    /// `join(sep, list)`: the elements (as C strings) joined with the first value of
    /// `sep`.
    Join {
        /// The separator.
        sep: ExprId,
        /// The list.
        list: ExprId,
    },
    /// `concat(a, b, …)`: the first value of each argument, as C strings, concatenated.
    Concat(Box<[ExprId]>),
    /// `getopt(args, optstring)` or `getopt(args, optstring)[c]` (`select`).
    Getopt {
        /// The argument list.
        args: ExprId,
        /// The option string.
        optstring: ExprId,
        /// The selected option character.
        select: Option<u8>,
    },
    /// A literal string (transformer argument).
    Literal(Box<[u8]>),
    /// A `( … )` transformer list: every element's values in order, numbers rendered in
    /// decimal; missing if any element is.
    List(Box<[ExprId]>),
}

/// An expression with the type it produces.
#[derive(Debug, Clone)]
pub struct Expr {
    /// What it computes.
    pub node: ExprNode,
    /// The type of its values.
    pub ty: FieldType,
    /// Whether it produces a list.
    pub is_list: bool,
}

/// What a check does with the values of its left expression. In every kind a missing
/// extraction makes the check false (conditions.md §13.1).
#[derive(Debug, Clone)]
pub enum CheckKind {
    /// `exists`: the extraction succeeded (and, for ancestor fields, gave a value).
    Exists {
        /// At least one value is needed.
        nonempty: bool,
    },
    /// A single-valued operand: the (first) value passes the test; no value is false.
    Single(Test),
    /// Some value passes (list `intersects`, ancestors, endpoints).
    Any(Test),
    /// Every value passes (list `in`: vacuously true on an empty list; endpoint `!=`).
    All {
        /// The per-value test.
        test: Test,
        /// At least one value is needed.
        nonempty: bool,
    },
    /// A right-hand field (conditions.md §7).
    Field(FieldCompare),
}

/// A field-to-field comparison.
#[derive(Debug, Clone)]
pub struct FieldCompare {
    /// The operator.
    pub op: CmpOp,
    /// Its modifier (`oneof`, `anyof`, `allof`).
    pub modifier: Option<Modifier>,
    /// The comparison family of the left type.
    pub family: Family,
    /// Both sides are lists (only `in`/`intersects`).
    pub is_list: bool,
    /// The right-hand expression.
    pub rhs: ExprId,
}

/// A check: a left expression and what to do with its values.
#[derive(Debug, Clone)]
pub struct CheckCode {
    /// The left expression.
    pub lhs: ExprId,
    /// The operation.
    pub kind: CheckKind,
    /// The span of (the first) source check.
    pub span: Span,
}

/// One instruction. The machine has a boolean accumulator (initially false); the program
/// ends when the counter passes the last instruction and its result is the accumulator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Insn {
    /// Evaluate a check into the accumulator.
    Check(CheckId),
    /// Jump to the absolute index when the accumulator is false.
    JumpIfFalse(u32),
    /// Jump to the absolute index when the accumulator is true.
    JumpIfTrue(u32),
    /// Negate the accumulator.
    Not,
    /// Load a constant.
    Push(bool),
}

/// The shared tables of a rule set (or of one [`Program`]).
#[derive(Debug, Clone, Default)]
pub struct Tables {
    /// Distinct fields.
    pub fields: Vec<FieldDesc>,
    /// Distinct expressions (children before parents).
    pub exprs: Vec<Expr>,
    /// Distinct checks.
    pub checks: Vec<CheckCode>,
}

impl Tables {
    /// The id of a field in a mode, if the tables use it.
    pub fn field_id(&self, field: &ResolvedField, mode: FieldMode) -> Option<FieldId> {
        self.fields
            .iter()
            .position(|d| {
                d.mode == mode
                    && d.field.name == field.name
                    && d.field.class.name == field.class.name
            })
            .map(|i| FieldId(i as u32))
    }

    /// The field `id`.
    pub fn field(&self, id: FieldId) -> Option<&FieldDesc> {
        self.fields.get(id.0 as usize)
    }

    /// The expression `id`.
    pub fn expr(&self, id: ExprId) -> Option<&Expr> {
        self.exprs.get(id.0 as usize)
    }

    /// The check `id`.
    pub fn check(&self, id: CheckId) -> Option<&CheckCode> {
        self.checks.get(id.0 as usize)
    }
}

/// The code of one condition, over some [`Tables`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleCode {
    /// The instructions.
    pub code: Box<[Insn]>,
}

impl std::fmt::Display for RuleCode {
    /// A listing, one instruction per line (`0003 jf 7`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, insn) in self.code.iter().enumerate() {
            match insn {
                Insn::Check(c) => writeln!(f, "{i:04} check {}", c.0)?,
                Insn::JumpIfFalse(t) => writeln!(f, "{i:04} jf {t}")?,
                Insn::JumpIfTrue(t) => writeln!(f, "{i:04} jt {t}")?,
                Insn::Not => writeln!(f, "{i:04} not")?,
                Insn::Push(b) => writeln!(f, "{i:04} push {b}")?,
            }
        }
        Ok(())
    }
}

/// A self-contained program for one condition: its code and its own tables.
#[derive(Debug, Clone)]
pub struct Program {
    /// The tables the code refers to.
    pub tables: Tables,
    /// The code.
    pub code: RuleCode,
}

/// A rule of a [`RuleSetProgram`].
#[derive(Debug, Clone)]
pub struct RuleProgram {
    /// Rule name.
    pub name: String,
    /// Event source.
    pub source: String,
    /// Event codes the condition can match (syscall source), for indexing by event type.
    pub event_codes: Option<EventSet>,
    /// The code, over [`RuleSetProgram::tables`].
    pub code: RuleCode,
}

/// The programs of many rules over one set of shared tables.
#[derive(Debug, Clone, Default)]
pub struct RuleSetProgram {
    /// Fields, expressions and checks of all rules.
    pub tables: Tables,
    /// The rules, in the given order.
    pub rules: Vec<RuleProgram>,
}

impl RuleSetProgram {
    /// Compiles every rule's checked condition over shared tables.
    pub fn new<'a>(rules: impl IntoIterator<Item = &'a CompiledRule>) -> RuleSetProgram {
        let mut b = Builder::new();
        let rules = rules
            .into_iter()
            .map(|r| RuleProgram {
                name: r.name.clone(),
                source: r.source.clone(),
                event_codes: r.event_codes.clone(),
                code: b.add(&r.checked.cond),
            })
            .collect();
        RuleSetProgram {
            tables: b.finish(),
            rules,
        }
    }
}

/// Compiles one condition into a self-contained [`Program`].
pub fn compile_cond(cond: &Cond) -> Program {
    let mut b = Builder::new();
    let code = b.add(cond);
    Program {
        tables: b.finish(),
        code,
    }
}

/// Compiles a rule's checked condition into a self-contained [`Program`].
pub fn compile_rule(rule: &CompiledRule) -> Program {
    compile_cond(&rule.checked.cond)
}
