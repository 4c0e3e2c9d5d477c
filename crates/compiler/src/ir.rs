//! The checked intermediate representation of a condition: what [`crate::check`] produces
//! from a macro-expanded AST once every field is resolved, every transformer type-checked,
//! every operator accepted for its (transformed) type and every constant parsed. The
//! runtime turns it into bytecode; nothing in it needs to be looked up again.
//!
//! The shape follows libsinsp's compiled filter: boolean nodes (`and`, `or`, `not`) over
//! *checks*, a check being a left-hand extraction (a field wrapped by transformers), an
//! operator (with an optional Falco ≥ 0.44 modifier) or `exists`, and a right-hand side
//! of parsed constants or a second extraction. Every node keeps the [`Span`] of the AST
//! node it came from (byte offsets in the condition the AST was parsed from).

use falcoc_lang::condition::ast::{CmpOp, Modifier, TransformerKind};
use falcoc_lang::Span;

use falcoc_schema::fields::{Constant, FieldFlags, FieldType, ResolvedField};

/// A checked boolean expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Cond {
    /// What the node is.
    pub kind: CondKind,
    /// The span of the AST node it was built from.
    pub span: Span,
}

/// The kinds of checked boolean expression.
#[derive(Debug, Clone, PartialEq)]
pub enum CondKind {
    /// All children hold (evaluated left to right, short-circuiting); two or more children.
    And(Vec<Cond>),
    /// Some child holds (evaluated left to right, short-circuiting); two or more children.
    Or(Vec<Cond>),
    /// The child does not hold.
    Not(Box<Cond>),
    /// A leaf check.
    Check(Box<Check>),
    /// A constant truth value. The checker never produces it; it is there for
    /// simplification passes run on the IR later (e.g. folding `in ()`).
    Const(bool),
}

/// A leaf check: `left op right` or `left exists`.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    /// The extraction whose value is tested.
    pub left: Operand,
    /// The operator.
    pub op: CheckOp,
    /// What the value is compared with ([`Rhs::None`] for `exists`).
    pub right: Rhs,
    /// The span of the check in the condition.
    pub span: Span,
}

/// The operator of a [`Check`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckOp {
    /// `exists`: true iff the left side can be extracted.
    Exists,
    /// A binary comparison, with its Falco ≥ 0.44 modifier (`oneof`, `anyof`, `allof`).
    Compare {
        /// The comparison operator as written (`==` is kept distinct from `=` for
        /// printing; both mean the same).
        op: CmpOp,
        /// The modifier, if any.
        modifier: Option<Modifier>,
    },
}

impl CheckOp {
    /// The operator as Falco lists it in `condition_operators` (`exists`, `=`, `==`,
    /// `in`, …; with a modifier, `op modifier`).
    pub fn as_string(&self) -> String {
        match self {
            CheckOp::Exists => "exists".to_string(),
            CheckOp::Compare { op, modifier: None } => op.as_str().to_string(),
            CheckOp::Compare {
                op,
                modifier: Some(m),
            } => format!("{} {}", op.as_str(), m.as_str()),
        }
    }
}

/// The right-hand side of a [`Check`].
#[derive(Debug, Clone, PartialEq)]
pub enum Rhs {
    /// Nothing (`exists`).
    None,
    /// Constants, parsed with the left side's (transformed) type, in list order: one for a
    /// single value, any number (possibly zero) for a list. An identifier left after a
    /// list operator (`f in mylist` with no such list) is a one-element list.
    Values(Vec<Value>),
    /// A second extraction (`val(field)` or a transformer expression), of exactly the
    /// left side's type and list-ness.
    Operand(Operand),
}

/// One right-hand constant.
#[derive(Debug, Clone, PartialEq)]
pub struct Value {
    /// The text as written, after unescaping (what Falco shows and warns about).
    pub text: String,
    /// The parsed constant (for `bcontains`/`bstartswith`, the bytes of the hex text).
    pub constant: Constant,
    /// The span of the value token (for list elements, of the element).
    pub span: Span,
}

/// A value extraction: a field, possibly wrapped by transformers. Every node carries the
/// type its value has *after* it ([`Operand::ty`], [`Operand::is_list`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Operand {
    /// What it is.
    pub kind: OperandKind,
    /// The type of the values this node produces.
    pub ty: FieldType,
    /// Whether it produces a list of values.
    pub is_list: bool,
    /// The span of the AST node it was built from (for `val(x)`, of `x`).
    pub span: Span,
}

/// The kinds of [`Operand`].
#[derive(Debug, Clone, PartialEq)]
pub enum OperandKind {
    /// A field of the event source (its class, table entry, effective type and parsed
    /// argument are in the [`ResolvedField`]).
    Field(ResolvedField),
    /// A transformer applied to its arguments. `val` never appears (it is the identity
    /// and is dropped). The single-argument transformers (`tolower`, `toupper`, `b64`,
    /// `basename`, `len`) have one argument; `join`, `concat`, `getopt` (Falco ≥ 0.44)
    /// have several.
    Transform {
        /// Which transformer.
        kind: TransformerKind,
        /// Its arguments, in order.
        args: Vec<Operand>,
        /// The trailing `[arg]` (only `getopt(…)[c]` accepts one).
        arg: Option<String>,
    },
    /// A literal string argument of a multi-argument transformer (Falco ≥ 0.44), e.g. the
    /// `"-"` of `join("-", …)`; always `CHARBUF`.
    Literal(String),
    /// A `( … )` transformer list argument (Falco ≥ 0.44); always a `CHARBUF` list.
    List(Vec<Operand>),
}

impl Operand {
    /// The innermost field when the operand is a field or a chain of single-argument
    /// transformers over one (`None` for multi-argument transformers, literals, lists).
    pub fn base_field(&self) -> Option<&ResolvedField> {
        match &self.kind {
            OperandKind::Field(f) => Some(f),
            OperandKind::Transform { kind, args, .. } if kind.is_single_arg() => {
                args.first().and_then(Operand::base_field)
            }
            _ => None,
        }
    }

    /// Whether any transformer is applied.
    pub fn has_transformers(&self) -> bool {
        matches!(self.kind, OperandKind::Transform { .. })
    }

    /// libsinsp's *original* field info of the extraction (what `get_field_info()`
    /// returns): the base field's name, type, list-ness and flags; for multi-argument
    /// transformers, literals and lists the internal descriptors (`NA`, `CHARBUF`).
    pub fn original_info(&self) -> FieldInfoView {
        match &self.kind {
            OperandKind::Field(f) => FieldInfoView {
                name: f.field_name().to_string(),
                ty: f.ty,
                is_list: f.is_list(),
                flags: f.flags(),
            },
            OperandKind::Transform { kind, args, .. } if kind.is_single_arg() => args
                .first()
                .map(Operand::original_info)
                .unwrap_or_else(FieldInfoView::internal),
            OperandKind::List(_) => FieldInfoView {
                is_list: true,
                flags: FieldFlags::IS_LIST,
                ..FieldInfoView::internal()
            },
            _ => FieldInfoView::internal(),
        }
    }

    /// The name libsinsp's *transformed* field info carries (used in right-hand field
    /// messages): the base field's name; `INTERNAL` for a list-valued multi-argument
    /// transformer; `NA` for other internal extractions.
    pub fn transformed_name(&self) -> String {
        match &self.kind {
            OperandKind::Field(f) => f.field_name().to_string(),
            OperandKind::Transform { kind, args, .. } if kind.is_single_arg() => args
                .first()
                .map(Operand::transformed_name)
                .unwrap_or_else(|| "NA".to_string()),
            OperandKind::Transform { .. } if self.is_list => "INTERNAL".to_string(),
            _ => "NA".to_string(),
        }
    }
}

/// A view of libsinsp's field info for an extraction (see [`Operand::original_info`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldInfoView {
    /// Field name (without argument), or `NA` for internal extractions.
    pub name: String,
    /// Declared (effective) type.
    pub ty: FieldType,
    /// List-valued.
    pub is_list: bool,
    /// Flags.
    pub flags: FieldFlags,
}

impl FieldInfoView {
    /// The descriptor of libsinsp's internal extractions (raw strings, multi-argument
    /// transformers): `NA`, `CHARBUF`, not a list, no flags.
    pub fn internal() -> FieldInfoView {
        FieldInfoView {
            name: "NA".to_string(),
            ty: FieldType::Charbuf,
            is_list: false,
            flags: FieldFlags::NONE,
        }
    }
}

/// Single- versus multi-argument transformers.
pub trait TransformerArity {
    /// `tolower`, `toupper`, `b64`, `basename`, `len` (and `val`) take one argument;
    /// `join`, `concat`, `getopt` take several.
    fn is_single_arg(&self) -> bool;
}

impl TransformerArity for TransformerKind {
    fn is_single_arg(&self) -> bool {
        !matches!(
            self,
            TransformerKind::Join | TransformerKind::Concat | TransformerKind::Getopt
        )
    }
}

impl Cond {
    /// Calls `f` on every check, left to right.
    pub fn for_each_check(&self, f: &mut dyn FnMut(&Check)) {
        let mut stack = vec![self];
        while let Some(c) = stack.pop() {
            match &c.kind {
                CondKind::And(v) | CondKind::Or(v) => stack.extend(v.iter().rev()),
                CondKind::Not(x) => stack.push(x),
                CondKind::Check(chk) => f(chk),
                CondKind::Const(_) => {}
            }
        }
    }
}
