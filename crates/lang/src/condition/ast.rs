//! The typed condition AST. Every node carries the [`Span`] of its text in the condition.
//!
//! The shape follows libsinsp's filter AST: `and`/`or` are n-ary, `not` is unary, and the
//! leaves are macro references and checks (`exists`, or a binary comparison whose right side
//! is a value, a list, or a field/transformer expression).

use crate::span::Span;

/// A boolean expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expr {
    /// What the node is.
    pub kind: ExprKind,
    /// Where it is. For `and`/`or`/`not` nodes the start follows libsinsp: a node that
    /// opens a group (or the whole condition) starts right after the `(` (or at 0).
    pub span: Span,
}

/// The kinds of boolean expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExprKind {
    /// `a and b and …` (two or more children).
    And(Vec<Expr>),
    /// `a or b or …` (two or more children).
    Or(Vec<Expr>),
    /// `not a`.
    Not(Box<Expr>),
    /// A bare identifier: a macro reference.
    Macro(String),
    /// `operand exists`.
    Exists(Operand),
    /// `left op [modifier] right`.
    Compare(Comparison),
}

/// A binary check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comparison {
    /// The checked field or transformer expression.
    pub left: Operand,
    /// The operator.
    pub op: CmpOp,
    /// `oneof`/`anyof`/`allof` (Falco ≥ 0.44).
    pub modifier: Option<Modifier>,
    /// What the left side is compared with.
    pub right: Rhs,
}

/// The right-hand side of a comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rhs {
    /// A single constant (quoted, bare or numeric).
    Value(Value),
    /// A parenthesised list of constants.
    List(ValueList),
    /// An identifier after a list operator or modifier: a list name that was not
    /// substituted (compiled as a one-element list of that word).
    ListRef(Value),
    /// A field (through `val(…)`) or a transformer expression.
    Operand(Operand),
}

/// A constant as written, after unescaping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value {
    /// The unescaped text.
    pub text: String,
    /// How it was written.
    pub form: ValueForm,
    /// Span of the token (including quotes).
    pub span: Span,
}

/// How a constant was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueForm {
    /// An unquoted run of characters.
    Bare,
    /// A `'…'` or `"…"` string.
    Quoted,
    /// A number token (after `<`, `<=`, `>`, `>=`, or as a transformer argument).
    Number,
}

/// A parenthesised list of constants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueList {
    /// The elements.
    pub items: Vec<Value>,
    /// Span from `(` to `)`.
    pub span: Span,
}

/// A field or a transformer applied to operands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operand {
    /// What it is.
    pub kind: OperandKind,
    /// Where it is.
    pub span: Span,
}

/// The kinds of operand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OperandKind {
    /// A field, e.g. `proc.aname[2]`.
    Field(FieldRef),
    /// A transformer call, e.g. `tolower(proc.name)`, `val(proc.pname)`.
    Transform(Transform),
}

/// A field reference with its optional `[argument]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldRef {
    /// The field token, e.g. `proc.aname` or `evt.arg.flags`.
    pub name: String,
    /// The bracket argument, unescaped; `None` when absent (distinct from `Some("")`).
    pub arg: Option<String>,
}

/// A transformer call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transform {
    /// Which transformer.
    pub kind: TransformerKind,
    /// Its arguments.
    pub args: Vec<TransformArg>,
    /// A trailing `[argument]` (e.g. `getopt(…)[t]`).
    pub arg: Option<String>,
}

/// An argument of a transformer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransformArg {
    /// A field or nested transformer.
    Operand(Operand),
    /// A quoted string or a number literal (Falco ≥ 0.44).
    Value(Value),
    /// A `( … )` transformer list (Falco ≥ 0.44).
    List(Vec<TransformArg>, Span),
}

/// The field transformers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransformerKind {
    /// `val(field)`: marks a right-hand field.
    Val,
    /// `tolower(x)`.
    ToLower,
    /// `toupper(x)`.
    ToUpper,
    /// `b64(x)`: base64 decode.
    B64,
    /// `basename(x)`.
    Basename,
    /// `len(x)`.
    Len,
    /// `join(sep, list)`.
    Join,
    /// `concat(a, b, …)`.
    Concat,
    /// `getopt(args, optstring)`.
    Getopt,
}

impl TransformerKind {
    /// All transformers, in the order libsinsp lists them in messages.
    pub const ALL: [TransformerKind; 9] = [
        TransformerKind::Val,
        TransformerKind::ToLower,
        TransformerKind::ToUpper,
        TransformerKind::B64,
        TransformerKind::Basename,
        TransformerKind::Len,
        TransformerKind::Join,
        TransformerKind::Concat,
        TransformerKind::Getopt,
    ];

    /// The name as written.
    pub fn as_str(self) -> &'static str {
        match self {
            TransformerKind::Val => "val",
            TransformerKind::ToLower => "tolower",
            TransformerKind::ToUpper => "toupper",
            TransformerKind::B64 => "b64",
            TransformerKind::Basename => "basename",
            TransformerKind::Len => "len",
            TransformerKind::Join => "join",
            TransformerKind::Concat => "concat",
            TransformerKind::Getopt => "getopt",
        }
    }

    /// Looks a transformer up by name.
    pub fn from_name(name: &str) -> Option<TransformerKind> {
        TransformerKind::ALL
            .into_iter()
            .find(|t| t.as_str() == name)
    }
}

/// Comparison operators (`exists` is [`ExprKind::Exists`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CmpOp {
    /// `=`
    Eq,
    /// `==` (a synonym of `=`, kept for printing)
    EqEq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `contains`
    Contains,
    /// `icontains`
    IContains,
    /// `bcontains`
    BContains,
    /// `startswith`
    StartsWith,
    /// `bstartswith`
    BStartsWith,
    /// `endswith`
    EndsWith,
    /// `glob`
    Glob,
    /// `iglob`
    IGlob,
    /// `regex`
    Regex,
    /// `in`
    In,
    /// `intersects`
    Intersects,
    /// `pmatch`
    PMatch,
}

impl CmpOp {
    /// Every binary operator.
    pub const ALL: [CmpOp; 19] = [
        CmpOp::Eq,
        CmpOp::EqEq,
        CmpOp::Ne,
        CmpOp::Lt,
        CmpOp::Le,
        CmpOp::Gt,
        CmpOp::Ge,
        CmpOp::Contains,
        CmpOp::IContains,
        CmpOp::BContains,
        CmpOp::StartsWith,
        CmpOp::BStartsWith,
        CmpOp::EndsWith,
        CmpOp::Glob,
        CmpOp::IGlob,
        CmpOp::Regex,
        CmpOp::In,
        CmpOp::Intersects,
        CmpOp::PMatch,
    ];

    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::EqEq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::Contains => "contains",
            CmpOp::IContains => "icontains",
            CmpOp::BContains => "bcontains",
            CmpOp::StartsWith => "startswith",
            CmpOp::BStartsWith => "bstartswith",
            CmpOp::EndsWith => "endswith",
            CmpOp::Glob => "glob",
            CmpOp::IGlob => "iglob",
            CmpOp::Regex => "regex",
            CmpOp::In => "in",
            CmpOp::Intersects => "intersects",
            CmpOp::PMatch => "pmatch",
        }
    }

    /// Looks an operator up by its written form.
    pub fn from_name(s: &str) -> Option<CmpOp> {
        CmpOp::ALL.into_iter().find(|o| o.as_str() == s)
    }

    /// `in`, `intersects`, `pmatch`: operators whose right side is a list.
    pub fn is_list_op(self) -> bool {
        matches!(self, CmpOp::In | CmpOp::Intersects | CmpOp::PMatch)
    }

    /// `<`, `<=`, `>`, `>=`.
    pub fn is_numeric_op(self) -> bool {
        matches!(self, CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge)
    }
}

/// Operator modifiers (Falco ≥ 0.44).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Modifier {
    /// Exactly one element satisfies the operator.
    OneOf,
    /// At least one element does.
    AnyOf,
    /// Every element does.
    AllOf,
}

impl Modifier {
    /// The modifier as written.
    pub fn as_str(self) -> &'static str {
        match self {
            Modifier::OneOf => "oneof",
            Modifier::AnyOf => "anyof",
            Modifier::AllOf => "allof",
        }
    }
}

impl Expr {
    /// Calls `f` on this node and every descendant expression, parents first.
    pub fn walk(&self, f: &mut dyn FnMut(&Expr)) {
        // An explicit stack: conditions built by macro splicing may be deep.
        let mut stack = vec![self];
        while let Some(e) = stack.pop() {
            f(e);
            match &e.kind {
                ExprKind::And(c) | ExprKind::Or(c) => stack.extend(c.iter().rev()),
                ExprKind::Not(c) => stack.push(c),
                _ => {}
            }
        }
    }
}
